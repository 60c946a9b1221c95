import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBot } from '../e2e/bot-process.js';
import { SIGNING_SECRET, signedPost, slashCommand, waitUntil } from '../e2e/harness.js';
import { type FakeKlaviyo, startFakeKlaviyo } from '../fakes/klaviyo-api.js';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';
import { type FakeSocketMode, startFakeSocketMode } from '../fakes/socket-mode.js';
import { runtimeKey } from '../fixtures/runtime-site.js';
import { fakeLegacyKey, startSite, type TestSite } from '../fixtures/site-server.js';

/**
 * The image, started as Docker would start it, from the tree scripts/image-steps.sh built: only what the
 * runtime stage copies, development dependencies pruned, the image's Node.js, its ENV, CMD and
 * HEALTHCHECK as the Dockerfile writes them. The fakes run here, from the repository.
 */

function given(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is unset: run scripts/image-steps.sh`);
  return value;
}

const app = given('IMAGE_APP');
const nodeBin = dirname(given('IMAGE_NODE'));
/** ENV of the runtime stage, e.g. `NODE_ENV=production PORT=3000 DATABASE_PATH=/data/…`. */
const imageEnv = Object.fromEntries(
  given('IMAGE_ENV')
    .split(/\s+/)
    .map((pair) => pair.split('=', 2)),
);
const [command, ...args] = JSON.parse(given('IMAGE_CMD')) as string[];
const healthcheck = given('IMAGE_HEALTHCHECK');
/** The Dockerfile stage the tree stands in for: `runtime`, or `render` (the same tree, with Chromium). */
const target = process.env.IMAGE_TARGET ?? 'runtime';

const key = fakeLegacyKey(130);
const runtime = runtimeKey('image render');
const volume = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-volume-'));
let slack: FakeSlack;
let klaviyo: FakeKlaviyo;
let socketMode: FakeSocketMode;
let site: TestSite;

beforeAll(async () => {
  slack = await startFakeSlack({ channels: [{ id: 'C0SHOP', name: 'security', is_member: true }] });
  socketMode = await startFakeSocketMode(slack);
  klaviyo = await startFakeKlaviyo();
  klaviyo.keys.set(key, { status: 'live', account: 'XvCJDh' });
  site = await startSite({
    '/': { body: `<script>klaviyo.init({ company_id: "${key}" });</script>` },
    // A key that exists only when the page runs: sent, reassembled, in a request header.
    '/runtime': {
      body: `<script>fetch('/api', { headers: { Authorization: 'Klaviyo-API-Key ' + ${JSON.stringify([runtime.slice(20), runtime.slice(0, 20)])}.reverse().join('') } });</script>`,
    },
  });
});

afterAll(async () => {
  await Promise.all([slack?.close(), socketMode?.close(), klaviyo?.close(), site?.close()]);
  rmSync(volume, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The container's environment: the image's ENV, then what `docker run -e` would add. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: `${nodeBin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: volume,
    ...imageEnv,
    DATABASE_PATH: join(volume, 'klaviyo-checkup.sqlite'),
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.apiUrl,
    KLAVIYO_API_URL: klaviyo.url,
    SCAN_ALLOW_PRIVATE_NETWORKS: 'true',
    ...extra,
  };
}

function run(file: string, argv: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, argv, { cwd: app, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
        stderr,
      });
    });
  });
}

/** Starts the image's CMD, waits for its start line and checks the image's HEALTHCHECK passes. */
async function startContainer(env: NodeJS.ProcessEnv): Promise<BotProcess> {
  const bot = spawnBot(command as string, args, { cwd: app, env });
  const started = await bot.started();
  expect(started.port).toBe(Number(env.PORT));
  const health = await run('/bin/sh', ['-c', healthcheck], env);
  expect(health, bot.output()).toMatchObject({ code: 0 });
  return bot;
}

describe('the pruned tree', () => {
  it('holds the built native module and no package that only development needs', () => {
    // The lockfile marks packages only development needs (vitest, typescript, ws, …) with dev: true.
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev === true && path.startsWith('node_modules/'))
      .map(([path]) => path);
    expect(devOnly).toContain('node_modules/vitest');
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  });
});

describe('the bot from the image', () => {
  it('HTTP mode: passes the HEALTHCHECK, scans on a signed command, stops cleanly on SIGTERM', async () => {
    const env = containerEnv({ PORT: String(await freePort()), SLACK_SIGNING_SECRET: SIGNING_SECRET });
    const bot = await startContainer(env);
    try {
      const body = new URLSearchParams(slashCommand(slack, site.url('/'))).toString();
      const reply = await signedPost(Number(env.PORT), body, 'application/x-www-form-urlencoded');
      expect(reply.status).toBe(200);
      const result = await waitUntil(
        () =>
          slack
            .messagesIn('C0SHOP')
            .find((message) =>
              JSON.stringify(message.blocks).includes('Checked with Klaviyo: the key still works'),
            ),
        'the scan result with the liveness check',
      );
      expect(JSON.stringify(result.blocks)).toContain(`pk_…${key.slice(-4)}`);
    } finally {
      expect(await bot.stop(), bot.output()).toBe(0);
    }
    expect(bot.output()).not.toContain(key);
  });

  it('Socket Mode: connects, passes the HEALTHCHECK, acks a command on the socket', async () => {
    const env = containerEnv({ PORT: String(await freePort()), SLACK_APP_TOKEN: socketMode.appToken });
    const bot = await startContainer(env);
    try {
      await socketMode.waitForConnection(1);
      const envelope = await socketMode.send('slash_commands', slashCommand(slack, 'help'));
      expect(envelope.ack).toBeDefined();
      await slack.waitForResponse((post) => JSON.stringify(post.body).includes('Usage'));
      const other = await request(`http://127.0.0.1:${env.PORT}/slack/events`);
      expect(other.statusCode).toBe(404);
      await other.body.dump();
    } finally {
      expect(await bot.stop(), bot.output()).toBe(0);
    }
  });
});

describe('the scanner from the image', () => {
  const env = () => containerEnv({});

  it('node bin/klaviyo-checkup.js scan: exits 1 with the key masked', async () => {
    const result = await run(
      join(nodeBin, 'node'),
      ['bin/klaviyo-checkup.js', 'scan', site.url('/'), '--json', '--allow-private-networks'],
      env(),
    );
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([
      expect.objectContaining({ masked: `pk_…${key.slice(-4)}` }),
    ]);
    expect(result.stdout + result.stderr).not.toContain(key);
  });

  it('--help exits 0 and --version names the package version', async () => {
    expect((await run(join(nodeBin, 'node'), ['bin/klaviyo-checkup.js', '--help'], env())).code).toBe(0);
    const version = await run(join(nodeBin, 'node'), ['bin/klaviyo-checkup.js', '--version'], env());
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});

describe.runIf(target === 'render')('the render target', () => {
  it('scan --render runs the browser from the pruned tree and finds a key that exists only at runtime', async () => {
    const result = await run(
      join(nodeBin, 'node'),
      [
        'bin/klaviyo-checkup.js',
        'scan',
        site.url('/runtime'),
        '--render',
        '--json',
        '--allow-private-networks',
      ],
      containerEnv({}),
    );
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.render).toMatchObject({ status: 'done', pagesRendered: 1 });
    expect(report.findings).toEqual([expect.objectContaining({ masked: `pk_…${runtime.slice(-4)}` })]);
    expect(result.stdout + result.stderr).not.toContain(runtime);
  });

  it('the image turns SCAN_RENDER on for the bot', () => {
    expect(imageEnv.SCAN_RENDER).toBe('true');
  });
});
