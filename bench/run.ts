import { renderBenchmark } from './render-bench.js';
import { type BenchOutcome, type BenchTarget, scanBenchmark } from './scan-bench.js';
import { slackBenchmark } from './slack-bench.js';

interface Benchmark {
  name: string;
  run: () => Promise<BenchOutcome>;
}

// Further benchmarks are added to this list.
const BENCHMARKS: Benchmark[] = [
  { name: 'scan', run: () => scanBenchmark() },
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
