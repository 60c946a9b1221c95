import type { Database } from './database.js';

/** What a message kept up to date in place shows. */
export type MessageKind = 'rotation' | 'review' | 'scan' | 'reminder';

export interface MessageRef {
  kind: MessageKind;
  /** The rotation, review or scan id, or the reminder's key. */
  subjectId: string;
  channelId: string;
  ts: string;
}

export interface TrackedMessage extends MessageRef {
  /** The revision of the stored state the message should show. */
  wanted: number;
  /** The revision Slack last accepted. */
  shown: number;
}

interface Row {
  channel_id: string;
  message_ts: string;
  kind: MessageKind;
  subject_id: string;
  wanted: number;
  shown: number;
}

function fromRow(row: Row): TrackedMessage {
  return {
    kind: row.kind,
    subjectId: row.subject_id,
    channelId: row.channel_id,
    ts: row.message_ts,
    wanted: row.wanted,
    shown: row.shown,
  };
}

/**
 * The revision each message should show and the one Slack last accepted. A state change raises the
 * first; an update Slack accepts raises the second to the revision it was drawn at.
 */
export class SlackMessageRepository {
  constructor(private readonly db: Database) {}

  /** A message just posted with the current state: nothing is behind. */
  posted(ref: MessageRef, at: string): void {
    this.db
      .prepare(
        `INSERT INTO slack_messages (channel_id, message_ts, kind, subject_id, wanted, shown, updated_at)
         VALUES (?, ?, ?, ?, 1, 1, ?)
         ON CONFLICT (channel_id, message_ts) DO UPDATE SET kind = excluded.kind,
           subject_id = excluded.subject_id, shown = wanted, refused = NULL, updated_at = excluded.updated_at`,
      )
      .run(ref.channelId, ref.ts, ref.kind, ref.subjectId, at);
  }

  /** The state changed: the message should show a new revision (a refusal is forgotten). */
  changed(ref: MessageRef, at: string): void {
    this.db
      .prepare(
        `INSERT INTO slack_messages (channel_id, message_ts, kind, subject_id, wanted, shown, updated_at)
         VALUES (?, ?, ?, ?, 1, 0, ?)
         ON CONFLICT (channel_id, message_ts) DO UPDATE SET kind = excluded.kind,
           subject_id = excluded.subject_id, wanted = wanted + 1, refused = NULL, updated_at = excluded.updated_at`,
      )
      .run(ref.channelId, ref.ts, ref.kind, ref.subjectId, at);
  }

  /** The revision the message should show now (0 for a message not tracked). */
  wanted(channelId: string, ts: string): number {
    const row = this.db
      .prepare('SELECT wanted FROM slack_messages WHERE channel_id = ? AND message_ts = ?')
      .get(channelId, ts) as { wanted: number } | undefined;
    return row?.wanted ?? 0;
  }

  /** Slack accepted the message as drawn at `revision`. */
  accepted(channelId: string, ts: string, revision: number, at: string): void {
    this.db
      .prepare(
        `UPDATE slack_messages SET shown = MAX(shown, ?), updated_at = ?,
           refused = CASE WHEN ? >= wanted THEN NULL ELSE refused END
         WHERE channel_id = ? AND message_ts = ?`,
      )
      .run(revision, at, revision, channelId, ts);
  }

  /**
   * Slack refused the message, drawn at `revision`, for good: it is not tried again until its state
   * changes. A refusal of a revision the state has already moved past is no reason to stop.
   */
  refused(channelId: string, ts: string, revision: number, error: string, at: string): void {
    this.db
      .prepare(
        `UPDATE slack_messages SET refused = ?, updated_at = ?
         WHERE channel_id = ? AND message_ts = ? AND wanted = ?`,
      )
      .run(error, at, channelId, ts, revision);
  }

  /** Messages whose subject is gone: nothing to draw them from. */
  forget(channelId: string, ts: string): void {
    this.db.prepare('DELETE FROM slack_messages WHERE channel_id = ? AND message_ts = ?').run(channelId, ts);
  }

  /** Messages behind their state and not refused, the longest waiting first. */
  behind(limit = 100): TrackedMessage[] {
    return (
      this.db
        .prepare(
          `SELECT channel_id, message_ts, kind, subject_id, wanted, shown FROM slack_messages
           WHERE shown < wanted AND refused IS NULL ORDER BY updated_at LIMIT ?`,
        )
        .all(limit) as Row[]
    ).map(fromRow);
  }
}
