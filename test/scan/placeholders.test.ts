import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isKlaviyoPrivateKey } from '../../src/scan/detector.js';
import { placeholderReason } from '../../src/scan/placeholders.js';

describe('placeholderReason: keys that are clearly made up', () => {
  test.each([
    ["Klaviyo's help-centre example", 'pk_abc123def456ghi789jkl0mno123pqrst4'],
    ["Klaviyo's account-scoped example", 'pk_AbC123_0f1e2d3c4b5a69788796a5b4c3d2e1f0a9'],
    ['a counting run', 'pk_1234567890abcdef1234567890abcdef12'],
    ['the hex alphabet twice', 'pk_0123456789abcdef0123456789abcdef01'],
    ['an example word', 'pk_example1234567890abcdef1234567890'],
    ['"your key here"', 'pk_yourprivatekey0000000000000000000'],
    ['x-ed out with a digit', 'pk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1'],
    ['all zeros but one', 'pk_0000000000000000000000000000000001'],
    ['a short repeated unit', 'pk_abababababababababababababab12ab12'.replace(/12ab12$/, 'ababab')],
    ['a repeated 8-character unit', `pk_${'9f3a27c1'.repeat(5).slice(0, 34)}`],
    ['an account-scoped key with a test body', 'pk_AbC123_test0000000000000000000000000000000'],
  ])('%s', (_name, key) => {
    expect(placeholderReason(key)).toBeDefined();
  });
});

describe('placeholderReason: real-shaped keys are never called placeholders', () => {
  test.each([
    'pk_c553824640cf9d938df817d4e33354cdd9',
    'pk_1870dfb77e5c5cccfbfa97dd4fea47df42',
    'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da',
    'pk_gQsERteJP6FDRLpizvDNohAUZq6o2drXQ6',
    'pk_e79e617795e27be97bc30a6de684d61375',
  ])('%s', (key) => {
    expect(placeholderReason(key)).toBeUndefined();
  });

  test('ten thousand random 34-hex keys, both forms', () => {
    const called: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const body = randomBytes(17).toString('hex');
      for (const key of [`pk_${body}`, `pk_AbC123_${body}`]) {
        if (isKlaviyoPrivateKey(key) && placeholderReason(key) !== undefined) called.push(key);
      }
    }
    expect(called).toEqual([]);
  });
});
