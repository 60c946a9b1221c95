import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../src/scan/redact.js';
import { KEY_COPY_GRACE_MS } from '../../src/services/key-checks.js';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import {
  blockAction,
  databaseBytes,
  findElement,
  type Harness,
  readDatabase,
  scanAndStartRotation,
  startHarness,
  waitUntil,
} from './harness.js';

const rotated = fakeLegacyKey(71);
const ignored = fakeLegacyKey(72);
let site: TestSite;
let harness: Harness;
/** The bot's clock runs this far ahead of the real one (moved past the grace of a key copy). */
let ahead = 0;

beforeAll(async () => {
  site = await startSite({
    '/': (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<script>var company_id = "${rotated}";</script><a href="/other">other</a>`);
    },
    '/other': { body: `<script>var api_key = "${ignored}";</script>` },
    '/alone': { body: `<script>var company_id = "${ignored}";</script>` },
  });
});

afterAll(async () => {
  await site.close();
});

afterEach(async () => {
  await harness.close();
  ahead = 0;
});

async function start(): Promise<void> {
  // The sweep runs only when the test asks (or at start), so what is seen is what the sweep left.
  harness = await startHarness({
    now: () => new Date(Date.now() + ahead),
    upkeepEveryMs: 3_600_000,
  });
  harness.klaviyo.keys.set(rotated, { status: 'live', account: 'AbC123' });
  harness.klaviyo.keys.set(ignored, { status: 'revoked' });
}

/** The sealed copies in the SQLite file, by fingerprint, read as another process would. */
function copies(): Map<string, Buffer> {
  const rows = readDatabase(
    harness,
    (db) =>
      db.prepare('SELECT fingerprint, sealed FROM key_copies').all() as {
        fingerprint: string;
        sealed: Buffer;
      }[],
  );
  return new Map(rows.map((row) => [row.fingerprint, row.sealed]));
}

function expectNoPlainKey(): void {
  const bytes = databaseBytes(harness);
  for (const key of [rotated, ignored]) {
    expect(bytes.includes(Buffer.from(key))).toBe(false);
    expect(bytes.includes(Buffer.from(key.slice(3)))).toBe(false);
  }
}

async function scanOnly(path: string): Promise<void> {
  await harness.command(site.url(path));
  await waitUntil(
    () =>
      harness.slack
        .messagesIn('C0SHOP')
        .find((message) => JSON.stringify(message.blocks).includes('scan:start_rotation')),
    'the scan result',
  );
}

describe('a full key is kept only while its rotation is open', () => {
  it('keeps both keys a scan found for a moment, then only the one a rotation is open for', async () => {
    await start();
    const rotation = await scanAndStartRotation(harness, site.url('/'));
    const kept = copies();
    expect([...kept.keys()].sort()).toEqual([fingerprintKey(rotated), fingerprintKey(ignored)].sort());
    expect(JSON.stringify(rotation.blocks)).toContain('An encrypted copy is kept');
    expectNoPlainKey();

    // Within the grace nothing goes; past it, the copy no rotation claims is wiped, bytes and all.
    expect(harness.bot.sweepKeys()).toBe(0);
    ahead = KEY_COPY_GRACE_MS + 1_000;
    expect(harness.bot.sweepKeys()).toBe(1);
    expect([...copies().keys()]).toEqual([fingerprintKey(rotated)]);
    const wipedBlob = kept.get(fingerprintKey(ignored)) as Buffer;
    expect(databaseBytes(harness).includes(wipedBlob)).toBe(false);
    expect(databaseBytes(harness).includes(wipedBlob.subarray(12, 28))).toBe(false);
    expectNoPlainKey();

    // The open rotation's copy survives a restart; nothing else does.
    await harness.restart();
    expect([...copies().keys()]).toEqual([fingerprintKey(rotated)]);
    expect(harness.everything()).not.toContain(rotated);
    expect(harness.everything()).not.toContain(ignored);
  });

  it('wipes at start every copy no open rotation claims, even within its grace', async () => {
    await start();
    await scanOnly('/alone');
    expect([...copies().keys()]).toEqual([fingerprintKey(ignored)]);
    await harness.restart();
    expect(copies().size).toBe(0);
    expectNoPlainKey();
  });

  it('a rotation started after the copy is gone reads the key again from the site', async () => {
    await start();
    await scanOnly('/');
    ahead = KEY_COPY_GRACE_MS + 1_000;
    harness.bot.sweepKeys();
    expect(copies().size).toBe(0);
    const scan = harness.slack
      .messagesIn('C0SHOP')
      .find((message) => JSON.stringify(message.blocks).includes('scan:start_rotation')) as FakeMessage;
    const button = findElement(scan.blocks, 'scan:start_rotation', (value) =>
      value.endsWith(`|${fingerprintKey(rotated)}`),
    );
    await harness.action(blockAction(harness.slack, scan, button as never));
    const rotation = await waitUntil(
      () =>
        harness.slack
          .messagesIn('C0SHOP')
          .find((message) => message.text.includes('Rotation of the exposed')),
      'the checklist',
    );
    // First without the key, then, once the re-scan at its start has read it again, with a sealed copy.
    await waitUntil(
      () =>
        JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks).includes(
          'An encrypted copy is kept',
        ),
      'the checklist holding the key again',
    );
    expect(copies().has(fingerprintKey(rotated))).toBe(true);
    expect(harness.slack.problems()).toEqual([]);
    expectNoPlainKey();
  });
});
