import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import { blockAction, findElement, type Harness, startHarness, waitUntil } from './harness.js';

const key = fakeLegacyKey(95);
let site: TestSite;
let stall = false;
const stalled: Array<() => void> = [];

beforeAll(async () => {
  site = await startSite({
    '/': (_req, res) => {
      if (stall) {
        stalled.push(() => res.destroy());
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<script>var token = "${key}";</script>`);
    },
  });
});

afterAll(async () => {
  for (const release of stalled) release();
  await site.close();
});

describe('where the command is typed', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('in a private channel the bot is not part of, answers through the response URL and says how to invite it', async () => {
    await harness.command(site.url('/'), { channel: 'G0PRIVATE' });
    const tip = await harness.slack.waitForResponse((post) => JSON.stringify(post.body).includes('/invite'));
    expect(tip.body.response_type).toBe('ephemeral');
    const result = await harness.slack.waitForResponse((post) =>
      JSON.stringify(post.body).includes('exposed Klaviyo private key'),
    );
    expect(result.body.response_type).toBe('in_channel');
    expect(JSON.stringify(result.body)).toContain(`pk_…${key.slice(-4)}`);
    expect(harness.slack.problems()).toEqual([]);
  });

  it('joins a scan of the same site that is already running, and delivers the result to both channels', async () => {
    stall = true;
    await harness.command(site.url('/'), { channel: 'C0SHOP' });
    await waitUntil(() => stalled.length > 0, 'the first scan to reach the site');
    const before = harness.slack.responses.length;
    await harness.command(site.url('/'), { channel: 'C0OTHER', user: 'U0BOB' });
    const joined = await harness.slack.waitForResponse(
      (post) => harness.slack.responses.indexOf(post) >= before,
    );
    expect(JSON.stringify(joined.body)).toContain('already being scanned');
    stall = false;
    for (const release of stalled.splice(0)) release();
    await harness.slack.waitFor(
      'chat.postMessage',
      (call) =>
        call.args.channel === 'C0OTHER' && String(call.args.text).includes('exposed Klaviyo private key'),
      20_000,
    );
  });
});

describe('a URL that itself carries a key', () => {
  it('is refused before anything is stored or posted, with advice to rotate the key', async () => {
    const harness = await startHarness();
    try {
      await harness.command(`${site.url('/')}?api_key=${key}`);
      const reply = await harness.slack.waitForResponse((post) =>
        JSON.stringify(post.body).includes('contains a Klaviyo private key'),
      );
      expect(reply.body.response_type).toBe('ephemeral');
      expect(harness.slack.callsTo('chat.postMessage')).toHaveLength(0);
      expect(harness.everything()).not.toContain(key);
    } finally {
      await harness.close();
    }
  });
});

describe('restarts', () => {
  let harness: Harness;
  afterEach(async () => {
    stall = false;
    for (const release of stalled.splice(0)) release();
    await harness.close();
  });

  it('marks a scan cut off by a restart as interrupted, and it can be run again from its message', async () => {
    harness = await startHarness();
    stall = true;
    await harness.command(site.url('/'));
    const posted = await harness.slack.waitFor('chat.postMessage', (call) => call.args.channel === 'C0SHOP');
    const ts = String((posted.result as { ts: string }).ts);
    await waitUntil(() => stalled.length > 0, 'the scan to reach the site');
    await harness.restart();
    const interrupted = await waitUntil(() => {
      const message = harness.slack.message('C0SHOP', ts);
      return message && JSON.stringify(message.blocks).includes('interrupted') ? message : undefined;
    }, 'the interrupted message');
    stall = false;
    for (const release of stalled.splice(0)) release();
    const again = findElement(interrupted.blocks, 'scan:rescan');
    expect(again).toBeDefined();
    await harness.action(blockAction(harness.slack, interrupted as FakeMessage, again as never));
    await waitUntil(() => {
      const message = harness.slack.message('C0SHOP', ts);
      return message && JSON.stringify(message.blocks).includes('exposed Klaviyo private key')
        ? message
        : undefined;
    }, 'the re-run result in the same message');
    expect(harness.slack.problems()).toEqual([]);
  });
});

describe('who may act', () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.close();
  });

  it('refuses someone outside ALLOWED_USERS with the reason, and lets a listed user scan', async () => {
    harness = await startHarness({ env: { ALLOWED_USERS: 'U0ALICE' } });
    const before = harness.slack.responses.length;
    await harness.command(site.url('/'), { user: 'U0BOB' });
    const refusal = await harness.slack.waitForResponse(
      (post) => harness.slack.responses.indexOf(post) >= before,
    );
    expect(JSON.stringify(refusal.body)).toContain('Only <@U0ALICE>');
    expect(harness.slack.callsTo('chat.postMessage')).toHaveLength(0);
    await harness.command(site.url('/'), { user: 'U0ALICE' });
    await harness.slack.waitFor('chat.postMessage', (call) => call.args.channel === 'C0SHOP');
  });
});
