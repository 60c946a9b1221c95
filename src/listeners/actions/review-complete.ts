import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';

/** "Complete the review", confirmed in its dialog: the evidence is exported. */
export function reviewComplete(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await services.reviews.change(action.value ?? '', { type: 'complete' }, body.user.id);
  };
}
