import { randomBytes } from 'node:crypto';

/** Short, URL- and Slack-value-safe random identifiers (12 characters, 72 bits). */
export function newId(): string {
  return randomBytes(9).toString('base64url');
}
