import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';

/** "Check now": Klaviyo is asked about the kept key and the site is re-scanned. */
export function checkNow(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await services.rotations.checkNow(action.value ?? '', body.user.id);
  };
}
