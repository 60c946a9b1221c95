import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_ENV } from '../../../src/scan/render/browser.js';
import { runtimeKey } from '../../fixtures/runtime-site.js';
import { startSite, type TestSite } from '../../fixtures/site-server.js';
import { withoutBrowser } from '../../fixtures/without-browser.js';
import { pluralProblems } from '../../slack/words.js';
import { BIN } from './netns.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { PATH: process.env.PATH, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [BIN, ...args], env);

const key = runtimeKey('cli header');
let site: TestSite;

beforeAll(async () => {
  site = await startSite({
    '/': {
      body: `<script>
        var key = ['${key.slice(20)}', '${key.slice(0, 20)}'].reverse().join('');
        fetch('/api/lists', { headers: { Authorization: 'Klaviyo-API-Key ' + key } });
      </script>`,
    },
  });
});

afterAll(async () => {
  await site.close();
});

describe('klaviyo-checkup scan --render', () => {
  it('says in one line how to install Chromium when there is none, and scans nothing', async () => {
    const result = await run(
      'unshare',
      withoutBrowser(process.execPath, [BIN, 'scan', site.url('/'), '--render', '--allow-private-networks']),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `klaviyo-checkup: --render needs Chromium and none was found: install it with "apt-get install chromium-headless-shell" (or set ${BROWSER_ENV} to a Chromium binary)`,
    ]);
    expect(site.requests).toEqual([]);
  });

  it('names the variable when it points at no browser', async () => {
    const result = await cli(['scan', site.url('/'), '--render'], { [BROWSER_ENV]: '/nowhere/chromium' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `klaviyo-checkup: ${BROWSER_ENV} is "/nowhere/chromium", which is not an executable file\n`,
    );
  });

  it.each([
    [['--render-pages', '5'], '--render-pages needs --render'],
    [['--render', '--render-pages', 'many'], '--render-pages needs a whole number, not "many"'],
    [['--render', '--render-budget', '400'], '--render-budget must be shorter than --time-budget'],
    [['--render', '--render-pages', '0'], '--render-pages must be a whole number from 1 to 1000, not 0'],
  ])('rejects %j: %s', async (args, message) => {
    const result = await cli(['scan', site.url('/'), '--allow-private-networks', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('prints what the browser pass did and where the page sent the key', async () => {
    const result = await cli([
      'scan',
      site.url('/'),
      '--render',
      '--allow-private-networks',
      '--no-sitemaps',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /Rendered 1 of 1 page in Chromium [\d.]+ in [\d.]+ s: 2 requests checked, 1 fetched by the scan, 1 held back, 0 refused/,
    );
    expect(result.stdout).toContain(`pk_…${key.slice(-4)}`);
    expect(pluralProblems(result.stdout)).toEqual([]);
    expect(result.stdout).toContain(`- ${site.url('/api/lists')} (sent by ${site.url('/')})`);
    expect(result.stdout).toContain('request header sent from the browser (GET), authorization');
    expect(result.stdout).not.toContain(key);
  });
});
