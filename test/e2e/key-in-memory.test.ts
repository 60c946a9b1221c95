import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import {
  blockAction,
  clickAndWait,
  findElement,
  type Harness,
  scanAndStartRotation,
  startHarness,
  waitUntil,
} from './harness.js';

const key = fakeLegacyKey(99);
let onSite = true;
let site: TestSite;
let harness: Harness;

beforeAll(async () => {
  site = await startSite({
    '/': (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(onSite ? `<script>var company_id = "${key}";</script>` : '<p>clean</p>');
    },
  });
});

afterAll(async () => {
  await site.close();
});

afterEach(async () => {
  await harness.close();
  onSite = true;
});

/** Scans, starts the rotation, confirms the (empty) integration list and the deletion, and cleans the site. */
async function rotationReadyToVerify(): Promise<FakeMessage> {
  harness = await startHarness({ env: { KEY_ENCRYPTION_KEY: '' } });
  harness.klaviyo.keys.set(key, { status: 'live', account: 'AbC123' });
  const rotation = await scanAndStartRotation(harness, site.url('/'));
  expect(JSON.stringify(rotation.blocks)).toContain('in memory only');
  await clickAndWait(harness, { channel: 'C0SHOP', ts: rotation.ts }, 'rotation:item_menu', (value) =>
    value.endsWith('|s:identify|done'),
  );
  await clickAndWait(harness, { channel: 'C0SHOP', ts: rotation.ts }, 'rotation:confirm_delete');
  onSite = false;
  harness.klaviyo.keys.set(key, { status: 'revoked' });
  return rotation;
}

describe('without KEY_ENCRYPTION_KEY the key is held in memory only', () => {
  it('still lets the bot prove the key is revoked, and writes no copy of it anywhere', async () => {
    const rotation = await rotationReadyToVerify();
    const latest = harness.slack.message('C0SHOP', rotation.ts) as FakeMessage;
    await harness.action(
      blockAction(harness.slack, latest, findElement(latest.blocks, 'rotation:check_now') as never),
    );
    await waitUntil(
      () =>
        JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks).includes('Rotation complete'),
      'completion',
      20_000,
    );
    expect(harness.everything()).not.toContain(key);
  });

  it('after a restart, asks the team to confirm the revocation by hand', async () => {
    const rotation = await rotationReadyToVerify();
    await harness.restart();
    let latest = harness.slack.message('C0SHOP', rotation.ts) as FakeMessage;
    await harness.action(
      blockAction(harness.slack, latest, findElement(latest.blocks, 'rotation:check_now') as never),
    );
    latest = await waitUntil(
      () => {
        const message = harness.slack.message('C0SHOP', rotation.ts);
        // The button shows once Klaviyo cannot be asked; it works once the re-scan is also clean.
        return message &&
          findElement(message.blocks, 'rotation:item_menu', (value) => value.endsWith('|s:verify|done')) &&
          JSON.stringify(message.blocks).includes(': clean')
          ? message
          : undefined;
      },
      'the manual verification button and the clean re-scan',
      20_000,
    );
    await harness.action(
      blockAction(
        harness.slack,
        latest,
        findElement(latest.blocks, 'rotation:item_menu', (value) =>
          value.endsWith('|s:verify|done'),
        ) as never,
      ),
    );
    await waitUntil(
      () =>
        JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks).includes('Rotation complete'),
      'completion',
    );
    expect(harness.slack.problems()).toEqual([]);
  });
});
