import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { MIN_BASE64 } from '../../src/scan/base64-runs.js';
import { bodyFacts, PRESENCE_LITERALS } from '../../src/scan/body-facts.js';
import { decodeForScan, decodeText } from '../../src/scan/decode.js';
import { scanText } from '../../src/scan/detector.js';
import { wasmBodyFacts } from '../../src/scan/wasm/byte-scan.js';
import { MODULE_BASE64, SOURCE_SHA256 } from '../../src/scan/wasm/byte-scan-module.js';
import { seededStrings } from '../fixtures/pieces.js';

const bitsOf = (text: string, literals: readonly string[]) =>
  literals.reduce((bits, literal, i) => (text.includes(literal) ? bits | (1 << i) : bits), 0);

describe('the WebAssembly byte passes', () => {
  test('the committed module was built from the committed source (scripts/build-wasm.sh)', () => {
    const source = readFileSync(new URL('../../src/scan/wasm/byte-scan.c', import.meta.url));
    expect(createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
    expect(MODULE_BASE64.length).toBeGreaterThan(0);
  });

  test('which literals a body holds, as a plain search says, wherever they stand', () => {
    const literals = ['company_id', 'companyId', 'klaviyo.js', 'ab', 'm'];
    // Pieces that come close to the literals, so the full comparison after the first and last bytes has work.
    const parts = ['company_i', 'companyI', 'klaviyo.j', 'company_id', 'companyId', 'klaviyo.js', 'a', 'b'];
    const filler = ['y', 'c', 'd', 's', ' ', '\u00e9', '\n', 'k', 'o', 'm'];
    let some = 0;
    let all = 0;
    for (const text of seededStrings(21, [...parts, ...filler, ...filler], 4_000, 40)) {
      const bytes = Buffer.from(text, 'latin1');
      const expected = bitsOf(text, literals);
      expect(wasmBodyFacts(bytes, MIN_BASE64, literals)?.present, JSON.stringify(text)).toBe(expected);
      if (expected !== 0) some++;
      if (expected === 31) all++;
    }
    expect(some).toBeGreaterThan(1_000);
    expect(all).toBeGreaterThan(10);
  });

  test('bodyFacts gives the runs and literals of the JavaScript passes, also for a body too large for WebAssembly', () => {
    const text = `${'A'.repeat(60)} companyId ${'x'.repeat(5 * 1024 * 1024)} klaviyo.js`;
    const facts = bodyFacts(Buffer.from(text, 'latin1'));
    expect([...facts.runs]).toEqual([0, 60, 71, 71 + 5 * 1024 * 1024]);
    expect(facts.present).toBe(bitsOf(text, PRESENCE_LITERALS));
  });

  test('an ASCII literal is in UTF-8 text exactly when its bytes are in the body, broken sequences included', () => {
    const literals = ['company_id', 'klaviyo.js'];
    const pieces = [
      ...literals,
      'company_',
      'klaviyo',
      '_id',
      '.js',
      '\u00e9',
      '\u2014',
      '\u{1f600}',
      '\xe2\x82', // a sequence cut short
      '\xc0\xaf', // an overlong form
      '\xff',
      '\xf0\x9f',
      ' ',
    ];
    for (const piece of seededStrings(5, pieces, 3_000, 12)) {
      // Pieces are latin1 strings of bytes: `é` above is its UTF-8, so the bytes are UTF-8 where intended.
      const bytes = Buffer.concat([Buffer.from(piece, 'latin1')]);
      const decoded = decodeForScan(bytes, 'text/html; charset=utf-8', true);
      expect(decoded.utf8).toBe(true);
      const text = decodeText(bytes, 'text/html; charset=utf-8');
      expect(bitsOf(text, literals), JSON.stringify(piece)).toBe(bitsOf(piece, literals));
      expect(bitsOf(decoded.text, literals)).toBe(bitsOf(piece, literals));
    }
  });

  test('the site-ID scan takes the literals it is told a text holds', () => {
    const text = '<script src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id=AbC123"></script>';
    const told = (bits: number) =>
      scanText(text, { present: { literals: PRESENCE_LITERALS, bits } }).publicKeys;
    expect(told(bitsOf(text, PRESENCE_LITERALS))).toEqual(scanText(text).publicKeys);
    expect(scanText(text).publicKeys.length).toBeGreaterThan(0);
    // Told that none is there, it does not try the patterns: the bits are what it goes by.
    expect(told(0)).toEqual([]);
  });
});
