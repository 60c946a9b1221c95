import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services, tellUser } from '../context.js';

/** "Re-scan the site" on a checklist: the result lands in its thread and may complete step 2. */
export function rescanForRotation(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await services.rotations.rescan(action.value ?? '', body.user.id);
    await tellUser(
      services,
      audienceOf(body),
      ':mag: Re-scanning the site; the result appears in the checklist’s thread.',
    );
  };
}
