import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { type Config, ConfigError, loadConfig, readEnvironment } from './config.js';
import { createLivenessChecker } from './klaviyo/liveness.js';
import { createSlackApp, createWebClient, registerListeners } from './listeners/app.js';
import { InFlight } from './listeners/in-flight.js';
import { createLogger, type Logger } from './log.js';
import { nextOccurrence } from './schedule/cron.js';
import { AccessPolicy } from './services/access.js';
import { HomeService } from './services/home.js';
import { KeyRetention } from './services/key-retention.js';
import { MessageReconciler } from './services/message-reconciler.js';
import { Scheduler } from './services/reminders.js';
import { ReviewService } from './services/review-service.js';
import { RotationService } from './services/rotation-service.js';
import { ScanService } from './services/scan-service.js';
import { WatchService } from './services/watch-service.js';
import { type RetryPolicy, SlackGateway } from './slack/gateway.js';
import { AuditLog, RequestLedger } from './store/audit.js';
import { openDatabase } from './store/database.js';
import { ExposedKeyRepository } from './store/exposed-keys.js';
import { FormSeal } from './store/form-seal.js';
import { type KeyKeeper, MemoryKeyKeeper, SealedKeyKeeper } from './store/key-keeper.js';
import { KeyVault } from './store/key-vault.js';
import { ReminderRepository, ReviewRepository } from './store/reviews.js';
import { RotationRepository } from './store/rotations.js';
import { ScanRepository } from './store/scans.js';
import { SlackMessageRepository } from './store/slack-messages.js';
import { WatchedSiteRepository } from './store/watched-sites.js';

export interface RunningBot {
  config: Config;
  scheduler: Scheduler;
  /** One reconciler pass now: messages left behind are drawn again (it also runs every 10 s). */
  reconcile(): Promise<number>;
  /**
   * Resolves when every request's handler has finished and every update it made has reached Slack
   * (or failed): what tests wait for instead of a pause.
   */
  idle(): Promise<void>;
  /** One sweep of key copies now (it also runs every 10 s); returns how many were wiped. */
  sweepKeys(): number;
  /** HTTP mode: the port Slack sends requests to. */
  port?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The variables to read; unset: the process environment over `.env` in the working directory. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go (tests capture them). */
  writeLog?: (line: string) => void;
  /** HTTP mode: the interface to listen on; all interfaces by default. */
  host?: string;
  /** False: reminders are not ticked every minute (tests drive `scheduler.tick` with their own clock). */
  scheduler?: boolean;
  /** The clock of reviews, reminders and checklists (tests move it across quarter boundaries). */
  now?: () => Date;
  /** How often messages left behind are drawn again and key copies swept (10 s; tests pass less). */
  upkeepEveryMs?: number;
  /** The gateway's retries of failed Slack calls (tests wait less between them). */
  slackRetry?: Partial<RetryPolicy>;
}

