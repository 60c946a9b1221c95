import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import { clickAndWait, type Harness, scanAndStartRotation, startHarness } from './harness.js';

const key = fakeLegacyKey(97);
// Ends differently from the first key, so the alert can be told apart by its last four (random hex:
// a made-up pattern such as `abab…` would be reported as a placeholder, not a key).
const newKey = 'pk_06acf2d20e0a501e34a6e2b3541f520589';
let leakNewKey = false;
/** While set, the site holds its answer until the promise resolves (a slow storefront). */
let slowSite: Promise<void> | undefined;
let clock = new Date('2027-02-01T09:00:00Z');
let site: TestSite;
let harness: Harness;

beforeAll(async () => {
  site = await startSite({
    '/': async (_req, res) => {
      await slowSite;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<script>var api_key = "${key}";</script>${leakNewKey ? `<script>var token = "${newKey}";</script>` : ''}`,
      );
    },
  });
  harness = await startHarness({
    env: {
      REVIEW_TIMEZONE: 'Europe/London',
      NUDGE_AFTER_HOURS: '48',
      RESCAN_SITES: site.url('/'),
      RESCAN_SCHEDULE: '0 6 * * *',
      RESCAN_CHANNEL: 'C0SHOP',
    },
    now: () => clock,
    scheduler: false,
  });
});

afterAll(async () => {
  await harness?.close();
  await site?.close();
});

function dmsTo(user: string) {
  return harness.slack
    .callsTo('chat.postMessage')
    .filter((call) => call.args.channel === user && !call.rejected);
}

describe('nudges to owners of overdue checklist items', () => {
  let rotation: FakeMessage;

  it('nudges an owner once a day after the item is overdue, and stops when it is done', async () => {
    rotation = await scanAndStartRotation(harness, site.url('/'));
    const at = { channel: 'C0SHOP', ts: rotation.ts };
    await clickAndWait(harness, at, 'rotation:item_menu', (v) => v.endsWith('|s:identify|me'), 'U0BOB');
    expect(JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks)).toContain('owner <@U0BOB>');

    clock = new Date('2027-02-02T09:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual([]);
    clock = new Date('2027-02-03T10:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual(['nudge:U0BOB:2027-02-03']);
    expect(JSON.stringify(dmsTo('U0BOB').at(-1)?.args)).toContain('Identify every integration');
    clock = new Date('2027-02-03T16:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual([]);
    await harness.restart();
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual([]);
    clock = new Date('2027-02-04T08:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual(['nudge:U0BOB:2027-02-04']);

    await clickAndWait(harness, at, 'rotation:item_menu', (v) => v.endsWith('|s:identify|done'), 'U0BOB');
    expect(JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks)).toContain('~*3.');
    clock = new Date('2027-02-05T08:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).nudges).toEqual([]);
    expect(dmsTo('U0BOB')).toHaveLength(2);
  });
});

describe('scheduled re-scans', () => {
  it('re-scans on schedule and announces only keys it had not seen before', async () => {
    const alerts = () =>
      harness.slack.messagesIn('C0SHOP').filter((message) => message.text.includes('scheduled scan'));
    // The ticks above started the daily re-scan too; it runs in the background until it is done.
    await harness.bot.scheduler.idle();
    clock = new Date('2027-02-06T06:01:00Z');
    const first = await harness.bot.scheduler.tick(clock);
    expect(first.rescans).toEqual([site.url('/')]);
    await harness.bot.scheduler.idle();
    // The key was already found by the scan from Slack above, so nothing is new.
    expect(alerts()).toHaveLength(0);
    clock = new Date('2027-02-06T07:00:00Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([]);

    // A day later someone adds another key to the site: only that one is announced.
    leakNewKey = true;
    clock = new Date('2027-02-07T06:00:30Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([site.url('/')]);
    await harness.bot.scheduler.idle();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.text).toContain(`pk_…${newKey.slice(-4)}`);
    expect(alerts()[0]?.text).not.toContain(`pk_…${key.slice(-4)}`);
    expect(harness.slack.problems()).toEqual([]);
    expect(harness.everything()).not.toContain(newKey);
  });
});

describe('a slow scheduled re-scan', () => {
  it('delays no reminder: the tick returns while the scan runs, and the next tick does not start it again', async () => {
    let release = () => {};
    slowSite = new Promise<void>((resolve) => {
      release = resolve;
    });
    clock = new Date('2027-02-08T06:00:30Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([site.url('/')]);
    clock = new Date('2027-02-08T06:01:30Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([]);
    release();
    slowSite = undefined;
    await harness.bot.scheduler.idle();
    clock = new Date('2027-02-08T06:02:30Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([]);
  });
});
