#!/usr/bin/env node
// Thin launcher: the command line lives in dist/cli.js (built by `npm run build`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`klaviyo-checkup: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
