import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { findPrivateKeys, isKlaviyoPrivateKey, scanText } from '../../src/scan/detector.js';
import { FindingsCollector } from '../../src/scan/findings.js';
import { placeholderReason } from '../../src/scan/placeholders.js';

/** `text` repeated and cut to a key body's 34 characters. */
const body34 = (text: string): string => text.repeat(34).slice(0, 34);

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

  test('ten thousand random 34-hex keys, both forms, are found as keys and never called placeholders', () => {
    const keys: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const body = randomBytes(17).toString('hex');
      keys.push(`pk_${body}`, `pk_AbC123_${body}`);
    }
    expect(keys.filter((key) => !isKlaviyoPrivateKey(key) || placeholderReason(key) !== undefined)).toEqual(
      [],
    );
    const { privateKeys, placeholders } = scanText(keys.join('\n'));
    expect(placeholders.map((hit) => hit.key)).toEqual([]);
    expect(privateKeys.map((hit) => hit.key)).toEqual(keys);
  });
});

describe('key-shaped strings no issued key could be are placeholders, never keys', () => {
  test.each([
    ['34 x-es', `const KEY = "pk_${'x'.repeat(34)}";`],
    ['34 X-es', `apiKey: 'pk_${'X'.repeat(34)}'`],
    ['an example word, letters only', `"pk_${body34('example')}"`],
    ['"your private key", letters only', `"pk_${body34('yourprivatekey')}"`],
    ['your_private_key with underscores', `KLAVIYO_KEY=pk_${body34('your_private_key_here_')}`],
    ['YOUR_PRIVATE_KEY, upper case', `KLAVIYO_KEY=pk_${body34('YOUR_PRIVATE_KEY_')}`],
    ['a word and zeros', `"pk_your_key_goes_here_${'0'.repeat(15)}"`],
    ['an account-scoped key x-ed out', `"pk_AbC123_${'x'.repeat(34)}"`],
    ['an account-scoped key all upper case', `"pk_XXXXXX_${'X'.repeat(34)}"`],
    ['an account-scoped key with a word', `"pk_AbC123_${body34('yourkey')}"`],
    ['digits only, counting', `"pk_${body34('1234567890')}"`],
    ['letters only, the alphabet', `"pk_${body34('abcdefghijklmnopqrstuvwxyz')}"`],
    ['JS-escaped', `"pk\\u005f${'x'.repeat(34)}"`],
    ['split by markup', `<p>pk_<b>${'x'.repeat(17)}</b>${'x'.repeat(17)}</p>`],
  ])('%s', (_name, text) => {
    const { privateKeys, placeholders } = scanText(text, { html: true });
    expect(privateKeys).toEqual([]);
    expect(placeholders).toHaveLength(1);
    expect(placeholders[0]).toMatchObject({ confidence: 'low', placeholder: expect.any(String) });
  });

  test('they are listed apart by the collector, and counted nowhere as exposed keys', () => {
    const collector = new FindingsCollector();
    const text = `pk_${'x'.repeat(34)} pk_${body34('YOUR_PRIVATE_KEY_')} pk_${'x'.repeat(34)}`;
    const counted = collector.scan(text, {
      url: 'https://shop.example/',
      page: 'https://shop.example/',
      resource: 'page',
      html: true,
      via: [],
    });
    expect(counted).toBe(0);
    expect(collector.findings()).toEqual([]);
    expect(collector.findingCount).toBe(0);
    expect(collector.keyring.size).toBe(0);
    expect(collector.placeholders().map((p) => [p.masked, p.occurrenceCount])).toEqual([
      ['pk_…xxxx', 2],
      ['pk_…KEY_', 1],
    ]);
  });
});

describe('findPrivateKeys and placeholders', () => {
  test('a key of the real shape that looks made up is found, and marked', () => {
    const hits = findPrivateKeys('"pk_1234567890abcdef1234567890abcdef12"');
    expect(hits.map((hit) => [hit.key, hit.confidence, typeof hit.placeholder])).toEqual([
      ['pk_1234567890abcdef1234567890abcdef12', 'low', 'string'],
    ]);
  });

  test('what no issued key could be is not a private key at all', () => {
    expect(findPrivateKeys(`"pk_${'x'.repeat(34)}" "pk_AbC123_${'x'.repeat(34)}"`)).toEqual([]);
  });
});

describe('a page of thousands of placeholders', () => {
  test('is read only up to a limit per file, and a key among them is still found', () => {
    const key = 'pk_c553824640cf9d938df817d4e33354cdd9';
    const text = `${`pk_${'x'.repeat(34)} `.repeat(3_000)}${key} ${`pk_${'X'.repeat(34)} `.repeat(3_000)}`;
    const { privateKeys, placeholders } = scanText(text, { html: true });
    expect(privateKeys.map((hit) => hit.key)).toEqual([key]);
    expect(placeholders.length).toBe(1_000);
  });
});

describe("identifiers and other vendors in a key's place are neither keys nor placeholders", () => {
  const alnum = 'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zAbCdEfGhIjKlMnOpQrStUvWxYz';
  test.each([
    ['a camel-case identifier', 'var pk_someVeryLongCamelCaseNameForAThing = 1;'],
    ['a database constraint', 'CONSTRAINT pk_order_line_items_archive_2024_ab PRIMARY KEY'],
    ['snake case with a stand-in-free word', '"pk_customer_token_private_secret_xy"'],
    ["Stripe's own x-ed out test key", `Stripe("pk_test_${'x'.repeat(26)}")`],
    ["Stripe's own placeholder", 'Stripe("pk_live_your_publishable_key_abc")'],
    ['a Stripe key of 34 after pk_', `Stripe("pk_live_${alnum.slice(0, 29)}")`],
    ['Courier', `clientKey:"pk_prod_${'X'.repeat(29)}"`],
    ['ClickUp with x-es', `pk_1234567_${'X'.repeat(32)}`],
    ['33 x-es', `"pk_${'x'.repeat(33)}"`],
    ['35 x-es', `"pk_${'x'.repeat(35)}"`],
    ['an account-scoped shape with 33', `"pk_AbC123_${'x'.repeat(33)}"`],
  ])('%s', (_name, text) => {
    expect(scanText(text, { html: true })).toMatchObject({ privateKeys: [], placeholders: [] });
  });
});
