import { renderBenchmark } from './render-bench.js';
import { type BenchOutcome, type BenchTarget, ROUNDS, scanBenchmark } from './scan-bench.js';
import { slackBenchmark } from './slack-bench.js';

interface Benchmark {
  name: string;
  run: () => Promise<BenchOutcome>;
}

/**
 * The scan benchmark reads three optional variables: BENCH_COMPARE (another built checkout to time
 * beside this one and compare findings with, e.g. main), BENCH_ROUNDS (e.g. `A,B`) and BENCH_RUNS.
 */
function scanOptions(env: NodeJS.ProcessEnv): Parameters<typeof scanBenchmark>[0] {
  const ids = env.BENCH_ROUNDS?.split(',').map((id) => id.trim().toUpperCase());
  const runs = env.BENCH_RUNS === undefined ? undefined : Number(env.BENCH_RUNS);
  return {
    ...(env.BENCH_COMPARE ? { compareRoot: env.BENCH_COMPARE } : {}),
    ...(ids === undefined ? {} : { rounds: ROUNDS.filter((round) => ids.includes(round.id)) }),
    ...(runs !== undefined && Number.isInteger(runs) && runs > 0 ? { runs } : {}),
  };
}

// Further benchmarks are added to this list.
const BENCHMARKS: Benchmark[] = [
  { name: 'scan', run: () => scanBenchmark(scanOptions(process.env)) },
  { name: 'slack', run: () => slackBenchmark() },
  { name: 'render', run: () => renderBenchmark() },
];

const STATUS_LABEL: Record<BenchTarget['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** Runs every benchmark, prints its figures and targets; 0 when no target failed. */
export async function runBenchmarks(benchmarks: Benchmark[] = BENCHMARKS): Promise<number> {
  let failed = false;
  for (const benchmark of benchmarks) {
    let outcome: BenchOutcome;
    try {
      outcome = await benchmark.run();
    } catch (error) {
      process.stdout.write(
        `${benchmark.name} benchmark could not run: ${error instanceof Error ? error.message : String(error)}\n\n`,
      );
      failed = true;
      continue;
    }
    process.stdout.write(`${outcome.lines.join('\n')}\n\nTargets (${benchmark.name})\n`);
    for (const target of outcome.targets) {
      process.stdout.write(`  ${STATUS_LABEL[target.status]}  ${target.name}: ${target.detail}\n`);
      if (target.status === 'fail') failed = true;
    }
    process.stdout.write('\n');
  }
  return failed ? 1 : 0;
}

/** `run.js [name …]`: only the named benchmarks, in the list's order; all of them without names. */
function selectBenchmarks(names: string[]): Benchmark[] | undefined {
  if (names.length === 0) return BENCHMARKS;
  const known = new Set(BENCHMARKS.map((benchmark) => benchmark.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; available: ${[...known].join(', ')}\n`);
    return undefined;
  }
  return BENCHMARKS.filter((benchmark) => names.includes(benchmark.name));
}

const selected = selectBenchmarks(process.argv.slice(2));
process.exitCode = selected === undefined ? 2 : await runBenchmarks(selected);
