import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Decoy, type GeneratedSite, generateStorefront, type PlantedKey } from './site-generator.js';
import { startStaticServerProcess } from './static-server.js';

/** One target of a benchmark; `skip` when it could not be measured (and so does not fail the run). */
export interface BenchTarget {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
}

export interface BenchOutcome {
  lines: string[];
  targets: BenchTarget[];
}

export const TARGETS = {
  speedup: 2,
  peakMemoryBytes: 250 * 1e6,
  minPages: 500,
  minScripts: 100,
  minBytes: 50 * 1e6,
};

export interface ScanBenchOptions {
  /** The repository root, where `bin/klaviyo-checkup.js` lives. */
  repoRoot?: string;
  /** Longest any child process (scan, wget, grep) may run. */
  childTimeoutMs?: number;
  seed?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface ToolRun {
  seconds: number;
  pages: number;
  scripts: number;
  bytes: number;
}

export interface ScanRun extends ToolRun {
  peakRssBytes: number;
  complete: boolean;
  errors: { url: string; error: string }[];
  findings: { fingerprint: string; masked: string }[];
  exitCode: number | null;
}

export interface BaselineRun extends ToolRun {
  otherFiles: number;
  wgetExitCode: number | null;
  /** Distinct strings grep matched: keys it could see plus every look-alike. */
  distinctMatches: number;
  /** Planted keys that appear verbatim in grep's output. */
  plantedSeen: number;
}

export interface KeyCheck {
  found: PlantedKey[];
  missed: PlantedKey[];
  falsePositives: { fingerprint: string; masked: string; decoy?: Decoy }[];
}

export interface ScanBenchResult {
  site: GeneratedSite;
  generateSeconds: number;
  scan: ScanRun;
  baseline: BaselineRun | { skipped: string };
  keys: KeyCheck;
}

const DEFAULT_CHILD_TIMEOUT_MS = 10 * 60_000;

/**
 * Generates the storefront, serves it from a child process on loopback, scans it with the CLI, then
 * fetches it with `wget --recursive` and searches it with `grep` for comparison. Temporary directories
 * and the server are removed whatever happens.
 */
export async function runScanBench(options: ScanBenchOptions = {}): Promise<ScanBenchResult> {
  const repoRoot = options.repoRoot ?? fileURLToPath(new URL('../../', import.meta.url));
  const timeoutMs = options.childTimeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const dirs: string[] = [];
  const removeDirs = () => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C mid-run should not leave 60 MB in the temp directory; the server child exits on disconnect.
  const onSignal = () => {
    removeDirs();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let stopServer: (() => Promise<void>) | undefined;
  try {
    const siteDir = mkdtempSync(join(tmpdir(), 'klaviyo-bench-site-'));
    dirs.push(siteDir);
    log(`generating the storefront in ${siteDir} …`);
    const generateStart = performance.now();
    const site = generateStorefront(siteDir, options.seed === undefined ? {} : { seed: options.seed });
    const generateSeconds = (performance.now() - generateStart) / 1000;
    checkSiteSize(site);
    // The generator's garbage should not sit in this process while the children run.
    (globalThis as { gc?: () => void }).gc?.();

    const server = await startStaticServerProcess(siteDir);
    stopServer = server.stop;
    log(`serving it at ${server.origin}/ from a child process`);

    log('scanning with klaviyo-checkup …');
    const scan = await runScan(repoRoot, server.origin, timeoutMs);
    const keys = compareKeys(site, scan.findings);

    const wget = findExecutable('wget');
    const grep = findExecutable('grep');
    let baseline: ScanBenchResult['baseline'];
    if (wget === undefined || grep === undefined) {
      baseline = { skipped: `${wget === undefined ? 'wget' : 'grep'} is not installed; comparison skipped` };
    } else {
      const wgetDir = mkdtempSync(join(tmpdir(), 'klaviyo-bench-wget-'));
      dirs.push(wgetDir);
      log('fetching with wget --recursive and searching with grep …');
      baseline = await runBaseline(wget, grep, server.origin, wgetDir, site, timeoutMs);
    }
    return { site, generateSeconds, scan, baseline, keys };
  } finally {
    await stopServer?.();
    removeDirs();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function checkSiteSize(site: GeneratedSite): void {
  if (
    site.pages < TARGETS.minPages ||
    site.scripts < TARGETS.minScripts ||
    site.totalBytes < TARGETS.minBytes
  ) {
    throw new Error(
      `the generated site is too small (${site.pages} pages, ${site.scripts} scripts, ${mb(site.totalBytes)} MB)`,
    );
  }
}

interface ScanReport {
  pagesScanned: number;
  scriptsScanned: number;
  complete: boolean;
  findings: { fingerprint: string; masked: string }[];
  errors: { url: string; error: string }[];
  stats: { bytesFetched: number };
  peakRssBytes: number;
}

async function runScan(repoRoot: string, origin: string, timeoutMs: number): Promise<ScanRun> {
  const args = [
    join(repoRoot, 'bin', 'klaviyo-checkup.js'),
    'scan',
    `${origin}/`,
    '--json',
    '--allow-private-networks',
    '--quiet',
    '--max-pages',
    '5000',
    '--max-scripts',
    '5000',
    '--time-budget',
    '600',
  ];
  const started = performance.now();
  const result = await runProcess(process.execPath, args, { cwd: repoRoot, timeoutMs });
  const seconds = (performance.now() - started) / 1000;
  // 1 means keys were found, which is what this site should produce.
  if (result.timedOut || (result.code !== 0 && result.code !== 1)) {
    throw new Error(
      `klaviyo-checkup ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${result.stderr.trim().slice(0, 2000)}`,
    );
  }
  const report = parseReport(result.stdout);
  return {
    seconds,
    pages: report.pagesScanned,
    scripts: report.scriptsScanned,
    bytes: report.stats.bytesFetched,
    peakRssBytes: report.peakRssBytes,
    complete: report.complete,
    errors: report.errors,
    findings: report.findings.map(({ fingerprint, masked }) => ({ fingerprint, masked })),
    exitCode: result.code,
  };
}

function parseReport(stdout: string): ScanReport {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw new Error(`klaviyo-checkup --json did not print JSON: ${stdout.slice(0, 200)}`);
  }
  const report = value as Partial<ScanReport> | null;
  if (
    typeof report?.pagesScanned !== 'number' ||
    typeof report.scriptsScanned !== 'number' ||
    !Array.isArray(report.findings) ||
    typeof report.stats?.bytesFetched !== 'number' ||
    typeof report.peakRssBytes !== 'number'
  ) {
    throw new Error(
      'the klaviyo-checkup report lacks pagesScanned, scriptsScanned, findings, stats or peakRssBytes',
    );
  }
  return {
    ...(report as ScanReport),
    complete: report.complete !== false,
    errors: Array.isArray(report.errors) ? report.errors : [],
  };
}

export function compareKeys(
  site: GeneratedSite,
  findings: { fingerprint: string; masked: string }[],
): KeyCheck {
  const reported = new Set(findings.map((finding) => finding.fingerprint));
  const plantedPrints = new Set(site.planted.map((key) => key.fingerprint));
  return {
    found: site.planted.filter((key) => reported.has(key.fingerprint)),
    missed: site.planted.filter((key) => !reported.has(key.fingerprint)),
    falsePositives: findings
      .filter((finding) => !plantedPrints.has(finding.fingerprint))
      .map((finding) => {
        const decoy = site.decoys.find((candidate) => candidate.fingerprint === finding.fingerprint);
        return decoy === undefined ? finding : { ...finding, decoy };
      }),
  };
}

async function runBaseline(
  wget: string,
  grep: string,
  origin: string,
  dir: string,
  site: GeneratedSite,
  timeoutMs: number,
): Promise<BaselineRun> {
  const started = performance.now();
  const fetched = await runProcess(
    wget,
    [
      '--recursive',
      '--level=inf',
      '--no-parent',
      '--quiet',
      '--no-host-directories',
      '--directory-prefix',
      dir,
      `${origin}/`,
    ],
    { timeoutMs },
  );
  if (fetched.timedOut) throw new Error('wget timed out');
  const searched = await runProcess(grep, ['-rhoE', 'pk_[A-Za-z0-9_]{34,45}', dir], { timeoutMs });
  const seconds = (performance.now() - started) / 1000;
  // grep: 0 matches, 1 no match, 2 trouble.
  if (searched.timedOut || (searched.code !== 0 && searched.code !== 1)) {
    throw new Error(`grep failed: ${searched.stderr.trim().slice(0, 500)}`);
  }
  const matches = new Set(searched.stdout.split('\n').filter((line) => line !== ''));
  const files = await countFiles(dir);
  return {
    seconds,
    ...files,
    wgetExitCode: fetched.code,
    distinctMatches: matches.size,
    plantedSeen: site.planted.filter((key) => matches.has(key.key)).length,
  };
}

/** wget saves extension-less page URLs without an extension, so anything not .js counts as a page. */
async function countFiles(
  dir: string,
): Promise<{ pages: number; scripts: number; otherFiles: number; bytes: number }> {
  const counts = { pages: 0, scripts: 0, otherFiles: 0, bytes: 0 };
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        counts.bytes += (await stat(path)).size;
        const extension = extname(entry.name);
        if (extension === '.js') counts.scripts++;
        else if (extension === '' || extension === '.html') counts.pages++;
        else counts.otherFiles++;
      }
    }
  };
  await walk(dir);
  return counts;
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function rate(count: number, seconds: number): string {
  return seconds > 0 ? (count / seconds).toFixed(1) : '-';
}

/** The figures as a table, and the targets of the issue. */
export function scanBenchOutcome(result: ScanBenchResult): BenchOutcome {
  const { site, scan, baseline, keys } = result;
  const lines: string[] = [];
  lines.push(
    'Scan benchmark (MB = 10^6 bytes)',
    `  site: ${site.pages} pages, ${site.scripts} scripts, ${mb(site.totalBytes)} MB ` +
      `(pages ${mb(site.pageBytes)} MB, scripts ${mb(site.scriptBytes)} MB), generated in ${result.generateSeconds.toFixed(1)} s`,
    '',
  );
  const row = (cells: string[]) =>
    `  ${(cells[0] ?? '').padEnd(18)}${cells
      .slice(1)
      .map((cell) => cell.padStart(10))
      .join('')}`;
  lines.push(row(['', 'seconds', 'pages/s', 'MB/s', 'pages', 'scripts', 'MB']));
  lines.push(
    row([
      'klaviyo-checkup',
      scan.seconds.toFixed(2),
      rate(scan.pages, scan.seconds),
      rate(scan.bytes / 1e6, scan.seconds),
      String(scan.pages),
      String(scan.scripts),
      mb(scan.bytes),
    ]),
  );
  if ('skipped' in baseline) lines.push(`  wget+grep: ${baseline.skipped}`);
  else {
    lines.push(
      row([
        'wget+grep',
        baseline.seconds.toFixed(2),
        rate(baseline.pages, baseline.seconds),
        rate(baseline.bytes / 1e6, baseline.seconds),
        String(baseline.pages),
        String(baseline.scripts),
        mb(baseline.bytes),
      ]),
    );
  }
  lines.push('');
  if (!('skipped' in baseline)) {
    const ratio = baseline.seconds / scan.seconds;
    lines.push(
      `  speed: klaviyo-checkup is ${(ratio >= 1 ? ratio : 1 / ratio).toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'} ` +
        `than wget+grep (speed ratio ${ratio.toFixed(2)})`,
    );
    lines.push(
      `  wget downloaded ${baseline.pages} pages and ${baseline.scripts} scripts` +
        (baseline.otherFiles > 0 ? ` and ${baseline.otherFiles} other files` : '') +
        ` (site: ${site.pages} and ${site.scripts}); wget exit status ${baseline.wgetExitCode}`,
    );
    lines.push(
      `  grep matched ${baseline.distinctMatches} distinct pk_ strings, ${baseline.plantedSeen} of them planted keys ` +
        '(it cannot decode escaped or base64 keys and cannot tell look-alikes apart)',
    );
  }
  lines.push(`  peak memory of the scan (max RSS of the CLI process): ${mb(scan.peakRssBytes)} MB`);
  lines.push(
    `  keys: ${site.planted.length} planted, ${keys.found.length} found, ${keys.missed.length} missed, ` +
      `${keys.falsePositives.length} false positives (${site.decoys.length} look-alike decoys planted)`,
  );
  for (const key of keys.missed)
    lines.push(`    missed ${maskLike(key.key)}: ${key.where} in ${describePaths(key.paths)}`);
  for (const extra of keys.falsePositives) {
    lines.push(
      `    false positive ${extra.masked} (sha256 ${extra.fingerprint.slice(0, 12)}…)` +
        (extra.decoy
          ? `: the decoy "${extra.decoy.what}" in ${describePaths(extra.decoy.paths)}`
          : ': not a planted string'),
    );
  }
  if (!scan.complete || scan.errors.length > 0) {
    lines.push(
      `  the scan reported itself ${scan.complete ? 'complete' : 'incomplete'} with ${scan.errors.length} error(s)`,
    );
    for (const error of scan.errors.slice(0, 5)) lines.push(`    ${error.url}: ${error.error}`);
  }

  const targets: BenchTarget[] = [
    'skipped' in baseline
      ? {
          name: `scan at least ${TARGETS.speedup}x faster than wget+grep`,
          status: 'skip',
          detail: baseline.skipped,
        }
      : {
          name: `scan at least ${TARGETS.speedup}x faster than wget+grep`,
          status: baseline.seconds / scan.seconds >= TARGETS.speedup ? 'pass' : 'fail',
          detail: `${(baseline.seconds / scan.seconds).toFixed(2)}x (${scan.seconds.toFixed(2)} s vs ${baseline.seconds.toFixed(2)} s)`,
        },
    {
      name: `peak memory under ${mb(TARGETS.peakMemoryBytes)} MB`,
      status: scan.peakRssBytes < TARGETS.peakMemoryBytes ? 'pass' : 'fail',
      detail: `${mb(scan.peakRssBytes)} MB`,
    },
    {
      name: 'every planted key found',
      status: keys.missed.length === 0 ? 'pass' : 'fail',
      detail: `${keys.found.length}/${site.planted.length}`,
    },
    {
      name: 'no false positives',
      status: keys.falsePositives.length === 0 ? 'pass' : 'fail',
      detail: `${keys.falsePositives.length}`,
    },
    // Speed figures only mean something if the scan read the whole site.
    {
      name: 'scan read every page and script',
      status: scan.pages >= site.pages && scan.scripts >= site.scripts && scan.complete ? 'pass' : 'fail',
      detail: `${scan.pages}/${site.pages} pages, ${scan.scripts}/${site.scripts} scripts${scan.complete ? '' : ', incomplete'}`,
    },
  ];
  return { lines, targets };
}

function maskLike(key: string): string {
  return `pk_…${key.slice(-4)}`;
}

function describePaths(paths: string[]): string {
  return paths.length <= 2
    ? paths.join(', ')
    : `${paths.slice(0, 2).join(', ')} and ${paths.length - 2} more`;
}

/** Runs the scan benchmark and turns it into figures and targets. */
export async function scanBenchmark(options: ScanBenchOptions = {}): Promise<BenchOutcome> {
  return scanBenchOutcome(await runScanBench(options));
}
