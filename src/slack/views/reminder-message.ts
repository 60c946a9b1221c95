import { actions, button, context, type SlackMessage, section, userMention } from './blocks.js';
import { dayInWords, slackDay, timeAgo } from './dates.js';
import { ACTION_REMINDER_SNOOZE, ACTION_REMINDER_START } from './review-message.js';

/** What became of the review a reminder asked for. */
export type ReminderState =
  | { kind: 'due' }
  | { kind: 'started'; by: string; at: Date }
  | { kind: 'completed'; by: string; at: Date; nextDue: Date };

export interface ReminderView {
  /** The quarter it is about: "2026 Q4". */
  period: string;
  dueAt: Date;
  /** When the reminder was sent: a reminder sent late says by how long the review is overdue. */
  sentAt: Date;
  timeZone: string;
  lastCompletedAt?: Date;
  state: ReminderState;
}

/** A reminder sent this long after the review fell due is a catch-up, and says it is overdue. */
const LATE_AFTER_MS = 3_600_000;

/**
 * The review reminder, through its life: due (or overdue, and by how long) with Start and Snooze; under
 * way once someone starts the review; done, by whom and when, and when the next one is due.
 */
export function reminderMessage(view: ReminderView): SlackMessage {
  const { period, dueAt, timeZone, state } = view;
  const review = `The ${period} Klaviyo security review`;
  if (state.kind === 'completed') {
    const line = `Completed by ${userMention(state.by)} on ${slackDay(state.at, timeZone)}, next due ${slackDay(state.nextDue, timeZone)}.`;
    return {
      text: `${review} is done. Completed by ${userMention(state.by)} on ${dayInWords(state.at, timeZone)}, next due ${dayInWords(state.nextDue, timeZone)}.`,
      blocks: [
        section(`:white_check_mark: *${review} is done.* ${line}`),
        context(`It was due ${slackDay(dueAt, timeZone)}.`),
      ],
    };
  }
  if (state.kind === 'started') {
    return {
      text: `${review} is under way: started by ${userMention(state.by)} on ${dayInWords(state.at, timeZone)}.`,
      blocks: [
        section(
          `:hourglass_flowing_sand: *${review} is under way:* started by ${userMention(state.by)} on ${slackDay(state.at, timeZone)}.`,
        ),
        context(
          `It was due ${slackDay(dueAt, timeZone)}. This message changes when the review is completed.`,
        ),
      ],
    };
  }
  const late = view.sentAt.getTime() - dueAt.getTime() > LATE_AFTER_MS;
  const ago = timeAgo(dueAt, view.sentAt);
  const headline = late
    ? `*${review} is overdue.* It was due ${slackDay(dueAt, timeZone)}, ${ago}.`
    : `*${review} is due* ${slackDay(dueAt, timeZone)}.`;
  const last = view.lastCompletedAt
    ? ` The last review was completed ${slackDay(view.lastCompletedAt, timeZone)}.`
    : '';
  return {
    text: late
      ? `${review} is overdue: it was due ${dayInWords(dueAt, timeZone)}, ${ago}.`
      : `${review} is due ${dayInWords(dueAt, timeZone)}.`,
    blocks: [
      section(
        `:calendar: ${headline} Check who can sign in to Klaviyo and with which role, two-step authentication, and the API keys.${last}`,
      ),
      actions('review_due', [
        button('Start the review', ACTION_REMINDER_START, 'start', { style: 'primary' }),
        button('Snooze a day', `${ACTION_REMINDER_SNOOZE}:day`, 'day'),
        button('Snooze a week', `${ACTION_REMINDER_SNOOZE}:week`, 'week'),
      ]),
    ],
  };
}

/** Why a Snooze click changed nothing: the review it would put off is under way or done. */
export function snoozeRefusal(
  period: string,
  state: Exclude<ReminderState, { kind: 'due' }>,
  timeZone: string,
): string {
  return state.kind === 'completed'
    ? `Nothing to snooze: the ${period} review was completed by ${userMention(state.by)} on ${slackDay(state.at, timeZone)}. The next one is due ${slackDay(state.nextDue, timeZone)}; the bot reminds you then.`
    : `Nothing to snooze: the review is under way (started by ${userMention(state.by)} on ${slackDay(state.at, timeZone)}). No reminder comes while it is open.`;
}
