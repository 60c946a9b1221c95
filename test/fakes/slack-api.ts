/**
 * A fake Slack Web API on loopback for end-to-end tests: point the app's WebClient at `apiUrl` with
 * `clientOptions.slackApiUrl`. It keeps enough workspace state (messages, views, files) for an app to
 * post, update, open modals and upload, records every call, and rejects invalid Block Kit as Slack does.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS, problemCode, validateMessage, validateView } from './block-kit.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown>;

export interface FakeCall {
  method: string;
  /** Arguments as received: form fields are strings, except JSON fields (blocks, view, files...) parsed. */
  args: Args;
  at: number;
  status: number;
  result: Result;
  /** Slack's error code when the answer was `ok: false` (or `ratelimited` for a 429). */
  error?: string;
  /** Block Kit problems when the call was refused as invalid. */
  rejected?: string[];
}

export interface FakeResponsePost {
  url: string;
  body: Args;
  at: number;
  status: number;
  error?: string;
  rejected?: string[];
}

export interface FakeMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  reply_count?: number;
  user: string;
  bot_id: string;
  team: string;
  edited?: { user: string; ts: string };
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
}

/** Slack's own field names, so tests read like the payloads the app sees. */
export interface FakeChannel {
  id: string;
  name?: string;
  is_private?: boolean;
  /** Whether the bot is in the channel; posting answers not_in_channel (public) or channel_not_found (private) when false. */
  is_member?: boolean;
  is_archived?: boolean;
  is_im?: boolean;
}

export interface FakeUser {
  id: string;
  name?: string;
  real_name?: string;
  tz?: string;
  tz_offset?: number;
  is_bot?: boolean;
  /** Workspace admin or owner, as users.info reports them. */
  is_admin?: boolean;
  is_owner?: boolean;
  deleted?: boolean;
  profile?: Record<string, unknown>;
}

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  content: Buffer;
  /** Set for files shared by files.completeUploadExternal. */
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
}

export interface FakeView extends Record<string, unknown> {
  id: string;
  type: string;
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
}

export interface FakeSlackOptions {
  /** The bot token the app must send (default `xoxb-fake-token`). */
  token?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  channels?: FakeChannel[];
  users?: FakeUser[];
  /** Usergroup id → member user ids, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  /** Longest `text` chat.update accepts before msg_too_long (default 4000). */
  updateTextLimit?: number;
  /** Clock for trigger and response URL expiry (default Date.now); tests can move it forward. */
  now?: () => number;
}

const JSON_FIELDS = new Set([
  'blocks',
  'attachments',
  'view',
  'files',
  'metadata',
  'unfurls',
  'user_auth_blocks',
]);
const TRIGGER_TTL_MS = 3_000;
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const FIRST_TS_MICROS = 1_700_000_000_000_100;

const ok = (fields: Result = {}): Result => ({ ok: true, ...fields });
const err = (error: string, fields: Result = {}): Result => ({ ok: false, error, ...fields });

/** Slack's answer to invalid Block Kit: the first problem's code, every problem in `errors`. */
function invalid(problems: string[]): Result {
  return err(problemCode(problems[0] ?? 'invalid_blocks:'), {
    errors: problems,
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  });
}

/** Any user id is accepted where Slack only needs the id; users.info needs a configured user. */
function isUserId(value: string): boolean {
  return /^[UW][A-Z0-9]+$/.test(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}

/** multipart/form-data through the platform's own parser (WebClient sends binary uploads that way). */
async function parseMultipart(body: Buffer, contentType: string): Promise<FormData> {
  return new Response(body, { headers: { 'content-type': contentType } }).formData();
}

async function parseArgs(req: IncomingMessage, url: URL): Promise<Args> {
  const args: Args = Object.fromEntries(url.searchParams);
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  if (body.length === 0) return args;
  if (contentType.startsWith('application/json')) {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? { ...args, ...(parsed as Args) } : args;
  }
  const fields: Array<[string, unknown]> = [];
  if (contentType.startsWith('multipart/form-data')) {
    for (const [key, value] of await parseMultipart(body, contentType)) {
      fields.push([key, typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer())]);
    }
  } else {
    fields.push(...new URLSearchParams(body.toString('utf8')));
  }
  for (const [key, value] of fields) {
    if (typeof value === 'string' && JSON_FIELDS.has(key)) {
      try {
        args[key] = JSON.parse(value);
      } catch {
        args[key] = value; // left as a string: the validator then reports it the way Slack would
      }
    } else {
      args[key] = value;
    }
  }
  return args;
}

