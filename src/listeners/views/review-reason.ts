import { isCheckupError } from '../../errors.js';
import { scrubSecrets } from '../../scan/detector.js';
import {
  BLOCK_REASON,
  INPUT_ACTION,
  type UsersListState,
  usersModal,
} from '../../slack/views/review-modals.js';
import { parseDecisionValue } from '../actions/review-decide.js';
import { answerForm, type FormArgs } from '../chain.js';
import type { Services } from '../context.js';
import { formMetadata } from './metadata.js';

interface ReasonMetadata extends UsersListState {
  index: number;
  decision: string;
}

/** The reason a reviewer gives for a decision on their own account; it goes into the evidence. */
export function reviewReasonSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const reason = scrubSecrets(view.state.values[BLOCK_REASON]?.[INPUT_ACTION]?.value?.trim() ?? '');
    if (reason.length < 3)
      return answerForm(services, args, { [BLOCK_REASON]: 'Give a reason (it goes into the evidence).' });
    const meta = formMetadata<ReasonMetadata>(view.private_metadata);
    const base = parseDecisionValue(meta.decision);
    if (base === undefined || meta.reviewId === undefined || meta.origin === undefined)
      return answerForm(services, args, { [BLOCK_REASON]: 'This form no longer reads; open it again.' });
    const change = { type: 'decide', index: meta.index ?? -1, decision: { ...base, reason } } as const;
    let applied: ReturnType<Services['reviews']['apply']>;
    try {
      applied = services.reviews.apply(meta.reviewId, change, body.user.id);
    } catch (error) {
      if (isCheckupError(error)) return answerForm(services, args, { [BLOCK_REASON]: error.message });
      await answerForm(services, args);
      throw error;
    }
    // Closing this form returns to the user list, which is redrawn with the decision.
    await answerForm(services, args);
    const rootId = view.root_view_id;
    if (rootId && rootId !== view.id) {
      await services.gateway.updateView(
        rootId,
        usersModal(services.reviews.view(applied.after), {
          filter: meta.filter ?? 'undecided',
          page: meta.page ?? 1,
          origin: meta.origin,
        }),
      );
    }
    await services.reviews.publish(applied, change, body.user.id);
  };
}
