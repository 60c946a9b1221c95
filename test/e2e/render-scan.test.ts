import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';
import { runtimeKey } from '../fixtures/runtime-site.js';
import { startSite, type TestSite } from '../fixtures/site-server.js';
import { withoutBrowser } from '../fixtures/without-browser.js';
import { spawnBot } from './bot-process.js';
import {
  findElement,
  type Harness,
  SIGNING_SECRET,
  signedPost,
  slashCommand,
  startHarness,
  waitUntil,
} from './harness.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const runtime = runtimeKey('slack header');
let site: TestSite;

beforeAll(async () => {
  site = await startSite({
    '/': {
      body: `<p>Shop</p><script>
        var key = ['${runtime.slice(18)}', '${runtime.slice(0, 18)}'].reverse().join('');
        fetch('/api/lists', { headers: { Authorization: 'Klaviyo-API-Key ' + key } });
      </script>`,
    },
  });
});

afterAll(async () => {
  await site.close();
});

const blocksOf = (message: { blocks?: unknown[] }) => JSON.stringify(message.blocks ?? []);

describe('/klaviyo-scan with SCAN_RENDER=true', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ env: { SCAN_RENDER: 'true' } });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('renders the pages and reports a key that only exists when they run, ready to rotate', async () => {
    await harness.command(site.url('/'));
    const result = await waitUntil(
      () =>
        harness.slack
          .messagesIn('C0SHOP')
          .find((message) => blocksOf(message).includes('exposed Klaviyo private key')),
      'the scan result',
      60_000,
    );
    const text = blocksOf(result);
    expect(text).toContain('1 of them rendered in a browser');
    expect(text).toContain(`pk_…${runtime.slice(-4)}`);
    expect(text).toContain('Request header sent from the browser (GET) to /api/lists');
    expect(findElement(result.blocks ?? [], 'scan:start_rotation')).toBeDefined();
    expect(harness.everything()).not.toContain(runtime);
  });
});

describe('/klaviyo-scan with SCAN_RENDER=true where no browser is installed', () => {
  let slack: FakeSlack;
  const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-nobrowser-'));

  beforeAll(async () => {
    slack = await startFakeSlack({ channels: [{ id: 'C0SHOP', name: 'security', is_member: true }] });
  });

  afterAll(async () => {
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans statically and says that rendering was unavailable', async () => {
    const bot = spawnBot('unshare', withoutBrowser(process.execPath, [join(ROOT, 'dist/main.js')]), {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        SLACK_BOT_TOKEN: slack.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        DATABASE_PATH: join(dir, 'bot.sqlite'),
        SCAN_ALLOW_PRIVATE_NETWORKS: 'true',
        SCAN_RENDER: 'true',
      },
    });
    try {
      const { port } = await bot.started();
      const body = new URLSearchParams(slashCommand(slack, site.url('/'))).toString();
      expect((await signedPost(port, body, 'application/x-www-form-urlencoded')).status).toBe(200);
      const result = await waitUntil(
        () =>
          slack
            .messagesIn('C0SHOP')
            .find((message) => blocksOf(message).includes('No Klaviyo private key found')),
        'the scan result',
        30_000,
      );
      expect(blocksOf(result)).toContain(
        'Pages were not opened in a browser: no browser is installed where the bot runs',
      );
    } finally {
      expect(await bot.stop(), bot.output()).toBe(0);
    }
  });
});
