import type { BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { UserFilter } from '../../checklists/review-pages.js';
import type { Services } from '../context.js';
import { redrawList } from './users-list.js';

/** The user list's filter: undecided, flagged, decided, all. */
export function reviewFilter(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    await redrawList(services, body, { filter: action.selected_option.value as UserFilter, page: 1 });
  };
}
