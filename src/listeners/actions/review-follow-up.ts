import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';

/** "Done in Klaviyo" on a follow-up (a removal or role change someone made in Klaviyo). */
export function reviewFollowUp(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [reviewId, ...rest] = (action.value ?? '').split('|');
    const op = rest.pop();
    await services.reviews.change(
      reviewId ?? '',
      { type: 'follow_up', id: rest.join('|'), done: op === 'done' },
      body.user.id,
    );
  };
}
