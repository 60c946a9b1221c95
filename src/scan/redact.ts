import { createHash } from 'node:crypto';

/**
 * `pk_…abcd`. Klaviyo's own redacted form shows the last four characters, so those are what a person
 * uses to pick the right key on the API keys page.
 */
export function maskKey(key: string): string {
  return `pk_\u2026${key.slice(-4)}`;
}

/** Lowercase hex SHA-256 of the full key: lets reports and the store group occurrences without the key. */
export function fingerprintKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

// `pk` and `_` (plain or in a common escaped spelling) followed by a run long enough to be a key or a
// piece of one. Covers both full key forms, and pieces cut at a snippet edge. Stripe-like `pk_live_…`
// values are masked too: harmless in text meant for people.
const KEY_LIKE_RUN = /pk(?:_|%5f|\\+(?:x5f|u005f|u\{0*5f\})|&#(?:0*95|x0*5f);?|&lowbar;)[A-Za-z0-9_]{8,}/gi;

/** Replaces every private key, and every key-looking run of `pk_` and 8+ more characters, with its mask. */
export function redactKeysInText(text: string): string {
  return text.replace(KEY_LIKE_RUN, (run) => maskKey(run));
}
