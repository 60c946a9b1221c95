import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../src/scan/redact.js';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeAccountKey, fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';
import { blockAction, clickAndWait, findElement, type Harness, startHarness, waitUntil } from './harness.js';

const legacy = fakeLegacyKey(90);
const scoped = fakeAccountKey('XvCJDh', 91);
let harness: Harness;
let site: TestSite;
let keyStillOnSite = true;

beforeAll(async () => {
  site = await startSite({
    '/': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><script async src="/onsite/js/XvCJDh/klaviyo.js"></script>
        ${keyStillOnSite ? `<script>klaviyo.init({ company_id: "${legacy}" });</script>` : '<script>klaviyo.init({ company_id: "XvCJDh" });</script>'}
        <a href="/checkout">checkout</a></html>`);
    },
    '/checkout': {
      body: `<script>fetch("/x",{headers:{Authorization:"Klaviyo-API-Key ${scoped}"}})</script>`,
    },
    '/onsite/js/XvCJDh/klaviyo.js': { type: 'application/javascript', body: '/* onsite */' },
  });
  harness = await startHarness();
  harness.klaviyo.keys.set(legacy, { status: 'live', account: 'XvCJDh' });
  harness.klaviyo.keys.set(scoped, { status: 'revoked' });
});

afterAll(async () => {
  await harness?.close();
  await site?.close();
});

function latest(channel: string, ts: string): FakeMessage {
  const message = harness.slack.message(channel, ts);
  if (!message) throw new Error(`no message ${ts} in ${channel}`);
  return message;
}

function blocksText(message: FakeMessage): string {
  return JSON.stringify(message.blocks ?? []);
}

describe('/klaviyo-scan and the rotation checklist, end to end', () => {
  let scanMessage: FakeMessage;
  let rotationMessage: FakeMessage;

  it('acks at once, posts one message and turns it into the result', async () => {
    const reply = await harness.command(site.url('/'));
    expect(reply.status).toBe(200);
    expect(reply.ms).toBeLessThan(3_000);
    const posted = await harness.slack.waitFor('chat.postMessage', (call) => call.args.channel === 'C0SHOP');
    const ts = String((posted.result as { ts: string }).ts);
    scanMessage = await waitUntil(() => {
      const message = latest('C0SHOP', ts);
      return blocksText(message).includes('exposed Klaviyo private key') ? message : undefined;
    }, 'the scan result');
    const text = blocksText(scanMessage);
    expect(text).toContain(`pk_…${legacy.slice(-4)}`);
    expect(text).toContain(`pk_…${scoped.slice(-4)}`);
    expect(text).toContain('Checked with Klaviyo: the key still works');
    expect(text).toContain('revoked, Klaviyo rejects the key');
    expect(text).toContain('XvCJDh');
    // Only the first scan message was posted in the channel; the rest were updates and thread replies.
    const topLevel = harness.slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === 'C0SHOP' && !call.args.thread_ts);
    expect(topLevel).toHaveLength(1);
    expect(harness.slack.callsTo('chat.update').length).toBeGreaterThanOrEqual(1);
    const details = await harness.slack.waitFor('chat.postMessage', (call) => call.args.thread_ts === ts);
    expect(JSON.stringify(details.args)).toContain('/checkout');
  });

  it('sends the key to the Klaviyo URL with a current revision and nowhere else', () => {
    expect(harness.klaviyo.authorizations).toEqual(
      expect.arrayContaining([`Klaviyo-API-Key ${legacy}`, `Klaviyo-API-Key ${scoped}`]),
    );
    expect(new Set(harness.klaviyo.revisions)).toEqual(new Set(['2026-07-15']));
  });

  it('starts a rotation from the result and shows it on the scan message', async () => {
    const start = findElement(scanMessage.blocks, 'scan:start_rotation', (value) =>
      value.endsWith(fingerprintKey(legacy)),
    );
    expect(start).toBeDefined();
    const clicked = await harness.action(blockAction(harness.slack, scanMessage, start as never));
    expect(clicked.status).toBe(200);
    const posted = await harness.slack.waitFor(
      'chat.postMessage',
      (call) =>
        call.args.channel === 'C0SHOP' && !call.args.thread_ts && String(call.args.text).includes('Rotation'),
    );
    rotationMessage = latest('C0SHOP', String((posted.result as { ts: string }).ts));
    expect(blocksText(rotationMessage)).toContain(`Rotate the exposed key pk_…${legacy.slice(-4)}`);
    await waitUntil(
      () => blocksText(latest('C0SHOP', scanMessage.ts)).includes('scan:open_rotation'),
      'the Open rotation button',
    );
  });

  function click(actionId: string, match: (value: string) => boolean, user = 'U0ALICE'): Promise<void> {
    return clickAndWait(harness, { channel: 'C0SHOP', ts: rotationMessage.ts }, actionId, match, user);
  }

  it('adds an integration through the modal', async () => {
    const message = latest('C0SHOP', rotationMessage.ts);
    const add = findElement(message.blocks, 'rotation:add_integration');
    await harness.action(blockAction(harness.slack, message, add as never));
    const opened = await harness.slack.waitFor('views.open');
    const view = (opened.result as { view: { id: string; hash: string; private_metadata: string } }).view;
    const before = harness.slack.callsTo('chat.update').length;
    const submitted = await harness.action({
      type: 'view_submission',
      team: { id: harness.slack.teamId },
      user: { id: 'U0ALICE', team_id: harness.slack.teamId },
      api_app_id: harness.slack.appId,
      view: {
        id: view.id,
        hash: view.hash,
        type: 'modal',
        callback_id: 'rotation:add_integration',
        private_metadata: view.private_metadata,
        state: {
          values: {
            integration_name: { value: { type: 'plain_text_input', value: 'Shopify sync' } },
            owner: { user: { type: 'users_select', selected_user: 'U0BOB' } },
          },
        },
      },
    });
    expect(submitted.status).toBe(200);
    await waitUntil(() => harness.slack.callsTo('chat.update').length > before, 'the checklist update');
    await waitUntil(
      () => blocksText(latest('C0SHOP', rotationMessage.ts)).includes('Shopify sync'),
      'the integration',
    );
    expect(blocksText(latest('C0SHOP', rotationMessage.ts))).toContain('<@U0BOB>');
  });

  it('refuses to delete before every integration is updated', async () => {
    expect(
      findElement(latest('C0SHOP', rotationMessage.ts).blocks, 'rotation:confirm_delete'),
    ).toBeUndefined();
    expect(blocksText(latest('C0SHOP', rotationMessage.ts))).toContain('Available once you');
  });

  it('survives a restart: a button on the message posted before it still works', async () => {
    await harness.restart();
    await click('rotation:item_menu', (value) => value.endsWith(':keyCreated|done'), 'U0BOB');
    expect(blocksText(latest('C0SHOP', rotationMessage.ts))).toMatch(/New private key created.*U0BOB/);
  });

  it('applies twenty simultaneous clicks on the same button once', async () => {
    const message = latest('C0SHOP', rotationMessage.ts);
    const element = findElement(message.blocks, 'rotation:item_menu', (value) =>
      value.endsWith(':updated|done'),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        harness.action(blockAction(harness.slack, message, element as never, i % 2 ? 'U0ALICE' : 'U0BOB')),
      ),
    );
    expect(results.every((result) => result.status === 200)).toBe(true);
    await waitUntil(
      () => blocksText(latest('C0SHOP', rotationMessage.ts)).includes('updated with the new key —'),
      'the update',
    );
    // Every click's handler has finished: a second audit line would be there by now.
    await harness.bot.idle();
    const auditLines = harness.slack
      .callsTo('chat.postMessage')
      .filter(
        (call) =>
          call.args.thread_ts === rotationMessage.ts &&
          String(call.args.text).includes('Update Shopify sync with the new key'),
      );
    expect(auditLines).toHaveLength(1);
  });

  it('walks the remaining steps to completion with proof', async () => {
    await click('rotation:item_menu', (value) => value.includes('|s:identify|done'));
    await waitUntil(
      () => findElement(latest('C0SHOP', rotationMessage.ts).blocks, 'rotation:confirm_delete'),
      'the delete button',
    );
    const deleteButton = findElement(latest('C0SHOP', rotationMessage.ts).blocks, 'rotation:confirm_delete');
    const confirmText = JSON.stringify(
      (latest('C0SHOP', rotationMessage.ts).blocks as Record<string, unknown>[]).find((block) =>
        JSON.stringify(block).includes('rotation:confirm_delete'),
      ),
    );
    expect(confirmText).toContain(legacy.slice(-4));
    expect(deleteButton).toBeDefined();
    await click('rotation:confirm_delete', () => true);

    // The team fixes the site and deletes the key in Klaviyo; the bot proves both.
    keyStillOnSite = false;
    harness.klaviyo.keys.set(legacy, { status: 'revoked' });
    await click('rotation:check_now', () => true);
    const summary = await harness.slack.waitFor(
      'chat.postMessage',
      (call) => String(call.args.text).includes('complete in'),
      20_000,
    );
    expect(summary.args.channel).toBe('C0SHOP');
    const final = await waitUntil(() => {
      const message = latest('C0SHOP', rotationMessage.ts);
      return blocksText(message).includes('Rotation complete') ? message : undefined;
    }, 'the completed checklist');
    expect(blocksText(final)).toMatch(/7 of 7/);
    // The rotation is over: its sealed copy of the key is gone from the database.
    const db = new BetterSqlite3(harness.databasePath, { readonly: true });
    const copy = db.prepare('SELECT 1 FROM key_copies WHERE fingerprint = ?').get(fingerprintKey(legacy));
    db.close();
    expect(copy).toBeUndefined();
  });

  it('never let a full key reach Slack, the log or the database, and every payload was valid Block Kit', () => {
    const everything = harness.everything();
    expect(everything).not.toContain(legacy);
    expect(everything).not.toContain(scoped);
    expect(everything).not.toContain(legacy.slice(3));
    expect(harness.slack.problems()).toEqual([]);
  });
});

describe('bad input and refused targets', () => {
  it.each([
    ['', /Usage: \/klaviyo-scan &lt;url&gt;/],
    ['help', /Usage: \/klaviyo-scan &lt;url&gt;/],
    ['ftp://shop.example/', /Only http and https/],
    ['http://169.254.169.254/latest/meta-data/', /metadata|link-local/],
    ['http://0.0.0.0:8080/', /never scanned|unspecified/],
  ])('answers %j ephemerally', async (text, expected) => {
    const before = harness.slack.responses.length;
    const reply = await harness.command(text);
    expect(reply.status).toBe(200);
    const response = await harness.slack.waitForResponse(
      (post) => harness.slack.responses.indexOf(post) >= before,
    );
    expect(response.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(response.body)).toMatch(expected);
  });

  it('rejects unsigned and stale requests', async () => {
    const body = 'command=%2Fklaviyo-scan&text=https%3A%2F%2Fshop.example';
    const unsigned = await harness.post(body, 'application/x-www-form-urlencoded', {
      'x-slack-signature': 'v0=00',
    });
    expect(unsigned.status).toBe(401);
    const stale = await harness.post(body, 'application/x-www-form-urlencoded', {
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000) - 600),
    });
    expect(stale.status).toBe(401);
  });

  it('answers GET /healthz', async () => {
    const response = await fetch(`http://127.0.0.1:${harness.bot.port}/healthz`);
    expect(response.status).toBe(200);
  });
});
