import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services, tellLink, tellUser } from '../context.js';

/** "Open rotation" on a finding: a link to its checklist. */
export function openRotation(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const rotation = services.rotations.get(action.value ?? '');
    if (rotation === undefined) {
      await tellUser(services, audienceOf(body), 'That rotation no longer exists.');
      return;
    }
    await tellLink(services, audienceOf(body), rotation, 'The rotation checklist is open');
  };
}
