import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BrowserMissingError, findBrowser } from '../src/scan/render/browser.js';
import { watchProcessTree } from '../test/fixtures/process-tree.js';
import { generateRenderSite, type RenderSite } from './render-site.js';
import { type BenchOutcome, type BenchTarget, median } from './scan-bench.js';
import { startStaticServerProcess } from './static-server.js';

export const RENDER_TARGETS = {
  /** Whole process tree (the scan, the browser and every one of its processes), summed RSS. */
  peakTreeBytes: 700 * 1e6,
  pagesRendered: 20,
};

interface RenderRun {
  seconds: number;
  peakTreeBytes: number;
  /** The scan process alone, as it reports itself. */
  peakScanBytes: number;
  processes: number;
  fingerprints: string[];
  pagesRendered?: number;
  requestsSeen?: number;
  complete: boolean;
}

interface Report {
  findings: { fingerprint: string }[];
  complete: boolean;
  peakRssBytes: number;
  render?: { pagesRendered: number; requestsSeen: number; status: string };
}

const RUNS = 3;
const SERVER_DELAY_MS = 20;
const CHILD_TIMEOUT_MS = 300_000;

async function runScan(repoRoot: string, origin: string, render: boolean): Promise<RenderRun> {
  const args = [join(repoRoot, 'bin', 'klaviyo-checkup.js'), 'scan', `${origin}/`, '--json', '--quiet'];
  args.push('--allow-private-networks', ...(render ? ['--render'] : []));
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const watch = watchProcessTree(child.pid as number);
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const { seen, peakRssBytes } = watch.stop();
  if (code !== 0 && code !== 1)
    throw new Error(
      `klaviyo-checkup exited with ${code}: ${Buffer.concat(stderr).toString().slice(0, 1000)}`,
    );
  const report = JSON.parse(Buffer.concat(stdout).toString('utf8')) as Report;
  return {
    seconds,
    peakTreeBytes: peakRssBytes,
    peakScanBytes: report.peakRssBytes,
    processes: seen.length,
    fingerprints: report.findings.map((finding) => finding.fingerprint),
    complete: report.complete,
    ...(report.render === undefined
      ? {}
      : { pagesRendered: report.render.pagesRendered, requestsSeen: report.render.requestsSeen }),
  };
}

interface KeyTally {
  staticFound: number;
  staticPlanted: number;
  runtimeFound: number;
  runtimePlanted: number;
  falsePositives: number;
}

