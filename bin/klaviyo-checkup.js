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
  import('../dist/cli.js')
    .then(({ main }) => main(argv))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        process.stderr.write(`klaviyo-checkup: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 2;
      },
    );
}
