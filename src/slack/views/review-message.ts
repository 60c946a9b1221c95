import { createHash } from 'node:crypto';
import type { KnownBlock, SectionBlock } from '@slack/types';
import {
  ACCOUNT_ITEM_ORDER,
  ACCOUNT_ITEMS,
  type AccountItem,
  completionBlockers,
  describeFollowUp,
  FLAG_LABELS,
  type Review,
  reviewProgress,
  reviewSummary,
  TWO_STEP_WORDS,
} from '../../checklists/review.js';
import { type RosterDiff, stripInvisible } from '../../checklists/roster.js';
import type { UnreadableRosterLine } from '../../store/reviews.js';
import { plural } from '../../words.js';
import {
  actions,
  button,
  confirmDialog,
  context,
  escapeMrkdwn,
  header,
  plain,
  type SlackMessage,
  section,
  slackDate,
  truncate,
  userMention,
} from './blocks.js';
import { packSections } from './scan-message.js';

export const ACTION_REVIEW_USERS = 'review:users';
export const ACTION_REVIEW_FOLLOW_UP = 'review:follow_up';
export const ACTION_REVIEW_ACCOUNT_ITEM = 'review:account_item';
export const ACTION_REVIEW_TWO_STEP = 'review:two_step';
export const ACTION_REVIEW_COMPLETE = 'review:complete';
export const ACTION_REMINDER_START = 'reminder:start_review';
export const ACTION_REMINDER_SNOOZE = 'reminder:snooze';

const MAX_FOLLOW_UPS_SHOWN = 10;

export interface ReviewView {
  id: string;
  period: string;
  state: Review;
  unreadable: UnreadableRosterLine[];
  changes?: RosterDiff;
  nextDue?: string;
}

/** The review's one message in the channel: progress, account items, follow-ups, and the way in. */
export function reviewMessage(review: ReviewView): SlackMessage {
  const state = review.state;
  const progress = reviewProgress(state);
  const summary = reviewSummary(state);
  const complete = state.completedAt !== undefined;
  const account = state.account ? ` · ${state.account}` : '';
  const blocks: KnownBlock[] = [header(`Klaviyo access review: ${review.period}${account}`)];
  blocks.push(
    context(
      `${complete ? ':white_check_mark: *Complete*' : ':clipboard: *Open*'} · *${progress.decided.toLocaleString('en-US')} of ${plural(progress.users, 'user')}* decided · ${progress.flagged} flagged · ${plural(progress.followUpsOpen, 'follow-up')} open · ${ACCOUNT_ITEM_ORDER.length - progress.accountItemsOpen} of ${ACCOUNT_ITEM_ORDER.length} account items · started by ${userMention(state.reviewerSlackUser)} ${slackDate(state.startedAt)}`,
    ),
  );
  const flagLines = Object.entries(summary.flags)
    .filter(([, count]) => count > 0)
    .map(([flag, count]) => `• ${FLAG_LABELS[flag as keyof typeof FLAG_LABELS]}: ${count}`);
  blocks.push(
    section(
      `*Decisions:* keep ${summary.counts.keep} · remove ${summary.counts.remove} · change role ${summary.counts.change_role} · undecided ${summary.undecided}\n${flagLines.length > 0 ? `*Flags:*\n${flagLines.join('\n')}` : 'No user is flagged.'}`,
    ),
  );
  const notes: string[] = [];
  if (review.changes) {
    const { added, removed, roleChanged } = review.changes;
    notes.push(
      `Since the last review: ${added.length} new, ${removed.length} gone, ${plural(roleChanged.length, 'role change')} (details in the thread)`,
    );
  }
  if (review.unreadable.length > 0)
    notes.push(
      `:warning: ${plural(review.unreadable.length, 'roster line')} could not be read and were left out (listed in the thread)`,
    );
  if (notes.length > 0) blocks.push(context(...notes));

  if (!complete) {
    blocks.push(
      actions('review_users', [
        button(
          `Review users (${progress.undecided} undecided)`,
          ACTION_REVIEW_USERS,
          `${review.id}|undecided`,
          { style: 'primary' },
        ),
        button(`Flagged (${progress.flagged})`, `${ACTION_REVIEW_USERS}:flagged`, `${review.id}|flagged`),
        button('All users', `${ACTION_REVIEW_USERS}:all`, `${review.id}|all`),
      ]),
    );
  }

  for (const id of ACCOUNT_ITEM_ORDER) {
    const item = state.accountItems.find((candidate) => candidate.id === id) as AccountItem;
    blocks.push(accountItemSection(review.id, item, complete));
  }

  const open = state.followUps.filter((followUp) => !followUp.doneAt);
  const done = state.followUps.filter((followUp) => followUp.doneAt);
  if (state.followUps.length > 0)
    blocks.push(
      section(`*Follow-ups in Klaviyo* (Settings > Users): ${open.length} open, ${done.length} done`),
    );
  for (const followUp of open.slice(0, MAX_FOLLOW_UPS_SHOWN)) {
    blocks.push(
      section(`:white_square: ${inChannel(capitalize(describeFollowUp(followUp)), state.users)}`, {
        block_id: `follow_up_${blocks.length}`,
        ...(complete
          ? {}
          : {
              accessory: button(
                'Done in Klaviyo',
                ACTION_REVIEW_FOLLOW_UP,
                `${review.id}|${followUpRef(followUp)}|done`,
              ),
            }),
      }),
    );
  }
  if (open.length > MAX_FOLLOW_UPS_SHOWN)
    blocks.push(
      context(
        `…and ${plural(open.length - MAX_FOLLOW_UPS_SHOWN, 'more open follow-up')}; they appear here as these are done.`,
      ),
    );
  if (done.length > 0) {
    blocks.push(
      context(
        truncate(
          `Done: ${done
            .slice(0, 15)
            .map(
              (followUp) =>
                `${inChannel(describeFollowUp(followUp), state.users)} (${userMention(followUp.doneBy ?? '')})`,
            )
            .join('; ')}${done.length > 15 ? `; and ${done.length - 15} more` : ''}`,
          1900,
        ),
      ),
    );
  }

  if (complete) {
    blocks.push(
      section(
        `:white_check_mark: Completed by ${userMention(state.completedBy ?? '')} ${slackDate(state.completedAt as string)}. The evidence (CSV and Markdown) is in the thread.${review.nextDue ? ` Next review due ${slackDate(review.nextDue, '{date_long}')}.` : ''}`,
      ),
    );
  } else {
    const blockers = completionBlockers(state);
    blocks.push(
      actions('review_complete', [
        button('Complete the review', ACTION_REVIEW_COMPLETE, review.id, {
          style: 'primary',
          confirm: confirmDialog(
            'Complete the review?',
            blockers.length === 0
              ? 'Every user is decided, every follow-up and account item is done. The evidence goes to the thread of this message.'
              : `Not yet possible: ${escapeMrkdwn(truncate(withoutEmails(blockers.join('; '), state.users), 250))}`,
            blockers.length === 0 ? 'Complete' : 'OK',
          ),
        }),
      ]),
    );
  }
  blocks.push(context('Decisions are recorded with who and when; the evidence export lists them all.'));
  return {
    text: `Klaviyo access review ${review.period}: ${decidedSummary(progress)}${complete ? ' (complete)' : ''}`,
    blocks,
  };
}

