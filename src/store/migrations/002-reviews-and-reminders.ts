import type { Migration } from './migration.js';

/** Access reviews, their evidence, and the record of reminders so restarts neither lose nor repeat one. */
export const migration002: Migration = {
  version: 2,
  name: 'reviews-and-reminders',
  up: `
    CREATE TABLE reviews (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
      period TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      message_ts TEXT,
      started_by TEXT NOT NULL,
      started_at TEXT NOT NULL,
      completed_at TEXT,
      -- The review (src/checklists/review.ts) as JSON, and a counter for optimistic updates.
      state TEXT NOT NULL,
      revision INTEGER NOT NULL DEFAULT 0,
      -- Roster lines that could not be read, and the changes since the previous review (JSON).
      unreadable TEXT NOT NULL DEFAULT '[]',
      changes TEXT,
      evidence_csv TEXT,
      evidence_markdown TEXT
    );
    CREATE UNIQUE INDEX one_open_review ON reviews (status) WHERE status = 'open';

    -- Reminders and nudges already sent, by a key that names the occurrence (idempotent across restarts).
    CREATE TABLE reminders (
      key TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      fired_at TEXT NOT NULL
    );
    CREATE INDEX reminders_by_kind ON reminders (kind, fired_at);

    CREATE TABLE settings (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
