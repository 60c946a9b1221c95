import type { Database } from './database.js';

/**
 * What the rotation and review tables share: a checklist whose one message lives in Slack, and whose
 * state (JSON) is saved with a revision counter, so two changes at once never overwrite each other.
 */
export class ChecklistRows {
  constructor(
    private readonly db: Database,
    private readonly table: 'rotations' | 'reviews',
    private readonly subjectType: 'rotation' | 'review',
  ) {}

  /** Removes a checklist that never got its message (its first post failed), with its audit lines. */
  discard(id: string): void {
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM audit_events WHERE subject_type = ? AND subject_id = ?')
        .run(this.subjectType, id);
      this.db.prepare(`DELETE FROM ${this.table} WHERE id = ? AND message_ts IS NULL`).run(id);
    })();
  }

  setMessage(id: string, channelId: string, messageTs: string): void {
    this.db
      .prepare(`UPDATE ${this.table} SET channel_id = ?, message_ts = ? WHERE id = ?`)
      .run(channelId, messageTs, id);
  }

  /** Saves a new state if nobody saved since `revision` was read; false means read again and retry. */
  save(id: string, state: { completedAt?: string }, revision: number): boolean {
    const completed = state.completedAt !== undefined;
    return (
      this.db
        .prepare(
          `UPDATE ${this.table} SET state = ?, revision = revision + 1, status = ?, completed_at = ?
           WHERE id = ? AND revision = ?`,
        )
        .run(JSON.stringify(state), completed ? 'completed' : 'open', state.completedAt ?? null, id, revision)
        .changes === 1
    );
  }
}
