import type { ScanResult } from '../scan/crawler.js';
import type { Database } from './database.js';

/** A scan's report as kept and shown: the result without its keyring, so never a full key. */
export type ScanReport = Omit<ScanResult, 'keyring'>;

export type ScanStatus = 'queued' | 'running' | 'done' | 'failed' | 'interrupted';

export interface ScanRecord {
  id: string;
  target: string;
  status: ScanStatus;
  requestedBy: string;
  teamId?: string;
  channelId: string;
  messageTs?: string;
  responseUrl?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  pagesScanned: number;
  scriptsScanned: number;
  error?: string;
  /** The masked report: never a full key. */
  report?: ScanReport;
}

export interface ScanWatcher {
  channelId: string;
  userId: string;
  messageTs?: string;
  responseUrl?: string;
}

interface ScanRow {
  id: string;
  target: string;
  status: ScanStatus;
  requested_by: string;
  team_id: string | null;
  channel_id: string;
  message_ts: string | null;
  response_url: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  pages_scanned: number;
  scripts_scanned: number;
  error: string | null;
  report: string | null;
}

function fromRow(row: ScanRow): ScanRecord {
  return {
    id: row.id,
    target: row.target,
    status: row.status,
    requestedBy: row.requested_by,
    channelId: row.channel_id,
    createdAt: row.created_at,
    pagesScanned: row.pages_scanned,
    scriptsScanned: row.scripts_scanned,
    ...(row.team_id === null ? {} : { teamId: row.team_id }),
    ...(row.message_ts === null ? {} : { messageTs: row.message_ts }),
    ...(row.response_url === null ? {} : { responseUrl: row.response_url }),
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
    ...(row.error === null ? {} : { error: row.error }),
    ...reportOf(row.report),
  };
}

/** The stored report, when it reads as one (a damaged row is shown as a scan without a report). */
function reportOf(text: string | null): { report?: ScanReport } {
  if (text === null) return {};
  try {
    const report = JSON.parse(text) as Partial<ScanReport> | null;
    const lists = [report?.findings, report?.publicKeys, report?.warnings, report?.errors];
    return lists.every(Array.isArray) ? { report: report as ScanReport } : {};
  } catch {
    return {};
  }
}

export class ScanRepository {
  constructor(private readonly db: Database) {}

  create(
    scan: Pick<ScanRecord, 'id' | 'target' | 'requestedBy' | 'channelId' | 'createdAt'> & Partial<ScanRecord>,
  ): void {
    this.db
      .prepare(
        `INSERT INTO scans (id, target, status, requested_by, team_id, channel_id, message_ts, response_url, created_at)
         VALUES (@id, @target, 'queued', @requestedBy, @teamId, @channelId, @messageTs, @responseUrl, @createdAt)`,
      )
      .run({ teamId: null, messageTs: null, responseUrl: null, ...scan });
  }

  get(id: string): ScanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM scans WHERE id = ?').get(id) as ScanRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** A queued or running scan of the same target, which a new request joins instead of starting another. */
  findActive(target: string): ScanRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM scans WHERE target = ? AND status IN ('queued', 'running') ORDER BY created_at LIMIT 1`,
      )
      .get(target) as ScanRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  latestFinished(target: string): ScanRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM scans WHERE target = ? AND status = 'done' ORDER BY finished_at DESC LIMIT 1`)
      .get(target) as ScanRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The latest scan of a site that ran to an end, done or failed (a failed one is not retried at once). */
  latestEnded(target: string): ScanRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM scans WHERE target = ? AND status IN ('done', 'failed') ORDER BY finished_at DESC LIMIT 1`,
      )
      .get(target) as ScanRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The last scan of each site, newest first. */
  latestPerTarget(limit = 20): ScanRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM scans s WHERE s.created_at = (SELECT MAX(created_at) FROM scans WHERE target = s.target)
         ORDER BY s.created_at DESC LIMIT ?`,
      )
      .all(limit) as ScanRow[];
    return rows.map(fromRow);
  }

  setMessage(id: string, messageTs: string): void {
    this.db.prepare('UPDATE scans SET message_ts = ? WHERE id = ?').run(messageTs, id);
  }

  markRunning(id: string, at: string): void {
    this.db.prepare(`UPDATE scans SET status = 'running', started_at = ? WHERE id = ?`).run(at, id);
  }

  progress(id: string, pages: number, scripts: number): void {
    this.db
      .prepare('UPDATE scans SET pages_scanned = ?, scripts_scanned = ? WHERE id = ?')
      .run(pages, scripts, id);
  }

  finish(
    id: string,
    outcome: {
      status: 'done' | 'failed';
      at: string;
      pages: number;
      scripts: number;
      report?: ScanReport;
      error?: string;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE scans SET status = @status, finished_at = @at, pages_scanned = @pages, scripts_scanned = @scripts,
         report = @report, error = @error WHERE id = @id`,
      )
      .run({
        id,
        error: null,
        ...outcome,
        report: outcome.report === undefined ? null : JSON.stringify(outcome.report),
      });
  }

  /** Scans a shutdown or crash cut off; they can be re-run from their message. */
  interruptActive(at: string): ScanRecord[] {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT * FROM scans WHERE status IN ('queued', 'running')`)
        .all() as ScanRow[];
      this.db
        .prepare(
          `UPDATE scans SET status = 'interrupted', finished_at = ? WHERE status IN ('queued', 'running')`,
        )
        .run(at);
      return rows.map((row) => ({ ...fromRow(row), status: 'interrupted' as const }));
    })();
  }

  addWatcher(scanId: string, watcher: ScanWatcher): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO scan_watchers (scan_id, channel_id, user_id, message_ts, response_url)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(scanId, watcher.channelId, watcher.userId, watcher.messageTs ?? null, watcher.responseUrl ?? null);
  }

  watchers(scanId: string): ScanWatcher[] {
    const rows = this.db
      .prepare('SELECT channel_id, user_id, message_ts, response_url FROM scan_watchers WHERE scan_id = ?')
      .all(scanId) as {
      channel_id: string;
      user_id: string;
      message_ts: string | null;
      response_url: string | null;
    }[];
    return rows.map((row) => ({
      channelId: row.channel_id,
      userId: row.user_id,
      ...(row.message_ts === null ? {} : { messageTs: row.message_ts }),
      ...(row.response_url === null ? {} : { responseUrl: row.response_url }),
    }));
  }
}
