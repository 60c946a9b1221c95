import type { SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Services } from '../context.js';

/** App Home opened: what is open for the person looking. */
export function appHomeOpened(services: Services) {
  return async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'>): Promise<void> => {
    if (event.tab !== 'home') return;
    await services.home
      .publish(event.user)
      .catch((error: unknown) => services.log.warn('could not publish App Home', { error: String(error) }));
  };
}
