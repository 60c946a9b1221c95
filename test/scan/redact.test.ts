import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { scrubSecrets } from '../../src/scan/detector.js';
import { fingerprintKey, maskKey, redactKeysInText } from '../../src/scan/redact.js';

// Made-up keys: random hex, never issued by Klaviyo.
const LEGACY = 'pk_c553824640cf9d938df817d4e33354cdd9';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';
const OTHER = 'pk_1870dfb77e5c5cccfbfa97dd4fea47df42';

describe('maskKey', () => {
  test.each([
    [LEGACY, 'pk_\u2026cdd9'],
    [SCOPED, 'pk_\u202655da'],
    [OTHER, 'pk_\u2026df42'],
  ])('%s is shown as %s', (key, masked) => {
    expect(maskKey(key)).toBe(masked);
  });

  test('keeps only the last four characters of the key', () => {
    const masked = maskKey(LEGACY);
    expect(masked).not.toContain(LEGACY.slice(3, 8));
    expect(masked.length).toBe('pk_\u2026'.length + 4);
  });
});

describe('fingerprintKey', () => {
  test('is SHA-256 in lowercase hex (known vector)', () => {
    expect(fingerprintKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test.each([LEGACY, SCOPED])('fingerprints the full key %s', (key) => {
    const expected = createHash('sha256').update(key).digest('hex');
    expect(fingerprintKey(key)).toBe(expected);
    expect(fingerprintKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('two keys with the same last four characters get different fingerprints', () => {
    const twin = `pk_000000000000000000000000000000cdd9`;
    expect(maskKey(twin)).toBe(maskKey(LEGACY));
    expect(fingerprintKey(twin)).not.toBe(fingerprintKey(LEGACY));
  });
});

describe('redactKeysInText', () => {
  test.each([
    ['a legacy key', `key=${LEGACY}&x=1`, 'key=pk_\u2026cdd9&x=1'],
    ['an account-scoped key', `"${SCOPED}"`, '"pk_\u202655da"'],
    ['two keys', `${LEGACY} and ${OTHER}`, 'pk_\u2026cdd9 and pk_\u2026df42'],
    ['a piece of a key cut at an edge', `...=pk_c5538246`, '...=pk_\u20268246'],
    ['a key with an escaped underscore', `"pk\\u005f${LEGACY.slice(3)}"`, '"pk_\u2026cdd9"'],
    ['a Stripe-like key (masked too, harmless)', 'pk_live_51HxYzAbCdEfGh', 'pk_\u2026EfGh'],
  ])('masks %s', (_name, text, expected) => {
    expect(redactKeysInText(text)).toBe(expected);
  });

  test.each([
    ['text without keys', 'var a = "hello world";'],
    ['a short pk_ run', 'pk_c553824'],
    ['the bare word in prose', 'keys start with pk_ and then some characters'],
  ])('leaves %s alone', (_name, text) => {
    expect(redactKeysInText(text)).toBe(text);
  });
});

describe('scrubSecrets', () => {
  const key = `pk_${'0123456789abcdef'.repeat(2)}99`;
  const base64 = Buffer.from(JSON.stringify({ token: key })).toString('base64');
  test.each([
    ['a plain key', `see ${key} here`, `see pk_…${key.slice(-4)} here`],
    [
      'a base64 key in a URL',
      `GET https://a.example/api/track?data=${base64} failed`,
      'GET [hidden: contains a private key] failed',
    ],
    ['a percent-encoded key', `url /p?k=pk%5F${key.slice(3)} done`, `url /p?k=pk_…${key.slice(-4)} done`],
    ['text without keys', 'nothing to see: pk_live_abc %20 \\u0041', 'nothing to see: pk_…_abc %20 \\u0041'],
  ])('%s', (_name, input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });
});
