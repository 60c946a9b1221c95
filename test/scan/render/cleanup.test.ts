import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowser } from '../../../src/scan/render/browser.js';
import { scanSiteWithRender } from '../../../src/scan/render/scan-with-render.js';
import { processTree, stillRunning, watchProcessTree } from '../../fixtures/process-tree.js';
import { startSite, type TestSite } from '../../fixtures/site-server.js';
import { BIN } from './netns.js';

let site: TestSite;

beforeAll(async () => {
  site = await startSite({
    '/': { body: '<a href="/spin">spin</a><a href="/hang">hang</a>' },
    // A page that never stops running: its renderer is busy for good once it has loaded.
    '/spin': { body: '<p>spinning</p><script>setTimeout(function () { for (;;) {} }, 0);</script>' },
    // A page whose request is never answered: its network never goes quiet.
    '/hang': { body: '<p>waiting</p><script>fetch("/never");</script>' },
    '/never': () => {},
  });
});

afterAll(async () => {
  await site.close();
});

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], asUser?: number): { child: ChildProcess; done: Promise<Finished> } {
  const command = [process.execPath, BIN, 'scan', site.url('/'), '--allow-private-networks', ...args];
  const [file, ...argv] =
    asUser === undefined
      ? command
      : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...command];
  const child = spawn(file as string, argv, {
    env: { PATH: process.env.PATH, HOME: tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Waits until a renderer runs; a CLI that ends before that fails the test with what it printed. */
async function untilBrowserRuns(
  watch: ReturnType<typeof watchProcessTree>,
  done: Promise<Finished>,
): Promise<void> {
  let ended: Finished | undefined;
  void done.then((finished) => {
    ended = finished;
  });
  while (!watch.seen.some((entry) => entry.command.includes('--type=renderer'))) {
    if (ended)
      throw new Error(`the scan ended (${ended.code ?? ended.signal}) before Chromium ran: ${ended.stderr}`);
    await sleep(25);
  }
}

const isChromium = (command: string) => command.includes('chromium');

describe('no browser process outlives the scan', () => {
  it('a scan whose pages time out ends within its budget and leaves no Chromium behind', async () => {
    const started = Date.now();
    const { child, done } = startCli([
      '--render',
      '--json',
      '--no-sitemaps',
      '--time-budget',
      '20',
      '--render-budget',
      '16',
      '--render-timeout',
      '3',
    ]);
    const watch = watchProcessTree(child.pid as number);
    const finished = await done;
    const { seen } = watch.stop();
    expect(finished.stderr).toBe('');
    expect(finished.code).toBe(0);
    // The budget is 20 s, closing the browser included; the process starting and ending costs a little more.
    expect(Date.now() - started).toBeLessThan(25_000);
    const report = JSON.parse(finished.stdout);
    expect(report.durationMs).toBeLessThanOrEqual(20_000);
    expect(report.render.errors).toEqual(
      expect.arrayContaining([
        { url: site.url('/spin'), reason: expect.stringMatching(/timed out|did not finish/) },
        { url: site.url('/hang'), reason: expect.stringMatching(/timed out|did not finish/) },
      ]),
    );
    expect(seen.filter((entry) => isChromium(entry.command)).length).toBeGreaterThan(1);
    expect(stillRunning(seen)).toEqual([]);
  });

  it('Ctrl-C stops the scan, closes the browser and exits 130', async () => {
    const { child, done } = startCli(['--render', '--no-sitemaps', '--render-timeout', '60']);
    const watch = watchProcessTree(child.pid as number);
    await untilBrowserRuns(watch, done);
    child.kill('SIGINT');
    const finished = await done;
    const { seen } = watch.stop();
    expect(finished.code).toBe(130);
    expect(finished.stderr).toContain('stopped; the browser is closed');
    expect(finished.stdout).toBe('');
    expect(stillRunning(seen)).toEqual([]);
  });

  it('a scan killed outright leaves no Chromium behind either (the browser exits when its pipe closes)', async () => {
    const { child, done } = startCli(['--render', '--no-sitemaps', '--render-timeout', '60']);
    const watch = watchProcessTree(child.pid as number);
    await untilBrowserRuns(watch, done);
    child.kill('SIGKILL');
    await done;
    const { seen } = watch.stop();
    expect(seen.filter((entry) => isChromium(entry.command)).length).toBeGreaterThan(1);
    for (let waited = 0; stillRunning(seen).length > 0 && waited < 10_000; waited += 50) await sleep(50);
    expect(stillRunning(seen)).toEqual([]);
  });

  it("keeps Chromium's sandbox on unless the scan runs as root", async () => {
    // As root here, the scan is started as `nobody`, as the image's `node` user would be.
    const asUser = process.getuid?.() === 0 ? 65534 : undefined;
    const { child, done } = startCli(['--render', '--no-sitemaps', '--render-timeout', '60'], asUser);
    const watch = watchProcessTree(child.pid as number);
    await untilBrowserRuns(watch, done);
    const renderer = watch.seen.find((entry) => entry.command.includes('--type=renderer'));
    // A renderer seen as it starts may not have put its filter on yet (NoNewPrivs set, Seccomp still 0):
    // its status is read again until the filter is on, or the renderer is gone, for at most 10 s.
    const statusOf = () => readFileSync(`/proc/${renderer?.pid}/status`, 'utf8');
    let status = statusOf();
    for (let waited = 0; !/^Seccomp:\s+2$/m.test(status) && waited < 10_000; waited += 20) {
      await sleep(20);
      status = statusOf();
    }
    child.kill('SIGINT');
    await done;
    const { seen } = watch.stop();
    expect(
      seen.filter((entry) => isChromium(entry.command) && entry.command.includes('--no-sandbox')),
    ).toEqual([]);
    // Mode 2: the renderer runs under its seccomp-bpf filter.
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    expect(stillRunning(seen)).toEqual([]);
  });

  it('a scan that fails after the browser started still closes it', async () => {
    const closed = await startSite({});
    const url = closed.url('/');
    await closed.close();
    await expect(
      scanSiteWithRender(url, { allowPrivateNetworks: true, retries: 0 }, { executablePath: findBrowser() }),
    ).rejects.toThrow(/could not be scanned/);
    const left = processTree(process.pid).entries.filter((entry) => isChromium(entry.command));
    expect(left).toEqual([]);
  });
});
