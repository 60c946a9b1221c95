import type { ActionsBlockElement, InputBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import {
  FLAG_LABELS,
  FLAGS,
  isSoleOwner,
  isTransfer,
  type Review,
  type ReviewUser,
  reviewProgress,
  TRANSFER_LABEL,
} from '../../checklists/review.js';
import { filterUsers, pageOf, type UserFilter } from '../../checklists/review-pages.js';
import { describeRole, KLAVIYO_ROLES } from '../../checklists/roles.js';
import { plural } from '../../words.js';
import {
  actions,
  button,
  calendarDay,
  confirmDialog,
  context,
  escapeMrkdwn,
  mrkdwn,
  plain,
  section,
  truncate,
  userMention,
} from './blocks.js';
import { type ReviewView, rosterCell } from './review-message.js';

export const ACTION_REVIEW_FILTER = 'review:filter';
export const ACTION_REVIEW_PAGE = 'review:page';
export const ACTION_REVIEW_DECIDE = 'review:decide';
export const ACTION_REVIEW_DECIDE_PAGE = 'review:decide_page';
export const ACTION_REVIEW_KEEP_UNFLAGGED = 'review:keep_unflagged';

export const VIEW_REVIEW_START = 'review:start';
export const VIEW_REVIEW_USERS = 'review:users';
export const VIEW_REVIEW_REASON = 'review:reason';

/** Five paste boxes of 3000 characters: about 200 users pasted; larger rosters go in as a file. */
export const ROSTER_BLOCKS = ['roster_1', 'roster_2', 'roster_3', 'roster_4', 'roster_5'] as const;
export const BLOCK_ROSTER_FILE = 'roster_file';
export const BLOCK_USE_PREVIOUS = 'use_previous';
export const BLOCK_ACCOUNT = 'account';
export const BLOCK_REASON = 'reason';
export const INPUT_ACTION = 'value';

export const USERS_PER_PAGE = 15;

const FILTER_LABELS: Record<'undecided' | 'flagged' | 'decided' | 'all', string> = {
  undecided: 'Undecided',
  flagged: 'Flagged',
  decided: 'Decided',
  all: 'All users',
};

const count = (n: number) => n.toLocaleString('en-US');

function filterLabel(filter: UserFilter): string {
  if (filter.startsWith('flag:')) return FLAG_LABELS[filter.slice(5) as keyof typeof FLAG_LABELS];
  return FILTER_LABELS[filter as keyof typeof FILTER_LABELS];
}

/** Where the user list stands; its modal carries it, with the sealed origin, in private_metadata. */
export interface UsersListState {
  reviewId: string;
  filter: UserFilter;
  page: number;
  /** Sealed: who opened the list, from which review message (checked on every action in it). */
  origin: string;
}

/** A decision's option value: `keep`, `remove` or `role:<name>`, for one user or for a page. */
export function decisionValue(decision: ReviewUser['decision']): string {
  if (decision === undefined) return '';
  return decision.kind === 'change_role' ? `role:${decision.to}` : decision.kind;
}

/**
 * A page of users in a modal: each with its role reminder, last login, flags and a decision menu, and
 * a note under a user when a decision could not be made for them. Above the list: the filter, a menu
 * that decides the whole page at once, and "keep every unflagged user".
 */
export function usersModal(
  review: ReviewView,
  list: Omit<UsersListState, 'reviewId'>,
  notes: ReadonlyMap<number, string> = new Map(),
  banner?: string,
): ModalView {
  const state = review.state;
  const { filter } = list;
  const users = filterUsers(state, filter);
  const current = pageOf(users, list.page, USERS_PER_PAGE);
  const progress = reviewProgress(state);
  const unflagged = state.users.filter((user) => !user.decision && user.flags.length === 0).length;
  const filterOptions = (['undecided', 'flagged', 'decided', 'all'] as UserFilter[])
    .map((key) => ({ key, label: filterLabel(key) }))
    .concat(
      FLAGS.flatMap((flag) => {
        const count = filterUsers(state, `flag:${flag}`).length;
        return count > 0
          ? [{ key: `flag:${flag}` as const, label: `${FLAG_LABELS[flag]} (${count} undecided)` }]
          : [];
      }),
    )
    .map(({ key, label }) => ({ text: plain(label, 75), value: key }));
  const chosen = filterOptions.find((option) => option.value === filter);
  const navigation: ActionsBlockElement[] = [
    {
      type: 'static_select',
      action_id: ACTION_REVIEW_FILTER,
      placeholder: plain('Show…', 150),
      options: filterOptions,
      ...(chosen ? { initial_option: chosen } : {}),
    },
  ];
  if (current.items.length > 0)
    navigation.push(pageMenu(current.items.map((user) => state.users.indexOf(user))));
  if (current.page > 1)
    navigation.push(button('◀ Previous', `${ACTION_REVIEW_PAGE}:prev`, String(current.page - 1)));
  if (current.page < current.pages)
    navigation.push(button('Next ▶', `${ACTION_REVIEW_PAGE}:next`, String(current.page + 1)));
  if (unflagged > 0) {
    navigation.push(
      button(`Keep all ${count(unflagged)} unflagged`, ACTION_REVIEW_KEEP_UNFLAGGED, 'keep', {
        confirm: confirmDialog(
          `Keep ${plural(unflagged, 'unflagged user')}?`,
          `Every undecided user without a flag (${count(unflagged)}) is kept, each recorded in the evidence as decided by you now. Flagged users are left for you to decide.`,
          'Keep them',
        ),
      }),
    );
  }
  const blocks: KnownBlock[] = [
    section(
      `*${progress.decided} of ${progress.users}* decided · ${progress.flagged} flagged. Showing ${filterLabel(filter).toLowerCase()}: ${plural(users.length, 'user')}, page ${current.page} of ${current.pages}.`,
    ),
    actions('review_nav', navigation),
    ...(banner ? [section(`:warning: ${escapeMrkdwn(truncate(banner, 2900))}`)] : []),
  ];
  if (current.items.length === 0)
    blocks.push(section(filter === 'undecided' ? ':tada: Every user has a decision.' : 'No users here.'));
  for (const user of current.items) {
    const index = state.users.indexOf(user);
    blocks.push(userSection(state, user, index));
    const note = notes.get(index) ?? ownerNote(state, user);
    if (note !== undefined) blocks.push(context(`:warning: ${escapeMrkdwn(truncate(note, 1900))}`));
  }
  return {
    type: 'modal',
    callback_id: VIEW_REVIEW_USERS,
    private_metadata: JSON.stringify({
      reviewId: review.id,
      filter,
      page: current.page,
      origin: list.origin,
    } satisfies UsersListState),
    title: plain(`Review ${review.period}`, 24),
    close: plain('Done', 24),
    blocks,
  };
}

/** The menu that gives every user on the page the same decision; its values name the users shown. */
function pageMenu(indexes: number[]): ActionsBlockElement {
  const shown = indexes.join(',');
  const count = indexes.length;
  const all = count === 1 ? 'the one' : `all ${count}`;
  const options = [
    { text: plain(`Keep ${all} shown`, 75), value: `keep|${shown}` },
    { text: plain(`Remove ${all} shown from Klaviyo`, 75), value: `remove|${shown}` },
    ...KLAVIYO_ROLES.filter((role) => role.name !== 'Owner').map((role) => ({
      text: plain(`Change ${all} shown to ${role.name}`, 75),
      value: `role:${role.name}|${shown}`,
    })),
  ];
  return {
    type: 'static_select',
    action_id: ACTION_REVIEW_DECIDE_PAGE,
    placeholder: plain(`Decide ${count === 1 ? 'the one' : `the ${count}`} shown…`, 150),
    options,
    confirm: confirmDialog(
      `Decide ${plural(count, 'user')} at once?`,
      `${count === 1 ? 'The user' : `Each of the ${count} users`} shown gets the decision you chose, recorded in the evidence as decided by you now. Your own account and the only Owner are left for you to decide on their own.`,
      'Decide them',
    ),
  };
}

/** What the only Owner allows: Klaviyo keeps exactly one Owner, who cannot be removed. */
function ownerNote(state: Review, user: ReviewUser): string | undefined {
  if (!isSoleOwner(state, user)) return undefined;
  return `${user.name || user.email} is the only Owner, and Klaviyo does not let the Owner be removed. To remove them or change their role, first choose “${TRANSFER_LABEL}” for the person who takes over the account.`;
}

function userSection(state: Review, user: ReviewUser, index: number): SectionBlock {
  const lastLogin =
    user.lastLogin === null
      ? 'never'
      : user.lastLogin === undefined
        ? 'unknown'
        : calendarDay(user.lastLogin);
  const flags = user.flags.map((flag) => `:warning: ${FLAG_LABELS[flag]}`).join(' · ');
  const decision = user.decision
    ? `*Decision:* ${decisionText(user.decision)}${user.decision.reason ? ` (“${escapeMrkdwn(truncate(user.decision.reason, 200))}”)` : ''} — ${userMention(user.decidedBy ?? '')}`
    : '*Decision:* none yet';
  const text = [
    `*${rosterCell(user.name || user.email, 100)}* ${rosterCell(user.email, 200)}`,
    `${rosterCell(user.role, 60)}: ${escapeMrkdwn(describeRole(user.role))} · last login ${lastLogin}`,
    ...(flags ? [flags] : []),
    decision,
  ].join('\n');
  const options = decisionOptions(state, user).map(({ label, value }) => ({
    text: plain(label, 75),
    value: `${index}|${value}`,
  }));
  const current = options.find((option) => option.value === `${index}|${decisionValue(user.decision)}`);
  return {
    type: 'section',
    block_id: `user_${index}`,
    text: mrkdwn(text),
    accessory: {
      type: 'static_select',
      action_id: ACTION_REVIEW_DECIDE,
      placeholder: plain('Decide…', 150),
      options,
      ...(current ? { initial_option: current } : {}),
    },
  };
}

function decisionText(decision: NonNullable<ReviewUser['decision']>): string {
  if (decision.kind === 'keep') return 'keep';
  if (decision.kind === 'remove') return 'remove from Klaviyo';
  if (isTransfer(decision)) return 'transfer ownership to them';
  return `change role to ${escapeMrkdwn(decision.to)}`;
}

/**
 * The decisions Klaviyo allows for a user: keep, remove, another built-in role, or (for anyone but
 * the Owner) taking over ownership. The only Owner can only be kept until a new Owner is chosen.
 */
function decisionOptions(state: Review, user: ReviewUser): { label: string; value: string }[] {
  const keep = { label: 'Keep', value: 'keep' };
  if (isSoleOwner(state, user)) return [keep];
  return [
    keep,
    { label: 'Remove from Klaviyo', value: 'remove' },
    ...KLAVIYO_ROLES.filter(
      (role) => role.name !== 'Owner' && role.name.toLowerCase() !== user.role.toLowerCase(),
    ).map((role) => ({ label: `Change role to ${role.name}`, value: `role:${role.name}` })),
    ...(user.role === 'Owner' ? [] : [{ label: TRANSFER_LABEL, value: 'role:Owner' }]),
  ];
}

/** Asks for the reason a reviewer must give to decide on their own account. */
export function reasonModal(index: number, decision: string, email: string, list: UsersListState): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_REVIEW_REASON,
    private_metadata: JSON.stringify({ ...list, index, decision }),
    title: plain('Your own access', 24),
    submit: plain('Record', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        `*${escapeMrkdwn(truncate(email, 200))}* is your own account. A reviewer gives a reason when deciding on their own access; it goes into the evidence.`,
      ),
      {
        type: 'input',
        block_id: BLOCK_REASON,
        label: plain('Reason', 2000),
        element: { type: 'plain_text_input', action_id: INPUT_ACTION, multiline: true, max_length: 500 },
      },
    ],
  };
}

