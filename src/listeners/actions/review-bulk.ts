import type { BlockButtonAction, BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ReviewChange, SkippedUser } from '../../checklists/review.js';
import { isCheckupError } from '../../errors.js';
import type { Services } from '../context.js';
import { asNote, parseDecisionValue } from './review-decide.js';
import { listState, redrawList } from './users-list.js';

/** "Decide the 15 shown…": one decision for every user on the page, each recorded as if decided alone. */
export function reviewDecidePage(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    const [kind, list = ''] = action.selected_option.value.split('|');
    const decision = parseDecisionValue(kind);
    const indexes = list
      .split(',')
      .map(Number)
      .filter((index) => Number.isInteger(index) && index >= 0);
    if (decision === undefined || indexes.length === 0) return;
    await decideInBulk(services, body, { type: 'decide_many', indexes, decision });
  };
}

/** "Keep all N unflagged": every undecided user without a flag is kept, in one step. */
export function reviewKeepUnflagged(services: Services) {
  return async ({ body }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await decideInBulk(services, body, { type: 'keep_unflagged' });
  };
}

async function decideInBulk(
  services: Services,
  body: Parameters<typeof listState>[0],
  change: ReviewChange,
): Promise<void> {
  const state = listState(body);
  if (state === undefined) return;
  try {
    const applied = await services.reviews.change(state.reviewId, change, body.user.id);
    await redrawList(services, body, {}, notesFor(applied.skipped));
  } catch (error) {
    if (!isCheckupError(error)) throw error;
    // Told in the list, where the reviewer is looking, not in a message elsewhere.
    await redrawList(services, body, {}, new Map(), `Nothing was decided: ${asNote(error.message)}`);
  }
}

function notesFor(skipped: SkippedUser[]): Map<number, string> {
  return new Map(skipped.map((user) => [user.index, `Not decided with the others: ${asNote(user.reason)}`]));
}