function tzOffsetSeconds(tz: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === '-' ? -seconds : seconds;
}

type Handler = (args: Args) => Result | Promise<Result>;

export class FakeSlack {
  readonly token: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** Every Web API call, in arrival order (cleared by reset()). */
  readonly calls: FakeCall[] = [];
  /** Every POST to a response URL (cleared by reset()). */
  readonly responses: FakeResponsePost[] = [];
  /** Channel id → messages posted there, oldest first. */
  readonly messages = new Map<string, FakeMessage[]>();
  readonly ephemerals: FakeEphemeral[] = [];
  /** Modals by view id. */
  readonly views = new Map<string, FakeView>();
  /** Published Home tabs by user id. */
  readonly homeViews = new Map<string, FakeView>();
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, string[]>();
  readonly files = new Map<string, FakeFile>();
  /** Files shared through files.getUploadURLExternal + files.completeUploadExternal, in order. */
  readonly uploadedFiles: FakeFile[] = [];

  private baseUrl = '';
  private readonly server: Server;
  private readonly events = new EventEmitter();
  private readonly now: () => number;
  private readonly updateTextLimit: number;
  private readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  private readonly responseUrls = new Map<string, { issuedAt: number; uses: number }>();
  private readonly pendingUploads = new Map<string, { filename: string; length: number; content?: Buffer }>();
  private readonly rateLimits = new Map<string, { times: number; retryAfter?: number }>();
  private readonly failures = new Map<string, { times: number; error: string; status: number }>();
  private tsCounter = 0;
  private idCounter = 0;
  private readonly handlers: Record<string, Handler>;
  /** Methods that take another token than the bot's (apps.connections.open takes the app-level token). */
  private readonly methodTokens = new Map<string, string>();

