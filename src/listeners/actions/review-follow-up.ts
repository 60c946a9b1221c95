import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { followUpRef } from '../../slack/views/review-message.js';
import type { Services } from '../context.js';

/** "Done in Klaviyo" on a follow-up (a removal or role change someone made in Klaviyo). */
export function reviewFollowUp(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [reviewId = '', ...rest] = (action.value ?? '').split('|');
    const op = rest.pop();
    const ref = rest.join('|');
    // The button names the follow-up by a digest of its ID (which holds the user's email).
    const followUp = services.reviews
      .get(reviewId)
      ?.state.followUps.find((item) => followUpRef(item) === ref);
    await services.reviews.change(
      reviewId,
      { type: 'follow_up', id: followUp?.id ?? ref, done: op === 'done' },
      body.user.id,
    );
  };
}