function tally(site: RenderSite, fingerprints: string[]): KeyTally {
  const found = new Set(fingerprints);
  const planted = new Set(site.planted.map((key) => key.fingerprint));
  const visible = site.planted.filter((key) => key.staticallyVisible);
  const runtime = site.planted.filter((key) => !key.staticallyVisible);
  return {
    staticFound: visible.filter((key) => found.has(key.fingerprint)).length,
    staticPlanted: visible.length,
    runtimeFound: runtime.filter((key) => found.has(key.fingerprint)).length,
    runtimePlanted: runtime.length,
    falsePositives: fingerprints.filter((value) => !planted.has(value)).length,
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/**
 * The static scan beside `--render` on a storefront of 24 templates whose keys but one exist only at
 * runtime: wall time, peak memory of the whole process tree, keys found.
 */
export async function renderBenchmark(): Promise<BenchOutcome> {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  try {
    findBrowser();
  } catch (error) {
    if (!(error instanceof BrowserMissingError)) throw error;
    return {
      lines: ['Render benchmark: skipped, no browser'],
      targets: [{ name: 'render pass', status: 'skip', detail: error.message }],
    };
  }
  const root = mkdtempSync(join(tmpdir(), 'klaviyo-bench-render-'));
  try {
    const site = generateRenderSite(root);
    const server = await startStaticServerProcess(root, { delayMs: SERVER_DELAY_MS });
    const runs: { static: RenderRun[]; render: RenderRun[] } = { static: [], render: [] };
    try {
      for (let run = 0; run < RUNS; run++) {
        const order = run % 2 === 0 ? [false, true] : [true, false];
        for (const render of order)
          (render ? runs.render : runs.static).push(await runScan(repoRoot, server.origin, render));
      }
    } finally {
      await server.stop();
    }
    return renderOutcome(site, runs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function renderOutcome(site: RenderSite, runs: { static: RenderRun[]; render: RenderRun[] }): BenchOutcome {
  const summary = (list: RenderRun[]) => ({
    seconds: median(list.map((run) => run.seconds)),
    tree: Math.max(...list.map((run) => run.peakTreeBytes)),
    scan: Math.max(...list.map((run) => run.peakScanBytes)),
    processes: Math.max(...list.map((run) => run.processes)),
    keys: tally(site, (list.at(-1) as RenderRun).fingerprints),
  });
  const plain = summary(runs.static);
  const rendered = summary(runs.render);
  const last = runs.render.at(-1) as RenderRun;
  const keys = (tally: KeyTally) =>
    `${tally.staticFound + tally.runtimeFound}/${tally.staticPlanted + tally.runtimePlanted} (runtime-only ${tally.runtimeFound}/${tally.runtimePlanted})`;
  const cell = (text: string, width: number) => text.padStart(width);
  const lines = [
    'Render benchmark (MB = 10^6 bytes)',
    `  site: ${site.pages} pages in ${site.templates} templates; ${site.planted.length} keys planted, ${site.planted.filter((key) => !key.staticallyVisible).length} of them only at runtime; server delay ${SERVER_DELAY_MS} ms`,
    `  method: ${RUNS} runs of each, alternating; median wall time, highest peak; tree = the scan and all its child processes, RSS summed`,
    '',
    `  ${''.padEnd(20)}${cell('seconds', 9)}${cell('tree MB', 9)}${cell('scan MB', 9)}${cell('procs', 7)}  keys found`,
    `  ${'scan'.padEnd(20)}${cell(plain.seconds.toFixed(2), 9)}${cell(mb(plain.tree), 9)}${cell(mb(plain.scan), 9)}${cell(String(plain.processes), 7)}  ${keys(plain.keys)}`,
    `  ${'scan --render'.padEnd(20)}${cell(rendered.seconds.toFixed(2), 9)}${cell(mb(rendered.tree), 9)}${cell(mb(rendered.scan), 9)}${cell(String(rendered.processes), 7)}  ${keys(rendered.keys)}`,
    '',
    `  runs (s): scan ${runs.static.map((run) => run.seconds.toFixed(2)).join(', ')}; --render ${runs.render.map((run) => run.seconds.toFixed(2)).join(', ')}`,
    `  --render rendered ${last.pagesRendered ?? 0} pages and checked ${last.requestsSeen ?? 0} requests`,
  ];
  const targets: BenchTarget[] = [
    {
      name: `peak memory of the whole process tree under ${mb(RENDER_TARGETS.peakTreeBytes)} MB for ${RENDER_TARGETS.pagesRendered} rendered pages`,
      status:
        rendered.tree < RENDER_TARGETS.peakTreeBytes && last.pagesRendered === RENDER_TARGETS.pagesRendered
          ? 'pass'
          : 'fail',
      detail: `${mb(rendered.tree)} MB for ${last.pagesRendered ?? 0} pages`,
    },
    {
      name: 'every runtime key found with --render, none without, no false positive',
      status:
        rendered.keys.runtimeFound === rendered.keys.runtimePlanted &&
        rendered.keys.staticFound === rendered.keys.staticPlanted &&
        plain.keys.runtimeFound === 0 &&
        rendered.keys.falsePositives === 0 &&
        plain.keys.falsePositives === 0
          ? 'pass'
          : 'fail',
      detail: `with --render ${keys(rendered.keys)}, without ${keys(plain.keys)}, false positives ${rendered.keys.falsePositives + plain.keys.falsePositives}`,
    },
    {
      name: 'every --render run completes within the time budget',
      status: runs.render.every((run) => run.complete) ? 'pass' : 'fail',
      detail: runs.render.map((run) => (run.complete ? 'complete' : 'incomplete')).join(', '),
    },
  ];
  return { lines, targets };
}
