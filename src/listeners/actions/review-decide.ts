import type { BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Decision } from '../../checklists/review.js';
import { reasonModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';
import { listState, redrawList } from './users-list.js';

/** A decision's option value: `<index>|keep`, `<index>|remove` or `<index>|role:<name>`. */
export function parseDecision(value: string): { index: number; decision: Decision } | undefined {
  const [index, kind] = value.split('|');
  const number = Number(index);
  if (!Number.isInteger(number) || kind === undefined) return undefined;
  if (kind === 'keep' || kind === 'remove') return { index: number, decision: { kind } };
  if (kind.startsWith('role:'))
    return { index: number, decision: { kind: 'change_role', to: kind.slice(5) } };
  return undefined;
}

/** A decision on one user in the list; on their own account a reviewer gives a reason first. */
export function reviewDecide(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    const state = listState(body);
    const parsed = parseDecision(action.selected_option.value);
    if (!state || !parsed) return;
    try {
      const review = services.reviews.get(state.reviewId);
      const user = review?.state.users[parsed.index];
      if (!review || !user) return;
      if (
        review.state.reviewerEmail !== undefined &&
        user.email === review.state.reviewerEmail &&
        body.user.id === review.state.reviewerSlackUser
      ) {
        await services.gateway.pushView(
          body.trigger_id,
          reasonModal(review.id, parsed.index, action.selected_option.value, user.email, {
            filter: state.filter,
            page: state.page,
          }),
        );
        return;
      }
      await services.reviews.change(
        review.id,
        { type: 'decide', index: parsed.index, decision: parsed.decision },
        body.user.id,
      );
      await redrawList(services, body, {});
    } catch (error) {
      // The list shows the decision as it stands, not the choice that was refused.
      await redrawList(services, body, {}).catch(() => undefined);
      throw error;
    }
  };
}
