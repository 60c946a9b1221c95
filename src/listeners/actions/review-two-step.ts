import type { BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { twoStepNote } from '../../slack/views/review-message.js';
import type { Services } from '../context.js';

/** How two-step authentication is enforced: any method completes the item, "not required yet" reopens it. */
export function reviewTwoStep(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    const [reviewId, method] = action.selected_option.value.split('|');
    const note = twoStepNote(method ?? 'none');
    await services.reviews.change(
      reviewId ?? '',
      { type: 'account_item', id: 'two_step_required', done: note !== undefined, ...(note ? { note } : {}) },
      body.user.id,
    );
  };
}