  constructor(options: FakeSlackOptions = {}) {
    this.token = options.token ?? 'xoxb-fake-token';
    this.teamId = options.teamId ?? 'T0FAKE';
    this.botUserId = options.botUserId ?? 'U0BOT';
    this.botId = options.botId ?? 'B0BOT';
    this.appId = options.appId ?? 'A0FAKE';
    this.now = options.now ?? Date.now;
    this.updateTextLimit = options.updateTextLimit ?? LIMITS.updateText;
    this.addUser({ id: this.botUserId, name: 'checkup', is_bot: true });
    for (const channel of options.channels ?? []) this.addChannel(channel);
    for (const user of options.users ?? []) this.addUser(user);
    for (const [group, members] of Object.entries(options.usergroups ?? {}))
      this.usergroups.set(group, members);
    this.events.setMaxListeners(0);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, err('fatal_error', { detail: String(error) }));
      });
    });
    this.handlers = {
      'auth.test': () => this.authTest(),
      'chat.postMessage': (a) => this.postMessage(a),
      'chat.update': (a) => this.update(a),
      'chat.delete': (a) => this.deleteMessage(a),
      'chat.postEphemeral': (a) => this.postEphemeral(a),
      'chat.getPermalink': (a) => this.getPermalink(a),
      'conversations.info': (a) => this.conversationsInfo(a),
      'conversations.join': (a) => this.conversationsJoin(a),
      'views.open': (a) => this.openView(a, false),
      'views.push': (a) => this.openView(a, true),
      'views.update': (a) => this.updateView(a),
      'views.publish': (a) => this.publishView(a),
      'users.info': (a) => this.usersInfo(a),
      'usergroups.users.list': (a) => this.usergroupUsers(a),
      'files.info': (a) => this.filesInfo(a),
      'files.getUploadURLExternal': (a) => this.getUploadUrl(a),
      'files.completeUploadExternal': (a) => this.completeUpload(a),
    };
  }

  /** Base URL for `slackApiUrl`, with the trailing slash WebClient expects. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** Origin of the fake (download, upload and response URLs live here). */
  get origin(): string {
    return this.baseUrl;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.events.emit('close');
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- configuration ---------------------------------------------------------------------------------

  addChannel(channel: FakeChannel): void {
    this.channels.set(channel.id, {
      name: channel.id.toLowerCase(),
      is_private: false,
      is_member: true,
      ...channel,
    });
  }

  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  /** Serves one more Web API method, authorized by `token` instead of the bot token. */
  addMethod(method: string, token: string, handler: Handler): void {
    this.handlers[method] = handler;
    this.methodTokens.set(method, token);
  }

  /** A file the app can read with files.info and download from `url_private_download` with the bot token. */
  addFile(id: string, content: string | Buffer, name: string, mimetype = 'text/plain'): FakeFile {
    const file: FakeFile = {
      id,
      name,
      title: name,
      mimetype,
      content: typeof content === 'string' ? Buffer.from(content) : content,
    };
    this.files.set(id, file);
    return file;
  }

  /** A trigger_id valid for views.open/push for 3 seconds, once — put it in interaction payloads. */
  issueTriggerId(): string {
    const trigger = `${Math.floor(this.now() / 1000)}.${this.nextId()}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(trigger, { issuedAt: this.now(), used: false });
    return trigger;
  }

  /** A response_url on the fake: 5 posts within 30 minutes, like Slack's. */
  responseUrl(): string {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { issuedAt: this.now(), uses: 0 });
    return `${this.baseUrl}/response/${id}`;
  }

  /**
   * The next `times` calls to `method` get HTTP 429, with `Retry-After: retryAfterSeconds`, or with no
   * Retry-After at all when it is not given (Slack's edge sometimes answers so).
   */
  rateLimit(method: string, times: number, retryAfterSeconds?: number): void {
    this.rateLimits.set(method, {
      times,
      ...(retryAfterSeconds === undefined ? {} : { retryAfter: retryAfterSeconds }),
    });
  }

  /**
   * The next `times` calls to `method` answer `{ ok: false, error }`, with HTTP `status` (200 as Slack
   * answers its own errors; 500 or 503 as a failing server does).
   */
  failNext(method: string, error: string, times = 1, status = 200): void {
    this.failures.set(method, { times, error, status });
  }

  /** Every call to `method` fails like `failNext` until `recover(method)`: Slack is down for it. */
  outage(method: string, error = 'service_unavailable', status = 200): void {
    this.failNext(method, error, Number.POSITIVE_INFINITY, status);
  }

  /** Ends an outage (or the failures still pending) of `method`. */
  recover(method: string): void {
    this.failures.delete(method);
    this.rateLimits.delete(method);
  }

  /** Forget recorded calls and responses and pending rate limits/failures; workspace state stays. */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.rateLimits.clear();
    this.failures.clear();
  }

  // ---- inspection ------------------------------------------------------------------------------------

  callsTo(method: string): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  lastCall(method: string): FakeCall | undefined {
    return this.callsTo(method).at(-1);
  }

  /** Calls refused for invalid Block Kit (or no text / too long). */
  rejectedCalls(): FakeCall[] {
    return this.calls.filter((call) => call.rejected !== undefined);
  }

  /** Every Block Kit problem in calls and response URL posts: `expect(slack.problems()).toEqual([])`. */
  problems(): string[] {
    return [
      ...this.calls.flatMap((c) => (c.rejected ?? []).map((p) => `${c.method}: ${p}`)),
      ...this.responses.flatMap((r) => (r.rejected ?? []).map((p) => `response_url: ${p}`)),
    ];
  }

  messagesIn(channel: string): FakeMessage[] {
    return this.messages.get(channel) ?? [];
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messagesIn(channel).find((m) => m.ts === ts);
  }

  /**
   * The first call to `method` matching `predicate`, already recorded or still to come (so it cannot be
   * missed by awaiting late); pass a predicate or reset() to wait for a new one.
   */
  waitFor(
    method: string,
    predicate: (call: FakeCall) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FakeCall> {
    return this.waitForCall(
      (call) => call.method === method && predicate(call),
      timeoutMs,
      `matching ${method}`,
    );
  }

  /** The first call of any method matching `predicate`, already recorded or still to come. */
  waitForCall(match: (call: FakeCall) => boolean, timeoutMs = 5_000, what = 'matching'): Promise<FakeCall> {
    return this.waitForEvent(
      'call',
      () => this.calls.find(match),
      match,
      timeoutMs,
      () => {
        const seen = this.calls.map((c) => (c.error ? `${c.method} (${c.error})` : c.method)).join(', ');
        return `no ${what} call within ${timeoutMs} ms; calls so far: ${seen || 'none'}`;
      },
    );
  }

  waitForResponse(
    predicate: (post: FakeResponsePost) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FakeResponsePost> {
    return this.waitForEvent(
      'response',
      () => this.responses.find(predicate),
      predicate,
      timeoutMs,
      () => `no matching response_url post within ${timeoutMs} ms (${this.responses.length} posts so far)`,
    );
  }

  private waitForEvent<T>(
    event: string,
    existing: () => T | undefined,
    match: (item: T) => boolean,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    const found = existing();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        this.events.off(event, onItem);
        this.events.off('close', onClose);
      };
      const onItem = (item: T) => {
        if (!match(item)) return;
        stop();
        resolve(item);
      };
      const onClose = () => {
        stop();
        reject(new Error(`fake Slack closed: ${describe()}`));
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(describe()));
      }, timeoutMs);
      this.events.on(event, onItem);
      this.events.on('close', onClose);
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const [, area, id] = url.pathname.split('/');
    if (area === 'api' && id) return this.apiCall(id, req, res, url);
    if (area === 'files' && id && req.method === 'GET') return this.download(id, req, res);
    if (area === 'upload' && id && req.method === 'POST') return this.upload(id, req, res);
    if (area === 'response' && id && req.method === 'POST') return this.respond(id, req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private authorized(req: IncomingMessage, args: Args = {}, token = this.token): boolean {
    return req.headers.authorization === `Bearer ${token}` || args.token === token;
  }

  private async apiCall(method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let args: Args;
    try {
      args = await parseArgs(req, url);
    } catch {
      sendJson(res, 200, err('invalid_json'));
      return;
    }
    let status = 200;
    let headers: Record<string, string> = {};
    let result: Result;
    const handler = this.handlers[method];
    const limit = this.rateLimits.get(method);
    const failure = this.failures.get(method);
    if (handler === undefined) {
      result = err('unknown_method');
    } else if (!req.headers.authorization && args.token === undefined) {
      result = err('not_authed');
    } else if (this.methodTokens.has(method) && this.authorized(req, args)) {
      result = err('not_allowed_token_type');
    } else if (!this.authorized(req, args, this.methodTokens.get(method))) {
      result = err('invalid_auth');
    } else if (limit && limit.times > 0) {
      limit.times -= 1;
      status = 429;
      headers = limit.retryAfter === undefined ? {} : { 'retry-after': String(limit.retryAfter) };
      result = err('ratelimited');
    } else if (failure && failure.times > 0) {
      failure.times -= 1;
      status = failure.status;
      result = err(failure.error);
    } else {
      result = await handler(args);
    }
    const call: FakeCall = { method, args, at: this.now(), status, result };
    if (result.ok === false) call.error = String(result.error);
    if (Array.isArray(result.errors)) call.rejected = result.errors as string[];
    this.calls.push(call);
    sendJson(res, status, result, headers);
    this.events.emit('call', call);
  }

  private async download(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = this.files.get(id);
    if (!this.authorized(req)) {
      // Slack serves a login page without the token; a clear 403 makes the missing header obvious.
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('missing or wrong Authorization: Bearer token');
      return;
    }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('file not found');
      return;
    }
    res
      .writeHead(200, { 'content-type': file.mimetype, 'content-length': file.content.length })
      .end(file.content);
  }

  private async upload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pending = this.pendingUploads.get(id);
    const body = await readBody(req);
    if (pending === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('upload url not found');
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    let content = body;
    if (contentType.startsWith('multipart/form-data')) {
      const form = await parseMultipart(body, contentType);
      const part =
        [...form.values()].find((value) => typeof value !== 'string') ?? form.values().next().value;
      content =
        typeof part === 'string' ? Buffer.from(part) : Buffer.from(await (part as Blob).arrayBuffer());
    }
    pending.content = content;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${content.length}`);
  }

  private async respond(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = `${this.baseUrl}/response/${id}`;
    const raw = (await readBody(req)).toString('utf8');
    const entry = this.responseUrls.get(id);
    let body: Args = {};
    let status = 200;
    let answer: Result = ok();
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      body = parsed as Args;
    } catch {
      status = 400;
      answer = err('invalid_payload');
    }
    const post: FakeResponsePost = { url, body, at: this.now(), status: 200 };
    if (status === 200) {
      if (entry === undefined) [status, answer] = [404, err('no_service')];
      else if (this.now() - entry.issuedAt > RESPONSE_URL_TTL_MS)
        [status, answer] = [404, err('expired_url')];
      else if (entry.uses >= RESPONSE_URL_USES) [status, answer] = [404, err('used_url')];
      else {
        const problems = body.delete_original === true ? [] : validateMessage(body);
        if (problems.length > 0) {
          [status, answer] = [400, invalid(problems)];
          post.rejected = problems;
        } else {
          entry.uses += 1;
        }
      }
    }
    post.status = status;
    if (answer.ok === false) post.error = String(answer.error);
    this.responses.push(post);
    sendJson(res, status, answer);
    this.events.emit('response', post);
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private nextId(): string {
    this.idCounter += 1;
    return String(this.idCounter).padStart(10, '0');
  }

  /** Message timestamps like Slack's: `1700000000.000100`, increasing. */
  private nextTs(): string {
    const micros = FIRST_TS_MICROS + this.tsCounter * 100;
    this.tsCounter += 1;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private channelInfo(idOrName: string): FakeChannel | undefined {
    const byName = idOrName.startsWith('#') ? idOrName.slice(1) : undefined;
    if (byName !== undefined) return [...this.channels.values()].find((c) => c.name === byName);
    const known = this.channels.get(idOrName) ?? [...this.channels.values()].find((c) => c.name === idOrName);
    if (known) return known;
    // Unconfigured ids: public channels the bot is in, and DMs; private ones are invisible.
    if (/^C[A-Z0-9]+$/.test(idOrName))
      return { id: idOrName, name: idOrName.toLowerCase(), is_private: false, is_member: true };
    if (/^D[A-Z0-9]+$/.test(idOrName))
      return { id: idOrName, is_im: true, is_private: true, is_member: true };
    return undefined;
  }

  /** The channel the bot may post to, or Slack's error for it. A user id posts to the DM with that user. */
  private postable(channel: unknown): FakeChannel | Result {
    if (typeof channel !== 'string' || channel === '') return err('channel_not_found');
    if (isUserId(channel)) {
      return { id: `D${channel.slice(1)}`, is_im: true, is_private: true, is_member: true };
    }
    // The direct message the bot opened by posting to a user, named by its own ID as Slack answers it.
    if (/^D[A-Z0-9]+$/.test(channel) && this.messages.has(channel)) {
      return { id: channel, is_im: true, is_private: true, is_member: true };
    }
    const info = this.channelInfo(channel);
    if (info === undefined) return err('channel_not_found');
    if (info.is_archived) return err('is_archived');
    if (!info.is_member) return err(info.is_private ? 'channel_not_found' : 'not_in_channel');
    return info;
  }

  private isError(value: FakeChannel | Result): value is Result {
    return 'ok' in value;
  }

  private messageView(message: FakeMessage): Result {
    const { channel: _channel, ...rest } = message;
    return rest;
  }

  // ---- methods ---------------------------------------------------------------------------------------

  private authTest(): Result {
    return ok({
      url: 'https://fake-workspace.slack.com/',
      team: 'Fake Workspace',
      user: this.users.get(this.botUserId)?.name ?? 'bot',
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    });
  }

  private postMessage(args: Args): Result {
    const target = this.postable(args.channel);
    if (this.isError(target)) return target;
    const problems = validateMessage(args);
    if (problems.length > 0) return invalid(problems);
    const threadTs = str(args.thread_ts);
    const message: FakeMessage = {
      type: 'message',
      channel: target.id,
      ts: this.nextTs(),
      text: typeof args.text === 'string' ? args.text : '',
      user: this.botUserId,
      bot_id: this.botId,
      team: this.teamId,
    };
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    if (Array.isArray(args.attachments)) message.attachments = args.attachments;
    if (args.metadata !== undefined) message.metadata = args.metadata;
    if (threadTs !== undefined) {
      // The parent may be a user's message the fake never saw (an event the app replies to).
      const parent = this.message(target.id, threadTs);
      message.thread_ts = parent?.thread_ts ?? threadTs;
      const root = this.message(target.id, message.thread_ts);
      if (root) root.reply_count = (root.reply_count ?? 0) + 1;
    }
    const list = this.messages.get(target.id) ?? [];
    list.push(message);
    this.messages.set(target.id, list);
    return ok({ channel: target.id, ts: message.ts, message: this.messageView(message) });
  }

  /** The bot's message the call points at, or Slack's error code. */
  private existingMessage(args: Args, tsField = 'ts'): FakeMessage | string {
    const info = typeof args.channel === 'string' ? this.channelInfo(args.channel) : undefined;
    if (info === undefined) return 'channel_not_found';
    return this.message(info.id, String(args[tsField] ?? '')) ?? 'message_not_found';
  }

  private update(args: Args): Result {
    const message = this.existingMessage(args);
    if (typeof message === 'string') return err(message);
    if (message.user !== this.botUserId) return err('cant_update_message');
    const problems = validateMessage(args, { maxTextLength: this.updateTextLimit });
    if (problems.length > 0) return invalid(problems);
    if (typeof args.text === 'string') message.text = args.text;
    // Like Slack: new text without blocks removes the blocks.
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    else if (typeof args.text === 'string') delete message.blocks;
    if (Array.isArray(args.attachments)) message.attachments = args.attachments;
    message.edited = { user: this.botUserId, ts: this.nextTs() };
    return ok({
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      message: this.messageView(message),
    });
  }

  private deleteMessage(args: Args): Result {
    const message = this.existingMessage(args);
    if (typeof message === 'string') return err(message);
    if (message.user !== this.botUserId) return err('cant_delete_message');
    const list = this.messagesIn(message.channel);
    list.splice(list.indexOf(message), 1);
    return ok({ channel: message.channel, ts: message.ts });
  }

  private postEphemeral(args: Args): Result {
    const target = this.postable(args.channel);
    if (this.isError(target)) return target;
    const user = str(args.user);
    if (user === undefined || !isUserId(user)) return err('user_not_found');
    const problems = validateMessage(args);
    if (problems.length > 0) return invalid(problems);
    const ephemeral: FakeEphemeral = { channel: target.id, user, message_ts: this.nextTs() };
    if (typeof args.text === 'string') ephemeral.text = args.text;
    if (Array.isArray(args.blocks)) ephemeral.blocks = args.blocks;
    const threadTs = str(args.thread_ts);
    if (threadTs !== undefined) ephemeral.thread_ts = threadTs;
    this.ephemerals.push(ephemeral);
    return ok({ message_ts: ephemeral.message_ts });
  }

  private getPermalink(args: Args): Result {
    const message = this.existingMessage(args, 'message_ts');
    if (typeof message === 'string') return err(message);
    const permalink = `https://fake-workspace.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`;
    return ok({ channel: message.channel, permalink });
  }

  private channelObject(info: FakeChannel): Result {
    return {
      id: info.id,
      name: info.name,
      is_channel: !info.is_im && !info.is_private,
      is_group: false,
      is_im: info.is_im ?? false,
      is_private: info.is_private ?? false,
      is_archived: info.is_archived ?? false,
      is_member: info.is_member ?? false,
      context_team_id: this.teamId,
    };
  }

  private conversationsInfo(args: Args): Result {
    const info = typeof args.channel === 'string' ? this.channelInfo(args.channel) : undefined;
    if (info === undefined || (info.is_private && !info.is_member)) return err('channel_not_found');
    return ok({ channel: this.channelObject(info) });
  }

  private conversationsJoin(args: Args): Result {
    const info = typeof args.channel === 'string' ? this.channelInfo(args.channel) : undefined;
    if (info === undefined || (info.is_private && !info.is_member)) return err('channel_not_found');
    if (info.is_private || info.is_im) return err('method_not_supported_for_channel_type');
    if (info.is_archived) return err('is_archived');
    const joined = { ...info, is_member: true };
    this.channels.set(info.id, joined);
    return ok({ channel: this.channelObject(joined) });
  }

  /** Checks and spends a trigger_id. */
  private useTrigger(trigger: unknown): Result | undefined {
    if (typeof trigger !== 'string' || trigger === '')
      return err('invalid_arguments', { detail: 'trigger_id is required' });
    const entry = this.triggers.get(trigger);
    // Slack also says invalid_trigger_id / exchanged_trigger_id; apps treat them alike.
    if (entry === undefined)
      return err('expired_trigger_id', { detail: 'trigger_id was not issued by the fake' });
    if (entry.used) return err('expired_trigger_id', { detail: 'trigger_id was already used' });
    if (this.now() - entry.issuedAt > TRIGGER_TTL_MS)
      return err('expired_trigger_id', { detail: 'trigger_id is older than 3 seconds' });
    entry.used = true;
    return undefined;
  }

  private storedView(view: Args, previous?: FakeView): FakeView {
    const id = previous?.id ?? `V${this.nextId()}`;
    return {
      team_id: this.teamId,
      private_metadata: '',
      callback_id: '',
      external_id: '',
      state: { values: {} },
      clear_on_close: false,
      notify_on_close: false,
      app_id: this.appId,
      bot_id: this.botId,
      ...view,
      id,
      type: String(view.type),
      hash: `${Math.floor(this.now() / 1000)}.${randomBytes(6).toString('hex')}`,
      root_view_id: previous?.root_view_id ?? id,
      previous_view_id: previous?.previous_view_id ?? null,
    };
  }

  private openView(args: Args, push: boolean): Result {
    const triggerError = this.useTrigger(args.trigger_id);
    if (triggerError) return triggerError;
    const problems = validateView(args.view, 'modal');
    if (problems.length > 0) return invalid(problems);
    const view = this.storedView(args.view as Args);
    if (push) view.previous_view_id = [...this.views.keys()].at(-1) ?? null;
    this.views.set(view.id, view);
    return ok({ view });
  }

  private updateView(args: Args): Result {
    const existing =
      typeof args.view_id === 'string'
        ? (this.views.get(args.view_id) ?? [...this.homeViews.values()].find((v) => v.id === args.view_id))
        : [...this.views.values(), ...this.homeViews.values()].find(
            (v) => v.external_id === args.external_id,
          );
    if (existing === undefined) return err('not_found');
    if (typeof args.hash === 'string' && args.hash !== existing.hash) return err('hash_conflict');
    const problems = validateView(args.view, existing.type === 'home' ? 'home' : 'modal');
    if (problems.length > 0) return invalid(problems);
    const view = this.storedView(args.view as Args, existing);
    if (view.type === 'home') {
      for (const [user, home] of this.homeViews) if (home.id === view.id) this.homeViews.set(user, view);
    } else {
      this.views.set(view.id, view);
    }
    return ok({ view });
  }

  private publishView(args: Args): Result {
    const user = str(args.user_id);
    if (user === undefined || !isUserId(user)) return err('user_not_found');
    const existing = this.homeViews.get(user);
    if (typeof args.hash === 'string' && existing && args.hash !== existing.hash) return err('hash_conflict');
    const problems = validateView(args.view, 'home');
    if (problems.length > 0) return invalid(problems);
    const view = this.storedView(args.view as Args, existing);
    this.homeViews.set(user, view);
    return ok({ view });
  }

  private usersInfo(args: Args): Result {
    const user = typeof args.user === 'string' ? this.users.get(args.user) : undefined;
    if (user === undefined) return err('user_not_found');
    const tz = user.tz ?? 'America/Los_Angeles';
    return ok({
      user: {
        team_id: this.teamId,
        name: user.id.toLowerCase(),
        real_name: user.real_name ?? user.name ?? user.id,
        deleted: false,
        is_bot: false,
        tz,
        tz_label: tz,
        tz_offset: user.tz_offset ?? tzOffsetSeconds(tz, this.now()),
        ...user,
        profile: {
          real_name: user.real_name ?? user.name ?? user.id,
          display_name: user.name ?? '',
          ...user.profile,
        },
      },
    });
  }

  private usergroupUsers(args: Args): Result {
    const members = typeof args.usergroup === 'string' ? this.usergroups.get(args.usergroup) : undefined;
    return members === undefined ? err('no_such_subteam') : ok({ users: [...members] });
  }

  private fileObject(file: FakeFile): Result {
    const url = `${this.baseUrl}/files/${file.id}/${encodeURIComponent(file.name)}`;
    return {
      id: file.id,
      name: file.name,
      title: file.title,
      mimetype: file.mimetype,
      filetype: file.name.includes('.') ? file.name.split('.').at(-1) : 'text',
      size: file.content.length,
      user: this.botUserId,
      url_private: url,
      url_private_download: url,
      channels: file.channel ? [file.channel] : [],
    };
  }

  private filesInfo(args: Args): Result {
    const file = typeof args.file === 'string' ? this.files.get(args.file) : undefined;
    return file === undefined ? err('file_not_found') : ok({ file: this.fileObject(file) });
  }

  private getUploadUrl(args: Args): Result {
    const filename = str(args.filename);
    const length = Number(args.length);
    if (filename === undefined || !Number.isInteger(length) || length < 1)
      return err('invalid_arguments', { detail: 'filename and a positive length are required' });
    const id = `F${this.nextId()}`;
    this.pendingUploads.set(id, { filename, length });
    return ok({ upload_url: `${this.baseUrl}/upload/${id}`, file_id: id });
  }

  private completeUpload(args: Args): Result {
    const files = args.files;
    if (!Array.isArray(files) || files.length === 0)
      return err('invalid_arguments', { detail: 'files must be a JSON array of {id, title}' });
    const channelId = str(args.channel_id) ?? str(args.channels);
    let channel: string | undefined;
    if (channelId !== undefined) {
      const target = this.postable(channelId);
      if (this.isError(target)) return target;
      channel = target.id;
    }
    const done: FakeFile[] = [];
    for (const entry of files as Array<{ id?: unknown; title?: unknown }>) {
      const pending = typeof entry.id === 'string' ? this.pendingUploads.get(entry.id) : undefined;
      if (pending?.content === undefined)
        return err('file_not_found', { detail: `no upload for ${entry.id}` });
      const file: FakeFile = {
        id: String(entry.id),
        name: pending.filename,
        title: str(entry.title) ?? pending.filename,
        mimetype: 'application/octet-stream',
        content: pending.content,
      };
      if (channel !== undefined) file.channel = channel;
      const threadTs = str(args.thread_ts);
      if (threadTs !== undefined) file.thread_ts = threadTs;
      const comment = str(args.initial_comment);
      if (comment !== undefined) file.initial_comment = comment;
      done.push(file);
    }
    for (const file of done) {
      this.pendingUploads.delete(file.id);
      this.files.set(file.id, file);
      this.uploadedFiles.push(file);
    }
    return ok({ files: done.map((file) => this.fileObject(file)) });
  }
}

/** Starts a fake Slack Web API on 127.0.0.1 and an ephemeral port. */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlack(options);
  await fake.listen();
  return fake;
}
