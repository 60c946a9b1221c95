import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../src/scan/redact.js';
import type { FakeMessage } from '../fakes/slack-api.js';
import { fakeLegacyKey, type Route, startSite, type TestSite } from '../fixtures/site-server.js';
import { blockAction, clickAndWait, findElement, type Harness, startHarness, waitUntil } from './harness.js';

/** A storefront of 200 pages whose theme layout carries a key in an inline script on every page. */
const layoutKey = fakeLegacyKey(201);
/** A second key, in a chunk that a loader script pulls in: the thread shows how the chunk was reached. */
const chunkKey = fakeLegacyKey(202);
const PAGES = 200;
let site: TestSite;
let harness: Harness;
/** The pages whose layout still carries the key (the team fixes the theme during the rotation). */
let keyOn: (path: string) => boolean = () => true;

function page(body: string): Route {
  return (req, res) => {
    const config = keyOn(req.url ?? '/') ? `{ api_key: "${layoutKey}" }` : '{ company_id: "XvCJDh" }';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<html><head><script>window.klaviyoConfig = ${config};</script>
      <script src="/assets/loader.js"></script></head><body>${body}</body></html>`);
  };
}

beforeAll(async () => {
  const routes: Record<string, Route> = {
    '/': page(
      Array.from({ length: PAGES - 1 }, (_, i) => `<a href="/products/p${i + 1}">p${i + 1}</a>`).join(''),
    ),
    '/assets/loader.js': {
      type: 'application/javascript',
      body: 'import("/assets/chunk-reviews.js").then((m) => m.start());',
    },
    '/assets/chunk-reviews.js': {
      type: 'application/javascript',
      body: `export function start() { fetch("/api", { headers: { Authorization: "Klaviyo-API-Key ${chunkKey}" } }); }`,
    },
    // A documentation page with a made-up example key: low confidence, never an exposed key.
    '/products/p1': page(
      '<pre>curl -H "Authorization: Klaviyo-API-Key pk_abc123def456ghi789jkl0mno123pqrst4"</pre>',
    ),
  };
  for (let i = 2; i < PAGES; i++) routes[`/products/p${i}`] = page(`<h1>Product ${i}</h1>`);
  site = await startSite(routes);
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
  await site?.close();
});

/** Everything the bot put into a thread: messages and shared files (a file share is a message too). */
function threadOf(ts: string): { messages: FakeMessage[]; files: typeof harness.slack.uploadedFiles } {
  return {
    messages: harness.slack.messagesIn('C0SHOP').filter((message) => message.thread_ts === ts),
    files: harness.slack.uploadedFiles.filter((file) => file.thread_ts === ts),
  };
}

let scan: FakeMessage;

describe('the thread of a scan that finds a key on 200 pages', () => {
  it('scans all 200 pages and reports both keys', async () => {
    await harness.command(site.url('/'));
    scan = await waitUntil(
      () =>
        harness.slack
          .messagesIn('C0SHOP')
          .find((message) => !message.thread_ts && / found on /.test(message.text)),
      'the scan result',
      60_000,
    );
    expect(JSON.stringify(scan.blocks)).toContain(`${PAGES} pages`);
    expect(scan.text).toContain('2 exposed');
    // The message itself names the group too, not three of the 200 pages.
    expect(JSON.stringify(scan.blocks)).toContain('The same inline script on 200 pages');
  });

  it('posts at most 3 thread messages, grouping the 200 pages into one line', async () => {
    // The details and the export come after the result; wait for the export, the last of them.
    await waitUntil(() => threadOf(scan.ts).files.length > 0, 'the export in the thread');
    await harness.bot.scheduler.idle();
    const thread = threadOf(scan.ts);
    const count = thread.messages.length + (thread.files.length > 0 ? 1 : 0);
    process.stdout.write(
      `thread messages for a ${PAGES}-page key: ${thread.messages.length} messages + ${thread.files.length} file(s)\n`,
    );
    expect(count).toBeLessThanOrEqual(3);
    const text = JSON.stringify(thread.messages.map((message) => message.blocks));
    expect(text).not.toContain('(continued)');
    expect(text).toMatch(/same inline script on 200 pages \(likely the theme layout\)/);
    expect(text).toMatch(/and 197 more/);
  });

  it('shows how the chunk was reached, and the placeholder in one short line', () => {
    const text = JSON.stringify(threadOf(scan.ts).messages.map((message) => message.blocks));
    expect(text).toMatch(
      /loaded through \/ → \/assets\/loader\.js \(script tag\) → \/assets\/chunk-reviews\.js/,
    );
    expect(text).toMatch(/1 key-shaped string looks like a placeholder/);
    expect(text).not.toMatch(/pk_…rst4[^"]*Start rotation/);
  });

  it('attaches the full list, masked, as CSV and JSON', () => {
    const files = threadOf(scan.ts).files;
    const csv = files.find((file) => file.name.endsWith('.csv'));
    const json = files.find((file) => file.name.endsWith('.json'));
    expect(csv).toBeDefined();
    expect(json).toBeDefined();
    const rows = (csv?.content.toString('utf8') ?? '').trim().split('\r\n');
    // A header, a row for each of the 200 pages with the layout key, one for the chunk, one for the placeholder.
    expect(rows).toHaveLength(1 + PAGES + 1 + 1);
    expect(rows.filter((row) => row.includes('placeholder (not counted)'))).toHaveLength(1);
    expect(rows.filter((row) => row.includes(`pk_…${layoutKey.slice(-4)}`))).toHaveLength(PAGES);
    const report = JSON.parse(json?.content.toString('utf8') ?? '{}') as {
      findings: { occurrences: unknown[] }[];
    };
    expect(report.findings.map((finding) => finding.occurrences.length).sort()).toEqual([1, PAGES]);
  });

  it('never shows a full key, and every payload was valid Block Kit', () => {
    const everything = [
      harness.everything(),
      ...harness.slack.uploadedFiles.map((file) => file.content.toString('utf8')),
    ].join('\n');
    expect(everything).not.toContain(layoutKey);
    expect(everything).not.toContain(chunkKey);
    expect(harness.slack.problems()).toEqual([]);
  });
});

describe("a rotation's re-scans", () => {
  let rotation: FakeMessage;
  let rotationId = '';
  const lines = () => threadOf(rotation.ts).messages.map((message) => message.text);

  async function rescan(): Promise<string> {
    const before = threadOf(rotation.ts).messages.length;
    const message = harness.slack.message('C0SHOP', rotation.ts) as FakeMessage;
    await harness.action(
      blockAction(harness.slack, message, findElement(message.blocks, 'rotation:rescan') as never),
    );
    await waitUntil(() => threadOf(rotation.ts).messages.length > before, 'the re-scan line');
    return lines().slice(before).join('\n');
  }

  it('tells the thread in one line on how many of the 200 pages the key is still found', async () => {
    const start = findElement(scan.blocks, 'scan:start_rotation', (value) =>
      value.endsWith(fingerprintKey(layoutKey)),
    );
    await harness.action(blockAction(harness.slack, scan, start as never));
    rotation = await waitUntil(
      () =>
        harness.slack
          .messagesIn('C0SHOP')
          .find((message) => message.text.includes('Rotation of the exposed')),
      'the checklist',
    );
    await waitUntil(() => lines().some((line) => line.includes('started the rotation')), 'the first line');
    rotationId = String(findElement(rotation.blocks, 'rotation:rescan')?.value);
    keyOn = (path) => path === '/' || path === '/products/p7';
    const before = {
      top: harness.slack.messagesIn('C0SHOP').filter((m) => !m.thread_ts).length,
      files: harness.slack.uploadedFiles.length,
    };
    const said = await rescan();
    expect(said).toBe(
      'The bot re-scanned the site: the key is still found on 2 of 200 pages: /, /products/p7.',
    );
    // No scan report of its own: no new message in the channel, no details, no export, no other key's button.
    expect(harness.slack.messagesIn('C0SHOP').filter((m) => !m.thread_ts)).toHaveLength(before.top);
    expect(harness.slack.uploadedFiles).toHaveLength(before.files);
    expect(JSON.stringify(threadOf(rotation.ts).messages.map((m) => m.blocks))).not.toContain(
      'scan:start_rotation',
    );
  });

  it('says the key is gone from all 200 pages once the theme is fixed, and completes step 2', async () => {
    keyOn = () => false;
    expect(await rescan()).toBe(
      'The bot re-scanned the site: the key is no longer found on the 200 pages where it was seen.',
    );
    expect(JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks)).toContain('~*2.');
  });

  it('says nothing in the thread once the rotation is complete', async () => {
    const at = { channel: 'C0SHOP', ts: rotation.ts };
    await clickAndWait(harness, at, 'rotation:item_menu', (value) => value.endsWith('|s:identify|done'));
    await clickAndWait(harness, at, 'rotation:confirm_delete');
    harness.klaviyo.keys.set(layoutKey, { status: 'revoked' });
    await clickAndWait(harness, at, 'rotation:check_now');
    await waitUntil(
      () =>
        JSON.stringify(harness.slack.message('C0SHOP', rotation.ts)?.blocks).includes('Rotation complete'),
      'the completed checklist',
    );
    await harness.bot.scheduler.idle();
    const settled = threadOf(rotation.ts).messages.length;
    // A scan of the site from Slack, and a Re-scan click on the completed checklist.
    const results = () =>
      harness.slack.messagesIn('C0SHOP').filter((m) => !m.thread_ts && / found on /.test(m.text)).length;
    const before = results();
    await harness.command(site.url('/'));
    await waitUntil(() => results() > before, 'the new scan result');
    const message = harness.slack.message('C0SHOP', rotation.ts) as FakeMessage;
    const click = findElement(message.blocks, 'rotation:rescan');
    expect(click).toBeUndefined();
    const responses = harness.slack.responses.length;
    await harness.action(
      blockAction(harness.slack, message, { action_id: 'rotation:rescan', value: rotationId }),
    );
    await harness.slack.waitForResponse(
      (post) =>
        harness.slack.responses.indexOf(post) >= responses &&
        JSON.stringify(post.body).includes('This rotation is complete'),
    );
    await harness.bot.scheduler.idle();
    expect(threadOf(rotation.ts).messages).toHaveLength(settled);
    expect(harness.slack.problems()).toEqual([]);
  });
});
