import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { fingerprintKey } from '../../src/scan/redact.js';
import { MemoryKeyKeeper } from '../../src/store/key-keeper.js';
import { KeyVault } from '../../src/store/key-vault.js';

// Made-up keys in Klaviyo's two private-key forms: random hex, never issued by Klaviyo.
const LEGACY = 'pk_c553824640cf9d938df817d4e33354cdd9';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';

const SECRET = randomBytes(32);

describe('KeyVault', () => {
  test.each([
    ['legacy', LEGACY],
    ['account-scoped', SCOPED],
  ])('seal then open returns the %s key', (_form, key) => {
    const vault = new KeyVault(SECRET);
    const fingerprint = fingerprintKey(key);
    const sealed = vault.seal(key, fingerprint);
    expect(vault.open(sealed, fingerprint)).toBe(key);
    // A vault built from the same secret (after a restart) opens it too.
    expect(new KeyVault(Buffer.from(SECRET)).open(sealed, fingerprint)).toBe(key);
  });

  test('the blob is iv (12) | tag (16) | ciphertext (as long as the key)', () => {
    const sealed = new KeyVault(SECRET).seal(LEGACY, fingerprintKey(LEGACY));
    expect(sealed.length).toBe(12 + 16 + Buffer.byteLength(LEGACY));
  });

  test('the sealed blob contains neither the key nor its secret part, in any common encoding', () => {
    const sealed = new KeyVault(SECRET).seal(LEGACY, fingerprintKey(LEGACY));
    for (const encoding of ['latin1', 'utf8', 'hex', 'base64'] as const) {
      const text = sealed.toString(encoding);
      expect(text).not.toContain(LEGACY);
      expect(text).not.toContain(LEGACY.slice(3));
      expect(text).not.toContain(LEGACY.slice(-12));
    }
    expect(sealed.includes(Buffer.from(LEGACY.slice(3, 15)))).toBe(false);
  });

  test('two seals of the same key differ (random IV) and both open', () => {
    const vault = new KeyVault(SECRET);
    const fingerprint = fingerprintKey(LEGACY);
    const first = vault.seal(LEGACY, fingerprint);
    const second = vault.seal(LEGACY, fingerprint);
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
    expect(first.subarray(28).equals(second.subarray(28))).toBe(false);
    expect(vault.open(first, fingerprint)).toBe(LEGACY);
    expect(vault.open(second, fingerprint)).toBe(LEGACY);
  });

  test('another fingerprint (the additional data) does not open it', () => {
    const vault = new KeyVault(SECRET);
    const sealed = vault.seal(LEGACY, fingerprintKey(LEGACY));
    expect(vault.open(sealed, fingerprintKey(SCOPED))).toBeUndefined();
    expect(vault.open(sealed, '')).toBeUndefined();
  });

  test('another secret does not open it', () => {
    const fingerprint = fingerprintKey(LEGACY);
    const sealed = new KeyVault(SECRET).seal(LEGACY, fingerprint);
    expect(new KeyVault(randomBytes(32)).open(sealed, fingerprint)).toBeUndefined();
    const flipped = Buffer.from(SECRET);
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(new KeyVault(flipped).open(sealed, fingerprint)).toBeUndefined();
  });

  test('every single tampered byte is detected', () => {
    const vault = new KeyVault(SECRET);
    const fingerprint = fingerprintKey(LEGACY);
    const sealed = vault.seal(LEGACY, fingerprint);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(vault.open(tampered, fingerprint), `byte ${i}`).toBeUndefined();
    }
  });

  test.each([
    ['empty', Buffer.alloc(0)],
    ['shorter than iv and tag', randomBytes(20)],
    ['only iv and tag', randomBytes(28)],
    ['truncated by one byte', 'truncate'],
    ['one byte appended', 'append'],
    ['random bytes of the right length', randomBytes(12 + 16 + LEGACY.length)],
  ])('junk (%s) opens to undefined without throwing', (_name, junk) => {
    const vault = new KeyVault(SECRET);
    const fingerprint = fingerprintKey(LEGACY);
    const sealed = vault.seal(LEGACY, fingerprint);
    const blob =
      junk === 'truncate'
        ? sealed.subarray(0, sealed.length - 1)
        : junk === 'append'
          ? Buffer.concat([sealed, Buffer.from([0])])
          : (junk as Buffer);
    expect(vault.open(blob, fingerprint)).toBeUndefined();
  });

  test.each([0, 16, 31, 33, 64])('refuses a secret of %i bytes', (length) => {
    expect(() => new KeyVault(randomBytes(length))).toThrow('32 bytes');
  });
});

describe('MemoryKeyKeeper', () => {
  test('forgets an unclaimed key once its time is up, and every unclaimed key when told', () => {
    const keeper = new MemoryKeyKeeper();
    const at = new Date('2026-07-01T10:00:00.000Z');
    const until = new Date('2026-07-01T10:00:45.000Z');
    keeper.keep('a', 'pk_one', at, until);
    keeper.keep('b', 'pk_two', at, until);
    expect(keeper.sweep(new Date('2026-07-01T10:00:30.000Z'), [])).toBe(0);
    expect(keeper.sweep(new Date('2026-07-01T10:01:00.000Z'), ['a'])).toBe(1);
    expect([keeper.has('a'), keeper.has('b')]).toEqual([true, false]);
    expect(keeper.sweep(at, ['a'], true)).toBe(0);
    expect(keeper.sweep(at, [], true)).toBe(1);
    expect([keeper.has('a'), keeper.has('b')]).toEqual([false, false]);
  });
});
