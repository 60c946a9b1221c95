import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services } from '../context.js';
import { openReviewForm } from '../review-form.js';

/** "Start the review" on the reminder: the form that starts it. */
export function reminderStart(services: Services) {
  return async ({ body }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await openReviewForm(services, body.trigger_id, body.channel?.id ?? body.user.id, audienceOf(body));
  };
}
