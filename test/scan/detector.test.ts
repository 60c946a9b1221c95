import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import { base64RunsOfBytes, MIN_BASE64 } from '../../src/scan/base64-runs.js';
import {
  createLineLocator,
  findPrivateKeys,
  findPublicKeys,
  isKlaviyoPrivateKey,
  lineAndColumn,
  maySplitKey,
  scanText,
} from '../../src/scan/detector.js';
import { maskKey } from '../../src/scan/redact.js';
import type { KeyContext, KeyEncoding } from '../../src/scan/types.js';
import { MAX_BYTES, wasmBodyFacts } from '../../src/scan/wasm/byte-scan.js';
import { seededStrings } from '../fixtures/pieces.js';

// Made-up keys: random hex, never issued by Klaviyo.
const BODY = 'c553824640cf9d938df817d4e33354cdd9';
const LEGACY = `pk_${BODY}`;
const LEGACY_2 = 'pk_1870dfb77e5c5cccfbfa97dd4fea47df42';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';
const MIXED_CASE = 'pk_gQsERteJP6FDRLpizvDNohAUZq6o2drXQ6';

const base64 = (s: string): string => Buffer.from(s).toString('base64');
const base64url = (s: string): string => Buffer.from(s).toString('base64url');
const jsEscapeAll = (s: string): string =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const percentAll = (s: string): string =>
  [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
const entityAll = (s: string): string => [...s].map((c) => `&#${c.charCodeAt(0)};`).join('');

// Chosen so its base64 has `+`, `/` and `=`: base64url then differs, and %-encoding has work to do.
const trackJson = (token: string): string =>
  JSON.stringify({ token, event: 'Viewed Product', properties: { q: '???>>>~~' } });
const TRACK_B64 = base64(trackJson(LEGACY));
const TRACK_B64URL = base64url(trackJson(LEGACY));
const NESTED_ESCAPED_B64 = base64(`{"token":"pk\\u005f${BODY}","event":"Active on Site"}`);
const DOUBLE_B64 = base64(JSON.stringify({ d: base64(JSON.stringify({ api_key: LEGACY, v: 2 })) }));

interface TrueForm {
  name: string;
  text: string;
  key: string;
  context: KeyContext;
  encoding: KeyEncoding;
  /** Where the written key starts; for base64, the run that holds it. */
  at: string;
}

const TRUE_FORMS: TrueForm[] = [
  {
    name: 'plain in an HTML attribute',
    text: `<div id="kl" data-key="${LEGACY}"></div>`,
    key: LEGACY,
    context: 'other',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'plain in an inline script',
    text: `<script>var privateKey = '${SCOPED}';</script>`,
    key: SCOPED,
    context: 'other',
    encoding: 'plain',
    at: SCOPED,
  },
  {
    name: '__NEXT_DATA__ JSON',
    text: `<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{"klaviyo":{"apiKey":"${SCOPED}"}}}}</script>`,
    key: SCOPED,
    context: 'api_key',
    encoding: 'plain',
    at: SCOPED,
  },
  {
    name: 'an HTML comment',
    text: `<body><!-- old integration, remove ${LEGACY} --></body>`,
    key: LEGACY,
    context: 'other',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a bundled NEXT_PUBLIC_ value',
    text: `var e={NODE_ENV:"production",NEXT_PUBLIC_KLAVIYO_API_KEY:"${LEGACY}"};`,
    key: LEGACY,
    context: 'environment',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a bundled import.meta.env value',
    text: `const k=import.meta.env.VITE_KLAVIYO_KEY??"${LEGACY}";`,
    key: LEGACY,
    context: 'environment',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a process.env fallback',
    text: `const key = process.env.KLAVIYO_PRIVATE_KEY || '${LEGACY}';`,
    key: LEGACY,
    context: 'environment',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'an Authorization header',
    text: `fetch(u,{headers:{Authorization:"Klaviyo-API-Key ${SCOPED}",revision:"2024-10-15"}})`,
    key: SCOPED,
    context: 'authorization',
    encoding: 'plain',
    at: SCOPED,
  },
  {
    name: 'an api_key= URL',
    text: `<img src="https://a.klaviyo.com/api/v2/list/AbC123/members?api_key=${LEGACY}&x=1">`,
    key: LEGACY,
    context: 'api_key',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a company_id= URL',
    text: `<script src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id=${LEGACY}"></script>`,
    key: LEGACY,
    context: 'company_id',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'the onsite path',
    text: `<script src="https://static.klaviyo.com/onsite/js/${LEGACY}/klaviyo.js"></script>`,
    key: LEGACY,
    context: 'company_id',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a klaviyo.init companyId',
    text: `klaviyo.init({ companyId: '${LEGACY}' });`,
    key: LEGACY,
    context: 'company_id',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a _learnq account push',
    text: `var _learnq = _learnq || []; _learnq.push(['account', '${LEGACY}']);`,
    key: LEGACY,
    context: 'account',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a token property',
    text: `klaviyo.identify({token: "${LEGACY}", email: e})`,
    key: LEGACY,
    context: 'token',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a JS string with \\/ around it',
    text: `{"src":"https:\\/\\/static.klaviyo.com\\/onsite\\/js\\/${LEGACY}\\/klaviyo.js"}`,
    key: LEGACY,
    context: 'company_id',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'an escaped = before the key',
    text: String.raw`"\x3cimg src\x3d\x22/x?api_key\x3d${LEGACY}\x22\x3e"`,
    key: LEGACY,
    context: 'api_key',
    encoding: 'plain',
    at: LEGACY,
  },
  {
    name: 'a base64 Track URL',
    text: `<img src="https://a.klaviyo.com/api/track?data=${TRACK_B64}">`,
    key: LEGACY,
    context: 'token',
    encoding: 'base64',
    at: TRACK_B64,
  },
  {
    name: 'a base64url Track URL',
    text: `<img src="https://a.klaviyo.com/api/identify?data=${TRACK_B64URL}">`,
    key: LEGACY,
    context: 'token',
    encoding: 'base64',
    at: TRACK_B64URL,
  },
  {
    name: 'percent-encoded base64',
    text: `https://a.klaviyo.com/api/track?data=${encodeURIComponent(TRACK_B64)}&ip=0`,
    key: LEGACY,
    context: 'token',
    encoding: 'base64',
    at: encodeURIComponent(TRACK_B64),
  },
  {
    name: 'base64 with JSON-escaped slashes',
    text: `{"pixel":"https:\\/\\/a.klaviyo.com\\/api\\/track?data=${TRACK_B64.replaceAll('/', '\\/')}"}`,
    key: LEGACY,
    context: 'token',
    encoding: 'base64',
    at: TRACK_B64.replaceAll('/', '\\/'),
  },
  {
    name: 'base64 in atob()',
    text: `var cfg = JSON.parse(atob("${base64(JSON.stringify({ api_key: SCOPED }))}"));`,
    key: SCOPED,
    context: 'api_key',
    encoding: 'base64',
    at: base64(JSON.stringify({ api_key: SCOPED })),
  },
  {
    name: 'base64 holding js-escapes',
    text: `<div data-kl="${NESTED_ESCAPED_B64}"></div>`,
    key: LEGACY,
    context: 'token',
    encoding: 'base64',
    at: NESTED_ESCAPED_B64,
  },
  {
    name: 'base64 inside base64',
    text: `<div data-state="${DOUBLE_B64}"></div>`,
    key: LEGACY,
    context: 'api_key',
    encoding: 'base64',
    at: DOUBLE_B64,
  },
  {
    name: 'a \\u005f escape',
    text: String.raw`var k = "pk\u005f${BODY}";`,
    key: LEGACY,
    context: 'other',
    encoding: 'js-escape',
    at: 'pk',
  },
  {
    name: 'a \\x5f escape',
    text: String.raw`var k = 'pk\x5f${BODY}';`,
    key: LEGACY,
    context: 'other',
    encoding: 'js-escape',
    at: 'pk',
  },
  {
    name: 'a \\u{5f} escape',
    text: String.raw`headers.Authorization = "Klaviyo-API-Key pk\u{5f}${BODY}";`,
    key: LEGACY,
    context: 'authorization',
    encoding: 'js-escape',
    at: 'pk\\u{5f}',
  },
  {
    name: 'every character \\u-escaped',
    text: `var t = {token: "${jsEscapeAll(SCOPED)}"};`,
    key: SCOPED,
    context: 'token',
    encoding: 'js-escape',
    at: jsEscapeAll(SCOPED),
  },
  {
    name: 'a double-escaped GTM custom HTML tag',
    text: String.raw`{"function":"__html","vtp_html":"\\u003cscript\\u003e_learnq.push([\\u0027account\\u0027, \\u0027pk\\u005f${BODY}\\u0027]);\\u003c\\/script\\u003e"}`,
    key: LEGACY,
    context: 'account',
    encoding: 'js-escape',
    at: 'pk\\\\u005f',
  },
  {
    name: 'a percent-encoded underscore',
    text: `https://shop.example/proxy?api_key=pk%5F${BODY}&list=1`,
    key: LEGACY,
    context: 'api_key',
    encoding: 'url-encoding',
    at: 'pk%5F',
  },
  {
    name: 'a fully percent-encoded key',
    text: `https://shop.example/proxy?company_id=${percentAll(LEGACY)}`,
    key: LEGACY,
    context: 'company_id',
    encoding: 'url-encoding',
    at: percentAll(LEGACY),
  },
  {
    name: 'a decimal HTML entity',
    text: `<input type="hidden" value="pk&#95;${BODY}">`,
    key: LEGACY,
    context: 'other',
    encoding: 'html-entity',
    at: 'pk&#95;',
  },
  {
    name: 'a hex HTML entity',
    text: `<input name="api_key" value="pk&#x5f;${BODY}">`,
    key: LEGACY,
    context: 'api_key',
    encoding: 'html-entity',
    at: 'pk&#x5f;',
  },
  {
    name: 'a named &lowbar; entity',
    text: `<p>token: pk&lowbar;${BODY}</p>`,
    key: LEGACY,
    context: 'token',
    encoding: 'html-entity',
    at: 'pk&lowbar;',
  },
  {
    name: 'a fully entity-encoded key',
    text: `<span>${entityAll(SCOPED)}</span>`,
    key: SCOPED,
    context: 'other',
    encoding: 'html-entity',
    at: entityAll(SCOPED),
  },
];

describe('findPrivateKeys: every written form is found', () => {
  test('the base64 fixtures exercise what they claim to', () => {
    expect(TRACK_B64).toContain('/');
    expect(TRACK_B64).toContain('+');
    expect(TRACK_B64).toMatch(/=$/);
    expect(TRACK_B64URL).toMatch(/[-_]/);
    expect(encodeURIComponent(TRACK_B64)).toMatch(/%2[BF].*%3D$/);
  });

  test.each(TRUE_FORMS)('$name', ({ text, key, context, encoding, at }) => {
    const hits = findPrivateKeys(text);
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit).toMatchObject({ key, context, encoding, confidence: 'high' });
    const start = text.indexOf(at);
    expect(start).toBeGreaterThanOrEqual(0);
    if (encoding === 'base64') {
      // Somewhere inside the base64 run: the group where the encoded key begins.
      expect(hit?.offset).toBeGreaterThanOrEqual(start);
      expect(hit?.offset).toBeLessThan(start + at.length);
    } else {
      expect(hit?.offset).toBe(start);
    }
  });

  test.each(TRUE_FORMS)('$name: the snippet shows the mask, never the key', ({ text, key }) => {
    const [hit] = findPrivateKeys(text);
    const snippet = hit?.snippet ?? '';
    expect(snippet).toContain(maskKey(key));
    for (const leak of [key, key.slice(3), key.slice(-20), base64(key), jsEscapeAll(key), percentAll(key)]) {
      expect(snippet).not.toContain(leak);
    }
    expect(snippet).not.toMatch(/\n/);
    expect(findPrivateKeys(snippet)).toEqual([]);
  });
});

