import { MESSAGE_REVISIONS_AND_KEY_COPIES } from './003-message-revisions-and-key-copies.js';
import type { Migration } from './migration.js';

/**
 * Version 3 was an empty placeholder in builds that already shipped migration 4, so a database may be
 * at version 3 or 4 without what migration 3 now creates. The version alone cannot tell, so the same
 * script (safe to repeat) runs again here; on a database that ran the real migration 3 it changes nothing.
 */
export const migration005: Migration = {
  version: 5,
  name: 'message-revisions-after-placeholder',
  up: MESSAGE_REVISIONS_AND_KEY_COPIES,
};
