import type { RotationChecklist } from '../checklists/rotation.js';
import { ChecklistRows } from './checklist-rows.js';
import type { Database } from './database.js';

export interface RotationRecord {
  id: string;
  fingerprint: string;
  target: string;
  channelId: string;
  messageTs?: string;
  status: 'open' | 'completed';
  startedBy: string;
  startedAt: string;
  completedAt?: string;
  state: RotationChecklist;
  revision: number;
}

interface Row {
  id: string;
  fingerprint: string;
  target: string;
  channel_id: string;
  message_ts: string | null;
  status: 'open' | 'completed';
  started_by: string;
  started_at: string;
  completed_at: string | null;
  state: string;
  revision: number;
}

function fromRow(row: Row): RotationRecord {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    target: row.target,
    channelId: row.channel_id,
    status: row.status,
    startedBy: row.started_by,
    startedAt: row.started_at,
    state: JSON.parse(row.state) as RotationChecklist,
    revision: row.revision,
    ...(row.message_ts === null ? {} : { messageTs: row.message_ts }),
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
  };
}

export class RotationRepository {
  readonly #rows: ChecklistRows;

  constructor(private readonly db: Database) {
    this.#rows = new ChecklistRows(db, 'rotations', 'rotation');
  }

  create(record: Omit<RotationRecord, 'revision' | 'status' | 'completedAt'>): void {
    this.db
      .prepare(
        `INSERT INTO rotations (id, fingerprint, target, channel_id, message_ts, status, started_by, started_at, state)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      )
      .run(
        record.id,
        record.fingerprint,
        record.target,
        record.channelId,
        record.messageTs ?? null,
        record.startedBy,
        record.startedAt,
        JSON.stringify(record.state),
      );
  }

  get(id: string): RotationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM rotations WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  openForKey(fingerprint: string): RotationRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM rotations WHERE fingerprint = ? AND status = 'open'`)
      .get(fingerprint) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  listOpen(): RotationRecord[] {
    return (
      this.db.prepare(`SELECT * FROM rotations WHERE status = 'open' ORDER BY started_at`).all() as Row[]
    ).map(fromRow);
  }

  /** The keys open rotations are of, without reading their checklists. */
  openFingerprints(): string[] {
    return (
      this.db.prepare(`SELECT fingerprint FROM rotations WHERE status = 'open'`).all() as {
        fingerprint: string;
      }[]
    ).map((row) => row.fingerprint);
  }

  listOpenForTarget(target: string): RotationRecord[] {
    return (
      this.db
        .prepare(`SELECT * FROM rotations WHERE status = 'open' AND target = ? ORDER BY started_at`)
        .all(target) as Row[]
    ).map(fromRow);
  }

  /** Removes a rotation that never got its message (its first post failed). */
  discard(id: string): void {
    this.#rows.discard(id);
  }

  setMessage(id: string, channelId: string, messageTs: string): void {
    this.#rows.setMessage(id, channelId, messageTs);
  }

  /** Saves a new state if nobody saved since `revision` was read; false means read again and retry. */
  save(id: string, state: RotationChecklist, revision: number): boolean {
    return this.#rows.save(id, state, revision);
  }
}
