import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Agent } from 'undici';
import { type RunningBot, startBot } from '../src/main.js';
import { blockAction, findElement } from '../test/e2e/harness.js';
import type { SendResult } from './command-sender.js';
import type { BenchOutcome, BenchTarget } from './scan-bench.js';
import {
  BENCH_CHANNEL,
  BENCH_TOKEN,
  type BenchSlack,
  type FakeCall,
  type FakeKlaviyo,
  preciseNow,
  startBenchKlaviyo,
  startBenchSite,
  startBenchSlack,
  type TestSite,
  tsOf,
} from './slack-fakes.js';
import { type TimedResponse, timedPost } from './timed-post.js';

/** The issue's target: "Target p99 ack under 100 ms". */
export const SLACK_TARGETS = { ackP99Ms: 100 };

export interface SlackBenchOptions {
  /** Commands sent at once in each round (50). */
  inFlight?: number;
  /** Rounds of `inFlight` commands (3). */
  rounds?: number;
  /** Commands sent before the measured rounds, not counted (10). */
  warmup?: number;
  /** Sequential checklist clicks timed to their chat.update (100). */
  clicks?: number;
  /** Slack outages for each way one can end, timed from their end to the checklist being right (3). */
  outages?: number;
  /** Longest any single wait may take (a response, a Slack call from the bot): 10 s. */
  waitTimeoutMs?: number;
  /** Longest the scans started by one round may take to finish before the next round (60 s). */
  drainTimeoutMs?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface AckRound {
  /** ms from sending each request to its complete response, for the ones answered 200. */
  samples: number[];
  /** One line per request that did not get a 200. */
  failures: string[];
  /** Time for the scans this round started to finish and the bot to go quiet. */
  drainMs: number;
}

export interface ClickResult {
  /** ms from sending the click to the fake Slack receiving the checklist's chat.update. */
  latencies: number[];
  /** ms from sending the click to its HTTP response (the ack). */
  acks: number[];
  /** Why the clicks stopped early, if they did. */
  error?: string;
  /** The checklist the clicks went to. */
  checklistTs?: string;
}

/** How long a checklist stayed wrong once Slack answered again, by how the fault ended. */
export interface RecoveryResult {
  /** Slack came back while the gateway was still trying (its retries put the message right). */
  duringRetries: number[];
  /** Slack came back after the gateway had given up (the reconciler, every 10 s, put it right). */
  afterGivingUp: number[];
  /** Failed updates the gateway made for one click before giving up. */
  triesPerClick?: number;
  error?: string;
}

export interface SlackBenchResult {
  inFlight: number;
  rounds: AckRound[];
  warmup: number;
  clicksPlanned: number;
  clicks: ClickResult;
  outagesPlanned: number;
  recovery: RecoveryResult;
  /** Lines the bot logged (at level error). */
  botErrors: string[];
  /** What the fake Slack refused as invalid Block Kit, as Slack would have. */
  blockKitProblems: string[];
  totalSeconds: number;
}

const SIGNING_SECRET = 'bench-signing-secret';
const CHANNEL = BENCH_CHANNEL;
const USER = 'U0BENCH';
const FORM = 'application/x-www-form-urlencoded';
const ACTION_START_ROTATION = 'scan:start_rotation';
const ACTION_OPEN_ROTATION = 'scan:open_rotation';
const ACTION_RESCAN = 'scan:rescan';
const ACTION_ITEM_MENU = 'rotation:item_menu';
/** No Slack call for this long means the bot has finished what the last request started. */
const QUIET_MS = 200;
const MAX_LOGGED_LINES = 50;

interface Context {
  /** The thread that sends commands, with its own event loop (as Slack is another machine). */
  sender: Worker;
  slack: BenchSlack;
  site: TestSite;
  bot: RunningBot;
  agent: Agent;
  waitTimeoutMs: number;
  counter: number;
  logs: string[];
}

/**
 * Starts the fake Slack, the storefront and the Klaviyo fake, then the bot itself in this process on
 * 127.0.0.1 (its own HTTP receiver, a temporary SQLite file), and measures (1) how fast
 * `/klaviyo-scan` is acknowledged with many commands in flight and (2) how long a checklist click
 * takes to reach Slack as a chat.update. Everything is stopped and removed whatever happens.
 */
export async function runSlackBench(options: SlackBenchOptions = {}): Promise<SlackBenchResult> {
  const benchStart = performance.now();
  const inFlight = options.inFlight ?? 50;
  const roundCount = options.rounds ?? 3;
  // A full round of warm-up, so the measured rounds reuse warm connections and warm code.
  const warmup = options.warmup ?? inFlight;
  const clicksPlanned = options.clicks ?? 100;
  const outagesPlanned = options.outages ?? 3;
  const waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 60_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const dir = mkdtempSync(join(tmpdir(), 'klaviyo-bench-slack-'));
  const onSignal = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const botErrors: string[] = [];
  /** The gateway's "could not update" warnings, which the outage figures wait for. */
  const warnings: string[] = [];
  let slack: BenchSlack | undefined;
  let site: TestSite | undefined;
  let klaviyo: FakeKlaviyo | undefined;
  let bot: RunningBot | undefined;
  // Enough connections for every command of a round to be in flight at once.
  const agent = new Agent({ connections: inFlight + 14, pipelining: 1 });
  const sender = new Worker(new URL('./command-sender.js', import.meta.url));
  try {
    [slack, site, klaviyo] = await Promise.all([startBenchSlack(), startBenchSite(), startBenchKlaviyo()]);
    bot = await withTimeout(
      startBot({
        env: {
          SLACK_BOT_TOKEN: BENCH_TOKEN,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.fake.apiUrl,
          PORT: '0',
          DATABASE_PATH: join(dir, 'bot.sqlite'),
          SCAN_ALLOW_PRIVATE_NETWORKS: 'true',
          KLAVIYO_API_URL: klaviyo.url,
          // Warnings too: the outage figures wait for the gateway to say it gave up.
          LOG_LEVEL: 'warn',
        },
        host: '127.0.0.1',
        writeLog: (line) => {
          if (line.includes('"level":"error"') && botErrors.length < MAX_LOGGED_LINES)
            botErrors.push(line.trimEnd());
          if (line.includes('could not update a Slack message')) warnings.push(line);
        },
      }),
      waitTimeoutMs,
      'the bot to start',
    );
    log(`slack bench: bot listening on 127.0.0.1:${bot.port}, fake Slack at ${slack.fake.origin}`);
    const ctx: Context = { sender, slack, site, bot, agent, waitTimeoutMs, counter: 0, logs: warnings };

    if (warmup > 0) {
      const warm = await sendCommands(ctx, warmup);
      if (warm.failures.length > 0) throw new Error(`warm-up commands failed: ${warm.failures[0]}`);
      await drain(ctx, warm.after, warmup, drainTimeoutMs);
    }

    const rounds: AckRound[] = [];
    for (let round = 0; round < roundCount; round++) {
      const batch = await sendCommands(ctx, inFlight);
      const drainStart = performance.now();
      await drain(ctx, batch.after, inFlight, drainTimeoutMs);
      rounds.push({
        samples: batch.samples,
        failures: batch.failures,
        drainMs: performance.now() - drainStart,
      });
      log(
        `  round ${round + 1}/${roundCount}: ${batch.samples.length} acks, p50 ${ms(percentile(batch.samples, 50))} ms, ` +
          `p99 ${ms(percentile(batch.samples, 99))} ms; its scans finished ${ms(performance.now() - drainStart)} ms later`,
      );
    }

    const clicks = await measureClicks(ctx, clicksPlanned);
    log(
      `  clicks: ${clicks.latencies.length}/${clicksPlanned} timed${clicks.error ? ` (${clicks.error})` : ''}`,
    );
    const recovery =
      clicks.checklistTs === undefined
        ? { duringRetries: [], afterGivingUp: [], error: 'no checklist to fault' }
        : await measureRecovery(ctx, clicks.checklistTs, outagesPlanned);
    log(
      `  outages: ${recovery.duringRetries.length + recovery.afterGivingUp.length}/${outagesPlanned * 2} timed${recovery.error ? ` (${recovery.error})` : ''}`,
    );
    return {
      inFlight,
      rounds,
      warmup,
      clicksPlanned,
      clicks,
      outagesPlanned,
      recovery,
      botErrors,
      blockKitProblems: slack.fake.problems(),
      totalSeconds: (performance.now() - benchStart) / 1000,
    };
  } finally {
    if (bot !== undefined) {
      await withTimeout(bot.stop(), waitTimeoutMs, 'the bot to stop').catch((error: unknown) =>
        log(`slack bench: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    await agent.close().catch(() => undefined);
    await sender.terminate();
    await Promise.all([slack?.fake.close(), site?.close(), klaviyo?.close()]);
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/**
 * Sends `count` signed `/klaviyo-scan` commands all at once, each for its own URL on the site (so each
 * starts its own scan), and times each one from sending to its complete response.
 */
async function sendCommands(
  ctx: Context,
  count: number,
): Promise<{ samples: number[]; failures: string[]; after: number }> {
  const after = ctx.slack.fake.calls.length;
  // Bodies and signatures are made before the clock starts.
  const requests = Array.from({ length: count }, () => {
    const body = commandBody(ctx, `${ctx.site.origin}/?c=${++ctx.counter}`);
    return { body, headers: signedHeaders(body) };
  });
  const results = await withTimeout(
    sendFromWorker(ctx, requests),
    ctx.waitTimeoutMs * 2,
    'the command sender',
  );
  const samples: number[] = [];
  const failures: string[] = [];
  for (const result of results) {
    if (result.status === 200) samples.push(result.ms);
    else failures.push(result.error ?? `HTTP ${result.status} after ${ms(result.ms)} ms`);
  }
  return { samples, failures, after };
}

/** Hands a batch to the sender thread and waits for all of its answers. */
function sendFromWorker(
  ctx: Context,
  requests: { body: string; headers: Record<string, string> }[],
): Promise<SendResult[]> {
  const worker = ctx.sender;
  return new Promise((resolve, reject) => {
    worker.once('message', (results: SendResult[]) => resolve(results));
    worker.once('error', reject);
    worker.postMessage({
      url: `http://127.0.0.1:${ctx.bot.port}/slack/events`,
      requests,
      timeoutMs: ctx.waitTimeoutMs,
    });
  });
}

function commandBody(ctx: Context, text: string): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: ctx.slack.fake.teamId,
    team_domain: 'bench',
    channel_id: CHANNEL,
    channel_name: 'bench',
    user_id: USER,
    user_name: 'bench',
    command: '/klaviyo-scan',
    text,
    api_app_id: ctx.slack.fake.appId,
    response_url: ctx.slack.fake.responseUrl(),
    trigger_id: ctx.slack.fake.issueTriggerId(),
    is_enterprise_install: 'false',
  }).toString();
}