/**
 * The form that starts a review: the Klaviyo account's name, and the roster pasted (in up to five
 * boxes), as a file, or the previous one. `origin` is sealed: who opened it, and where it reports.
 */
export function reviewStartModal(
  origin: string,
  previous: { period: string; users: number } | undefined,
  account: string | undefined,
): ModalView {
  const rosterInput = (blockId: string, label: string, optional: boolean, hint?: string): InputBlock => ({
    type: 'input',
    block_id: blockId,
    optional,
    label: plain(label, 2000),
    ...(hint ? { hint: plain(hint, 2000) } : {}),
    element: { type: 'plain_text_input', action_id: INPUT_ACTION, multiline: true, max_length: 3000 },
  });
  return {
    type: 'modal',
    callback_id: VIEW_REVIEW_START,
    private_metadata: JSON.stringify({ origin }),
    title: plain('Access review', 24),
    submit: plain('Start review', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        'In Klaviyo, open *Settings > Users*, select the table and copy it. Paste it below (tab-separated as copied, CSV, or `name, email, role` lines; date added and last login help). A box holds about 40–60 users: continue in the next boxes, or attach the CSV.',
      ),
      {
        type: 'input',
        block_id: BLOCK_ACCOUNT,
        optional: true,
        label: plain('Klaviyo account', 2000),
        hint: plain('Its name as the evidence should show it, e.g. "Acme Store (AbC123)".', 2000),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_ACTION,
          max_length: 150,
          ...(account ? { initial_value: truncate(account, 150) } : {}),
        },
      },
      ...ROSTER_BLOCKS.map((block, index) =>
        rosterInput(block, index === 0 ? 'Roster' : 'Roster, continued', true),
      ),
      fileInput,
      ...(previous ? [previousInput(previous)] : []),
      context(
        'Changes since the previous review (new users, gone users, role changes) are shown when a previous review exists.',
      ),
    ],
  };
}

const fileInput: InputBlock = {
  type: 'input',
  block_id: BLOCK_ROSTER_FILE,
  optional: true,
  label: plain('Or a CSV/TSV file', 2000),
  element: { type: 'file_input', action_id: INPUT_ACTION, filetypes: ['csv', 'tsv', 'txt'], max_files: 1 },
};

function previousInput(previous: { period: string; users: number }): InputBlock {
  return {
    type: 'input',
    block_id: BLOCK_USE_PREVIOUS,
    optional: true,
    label: plain('Previous roster', 2000),
    element: {
      type: 'checkboxes',
      action_id: INPUT_ACTION,
      options: [
        {
          text: plain(`Start from the ${previous.period} roster (${plural(previous.users, 'user')})`, 75),
          value: 'yes',
        },
      ],
    },
  };
}
