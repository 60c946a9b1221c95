import type { Database } from './database.js';

export interface AuditEvent {
  subjectType: 'rotation' | 'scan' | 'review' | 'watched_site';
  subjectId: string;
  actor: string;
  action: string;
  detail?: string;
  at: string;
}

/** The record of who did what and when; append-only. */
export class AuditLog {
  constructor(private readonly db: Database) {}

  append(event: AuditEvent): void {
    this.db
      .prepare(
        'INSERT INTO audit_events (subject_type, subject_id, actor, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(event.subjectType, event.subjectId, event.actor, event.action, event.detail ?? null, event.at);
  }

  list(subjectType: AuditEvent['subjectType'], subjectId: string): AuditEvent[] {
    const rows = this.db
      .prepare(
        'SELECT actor, action, detail, at FROM audit_events WHERE subject_type = ? AND subject_id = ? ORDER BY id',
      )
      .all(subjectType, subjectId) as { actor: string; action: string; detail: string | null; at: string }[];
    return rows.map((row) => ({
      subjectType,
      subjectId,
      actor: row.actor,
      action: row.action,
      at: row.at,
      ...(row.detail === null ? {} : { detail: row.detail }),
    }));
  }
}

/** Remembers request keys (a Slack retry, a repeated click) so a change is applied once. */
export class RequestLedger {
  constructor(private readonly db: Database) {}

  /** True the first time a key is seen, false after. */
  firstTime(key: string, at: string): boolean {
    return (
      this.db.prepare('INSERT OR IGNORE INTO processed_requests (key, at) VALUES (?, ?)').run(key, at)
        .changes === 1
    );
  }

  /** Lets a key through again (a form answered with errors may be submitted again unchanged). */
  forget(key: string): void {
    this.db.prepare('DELETE FROM processed_requests WHERE key = ?').run(key);
  }

  prune(before: string): void {
    this.db.prepare('DELETE FROM processed_requests WHERE at < ?').run(before);
  }
}
