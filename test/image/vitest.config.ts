import { defineConfig } from 'vitest/config';

/** Only for scripts/image-steps.sh, which builds the pruned tree this check starts the bot from. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/image/*.check.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
