import type { BlockAction } from '@slack/bolt';
import type { UserFilter } from '../../checklists/review-pages.js';
import { usersModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';

/** Where the user list stands, as its modal carries it in private_metadata. */
export interface ListState {
  reviewId: string;
  filter: UserFilter;
  page: number;
}

export function listState(body: BlockAction): ListState | undefined {
  try {
    const state = JSON.parse(body.view?.private_metadata ?? '') as Partial<ListState>;
    return state.reviewId
      ? { reviewId: state.reviewId, filter: state.filter ?? 'undecided', page: state.page ?? 1 }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Draws the user list again in its modal, with a new filter or page. */
export async function redrawList(
  services: Services,
  body: BlockAction,
  next: Partial<ListState>,
): Promise<void> {
  const state = listState(body);
  const review = state && services.reviews.get(state.reviewId);
  if (!state || !review || !body.view) return;
  const view = usersModal(
    services.reviews.view(review),
    next.filter ?? state.filter,
    next.page ?? state.page,
  );
  await services.gateway.updateView(body.view.id, view);
}