describe('findPrivateKeys: account-scoped keys and confidence', () => {
  test('an account-scoped key names its account', () => {
    const [hit] = findPrivateKeys(`x="${SCOPED}"`);
    expect(hit).toMatchObject({ form: 'account-scoped', accountPublicKey: 'XvCJ7h', confidence: 'high' });
  });

  test('a legacy key has no account', () => {
    const [hit] = findPrivateKeys(`x="${LEGACY}"`);
    expect(hit?.form).toBe('legacy');
    expect(hit).not.toHaveProperty('accountPublicKey');
  });

  test.each([
    ['lowercase hex, no context', `x="${LEGACY}"`, 'high'],
    ['mixed case, no context', `x="${MIXED_CASE}"`, 'medium'],
    ['mixed case, in an Authorization header', `Authorization: "Klaviyo-API-Key ${MIXED_CASE}"`, 'high'],
    ['mixed case, as company_id', `?company_id=${MIXED_CASE}`, 'high'],
  ])('%s → %s', (_name, text, confidence) => {
    expect(findPrivateKeys(text).map((h) => h.confidence)).toEqual([confidence]);
  });
});

describe('findPrivateKeys: things that are not Klaviyo private keys', () => {
  const alnum =
    'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zAbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ0123';
  const hex = (n: number): string => '0123456789abcdef'.repeat(8).slice(0, n);
  test.each([
    ['Stripe live, 24 chars', `Stripe("pk_live_${alnum.slice(0, 24)}")`],
    ['Stripe live, 34 chars', `Stripe("pk_live_${alnum.slice(0, 34)}")`],
    ['Stripe test, 99 chars', `Stripe("pk_test_${alnum.slice(0, 99)}")`],
    ['Stripe test, 34 hex', `{"publishableKey":"pk_test_${hex(34)}"}`],
    ['Clerk test', 'window.__clerk_publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS1zaG9wLmFjY291bnRzLmRldiQ"'],
    ['Clerk live', 'data-clerk-publishable-key="pk_live_Y2xlcmsuc2hvcC5leGFtcGxlLmNvbSQ"'],
    ['Paystack, 40 hex', `PaystackPop.setup({ key: 'pk_live_${hex(40)}' })`],
    ['PayMongo', `new PayMongo({apiKey:"pk_live_${alnum.slice(0, 28)}"})`],
    [
      'Mapbox',
      'mapboxgl.accessToken="pk.eyJ1IjoiZXhhbXBsZSIsImEiOiJja2V4YW1wbGUwMDAwMDAwMDAwMDAwMDAwIn0.aBcDeFgHiJkLmNoPqRsTuV"',
    ],
    ['LocationIQ', `?key=pk.${hex(32)}&q=Berlin`],
    ['ClickUp', `Authorization: pk_12345678_${alnum.toUpperCase().slice(0, 32)}`],
    ['ClickUp, 7 digits', `"token": "pk_1234567_${alnum.toUpperCase().slice(0, 32)}"`],
    ['Courier', `courier.init({clientKey:"pk_prod_${alnum.toUpperCase().slice(0, 30)}"})`],
    ['Checio, 45 lowercase alnum', `api_key=pk_${alnum.toLowerCase().slice(0, 45)}`],
    ['the bare word in prose', '<p>Private keys start with pk_ and are secret.</p>'],
    [
      'a Stripe key inside base64 Track data',
      `?data=${base64(JSON.stringify({ token: `pk_live_${alnum.slice(0, 34)}` }))}`,
    ],
  ])('%s: neither a key nor a placeholder', (_name, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
    expect(scanText(text, { html: true })).toMatchObject({ privateKeys: [], placeholders: [] });
  });

  test.each([
    ['pk_ then the alphabet', 'var pk_abcdefghijklmnopqrstuvwxyzABCDEFGH = 1;'],
    ['pk_ then 34 digits', `x = "pk_${'1234567890'.repeat(4).slice(0, 34)}";`],
  ])('%s: a placeholder at most', (_name, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
    expect(scanText(text).privateKeys).toEqual([]);
  });
});

