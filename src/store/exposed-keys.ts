import type { Liveness } from '../checklists/rotation.js';
import type { Database } from './database.js';

export interface ExposedKeyRecord {
  fingerprint: string;
  masked: string;
  accountPublicKey?: string;
  hasEncryptedKey: boolean;
  firstSeenAt: string;
  liveness?: Liveness;
  livenessAccount?: string;
  livenessCheckedAt?: string;
}

interface Row {
  fingerprint: string;
  masked: string;
  account_public_key: string | null;
  has_key: number;
  first_seen_at: string;
  liveness: Liveness | null;
  liveness_account: string | null;
  liveness_checked_at: string | null;
}

/**
 * Exposed keys by fingerprint (masked), and the sealed copies of full keys (`key_copies`), which only the
 * KeyVault can open.
 */
export class ExposedKeyRepository {
  constructor(private readonly db: Database) {}

  upsertSeen(
    key: { fingerprint: string; masked: string; accountPublicKey?: string },
    scanId: string,
    at: string,
  ): void {
    this.db
      .prepare(
        `INSERT INTO exposed_keys (fingerprint, masked, account_public_key, first_seen_at, last_seen_scan_id)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET last_seen_scan_id = excluded.last_seen_scan_id`,
      )
      .run(key.fingerprint, key.masked, key.accountPublicKey ?? null, at, scanId);
  }

  get(fingerprint: string): ExposedKeyRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT fingerprint, masked, account_public_key,
         EXISTS (SELECT 1 FROM key_copies WHERE key_copies.fingerprint = exposed_keys.fingerprint) AS has_key,
         first_seen_at, liveness, liveness_account, liveness_checked_at FROM exposed_keys WHERE fingerprint = ?`,
      )
      .get(fingerprint) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      fingerprint: row.fingerprint,
      masked: row.masked,
      hasEncryptedKey: row.has_key === 1,
      firstSeenAt: row.first_seen_at,
      ...(row.account_public_key === null ? {} : { accountPublicKey: row.account_public_key }),
      ...(row.liveness === null ? {} : { liveness: row.liveness }),
      ...(row.liveness_account === null ? {} : { livenessAccount: row.liveness_account }),
      ...(row.liveness_checked_at === null ? {} : { livenessCheckedAt: row.liveness_checked_at }),
    };
  }

  /**
   * Keeps a sealed copy (replacing one kept before). Without an open rotation of the key it goes at the
   * first sweep after `keptUntil`.
   */
  storeSealed(fingerprint: string, sealed: Buffer, keptAt: string, keptUntil: string): void {
    this.db
      .prepare(
        `INSERT INTO key_copies (fingerprint, sealed, kept_at, kept_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET sealed = excluded.sealed, kept_at = excluded.kept_at,
         kept_until = excluded.kept_until`,
      )
      .run(fingerprint, sealed, keptAt, keptUntil);
  }

  sealed(fingerprint: string): Buffer | undefined {
    const row = this.db.prepare('SELECT sealed FROM key_copies WHERE fingerprint = ?').get(fingerprint) as
      | { sealed: Buffer }
      | undefined;
    return row?.sealed;
  }

  /** The fingerprints of the keys a sealed copy is kept of. */
  sealedFingerprints(): string[] {
    return (
      this.db.prepare('SELECT fingerprint FROM key_copies ORDER BY kept_at').all() as {
        fingerprint: string;
      }[]
    ).map((row) => row.fingerprint);
  }

  /**
   * Drops the sealed copy. secure_delete overwrites the freed bytes in the database file, and the
   * checkpoint folds the write-ahead log back in, so no copy lingers in the -wal file either.
   */
  wipe(fingerprint: string): void {
    const { changes } = this.db.prepare('DELETE FROM key_copies WHERE fingerprint = ?').run(fingerprint);
    if (changes > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Wipes every copy of a key outside `claimed` (the keys of open rotations) once its time is up
   * (`now`), or every such copy at once (`everyUnclaimed`, at start). Returns how many were wiped.
   */
  sweep(now: string, claimed: readonly string[], everyUnclaimed = false): number {
    const { changes } = this.db
      .prepare(
        `DELETE FROM key_copies
         WHERE fingerprint NOT IN (SELECT value FROM json_each(?)) AND (? OR kept_until <= ?)`,
      )
      .run(JSON.stringify(claimed), everyUnclaimed ? 1 : 0, now);
    // At start, always: a migration that cleared old copies leaves their pages in the log until then.
    if (changes > 0 || everyUnclaimed) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return changes;
  }

  recordLiveness(fingerprint: string, liveness: Liveness, account: string | undefined, at: string): void {
    this.db
      .prepare(
        'UPDATE exposed_keys SET liveness = ?, liveness_account = ?, liveness_checked_at = ? WHERE fingerprint = ?',
      )
      .run(liveness, account ?? null, at, fingerprint);
  }
}
