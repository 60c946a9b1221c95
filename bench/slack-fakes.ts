/**
 * The Slack latency benchmark's loopback world, made of the test fakes: the fake Slack Web API of
 * test/fakes (which rejects invalid Block Kit as Slack does), the fake Klaviyo answering 401 (a
 * revoked key) to every key, and a tiny storefront with one made-up key. One fake Slack for the tests
 * and the bench; this file only adds what the bench reads: calls from an index on, on a clock with
 * sub-millisecond resolution.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type FakeKlaviyo, startFakeKlaviyo } from '../test/fakes/klaviyo-api.js';
import { type FakeCall, type FakeSlack, startFakeSlack } from '../test/fakes/slack-api.js';
import { startSite, type TestSite } from '../test/fixtures/site-server.js';

export type { FakeCall, FakeKlaviyo, TestSite };

export const BENCH_TOKEN = 'xoxb-bench-token';
export const BENCH_CHANNEL = 'C0BENCH';

/** Epoch milliseconds with sub-millisecond resolution: the fake Slack stamps its calls with it. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface BenchSlack {
  fake: FakeSlack;
  /** The first call from index `after` on that matches; rejects after `timeoutMs`. */
  waitFor(
    what: string,
    match: (call: FakeCall) => boolean,
    after: number,
    timeoutMs: number,
  ): Promise<FakeCall>;
}

export async function startBenchSlack(): Promise<BenchSlack> {
  const fake = await startFakeSlack({
    token: BENCH_TOKEN,
    teamId: 'T0BENCH',
    appId: 'A0BENCH',
    channels: [{ id: BENCH_CHANNEL, name: 'bench', is_member: true }],
    now: preciseNow,
  });
  return {
    fake,
    waitFor: (what, match, after, timeoutMs) => {
      // Calls are only ever appended, so a call's index says when it came.
      const since = new Set(fake.calls.slice(0, after));
      return fake
        .waitForCall((call) => !since.has(call) && match(call), timeoutMs, what)
        .catch((error: unknown) => {
          throw new Error(`timed out waiting for ${what}: ${error instanceof Error ? error.message : error}`);
        });
    },
  };
}

/** The message's ts: what chat.postMessage answered, or the one chat.update was given. */
export function tsOf(call: FakeCall): string | undefined {
  const ts = call.result.ts ?? call.args.ts;
  return typeof ts === 'string' ? ts : undefined;
}

/**
 * A made-up legacy private key: `pk_` + 34 lowercase hex (with a digit and a letter, as the detector
 * requires). Derived from a fixed string, so every run plants the same one.
 */
export const BENCH_KEY = `pk_${createHash('sha256').update('klaviyo-checkup slack bench').digest('hex').slice(0, 34)}`;

const page = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title><script src="/assets/app.js"></script></head><body>` +
  `<nav><a href="/">Home</a> <a href="/products/mug">Mug</a> <a href="/about">About</a> <a href="/checkout">Checkout</a></nav>` +
  `${body}</body></html>`;

/** The storefront the scans crawl: four pages and a script; the query string is ignored. */
export function startBenchSite(): Promise<TestSite> {
  return startSite({
    '/': { body: page('Bench shop', '<h1>Bench shop</h1>') },
    '/products/mug': { body: page('Mug', '<h1>Mug</h1><p>A mug.</p>') },
    '/about': { body: page('About', '<h1>About us</h1>') },
    '/checkout': {
      body: page(
        'Checkout',
        `<h1>Checkout</h1><script>fetch("https://a.klaviyo.com/api/profiles/",{headers:{Authorization:"Klaviyo-API-Key ${BENCH_KEY}"}});</script>`,
      ),
    },
    '/assets/app.js': {
      type: 'text/javascript; charset=utf-8',
      body: 'window.shop = { cart: [], add(item) { this.cart.push(item); } };\n',
    },
  });
}

/** Klaviyo's accounts endpoint; every key it does not know (the bench's too) answers 401, revoked. */
export function startBenchKlaviyo(): Promise<FakeKlaviyo> {
  return startFakeKlaviyo();
}
