import { randomBytes } from 'node:crypto';

/** Short, URL- and Slack-value-safe random identifiers (12 characters, 72 bits). */
export function newId(): string {
  for (;;) {
    const id = randomBytes(9).toString('base64url');
    // IDs travel in button values, where anything that looks like the start of a key would be masked.
    if (!/pk_/i.test(id)) return id;
  }
}