describe('findPrivateKeys: near misses', () => {
  const hex35 = `${BODY}a`;
  test.each([
    ['legacy with 33 characters', `"pk_${BODY.slice(0, 33)}"`],
    ['legacy with 35 characters', `"pk_${hex35}"`],
    ['account-scoped with 33 hex', `"pk_XvCJ7h_${BODY.slice(0, 33)}"`],
    ['account-scoped with 35 hex', `"pk_XvCJ7h_${hex35}"`],
    ['account-scoped with upper-case hex', `"pk_XvCJ7h_${BODY.toUpperCase()}"`],
    ['account-scoped with a 5-character account', `"pk_XvCJ7_${BODY}"`],
    ['account-scoped with a 7-character account', `"pk_XvCJ7hh_${BODY}"`],
    ['a word character before pk', `"xpk_${BODY}"`],
    ['an underscore before pk', `"_pk_${BODY}"`],
    ['an underscore after the key', `"${LEGACY}_old"`],
    ['an escaped letter after the key', String.raw`"${LEGACY}\x61"`],
    ['an escaped letter before the key', String.raw`"\x61${LEGACY}"`],
    ['percent-encoded with 35 characters', `?k=pk%5F${hex35}`],
    ['entity-encoded with 33 characters', `pk&#95;${BODY.slice(0, 33)}`],
    ['base64 of a 35-character key', `?data=${base64(JSON.stringify({ token: `pk_${hex35}` }))}`],
  ])('%s', (_name, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
  });
});

