import type { Database } from './database.js';

/** A site re-scanned on the schedule, added in Slack or seeded from the configuration. */
export interface WatchedSite {
  target: string;
  addedBy: string;
  addedAt: string;
  /** Where it was watched from; absent for seeded sites. */
  channelId?: string;
}

interface Row {
  target: string;
  added_by: string;
  added_at: string;
  channel_id: string | null;
}

function fromRow(row: Row): WatchedSite {
  return {
    target: row.target,
    addedBy: row.added_by,
    addedAt: row.added_at,
    ...(row.channel_id === null ? {} : { channelId: row.channel_id }),
  };
}

/** The watched sites. An unwatched site keeps its row (removed), so a seed does not bring it back. */
export class WatchedSiteRepository {
  constructor(private readonly db: Database) {}

  list(): WatchedSite[] {
    const rows = this.db
      .prepare('SELECT * FROM watched_sites WHERE removed_at IS NULL ORDER BY added_at, target')
      .all() as Row[];
    return rows.map(fromRow);
  }

  get(target: string): WatchedSite | undefined {
    const row = this.db
      .prepare('SELECT * FROM watched_sites WHERE target = ? AND removed_at IS NULL')
      .get(target) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  count(): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM watched_sites WHERE removed_at IS NULL').get() as {
        n: number;
      }
    ).n;
  }

  /** Watches a site (again, if it was unwatched); false when it is watched already. */
  add(site: WatchedSite): boolean {
    return (
      this.db
        .prepare(
          `INSERT INTO watched_sites (target, added_by, added_at, channel_id) VALUES (?, ?, ?, ?)
           ON CONFLICT (target) DO UPDATE SET added_by = excluded.added_by, added_at = excluded.added_at,
             channel_id = excluded.channel_id, removed_by = NULL, removed_at = NULL
           WHERE watched_sites.removed_at IS NOT NULL`,
        )
        .run(site.target, site.addedBy, site.addedAt, site.channelId ?? null).changes === 1
    );
  }

  /** False when the site was not watched. */
  remove(target: string, by: string, at: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE watched_sites SET removed_by = ?, removed_at = ? WHERE target = ? AND removed_at IS NULL',
        )
        .run(by, at, target).changes === 1
    );
  }

  /** Adds a seeded site the table has never held; a site someone unwatched stays unwatched. */
  seed(target: string, at: string): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO watched_sites (target, added_by, added_at) VALUES (?, 'configuration', ?)`,
        )
        .run(target, at).changes === 1
    );
  }
}
