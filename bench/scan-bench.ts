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

/** One comparison: both tools against the same server, which answers every request after `delayMs`. */
export interface RoundSpec {
  id: string;
  title: string;
  delayMs: number;
}

export const ROUNDS: RoundSpec[] = [
  { id: 'A', title: 'loopback, no added latency: CPU-bound', delayMs: 0 },
  { id: 'B', title: 'storefront response time 20 ms', delayMs: 20 },
];

export interface ScanBenchOptions {
  /** The repository root, where `bin/klaviyo-checkup.js` lives. */
  repoRoot?: string;
  /** Longest any child process (scan, wget, grep) may run. */
  childTimeoutMs?: number;
  seed?: number;
  rounds?: RoundSpec[];
  /** Runs of each tool per round; the figure is the median (3 by default). */
  runs?: number;
  /**
   * Wall time the whole benchmark should stay under. When the runs measured so far say the rest of a
   * round would take it past this, wget+grep runs only twice in that round (never fewer).
   */
  budgetSeconds?: number;
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

export interface RoundResult {
  spec: RoundSpec;
  /** In the order they ran. */
  scans: ScanRun[];
  baselines: BaselineRun[] | { skipped: string };
  /** Which tool went first in each run. */
  order: ('scan' | 'baseline')[][];
  /** Over every scan of the round: a key missed by any run is missed, any extra finding counts. */
  keys: KeyCheck;
  /** Why a round ran fewer wget+grep runs than planned, and so on. */
  notes: string[];
}

export interface ScanBenchResult {
  site: GeneratedSite;
  generateSeconds: number;
  server: { files: number; bytes: number };
  runs: number;
  budgetSeconds: number;
  rounds: RoundResult[];
  totalSeconds: number;
}

const DEFAULT_CHILD_TIMEOUT_MS = 3 * 60_000;
const DEFAULT_RUNS = 3;
const DEFAULT_BUDGET_SECONDS = 110;
/** Fewest wget+grep runs a round makes to save time. */
const MIN_BASELINE_RUNS = 2;

/**
 * Generates the storefront, then for each round serves it from a child process on loopback (the whole
 * site in memory, every response held back by the round's delay) and times the CLI's scan against
 * `wget --recursive` + `grep`, several runs each in alternating order. Temporary directories and the
 * server are removed whatever happens.
 */
export async function runScanBench(options: ScanBenchOptions = {}): Promise<ScanBenchResult> {
  const benchStart = performance.now();
  const repoRoot = options.repoRoot ?? fileURLToPath(new URL('../../', import.meta.url));
  const timeoutMs = options.childTimeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS;
  const runs = Math.max(1, options.runs ?? DEFAULT_RUNS);
  const budgetSeconds = options.budgetSeconds ?? DEFAULT_BUDGET_SECONDS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const gc = (globalThis as { gc?: () => void }).gc;

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
    gc?.();

    const wget = findExecutable('wget');
    const grep = findExecutable('grep');
    const missingTool = wget === undefined ? 'wget' : grep === undefined ? 'grep' : undefined;
    const wgetRoot = mkdtempSync(join(tmpdir(), 'klaviyo-bench-wget-'));
    dirs.push(wgetRoot);

    const rounds: RoundResult[] = [];
    let server = { files: 0, bytes: 0 };
    for (const spec of options.rounds ?? ROUNDS) {
      const started = await startStaticServerProcess(siteDir, { delayMs: spec.delayMs });
      stopServer = started.stop;
      server = { files: started.files, bytes: started.bytes };
      log(
        `round ${spec.id} (${spec.title}): serving ${started.files} files from memory at ${started.origin}/ ` +
          `with ${spec.delayMs} ms per response`,
      );

      const scans: ScanRun[] = [];
      const baselines: BaselineRun[] = [];
      const order: RoundResult['order'] = [];
      const notes: string[] = [];
      let baselineRuns = missingTool === undefined ? runs : 0;
      for (let run = 0; run < runs; run++) {
        const steps: ('scan' | 'baseline')[] = run % 2 === 0 ? ['scan', 'baseline'] : ['baseline', 'scan'];
        const ran: ('scan' | 'baseline')[] = [];
        for (const step of steps) {
          gc?.();
          if (step === 'scan') {
            scans.push(await runScan(repoRoot, started.origin, timeoutMs));
            ran.push(step);
          } else if (run < baselineRuns && wget !== undefined && grep !== undefined) {
            baselines.push(await runBaseline(wget, grep, started.origin, wgetRoot, site, timeoutMs));
            ran.push(step);
          }
        }
        order.push(ran);
        log(
          `  run ${run + 1}/${runs}: ${ran
            .map((step) =>
              step === 'scan'
                ? `klaviyo-checkup ${(scans.at(-1) as ScanRun).seconds.toFixed(2)} s`
                : `wget+grep ${(baselines.at(-1) as BaselineRun).seconds.toFixed(2)} s`,
            )
            .join(', ')}`,
        );

        // Too slow for the budget? Fewer wget+grep runs, the tool that takes longest under latency.
        const doneRuns = run + 1;
        if (baselineRuns > MIN_BASELINE_RUNS && doneRuns < baselineRuns && baselines.length > 0) {
          const elapsed = (performance.now() - benchStart) / 1000;
          const projected =
            elapsed +
            (runs - doneRuns) * median(scans.map((scan) => scan.seconds)) +
            (baselineRuns - doneRuns) * median(baselines.map((baseline) => baseline.seconds));
          if (projected > budgetSeconds) {
            const reduced = Math.max(MIN_BASELINE_RUNS, doneRuns);
            notes.push(
              `wget+grep ran ${reduced} times instead of ${baselineRuns} in this round: ${baselineRuns} runs would ` +
                `take the bench to about ${projected.toFixed(0)} s, past its ${budgetSeconds} s budget ` +
                `(its figure is the median of ${reduced}${reduced === 2 ? ', i.e. their mean' : ''})`,
            );
            log(`  ${notes.at(-1)}`);
            baselineRuns = reduced;
          }
        }
      }
      await stopServer();
      stopServer = undefined;

      rounds.push({
        spec,
        scans,
        baselines:
          missingTool === undefined
            ? baselines
            : { skipped: `${missingTool} is not installed; comparison skipped` },
        order,
        keys: combineKeyChecks(
          site,
          scans.map((scan) => compareKeys(site, scan.findings)),
        ),
        notes,
      });
    }
    return {
      site,
      generateSeconds,
      server,
      runs,
      budgetSeconds,
      rounds,
      totalSeconds: (performance.now() - benchStart) / 1000,
    };
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

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
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
    // The scan's own budget ends before the child's timeout, so a slow scan still reports.
    String(Math.max(1, Math.floor(timeoutMs / 1000) - 10)),
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

/** Combines the key checks of several scans: a key any run missed is missed; every extra finding counts. */
export function combineKeyChecks(site: GeneratedSite, checks: KeyCheck[]): KeyCheck {
  const missed = new Set(checks.flatMap((check) => check.missed.map((key) => key.fingerprint)));
  const falsePositives = new Map<string, KeyCheck['falsePositives'][number]>();
  for (const check of checks) {
    for (const extra of check.falsePositives) falsePositives.set(extra.fingerprint, extra);
  }
  return {
    found: site.planted.filter((key) => !missed.has(key.fingerprint)),
    missed: site.planted.filter((key) => missed.has(key.fingerprint)),
    falsePositives: [...falsePositives.values()],
  };
}

/** One wget+grep run into a fresh directory under `root`, removed afterwards. */
async function runBaseline(
  wget: string,
  grep: string,
  origin: string,
  root: string,
  site: GeneratedSite,
  timeoutMs: number,
): Promise<BaselineRun> {
  const dir = mkdtempSync(join(root, 'run-'));
  try {
    return await runBaselineIn(wget, grep, origin, dir, site, timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBaselineIn(
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

function minOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.min(...values);
}

function maxOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(...values);
}

function roundName(spec: RoundSpec): string {
  return `round ${spec.id} (${spec.title})`;
}

/** Median wall time; counts are the smallest any run saw (they should all be the same). */
function summarize(runs: ToolRun[]): ToolRun {
  return {
    seconds: median(runs.map((run) => run.seconds)),
    pages: minOf(runs.map((run) => run.pages)),
    scripts: minOf(runs.map((run) => run.scripts)),
    bytes: minOf(runs.map((run) => run.bytes)),
  };
}

function times(count: number): string {
  return count === 1 ? 'once' : count === 2 ? 'twice' : `${count} times`;
}

/** The figures of each round as a table, and the targets of the issue. */

function row(cells: string[]): string {
  return `  ${(cells[0] ?? '').padEnd(18)}${cells
    .slice(1)
    .map((cell) => cell.padStart(10))
    .join('')}`;
}

/** One tool's line of a round's table: seconds, pages/s, MB/s, pages, scripts, MB. */
function toolRow(name: string, run: ReturnType<typeof summarize>): string {
  return row([
    name,
    run.seconds.toFixed(2),
    rate(run.pages, run.seconds),
    rate(run.bytes / 1e6, run.seconds),
    String(run.pages),
    String(run.scripts),
    mb(run.bytes),
  ]);
}

export function scanBenchOutcome(result: ScanBenchResult): BenchOutcome {
  const { site } = result;
  const lines: string[] = [];
  lines.push(
    'Scan benchmark (MB = 10^6 bytes)',
    `  site: ${site.pages} pages, ${site.scripts} scripts, ${mb(site.totalBytes)} MB ` +
      `(pages ${mb(site.pageBytes)} MB, scripts ${mb(site.scriptBytes)} MB), generated in ${result.generateSeconds.toFixed(1)} s`,
    `  server: a child process on 127.0.0.1 holding all ${result.server.files} files (${mb(result.server.bytes)} MB) in memory`,
    `  method: per round, each tool runs up to ${times(result.runs)}, alternating which goes first; figures use the median wall time`,
  );

  const speedTargets: BenchTarget[] = [];
  for (const round of result.rounds) {
    const { spec, scans, baselines, keys } = round;
    const scan = summarize(scans);
    lines.push('', `Round ${spec.id}: ${spec.title} (server delay ${spec.delayMs} ms per response)`);
    lines.push(row(['', 'seconds', 'pages/s', 'MB/s', 'pages', 'scripts', 'MB']));
    lines.push(toolRow('klaviyo-checkup', scan));
    const baseline = 'skipped' in baselines ? undefined : summarize(baselines);
    if ('skipped' in baselines) lines.push(`  wget+grep: ${baselines.skipped}`);
    else if (baseline !== undefined) {
      lines.push(toolRow('wget+grep', baseline));
    }
    lines.push('');
    const seconds = (runs: ToolRun[]) => runs.map((run) => run.seconds.toFixed(2)).join(', ');
    lines.push(
      `  runs (s, in order): klaviyo-checkup ${seconds(scans)}` +
        ('skipped' in baselines ? '' : `; wget+grep ${seconds(baselines)}`),
    );
    lines.push(
      `  order: ${round.order
        .map(
          (steps, index) =>
            `run ${index + 1} ${steps.map((step) => (step === 'scan' ? 'scan' : 'wget+grep')).join(' then ')}`,
        )
        .join('; ')}`,
    );
    for (const note of round.notes) lines.push(`  note: ${note}`);

    const speedName = `scan at least ${TARGETS.speedup}x faster than wget+grep, ${roundName(spec)}`;
    if ('skipped' in baselines || baseline === undefined) {
      speedTargets.push({
        name: speedName,
        status: 'skip',
        detail: 'skipped' in baselines ? baselines.skipped : 'no runs',
      });
    } else {
      const ratio = baseline.seconds / scan.seconds;
      lines.push(
        `  speed: klaviyo-checkup is ${(ratio >= 1 ? ratio : 1 / ratio).toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'} ` +
          `than wget+grep (speed ratio ${ratio.toFixed(2)}, medians)`,
      );
      const last = baselines.at(-1) as BaselineRun;
      const saved = last.pages + last.scripts + last.otherFiles;
      lines.push(
        `  wget downloaded ${last.pages} pages and ${last.scripts} scripts` +
          (last.otherFiles > 0 ? ` and ${last.otherFiles} other files` : '') +
          ` (site: ${site.pages} and ${site.scripts}); wget exit status ${baselines.map((run) => run.wgetExitCode).join(', ')}` +
          (spec.delayMs > 0 && saved > 0
            ? `; ${((baseline.seconds * 1000) / saved).toFixed(1)} ms per file saved, one request at a time`
            : ''),
      );
      lines.push(
        `  grep matched ${last.distinctMatches} distinct pk_ strings, ${last.plantedSeen} of them planted keys ` +
          '(it cannot decode escaped or base64 keys and cannot tell look-alikes apart)',
      );
      speedTargets.push({
        name: speedName,
        status: ratio >= TARGETS.speedup ? 'pass' : 'fail',
        detail: `${ratio.toFixed(2)}x (median ${scan.seconds.toFixed(2)} s vs ${baseline.seconds.toFixed(2)} s)`,
      });
    }
    lines.push(
      `  peak memory of the scan (max RSS of the CLI process, max over ${scans.length} runs): ` +
        `${mb(maxOf(scans.map((run) => run.peakRssBytes)))} MB`,
    );
    lines.push(
      `  keys: ${site.planted.length} planted, ${keys.found.length} found, ${keys.missed.length} missed, ` +
        `${keys.falsePositives.length} false positives (${site.decoys.length} look-alike decoys planted; ` +
        `a key counts as found only if every run found it)`,
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
    scans.forEach((run, index) => {
      if (run.complete && run.errors.length === 0) return;
      lines.push(
        `  scan run ${index + 1} reported itself ${run.complete ? 'complete' : 'incomplete'} with ${run.errors.length} error(s)`,
      );
      for (const error of run.errors.slice(0, 5)) lines.push(`    ${error.url}: ${error.error}`);
    });
  }
  lines.push('', `  whole benchmark: ${result.totalSeconds.toFixed(1)} s`);

  const everyScan = result.rounds.flatMap((round) => round.scans.map((scan) => ({ round, scan })));
  const runCount = `${everyScan.length} scan run${everyScan.length === 1 ? '' : 's'}`;
  const perRound = (value: (round: RoundResult) => string) =>
    result.rounds.map((round) => `${round.spec.id} ${value(round)}`).join(', ');
  const peak = maxOf(everyScan.map(({ scan }) => scan.peakRssBytes));
  const missed = result.rounds.reduce((sum, round) => sum + round.keys.missed.length, 0);
  const extras = result.rounds.reduce((sum, round) => sum + round.keys.falsePositives.length, 0);
  // Speed figures only mean something if the scan read the whole site, every time.
  const partial = everyScan.filter(
    ({ scan }) => scan.pages < site.pages || scan.scripts < site.scripts || !scan.complete,
  );

  const targets: BenchTarget[] = [
    ...speedTargets,
    {
      name: `peak memory under ${mb(TARGETS.peakMemoryBytes)} MB`,
      status: everyScan.length > 0 && peak < TARGETS.peakMemoryBytes ? 'pass' : 'fail',
      detail: `${mb(peak)} MB, max over ${runCount} (${perRound((round) => `${mb(maxOf(round.scans.map((scan) => scan.peakRssBytes)))} MB`)})`,
    },
    {
      name: 'every planted key found',
      status: everyScan.length > 0 && missed === 0 ? 'pass' : 'fail',
      detail: `${perRound((round) => `${round.keys.found.length}/${site.planted.length}`)} (a key counts only if every run of its round found it; ${runCount})`,
    },
    {
      name: 'no false positives',
      status: everyScan.length > 0 && extras === 0 ? 'pass' : 'fail',
      detail: `${extras} over ${runCount}`,
    },
    {
      name: 'scan read every page and script',
      status: everyScan.length > 0 && partial.length === 0 ? 'pass' : 'fail',
      detail:
        `${minOf(everyScan.map(({ scan }) => scan.pages))}/${site.pages} pages, ` +
        `${minOf(everyScan.map(({ scan }) => scan.scripts))}/${site.scripts} scripts at least, in each of ${runCount}` +
        (partial.length > 0
          ? `; ${partial.length} run(s) fell short or were incomplete (${[...new Set(partial.map(({ round }) => `round ${round.spec.id}`))].join(', ')})`
          : ''),
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
