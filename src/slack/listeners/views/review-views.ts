import type { App, ViewSubmitAction } from '@slack/bolt';
import type { Decision, UserFilter } from '../../../checklists/review.js';
import { isCheckupError } from '../../../errors.js';
import { scrubSecrets } from '../../../scan/detector.js';
import { ensureAllowed, handleListenerError, type Services, tellUser } from '../../context.js';
import {
  BLOCK_REASON,
  BLOCK_ROSTER_FILE,
  BLOCK_USE_PREVIOUS,
  INPUT_ACTION,
  ROSTER_BLOCKS,
  usersModal,
  VIEW_REVIEW_REASON,
  VIEW_REVIEW_START,
} from '../../views/review-views.js';

/** The review's forms: the start form (roster in), and the reason for a decision on one's own account. */
export function registerReviewViews(app: App, services: Services): void {
  app.view<ViewSubmitAction>(VIEW_REVIEW_START, async ({ ack, body, view }) => {
    const values = view.state.values;
    const parts = ROSTER_BLOCKS.map((block) => values[block]?.[INPUT_ACTION]?.value ?? '');
    const files =
      (values[BLOCK_ROSTER_FILE]?.[INPUT_ACTION] as { files?: { id: string }[] } | undefined)?.files ?? [];
    const usePrevious = (values[BLOCK_USE_PREVIOUS]?.[INPUT_ACTION]?.selected_options ?? []).length > 0;
    if (parts.every((part) => part.trim() === '') && files.length === 0 && !usePrevious) {
      await ack({
        response_action: 'errors',
        errors: { [ROSTER_BLOCKS[0]]: 'Paste the roster, attach a file, or start from the previous roster.' },
      });
      return;
    }
    // Reading a file and posting can take longer than Slack waits for this answer: close the form now.
    await ack();
    let channelId = body.user.id;
    try {
      channelId = (JSON.parse(view.private_metadata) as { channelId?: string }).channelId ?? body.user.id;
    } catch {
      // A form without metadata reports to the person's direct messages.
    }
    const audience = { userId: body.user.id, channelId };
    try {
      if (!(await ensureAllowed(services, audience))) return;
      await services.reviews.start({
        userId: body.user.id,
        channelId,
        parts,
        ...(files[0] ? { fileId: files[0].id } : {}),
        usePrevious,
      });
    } catch (error) {
      if (isCheckupError(error)) {
        await tellUser(
          services,
          { userId: body.user.id },
          `:warning: The review was not started: ${error.message}`,
        );
        return;
      }
      await handleListenerError(services, { userId: body.user.id }, error, 'starting the review');
    }
  });

  app.view<ViewSubmitAction>(VIEW_REVIEW_REASON, async ({ ack, body, view }) => {
    const reason = scrubSecrets(view.state.values[BLOCK_REASON]?.[INPUT_ACTION]?.value?.trim() ?? '');
    if (reason.length < 3) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK_REASON]: 'Give a reason (it goes into the evidence).' },
      });
      return;
    }
    const meta = JSON.parse(view.private_metadata) as {
      reviewId: string;
      index: number;
      decision: string;
      filter?: UserFilter;
      page?: number;
    };
    const [, kind] = meta.decision.split('|');
    const base: Decision =
      kind === 'keep' || kind === 'remove'
        ? { kind }
        : { kind: 'change_role', to: (kind ?? '').replace(/^role:/, '') };
    const decision: Decision = { ...base, reason };
    let applied: ReturnType<Services['reviews']['apply']>;
    try {
      applied = services.reviews.apply(
        meta.reviewId,
        { type: 'decide', index: meta.index, decision },
        body.user.id,
      );
    } catch (error) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK_REASON]: (error instanceof Error ? error.message : 'Not recorded').slice(0, 150) },
      });
      return;
    }
    // Closing this form returns to the user list, which is redrawn with the decision.
    await ack();
    try {
      const rootId = (body.view as { root_view_id?: string }).root_view_id;
      if (rootId && rootId !== view.id) {
        await services.gateway.updateView(
          rootId,
          usersModal(services.reviews.view(applied.after), meta.filter ?? 'undecided', meta.page ?? 1),
        );
      }
      await services.reviews.publish(applied, { type: 'decide', index: meta.index, decision }, body.user.id);
    } catch (error) {
      await handleListenerError(services, { userId: body.user.id }, error, 'updating the review');
    }
  });
}