/** Composition root: config → database → Slack app → services → listeners → start. */
export async function startBot(options: StartOptions = {}): Promise<RunningBot> {
  const environment = options.env ? { env: options.env } : readEnvironment();
  const config = loadConfig(environment.env);
  const log: Logger = createLogger(config.logLevel, options.writeLog);
  const db = openDatabase(config.databasePath);
  const scanStore = new ScanRepository(db);
  const keys = new ExposedKeyRepository(db);
  const rotationStore = new RotationRepository(db);
  const audit = new AuditLog(db);
  const ledger = new RequestLedger(db);
  const keeper: KeyKeeper = config.keyEncryptionKey
    ? new SealedKeyKeeper(new KeyVault(config.keyEncryptionKey), keys)
    : new MemoryKeyKeeper();
  const liveness = createLivenessChecker({
    apiUrl: config.klaviyo.apiUrl,
    revision: config.klaviyo.revision,
  });
  const now = options.now ?? (() => new Date());

  const app = createSlackApp(config, log);
  const gateway = new SlackGateway(createWebClient(config, log), {
    botToken: config.slack.botToken,
    log,
    ...(options.slackRetry ? { retry: options.slackRetry } : {}),
  });
  const reconciler = new MessageReconciler({
    messages: new SlackMessageRepository(db),
    gateway,
    log,
    now,
    ...(options.upkeepEveryMs === undefined ? {} : { everyMs: options.upkeepEveryMs }),
  });
  const retention = new KeyRetention({
    keeper,
    rotations: rotationStore,
    log,
    now,
    ...(options.upkeepEveryMs === undefined ? {} : { everyMs: options.upkeepEveryMs }),
  });
  // Before anything can start a scan or a rotation: no copy outlives the restart unless a rotation needs it.
  retention.start();
  let rotations: RotationService | undefined;
  const scans = new ScanService({
    scans: scanStore,
    keys,
    rotations: rotationStore,
    gateway,
    log,
    liveness,
    keeper,
    reconciler,
    scanOptions: config.scan,
    now,
    onFinished: (scan, report, statuses) =>
      rotations?.onScanFinished(scan, report, statuses) ?? Promise.resolve(),
  });
  rotations = new RotationService({
    db,
    rotations: rotationStore,
    scans: scanStore,
    keys,
    audit,
    gateway,
    liveness,
    keeper,
    log,
    now,
    rescan: (rotation, userId) => scans.scanQuietly(rotation.target, rotation.channelId, userId),
    refreshScan: (scanId) => scans.refreshMessage(scanId),
    reconciler,
  });
  let scheduler: Scheduler | undefined;
  const reviews = new ReviewService({
    db,
    reviews: new ReviewRepository(db),
    audit,
    gateway,
    log,
    config,
    now,
    onStartedOrCompleted: () => scheduler?.refreshReminders() ?? Promise.resolve(),
    reconciler,
  });
  const watched = new WatchService({
    db,
    sites: new WatchedSiteRepository(db),
    audit,
    log,
    config,
    now,
  });
  const seeded = watched.seed();
  if (seeded > 0) log.info('configured sites added to the watched sites', { count: seeded });
  const reminders = new ReminderRepository(db);
  scheduler = new Scheduler({
    config,
    log,
    gateway,
    reminders,
    reviews,
    rotations,
    scans,
    scanStore,
    watched,
    reconciler,
    now,
  });
  const access = new AccessPolicy(config.access, gateway, log);
  const home = new HomeService({
    gateway,
    rotations,
    reviews,
    scans: scanStore,
    access,
    settings: {
      keysKept: config.keyEncryptionKey ? 'sealed' : 'memory',
      restricted: access.restricted,
      reviewSchedule: config.review.schedule.expression,
    },
    watched,
    nextRescan: (after) => nextOccurrence(config.rescan.schedule, after, config.review.timeZone),
    now,
  });
  const inFlight = new InFlight();
  registerListeners(app, {
    config,
    log,
    gateway,
    scans,
    rotations,
    reviews,
    home,
    watched,
    access,
    ledger,
    forms: new FormSeal(db),
    now,
    isReminder: (channelId, ts) => reminders.messageAt(channelId, ts) !== undefined,
    inFlight,
    snoozeReview: (choice, userId, message) => {
      const outcome = scheduler.snooze(choice, message);
      if ('until' in outcome)
        log.info('review reminder snoozed', { until: outcome.until.toISOString(), userId });
      return outcome;
    },
  });

  const interrupted = await scans.recoverInterrupted();
  if (interrupted > 0)
    log.info('marked scans cut off by the last stop as interrupted', { count: interrupted });
  ledger.prune(new Date(now().getTime() - 7 * 86_400_000).toISOString());

  let port: number | undefined;
  let healthServer: Server | undefined;
  if (config.slack.appToken !== undefined) {
    await app.start();
    // Socket Mode needs no HTTP server, but container health checks still ask GET /healthz.
    healthServer = createServer((req, res) => {
      const found = req.method === 'GET' && req.url === '/healthz';
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' }).end(`{"ok":${found}}`);
    });
    await new Promise<void>((resolve) => healthServer?.listen(config.port, options.host, resolve));
    port = (healthServer.address() as AddressInfo).port;
  } else {
    const server = (await app.start({
      port: config.port,
      ...(options.host ? { host: options.host } : {}),
    })) as Server;
    port = (server.address() as AddressInfo).port;
  }
  log.info(listeningLine(config, port, options.host), {
    mode: config.slack.appToken === undefined ? 'http' : 'socket',
    port,
    ...(environment.file === undefined ? {} : { envFile: environment.file }),
  });

  if (options.scheduler !== false) scheduler.start();
  // After the interrupted scans have said so: whatever a fault or the last stop left behind is drawn again.
  reconciler.start();

  let stopped = false;
  return {
    config,
    scheduler,
    reconcile: () => reconciler.reconcile(),
    idle: async () => {
      await inFlight.idle();
      await gateway.settle();
    },
    sweepKeys: () => retention.sweep(),
    ...(port === undefined ? {} : { port }),
    async stop() {
      if (stopped) return;
      stopped = true;
      log.info('stopping: no new work; running scans are marked interrupted');
      // Updates still failing are left for the next start's reconciler rather than waited for: each
      // is sent once from here on, so a Slack outage cannot hold the shutdown past its grace period.
      gateway.stopRetrying();
      // Scans first: a scheduled re-scan in a tick is interrupted rather than waited for.
      const scansStopped = scans.shutdown();
      retention.stop();
      await reconciler.stop();
      await scheduler.stop();
      await app.stop().catch((error: unknown) => log.warn('error while stopping the Slack app', { error }));
      healthServer?.close();
      await scansStopped;
      await gateway.settle();
      db.close();
      log.info('stopped');
    },
  };
}

/** Where the bot listens, and in which mode: the first thing an operator looks for. */
function listeningLine(config: Config, port: number, host = 'all interfaces'): string {
  return config.slack.appToken === undefined
    ? `listening in HTTP mode on port ${port} (${host}): Slack sends to POST /slack/events; GET /healthz`
    : `connected to Slack in Socket Mode; GET /healthz on port ${port} (${host})`;
}

/** `node dist/main.js`: start, and stop cleanly on SIGTERM/SIGINT. */
export async function runFromCommandLine(): Promise<void> {
  let bot: RunningBot;
  try {
    bot = await startBot();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`klaviyo-checkup: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const stop = () => {
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFromCommandLine().catch((error: unknown) => {
    process.stderr.write(
      `klaviyo-checkup: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