describe('isKlaviyoPrivateKey', () => {
  test.each([
    [LEGACY, true],
    [SCOPED, true],
    [MIXED_CASE, true],
    [` ${LEGACY}`, false],
    [`${LEGACY} `, false],
    [LEGACY.slice(0, -1), false],
    [`${LEGACY}0`, false],
    ['pk_live_0123456789abcdef0123456789abcd', false],
    ['pk_abcdefghijklmnopqrstuvwxyzABCDEFGH', false],
    ['pk_', false],
  ])('%s → %s', (s, expected) => {
    expect(isKlaviyoPrivateKey(s)).toBe(expected);
  });
});

describe('findPrivateKeys: repeats and duplicates', () => {
  test('the same key twice gives two hits at two offsets', () => {
    const text = `a="${LEGACY}";b="${LEGACY}";`;
    const hits = findPrivateKeys(text);
    expect(hits.map((h) => h.offset)).toEqual([3, text.lastIndexOf(LEGACY)]);
    expect(hits.every((h) => h.key === LEGACY)).toBe(true);
  });

  test('a plain key is not counted again by a decoder', () => {
    const text = `x="${LEGACY}" <img src="https://a.klaviyo.com/api/track?data=${TRACK_B64}">`;
    const hits = findPrivateKeys(text);
    expect(hits.map((h) => h.encoding)).toEqual(['plain', 'base64']);
  });

  test('a key inside a long base64-looking path is reported once, as plain', () => {
    const text = `<script src="/assets/chunks/${SCOPED}/main-4f3a2b1c9d8e7f6a.js"></script>`;
    expect(findPrivateKeys(text).map((h) => [h.key, h.encoding])).toEqual([[SCOPED, 'plain']]);
  });

  test('different keys come back sorted by offset', () => {
    const text = `pk&#95;${BODY} ${SCOPED} ${jsEscapeAll(LEGACY_2)}`;
    expect(findPrivateKeys(text).map((h) => [h.key, h.encoding])).toEqual([
      [LEGACY, 'html-entity'],
      [SCOPED, 'plain'],
      [LEGACY_2, 'js-escape'],
    ]);
  });

  test('keys at the very start and end of the text are found', () => {
    expect(findPrivateKeys(LEGACY).map((h) => h.offset)).toEqual([0]);
    expect(findPrivateKeys(`${LEGACY},${LEGACY_2}`).map((h) => h.key)).toEqual([LEGACY, LEGACY_2]);
  });
});

