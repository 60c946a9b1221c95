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

/** Exposed keys by fingerprint. The full key is only ever stored sealed by the KeyVault. */
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
        `SELECT fingerprint, masked, account_public_key, encrypted_key IS NOT NULL AS has_key, first_seen_at,
         liveness, liveness_account, liveness_checked_at FROM exposed_keys WHERE fingerprint = ?`,
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

  storeSealed(fingerprint: string, sealed: Buffer): void {
    this.db
      .prepare('UPDATE exposed_keys SET encrypted_key = ? WHERE fingerprint = ?')
      .run(sealed, fingerprint);
  }

  sealed(fingerprint: string): Buffer | undefined {
    const row = this.db
      .prepare('SELECT encrypted_key FROM exposed_keys WHERE fingerprint = ?')
      .get(fingerprint) as { encrypted_key: Buffer | null } | undefined;
    return row?.encrypted_key ?? undefined;
  }

  /**
   * Drops the sealed copy. secure_delete overwrites the freed bytes in the database file, and the
   * checkpoint folds the write-ahead log back in, so no copy lingers in the -wal file either.
   */
  wipe(fingerprint: string): void {
    this.db.prepare('UPDATE exposed_keys SET encrypted_key = NULL WHERE fingerprint = ?').run(fingerprint);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  recordLiveness(fingerprint: string, liveness: Liveness, account: string | undefined, at: string): void {
    this.db
      .prepare(
        'UPDATE exposed_keys SET liveness = ?, liveness_account = ?, liveness_checked_at = ? WHERE fingerprint = ?',
      )
      .run(liveness, account ?? null, at, fingerprint);
  }
}
