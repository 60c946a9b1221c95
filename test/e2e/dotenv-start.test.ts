import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';
import { startSite, type TestSite } from '../fixtures/site-server.js';
import { type BotProcess, spawnBot } from './bot-process.js';
import { SIGNING_SECRET, signedPost, slashCommand, waitUntil } from './harness.js';

/**
 * A new user's first start: `.env` copied from the sample and filled in, nothing Slack-related in the
 * environment, `npm start`. The bot must read the file, listen, and serve a signed command.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
let slack: FakeSlack;
let site: TestSite;

beforeAll(async () => {
  slack = await startFakeSlack({ channels: [{ id: 'C0SHOP', name: 'security', is_member: true }] });
  site = await startSite({ '/': { body: '<p>A shop without keys</p>' } });
});

afterAll(async () => {
  await Promise.all([slack?.close(), site?.close()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory like the root of a clone (npm start needs package.json and scripts/), holding `.env`. */
function cloneWithEnvFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-dotenv-'));
  dirs.push(dir);
  for (const name of ['package.json', 'scripts']) symlinkSync(join(ROOT, name), join(dir, name));
  writeFileSync(join(dir, '.env'), text);
  return dir;
}

/** Only what a shell has that is not the bot's: no SLACK_*, no other variable of the bot's. */
function bareEnvironment(dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, npm_config_update_notifier: 'false' };
}

describe('npm start with a .env file and nothing in the environment', () => {
  let bot: BotProcess | undefined;
  afterAll(async () => {
    await bot?.stop();
  });

  it('reads the file, says where it listens, and serves a signed command', async () => {
    const dir = cloneWithEnvFile(
      [
        '# copied from .env.sample',
        `SLACK_BOT_TOKEN=${slack.token}`,
        `SLACK_SIGNING_SECRET="${SIGNING_SECRET}"`,
        `SLACK_API_URL=${slack.apiUrl}`,
        'PORT=0',
        'DATABASE_PATH=./state/bot.sqlite',
        'SCAN_ALLOW_PRIVATE_NETWORKS=true',
        '',
      ].join('\n'),
    );
    bot = spawnBot('npm', ['start'], { cwd: dir, env: bareEnvironment(dir) });
    const started = await bot.started();
    expect(started).toMatchObject({ mode: 'http', envFile: join(dir, '.env') });
    expect(started.msg).toContain(`HTTP mode on port ${started.port}`);

    const body = new URLSearchParams(slashCommand(slack, site.url('/'))).toString();
    const reply = await signedPost(started.port, body, 'application/x-www-form-urlencoded');
    expect(reply.status).toBe(200);
    // SCAN_ALLOW_PRIVATE_NETWORKS came from the file too: the loopback shop is scanned, not refused.
    await waitUntil(
      () => slack.messagesIn('C0SHOP').find((message) => message.text.includes('No Klaviyo private key')),
      'the scan result in the channel',
    );
    expect(existsSync(join(dir, 'state', 'bot.sqlite'))).toBe(true);
  });
});

describe('a .env that cannot be read as one', () => {
  it('stops the bot with status 2 and one line naming the line, never its content', async () => {
    const dir = cloneWithEnvFile(`SLACK_BOT_TOKEN=${slack.token}\nSLACK_SIGNING_SECRET s3cr3t\n`);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'dist', 'main.js')],
        { cwd: dir, env: bareEnvironment(dir), timeout: 30_000 },
        (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('klaviyo-checkup: .env line 2 is not NAME=value (a # starts a comment)\n');
  });
});