describe('findPrivateKeys: snippets', () => {
  test('a neighbouring key is masked even when the snippet edge cuts through it', () => {
    // LEGACY_2 ends 10 characters before LEGACY, so a 40-character window starts inside it.
    const text = `${LEGACY_2}&x=1&y=${LEGACY}`;
    const hit = findPrivateKeys(text).find((h) => h.key === LEGACY);
    expect(hit?.snippet).not.toContain(LEGACY_2.slice(-20));
    expect(hit?.snippet).not.toContain(LEGACY_2.slice(3, 23));
  });

  test('a neighbouring encoded key is shown decoded and masked', () => {
    const text = `a="${LEGACY}" b="${jsEscapeAll(LEGACY_2)}"`;
    const hit = findPrivateKeys(text).find((h) => h.key === LEGACY);
    expect(hit?.snippet).toBe(`a="${maskKey(LEGACY)}" b="${maskKey(LEGACY_2)}"`);
  });

  test('newlines are collapsed to spaces', () => {
    const [hit] = findPrivateKeys(`const k =\n  "${LEGACY}"\n;`);
    expect(hit?.snippet).toBe(`const k = "${maskKey(LEGACY)}" ;`);
  });

  test('a base64 hit is shown from the decoded text', () => {
    const [hit] = findPrivateKeys(`?data=${TRACK_B64}`);
    expect(hit?.snippet).toContain(`{"token":"${maskKey(LEGACY)}","event":"Viewed Product"`);
  });
});

