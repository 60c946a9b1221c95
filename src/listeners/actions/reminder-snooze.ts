import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { slackDayAndTime } from '../../slack/views/dates.js';
import { audienceOf, type Services, tellUser } from '../context.js';

/** "Snooze a day" or "a week" on the reminder; after the review started or completed, nothing is snoozed. */
export function reminderSnooze(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const ts = body.container.message_ts ?? body.message?.ts;
    const channelId = body.channel?.id;
    const outcome = services.snoozeReview(
      action.value === 'week' ? 'week' : 'day',
      body.user.id,
      ts !== undefined && channelId !== undefined ? { channelId, ts } : undefined,
    );
    await tellUser(
      services,
      audienceOf(body),
      'until' in outcome
        ? `:zzz: Snoozed: the reminder comes back ${slackDayAndTime(outcome.until, services.config.review.timeZone)}.`
        : `:information_source: ${outcome.refused}`,
    );
  };
}
