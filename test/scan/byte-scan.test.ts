import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  BASE64_CHUNK,
  base64RunsOfBytes,
  MIN_BASE64,
  PK_BASE64_SIGNATURES,
  PK_OR_NESTED_SIGNATURES,
} from '../../src/scan/base64-runs.js';
import {
  bodyFacts,
  markedRuns,
  PRESENCE_LITERALS,
  RUN_DECODE,
  RUN_TRACK,
} from '../../src/scan/body-facts.js';
import { decodeForScan, decodeText } from '../../src/scan/decode.js';
import { scanText } from '../../src/scan/detector.js';
import { wasmBodyFacts } from '../../src/scan/wasm/byte-scan.js';
import { MODULE_BASE64, SOURCE_SHA256 } from '../../src/scan/wasm/byte-scan-module.js';
import { seededStrings } from '../fixtures/pieces.js';
import { fakeLegacyKey } from '../fixtures/site-server.js';

const EVERY_RUN = { longRun: 0, pairs: new Uint8Array((128 * 128) / 8) };

const bitsOf = (text: string, literals: readonly string[]) =>
  literals.reduce((bits, literal, i) => (text.includes(literal) ? bits | (1 << i) : bits), 0);

describe('the WebAssembly byte passes', () => {
  test('the committed module was built from the committed source (scripts/build-wasm.sh)', () => {
    const source = readFileSync(new URL('../../src/scan/wasm/byte-scan.c', import.meta.url));
    expect(createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
    expect(MODULE_BASE64.length).toBeGreaterThan(0);
  });

  test('which literals a body holds, as a plain search says, wherever they stand', () => {
    const literals = ['company_id', 'companyId', 'klaviyo.js', 'ab', 'om'];
    // Pieces that come close to the literals, so the full comparison after the first and last bytes has work.
    const parts = ['company_i', 'companyI', 'klaviyo.j', 'company_id', 'companyId', 'klaviyo.js', 'a', 'b'];
    const filler = ['y', 'c', 'd', 's', ' ', '\u00e9', '\n', 'k', 'o', 'm'];
    let some = 0;
    let all = 0;
    for (const text of seededStrings(21, [...parts, ...filler, ...filler], 4_000, 40)) {
      const bytes = Buffer.from(text, 'latin1');
      const expected = bitsOf(text, literals);
      expect(wasmBodyFacts(bytes, MIN_BASE64, literals, EVERY_RUN)?.present, JSON.stringify(text)).toBe(
        expected,
      );
      if (expected !== 0) some++;
      if (expected === 31) all++;
    }
    expect(some).toBeGreaterThan(1_000);
    expect(all).toBeGreaterThan(10);
  });

  test('bodyFacts gives the runs and literals of the JavaScript passes, also for a body too large for WebAssembly', () => {
    const text = `${'A'.repeat(60)} companyId ${'x'.repeat(5 * 1024 * 1024)} klaviyo.js`;
    const facts = bodyFacts(Buffer.from(text, 'latin1'));
    // Too large: every run, marked for both uses.
    expect([...facts.runs]).toEqual([
      0,
      60,
      RUN_DECODE | RUN_TRACK,
      71,
      71 + 5 * 1024 * 1024,
      RUN_DECODE | RUN_TRACK,
    ]);
    expect(facts.present).toBe(bitsOf(text, PRESENCE_LITERALS));
  });

  // Base64 of keys at each alignment, Track data, nested base64, escaped base64, and runs that hold none.
  const key = fakeLegacyKey(71);
  const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
  const RUN_PIECES = [
    b64(`x${key}`),
    b64(`xy${key}`),
    b64(`api_key=${key}`),
    b64(`{"token":"AbC123","k":"${key}"}`),
    b64(`{"token":"AbC123","event":"Active on Site"}`),
    b64(b64(`id ${key}`)),
    b64(`{"k":"\\u0070k_${key.slice(3)}"}`),
    b64(`xx${key}`).replace(/\+/g, '%2B').replace(/\//g, '\\/'),
    'product-card__title-large-variant-selected-item',
    'assets/images/collections/winter/knitwear-hero-banner-2x.webp',
    'eyQmFzZTY0LWxvb2tpbmctYnV0LWhvbGRpbmctbm90aGluZw',
    'c%47tf',
    'B%72X',
  ];
  const SEPARATORS = [' ', '"', "'", '\n', '.', '=', '<', '>'];

  test('the runs a body is sent with, and their marks, follow the stated rule', () => {
    const PAIRS = [...PK_OR_NESTED_SIGNATURES, ...PK_BASE64_SIGNATURES.map(([signature]) => signature)].map(
      (signature) => signature.slice(0, 2),
    );
    const expected = (text: string) => {
      const runs = [...base64RunsOfBytes(Buffer.from(text, 'latin1'))];
      const marked: number[] = [];
      for (let k = 0; k < runs.length; k += 2) {
        const run = text.slice(runs[k], runs[k + 1]);
        const escaped = /[%\\]/.test(run);
        const decode =
          escaped ||
          run.length > BASE64_CHUNK ||
          run.startsWith('ey') ||
          PAIRS.some((pair) => run.includes(pair));
        const track = escaped || run.startsWith('e');
        const flags = (decode ? RUN_DECODE : 0) | (track ? RUN_TRACK : 0);
        if (flags !== 0) marked.push(runs[k] as number, runs[k + 1] as number, flags);
      }
      return marked;
    };
    const parts = [
      'ey',
      'e',
      'y',
      '%2F',
      '\\/',
      'cG',
      'Jy',
      '3Y',
      'c',
      'G',
      'A'.repeat(20),
      'Zz09'.repeat(4),
      '-_',
    ];
    let kept = 0;
    let droppedSome = 0;
    for (const text of seededStrings(41, [...parts, ' ', '.', '"'], 3_000, 12)) {
      const runs = [...bodyFacts(Buffer.from(text, 'latin1')).runs];
      expect(runs, JSON.stringify(text)).toEqual(expected(text));
      kept += runs.length / 3;
      if (runs.length / 3 < base64RunsOfBytes(Buffer.from(text, 'latin1')).length / 2) droppedSome++;
    }
    expect(kept).toBeGreaterThan(200);
    expect(droppedSome).toBeGreaterThan(20);
    // A run longer than a chunk is decoded whatever it holds.
    const long = `x ${'A'.repeat(BASE64_CHUNK + 1)} ${'A'.repeat(BASE64_CHUNK)} x`;
    expect([...bodyFacts(Buffer.from(long, 'latin1')).runs]).toEqual(expected(long));
    expect(expected(long)).toEqual([2, 3 + BASE64_CHUNK, RUN_DECODE]);
  });

  test('the runs a body is sent with find what every run finds', () => {
    let withKeys = 0;
    let withSiteIds = 0;
    let dropped = 0;
    for (const text of seededStrings(31, [...RUN_PIECES, ...SEPARATORS, ...SEPARATORS], 1_500, 10)) {
      const facts = bodyFacts(Buffer.from(text, 'latin1'));
      const all = scanText(text);
      expect(scanText(text, { runs: markedRuns(facts.runs) }), JSON.stringify(text)).toEqual(all);
      if (all.privateKeys.length > 0) withKeys++;
      if (all.publicKeys.length > 0) withSiteIds++;
      dropped += base64RunsOfBytes(Buffer.from(text, 'latin1')).length / 2 - facts.runs.length / 3;
    }
    // The texts hold keys and site IDs in base64, and runs that are dropped.
    expect(withKeys).toBeGreaterThan(500);
    expect(withSiteIds).toBeGreaterThan(200);
    expect(dropped).toBeGreaterThan(300);
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