describe('line and column', () => {
  const text = [
    '<!doctype html>',
    '  <script>',
    `    var a = "${LEGACY}";`,
    '  </script>',
    `<a href="?api_key=pk%5F${LEGACY_2.slice(3)}">x</a>`,
  ].join('\n');

  test('hits carry 1-based line and column', () => {
    const hits = findPrivateKeys(text);
    expect(hits.map((h) => [h.key, h.line, h.column])).toEqual([
      [LEGACY, 3, 14],
      [LEGACY_2, 5, 19],
    ]);
  });

  test('CRLF line ends give the same lines and columns', () => {
    const hits = findPrivateKeys(text.replaceAll('\n', '\r\n'));
    expect(hits.map((h) => [h.line, h.column])).toEqual([
      [3, 14],
      [5, 19],
    ]);
  });

  test.each([
    [0, 1, 1],
    [14, 1, 15],
    [15, 1, 16],
    [16, 2, 1],
    [text.indexOf('var'), 3, 5],
    [text.length, 5, text.length - text.lastIndexOf('\n')],
  ])('offset %i is line %i, column %i', (offset, line, column) => {
    expect(lineAndColumn(text, offset)).toEqual({ line, column });
    expect(createLineLocator(text)(offset)).toEqual({ line, column });
  });
});

describe('findPublicKeys', () => {
  const trackData = base64(JSON.stringify({ token: 'Ts9kQ2', event: 'Viewed Product', properties: {} }));
  test.each([
    [
      'company_id in a script URL',
      '<script src="//static.klaviyo.com/onsite/js/klaviyo.js?company_id=AbC123"></script>',
      'AbC123',
      'company_id',
    ],
    [
      'company_id in an API URL',
      'https://a.klaviyo.com/client/subscriptions/?company_id=LZSJR7&revision=1',
      'LZSJR7',
      'company_id',
    ],
    ['company_id as JSON', '{"company_id":"XvCJDh","x":1}', 'XvCJDh', 'company_id'],
    ['company_id as an object property', "{ company_id: 'XvCJDh' }", 'XvCJDh', 'company_id'],
    ['companyId in klaviyo.init', "klaviyo.init({ companyId: 'Qw3rTy' })", 'Qw3rTy', 'company_id'],
    [
      'the onsite path',
      '<script src="https://static.klaviyo.com/onsite/js/AbC123/klaviyo.js"></script>',
      'AbC123',
      'onsite-path',
    ],
    [
      'the onsite path, JSON-escaped',
      '"https:\\/\\/static.klaviyo.com\\/onsite\\/js\\/AbC123\\/klaviyo.js"',
      'AbC123',
      'onsite-path',
    ],
    ['a _learnq account push', "_learnq.push(['account', 'AbC123']);", 'AbC123', 'account'],
    ['a klaviyo account push', 'klaviyo.push(["account","AbC123"]);', 'AbC123', 'account'],
    ['base64 Track data', `https://a.klaviyo.com/api/track?data=${trackData}`, 'Ts9kQ2', 'token'],
    [
      'percent-encoded Track data',
      `?u=https%3A%2F%2Fa.klaviyo.com%2Fapi%2Ftrack%3Fdata%3D${encodeURIComponent(trackData)}`,
      'Ts9kQ2',
      'token',
    ],
  ])('%s', (_name, text, key, via) => {
    const hits = findPublicKeys(text);
    expect(hits.map((h) => [h.key, h.via])).toEqual([[key, via]]);
    if (via !== 'token') expect(text.slice(hits[0]?.offset, (hits[0]?.offset ?? 0) + 6)).toBe(key);
  });

  test.each([
    ['a private key where the site ID goes', `?company_id=${LEGACY}`],
    ['an account-scoped key where the site ID goes', `_learnq.push(['account', '${SCOPED}'])`],
    ['seven characters', '?company_id=AbC1234'],
    ['five characters', '?company_id=AbC12&x=1'],
    ['a bare token outside Track data', '{"token":"AbC123"}'],
  ])('not: %s', (_name, text) => {
    expect(findPublicKeys(text)).toEqual([]);
  });

  test('every use is listed, in order, with line and column', () => {
    const text = `<script src="?company_id=AbC123"></script>\n<script>_learnq.push(['account', 'AbC123'])</script>`;
    expect(findPublicKeys(text).map((h) => [h.key, h.via, h.line, h.column])).toEqual([
      ['AbC123', 'company_id', 1, 26],
      ['AbC123', 'account', 2, 35],
    ]);
  });
});

