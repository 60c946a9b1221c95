import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isUserFilter } from '../../checklists/review-pages.js';
import { usersModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';
import { originOf } from '../origin.js';

/** "Review users", "Flagged", "All users" on the review: the user list in a modal. */
export function reviewUsers(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [reviewId, filter = 'undecided'] = (action.value ?? '').split('|');
    const review = services.reviews.get(reviewId ?? '');
    if (review === undefined) return;
    await services.gateway.openView(
      body.trigger_id,
      usersModal(services.reviews.view(review), {
        filter: isUserFilter(filter) ? filter : 'undecided',
        page: 1,
        origin: originOf(services, 'review', body.user.id, review),
      }),
    );
  };
}
