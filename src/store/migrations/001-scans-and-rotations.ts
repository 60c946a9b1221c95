import type { Migration } from './migration.js';

/** Scans, exposed keys, rotation checklists, the audit trail and the idempotency ledger. */
export const migration001: Migration = {
  version: 1,
  name: 'scans-and-rotations',
  up: `
    CREATE TABLE scans (
      id TEXT PRIMARY KEY,
      target TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
      requested_by TEXT NOT NULL,
      team_id TEXT,
      channel_id TEXT NOT NULL,
      message_ts TEXT,
      response_url TEXT,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      pages_scanned INTEGER NOT NULL DEFAULT 0,
      scripts_scanned INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      -- The masked report (no full keys), as JSON.
      report TEXT
    );
    CREATE INDEX scans_by_target ON scans (target, created_at);
    CREATE INDEX scans_by_status ON scans (status);

    -- Other places that asked for a scan already running, so its result reaches them too.
    CREATE TABLE scan_watchers (
      scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
      channel_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      message_ts TEXT,
      response_url TEXT,
      PRIMARY KEY (scan_id, channel_id, user_id)
    );

    CREATE TABLE exposed_keys (
      fingerprint TEXT PRIMARY KEY,
      masked TEXT NOT NULL,
      account_public_key TEXT,
      -- AES-256-GCM (iv | tag | ciphertext) under KEY_ENCRYPTION_KEY; NULL when not kept or wiped.
      encrypted_key BLOB,
      first_seen_at TEXT NOT NULL,
      last_seen_scan_id TEXT REFERENCES scans (id) ON DELETE SET NULL,
      liveness TEXT,
      liveness_account TEXT,
      liveness_checked_at TEXT
    );

    CREATE TABLE rotations (
      id TEXT PRIMARY KEY,
      fingerprint TEXT NOT NULL REFERENCES exposed_keys (fingerprint),
      target TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      message_ts TEXT,
      status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
      started_by TEXT NOT NULL,
      started_at TEXT NOT NULL,
      completed_at TEXT,
      -- The checklist (src/checklists/rotation.ts) as JSON, and a counter for optimistic updates.
      state TEXT NOT NULL,
      revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX one_open_rotation_per_key ON rotations (fingerprint) WHERE status = 'open';

    CREATE TABLE audit_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      subject_type TEXT NOT NULL,
      subject_id TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      detail TEXT,
      at TEXT NOT NULL
    );
    CREATE INDEX audit_by_subject ON audit_events (subject_type, subject_id, id);

    -- Slack retries and double clicks: a change is applied once per key.
    CREATE TABLE processed_requests (
      key TEXT PRIMARY KEY,
      at TEXT NOT NULL
    );
  `,
};
