import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { addIntegrationModal } from '../../slack/views/rotation-modals.js';
import type { Services } from '../context.js';
import { originOf } from '../origin.js';

/** "Add an integration": the form for its name and owner. */
export function addIntegration(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const rotation = services.rotations.get(action.value ?? '');
    if (rotation === undefined) return;
    await services.gateway.openView(
      body.trigger_id,
      addIntegrationModal(
        rotation.id,
        rotation.state.key.masked,
        originOf(services, 'rotation', body.user.id, rotation),
      ),
    );
  };
}
