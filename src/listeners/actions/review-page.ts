import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';
import { redrawList } from './users-list.js';

/** "Previous" and "Next" in the user list. */
export function reviewPage(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await redrawList(services, body, { page: Number(action.value) || 1 });
  };
}
