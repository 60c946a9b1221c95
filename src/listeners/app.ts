import { App, LogLevel, webApi } from '@slack/bolt';
import type { Config } from '../config.js';
import { boltLogger, type LogLevel as Level, type Logger } from '../log.js';
import { registerActions } from './actions/index.js';
import { replyToError } from './chain.js';
import { registerCommands } from './commands/index.js';
import type { Services } from './context.js';
import { registerEvents } from './events/index.js';
import { registerViews } from './views/index.js';

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
    // One error handler gets each request's context, to answer the person (see listeners/chain.ts).
    extendedErrorHandler: true,
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
  return app;
}

/**
 * The Web API client of the gateway (src/slack/gateway.ts): it makes each call once and hands every
 * failure back, a 429 included, since the gateway decides what is tried again and when. Bolt keeps its
 * own client for its own calls (auth.test).
 */
export function createWebClient(config: Config, log: Logger): webApi.WebClient {
  const level = BOLT_LEVELS[config.logLevel];
  return new webApi.WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // A stalled call would hold every message queued behind it; after 10 s it fails and the gateway
    // decides (an update is tried again, a post whose fate is unknown is not).
    timeout: 10_000,
    logger: boltLogger(log.child({ component: 'slack-web-api' }), level),
    logLevel: level,
  });
}

/** Each folder registers its own listeners; this only wires them, and the one error handler. */
export function registerListeners(app: App, services: Services): void {
  registerCommands(app, services);
  registerActions(app, services);
  registerViews(app, services);
  registerEvents(app, services);
  app.error(replyToError(services));
}
