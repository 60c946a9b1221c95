import type { Decision } from '../../checklists/review.js';
import type { UserFilter } from '../../checklists/review-pages.js';
import { scrubSecrets } from '../../scan/detector.js';
import { BLOCK_REASON, INPUT_ACTION, usersModal } from '../../slack/views/review-modals.js';
import { answerForm, type FormArgs } from '../chain.js';
import type { Services } from '../context.js';
import { formMetadata } from './metadata.js';

interface ReasonMetadata {
  reviewId: string;
  index: number;
  decision: string;
  filter: UserFilter;
  page: number;
}

/** The reason a reviewer gives for a decision on their own account; it goes into the evidence. */
export function reviewReasonSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const reason = scrubSecrets(view.state.values[BLOCK_REASON]?.[INPUT_ACTION]?.value?.trim() ?? '');
    if (reason.length < 3)
      return answerForm(services, args, { [BLOCK_REASON]: 'Give a reason (it goes into the evidence).' });
    const meta = formMetadata<ReasonMetadata>(view.private_metadata);
    const [, kind] = (meta.decision ?? '').split('|');
    const base: Decision =
      kind === 'keep' || kind === 'remove'
        ? { kind }
        : { kind: 'change_role', to: (kind ?? '').replace(/^role:/, '') };
    const change = { type: 'decide', index: meta.index ?? -1, decision: { ...base, reason } } as const;
    let applied: ReturnType<Services['reviews']['apply']>;
    try {
      applied = services.reviews.apply(meta.reviewId ?? '', change, body.user.id);
    } catch (error) {
      return answerForm(services, args, {
        [BLOCK_REASON]: error instanceof Error ? error.message : 'Not recorded',
      });
    }
    // Closing this form returns to the user list, which is redrawn with the decision.
    await answerForm(services, args);
    const rootId = view.root_view_id;
    if (rootId && rootId !== view.id) {
      await services.gateway.updateView(
        rootId,
        usersModal(services.reviews.view(applied.after), meta.filter ?? 'undecided', meta.page ?? 1),
      );
    }
    await services.reviews.publish(applied, change, body.user.id);
  };
}
