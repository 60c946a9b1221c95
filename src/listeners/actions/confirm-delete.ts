import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';

/** "I deleted …abcd", confirmed in its dialog: the deletion step is done. */
export function confirmDelete(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await services.rotations.act(
      action.value ?? '',
      { type: 'mark', item: { step: 'delete' }, done: true },
      body.user.id,
    );
  };
}
