import type { App } from '@slack/bolt';
import { chain } from '../chain.js';
import type { Services } from '../context.js';
import { appHomeOpened } from './app-home-opened.js';

export function registerEvents(app: App, services: Services): void {
  app.event(
    'app_home_opened',
    ...chain(services, { what: 'showing App Home', who: 'anyone' }),
    appHomeOpened(services),
  );
}
