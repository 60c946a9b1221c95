import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { homeScanModal } from '../../slack/views/home.js';
import type { Services } from '../context.js';

/** "Scan a site" on App Home: the form that asks for the URL. */
export function homeScan(services: Services) {
  return async ({ body }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const origin = services.forms.seal({ kind: 'home-scan', userId: body.user.id });
    await services.gateway.openView(body.trigger_id, homeScanModal(origin));
  };
}
