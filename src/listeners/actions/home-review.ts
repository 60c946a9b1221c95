import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services } from '../context.js';
import { openReviewForm } from '../review-form.js';

/** "Start the access review" on App Home; the review reports to the review channel. */
export function homeReview(services: Services) {
  return async ({ body }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const channel =
      services.config.review.channel ?? services.reviews.latestCompleted()?.channelId ?? body.user.id;
    await openReviewForm(services, body.trigger_id, channel, audienceOf(body));
  };
}
