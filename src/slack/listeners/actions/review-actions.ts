import type { App, BlockAction, BlockButtonAction, BlockStaticSelectAction } from '@slack/bolt';
import type { AccountItemId, Decision, UserFilter } from '../../../checklists/review.js';
import type { ReviewChange } from '../../../services/review-service.js';
import { audienceOf, ensureAllowed, handleListenerError, type Services, tellUser } from '../../context.js';
import {
  ACTION_REMINDER_SNOOZE,
  ACTION_REMINDER_START,
  ACTION_REVIEW_ACCOUNT_ITEM,
  ACTION_REVIEW_COMPLETE,
  ACTION_REVIEW_DECIDE,
  ACTION_REVIEW_FILTER,
  ACTION_REVIEW_FOLLOW_UP,
  ACTION_REVIEW_PAGE,
  ACTION_REVIEW_TWO_STEP,
  ACTION_REVIEW_USERS,
  reasonModal,
  twoStepNote,
  usersModal,
} from '../../views/review-views.js';
import { openReviewForm } from '../commands/klaviyo-review.js';

interface ModalState {
  reviewId: string;
  filter: UserFilter;
  page: number;
}

function modalState(body: BlockAction): ModalState | undefined {
  try {
    const state = JSON.parse(body.view?.private_metadata ?? '') as Partial<ModalState>;
    return state.reviewId
      ? { reviewId: state.reviewId, filter: state.filter ?? 'undecided', page: state.page ?? 1 }
      : undefined;
  } catch {
    return undefined;
  }
}

function parseDecision(value: string): { index: number; decision: Decision } | undefined {
  const [index, kind] = value.split('|');
  const number = Number(index);
  if (!Number.isInteger(number) || kind === undefined) return undefined;
  if (kind === 'keep' || kind === 'remove') return { index: number, decision: { kind } };
  if (kind.startsWith('role:'))
    return { index: number, decision: { kind: 'change_role', to: kind.slice(5) } };
  return undefined;
}

/** The review's controls: the user pages (a modal per person), decisions, follow-ups, account items, completion. */
export function registerReviewActions(app: App, services: Services): void {
  const change = async (body: BlockAction, reviewId: string, update: ReviewChange) => {
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      await services.reviews.change(reviewId, update, body.user.id);
    } catch (error) {
      await handleListenerError(services, audience, error, 'updating the review');
    }
  };

  app.action<BlockButtonAction>(new RegExp(`^${ACTION_REVIEW_USERS}`), async ({ ack, body, action }) => {
    await ack();
    const [reviewId, filter] = (action.value ?? '').split('|');
    const review = services.reviews.get(reviewId ?? '');
    if (review === undefined) return;
    try {
      await services.gateway.openView(
        body.trigger_id,
        usersModal(services.reviews.view(review), (filter ?? 'undecided') as UserFilter, 1),
      );
    } catch (error) {
      await handleListenerError(services, audienceOf(body), error, 'opening the user list');
    }
  });

  const redraw = async (body: BlockAction, next: Partial<ModalState>) => {
    const state = modalState(body);
    const review = state && services.reviews.get(state.reviewId);
    if (!state || !review || !body.view) return;
    const view = usersModal(
      services.reviews.view(review),
      next.filter ?? state.filter,
      next.page ?? state.page,
    );
    await services.gateway.updateView(body.view.id, view);
  };

  app.action<BlockStaticSelectAction>(ACTION_REVIEW_FILTER, async ({ ack, body, action }) => {
    await ack();
    await redraw(body, { filter: action.selected_option.value as UserFilter, page: 1 }).catch(
      (error: unknown) => handleListenerError(services, audienceOf(body), error, 'changing the filter'),
    );
  });

  app.action<BlockButtonAction>(new RegExp(`^${ACTION_REVIEW_PAGE}`), async ({ ack, body, action }) => {
    await ack();
    await redraw(body, { page: Number(action.value) || 1 }).catch((error: unknown) =>
      handleListenerError(services, audienceOf(body), error, 'turning the page'),
    );
  });

  app.action<BlockStaticSelectAction>(ACTION_REVIEW_DECIDE, async ({ ack, body, action }) => {
    await ack();
    const state = modalState(body);
    const parsed = parseDecision(action.selected_option.value);
    if (!state || !parsed) return;
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      const review = services.reviews.get(state.reviewId);
      const user = review?.state.users[parsed.index];
      if (!review || !user) return;
      // A reviewer deciding on their own account gives a reason first.
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
      await redraw(body, {});
    } catch (error) {
      await handleListenerError(services, audience, error, 'recording the decision');
      await redraw(body, {}).catch(() => undefined);
    }
  });

  app.action<BlockButtonAction>(ACTION_REVIEW_FOLLOW_UP, async ({ ack, body, action }) => {
    await ack();
    const [reviewId, ...rest] = (action.value ?? '').split('|');
    const op = rest.pop();
    await change(body, reviewId ?? '', { type: 'follow_up', id: rest.join('|'), done: op === 'done' });
  });

  app.action<BlockButtonAction>(ACTION_REVIEW_ACCOUNT_ITEM, async ({ ack, body, action }) => {
    await ack();
    const [reviewId, id, op] = (action.value ?? '').split('|');
    await change(body, reviewId ?? '', {
      type: 'account_item',
      id: id as AccountItemId,
      done: op === 'done',
    });
  });

  app.action<BlockStaticSelectAction>(ACTION_REVIEW_TWO_STEP, async ({ ack, body, action }) => {
    await ack();
    const [reviewId, method] = action.selected_option.value.split('|');
    const note = twoStepNote(method ?? 'none');
    await change(body, reviewId ?? '', {
      type: 'account_item',
      id: 'two_step_required',
      done: note !== undefined,
      ...(note ? { note } : {}),
    });
  });

  app.action<BlockButtonAction>(ACTION_REVIEW_COMPLETE, async ({ ack, body, action }) => {
    await ack();
    await change(body, action.value ?? '', { type: 'complete' });
  });

  app.action<BlockButtonAction>(ACTION_REMINDER_START, async ({ ack, body }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      await openReviewForm(services, body.trigger_id, body.channel?.id ?? body.user.id, audience);
    } catch (error) {
      await handleListenerError(services, audience, error, 'opening the review form');
    }
  });

  app.action<BlockButtonAction>(new RegExp(`^${ACTION_REMINDER_SNOOZE}:`), async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    if (!(await ensureAllowed(services, audience))) return;
    const until = services.snoozeReview(action.value === 'week' ? 'week' : 'day', body.user.id);
    await tellUser(
      services,
      audience,
      `:zzz: Snoozed: the reminder comes back <!date^${Math.floor(until.getTime() / 1000)}^{date_short_pretty} {time}|${until.toISOString()}>.`,
    );
  });
}