/** A roster cell as Slack shows it: no invisible characters, no mrkdwn, at most `max` characters. */
/** How far the decisions are, in the review message's plain text and the completion notice. */
export function decidedSummary(progress: { decided: number; users: number }): string {
  return `${progress.decided} of ${progress.users} decided`;
}

export function rosterCell(text: string, max: number): string {
  return escapeMrkdwn(truncate(stripInvisible(text).replace(/\s+/g, ' '), max));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const TWO_STEP_METHODS = [
  { value: 'app', label: 'Required: authenticator app' },
  { value: 'sms', label: 'Required: SMS' },
  { value: 'sso', label: 'Required: single sign-on (SSO)' },
  { value: 'none', label: 'Not required yet' },
] as const;

function accountItemSection(reviewId: string, item: AccountItem, complete: boolean): SectionBlock {
  const info = ACCOUNT_ITEMS[item.id];
  const status = item.done ? ':white_check_mark:' : ':white_square:';
  const by =
    item.done && item.doneBy
      ? ` — ${userMention(item.doneBy)}${item.doneAt ? ` ${slackDate(item.doneAt)}` : ''}`
      : '';
  const note = item.note ? ` (${escapeMrkdwn(TWO_STEP_WORDS[item.note] ?? item.note)})` : '';
  const block: SectionBlock = section(`${status} *${info.title}*${note}${by}\n${info.hint}`, {
    block_id: `account_${item.id}`,
  });
  if (complete) return block;
  if (item.id === 'two_step_required') {
    const options = TWO_STEP_METHODS.map((method) => ({
      text: plain(method.label, 75),
      value: `${reviewId}|${method.value}`,
    }));
    const selected = item.done
      ? options.find((option) => option.value === `${reviewId}|${item.note}`)
      : undefined;
    block.accessory = {
      type: 'static_select',
      action_id: ACTION_REVIEW_TWO_STEP,
      placeholder: plain('How is it enforced?', 150),
      options,
      ...(selected ? { initial_option: selected } : {}),
    };
  } else {
    block.accessory = item.done
      ? button('Mark not done', ACTION_REVIEW_ACCOUNT_ITEM, `${reviewId}|${item.id}|undo`)
      : button('Mark done', ACTION_REVIEW_ACCOUNT_ITEM, `${reviewId}|${item.id}|done`);
  }
  return block;
}

export function twoStepNote(value: string): string | undefined {
  return value === 'none' ? undefined : value;
}

/** Thread messages listing unreadable roster lines and the changes since the last review. */
export function reviewDetailMessages(review: ReviewView): SlackMessage[] {
  const sections: string[] = [];
  if (review.unreadable.length > 0) {
    let chunk = '*Roster lines that could not be read* (left out; fix and add them if they are users):';
    for (const line of review.unreadable) {
      // The line itself stays out of the channel (it may hold an email); the reviewer has what they pasted.
      const where = line.part ? `box ${line.part}, line ${line.line}` : `line ${line.line}`;
      const text = `\n• ${where}: ${inChannel(line.reason, [])}`;
      if (chunk.length + text.length > 2900) {
        sections.push(chunk);
        chunk = '*Unreadable lines (continued):*';
      }
      chunk += text;
    }
    sections.push(chunk);
  }
  if (review.changes) {
    const { added, removed, roleChanged } = review.changes;
    const lines = [
      ...added.map((user) => `• new: ${rosterCell(channelName(user), 60)}`),
      ...removed.map((user) => `• gone: ${rosterCell(channelName(user), 60)}`),
      ...roleChanged.map((change) => `• role changed: ${rosterCell(channelName(change.user), 60)}`),
    ];
    let chunk = `*Since the previous review:* ${lines.length === 0 ? 'no changes.' : ''}`;
    for (const line of lines) {
      if (chunk.length + line.length + 1 > 2900) {
        sections.push(chunk);
        chunk = '*Changes (continued):*';
      }
      chunk += `\n${line}`;
    }
    sections.push(chunk);
  }
  return packSections(
    sections,
    'Review details',
    '…more than fits here; the user list and the evidence have every user.',
  );
}

/**
 * What the review's thread says about the roster: how many users, and who needs attention, by name
 * and flag. Everyone in the channel can read the thread, so emails, roles and last logins stay in the
 * user list (shown only to the people allowed to decide) and in the evidence.
 */
export function attentionMessages(review: ReviewView): SlackMessage[] {
  const users = review.state.users;
  const flagged = users.filter((user) => user.flags.length > 0);
  const lines = flagged.map(
    (user) =>
      `• ${rosterCell(channelName(user), 60)}: ${user.flags.map((flag) => FLAG_LABELS[flag]).join(', ')}`,
  );
  const sections: string[] = [];
  let chunk = `*The roster: ${plural(users.length, 'user')}, ${flagged.length} flagged.* Emails, roles and last logins are in *Review users*, for the people who decide, and in the evidence.${flagged.length > 0 ? '\n*Needs attention:*' : ''}`;
  for (const line of lines) {
    if (chunk.length + line.length + 1 > 2900) {
      sections.push(chunk);
      chunk = '';
    }
    chunk += `${chunk === '' ? '' : '\n'}${line}`;
  }
  if (chunk !== '') sections.push(chunk);
  return packSections(
    sections,
    `Who needs attention in the review ${review.period}`,
    '…and more: *Flagged* in the review lists every one.',
    2,
  );
}

/**
 * What a follow-up's button carries: its ID names the user by email, and a button's value can be read
 * by anyone in the channel, so the button names it by a digest of the ID instead.
 */
export function followUpRef(followUp: { id: string }): string {
  return createHash('sha256').update(followUp.id).digest('hex').slice(0, 16);
}

/**
 * How the channel names a roster user: by the name in the roster or, without one, by the email with
 * its local part hidden ("j…@shop.example").
 */
export function channelName(user: { name: string; email: string }): string {
  const name = stripInvisible(user.name).trim();
  return name !== '' && !name.includes('@')
    ? truncate(name.replace(/\s+/g, ' '), 60)
    : maskedEmail(user.email);
}

function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? 'a user without a name' : `${email.charAt(0)}…${email.slice(at)}`;
}

const EMAIL = /[^\s@<>()"'`]+@[^\s@<>()"'`]+\.[A-Za-z]{2,}/g;

/**
 * A review's text as the channel reads it, in mrkdwn: roster emails become names, other emails are
 * masked, and whatever came from the roster is shown as text, never as markup.
 */
export function inChannel(text: string, users: readonly { name: string; email: string }[]): string {
  return escapeMrkdwn(withoutEmails(text, users));
}

/** A text for the channel: each roster email in it becomes that user's channel name, any other is masked. */
export function withoutEmails(text: string, users: readonly { name: string; email: string }[]): string {
  let shown = text;
  for (const user of users)
    if (user.email !== '' && shown.includes(user.email))
      shown = shown.split(user.email).join(channelName(user));
  return shown.replace(EMAIL, (email) => maskedEmail(email));
}
