import type { BlockAction } from '@slack/bolt';
import { isUserFilter } from '../../checklists/review-pages.js';
import { type UsersListState, usersModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';
import { formMetadata } from '../views/metadata.js';

/** Where the user list stands, as its modal carries it in private_metadata (checked by the chain). */
export function listState(body: BlockAction): UsersListState | undefined {
  const state = formMetadata<UsersListState>(body.view?.private_metadata ?? '');
  if (!state.reviewId || !state.origin) return undefined;
  return {
    reviewId: state.reviewId,
    filter: state.filter && isUserFilter(state.filter) ? state.filter : 'undecided',
    page: Number(state.page) || 1,
    origin: state.origin,
  };
}

/**
 * Draws the user list again in its modal, with a new filter or page, and notes under the users a
 * decision could not be made for.
 */
export async function redrawList(
  services: Services,
  body: BlockAction,
  next: Partial<Pick<UsersListState, 'filter' | 'page'>>,
  notes?: ReadonlyMap<number, string>,
  banner?: string,
): Promise<void> {
  const state = listState(body);
  const review = state && services.reviews.get(state.reviewId);
  if (!state || !review || !body.view) return;
  const view = usersModal(
    services.reviews.view(review),
    { filter: next.filter ?? state.filter, page: next.page ?? state.page, origin: state.origin },
    notes,
    banner,
  );
  await services.gateway.updateView(body.view.id, view);
}
