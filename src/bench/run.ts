import { type BenchOutcome, type BenchTarget, scanBenchmark } from './scan-bench.js';

interface Benchmark {
  name: string;
  run: () => Promise<BenchOutcome>;
}

// Further benchmarks are added to this list.
const BENCHMARKS: Benchmark[] = [{ name: 'scan', run: () => scanBenchmark() }];

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

process.exitCode = await runBenchmarks();
