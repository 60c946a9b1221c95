import { migration001 } from './001-scans-and-rotations.js';
import { migration002 } from './002-reviews-and-reminders.js';
import { migration003 } from './003-message-revisions-and-key-copies.js';
import { migration004 } from './004-reminder-messages-and-watched-sites.js';
import { migration005 } from './005-message-revisions-after-placeholder.js';
import type { Migration } from './migration.js';

/** Every migration, in order. A new one is a new numbered file added here. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
];
