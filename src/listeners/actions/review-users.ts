import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { UserFilter } from '../../checklists/review-pages.js';
import { usersModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';

/** "Review users", "Flagged", "All users" on the review: the user list in a modal. */
export function reviewUsers(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [reviewId, filter] = (action.value ?? '').split('|');
    const review = services.reviews.get(reviewId ?? '');
    if (review === undefined) return;
    await services.gateway.openView(
      body.trigger_id,
      usersModal(services.reviews.view(review), (filter ?? 'undecided') as UserFilter, 1),
    );
  };
}
