#!/usr/bin/env node
// Thin launcher: the command line lives in dist/cli.js (built by `npm run build`). This file is
// CommonJS (bin/package.json), so `--version` is answered without starting Node's ES module loader,
// which costs more than the answer itself; everything else goes to the command line module.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  process.stdout.write(
    `${JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version}\n`,
  );
} else {
  const thread = argv[0] === 'scan' ? startAnalysisThread() : undefined;
  import('../dist/cli.js')
    .then(async ({ main }) => {
      if (thread !== undefined) (await import('../dist/scan/analysis-pool.js')).adoptAnalysisThread(thread);
      return main(argv);
    })
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        process.stderr.write(`klaviyo-checkup: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 2;
      },
    )
    // A scan closes its threads itself; a command that stopped before its scan began (a usage error)
    // leaves this one running.
    .finally(() => thread?.terminate());
}

/**
 * A scan's analysis thread, started before anything else loads: Node takes some 100 ms to start a
 * thread on a small machine, and the start page's analysis would wait for it. The scan's analyzer
 * takes it (analysis-pool.ts); on one core a scan analyses on its own thread, and starts none.
 */
function startAnalysisThread() {
  const { existsSync } = require('node:fs');
  const { availableParallelism } = require('node:os');
  const { join } = require('node:path');
  const file = join(__dirname, '..', 'dist', 'scan', 'analysis-worker.js');
  if (availableParallelism() < 2 || !existsSync(file)) return undefined;
  const { Worker } = require('node:worker_threads');
  // The analysis pool's limit (ANALYSIS_YOUNG_GENERATION_MB in analysis-pool.ts), which takes no other.
  const worker = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 12 } });
  // A thread that fails to start is left for one the analyzer starts itself (analysis-pool.ts).
  worker.on('error', () => {});
  return worker;
}