// Timings live in `npm run bench`; these check that pathological inputs finish with the right answer.
describe('large and pathological inputs', () => {
  // Deterministic filler that looks like minified code: identifiers, strings, escapes, URLs, base64.
  const chunk = [
    'function(e,t){var n=e.length,r=[];for(var i=0;i<n;i++)r.push(t(e[i],"data-"+i));return r}',
    'var o="\\u003cdiv class=\\"x\\"\\u003e",a=encodeURIComponent("a b&c%2Fd"),s="&amp;&#x27;";',
    'u.src="https://cdn.example.com/assets/app-4f3a2b1c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a.js";',
    `font:url(data:font/woff2;base64,${base64('x'.repeat(600) + 'glyphs'.repeat(50))});`,
    'Cannot_find_module_0_Did_you_mean_to_set_the_moduleResolution_option_to_nodenext_1;',
    'pk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz;',
  ].join('');
  const fiveMb = chunk.repeat(Math.ceil(5_000_000 / chunk.length));

  test('a 5 MB minified script without keys', () => {
    expect(findPrivateKeys(fiveMb)).toEqual([]);
    expect(findPublicKeys(fiveMb)).toEqual([]);
  });

  test.each([
    ['a long run of backslashes', '\\'.repeat(300_000)],
    ['a long run of percent signs and entities', `${'%'.repeat(200_000)}${'&#'.repeat(100_000)}`],
    ['one huge base64 blob', base64('{"a":1}'.repeat(400_000))],
    ['many Stripe keys', 'pk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123,'.repeat(20_000)],
    ['many escaped underscores', 'pk\\u005f,'.repeat(100_000)],
  ])('%s finds nothing', (_name, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
  });

  test('a key at the end of a huge base64 blob is still found', () => {
    const blob = base64(`${'{"a":1}'.repeat(100_000)}{"token":"${LEGACY}"}`);
    const hits = findPrivateKeys(`data-x="${blob}"`);
    expect(hits.map((h) => [h.key, h.encoding, h.context])).toEqual([[LEGACY, 'base64', 'token']]);
  });
});

// Shapes other secret scanners test their Klaviyo rules on (gitleaks- and trufflehog-style vectors),
// written here from their descriptions; every key is random hex.
describe('other scanners’ test vectors', () => {
  const HEX = 'a3f9c2e17b4d6058e9f1c3a7d2b5e8f04c';
  test.each([
    ['an .env line', `KLAVIYO_API_KEY=pk_${HEX}`, 'api_key'],
    ['YAML', `klaviyo:\n  private_api_key: "pk_${HEX}"`, 'api_key'],
    [
      'a curl command',
      `curl -H "Authorization: Klaviyo-API-Key pk_${HEX}" https://a.klaviyo.com/api/lists/`,
      'authorization',
    ],
    ['a retired v2 URL', `https://a.klaviyo.com/api/v2/lists?api_key=pk_${HEX}`, 'api_key'],
    ['JSON config', `{"klaviyo":{"privateKey":"pk_${HEX}"}}`, 'other'],
    ['followed by a full stop', `The key is pk_${HEX}.`, 'other'],
    ['Python', `klaviyo = KlaviyoAPI("pk_${HEX}", max_delay=60)`, 'other'],
  ] as const)('%s is found', (_name, text, context) => {
    expect(findPrivateKeys(text).map((hit) => [hit.key, hit.context])).toEqual([[`pk_${HEX}`, context]]);
  });

  test.each([
    ['a dash instead of the underscore', `pk-${HEX}`],
    ['upper-case prefix', `PK_${HEX}`],
    ['a secret-key prefix of another vendor', `sk_${HEX}`],
    ['Stripe test key of 34 hex', `pk_test_${HEX}`],
    ['one character more', `pk_${HEX}0`],
    ['glued to a word', `apipk_${HEX}`],
    ['a UUID-shaped id', 'pk_3f9c2e17-7b4d-6058-e9f1-c3a7d2b5e8f0'],
    ['inside a longer token', `eyJhbGciOiJIUzI1NiJ9pk_${HEX}`],
  ])('%s is not a Klaviyo key', (_name, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
  });
});

