import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services, tellUser } from '../context.js';

/** "Snooze a day" or "a week" on the reminder. */
export function reminderSnooze(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const until = services.snoozeReview(action.value === 'week' ? 'week' : 'day', body.user.id);
    await tellUser(
      services,
      audienceOf(body),
      `:zzz: Snoozed: the reminder comes back <!date^${Math.floor(until.getTime() / 1000)}^{date_short_pretty} {time}|${until.toISOString()}>.`,
    );
  };
}
