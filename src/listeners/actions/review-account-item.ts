import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AccountItemId } from '../../checklists/review.js';
import type { Services } from '../context.js';

/** "Mark done" and "Mark not done" on an account item (API keys reviewed, activity log checked). */
export function reviewAccountItem(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [reviewId, id, op] = (action.value ?? '').split('|');
    await services.reviews.change(
      reviewId ?? '',
      { type: 'account_item', id: id as AccountItemId, done: op === 'done' },
      body.user.id,
    );
  };
}
