import type { InputBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { FLAG_LABELS, type Review, type ReviewUser, reviewProgress } from '../../checklists/review.js';
import { filterUsers, pageOf, type UserFilter } from '../../checklists/review-pages.js';
import { describeRole, KLAVIYO_ROLES } from '../../checklists/roles.js';
import {
  actions,
  button,
  context,
  escapeMrkdwn,
  mrkdwn,
  plain,
  section,
  truncate,
  userMention,
} from './blocks.js';
import type { ReviewView } from './review-message.js';

export const ACTION_REVIEW_FILTER = 'review:filter';
export const ACTION_REVIEW_PAGE = 'review:page';
export const ACTION_REVIEW_DECIDE = 'review:decide';

export const VIEW_REVIEW_START = 'review:start';
export const VIEW_REVIEW_USERS = 'review:users';
export const VIEW_REVIEW_REASON = 'review:reason';

/** Five paste boxes of 3000 characters: about 200 users pasted; larger rosters go in as a file. */
export const ROSTER_BLOCKS = ['roster_1', 'roster_2', 'roster_3', 'roster_4', 'roster_5'] as const;
export const BLOCK_ROSTER_FILE = 'roster_file';
export const BLOCK_USE_PREVIOUS = 'use_previous';
export const BLOCK_REASON = 'reason';
export const INPUT_ACTION = 'value';

export const USERS_PER_PAGE = 15;

const FILTER_LABELS: Record<UserFilter, string> = {
  undecided: 'Undecided',
  flagged: 'Flagged',
  decided: 'Decided',
  all: 'All users',
};

/** A page of users in a modal: each with its role reminder, last login, flags and a decision menu. */
export function usersModal(review: ReviewView, filter: UserFilter, page: number): ModalView {
  const state = review.state;
  const list = filterUsers(state, filter);
  const current = pageOf(list, page, USERS_PER_PAGE);
  const progress = reviewProgress(state);
  const filterOptions = (Object.keys(FILTER_LABELS) as UserFilter[]).map((key) => ({
    text: plain(FILTER_LABELS[key], 75),
    value: key,
  }));
  const blocks: KnownBlock[] = [
    section(
      `*${progress.decided} of ${progress.users}* decided · ${progress.flagged} flagged. Showing ${FILTER_LABELS[filter].toLowerCase()}: ${list.length} user(s), page ${current.page} of ${current.pages}.`,
    ),
    actions('review_nav', [
      {
        type: 'static_select',
        action_id: ACTION_REVIEW_FILTER,
        options: filterOptions,
        initial_option: filterOptions.find((option) => option.value === filter),
      },
      ...(current.page > 1
        ? [button('◀ Previous', `${ACTION_REVIEW_PAGE}:prev`, String(current.page - 1))]
        : []),
      ...(current.page < current.pages
        ? [button('Next ▶', `${ACTION_REVIEW_PAGE}:next`, String(current.page + 1))]
        : []),
    ]),
  ];
  if (current.items.length === 0)
    blocks.push(section(filter === 'undecided' ? ':tada: Every user has a decision.' : 'No users here.'));
  for (const user of current.items) blocks.push(userSection(state, user));
  return {
    type: 'modal',
    callback_id: VIEW_REVIEW_USERS,
    private_metadata: JSON.stringify({ reviewId: review.id, filter, page: current.page }),
    title: plain(`Review ${review.period}`, 24),
    close: plain('Done', 24),
    blocks,
  };
}

function userSection(state: Review, user: ReviewUser): SectionBlock {
  const index = state.users.indexOf(user);
  const lastLogin =
    user.lastLogin === null ? 'never' : user.lastLogin === undefined ? 'unknown' : user.lastLogin;
  const flags = user.flags.map((flag) => `:warning: ${FLAG_LABELS[flag]}`).join(' · ');
  const decision = user.decision
    ? `*Decision:* ${user.decision.kind === 'keep' ? 'keep' : user.decision.kind === 'remove' ? 'remove' : `change role to ${escapeMrkdwn(user.decision.to)}`}${user.decision.reason ? ` (“${escapeMrkdwn(truncate(user.decision.reason, 200))}”)` : ''} — ${userMention(user.decidedBy ?? '')}`
    : '*Decision:* none yet';
  const text = [
    `*${escapeMrkdwn(truncate(user.name || user.email, 100))}* ${escapeMrkdwn(truncate(user.email, 200))}`,
    `${escapeMrkdwn(truncate(user.role, 60))}: ${escapeMrkdwn(describeRole(user.role))} · last login ${lastLogin}`,
    ...(flags ? [flags] : []),
    decision,
  ].join('\n');
  const options = [
    { text: plain('Keep', 75), value: `${index}|keep` },
    { text: plain('Remove from Klaviyo', 75), value: `${index}|remove` },
    ...KLAVIYO_ROLES.filter(
      (role) => role.name.toLowerCase() !== user.role.toLowerCase() && role.name !== 'Owner',
    ).map((role) => ({
      text: plain(`Change role to ${role.name}`, 75),
      value: `${index}|role:${role.name}`,
    })),
  ];
  const current = user.decision
    ? options.find((option) =>
        user.decision?.kind === 'change_role'
          ? option.value === `${index}|role:${user.decision.to}`
          : option.value === `${index}|${user.decision?.kind}`,
      )
    : undefined;
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

/** Asks for the reason a reviewer must give to decide on their own account. */
export function reasonModal(
  reviewId: string,
  index: number,
  decisionValue: string,
  email: string,
  list: { filter: UserFilter; page: number },
): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_REVIEW_REASON,
    private_metadata: JSON.stringify({ reviewId, index, decision: decisionValue, ...list }),
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

/** The form that starts a review: the roster pasted (in up to three boxes), as a file, or the previous one. */
export function reviewStartModal(
  channelId: string,
  previous: { period: string; users: number } | undefined,
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
    private_metadata: JSON.stringify({ channelId }),
    title: plain('Access review', 24),
    submit: plain('Start review', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        'In Klaviyo, open *Settings > Users*, select the table and copy it. Paste it below (tab-separated as copied, CSV, or `name, email, role` lines; date added and last login help). A box holds about 40–60 users: continue in the next boxes, or attach the CSV.',
      ),
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
          text: plain(`Start from the ${previous.period} roster (${previous.users} users)`, 75),
          value: 'yes',
        },
      ],
    },
  };
}
