import type { App } from '@slack/bolt';
import { chain, helpFor } from '../chain.js';
import type { Services } from '../context.js';
import { REVIEW_COMMAND, reviewCommand, reviewHelp } from './klaviyo-review.js';
import { SCAN_COMMAND, scanCommand, scanHelp } from './klaviyo-scan.js';

export function registerCommands(app: App, services: Services): void {
  app.command(
    SCAN_COMMAND,
    ...chain(services, { what: 'starting the scan', who: 'members' }, helpFor(services, scanHelp)),
    scanCommand(services),
  );
  app.command(
    REVIEW_COMMAND,
    ...chain(services, { what: 'opening the review form', who: 'members' }, helpFor(services, reviewHelp)),
    reviewCommand(services),
  );
}
