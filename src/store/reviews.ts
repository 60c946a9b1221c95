import type { Review } from '../checklists/review.js';
import type { RosterDiff } from '../checklists/roster.js';
import { ChecklistRows } from './checklist-rows.js';
import type { Database } from './database.js';

export interface UnreadableRosterLine {
  line: number;
  part?: number;
  text: string;
  reason: string;
}

export interface ReviewRecord {
  id: string;
  status: 'open' | 'completed';
  period: string;
  channelId: string;
  messageTs?: string;
  startedBy: string;
  startedAt: string;
  completedAt?: string;
  state: Review;
  revision: number;
  unreadable: UnreadableRosterLine[];
  changes?: RosterDiff;
  evidenceCsv?: string;
  evidenceMarkdown?: string;
}

interface Row {
  id: string;
  status: 'open' | 'completed';
  period: string;
  channel_id: string;
  message_ts: string | null;
  started_by: string;
  started_at: string;
  completed_at: string | null;
  state: string;
  revision: number;
  unreadable: string;
  changes: string | null;
  evidence_csv: string | null;
  evidence_markdown: string | null;
}

function fromRow(row: Row): ReviewRecord {
  return {
    id: row.id,
    status: row.status,
    period: row.period,
    channelId: row.channel_id,
    startedBy: row.started_by,
    startedAt: row.started_at,
    state: JSON.parse(row.state) as Review,
    revision: row.revision,
    unreadable: JSON.parse(row.unreadable) as UnreadableRosterLine[],
    ...(row.message_ts === null ? {} : { messageTs: row.message_ts }),
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
    ...(row.changes === null ? {} : { changes: JSON.parse(row.changes) as RosterDiff }),
    ...(row.evidence_csv === null ? {} : { evidenceCsv: row.evidence_csv }),
    ...(row.evidence_markdown === null ? {} : { evidenceMarkdown: row.evidence_markdown }),
  };
}

export class ReviewRepository {
  readonly #rows: ChecklistRows;

  constructor(private readonly db: Database) {
    this.#rows = new ChecklistRows(db, 'reviews', 'review');
  }

