import { describe, expect, test } from 'vitest';
import { findSplitKeys, scanText } from '../../src/scan/detector.js';

const KEY = 'pk_7d4c3702dd3124bbce7501b83e915448ea';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';

describe('findSplitKeys: a key as a person reads the page', () => {
  test.each([
    ['split after pk_', `<p>Key: pk_<span>${KEY.slice(3, 15)}</span>${KEY.slice(15)}</p>`, KEY],
    ['split before the underscore', `<p>pk<b>_${KEY.slice(3)}</b></p>`, KEY],
    [
      'split in the middle, twice',
      `<td>${KEY.slice(0, 10)}<em>${KEY.slice(10, 20)}</em><wbr>${KEY.slice(20)}</td>`,
      KEY,
    ],
    [
      'highlighted by an editor',
      `<strong>${KEY.slice(0, 15)}</strong><span class="x">${KEY.slice(15)}</span>,`,
      KEY,
    ],
    ['a comment inside', `<p>${KEY.slice(0, 20)}<!-- c -->${KEY.slice(20)}</p>`, KEY],
    ['an account-scoped key', `<code>${SCOPED.slice(0, 10)}</code><code>${SCOPED.slice(10)}</code>`, SCOPED],
  ])('%s', (_name, html, key) => {
    const hits = findSplitKeys(html);
    expect(hits.map((hit) => hit.key)).toEqual([key]);
    expect(hits[0]).toMatchObject({ encoding: 'split-markup', line: 1, column: html.indexOf('pk') + 1 });
    expect(hits[0]?.snippet).not.toContain(key);
    expect(hits[0]?.snippet).toContain(`pk_…${key.slice(-4)}`);
  });

  test.each([
    ['a whole key (found by the plain scan)', `<p>${KEY}</p>`],
    ['pieces in separate paragraphs', `<p>${KEY.slice(0, 15)}</p><p>${KEY.slice(15)}</p>`],
    ['pieces in separate cells', `<td>${KEY.slice(0, 15)}</td><td>${KEY.slice(15)}</td>`],
    ['pieces on separate lines', `${KEY.slice(0, 15)}<br>${KEY.slice(15)}`],
    ['too long once joined', `<p>pk_<span>${KEY.slice(3)}</span>0</p>`],
    ['too short once joined', `<p>pk_<span>${KEY.slice(3, 36)}</span></p>`],
    ['a Stripe key split', '<p>pk_<b>live</b>_51HxYzAbCdEfGhIjKlMnOpQrStUvWx</p>'],
    ['a word before pk', `<p>x${KEY.slice(0, 10)}<b>${KEY.slice(10)}</b></p>`],
  ])('not %s', (_name, html) => {
    expect(findSplitKeys(html)).toEqual([]);
  });

  test('line and column map back to the raw page', () => {
    const html = `<html>\n<body>\n  <p>pk_<span>${KEY.slice(3, 9)}</span>${KEY.slice(9)}</p>`;
    expect(findSplitKeys(html)[0]).toMatchObject({ line: 3, column: 6 });
  });

  test('only HTML is read as text: the same markup in a script is code', () => {
    const text = `x = "pk_<span>${KEY.slice(3, 15)}</span>${KEY.slice(15)}"`;
    expect(scanText(text).privateKeys).toEqual([]);
    expect(scanText(text, { html: true }).privateKeys.map((hit) => hit.key)).toEqual([KEY]);
  });

  // A quadratic read would run into the test timeout.
  test('a page with many pk and no markup nearby is read in one pass', () => {
    const html = `${'pk pk_ pk '.repeat(200_000)}<p>${KEY.slice(0, 10)}<b>${KEY.slice(10)}</b></p>`;
    expect(findSplitKeys(html).map((hit) => hit.key)).toEqual([KEY]);
  });
});
