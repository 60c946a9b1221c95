import { App, LogLevel } from '@slack/bolt';
import type { Config } from '../config.js';
import { boltLogger, type LogLevel as Level, type Logger } from '../log.js';
import type { Services } from './context.js';
import { registerReviewActions } from './listeners/actions/review-actions.js';
import { registerRotationActions } from './listeners/actions/rotation-actions.js';
import { registerScanActions } from './listeners/actions/scan-actions.js';
import { registerReviewCommand } from './listeners/commands/klaviyo-review.js';
import { registerScanCommand } from './listeners/commands/klaviyo-scan.js';
import { registerAppHome } from './listeners/events/app-home.js';
import { registerReviewViews } from './listeners/views/review-views.js';
import { registerRotationViews } from './listeners/views/rotation-views.js';

const BOLT_LEVELS: Record<Level, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

/**
 * The Bolt app: HTTP mode on POST /slack/events with signature checks (and GET /healthz), or Socket
 * Mode when an app-level token is set. The Web API client points at SLACK_API_URL.
 */
export function createSlackApp(config: Config, log: Logger): App {
  const level = BOLT_LEVELS[config.logLevel];
  const slack = config.slack;
  const common = {
    token: slack.botToken,
    logger: boltLogger(log.child({ component: 'bolt' }), level),
    logLevel: level,
    clientOptions: { slackApiUrl: slack.apiUrl },
  };
  const app =
    slack.appToken !== undefined
      ? new App({ ...common, socketMode: true, appToken: slack.appToken })
      : new App({
          ...common,
          signingSecret: slack.signingSecret,
          customRoutes: [
            {
              path: '/healthz',
              method: ['GET'],
              handler: (_req, res) => {
                res.writeHead(200, { 'content-type': 'application/json' });
                res.end('{"ok":true}');
              },
            },
          ],
        });
  // Listeners handle their own errors (see slack/context.ts); this catches anything that escapes.
  app.error(async (error) => {
    log.error('unhandled Slack listener error', { error });
  });
  return app;
}

/** Each folder's listeners register themselves; this only wires them. */
export function registerListeners(app: App, services: Services): void {
  registerScanCommand(app, services);
  registerScanActions(app, services);
  registerRotationActions(app, services);
  registerRotationViews(app, services);
  registerReviewCommand(app, services);
  registerReviewActions(app, services);
  registerReviewViews(app, services);
  registerAppHome(app, services);
}
