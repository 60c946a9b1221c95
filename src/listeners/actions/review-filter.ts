import type { BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isUserFilter } from '../../checklists/review-pages.js';
import type { Services } from '../context.js';
import { redrawList } from './users-list.js';

/** The user list's filter: undecided, flagged, decided, all, or the undecided users with one flag. */
export function reviewFilter(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockStaticSelectAction>): Promise<void> => {
    const filter = action.selected_option.value;
    await redrawList(services, body, { filter: isUserFilter(filter) ? filter : 'undecided', page: 1 });
  };
}
