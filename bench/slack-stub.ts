/**
 * Loopback stand-ins for the Slack latency benchmark: a minimal Slack Web API (just enough for the
 * bot), a tiny storefront with one made-up key, and Klaviyo's accounts endpoint answering 401. The
 * bench is compiled from src/ only, so this does not reuse test/fakes; it keeps no workspace state
 * beyond the messages the bot posts and checks no Block Kit.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

type Args = Record<string, unknown>;

/** One request the stub received: a Web API call, or `response_url` for a POST to a response URL. */
export interface StubCall {
  /** Index in `calls`. */
  seq: number;
  method: string;
  args: Args;
  /** `performance.now()` when the request arrived (same clock as the bench: one process). */
  at: number;
  /** chat.postMessage and chat.update: the message's ts. */
  ts?: string;
}

export interface StubMessage {
  channel: string;
  ts: string;
  text: string;
  /** The latest blocks (as posted, or as last updated). */
  blocks: unknown[];
  threadTs?: string;
  updates: number;
}

export interface SlackStub {
  /** For SLACK_API_URL (with the trailing slash the Web API client expects). */
  apiUrl: string;
  origin: string;
  teamId: string;
  botUserId: string;
  appId: string;
  /** Every request, in arrival order. */
  calls: StubCall[];
  message(channel: string, ts: string): StubMessage | undefined;
  /** A new response URL on the stub. */
  responseUrl(): string;
  /** The first call from `after` on (a seq) that matches; rejects after `timeoutMs`. */
  waitFor(
    what: string,
    match: (call: StubCall) => boolean,
    after: number,
    timeoutMs: number,
  ): Promise<StubCall>;
  close(): Promise<void>;
}

/** Fields the Web API client sends JSON-encoded inside a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export async function startSlackStub(): Promise<SlackStub> {
  const teamId = 'T0BENCH';
  const botUserId = 'U0BOT';
  const botId = 'B0BOT';
  const appId = 'A0BENCH';
  const calls: StubCall[] = [];
  const messages = new Map<string, StubMessage>();
  const waiters = new Set<{
    after: number;
    match: (call: StubCall) => boolean;
    done: (call: StubCall) => void;
  }>();
  let tsCounter = 0;
  let responseCounter = 0;
  let viewCounter = 0;

  const record = (call: StubCall) => {
    calls.push(call);
    for (const waiter of waiters) {
      if (call.seq >= waiter.after && waiter.match(call)) waiter.done(call);
    }
  };

  const handle = (method: string, args: Args, at: number): Args => {
    const channel = String(args.channel ?? '');
    const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : [];
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://bench.slack.invalid/',
          team: 'bench',
          user: 'checkup',
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        tsCounter++;
        const ts = `${1_700_000_000 + Math.floor(tsCounter / 1e6)}.${String(tsCounter % 1e6).padStart(6, '0')}`;
        const threadTs =
          typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
        messages.set(`${channel}:${ts}`, {
          channel,
          ts,
          text: String(args.text ?? ''),
          blocks,
          ...(threadTs === undefined ? {} : { threadTs }),
          updates: 0,
        });
        record({ seq: calls.length, method, args, at, ts });
        return {
          channel,
          ts,
          message: { type: 'message', text: args.text, ts, user: botUserId, bot_id: botId },
        };
      }
      case 'chat.update': {
        const ts = String(args.ts ?? '');
        const stored = messages.get(`${channel}:${ts}`);
        if (stored === undefined) {
          messages.set(`${channel}:${ts}`, {
            channel,
            ts,
            text: String(args.text ?? ''),
            blocks,
            updates: 1,
          });
        } else {
          stored.text = String(args.text ?? '');
          stored.blocks = blocks;
          stored.updates++;
        }
        record({ seq: calls.length, method, args, at, ts });
        return { channel, ts, text: args.text };
      }
      case 'chat.postEphemeral':
        record({ seq: calls.length, method, args, at });
        return { message_ts: `${1_700_000_000}.${String(++tsCounter % 1e6).padStart(6, '0')}` };
      case 'chat.getPermalink':
        record({ seq: calls.length, method, args, at });
        return {
          channel,
          permalink: `https://bench.slack.invalid/archives/${channel}/p${String(args.message_ts)}`,
        };
      case 'views.open':
        record({ seq: calls.length, method, args, at });
        return { view: { id: `V${++viewCounter}`, hash: `h${viewCounter}`, ...((args.view as Args) ?? {}) } };
      case 'usergroups.users.list':
        record({ seq: calls.length, method, args, at });
        return { users: [] };
      default:
        record({ seq: calls.length, method, args, at });
        return {};
    }
  };

  const server = createServer((req, res) => {
    const at = performance.now();
    readBody(req)
      .then((body) => {
        const url = new URL(req.url ?? '/', 'http://stub');
        const args = parseArgs(body, req.headers['content-type'] ?? '', url);
        if (url.pathname.startsWith('/response/')) {
          record({ seq: calls.length, method: 'response_url', args, at });
          sendJson(res, 200, { ok: true });
          return;
        }
        const method = url.pathname.replace(/^\/api\//, '');
        sendJson(res, 200, { ok: true, ...handle(method, args, at) });
      })
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fatal_error', detail: String(error) });
      });
  });
  const origin = await listen(server);

  return {
    apiUrl: `${origin}/api/`,
    origin,
    teamId,
    botUserId,
    appId,
    calls,
    message: (channel, ts) => messages.get(`${channel}:${ts}`),
    responseUrl: () => `${origin}/response/${++responseCounter}`,
    waitFor(what, match, after, timeoutMs) {
      for (let seq = after; seq < calls.length; seq++) {
        const call = calls[seq] as StubCall;
        if (match(call)) return Promise.resolve(call);
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          after,
          match,
          done: (call: StubCall) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => closeServer(server),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Query, then a JSON or form-encoded body; JSON fields inside a form are parsed. */
