import type { Migration } from './migration.js';

/**
 * Written so that running it twice changes nothing: migration 5 runs the same script again for the
 * databases that passed version 3 while it was still an empty placeholder.
 */
export const MESSAGE_REVISIONS_AND_KEY_COPIES = `
  -- Every message the bot keeps up to date in place (a rotation, review, scan or reminder message):
  -- the revision of the stored state it should show, and the one Slack last accepted. A message whose
  -- shown revision is behind is drawn again from the store by the reconciler.
  CREATE TABLE IF NOT EXISTS slack_messages (
    channel_id TEXT NOT NULL,
    message_ts TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rotation', 'review', 'scan', 'reminder')),
    -- The rotation, review or scan id, or the reminder's key.
    subject_id TEXT NOT NULL,
    wanted INTEGER NOT NULL DEFAULT 1,
    shown INTEGER NOT NULL DEFAULT 0,
    -- Slack's answer when it refused the message for good (message_not_found, invalid_blocks…):
    -- the reconciler no longer tries it, until the state changes again.
    refused TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, message_ts)
  );
  CREATE INDEX IF NOT EXISTS slack_messages_behind ON slack_messages (updated_at)
    WHERE shown < wanted AND refused IS NULL;

  -- A full key, sealed with KEY_ENCRYPTION_KEY (AES-256-GCM, iv | tag | ciphertext, bound to the
  -- fingerprint), kept only while a rotation of that key is open. A copy of a key with no open rotation
  -- is wiped once kept_until has passed (a minute after the scan that found it), and at every start.
  CREATE TABLE IF NOT EXISTS key_copies (
    fingerprint TEXT PRIMARY KEY REFERENCES exposed_keys (fingerprint) ON DELETE CASCADE,
    sealed BLOB NOT NULL,
    kept_at TEXT NOT NULL,
    kept_until TEXT NOT NULL
  );

  -- Copies from before: those of keys under an open rotation move over; every other one is wiped
  -- (secure_delete overwrites the freed bytes). exposed_keys.encrypted_key is no longer written.
  INSERT OR IGNORE INTO key_copies (fingerprint, sealed, kept_at, kept_until)
    SELECT fingerprint, encrypted_key, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM exposed_keys
    WHERE encrypted_key IS NOT NULL
      AND fingerprint IN (SELECT fingerprint FROM rotations WHERE status = 'open');
  UPDATE exposed_keys SET encrypted_key = NULL WHERE encrypted_key IS NOT NULL;
`;

/** The revision each message shows, and encrypted key copies kept only for open rotations. */
export const migration003: Migration = {
  version: 3,
  name: 'message-revisions-and-key-copies',
  up: MESSAGE_REVISIONS_AND_KEY_COPIES,
};
