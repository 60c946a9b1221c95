import type { Migration } from './migration.js';

/**
 * The review reminder's message, so it can say what became of the review (started, completed), and the
 * sites people watch from Slack, re-scanned on a schedule.
 */
export const migration004: Migration = {
  version: 4,
  name: 'reminder-messages-and-watched-sites',
  up: `
    ALTER TABLE reminders ADD COLUMN channel_id TEXT;
    ALTER TABLE reminders ADD COLUMN message_ts TEXT;
    -- The occurrence of the review schedule the reminder is about (ISO 8601).
    ALTER TABLE reminders ADD COLUMN due_at TEXT;
    -- What the message shows: 'due', then 'started' and 'completed' as the review goes on.
    ALTER TABLE reminders ADD COLUMN shows TEXT;
    CREATE INDEX reminders_by_message ON reminders (channel_id, message_ts) WHERE message_ts IS NOT NULL;

    -- A site stays here after it is unwatched (removed_at set), so the seed from the environment does not
    -- bring back a site someone removed in Slack.
    CREATE TABLE watched_sites (
      target TEXT PRIMARY KEY,
      added_by TEXT NOT NULL,
      added_at TEXT NOT NULL,
      -- Where it was watched from: new keys its scheduled scans find are announced there.
      channel_id TEXT,
      removed_by TEXT,
      removed_at TEXT
    );
  `,
};
