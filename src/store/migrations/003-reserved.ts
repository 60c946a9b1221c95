import type { Migration } from './migration.js';

/**
 * Reserved for the migration of another branch (message revisions and key copies), which replaces this
 * file when the branches are merged; here it keeps the numbers without a gap.
 */
export const migration003: Migration = {
  version: 3,
  name: 'reserved',
  up: '',
};
