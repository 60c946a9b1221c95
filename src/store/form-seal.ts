import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from './database.js';

/** Who a form (or the user list) was opened for, and from which message. */
export interface FormOrigin {
  /** What the form belongs to: a checklist, a review, or a form opened for the person alone. */
  kind: 'rotation' | 'review' | 'review-start' | 'home-scan';
  userId: string;
  /** The rotation or review it acts on. */
  subjectId?: string;
  /** Where its message is (rotation, review), or where the form reports (review start). */
  channelId?: string;
  messageTs?: string;
}

const KEY_SETTING = 'form_seal_key';

/**
 * Seals the origin a form carries in its private_metadata, so a forged submission cannot name another
 * checklist, channel or person: `base64url(origin).base64url(HMAC-SHA256)`, with a random key made
 * once and kept in the database (restart-safe, and nothing to configure).
 */
export class FormSeal {
  readonly #key: Buffer;

  constructor(db: Database) {
    db.prepare('INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)').run(
      KEY_SETTING,
      randomBytes(32).toString('base64'),
    );
    const row = db.prepare('SELECT value FROM settings WHERE name = ?').get(KEY_SETTING) as { value: string };
    this.#key = Buffer.from(row.value, 'base64');
  }

  seal(origin: FormOrigin): string {
    const body = Buffer.from(JSON.stringify(origin)).toString('base64url');
    return `${body}.${this.#sign(body).toString('base64url')}`;
  }

  /** The origin, or undefined when the token is missing, malformed or not sealed with this key. */
  open(token: unknown): FormOrigin | undefined {
    if (typeof token !== 'string') return undefined;
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.#sign(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const origin = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as FormOrigin;
      return typeof origin.kind === 'string' && typeof origin.userId === 'string' ? origin : undefined;
    } catch {
      return undefined;
    }
  }

  #sign(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest();
  }
}