function parseArgs(body: Buffer, contentType: string, url: URL): Args {
  const args: Args = Object.fromEntries(url.searchParams);
  if (body.length === 0) return args;
  const text = body.toString('utf8');
  if (contentType.startsWith('application/json')) {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? { ...args, ...(parsed as Args) } : args;
  }
  for (const [key, value] of new URLSearchParams(text)) {
    if (JSON_FIELDS.has(key)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // kept as the string it was
      }
    }
    args[key] = value;
  }
  return args;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface LoopbackServer {
  origin: string;
  /** Requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A made-up legacy private key: `pk_` + 34 lowercase hex (with a digit and a letter, as the detector
 * requires). Derived from a fixed string, so every run plants the same one.
 */
export const BENCH_KEY = `pk_${createHash('sha256').update('klaviyo-checkup slack bench').digest('hex').slice(0, 34)}`;

const PAGE = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title><script src="/assets/app.js"></script></head><body>` +
  `<nav><a href="/">Home</a> <a href="/products/mug">Mug</a> <a href="/about">About</a> <a href="/checkout">Checkout</a></nav>` +
  `${body}</body></html>`;

const SITE: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE('Bench shop', '<h1>Bench shop</h1>') },
  '/products/mug': { type: 'text/html; charset=utf-8', body: PAGE('Mug', '<h1>Mug</h1><p>A mug.</p>') },
  '/about': { type: 'text/html; charset=utf-8', body: PAGE('About', '<h1>About us</h1>') },
  '/checkout': {
    type: 'text/html; charset=utf-8',
    body: PAGE(
      'Checkout',
      `<h1>Checkout</h1><script>fetch("https://a.klaviyo.com/api/profiles/",{headers:{Authorization:"Klaviyo-API-Key ${BENCH_KEY}"}});</script>`,
    ),
  },
  '/assets/app.js': {
    type: 'text/javascript; charset=utf-8',
    body: 'window.shop = { cart: [], add(item) { this.cart.push(item); } };\n',
  },
};

/** The storefront the scans crawl: four pages and a script; the query string is ignored. */
export async function startBenchSite(): Promise<LoopbackServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const page = SITE[new URL(req.url ?? '/', 'http://site').pathname];
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 10 }).end('Not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': page.type, 'content-length': Buffer.byteLength(page.body) });
    res.end(req.method === 'HEAD' ? undefined : page.body);
  });
  const origin = await listen(server);
  return { origin, requests: () => requests, close: () => closeServer(server) };
}

/** Klaviyo's `GET /api/accounts/` answering 401 (a revoked key) to every key; 404 elsewhere. */
export async function startFakeKlaviyo(): Promise<LoopbackServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://k').pathname !== '/api/accounts/') {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    const body = JSON.stringify({ errors: [{ status: 401, code: 'not_authenticated' }] });
    res.writeHead(401, {
      'content-type': 'application/vnd.api+json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  const origin = await listen(server);
  return { origin, requests: () => requests, close: () => closeServer(server) };
}
