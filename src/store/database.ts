import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CheckupError } from '../errors.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Migration } from './migrations/migration.js';

export type Database = BetterSqlite3.Database;

/**
 * Opens the SQLite file (creating its folder), with WAL, foreign keys, a busy timeout and
 * secure_delete (so a wiped key's bytes are overwritten, not left in a free page), then migrates.
 */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('secure_delete = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, MIGRATIONS);
  return db;
}

/** The database cannot be brought to this build's schema; the bot does not start. */
export class MigrationError extends CheckupError<'migration'> {
  override name = 'MigrationError';

  constructor(message: string, options?: ErrorOptions) {
    super('migration', message, options);
  }
}

/** Applies each migration newer than the file's user_version, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[]): void {
  const versions = migrations.map((migration) => migration.version);
  if (versions.some((version, index) => version !== index + 1)) {
    throw new MigrationError('migrations must be numbered 1, 2, 3, … without gaps');
  }
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new MigrationError(
      `the database is at version ${current}, newer than this build knows (${migrations.length}); upgrade the bot`,
    );
  }
  for (const migration of migrations.slice(current)) {
    try {
      db.transaction(() => {
        db.exec(migration.up);
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } catch (error) {
      throw new MigrationError(
        `migration ${migration.version} (${migration.name}) failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
