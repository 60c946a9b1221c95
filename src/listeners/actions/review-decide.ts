import type { BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Decision } from '../../checklists/review.js';
import { isCheckupError } from '../../errors.js';
import { reasonModal } from '../../slack/views/review-modals.js';
import type { Services } from '../context.js';
import { listState, redrawList } from './users-list.js';

/** A decision as its menu value names it: `keep`, `remove` or `role:<name>`. */
export function parseDecisionValue(kind: string | undefined): Decision | undefined {
  if (kind === 'keep' || kind === 'remove') return { kind };
  if (kind?.startsWith('role:') && kind.length > 5) return { kind: 'change_role', to: kind.slice(5) };
  return undefined;
}

/** A decision's option value: `<index>|keep`, `<index>|remove` or `<index>|role:<name>`. */
export function parseDecision(value: string): { index: number; decision: Decision } | undefined {
  const separator = value.indexOf('|');
  const index = Number(value.slice(0, separator));
  const decision = parseDecisionValue(value.slice(separator + 1));
  if (separator < 1 || !Number.isInteger(index) || decision === undefined) return undefined;
  return { index, decision };
}

/** The words of a refusal as a note under a user: a sentence. */
export function asNote(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

/**
 * A decision on one user in the list; on their own account a reviewer gives a reason first. A
 * decision Klaviyo would not allow (removing the only Owner, say) is explained under that user in
 * the list itself, where the reviewer is looking.
 */
export function reviewDecide(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    const state = listState(body);
    const parsed = parseDecision(action.selected_option.value);
    if (!state || !parsed) return;
    const review = services.reviews.get(state.reviewId);
    const user = review?.state.users[parsed.index];
    if (!review || !user) return;
    if (
      review.state.reviewerEmail !== undefined &&
      user.email === review.state.reviewerEmail &&
      body.user.id === review.state.reviewerSlackUser
    ) {
      const kind = action.selected_option.value.slice(action.selected_option.value.indexOf('|') + 1);
      await services.gateway.pushView(body.trigger_id, reasonModal(parsed.index, kind, user.email, state));
      return;
    }
    const notes = new Map<number, string>();
    try {
      await services.reviews.change(
        review.id,
        { type: 'decide', index: parsed.index, decision: parsed.decision },
        body.user.id,
      );
    } catch (error) {
      if (!isCheckupError(error)) {
        // The list shows the decision as it stands, not the choice that failed.
        await redrawList(services, body, {}).catch(() => undefined);
        throw error;
      }
      notes.set(parsed.index, `Not recorded: ${asNote(error.message)}`);
    }
    await redrawList(services, body, {}, notes);
  };
}
