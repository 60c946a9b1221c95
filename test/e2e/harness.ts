import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { request } from 'undici';
import { type RunningBot, startBot } from '../../src/main.js';
import { type FakeKlaviyo, startFakeKlaviyo } from '../fakes/klaviyo-api.js';
import {
  type FakeMessage,
  type FakeSlack,
  type FakeSlackOptions,
  startFakeSlack,
} from '../fakes/slack-api.js';
import { type EnvelopeType, type FakeSocketMode, startFakeSocketMode } from '../fakes/socket-mode.js';
import { slackWordProblems } from '../slack/words.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface Harness {
  slack: FakeSlack;
  /** Set in Socket Mode: commands, actions and events then arrive as envelopes on its connection. */
  socket?: FakeSocketMode;
  klaviyo: FakeKlaviyo;
  bot: RunningBot;
  dir: string;
  databasePath: string;
  logs: string[];
  env: Record<string, string>;
  /** Stops the bot and starts it again on the same database (a restart). */
  restart(): Promise<void>;
  command(
    text: string,
    options?: { user?: string; channel?: string; command?: string },
  ): Promise<{ status: number; ms: number; body: string }>;
  /** A block_actions or view_submission payload; the body is the ack's response (`''` for none). */
  action(payload: Record<string, unknown>): Promise<{ status: number; body: string }>;
  post(
    body: string,
    contentType: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string }>;
  /** An Events API callback (JSON), signed. */
  event(event: Record<string, unknown>): Promise<{ status: number; body: string }>;
  /** Everything the bot ever sent or stored, to search for leaked keys. */
  everything(): string;
  /**
   * Stops everything and removes the files. Then fails if anything the bot sent to Slack has an ISO
   * date, an internal snake_case name or an environment variable outside App Home (test/slack/words.ts).
   */
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    env?: Record<string, string>;
    slack?: FakeSlackOptions;
    now?: () => Date;
    scheduler?: boolean;
    /** Run the bot in Socket Mode against a fake Socket Mode server instead of over HTTP. */
    socketMode?: boolean;
    /** How often the reconciler and the key sweep run (the bot's 10 s unless given). */
    upkeepEveryMs?: number;
  } = {},
): Promise<Harness> {
  const slack = await startFakeSlack({
    channels: [
      { id: 'C0SHOP', name: 'security', is_member: true },
      { id: 'C0NOTJOINED', name: 'general', is_member: false },
      { id: 'G0PRIVATE', name: 'secret', is_private: true, is_member: false },
    ],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    ...options.slack,
  });
  const klaviyo = await startFakeKlaviyo();
  const socket = options.socketMode ? await startFakeSocketMode(slack) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-e2e-'));
  const databasePath = join(dir, 'bot.sqlite');
  const logs: string[] = [];
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.token,
    ...(socket ? { SLACK_APP_TOKEN: socket.appToken } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    DATABASE_PATH: databasePath,
    SCAN_ALLOW_PRIVATE_NETWORKS: 'true',
    KLAVIYO_API_URL: klaviyo.url,
    KEY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const boot = () =>
    startBot({
      env,
      host: '127.0.0.1',
      writeLog: (line) => logs.push(line),
      ...(options.now ? { now: options.now } : {}),
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      ...(options.upkeepEveryMs === undefined ? {} : { upkeepEveryMs: options.upkeepEveryMs }),
      // Failed Slack calls are tried again as in production, only with shorter waits between tries.
      slackRetry: { baseMs: 10 },
    });
  /** Over HTTP: a signed POST to /slack/events. In Socket Mode: an envelope, answered by its ack. */
  const deliver = async (
    type: EnvelopeType,
    payload: Record<string, unknown>,
    body: string,
    contentType: string,
  ): Promise<{ status: number; body: string }> => {
    if (socket === undefined) return harness.post(body, contentType);
    const { ack = {} } = await socket.send(type, payload);
    return { status: 200, body: Object.keys(ack).length === 0 ? '' : JSON.stringify(ack) };
  };
  const harness: Harness = {
    slack,
    ...(socket ? { socket } : {}),
    klaviyo,
    bot: await boot(),
    dir,
    databasePath,
    logs,
    env,
    async restart() {
      await harness.bot.stop();
      harness.bot = await boot();
    },
    async command(text, options) {
      const fields = slashCommand(slack, text, options);
      const body = new URLSearchParams(fields).toString();
      const started = performance.now();
      const result = await deliver('slash_commands', fields, body, 'application/x-www-form-urlencoded');
      return { ...result, ms: performance.now() - started };
    },
    async action(payload) {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return deliver('interactive', payload, body, 'application/x-www-form-urlencoded');
    },
    async event(event) {
      const callback = {
        token: 'legacy',
        team_id: slack.teamId,
        api_app_id: slack.appId,
        type: 'event_callback',
        event_id: `Ev${Math.random().toString(36).slice(2, 10)}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      };
      return deliver('events_api', callback, JSON.stringify(callback), 'application/json');
    },
    async post(body, contentType, headers) {
      return signedPost(harness.bot.port as number, body, contentType, headers);
    },
    everything() {
      const database = databaseBytes(harness).toString('latin1');
      return [
        JSON.stringify(slack.calls.map((call) => [call.method, call.args])),
        JSON.stringify(slack.responses),
        logs.join(''),
        database,
      ].join('\n');
    },
    async close() {
      await harness.bot.stop();
      const problems = slackWordProblems(slack.calls, slack.responses);
      await Promise.all([slack.close(), klaviyo.close(), socket?.close()]);
      rmSync(dir, { recursive: true, force: true });
      if (problems.length > 0)
        throw new Error(`words a marketing team should not read:\n${problems.join('\n')}`);
    },
  };
  return harness;
}

/** The fields Slack sends for a slash command, by default `/klaviyo-scan` from U0ALICE in C0SHOP. */
export function slashCommand(
  slack: FakeSlack,
  text: string,
  { user = 'U0ALICE', channel = 'C0SHOP', command = '/klaviyo-scan' } = {},
): Record<string, string> {
  return {
    token: 'legacy',
    team_id: slack.teamId,
    team_domain: 'shop',
    channel_id: channel,
    channel_name: 'security',
    user_id: user,
    user_name: user.toLowerCase(),
    command,
    text,
    api_app_id: slack.appId,
    response_url: slack.responseUrl(),
    trigger_id: slack.issueTriggerId(),
    is_enterprise_install: 'false',
  };
}

/** A POST to the bot's /slack/events, signed with SIGNING_SECRET as Slack signs it. */
export async function signedPost(
  port: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const response = await request(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
      ...headers,
    },
    body,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** A block_actions payload for a button or overflow click on a message the fake holds. */
export function blockAction(
  slack: FakeSlack,
  message: { channel: string; ts: string; blocks?: unknown[] },
  action: {
    action_id: string;
    value?: string;
    selected_option?: { value: string };
    type?: string;
    block_id?: string;
  },
  user = 'U0ALICE',
): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: slack.teamId, domain: 'shop' },
    user: { id: user, username: user.toLowerCase(), team_id: slack.teamId },
    api_app_id: slack.appId,
    token: 'legacy',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: slack.issueTriggerId(),
    channel: { id: message.channel, name: 'security' },
    message: { type: 'message', ts: message.ts, blocks: message.blocks ?? [] },
    response_url: slack.responseUrl(),
    actions: [
      {
        action_id: action.action_id,
        block_id: action.block_id ?? 'b',
        type: action.type ?? (action.selected_option ? 'overflow' : 'button'),
        ...(action.value === undefined ? {} : { value: action.value }),
        ...(action.selected_option === undefined ? {} : { selected_option: action.selected_option }),
        action_ts: `${Date.now() / 1000}${Math.random().toString().slice(2, 6)}`,
      },
    ],
  };
}

/** A block_actions payload for a click or menu choice in a modal (or App Home) the fake holds. */
export function viewAction(
  slack: FakeSlack,
  view: { id: string } & Record<string, unknown>,
  action: Record<string, unknown>,
  user = 'U0ALICE',
): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: slack.teamId },
    user: { id: user, team_id: slack.teamId },
    api_app_id: slack.appId,
    container: { type: 'view', view_id: view.id },
    trigger_id: slack.issueTriggerId(),
    view: { ...view },
    actions: [
      { block_id: 'b', action_ts: `${Date.now() / 1000}${Math.random().toString().slice(2, 6)}`, ...action },
    ],
  };
}

/** A view_submission payload for a modal the fake opened, with the form's `values`. */
export function viewSubmission(
  slack: FakeSlack,
  view: Record<string, unknown>,
  values: Record<string, Record<string, unknown>>,
  user = 'U0ALICE',
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: slack.teamId },
    user: { id: user, team_id: slack.teamId },
    api_app_id: slack.appId,
    view: { ...view, state: { values } },
  };
}

/** Finds an element by action id (and optionally by a value or option-value prefix) in a message's blocks. */
export function findElement(
  blocks: unknown[] | undefined,
  actionId: string,
  match: (value: string) => boolean = () => true,
): { action_id: string; value?: string; selected_option?: { value: string }; type: string } | undefined {
  for (const block of (blocks ?? []) as Record<string, unknown>[]) {
    const elements = [
      ...((block.elements as Record<string, unknown>[] | undefined) ?? []),
      ...(block.accessory ? [block.accessory as Record<string, unknown>] : []),
    ];
    for (const element of elements) {
      if (element.action_id !== actionId) continue;
      if (element.type === 'overflow') {
        const option = (element.options as { value: string }[]).find((candidate) => match(candidate.value));
        if (option)
          return { action_id: actionId, type: 'overflow', selected_option: { value: option.value } };
      } else if (match(String(element.value ?? ''))) {
        return { action_id: actionId, type: String(element.type), value: String(element.value) };
      }
    }
  }
  return undefined;
}

/** Polls until `probe` returns something (not undefined or false), or fails after the timeout. */
export async function waitUntil<T>(
  probe: () => T | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `/klaviyo-scan` on a site with one exposed key, presses "Start rotation", and returns the checklist message. */
export async function scanAndStartRotation(
  harness: Harness,
  url: string,
  channel = 'C0SHOP',
): Promise<FakeMessage> {
  await harness.command(url, { channel });
  const scan = await waitUntil(
    () =>
      harness.slack
        .messagesIn(channel)
        .find((message) => JSON.stringify(message.blocks).includes('scan:start_rotation')),
    'the scan result',
  );
  await harness.action(
    blockAction(harness.slack, scan, findElement(scan.blocks, 'scan:start_rotation') as never),
  );
  const checklist = await waitUntil(
    () =>
      harness.slack.messagesIn(channel).find((message) => message.text.includes('Rotation of the exposed')),
    'the checklist',
  );
  // The click's handler goes on after the checklist is posted (the scan message shows "Open rotation").
  await harness.bot.idle();
  return checklist;
}

/**
 * Clicks the element `actionId` (whose value or option value passes `match`) on the latest version of a
 * message, and waits until the bot has updated a message in response.
 */
export async function clickAndWait(
  harness: Harness,
  at: { channel: string; ts: string },
  actionId: string,
  match: (value: string) => boolean = () => true,
  user = 'U0ALICE',
): Promise<void> {
  const message = harness.slack.message(at.channel, at.ts);
  const element = findElement(message?.blocks, actionId, match);
  if (message === undefined || element === undefined) {
    throw new Error(
      `no ${actionId} matching on ${at.ts}: ${JSON.stringify(message?.blocks ?? []).slice(0, 2000)}`,
    );
  }
  const before = harness.slack.callsTo('chat.update').length;
  const result = await harness.action(blockAction(harness.slack, message, element as never, user));
  if (result.status !== 200) throw new Error(`the click on ${actionId} answered HTTP ${result.status}`);
  await waitUntil(() => harness.slack.callsTo('chat.update').length > before, `an update after ${actionId}`);
  // The click's handler, and the coalesced updates it made, may still be under way.
  await harness.bot.idle();
}

/** Sends app_home_opened for a user and returns the Home view the bot published. */
export async function openHome(harness: Harness, user = 'U0ALICE'): Promise<{ blocks: unknown[] }> {
  const before = harness.slack.callsTo('views.publish').length;
  await harness.event({
    type: 'app_home_opened',
    user,
    channel: `D${user.slice(1)}`,
    tab: 'home',
    event_ts: `${Date.now() / 1000}`,
  });
  const published = await waitUntil(() => harness.slack.callsTo('views.publish')[before], 'the Home view');
  return published.args.view as { blocks: unknown[] };
}

/** Reads the bot's SQLite file as another process would (read-only), for what a test checks in it. */
export function readDatabase<T>(harness: Harness, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(harness.databasePath, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The database file and its write-ahead files, as bytes (a file that is not there adds nothing). */
export function databaseBytes(harness: Harness): Buffer {
  const parts: Buffer[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      parts.push(readFileSync(`${harness.databasePath}${suffix}`));
    } catch {
      // The write-ahead files come and go.
    }
  }
  return Buffer.concat(parts);
}

/** Until when the review reminder is snoozed, as the bot stored it. */
export function snoozedUntil(harness: Harness): string | undefined {
  return readDatabase(harness, (db) => {
    const row = db.prepare(`SELECT value FROM settings WHERE name = 'review_snoozed_until'`).get() as
      | { value: string }
      | undefined;
    return row?.value;
  });
}