function signedHeaders(body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': FORM, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
}

/** POSTs to the bot's /slack/events; never rejects (a failure has status 0 and an error). */
function send(ctx: Context, body: string, headers: Record<string, string>): Promise<TimedResponse> {
  return timedPost(
    `http://127.0.0.1:${ctx.bot.port}/slack/events`,
    body,
    headers,
    ctx.agent,
    ctx.waitTimeoutMs,
  );
}

/**
 * Waits until the scans started since `after` are all posted and finished (their message shows the
 * Re-scan or Run it again button) and the bot has made no Slack call for a moment.
 */
async function drain(ctx: Context, after: number, expected: number, timeoutMs: number): Promise<void> {
  const { slack } = ctx;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const posted = topLevelPosts(slack, after);
    const finished = posted.filter((call) =>
      JSON.stringify(slack.fake.message(CHANNEL, tsOf(call) ?? '')?.blocks ?? []).includes(ACTION_RESCAN),
    );
    const last = slack.fake.calls.at(-1);
    const quiet = last === undefined || preciseNow() - last.at >= QUIET_MS;
    if (posted.length >= expected && finished.length === posted.length && quiet) return;
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for the scans to finish: ${posted.length}/${expected} scan messages posted, ${finished.length} finished`,
      );
    }
    await sleep(20);
  }
}

function topLevelPosts(slack: BenchSlack, after: number): FakeCall[] {
  return slack.fake.calls
    .slice(after)
    .filter(
      (call) => call.method === 'chat.postMessage' && call.args.channel === CHANNEL && !call.args.thread_ts,
    );
}

async function quiet(ctx: Context): Promise<void> {
  const deadline = performance.now() + ctx.waitTimeoutMs;
  for (;;) {
    const last = ctx.slack.fake.calls.at(-1);
    if (last === undefined || preciseNow() - last.at >= QUIET_MS) return;
    if (performance.now() > deadline) throw new Error('timed out waiting for the bot to go quiet');
    await sleep(20);
  }
}

/**
 * Scans the site once more, starts a rotation from the result, then clicks step 3's menu `clicks`
 * times, alternately "Assign to me" and "Clear owner", one click at a time: each is timed from
 * sending it to the fake Slack receiving the checklist's chat.update, and the next waits for that update
 * and the audit line in the thread.
 */
async function measureClicks(ctx: Context, clicks: number): Promise<ClickResult> {
  const { slack } = ctx;
  const wait = ctx.waitTimeoutMs;
  const latencies: number[] = [];
  const acks: number[] = [];
  try {
    let after = slack.fake.calls.length;
    const body = commandBody(ctx, `${ctx.site.origin}/`);
    const command = await send(ctx, body, signedHeaders(body));
    if (command.status !== 200)
      throw new Error(`the scan command got ${command.error ?? `HTTP ${command.status}`}`);
    const scanPost = await slack.waitFor(
      'the scan message',
      (call) => call.method === 'chat.postMessage' && call.args.channel === CHANNEL && !call.args.thread_ts,
      after,
      wait,
    );
    const result = await slack.waitFor(
      'the scan result with "Start rotation"',
      (call) =>
        call.method === 'chat.update' &&
        tsOf(call) === tsOf(scanPost) &&
        JSON.stringify(call.args.blocks ?? []).includes(ACTION_START_ROTATION),
      after,
      wait,
    );
    await quiet(ctx);
    const scanMessage = { ts: tsOf(scanPost) ?? '', blocks: blocksOf(result) };
    const start = findElement(scanMessage.blocks, ACTION_START_ROTATION, () => true);
    if (start === undefined) throw new Error('the scan result has no "Start rotation" button');

    after = slack.fake.calls.length;
    const startBody = blockActionBody(ctx, scanMessage, start);
    const started = await send(ctx, startBody, signedHeaders(startBody));
    if (started.status !== 200)
      throw new Error(`the "Start rotation" click got ${started.error ?? `HTTP ${started.status}`}`);
    const checklist = await slack.waitFor(
      'the rotation checklist',
      (call) =>
        call.method === 'chat.postMessage' &&
        call.args.channel === CHANNEL &&
        !call.args.thread_ts &&
        String(call.args.text ?? '').includes('Rotation'),
      after,
      wait,
    );
    const checklistTs = tsOf(checklist) ?? '';
    await slack.waitFor(
      'the scan message to show "Open rotation"',
      (call) =>
        call.method === 'chat.update' &&
        tsOf(call) === tsOf(scanPost) &&
        JSON.stringify(call.args.blocks ?? []).includes(ACTION_OPEN_ROTATION),
      after,
      wait,
    );
    await quiet(ctx);

    for (let click = 1; click <= clicks; click++) {
      const op = click % 2 === 1 ? 'me' : 'clear';
      const message = slack.fake.message(CHANNEL, checklistTs);
      const element = findElement(message?.blocks, ACTION_ITEM_MENU, (value) =>
        value.endsWith(`|s:identify|${op}`),
      );
      if (message === undefined || element === undefined) {
        throw new Error(`click ${click}: the checklist's latest blocks have no "${op}" option for step 3`);
      }
      const payload = blockActionBody(ctx, { ts: checklistTs, blocks: message.blocks ?? [] }, element);
      const headers = signedHeaders(payload);
      const seq = slack.fake.calls.length;
      const sentAt = preciseNow();
      const ack = send(ctx, payload, headers);
      const update = await slack.waitFor(
        `the checklist's chat.update after click ${click}`,
        (call) =>
          call.method === 'chat.update' && tsOf(call) === checklistTs && call.args.channel === CHANNEL,
        seq,
        wait,
      );
      latencies.push(update.at - sentAt);
      const acked = await ack;
      if (acked.status !== 200)
        throw new Error(`click ${click} got ${acked.error ?? `HTTP ${acked.status}`}`);
      acks.push(acked.ms);
      // The update must be this click's: an owner after "Assign to me", none after "Clear owner".
      const owned = JSON.stringify(update.args.blocks ?? []).includes('|s:identify|clear');
      if (owned !== (op === 'me')) {
        throw new Error(`click ${click} ("${op}"): the chat.update that followed does not show its change`);
      }
      await slack.waitFor(
        `the audit line in the thread after click ${click}`,
        (call) => call.method === 'chat.postMessage' && call.args.thread_ts === checklistTs,
        seq,
        wait,
      );
    }
    return { latencies, acks, checklistTs };
  } catch (error) {
    return { latencies, acks, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Slack's chat.update answers service_unavailable to everything; a click changes the checklist; then
 * Slack answers again, either as soon as the first update has failed (the gateway is still trying) or
 * once the gateway has given up (the message is behind, for the reconciler). Each is timed from the
 * moment Slack answers again to the fake Slack holding the checklist with the click's change. The bot
 * runs with its production settings: 4 tries 1, 2 and 4 s apart, a reconciler pass every 10 s.
 */
async function measureRecovery(ctx: Context, checklistTs: string, outages: number): Promise<RecoveryResult> {
  const { slack } = ctx;
  const result: RecoveryResult = { duringRetries: [], afterGivingUp: [] };
  // The gateway's tries take 7 s at most; a reconciler pass comes within 10 s after that.
  const wait = Math.max(ctx.waitTimeoutMs, 30_000);
  let click = 0;
  try {
    for (const phase of ['duringRetries', 'afterGivingUp'] as const) {
      for (let outage = 0; outage < outages; outage++) {
        click++;
        const op = click % 2 === 1 ? 'me' : 'clear';
        const message = slack.fake.message(CHANNEL, checklistTs);
        const element = findElement(message?.blocks, ACTION_ITEM_MENU, (value) =>
          value.endsWith(`|s:identify|${op}`),
        );
        if (message === undefined || element === undefined)
          throw new Error(`outage ${click}: the checklist has no "${op}" option for step 3`);
        const seq = slack.fake.calls.length;
        slack.fake.outage('chat.update');
        const payload = blockActionBody(ctx, { ts: checklistTs, blocks: message.blocks ?? [] }, element);
        const acked = await send(ctx, payload, signedHeaders(payload));
        if (acked.status !== 200) throw new Error(`outage click ${click} got HTTP ${acked.status}`);
        const failedUpdate = (call: FakeCall) =>
          call.method === 'chat.update' && tsOf(call) === checklistTs && call.error !== undefined;
        await slack.waitFor('a failed update', failedUpdate, seq, wait);
        if (phase === 'afterGivingUp') {
          // The gateway has given up once the bot logs it: the message is now the reconciler's.
          await waitForLog(ctx, 'could not update a Slack message; it will be tried again', wait);
          result.triesPerClick = slack.fake.calls.slice(seq).filter(failedUpdate).length;
        }
        const recoveredAt = preciseNow();
        const after = slack.fake.calls.length;
        slack.fake.recover('chat.update');
        const shows = op === 'me';
        const update = await slack.waitFor(
          `the checklist put right after outage ${click}`,
          (call) =>
            call.method === 'chat.update' &&
            tsOf(call) === checklistTs &&
            call.result.ok === true &&
            JSON.stringify(call.args.blocks ?? []).includes('|s:identify|clear') === shows,
          after,
          wait,
        );
        result[phase].push(update.at - recoveredAt);
        await quiet(ctx);
      }
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    slack.fake.recover('chat.update');
  }
  return result;
}

/** Resolves once the bot has logged a line containing `text` since the last call. */
async function waitForLog(ctx: Context, text: string, timeoutMs: number): Promise<void> {
  const from = ctx.logs.length;
  const deadline = performance.now() + timeoutMs;
  while (!ctx.logs.slice(from).some((line) => line.includes(text))) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for the log line "${text}"`);
    await sleep(20);
  }
}

function blocksOf(call: FakeCall): unknown[] {
  return Array.isArray(call.args.blocks) ? (call.args.blocks as unknown[]) : [];
}

/** A block_actions payload for a click on a message in the bench channel, as the tests build it. */
function blockActionBody(
  ctx: Context,
  message: { ts: string; blocks: unknown[] },
  element: NonNullable<ReturnType<typeof findElement>>,
): string {
  const payload = blockAction(ctx.slack.fake, { channel: CHANNEL, ...message }, element, USER);
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

function ms(value: number): string {
  return Number.isNaN(value) ? 'n/a' : value.toFixed(1);
}

function spread(values: number[]): string {
  return `p50 ${ms(percentile(values, 50))} ms, p99 ${ms(percentile(values, 99))} ms, max ${ms(values.length === 0 ? Number.NaN : Math.max(...values))} ms`;
}

/** The figures and the issue's target. */
export function slackBenchOutcome(result: SlackBenchResult): BenchOutcome {
  const acks = result.rounds.flatMap((round) => round.samples);
  const failures = result.rounds.flatMap((round) => round.failures);
  const expected = result.rounds.length * result.inFlight;
  const { clicks } = result;
  const lines: string[] = [
    'Slack latency benchmark (the bot with its Bolt HTTP receiver on 127.0.0.1; the fake Slack Web API of the tests, a storefront and the fake Klaviyo on loopback; commands sent from a worker thread with its own event loop)',
    `  ack of /klaviyo-scan: ${result.inFlight} signed commands in flight at once per round, ${result.rounds.length} rounds after ${result.warmup} warm-up commands;`,
    '  each command scans its own URL; time from sending a request to its complete HTTP response; the next round starts once the scans are done',
  ];
  result.rounds.forEach((round, index) => {
    lines.push(
      `    round ${index + 1}: ${spread(round.samples)} (${round.samples.length} acks` +
        `${round.failures.length > 0 ? `, ${round.failures.length} failed` : ''}; its scans finished ${(round.drainMs / 1000).toFixed(2)} s later)`,
    );
  });
  lines.push(`    all ${acks.length}: ${spread(acks)}`);
  for (const failure of failures.slice(0, 5)) lines.push(`    failed: ${failure}`);
  lines.push(
    `  click to chat.update: ${clicks.latencies.length} sequential clicks on step 3's menu, alternately "Assign to me" and "Clear owner",`,
    "  from sending the click to the fake Slack receiving the checklist's chat.update (each click waits for the previous update and audit line)",
    `    ${spread(clicks.latencies)}`,
    `    the clicks' own acks: ${spread(clicks.acks)}`,
  );
  if (clicks.error !== undefined) lines.push(`    stopped early: ${clicks.error}`);
  const { recovery } = result;
  lines.push(
    `  a message left wrong by a Slack outage: chat.update answers service_unavailable to everything, a click changes the checklist, then Slack answers again;`,
    '  time from Slack answering again to the fake Slack holding the checklist with the change (production settings: 4 tries 1, 2, 4 s apart; a reconciler pass every 10 s)',
    `    Slack back while the gateway still tries (${recovery.duringRetries.length}): ${spread(recovery.duringRetries)}`,
    `    Slack back after the gateway gave up${recovery.triesPerClick === undefined ? '' : ` (${recovery.triesPerClick} tries)`}, left to the reconciler (${recovery.afterGivingUp.length}): ${spread(recovery.afterGivingUp)}`,
  );
  if (recovery.error !== undefined) lines.push(`    stopped early: ${recovery.error}`);
  lines.push('  percentiles are nearest-rank');
  if (result.botErrors.length === 0) lines.push('  bot log: no errors');
  else {
    lines.push(
      `  bot log: ${result.botErrors.length} error line(s)${result.botErrors.length >= MAX_LOGGED_LINES ? ' or more' : ''}, first ones:`,
    );
    for (const line of result.botErrors.slice(0, 5)) lines.push(`    ${line.slice(0, 500)}`);
  }
  lines.push(
    result.blockKitProblems.length === 0
      ? '  Block Kit: every message and view was accepted by the fake Slack'
      : `  Block Kit: ${result.blockKitProblems.length} refused, first: ${result.blockKitProblems[0]}`,
  );
  lines.push(`  whole benchmark: ${result.totalSeconds.toFixed(1)} s`);

  const p99 = percentile(acks, 99);
  const outages = [...recovery.duringRetries, ...recovery.afterGivingUp];
  const longest = outages.length === 0 ? Number.NaN : Math.max(...outages);
  const targets: BenchTarget[] = [
    {
      name: `p99 ack under ${SLACK_TARGETS.ackP99Ms} ms`,
      status:
        acks.length === expected && failures.length === 0 && p99 < SLACK_TARGETS.ackP99Ms ? 'pass' : 'fail',
      detail:
        `p99 ${ms(p99)} ms (p50 ${ms(percentile(acks, 50))} ms, max ${ms(acks.length === 0 ? Number.NaN : Math.max(...acks))} ms) ` +
        `over ${acks.length}/${expected} acks, ${result.inFlight} in flight${failures.length > 0 ? `; ${failures.length} failed` : ''}`,
    },
    {
      name: 'every checklist click reached Slack as a chat.update',
      status:
        clicks.error === undefined && clicks.latencies.length === result.clicksPlanned ? 'pass' : 'fail',
      detail:
        `${clicks.latencies.length}/${result.clicksPlanned} clicks` +
        (clicks.error === undefined
          ? `; click to update p99 ${ms(percentile(clicks.latencies, 99))} ms`
          : `; ${clicks.error}`),
    },
    {
      name: 'no message stays wrong more than 30 s once Slack answers again',
      status:
        recovery.error === undefined && outages.length === result.outagesPlanned * 2 && longest <= 30_000
          ? 'pass'
          : 'fail',
      detail: recovery.error ?? `longest ${ms(longest)} ms over ${outages.length} outages`,
    },
  ];
  return { lines, targets };
}

/** Runs the Slack latency benchmark and turns it into figures and targets. */
export async function slackBenchmark(options: SlackBenchOptions = {}): Promise<BenchOutcome> {
  return slackBenchOutcome(await runSlackBench(options));
}
