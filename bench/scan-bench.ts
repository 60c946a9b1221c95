import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { delimiter, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { AnalysisFloorCounts } from './analysis-floor.js';
import type { FloorCounts } from './http-floor.js';
import {
  type Decoy,
  type GeneratedSite,
  generateStorefront,
  LARGE_STORE,
  type PlantedKey,
} from './site-generator.js';
import { siteFiles, startStaticServerProcess } from './static-server.js';

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

/** Issue 9's targets; the ratios are wall times, the scan's over the peer's, in the same run. */
export const TARGETS = {
  vsWget2At10Ms: 0.5,
  vsWget2At0Ms: 0.7,
  vsWgetAt10Ms: 0.15,
  peakRssBytes: 200 * 1e6,
  largePeakRssBytes: 250 * 1e6,
  /** Seconds per MB on the large store over seconds per MB on the standard one, at 0 ms. */
  largeRatePerMb: 1.2,
  startupMs: 120,
  minPages: 500,
  minScripts: 100,
  minBytes: 80 * 1e6,
};

export type StoreSize = 'standard' | 'large';

/** One comparison: every tool against the same server, which answers every request after `delayMs`. */
export interface RoundSpec {
  id: string;
  title: string;
  delayMs: number;
  store: StoreSize;
  /** Runs of each tool; the figure is the median. */
  runs: number;
  /** Tools this round leaves out (single-threaded wget on the large store would take minutes). */
  skip?: ToolId[];
}

export const ROUNDS: RoundSpec[] = [
  { id: 'A', title: 'no added latency: CPU-bound', delayMs: 0, store: 'standard', runs: 3 },
  { id: 'B', title: 'a storefront answering in 10 ms', delayMs: 10, store: 'standard', runs: 3 },
  {
    id: 'C',
    title: 'large store, no added latency',
    delayMs: 0,
    store: 'large',
    runs: 1,
    skip: ['wget'],
  },
];

export type ToolId = 'scan' | 'compare' | 'floor' | 'analysis' | 'wget2' | 'wget';

export interface ScanBenchOptions {
  /** The repository root, where `bin/klaviyo-checkup.js` lives. */
  repoRoot?: string;
  /**
   * Another checkout of klaviyo-checkup (built, with `bin/`) to run beside this one, e.g. main before
   * a change: its times join the table and its findings are compared with this one's.
   */
  compareRoot?: string;
  /** Longest any child process (scan, wget, grep) may run. */
  childTimeoutMs?: number;
  seed?: number;
  rounds?: RoundSpec[];
  /** Overrides every round's number of runs. */
  runs?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface ToolRun {
  seconds: number;
  pages: number;
  scripts: number;
  bytes: number;
  /** Peak resident memory of the process; undefined when it could not be measured. */
  peakRssBytes?: number;
  /**
   * CPU time (user and system, every thread; for wget and wget2, grep's too), from GNU time: on a
   * machine shared with other work it says what the run cost when wall time cannot.
   */
  cpuSeconds?: number;
  /** Planted keys this run found (by fingerprint for the scan, verbatim in grep's output otherwise). */
  plantedFound: number;
  /** Why the run is not usable, when it is not. */
  failure?: string;
}

export interface ScanRun extends ToolRun {
  complete: boolean;
  errors: { url: string; error: string }[];
  findings: { fingerprint: string; masked: string }[];
  /** Everything the report says about each key and placeholder, to tell whether two runs agree. */
  findingsDigest: string;
}

/** The HTTP floor (http-floor.ts): every file the site serves, fetched by the scan's client and dropped. */
export interface FloorRun extends ToolRun {
  requests: number;
  failures: number;
}

/**
 * The analysis floor (analysis-floor.ts): every file of the site analysed by the scan's pool, read from
 * disk, with no HTTP. `seconds` is the analysis alone; the process's start and its reading of the files
 * are `setupSeconds`, and its CPU and peak memory cover all of it.
 */
export interface AnalysisRun extends ToolRun {
  setupSeconds: number;
}

export interface BaselineRun extends ToolRun {
  otherFiles: number;
  exitCode: number | null;
  /** Distinct strings grep matched: keys it could see plus every look-alike. */
  distinctMatches: number;
}

export interface KeyCheck {
  found: PlantedKey[];
  missed: PlantedKey[];
  falsePositives: { fingerprint: string; masked: string; decoy?: Decoy }[];
}

export interface ToolResult {
  tool: ToolId;
  label: string;
  /** In the order they ran. */
  runs: (ScanRun | FloorRun | AnalysisRun | BaselineRun)[];
}

export interface RoundResult {
  spec: RoundSpec;
  site: GeneratedSite;
  tools: ToolResult[];
  /** Which tools ran, in order, in each run. */
  order: ToolId[][];
  /** Over every run of this checkout's scan: a key missed by any run is missed, any extra finding counts. */
  keys: KeyCheck;
  notes: string[];
}

export interface StartupResult {
  label: string;
  /** Wall times of `klaviyo-checkup --version`, in ms. */
  samples: number[];
}

export interface ScanBenchResult {
  sites: { standard: GeneratedSite; large?: GeneratedSite };
  generateSeconds: { standard: number; large?: number };
  rounds: RoundResult[];
  startup: StartupResult[];
  missingTools: string[];
  totalSeconds: number;
  /** Load averages (1, 5, 15 minutes) when the benchmark started and ended: how busy the machine was. */
  load: { start: number[]; end: number[] };
}

const DEFAULT_CHILD_TIMEOUT_MS = 3 * 60_000;
const STARTUP_SAMPLES = 11;
const TOOL_LABELS: Record<ToolId, string> = {
  scan: 'klaviyo-checkup',
  compare: 'klaviyo-checkup (compare)',
  floor: 'HTTP only, no analysis',
  analysis: 'analysis only, no HTTP',
  wget2: 'wget2 -8 + grep',
  wget: 'wget + grep',
};
/** The grep of the issue: what a person would run over a mirror to find plain keys. */
const GREP_ARGS = ['-rhoE', 'pk_[A-Za-z0-9]{34}'];

/**
 * Generates the storefront (and the large store when a round needs it), then for each round serves it
 * from a child process on loopback (the whole site in memory, every response held back by the
 * round's delay) and times the CLI's scan against `wget2 --max-threads=8` + `grep` and single-threaded
 * `wget --recursive` + `grep`, several runs each in rotating order. Temporary directories and the
 * server are removed whatever happens.
 */
export async function runScanBench(options: ScanBenchOptions = {}): Promise<ScanBenchResult> {
  const benchStart = performance.now();
  const loadAtStart = loadavg();
  const repoRoot = options.repoRoot ?? fileURLToPath(new URL('../../', import.meta.url));
  const compareRoot = options.compareRoot === undefined ? undefined : resolve(options.compareRoot);
  if (compareRoot !== undefined && !existsSync(join(compareRoot, 'dist', 'cli.js'))) {
    throw new Error(`${compareRoot} has no dist/cli.js: build it first (npm run build there)`);
  }
  const timeoutMs = options.childTimeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const gc = (globalThis as { gc?: () => void }).gc;
  const specs = (options.rounds ?? ROUNDS).map((spec) =>
    options.runs === undefined ? spec : { ...spec, runs: Math.max(1, options.runs) },
  );

  const dirs: string[] = [];
  const removeDir = (dir: string) => {
    rmSync(dir, { recursive: true, force: true });
    dirs.splice(dirs.indexOf(dir), 1);
  };
  const removeDirs = () => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C mid-run should not leave hundreds of MB in the temp directory; the server child exits on disconnect.
  const onSignal = () => {
    removeDirs();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const time = findExecutable('time', ['/usr/bin']);
  const executables = {
    wget: findExecutable('wget'),
    wget2: findExecutable('wget2'),
    grep: findExecutable('grep'),
  };
  const missingTools = Object.entries(executables)
    .filter(([, path]) => path === undefined)
    .map(([name]) => name);

  let stopServer: (() => Promise<void>) | undefined;
  try {
    const generate = (size: StoreSize) => {
      const dir = mkdtempSync(join(tmpdir(), `klaviyo-bench-${size}-`));
      dirs.push(dir);
      log(`generating the ${size} storefront in ${dir} …`);
      const started = performance.now();
      const site = generateStorefront(dir, {
        ...(size === 'large' ? LARGE_STORE : {}),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      checkSiteSize(site);
      // The generator's garbage should not sit in this process while the children run.
      gc?.();
      return { site, seconds: (performance.now() - started) / 1000 };
    };
    const standard = generate('standard');
    let large: { site: GeneratedSite; seconds: number } | undefined;

    const startup: StartupResult[] = [];
    startup.push(await timeStartup(TOOL_LABELS.scan, repoRoot, timeoutMs));
    if (compareRoot !== undefined)
      startup.push(await timeStartup(TOOL_LABELS.compare, compareRoot, timeoutMs));
    log(`start-up: ${startup.map((s) => `${s.label} ${median(s.samples).toFixed(0)} ms`).join(', ')}`);

    const mirrorRoot = mkdtempSync(join(tmpdir(), 'klaviyo-bench-mirror-'));
    dirs.push(mirrorRoot);

    const rounds: RoundResult[] = [];
    for (const spec of specs) {
      if (spec.store === 'large' && large === undefined) large = generate('large');
      const site = spec.store === 'large' ? (large as { site: GeneratedSite }).site : standard.site;
      const started = await startStaticServerProcess(site.root, { delayMs: spec.delayMs });
      stopServer = started.stop;
      log(
        `round ${spec.id} (${spec.title}): serving ${started.files} files (${mb(started.bytes)} MB) from memory ` +
          `at ${started.origin}/ with ${spec.delayMs} ms per response`,
      );

      const tools: ToolResult[] = [];
      const want = (tool: ToolId) => !(spec.skip ?? []).includes(tool);
      tools.push({ tool: 'scan', label: TOOL_LABELS.scan, runs: [] });
      if (compareRoot !== undefined) tools.push({ tool: 'compare', label: TOOL_LABELS.compare, runs: [] });
      const paths = siteFiles(site.root)
        .map((file) => file.sitePath)
        .sort();
      const floor: FloorInput = { paths, listFile: join(mirrorRoot, `floor-paths-${spec.id}.txt`) };
      if (want('floor')) {
        writeFileSync(floor.listFile, `${paths.join('\n')}\n`);
        tools.push({ tool: 'floor', label: TOOL_LABELS.floor, runs: [] });
      }
      if (want('analysis')) tools.push({ tool: 'analysis', label: TOOL_LABELS.analysis, runs: [] });
      if (executables.wget2 !== undefined && executables.grep !== undefined && want('wget2'))
        tools.push({ tool: 'wget2', label: TOOL_LABELS.wget2, runs: [] });
      if (executables.wget !== undefined && executables.grep !== undefined && want('wget'))
        tools.push({ tool: 'wget', label: TOOL_LABELS.wget, runs: [] });

      const order: ToolId[][] = [];
      const notes: string[] = [];
      for (let run = 0; run < spec.runs; run++) {
        // Rotating the order spreads any drift of the machine's load over every tool.
        const turn = tools.map((_, index) => tools[(index + run) % tools.length] as ToolResult);
        for (const entry of turn) {
          gc?.();
          if (entry.tool === 'scan' || entry.tool === 'compare') {
            const root = entry.tool === 'scan' ? repoRoot : (compareRoot as string);
            entry.runs.push(await runScan(root, started.origin, site, timeoutMs, time, mirrorRoot));
          } else if (entry.tool === 'floor') {
            entry.runs.push(await runFloor(repoRoot, started.origin, floor, timeoutMs, time, mirrorRoot));
          } else if (entry.tool === 'analysis') {
            entry.runs.push(await runAnalysisFloor(repoRoot, site, paths, timeoutMs, time, mirrorRoot));
          } else {
            const dir = mkdtempSync(join(mirrorRoot, `${entry.tool}-`));
            try {
              entry.runs.push(
                await runBaseline(
                  entry.tool,
                  {
                    fetcher: executables[entry.tool] as string,
                    grep: executables.grep as string,
                    time,
                  },
                  started.origin,
                  dir,
                  site,
                  timeoutMs,
                ),
              );
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }
        }
        order.push(turn.map((entry) => entry.tool));
        log(
          `  run ${run + 1}/${spec.runs}: ${turn
            .map((entry) => {
              const last = entry.runs.at(-1) as ToolRun;
              return `${entry.label} ${last.failure === undefined ? `${last.seconds.toFixed(2)} s` : 'failed'}`;
            })
            .join(', ')}`,
        );
      }
      await stopServer();
      stopServer = undefined;

      for (const entry of tools) {
        for (const [index, run] of entry.runs.entries()) {
          if (run.failure !== undefined) notes.push(`${entry.label} run ${index + 1}: ${run.failure}`);
        }
      }
      const scans = (tools[0] as ToolResult).runs as ScanRun[];
      rounds.push({
        spec,
        site,
        tools,
        order,
        keys: combineKeyChecks(
          site,
          scans.filter((scan) => scan.failure === undefined).map((scan) => compareKeys(site, scan.findings)),
        ),
        notes,
      });
      if (spec.store === 'large' && !specs.slice(specs.indexOf(spec) + 1).some((s) => s.store === 'large')) {
        // Half a GB on disk is not kept longer than the rounds that use it.
        removeDir(site.root);
      }
    }
    return {
      sites: { standard: standard.site, ...(large === undefined ? {} : { large: large.site }) },
      generateSeconds: {
        standard: standard.seconds,
        ...(large === undefined ? {} : { large: large.seconds }),
      },
      rounds,
      startup,
      missingTools,
      totalSeconds: (performance.now() - benchStart) / 1000,
      load: { start: loadAtStart, end: loadavg() },
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

/** `klaviyo-checkup --version`, several times: the cost of starting the command line at all. */
async function timeStartup(label: string, root: string, timeoutMs: number): Promise<StartupResult> {
  const samples: number[] = [];
  for (let i = 0; i < STARTUP_SAMPLES; i++) {
    const started = performance.now();
    const result = await runProcess(
      process.execPath,
      [join(root, 'bin', 'klaviyo-checkup.js'), '--version'],
      {
        cwd: root,
        timeoutMs,
      },
    );
    if (result.code !== 0) throw new Error(`klaviyo-checkup --version failed: ${result.stderr.trim()}`);
    samples.push(performance.now() - started);
  }
  return { label, samples };
}

interface ScanReport {
  pagesScanned: number;
  scriptsScanned: number;
  complete: boolean;
  findings: { fingerprint: string; masked: string; occurrenceCount: number; occurrences: unknown[] }[];
  placeholders?: unknown[];
  errors: { url: string; error: string }[];
  stats: { bytesFetched: number };
  peakRssBytes: number;
}

async function runScan(
  repoRoot: string,
  origin: string,
  site: GeneratedSite,
  timeoutMs: number,
  time: string | undefined,
  scratch: string,
): Promise<ScanRun> {
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
  const timed = underTime(time, join(scratch, `scan-time-${process.pid}`), process.execPath, args);
  const started = performance.now();
  const result = await runProcess(timed.command, timed.args, { cwd: repoRoot, timeoutMs });
  const seconds = (performance.now() - started) / 1000;
  const { cpuSeconds } = timed.read();
  // 1 means keys were found, which is what this site should produce.
  if (result.timedOut || (result.code !== 0 && result.code !== 1)) {
    throw new Error(
      `klaviyo-checkup ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${result.stderr.trim().slice(0, 2000)}`,
    );
  }
  const report = parseReport(result.stdout);
  const findings = report.findings.map(({ fingerprint, masked }) => ({ fingerprint, masked }));
  return {
    seconds,
    pages: report.pagesScanned,
    scripts: report.scriptsScanned,
    bytes: report.stats.bytesFetched,
    peakRssBytes: report.peakRssBytes,
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
    plantedFound: compareKeys(site, findings).found.length,
    complete: report.complete,
    errors: report.errors,
    findings,
    findingsDigest: digestFindings(report, origin),
  };
}

/**
 * The findings and placeholders as the report gives them, occurrences sorted, with the server's port
 * taken out: equal digests mean the same keys, counts, places, contexts, snippets and chains.
 */
function digestFindings(report: ScanReport, origin: string): string {
  const sortOccurrences = (occurrences: unknown[]) =>
    occurrences.map((occurrence) => JSON.stringify(occurrence)).sort();
  const text = JSON.stringify({
    findings: report.findings.map((finding) => ({
      ...finding,
      occurrences: sortOccurrences(finding.occurrences),
    })),
    placeholders: (report.placeholders ?? []).map((placeholder) => ({
      ...(placeholder as { occurrences: unknown[] }),
      occurrences: sortOccurrences((placeholder as { occurrences: unknown[] }).occurrences),
    })),
  });
  return text.split(origin).join('ORIGIN');
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
    found: checks.length === 0 ? [] : site.planted.filter((key) => !missed.has(key.fingerprint)),
    missed: checks.length === 0 ? site.planted : site.planted.filter((key) => missed.has(key.fingerprint)),
    falsePositives: [...falsePositives.values()],
  };
}

/** `command args` under GNU time when there is one, writing CPU seconds and peak RSS to a file. */
function underTime(
  time: string | undefined,
  file: string,
  command: string,
  args: string[],
): { command: string; args: string[]; read: () => { cpuSeconds?: number; peakRssBytes?: number } } {
  if (time === undefined) return { command, args, read: () => ({}) };
  return {
    command: time,
    args: ['-f', '%U %S %M', '-o', file, command, ...args],
    read: () => {
      if (!existsSync(file)) return {};
      const [user, system, kilobytes] = (readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '')
        .split(' ')
        .map(Number);
      rmSync(file, { force: true });
      return Number.isFinite(user) && Number.isFinite(system) && Number.isFinite(kilobytes)
        ? { cpuSeconds: (user as number) + (system as number), peakRssBytes: (kilobytes as number) * 1024 }
        : {};
    },
  };
}

/** The mirror command of each peer, into `dir`, quiet and without host directories. */
function mirrorArgs(tool: 'wget' | 'wget2', origin: string, dir: string): string[] {
  const common = ['--quiet', '--no-host-directories', '--directory-prefix', dir];
  if (tool === 'wget2') {
    return [
      '--recursive',
      '--level=0',
      '--page-requisites',
      '--no-parent',
      '--max-threads=8',
      ...common,
      `${origin}/`,
    ];
  }
  return ['--recursive', '--level=inf', '--no-parent', ...common, `${origin}/`];
}

/** The floor's input: every path the static server answers with a file, and the file listing them. */
interface FloorInput {
  paths: string[];
  listFile: string;
}

const isCount = (field: unknown) => Number.isSafeInteger(field) && (field as number) >= 0;

/**
 * One run of a script of the bench (http-floor.js, analysis-floor.js): a process of its own like the
 * scan, under GNU time, that prints one line of JSON. `counts` is that line when `valid` takes it.
 */
async function runBenchScript<Counts>(
  what: string,
  file: string,
  args: string[],
  valid: (value: Partial<Record<keyof Counts, unknown>>) => boolean,
  context: { repoRoot: string; timeoutMs: number; time: string | undefined; scratch: string },
): Promise<{
  seconds: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  counts?: Counts;
  failure?: string;
}> {
  const script = join(context.repoRoot, '.bench-build', 'bench', file);
  const timed = underTime(
    context.time,
    join(context.scratch, `${file}-time-${process.pid}`),
    process.execPath,
    [script, ...args],
  );
  const started = performance.now();
  const result = await runProcess(timed.command, timed.args, {
    cwd: context.repoRoot,
    timeoutMs: context.timeoutMs,
  });
  const seconds = (performance.now() - started) / 1000;
  const { cpuSeconds, peakRssBytes } = timed.read();
  let value: unknown;
  try {
    value = JSON.parse(result.stdout);
  } catch {
    value = undefined;
  }
  const counts =
    typeof value === 'object' && value !== null && valid(value as Partial<Record<keyof Counts, unknown>>)
      ? (value as Counts)
      : undefined;
  const failure = result.timedOut
    ? `${what} timed out`
    : result.code !== 0 || counts === undefined
      ? `${what} failed: ${(result.stderr.trim() || result.stdout.trim()).slice(0, 500)}`
      : undefined;
  return {
    seconds,
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
    ...(peakRssBytes === undefined ? {} : { peakRssBytes }),
    ...(counts === undefined ? {} : { counts }),
    ...(failure === undefined ? {} : { failure }),
  };
}

/** Pages and scripts among site paths, counted as the mirrors' files are (fileKind). */
function kindsOf(paths: string[]): { pages: number; scripts: number } {
  const kinds = { pages: 0, scripts: 0, otherFiles: 0 };
  for (const path of paths) kinds[fileKind(path)]++;
  return { pages: kinds.pages, scripts: kinds.scripts };
}

/** One run of the HTTP floor (http-floor.ts). */
async function runFloor(
  repoRoot: string,
  origin: string,
  input: FloorInput,
  timeoutMs: number,
  time: string | undefined,
  scratch: string,
): Promise<FloorRun> {
  const { counts, failure, ...measured } = await runBenchScript<FloorCounts>(
    'the HTTP floor',
    'http-floor.js',
    [origin, input.listFile],
    (value) =>
      isCount(value.files) && isCount(value.requests) && isCount(value.bytes) && isCount(value.failures),
    { repoRoot, timeoutMs, time, scratch },
  );
  const shortfall =
    counts === undefined
      ? undefined
      : counts.files !== input.paths.length
        ? `the HTTP floor fetched ${counts.files} files of ${input.paths.length}`
        : counts.failures > 0
          ? `the HTTP floor could not fetch ${counts.failures} of ${counts.files} files`
          : undefined;
  const why = failure ?? shortfall;
  return {
    ...measured,
    ...kindsOf(input.paths),
    bytes: counts?.bytes ?? 0,
    plantedFound: 0,
    requests: counts?.requests ?? 0,
    failures: counts?.failures ?? 0,
    ...(why === undefined ? {} : { failure: why }),
  };
}

/** One run of the analysis floor (analysis-floor.ts). */
async function runAnalysisFloor(
  repoRoot: string,
  site: GeneratedSite,
  paths: string[],
  timeoutMs: number,
  time: string | undefined,
  scratch: string,
): Promise<AnalysisRun> {
  const { counts, failure, ...measured } = await runBenchScript<AnalysisFloorCounts>(
    'the analysis floor',
    'analysis-floor.js',
    [site.root],
    (value) =>
      isCount(value.files) &&
      isCount(value.bytes) &&
      isCount(value.readMs) &&
      isCount(value.analysisMs) &&
      Array.isArray(value.fingerprints) &&
      value.fingerprints.every((print) => typeof print === 'string' && /^[0-9a-f]{64}$/.test(print)),
    { repoRoot, timeoutMs, time, scratch },
  );
  const why =
    failure ??
    (counts !== undefined && counts.files !== paths.length
      ? `the analysis floor read ${counts.files} files of ${paths.length}`
      : undefined);
  const found = new Set(counts?.fingerprints ?? []);
  return {
    ...measured,
    // The analysis alone: the process's start and its reading of the files are not the analysis's.
    seconds: counts === undefined ? measured.seconds : counts.analysisMs / 1000,
    setupSeconds: counts === undefined ? 0 : counts.readMs / 1000,
    ...kindsOf(paths),
    bytes: counts?.bytes ?? 0,
    plantedFound: site.planted.filter((key) => found.has(key.fingerprint)).length,
    ...(why === undefined ? {} : { failure: why }),
  };
}

/** One wget or wget2 mirror into `dir`, then grep over it, timed together as a person would run them. */
async function runBaseline(
  tool: 'wget' | 'wget2',
  paths: { fetcher: string; grep: string; time: string | undefined },
  origin: string,
  dir: string,
  site: GeneratedSite,
  timeoutMs: number,
): Promise<BaselineRun> {
  const mirror = underTime(
    paths.time,
    join(dir, '..', `${tool}-time-${process.pid}`),
    paths.fetcher,
    mirrorArgs(tool, origin, dir),
  );
  const search = underTime(paths.time, join(dir, '..', `grep-time-${process.pid}`), paths.grep, [
    ...GREP_ARGS,
    dir,
  ]);
  const started = performance.now();
  const fetched = await runProcess(mirror.command, mirror.args, { timeoutMs });
  const mirrored = mirror.read();
  const searched = fetched.timedOut
    ? undefined
    : await runProcess(search.command, search.args, { timeoutMs });
  const seconds = (performance.now() - started) / 1000;
  const grepped = searched === undefined ? {} : search.read();
  const { peakRssBytes } = mirrored;
  const cpuSeconds =
    mirrored.cpuSeconds === undefined ? undefined : mirrored.cpuSeconds + (grepped.cpuSeconds ?? 0);
  const files = await countFiles(dir);
  const matches = new Set((searched?.stdout ?? '').split('\n').filter((line) => line !== ''));
  // grep: 0 matches, 1 no match, 2 trouble.
  const failure = fetched.timedOut
    ? `${tool} timed out after ${(timeoutMs / 1000).toFixed(0)} s`
    : searched === undefined || searched.timedOut || (searched.code !== 0 && searched.code !== 1)
      ? `grep failed: ${searched?.stderr.trim().slice(0, 500)}`
      : undefined;
  return {
    seconds,
    ...files,
    ...(peakRssBytes === undefined ? {} : { peakRssBytes }),
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
    plantedFound: site.planted.filter((key) => matches.has(key.key)).length,
    exitCode: fetched.code,
    distinctMatches: matches.size,
    ...(failure === undefined ? {} : { failure }),
  };
}

/**
 * What the bench counts a file as, by its name. wget saves extension-less page URLs without an
 * extension, so a name with none is a page.
 */
function fileKind(name: string): 'pages' | 'scripts' | 'otherFiles' {
  const extension = extname(name);
  if (extension === '.js' || extension === '.webmanifest') return 'scripts';
  if (extension === '' || extension === '.html') return 'pages';
  return 'otherFiles';
}

/** The files of a mirror, counted by kind (fileKind), and their bytes. */
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
        counts[fileKind(entry.name)]++;
      }
    }
  };
  await walk(dir);
  return counts;
}

function findExecutable(name: string, dirs?: string[]): string | undefined {
  for (const dir of dirs ?? (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
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

function maxOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(...values);
}

function minOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.min(...values);
}

/** Median wall time over the usable runs; counts are the smallest any run saw (they should all agree). */
interface Summary {
  seconds: number;
  pages: number;
  scripts: number;
  bytes: number;
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
  plantedFound: number;
  usable: number;
}

function summarize(runs: ToolRun[]): Summary | undefined {
  const usable = runs.filter((run) => run.failure === undefined);
  if (usable.length === 0) return undefined;
  const rss = usable.map((run) => run.peakRssBytes).filter((value) => value !== undefined);
  const cpu = usable.map((run) => run.cpuSeconds).filter((value) => value !== undefined);
  return {
    seconds: median(usable.map((run) => run.seconds)),
    cpuSeconds: cpu.length === 0 ? undefined : median(cpu),
    pages: minOf(usable.map((run) => run.pages)),
    scripts: minOf(usable.map((run) => run.scripts)),
    bytes: minOf(usable.map((run) => run.bytes)),
    peakRssBytes: rss.length === 0 ? undefined : maxOf(rss),
    plantedFound: minOf(usable.map((run) => run.plantedFound)),
    usable: usable.length,
  };
}

const COLUMNS = ['time s', 'CPU s', 'MB/s', 'pages/s', 'peak RSS', 'keys', 'vs wget', 'vs wget2'];

function row(round: string, tool: string, cells: string[]): string {
  return `  ${round.padEnd(12)}${tool.padEnd(27)}${cells.map((cell) => cell.padStart(9)).join('')}`;
}

function ratio(a: Summary | undefined, b: Summary | undefined): number | undefined {
  return a === undefined || b === undefined || b.seconds <= 0 ? undefined : a.seconds / b.seconds;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** The figures of every round as one table, then the notes and the targets of issue 9. */
export function scanBenchOutcome(result: ScanBenchResult): BenchOutcome {
  const lines: string[] = [];
  const describe = (site: GeneratedSite) =>
    `${site.pages} pages, ${site.scripts} scripts, ${site.stylesheets} stylesheets, ${mb(site.totalBytes)} MB ` +
    `(pages ${mb(site.pageBytes)} MB), ${site.planted.length} planted keys, ${site.decoys.length} look-alike decoys`;
  lines.push(
    'Scan benchmark (MB = 10^6 bytes)',
    `  store: ${describe(result.sites.standard)}, generated in ${result.generateSeconds.standard.toFixed(1)} s`,
  );
  if (result.sites.large !== undefined) {
    lines.push(
      `  large store: ${describe(result.sites.large)}, generated in ${fixed(result.generateSeconds.large, 1)} s`,
    );
  }
  const loads = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
  lines.push(
    `  machine: ${availableParallelism()} cores; load average ${loads(result.load.start)} at the start, ` +
      `${loads(result.load.end)} at the end (timings on a busy machine are slower, CPU time less so)`,
    '  server: a child process on 127.0.0.1 holding every file in memory, each response held back by the round’s delay',
    '  method: each tool runs the round’s number of times in rotating order; figures are medians of wall time',
    `  peers: wget2 --recursive --level=0 --page-requisites --no-parent --max-threads=8, and wget --recursive ` +
      `--level=inf --no-parent, each followed by grep ${GREP_ARGS.join(' ')} over the mirror`,
    `  floor: "${TOOL_LABELS.floor}" is the scan's own HTTP client fetching every file the site serves, ` +
      'with the scan’s largest number of requests in flight from the start, and doing nothing else: a ' +
      'reference time for fetching the site with that client at all',
    `  analysis: "${TOOL_LABELS.analysis}" is the scan's own analysis (its pool of threads, given what the ` +
      'crawler gives it) of every file the site serves, read from disk, with no HTTP; its time is the ' +
      'analysis alone, after Node started and read the files; its CPU and memory are the whole process’s, ' +
      'every file held in memory included; its keys are those in the files (a key sent only in a response ' +
      'header is in none)',
  );
  for (const missing of result.missingTools) {
    lines.push(
      `  ${missing} is not installed: its lines are skipped (Debian/Ubuntu: sudo apt-get install ${missing})`,
    );
  }
  lines.push('', row('round', 'tool', COLUMNS));

  const summaries = new Map<RoundResult, Map<ToolId, Summary | undefined>>();
  for (const round of result.rounds) {
    const byTool = new Map<ToolId, Summary | undefined>();
    for (const entry of round.tools) byTool.set(entry.tool, summarize(entry.runs));
    summaries.set(round, byTool);
    const wget = byTool.get('wget');
    const wget2 = byTool.get('wget2');
    round.tools.forEach((entry, index) => {
      const summary = byTool.get(entry.tool);
      const roundCell = index === 0 ? `${round.spec.id} ${round.spec.delayMs} ms` : '';
      const runs =
        summary === undefined ? '' : summary.usable < round.spec.runs ? ` (${summary.usable} runs)` : '';
      if (summary === undefined) {
        lines.push(row(roundCell, entry.label, ['failed']));
        return;
      }
      lines.push(
        row(roundCell, `${entry.label}${runs}`, [
          summary.seconds.toFixed(2),
          fixed(summary.cpuSeconds, 2),
          fixed(summary.bytes / 1e6 / summary.seconds, 1),
          fixed(summary.pages / summary.seconds, 0),
          summary.peakRssBytes === undefined ? '-' : `${mb(summary.peakRssBytes)} MB`,
          entry.tool === 'floor' ? '-' : `${summary.plantedFound}/${round.site.planted.length}`,
          entry.tool === 'wget' ? '' : fixed(ratio(summary, wget), 2),
          entry.tool === 'wget2' ? '' : fixed(ratio(summary, wget2), 2),
        ]),
      );
    });
  }
  lines.push(
    '  (CPU: user and system time of every thread, median; keys: planted keys found, grep sees only plain ' +
      'legacy keys in what its tool downloaded; vs: wall time over the peer’s, lower is faster)',
  );

  for (const round of result.rounds) {
    const scans = (round.tools[0] as ToolResult).runs as ScanRun[];
    const seconds = (runs: ToolRun[]) =>
      runs.map((run) => (run.failure === undefined ? run.seconds.toFixed(2) : 'failed')).join(', ');
    lines.push('', `Round ${round.spec.id}: ${round.spec.title}, ${round.spec.delayMs} ms per response`);
    lines.push(
      `  runs (s, in order): ${round.tools.map((entry) => `${entry.label} ${seconds(entry.runs)}`).join('; ')}`,
    );
    lines.push(
      `  order: ${round.order.map((tools, index) => `run ${index + 1} ${tools.join(' → ')}`).join('; ')}`,
    );
    for (const entry of round.tools) {
      if (entry.tool === 'analysis') {
        const runs = (entry.runs as AnalysisRun[]).filter((run) => run.failure === undefined);
        if (runs.length > 0)
          lines.push(
            `  ${entry.label}: Node's start and reading the files took ` +
              `${runs.map((run) => run.setupSeconds.toFixed(2)).join(', ')} s before the analysis began`,
          );
        continue;
      }
      if (entry.tool !== 'wget' && entry.tool !== 'wget2') continue;
      const last = entry.runs.at(-1) as BaselineRun | undefined;
      if (last === undefined) continue;
      lines.push(
        `  ${entry.label}: downloaded ${last.pages} pages, ${last.scripts} scripts and ${last.otherFiles} other files ` +
          `(site: ${round.site.pages} pages, ${round.site.scripts} scripts); exit status ` +
          `${(entry.runs as BaselineRun[]).map((run) => run.exitCode).join(', ')}; grep matched ` +
          `${last.distinctMatches} distinct pk_ strings`,
      );
    }
    const digests = new Set(
      scans.filter((scan) => scan.failure === undefined).map((scan) => scan.findingsDigest),
    );
    lines.push(
      `  findings: ${digests.size <= 1 ? 'identical' : `${digests.size} different results`} over ` +
        `${scans.length} run(s) of ${TOOL_LABELS.scan}`,
    );
    const compare = round.tools.find((entry) => entry.tool === 'compare');
    if (compare !== undefined) {
      const theirs = new Set((compare.runs as ScanRun[]).map((scan) => scan.findingsDigest));
      const same = digests.size === 1 && theirs.size === 1 && [...digests][0] === [...theirs][0];
      lines.push(
        `  findings of ${TOOL_LABELS.compare}: ${same ? 'identical to this checkout’s' : 'DIFFERENT'}`,
      );
    }
    const { keys } = round;
    lines.push(
      `  keys: ${round.site.planted.length} planted, ${keys.found.length} found, ${keys.missed.length} missed, ` +
        `${keys.falsePositives.length} false positives (a key counts as found only if every run found it)`,
    );
    for (const key of keys.missed)
      lines.push(`    missed pk_…${key.key.slice(-4)}: ${key.where} in ${describePaths(key.paths)}`);
    for (const extra of keys.falsePositives) {
      lines.push(
        `    false positive ${extra.masked} (sha256 ${extra.fingerprint.slice(0, 12)}…)` +
          (extra.decoy ? `: the decoy "${extra.decoy.what}" in ${describePaths(extra.decoy.paths)}` : ''),
      );
    }
    scans.forEach((run, index) => {
      if (run.complete && run.errors.length === 0) return;
      lines.push(
        `  scan run ${index + 1} reported itself ${run.complete ? 'complete' : 'incomplete'} with ${run.errors.length} error(s)`,
      );
      for (const error of run.errors.slice(0, 5)) lines.push(`    ${error.url}: ${error.error}`);
    });
    for (const note of round.notes) lines.push(`  note: ${note}`);
  }

  const standardRound = result.rounds.find(
    (round) => round.spec.store === 'standard' && round.spec.delayMs === 0,
  );
  const largeRound = result.rounds.find((round) => round.spec.store === 'large');
  const scanOf = (round: RoundResult | undefined) =>
    round === undefined ? undefined : summaries.get(round)?.get('scan');
  const perMb = (summary: Summary | undefined) =>
    summary === undefined || summary.bytes <= 0 ? undefined : summary.seconds / (summary.bytes / 1e6);
  const largeScan = scanOf(largeRound);
  const standardScan = scanOf(standardRound);
  if (largeScan !== undefined && largeRound !== undefined) {
    lines.push(
      '',
      `Large store per 1,000 pages: ${((largeScan.seconds * 1000) / largeScan.pages).toFixed(2)} s, ` +
        `${mb((largeScan.bytes * 1000) / largeScan.pages)} MB; ${fixed((perMb(largeScan) ?? 0) * 1000, 2)} ms per MB ` +
        `against ${fixed((perMb(standardScan) ?? Number.NaN) * 1000, 2)} ms per MB on the standard store`,
    );
  }
  for (const startup of result.startup) {
    lines.push(
      `Start-up: ${startup.label} --version ${median(startup.samples).toFixed(0)} ms ` +
        `(median of ${startup.samples.length}; ${startup.samples.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
  }
  lines.push('', `  whole benchmark: ${result.totalSeconds.toFixed(1)} s`);

  const targets: BenchTarget[] = [];
  const ratioTarget = (delayMs: number, peer: 'wget' | 'wget2', limit: number) => {
    const round = result.rounds.find((r) => r.spec.store === 'standard' && r.spec.delayMs === delayMs);
    const name = `scan at most ${limit}x the time of ${TOOL_LABELS[peer]} at ${delayMs} ms`;
    if (round === undefined) {
      targets.push({ name, status: 'skip', detail: 'round not run' });
      return;
    }
    const scan = summaries.get(round)?.get('scan');
    const other = summaries.get(round)?.get(peer);
    const value = ratio(scan, other);
    if (value === undefined || scan === undefined || other === undefined) {
      targets.push({
        name,
        status: 'skip',
        detail: result.missingTools.includes(peer) ? `${peer} is not installed` : `no usable ${peer} runs`,
      });
      return;
    }
    const floor = ratio(summaries.get(round)?.get('floor'), other);
    const analysis = ratio(summaries.get(round)?.get('analysis'), other);
    targets.push({
      name,
      status: value <= limit ? 'pass' : 'fail',
      detail:
        `${value.toFixed(2)}x (median ${scan.seconds.toFixed(2)} s vs ${other.seconds.toFixed(2)} s)` +
        (floor === undefined ? '' : `; HTTP alone, with no analysis: ${floor.toFixed(2)}x`) +
        (analysis === undefined ? '' : `; analysis alone, with no HTTP: ${analysis.toFixed(2)}x`),
    });
  };
  ratioTarget(10, 'wget2', TARGETS.vsWget2At10Ms);
  ratioTarget(0, 'wget2', TARGETS.vsWget2At0Ms);
  ratioTarget(10, 'wget', TARGETS.vsWgetAt10Ms);

  const scansOf = (round: RoundResult) =>
    ((round.tools[0] as ToolResult).runs as ScanRun[]).filter((scan) => scan.failure === undefined);
  const standardRounds = result.rounds.filter((round) => round.spec.store === 'standard');
  const standardPeak = maxOf(
    standardRounds.flatMap((round) => scansOf(round).map((scan) => scan.peakRssBytes ?? 0)),
  );
  targets.push({
    name: `peak memory at most ${mb(TARGETS.peakRssBytes)} MB on the standard store`,
    status: standardRounds.length > 0 && standardPeak <= TARGETS.peakRssBytes ? 'pass' : 'fail',
    detail: `${mb(standardPeak)} MB, max over ${standardRounds.reduce((n, round) => n + scansOf(round).length, 0)} scans`,
  });
  if (largeRound === undefined || largeScan === undefined) {
    targets.push({ name: 'large store', status: 'skip', detail: 'round not run' });
  } else {
    const largePeak = maxOf(scansOf(largeRound).map((scan) => scan.peakRssBytes ?? 0));
    targets.push({
      name: `peak memory at most ${mb(TARGETS.largePeakRssBytes)} MB on the large store`,
      status: largePeak <= TARGETS.largePeakRssBytes ? 'pass' : 'fail',
      detail: `${mb(largePeak)} MB on ${largeScan.pages} pages, ${mb(largeScan.bytes)} MB`,
    });
    const growth = (perMb(largeScan) ?? Number.NaN) / (perMb(standardScan) ?? Number.NaN);
    targets.push({
      name: `time per MB on the large store within ${Math.round((TARGETS.largeRatePerMb - 1) * 100)}% of the standard store's`,
      status: Number.isFinite(growth) ? (growth <= TARGETS.largeRatePerMb ? 'pass' : 'fail') : 'skip',
      detail: Number.isFinite(growth)
        ? `${growth.toFixed(2)}x (${fixed((perMb(largeScan) ?? 0) * 1000, 2)} vs ${fixed((perMb(standardScan) ?? 0) * 1000, 2)} ms per MB)`
        : 'no standard round at 0 ms to compare with',
    });
  }
  const everyScan = result.rounds.flatMap((round) => scansOf(round).map((scan) => ({ round, scan })));
  const missed = result.rounds.reduce((sum, round) => sum + round.keys.missed.length, 0);
  const extras = result.rounds.reduce((sum, round) => sum + round.keys.falsePositives.length, 0);
  targets.push({
    name: 'every planted key found',
    status: everyScan.length > 0 && missed === 0 ? 'pass' : 'fail',
    detail: result.rounds
      .map((round) => `${round.spec.id} ${round.keys.found.length}/${round.site.planted.length}`)
      .join(', '),
  });
  targets.push({
    name: 'no false positives',
    status: everyScan.length > 0 && extras === 0 ? 'pass' : 'fail',
    detail: `${extras} over ${everyScan.length} scans`,
  });
  // Speed figures only mean something if the scan read the whole site, every time.
  const partial = everyScan.filter(
    ({ round, scan }) => scan.pages < round.site.pages || scan.scripts < round.site.scripts || !scan.complete,
  );
  targets.push({
    name: 'scan read every page and script',
    status: everyScan.length > 0 && partial.length === 0 ? 'pass' : 'fail',
    detail:
      result.rounds
        .map((round) => {
          const scans = scansOf(round);
          return `${round.spec.id} ${minOf(scans.map((s) => s.pages))}/${round.site.pages} pages, ${minOf(scans.map((s) => s.scripts))}/${round.site.scripts} scripts`;
        })
        .join('; ') + (partial.length > 0 ? `; ${partial.length} run(s) fell short or were incomplete` : ''),
  });
  const digestsAgree = result.rounds.every(
    (round) => new Set(scansOf(round).map((scan) => scan.findingsDigest)).size <= 1,
  );
  targets.push({
    name: 'the same findings in every run',
    status: everyScan.length > 0 && digestsAgree ? 'pass' : 'fail',
    detail: 'fingerprints, occurrence counts, places, contexts, snippets and chains, per round',
  });
  const ours = result.startup[0];
  targets.push({
    name: `klaviyo-checkup --version in at most ${TARGETS.startupMs} ms`,
    status: ours !== undefined && median(ours.samples) <= TARGETS.startupMs ? 'pass' : 'fail',
    detail:
      ours === undefined
        ? 'not measured'
        : `${median(ours.samples).toFixed(0)} ms (median of ${ours.samples.length})`,
  });
  return { lines, targets };
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
