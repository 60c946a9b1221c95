import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import { type Harness, openHome, startHarness, waitUntil } from './harness.js';

const key = fakeLegacyKey(301);
/** While set, the watched shop holds its answer until the promise resolves (a slow storefront). */
let slowShop: Promise<void> | undefined;
let clock = new Date('2027-03-01T05:00:00Z');
let shop: TestSite;
let seeded: TestSite;
let harness: Harness;

beforeAll(async () => {
  shop = await startSite({
    '/': async (_req, res) => {
      await slowShop;
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<script>var api_key = "${key}";</script>`);
    },
  });
  seeded = await startSite({ '/': { body: '<h1>Nothing to see</h1>' } });
  harness = await startHarness({
    env: {
      ALLOWED_USERS: 'U0ALICE',
      REVIEW_CHANNEL: 'C0SHOP',
      REVIEW_TIMEZONE: 'Europe/London',
      RESCAN_SITES: seeded.url('/'),
      RESCAN_SCHEDULE: '0 6 * * *',
      WATCH_MAX_SITES: '3',
    },
    now: () => clock,
    scheduler: false,
  });
});

afterAll(async () => {
  await harness?.close();
  await Promise.all([shop?.close(), seeded?.close()]);
});

/** Runs `/klaviyo-scan <text>` and returns the ephemeral answer's text. */
async function scanCommand(text: string, user = 'U0ALICE'): Promise<string> {
  const before = harness.slack.responses.length;
  const reply = await harness.command(text, { user });
  expect(reply.status).toBe(200);
  expect(reply.ms).toBeLessThan(3_000);
  const answer = await harness.slack.waitForResponse(
    (post) => harness.slack.responses.indexOf(post) >= before,
  );
  expect(answer.body.response_type).toBe('ephemeral');
  return JSON.stringify(answer.body);
}

function table(sql: string): unknown[] {
  const db = new Database(harness.databasePath, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

const watchedNow = () =>
  (
    table('SELECT target FROM watched_sites WHERE removed_at IS NULL ORDER BY target') as { target: string }[]
  ).map((row) => row.target);

describe('/klaviyo-scan watch, unwatch and watch list', () => {
  it('starts with the configured site, seeded into the table', () => {
    expect(watchedNow()).toEqual([seeded.url('/')]);
  });

  it('watches a site for a permitted person, stores it, audits it, and fetches nothing yet', async () => {
    const said = await scanCommand(`watch ${shop.url('/')}`);
    expect(said).toContain(`Watching <${shop.url('/')}|`);
    expect(said).toMatch(
      /re-scanned <!date\^\d+\^\{date_short_pretty\} at \{time\}\|Mar 1, 2027 at 6:00 AM>/,
    );
    expect(said).toContain('announced in <#C0SHOP>');
    expect(watchedNow()).toEqual([shop.url('/'), seeded.url('/')].sort());
    expect(table(`SELECT actor, action FROM audit_events WHERE subject_type = 'watched_site'`)).toEqual([
      { actor: 'U0ALICE', action: 'started watching the site' },
    ]);
    expect(shop.requests).toEqual([]);
    expect(await scanCommand(`watch ${shop.url('/')}`)).toContain('is watched already (added by <@U0ALICE>');
  });

  it('refuses what a scan refuses, with the same reason, and stores nothing', async () => {
    const scanSaid = await scanCommand('http://169.254.169.254/latest/meta-data/');
    const reason = /Not scanned: ([^."]+)/.exec(scanSaid)?.[1];
    expect(reason).toBeDefined();
    const said = await scanCommand('watch http://169.254.169.254/latest/meta-data/');
    expect(said).toContain(`Not watched: ${reason}`);
    expect(await scanCommand('watch ftp://shop.example/')).toContain('Not watched: only http and https');
    expect(watchedNow()).toHaveLength(2);
  });

  it('refuses a person who may not act, like any other door', async () => {
    const said = await scanCommand(`watch https://elsewhere.example/`, 'U0BOB');
    expect(said).toContain(':no_entry:');
    expect(await scanCommand(`unwatch ${shop.url('/')}`, 'U0BOB')).toContain(':no_entry:');
    expect(watchedNow()).toHaveLength(2);
  });

  it('keeps at most WATCH_MAX_SITES sites', async () => {
    expect(await scanCommand(`watch ${shop.url('/third')}`)).toContain('Watching');
    expect(await scanCommand(`watch ${shop.url('/fourth')}`)).toContain('3 sites are watched already');
    expect(watchedNow()).toHaveLength(3);
    expect(await scanCommand(`unwatch ${shop.url('/third')}`)).toContain('Stopped watching');
  });

  it('lists the watched sites, and App Home shows them', async () => {
    const said = await scanCommand('watch list');
    expect(said).toContain('Watched sites (2 of at most 3)');
    expect(said).toContain(shop.url('/'));
    expect(said).toContain('added by the bot’s settings');
    const home = JSON.stringify(await openHome(harness));
    expect(home).toContain('Watched sites (2)');
    expect(home).toContain(shop.host);
    expect(harness.slack.problems()).toEqual([]);
  });

  it('re-scans watched sites on the schedule, beside the tick: a slow site delays no reminder', async () => {
    let release = () => {};
    onTestFinished(() => release());
    slowShop = new Promise<void>((resolve) => {
      release = resolve;
    });
    clock = new Date('2027-03-01T06:00:30Z');
    const report = await harness.bot.scheduler.tick(clock);
    // The tick returned while the shop still holds its answer, with the review reminder sent.
    expect(report.rescans.sort()).toEqual([shop.url('/'), seeded.url('/')].sort());
    expect(report.reviewReminder).toBeDefined();
    // The shop's scan is under way and waiting on the shop; nothing has been announced yet.
    await waitUntil(() => shop.requests.length > 0, 'the re-scan to reach the shop');
    const alerts = () =>
      harness.slack.messagesIn('C0SHOP').filter((message) => message.text.includes('scheduled scan'));
    expect(alerts()).toHaveLength(0);
    release();
    slowShop = undefined;
    await harness.bot.scheduler.idle();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.text).toContain(`pk_…${key.slice(-4)}`);
    expect(harness.everything()).not.toContain(key);
  });

  it('unwatches, and a restart does not bring back a configured site someone unwatched', async () => {
    expect(await scanCommand(`unwatch ${seeded.url('/')}`)).toContain('Stopped watching');
    expect(await scanCommand(`unwatch ${seeded.url('/')}`)).toContain('is not watched');
    await harness.restart();
    expect(watchedNow()).toEqual([shop.url('/')]);
    clock = new Date('2027-03-02T06:00:30Z');
    expect((await harness.bot.scheduler.tick(clock)).rescans).toEqual([shop.url('/')]);
    await harness.bot.scheduler.idle();
    expect(
      table(`SELECT actor, action FROM audit_events WHERE subject_type = 'watched_site' ORDER BY id`),
    ).toEqual([
      { actor: 'U0ALICE', action: 'started watching the site' },
      { actor: 'U0ALICE', action: 'started watching the site' },
      { actor: 'U0ALICE', action: 'stopped watching the site' },
      { actor: 'U0ALICE', action: 'stopped watching the site' },
    ]);
  });
});