describe('searches that skip ahead find what a plain search finds', () => {
  // A run filter that keeps every run (each is longer than 0), so the WebAssembly pass gives them all.
  const EVERY_RUN = { longRun: 0, pairs: new Uint8Array((128 * 128) / 8) };
  const startsAndEnds = (marked: Int32Array) => [...marked].filter((_, i) => i % 3 !== 2);

  test('base64 runs read from the bytes are the runs of the byte text', () => {
    const RUN = /[A-Za-z0-9+/_%\\-]{40,}/g;
    const runParts = ['A'.repeat(13), 'Zz09'.repeat(3), 'b9+/', '_-', '%2B', '\\/', 'x', 'Q'];
    const parts = [...runParts, ...runParts, ' ', '"', '.', '\n', '\u00e9', '\u00ff', '='];
    let withRuns = 0;
    // Up to 60 pieces: runs cross several of the WebAssembly pass's 16-byte blocks, at every alignment.
    for (const text of [...seededStrings(11, parts, 3_000, 14), ...seededStrings(12, parts, 1_000, 60)]) {
      const expected = [...text.matchAll(RUN)].flatMap((m) => [m.index, m.index + m[0].length]);
      const bytes = Buffer.from(text, 'latin1');
      const wasm = wasmBodyFacts(bytes, MIN_BASE64, [], EVERY_RUN)?.runs;
      expect(wasm).toBeDefined();
      expect(startsAndEnds(wasm ?? new Int32Array()), JSON.stringify(text)).toEqual(expected);
      expect([...base64RunsOfBytes(bytes)], JSON.stringify(text)).toEqual(expected);
      if (expected.length > 0) withRuns++;
    }
    // Most strings hold no run, many hold one: both ways are compared.
    expect(withRuns).toBeGreaterThan(500);
  });

  test('base64 runs of bodies that grow the WebAssembly memory, or are too large for it', () => {
    const RUN = /[A-Za-z0-9+/_%\\-]{40,}/g;
    const parts = ['A'.repeat(45), 'Zz09'.repeat(9), ' ', '"', '\u00e9', '.', 'x'.repeat(20)];
    for (const size of [1 << 20, MAX_BYTES, MAX_BYTES + 1]) {
      let text = '';
      for (let seed = 1; text.length < size; seed++) text += seededStrings(seed, parts, 10_000, 1).join('');
      const bytes = Buffer.from(text.slice(0, size), 'latin1');
      const expected = [...bytes.toString('latin1').matchAll(RUN)].flatMap((m) => [
        m.index,
        m.index + m[0].length,
      ]);
      const wasm = wasmBodyFacts(bytes, MIN_BASE64, [], EVERY_RUN)?.runs;
      expect(wasm === undefined).toBe(size > MAX_BYTES);
      if (wasm !== undefined) expect(startsAndEnds(wasm)).toEqual(expected);
      expect([...base64RunsOfBytes(bytes)]).toEqual(expected);
    }
  });

  test('a pk that may start a split key is seen wherever it is', () => {
    const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
    // A word-start `pk` with markup within three times a key check's 45 characters (in bytes) after it.
    const expected = (text: string) => {
      for (let i = text.indexOf('pk'); i !== -1; i = text.indexOf('pk', i + 1)) {
        const tag = text.indexOf('<', i);
        if (tag !== -1 && tag - i <= 3 * 45 && !isWord(text[i - 1])) return true;
      }
      return false;
    };
    const parts = ['pk', 'pk_', 'k', 'p', 'xpk', ' ', '<b>', 'a'.repeat(37), 'b'.repeat(11), '-'];
    let positive = 0;
    for (const text of seededStrings(5, parts, 3_000, 16)) {
      expect(maySplitKey(text), JSON.stringify(text)).toBe(expected(text));
      if (expected(text)) positive++;
    }
    expect(positive).toBeGreaterThan(300);
  });
});