  create(
    record: Omit<ReviewRecord, 'revision' | 'status' | 'completedAt' | 'evidenceCsv' | 'evidenceMarkdown'>,
  ): void {
    this.db
      .prepare(
        `INSERT INTO reviews (id, status, period, channel_id, message_ts, started_by, started_at, state, unreadable, changes)
         VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.period,
        record.channelId,
        record.messageTs ?? null,
        record.startedBy,
        record.startedAt,
        JSON.stringify(record.state),
        JSON.stringify(record.unreadable),
        record.changes === undefined ? null : JSON.stringify(record.changes),
      );
  }

  get(id: string): ReviewRecord | undefined {
    const row = this.db.prepare('SELECT * FROM reviews WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  open(): ReviewRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM reviews WHERE status = 'open'`).get() as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  latestCompleted(): ReviewRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM reviews WHERE status = 'completed' ORDER BY completed_at DESC LIMIT 1`)
      .get() as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Removes a review that never got its message (its first post failed). */
  discard(id: string): void {
    this.#rows.discard(id);
  }

  setMessage(id: string, channelId: string, messageTs: string): void {
    this.#rows.setMessage(id, channelId, messageTs);
  }

  /** Saves a new state if nobody saved since `revision` was read; false means read again and retry. */
  save(id: string, state: Review, revision: number): boolean {
    return this.#rows.save(id, state, revision);
  }

  storeEvidence(id: string, csv: string, markdown: string): void {
    this.db
      .prepare('UPDATE reviews SET evidence_csv = ?, evidence_markdown = ? WHERE id = ?')
      .run(csv, markdown, id);
  }
}

/** What a review reminder's message shows, as the review it asked for goes on. */
export type ReminderShows = 'due' | 'started' | 'completed';

/** A review reminder that was posted: where its message is, what occurrence it is about, what it shows. */
export interface ReminderMessage {
  key: string;
  channelId: string;
  messageTs: string;
  dueAt: string;
  firedAt: string;
  shows: ReminderShows;
}

interface ReminderMessageRow {
  key: string;
  channel_id: string;
  message_ts: string;
  due_at: string;
  fired_at: string;
  shows: ReminderShows;
}

function reminderMessageFrom(row: ReminderMessageRow): ReminderMessage {
  return {
    key: row.key,
    channelId: row.channel_id,
    messageTs: row.message_ts,
    dueAt: row.due_at,
    firedAt: row.fired_at,
    shows: row.shows,
  };
}

/** Reminders already sent (by occurrence key) and small named settings such as a snooze. */
export class ReminderRepository {
  constructor(private readonly db: Database) {}

  /** Records a reminder; false when it was already recorded (sent before a restart, or by a retry). */
  record(key: string, kind: string, at: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO reminders (key, kind, fired_at) VALUES (?, ?, ?)')
        .run(key, kind, at).changes === 1
    );
  }

  forget(key: string): void {
    this.db.prepare('DELETE FROM reminders WHERE key = ?').run(key);
  }

  latest(kind: string): { key: string; firedAt: string } | undefined {
    const row = this.db
      .prepare(
        'SELECT key, fired_at FROM reminders WHERE kind = ? ORDER BY fired_at DESC, rowid DESC LIMIT 1',
      )
      .get(kind) as { key: string; fired_at: string } | undefined;
    return row === undefined ? undefined : { key: row.key, firedAt: row.fired_at };
  }

  since(kind: string, sinceIso: string): { key: string; firedAt: string }[] {
    const rows = this.db
      .prepare('SELECT key, fired_at FROM reminders WHERE kind = ? AND fired_at >= ? ORDER BY fired_at')
      .all(kind, sinceIso) as { key: string; fired_at: string }[];
    return rows.map((row) => ({ key: row.key, firedAt: row.fired_at }));
  }

  /** Where a sent reminder's message is, and which occurrence it is about. */
  setMessage(key: string, channelId: string, messageTs: string, dueAt: string): void {
    this.db
      .prepare(`UPDATE reminders SET channel_id = ?, message_ts = ?, due_at = ?, shows = 'due' WHERE key = ?`)
      .run(channelId, messageTs, dueAt, key);
  }

  /** The reminder whose message this is, if the bot posted it. */
  messageAt(channelId: string, messageTs: string): ReminderMessage | undefined {
    const row = this.db
      .prepare('SELECT * FROM reminders WHERE channel_id = ? AND message_ts = ?')
      .get(channelId, messageTs) as ReminderMessageRow | undefined;
    return row === undefined ? undefined : reminderMessageFrom(row);
  }

  /** The reminder with this key, when its message was posted. */
  messageOf(key: string): ReminderMessage | undefined {
    const row = this.db
      .prepare('SELECT * FROM reminders WHERE key = ? AND message_ts IS NOT NULL')
      .get(key) as ReminderMessageRow | undefined;
    return row === undefined ? undefined : reminderMessageFrom(row);
  }

  /** Reminder messages whose review is not known to be completed yet (a short list: one a quarter). */
  unfinishedMessages(): ReminderMessage[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM reminders WHERE message_ts IS NOT NULL AND shows <> 'completed' ORDER BY fired_at LIMIT 50`,
      )
      .all() as ReminderMessageRow[];
    return rows.map(reminderMessageFrom);
  }

  setShows(key: string, shows: ReminderShows): void {
    this.db.prepare('UPDATE reminders SET shows = ? WHERE key = ?').run(shows, key);
  }

  getSetting(name: string): string | undefined {
    return (
      this.db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined
    )?.value;
  }

  setSetting(name: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM settings WHERE name = ?').run(name);
    else
      this.db
        .prepare(
          'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        )
        .run(name, value);
  }
}
