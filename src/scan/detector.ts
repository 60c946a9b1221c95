import { Buffer } from 'node:buffer';
import { forEachMatchAt, positionsOf } from './anchored.js';
import {
  BASE64_CHUNK,
  base64Runs,
  MIN_BASE64,
  PK_BASE64_SIGNATURES,
  PK_OR_NESTED_SIGNATURES,
} from './base64-runs.js';
import type { MarkedRuns } from './body-facts.js';
import { placeholderReason, standInReason } from './placeholders.js';
import { maskKey, redactKeysInText } from './redact.js';
import type { Confidence, KeyContext, KeyEncoding, KeyForm, KeyHit, PublicKeyHit } from './types.js';

/**
 * A Klaviyo private key. Account-scoped: `pk_` + the 6-character public key + `_` + 34 lowercase hex
 * (groups 1 and 2). Legacy: `pk_` + 34 alphanumerics with at least one digit and one letter (group 3),
 * so identifiers such as `pk_someVeryLongCamelCaseName…` are not taken for keys. The character after
 * the key must not continue it; the character before `pk` is checked by the caller, because in
 * escaped text it can be the tail of an escape sequence (`\x3dpk_…` is `=pk_…`).
 */
export const PRIVATE_KEY_PATTERN =
  /pk_(?:([A-Za-z0-9]{6})_([0-9a-f]{34})|(?=[A-Za-z0-9]{0,33}[0-9])(?=[A-Za-z0-9]{0,33}[A-Za-z])([A-Za-z0-9]{34}))(?![A-Za-z0-9_])/;

/**
 * Anything in a key's place: the keys of PRIVATE_KEY_PATTERN, and strings of their length that no
 * issued key could be (letters only, digits only, an account-scoped body that is not hex, underscores
 * inside), which are kept only when they are plainly placeholders (`pk_xxxx…`, `pk_your_private_key…`).
 * Groups 1 and 2: account-scoped; group 3: legacy.
 */
const KEY_SHAPE = /pk_(?:([A-Za-z0-9]{6})_([A-Za-z0-9]{34})|([A-Za-z0-9_]{34}))(?![A-Za-z0-9_])/;

const WHOLE_KEY = new RegExp(`^(?:${PRIVATE_KEY_PATTERN.source})$`);
// Tried at one place: each `pk_` of the plain search (anchored.ts, which sets lastIndex before every
// try, so verifyCandidate may use it in between), and each candidate verifyCandidate judges.
const KEY_STICKY = new RegExp(KEY_SHAPE.source, 'y');
const LOWER_HEX_34 = /^[0-9a-f]{34}$/;

/** Whether the whole string is a Klaviyo private key in either form. */
export function isKlaviyoPrivateKey(s: string): boolean {
  return WHOLE_KEY.test(s);
}

// ---------------------------------------------------------------------------------------------
// Lines and columns

export interface LineColumn {
  line: number;
  column: number;
}

/**
 * Returns a function that turns offsets into 1-based line and column. Newline positions are collected
 * once, on first use, so many lookups in a large text stay cheap.
 */
export function createLineLocator(text: string): (offset: number) => LineColumn {
  let lineStarts: number[] | undefined;
  return (offset) => {
    if (lineStarts === undefined) {
      lineStarts = [0];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] as number) + 1 };
  };
}

/** 1-based line and column of one offset. For many offsets in one text use `createLineLocator`. */
export function lineAndColumn(text: string, offset: number): LineColumn {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

// ---------------------------------------------------------------------------------------------
// Decoding escaped text, one small window at a time

const KIND_PLAIN = 0;
const KIND_JS = 1;
const KIND_URL = 2;
const KIND_HTML = 3;
const KIND_ENCODING: readonly KeyEncoding[] = ['plain', 'js-escape', 'url-encoding', 'html-entity'];

/** Text with escapes resolved; `at[i]` is where decoded unit i starts in the raw text. */
interface DecodedText {
  text: string;
  at: number[];
  kinds: number[];
}

interface EscapeToken {
  value: string;
  end: number;
  kind: number;
}

// `(?=(\\+))\1` takes the whole backslash run without backtracking into it. Any number of
// backslashes: `\\u005f` is a JSON escape inside a JS string (Google Tag Manager containers).
const JS_ESCAPE = /(?=(\\+))\1(?:u\{0*([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([/"'nrt]))/y;
const URL_ESCAPE = /%(?:u([0-9a-fA-F]{4})|([0-9a-fA-F]{2}))/y;
const HTML_ESCAPE =
  /&(?:#[xX]0*([0-9a-fA-F]{1,6})(?:;|(?![0-9a-fA-F]))|#0*([0-9]{1,7})(?:;|(?![0-9]))|(amp|quot|apos|lt|gt|lowbar|UnderBar|sol|colon|equals|nbsp);)/y;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  lowbar: '_',
  UnderBar: '_',
  sol: '/',
  colon: ':',
  equals: '=',
  nbsp: ' ',
};
const SIMPLE_JS_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

function fromCodePoint(hex: string | undefined, decimal?: string): string | undefined {
  const code = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(decimal ?? '', 10);
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Reads one JS, URL or HTML escape starting at `i`, if there is one. */
function readEscape(raw: string, i: number): EscapeToken | undefined {
  const c = raw.charCodeAt(i);
  if (c === 0x5c) {
    JS_ESCAPE.lastIndex = i;
    const m = JS_ESCAPE.exec(raw);
    if (m === null) return undefined;
    const simple = m[5];
    const value =
      simple !== undefined ? (SIMPLE_JS_ESCAPES[simple] ?? simple) : fromCodePoint(m[2] ?? m[3] ?? m[4]);
    return value === undefined ? undefined : { value, end: JS_ESCAPE.lastIndex, kind: KIND_JS };
  }
  if (c === 0x25) {
    URL_ESCAPE.lastIndex = i;
    const m = URL_ESCAPE.exec(raw);
    if (m === null) return undefined;
    const value = fromCodePoint(m[1] ?? m[2]);
    return value === undefined ? undefined : { value, end: URL_ESCAPE.lastIndex, kind: KIND_URL };
  }
  if (c === 0x26) {
    HTML_ESCAPE.lastIndex = i;
    const m = HTML_ESCAPE.exec(raw);
    if (m === null) return undefined;
    const value = m[3] !== undefined ? NAMED_ENTITIES[m[3]] : fromCodePoint(m[1], m[2]);
    return value === undefined ? undefined : { value, end: HTML_ESCAPE.lastIndex, kind: KIND_HTML };
  }
  return undefined;
}

function backslashRunEnd(raw: string, i: number): number {
  let j = i;
  while (raw.charCodeAt(j) === 0x5c) j++;
  return j;
}

function decodeWindow(
  raw: string,
  start: number,
  end: number,
  maxUnits = Number.POSITIVE_INFINITY,
): DecodedText {
  const parts: string[] = [];
  const at: number[] = [];
  const kinds: number[] = [];
  let i = start;
  while (i < end && at.length < maxUnits) {
    const c = raw.charCodeAt(i);
    const token = c === 0x5c || c === 0x25 || c === 0x26 ? readEscape(raw, i) : undefined;
    if (token === undefined || token.end > end) {
      // A backslash run that starts no escape is kept whole, so it is not rescanned from each backslash.
      const plainEnd = c === 0x5c ? Math.min(end, backslashRunEnd(raw, i)) : i + 1;
      for (; i < plainEnd; i++) {
        parts.push(raw[i] as string);
        at.push(i);
        kinds.push(KIND_PLAIN);
      }
      continue;
    }
    // An astral code point is two UTF-16 units; both map to the escape's start.
    for (let u = 0; u < token.value.length; u++) {
      at.push(i);
      kinds.push(token.kind);
    }
    parts.push(token.value);
    i = token.end;
  }
  return { text: parts.join(''), at, kinds };
}

/** The decoded unit that starts at `rawOffset`, or -1 when that offset is inside an escape. */
function indexOfRaw(at: readonly number[], rawOffset: number): number {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((at[mid] as number) < rawOffset) lo = mid + 1;
    else hi = mid;
  }
  return at[lo] === rawOffset ? lo : -1;
}

// ---------------------------------------------------------------------------------------------
// Context and snippet

const CONTEXT_LOOKBACK = 80;
const SNIPPET_SIDE = 40;
// Redact a wider stretch than is shown, so a key cut by the snippet's edge is masked before the cut.
const SNIPPET_REDACT_SPAN = 100;

// Ordered: on a tie (same end position) the earlier signal wins, so `NEXT_PUBLIC_KLAVIYO_API_KEY`
// is `environment` rather than `api_key`, and `Klaviyo-API-Key` is `authorization`.
const CONTEXT_SIGNALS: ReadonlyArray<readonly [KeyContext, RegExp]> = [
  [
    'environment',
    /\b(?:NEXT_PUBLIC|VITE|REACT_APP|GATSBY|NUXT)_\w*|\bprocess\.env\b(?:\.\w+)?|\bimport\.meta\.env\b(?:\.\w+)?/g,
  ],
  ['authorization', /authorization|klaviyo-api-key/gi],
  ['company_id', /company_?id|\/onsite\/js\//gi],
  ['token', /(?<![A-Za-z0-9])token(?![A-Za-z0-9])/gi],
  ['account', /(?<![A-Za-z0-9_])account(?=\\*['"]?\s*[:,])/gi],
  ['api_key', /api[_-]?key/gi],
];

function contextBefore(text: string, keyStart: number): KeyContext {
  let before = text.slice(Math.max(0, keyStart - CONTEXT_LOOKBACK), keyStart);
  // A signal that belongs to an earlier key is not this key's context.
  const previousKey = before.lastIndexOf('pk_');
  if (previousKey !== -1) before = before.slice(previousKey + 3);
  let best: KeyContext = 'other';
  let bestEnd = -1;
  for (const [context, signal] of CONTEXT_SIGNALS) {
    for (const m of before.matchAll(signal)) {
      const end = m.index + m[0].length;
      if (end > bestEnd) {
        bestEnd = end;
        best = context;
      }
    }
  }
  return best;
}

function tidy(text: string): string {
  return text.replace(/[\s\x00-\x1f\x7f]+/g, ' ');
}

function snippetAround(text: string, start: number, end: number, key: string): string {
  const before = redactKeysInText(text.slice(Math.max(0, start - SNIPPET_REDACT_SPAN), start));
  const after = redactKeysInText(text.slice(end, end + SNIPPET_REDACT_SPAN));
  const shown = `${before.slice(-SNIPPET_SIDE)}${maskKey(key)}${after.slice(0, SNIPPET_SIDE)}`;
  return tidy(shown).trim();
}

// ---------------------------------------------------------------------------------------------
// Private keys

/** A hit before line and column are known; offsets are relative to the text being scanned. */
interface LevelHit {
  key: string;
  form: KeyForm;
  accountPublicKey?: string;
  offset: number;
  context: KeyContext;
  encoding: KeyEncoding;
  confidence: Confidence;
  snippet: string;
  placeholder?: string;
}

type Emit = (hit: LevelHit) => void;

type KeyShape = Pick<LevelHit, 'form' | 'accountPublicKey' | 'placeholder'>;

/**
 * What a KEY_SHAPE match is; undefined when it is neither a key nor a placeholder (an identifier).
 * Needs only the match, so a page full of identifiers costs no decoding around each.
 */
function readKeyShape(m: RegExpExecArray): KeyShape | undefined {
  const key = m[0];
  const accountPublicKey = m[1];
  const issued = WHOLE_KEY.test(key);
  const placeholder = issued ? placeholderReason(key) : standInReason(key, accountPublicKey !== undefined);
  if (!issued && placeholder === undefined) return undefined;
  return {
    form: accountPublicKey === undefined ? 'legacy' : 'account-scoped',
    ...(accountPublicKey === undefined ? {} : { accountPublicKey }),
    ...(placeholder === undefined ? {} : { placeholder }),
  };
}

function confidenceOf(m: RegExpExecArray, shape: KeyShape, context: KeyContext): Confidence {
  if (shape.placeholder !== undefined) return 'low';
  const legacyBody = m[3];
  return legacyBody === undefined || LOWER_HEX_34.test(legacyBody) || context !== 'other' ? 'high' : 'medium';
}

/** Enough raw text around a candidate for a fully escaped key plus its context and snippet. */
const WINDOW = 800;
const MAX_BASE64_DEPTH = 2;
// The longest key (44 characters) and the character after it.
const KEY_CHECK_UNITS = 45;
// Raw length of the longest single-character escape worth reading back for the boundary check.
const LONGEST_ESCAPE = 16;

function isWordCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** One written form of a character: a JS escape (any backslashes), %XX, or a numeric HTML entity. */
function encodedCharPattern(ch: string): string {
  const code = ch.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  return `(?:(?<!\\\\)\\\\+(?:x${hex}|u00${hex}|u\\{0*${hex}\\})|%${hex}|&#(?:0*${code}|x0*${hex});?)`;
}

const ENC_P = encodedCharPattern('p');
const ENC_K = encodedCharPattern('k');
const ENC_U = `(?:${encodedCharPattern('_')}|&lowbar;|&UnderBar;)`;
// A `pk_` in which at least one of the three characters is escaped (plain ones are found by
// the plain search). Case-insensitive for hex digits; the decoded window is checked case-sensitively.
const ENCODED_PREFIX = new RegExp(
  `${ENC_P}(?:k|${ENC_K})(?:_|${ENC_U})|p(?:${ENC_K}(?:_|${ENC_U})|k${ENC_U})`,
  'gi',
);

const ENCODED_PREFIX_AT = new RegExp(ENCODED_PREFIX.source, 'iy');

function isPCode(c: number): boolean {
  return c === 0x70 || c === 0x50;
}

/** Whether an escaped `p` may start at `i`, an escape character: `\x70` or `\u…`, `%70`, `&#…`. */
function mayStartEncodedP(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x25) return text.charCodeAt(i + 1) === 0x37;
  if (c === 0x26) return text.charCodeAt(i + 1) === 0x23;
  const after = text.charCodeAt(backslashRunEnd(text, i)) | 0x20;
  return after === 0x78 || after === 0x75;
}

/**
 * Calls `visit` with the start of every match of ENCODED_PREFIX, as its global search would find
 * them, at a fraction of its cost. Every match has an escape character (`\`, `%`, `&`) at its start,
 * or one or two characters in after `p` or `pk`; so only those places are tried, with a sticky copy.
 */
function forEachEncodedPrefix(text: string, visit: (index: number) => void): void {
  const starts: number[] = [];
  for (const escapeChar of ['\\', '%', '&']) {
    for (let e = text.indexOf(escapeChar); e !== -1; e = text.indexOf(escapeChar, e + 1)) {
      // Only the first backslash of a run starts an escape: the pattern looks behind for another.
      if (text.charCodeAt(e - 1) === 0x5c) continue;
      if (mayStartEncodedP(text, e)) starts.push(e);
      const before = text.charCodeAt(e - 1);
      if (isPCode(before)) starts.push(e - 1);
      else if ((before | 0x20) === 0x6b && isPCode(text.charCodeAt(e - 2))) starts.push(e - 2);
    }
  }
  if (starts.length === 0) return;
  starts.sort((a, b) => a - b);
  let end = 0;
  for (const start of starts) {
    if (start < end) continue;
    ENCODED_PREFIX_AT.lastIndex = start;
    const m = ENCODED_PREFIX_AT.exec(text);
    if (m === null) continue;
    end = start + m[0].length;
    visit(start);
  }
}

/**
 * Placeholders read in full per text: documentation shows a handful, and each costs the decoding
 * around it, so a file of thousands is read only this far. Reset by `privateKeysIn` for each text (the
 * scan of one text runs to its end before another starts); `findSplitKeys` keeps its own count.
 */
const MAX_PLACEHOLDERS_PER_TEXT = 1_000;
let placeholdersLeft = MAX_PLACEHOLDERS_PER_TEXT;

function isEscapeCode(c: number): boolean {
  return c === 0x5c || c === 0x25 || c === 0x26;
}

function verifyCandidate(text: string, candidate: number, emit: Emit): void {
  // A plain match is judged as it stands, unless an escape right after it continues it: an identifier
  // (neither key nor placeholder), or a placeholder past the limit, needs nothing decoded.
  KEY_STICKY.lastIndex = candidate;
  const plain = KEY_STICKY.exec(text);
  if (plain !== null && !isEscapeCode(text.charCodeAt(KEY_STICKY.lastIndex))) {
    const shape = readKeyShape(plain);
    if (shape === undefined || (shape.placeholder !== undefined && placeholdersLeft <= 0)) return;
  }
  // Cheap checks first, on just enough decoded text: most candidates are not keys.
  const ahead = decodeWindow(text, candidate, Math.min(text.length, candidate + WINDOW), KEY_CHECK_UNITS);
  KEY_STICKY.lastIndex = 0;
  const m = KEY_STICKY.exec(ahead.text);
  if (m === null) return;
  const behind = decodeWindow(text, Math.max(0, candidate - LONGEST_ESCAPE), candidate);
  if (isWordCode(behind.text.charCodeAt(behind.text.length - 1))) return;
  const shape = readKeyShape(m);
  if (shape === undefined || (shape.placeholder !== undefined && --placeholdersLeft < 0)) return;

  const key = m[0];
  let encoding: KeyEncoding = 'plain';
  for (let u = 0; u < key.length; u++) {
    const kind = ahead.kinds[u] as number;
    if (kind !== KIND_PLAIN) {
      encoding = KIND_ENCODING[kind] as KeyEncoding;
      break;
    }
  }
  let around = decodeWindow(text, Math.max(0, candidate - WINDOW), Math.min(text.length, candidate + WINDOW));
  let d = indexOfRaw(around.at, candidate);
  if (d === -1) {
    // The wide window read an escape across the candidate differently; show what follows only.
    around = decodeWindow(text, candidate, Math.min(text.length, candidate + WINDOW));
    d = 0;
  }
  const context = contextBefore(around.text, d);
  emit({
    key,
    ...shape,
    confidence: confidenceOf(m, shape, context),
    offset: candidate,
    context,
    encoding,
    snippet: snippetAround(around.text, d, d + key.length, key),
  });
}

const BASE64_CHUNK_OVERLAP = 256;

function isBase64Code(c: number): boolean {
  return isWordCode(c) || c === 0x2b || c === 0x2f || c === 0x2d;
}

/** A run of base64 characters after escapes are resolved; `rawAt(i)` is char i's raw offset. */
interface Base64Segment {
  chars: string;
  rawAt: (i: number) => number;
}

function base64Segments(run: string, runStart: number): Base64Segment[] {
  if (!run.includes('%') && !run.includes('\\')) return [{ chars: run, rawAt: (i) => runStart + i }];
  const segments: Base64Segment[] = [];
  let chars: string[] = [];
  let at: number[] = [];
  const flush = (): void => {
    if (chars.length >= MIN_BASE64) {
      const offsets = at;
      segments.push({ chars: chars.join(''), rawAt: (i) => offsets[i] as number });
    }
    chars = [];
    at = [];
  };
  let i = 0;
  while (i < run.length) {
    const c = run.charCodeAt(i);
    let value = run[i] as string;
    let next = i + 1;
    if (c === 0x25 || c === 0x5c) {
      const token = readEscape(run, i);
      if (token === undefined) {
        flush();
        i = c === 0x5c ? backslashRunEnd(run, i) : i + 1;
        continue;
      }
      value = token.value;
      next = token.end;
    }
    if (value.length === 1 && isBase64Code(value.charCodeAt(0))) {
      chars.push(value);
      at.push(runStart + i);
    } else {
      flush();
    }
    i = next;
  }
  flush();
  return segments;
}

/**
 * The alignments at which decoding a chunk can reveal a key. A plain `pk_` leaves one of three fixed
 * signatures whose position gives the alignment. Decoding from the chunk's start is also worth it
 * when the chunk looks like base64 of JSON (`ey…`, as Track data is), or may hold base64 of `pk`
 * (nested base64) or `pk` with an escaped underscore. Most base64-looking runs in real code are
 * paths and identifiers that show none of these, and are not decoded at all.
 */
function alignmentsToTry(chunk: string): number[] {
  const shifts = new Set<number>();
  if (chunk.startsWith('ey') || MAYBE_PK_OR_NESTED.test(chunk)) shifts.add(0);
  for (const [signature, positionInGroup] of PK_BASE64_SIGNATURES) {
    for (let q = chunk.indexOf(signature); q !== -1; q = chunk.indexOf(signature, q + 1)) {
      shifts.add((((q - positionInGroup) % 4) + 4) % 4);
    }
  }
  return [...shifts];
}

const MAYBE_PK_OR_NESTED = new RegExp(
  PK_OR_NESTED_SIGNATURES.map((signature) => signature.replace(/[+/]/g, '\\$&')).join('|'),
);

/**
 * Decodes every base64 run of `text` (each alignment worth trying) and hands each decoded text, as
 * latin1 so that byte i is char i, to `visit` with a map back to raw offsets.
 */
function forEachBase64Decoding(
  text: string,
  runs: ReadonlyArray<readonly [number, number]>,
  visit: (decoded: string, rawOffset: (i: number) => number) => void,
): void {
  for (const [runStart, runEnd] of runs) {
    for (const segment of base64Segments(text.slice(runStart, runEnd), runStart)) {
      const step = BASE64_CHUNK - BASE64_CHUNK_OVERLAP;
      for (let chunkStart = 0; chunkStart < segment.chars.length; chunkStart += step) {
        const chunk = segment.chars.slice(chunkStart, chunkStart + BASE64_CHUNK);
        if (chunk.length < MIN_BASE64) break;
        for (const shift of alignmentsToTry(chunk)) {
          const decoded = Buffer.from(chunk.slice(shift), 'base64').toString('latin1');
          const base = chunkStart + shift;
          visit(decoded, (i) => segment.rawAt(base + Math.floor(i / 3) * 4 + (i % 3)));
        }
        if (chunkStart + BASE64_CHUNK >= segment.chars.length) break;
      }
    }
  }
}

// Decoded base64 is only worth a full scan when it could hold a key: `pk`, an escape, or more base64.
const DECODED_HINT = /pk|\\+[ux]|%[0-9a-fA-F]{2}|&(?:#|lowbar;|UnderBar;)|[A-Za-z0-9+/_-]{40}/;

/**
 * Every `pk_` of the text, ascending, found from its `k_`s: `p` is one of the commonest letters and
 * `k` one of the rarest, so this takes a third of the time of looking for `pk_` itself.
 */
function prefixPositions(text: string): number[] {
  const positions: number[] = [];
  // `k_` cannot overlap itself, so each search goes on past the last.
  for (let i = text.indexOf('k_', 1); i !== -1; i = text.indexOf('k_', i + 2)) {
    if (text.charCodeAt(i - 1) === 0x70) positions.push(i - 1);
  }
  return positions;
}

function scanLevel(
  text: string,
  depth: number,
  emit: Emit,
  runs: ReadonlyArray<readonly [number, number]> = base64Runs(text),
): void {
  // Both loops finish before any recursion below, so the shared global patterns are safe to reuse.
  forEachMatchAt(KEY_STICKY, text, prefixPositions(text), (m) => verifyCandidate(text, m.index, emit));
  forEachEncodedPrefix(text, (index) => verifyCandidate(text, index, emit));
  if (depth >= MAX_BASE64_DEPTH) return;
  forEachBase64Decoding(text, runs, (decoded, rawOffset) => {
    if (!DECODED_HINT.test(decoded)) return;
    scanLevel(decoded, depth + 1, (hit) =>
      emit({ ...hit, offset: rawOffset(hit.offset), encoding: 'base64' }),
    );
  });
}

function compareHits(a: { offset: number; key: string }, b: { offset: number; key: string }): number {
  if (a.offset !== b.offset) return a.offset - b.offset;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Every occurrence of a Klaviyo private key in `text` (a page, a script, JSON, anything), plain or
 * escaped (JS, URL, HTML) or inside base64, sorted by offset. `offset` is where the written form starts.
 * A key of the real shape that looks made up (`pk_1234567890abcdef…`) is included, marked with
 * `placeholder`; strings no issued key could be (`pk_xxxx…`) are not.
 */
export function findPrivateKeys(text: string): KeyHit[] {
  return keyShapedHits(text).filter((hit) => WHOLE_KEY.test(hit.key));
}

/** Keys and placeholders alike. */
function keyShapedHits(text: string): KeyHit[] {
  return privateKeysIn(text, base64Runs(text), createLineLocator(text));
}

function privateKeysIn(
  text: string,
  runs: ReadonlyArray<readonly [number, number]>,
  locate: (offset: number) => LineColumn,
): KeyHit[] {
  const found = new Map<string, LevelHit>();
  placeholdersLeft = MAX_PLACEHOLDERS_PER_TEXT;
  scanLevel(
    text,
    0,
    (hit) => {
      const id = `${hit.offset}:${hit.key}`;
      if (!found.has(id)) found.set(id, hit);
    },
    runs,
  );
  return [...found.values()].sort(compareHits).map((hit) => {
    const { line, column } = locate(hit.offset);
    return {
      key: hit.key,
      form: hit.form,
      ...(hit.accountPublicKey === undefined ? {} : { accountPublicKey: hit.accountPublicKey }),
      offset: hit.offset,
      line,
      column,
      context: hit.context,
      encoding: hit.encoding,
      confidence: hit.confidence,
      snippet: hit.snippet,
      ...(hit.placeholder === undefined ? {} : { placeholder: hit.placeholder }),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Public keys (site IDs)

const QUOTE = `\\\\*["']`;
const EQUALS = `(?:=|%3[dD]|\\\\+(?:x3[dD]|u003[dD])|&#61;|&equals;)`;
const SLASH = `(?:\\\\*/|%2[fF])`;
// Exactly six: a private key in the same place is not a site ID.
const SITE_ID = '([A-Za-z0-9]{6})(?![A-Za-z0-9_])';

// Every match contains one of `literals`, so a text without any of them skips the pattern.
const PUBLIC_KEY_SIGNALS: ReadonlyArray<{
  via: string;
  literals: readonly string[];
  pattern: RegExp;
  decodedOnly?: boolean;
  /** A literal every match starts with: the pattern is sticky, tried at each of its places. */
  anchor?: string;
}> = [
  {
    via: 'company_id',
    literals: ['company_id', 'companyId'],
    pattern: new RegExp(`company(?:_id|Id)(?:${EQUALS}|${QUOTE}?\\s*:\\s*${QUOTE})${SITE_ID}`, 'gd'),
  },
  {
    via: 'onsite-path',
    literals: ['klaviyo.js'],
    pattern: new RegExp(`onsite${SLASH}js${SLASH}([A-Za-z0-9]{6})${SLASH}klaviyo\\.js`, 'gd'),
  },
  // Nearly every page has a `push(` (analytics queues): matches are tried from each one (anchored.ts).
  {
    via: 'account',
    literals: ['push('],
    pattern: new RegExp(`push\\(\\s*\\[\\s*${QUOTE}account${QUOTE}\\s*,\\s*${QUOTE}${SITE_ID}${QUOTE}`, 'dy'),
    anchor: 'push(',
  },
  // A bare `"token":"…"` is too common to trust, except inside decoded Track/Identify data.
  {
    via: 'token',
    literals: ['token'],
    pattern: new RegExp(`"token"\\s*:\\s*"${SITE_ID}"`, 'gd'),
    decodedOnly: true,
  },
];

interface LevelPublicHit {
  key: string;
  offset: number;
  via: string;
}

/**
 * Track/Identify data: base64 of a JSON object, so the run starts with `e` (`{` is 011110xx) and is
 * aligned at its start. Only such runs are decoded, which keeps the public-key scan cheap.
 */
function forEachTrackData(
  text: string,
  runs: ReadonlyArray<readonly [number, number]>,
  visit: (json: string, rawOffset: (i: number) => number) => void,
): void {
  for (const [runStart, runEnd] of runs) {
    for (const segment of base64Segments(text.slice(runStart, runEnd), runStart)) {
      if (segment.chars[0] !== 'e') continue;
      const json = Buffer.from(segment.chars.slice(0, BASE64_CHUNK), 'base64').toString('latin1');
      if (json.includes('"token"')) {
        visit(json, (i) => segment.rawAt(Math.floor(i / 3) * 4 + (i % 3)));
      }
    }
  }
}

/**
 * Which of `literals` occur in `text`. Literals with a `y` (`company…`, `klaviyo.js`) are looked for
 * from the `y`s of the text, in one pass: `y` is far rarer than `c` or `k`, and a search skips to
 * each occurrence of the literal's first character, so this costs a third of one `includes` each.
 */
function presentLiterals(text: string, literals: readonly string[]): Set<string> {
  const present = new Set<string>();
  const byY: string[] = [];
  for (const literal of literals) {
    if (literal.includes('y')) byY.push(literal);
    else if (text.includes(literal)) present.add(literal);
  }
  // Each literal's character before its `y` is checked first: most `y`s end a word, and a
  // startsWith for each of them cost more than finding them.
  const before = byY.map((literal) =>
    literal.startsWith('y') ? -1 : literal.charCodeAt(literal.indexOf('y') - 1),
  );
  for (let i = text.indexOf('y'); i !== -1 && byY.length > 0; i = text.indexOf('y', i + 1)) {
    const previous = text.charCodeAt(i - 1);
    for (let k = byY.length - 1; k >= 0; k--) {
      if (before[k] !== previous && before[k] !== -1) continue;
      const literal = byY[k] as string;
      if (text.startsWith(literal, i - literal.indexOf('y'))) {
        present.add(literal);
        byY.splice(k, 1);
        before.splice(k, 1);
      }
    }
  }
  return present;
}

// Literals looked for to decide whether to try a pattern. An anchored pattern is tried from its anchor's
// places, which say by themselves whether it can match: its literal is not looked for twice.
const SIGNAL_LITERALS = [
  ...new Set(PUBLIC_KEY_SIGNALS.flatMap((signal) => (signal.anchor === undefined ? signal.literals : []))),
];
const SIGNAL_LITERALS_RAW = SIGNAL_LITERALS.filter((literal) => literal !== 'token');

/** Which of some literals a text holds, as worked out before (bit i: `literals[i]`). */
export interface KnownLiterals {
  literals: readonly string[];
  bits: number;
}

/** The signal literals in raw text, from what is known of it; any literal not known is looked for. */
function rawSignalLiterals(text: string, known: KnownLiterals | undefined): Set<string> {
  if (known === undefined) return presentLiterals(text, SIGNAL_LITERALS_RAW);
  const present = new Set<string>();
  const unknown: string[] = [];
  for (const literal of SIGNAL_LITERALS_RAW) {
    const i = known.literals.indexOf(literal);
    if (i === -1) unknown.push(literal);
    else if ((known.bits & (1 << i)) !== 0) present.add(literal);
  }
  if (unknown.length > 0) for (const literal of presentLiterals(text, unknown)) present.add(literal);
  return present;
}

function scanPublicSignals(
  text: string,
  decoded: boolean,
  emit: (hit: LevelPublicHit) => void,
  known?: KnownLiterals,
): void {
  const present = decoded ? presentLiterals(text, SIGNAL_LITERALS) : rawSignalLiterals(text, known);
  for (const { via, literals, pattern, decodedOnly, anchor } of PUBLIC_KEY_SIGNALS) {
    if (decodedOnly === true && !decoded) continue;
    const visit = (m: RegExpExecArray): void => {
      const span = m.indices?.[1];
      if (span !== undefined) emit({ key: m[1] as string, offset: span[0], via });
    };
    if (anchor !== undefined) {
      // Every match starts with the anchor: no place, no match.
      const starts = positionsOf(text, anchor);
      if (starts.length > 0) forEachMatchAt(pattern, text, starts, visit);
    } else if (literals.some((literal) => present.has(literal))) {
      for (const m of text.matchAll(pattern)) visit(m);
    }
  }
}

/** Every place a site ID (public key) is used in `text`, sorted by offset. */
export function findPublicKeys(text: string): PublicKeyHit[] {
  return publicKeysIn(text, base64Runs(text), createLineLocator(text));
}

function publicKeysIn(
  text: string,
  runs: ReadonlyArray<readonly [number, number]>,
  locate: (offset: number) => LineColumn,
  known?: KnownLiterals,
): PublicKeyHit[] {
  const found = new Map<string, LevelPublicHit>();
  const keep = (hit: LevelPublicHit): void => {
    const id = `${hit.offset}:${hit.key}`;
    if (!found.has(id)) found.set(id, hit);
  };
  scanPublicSignals(text, false, keep, known);
  forEachTrackData(text, runs, (json, rawOffset) => {
    scanPublicSignals(json, true, (hit) => keep({ ...hit, offset: rawOffset(hit.offset) }));
  });
  return [...found.values()].sort(compareHits).map((hit) => ({
    key: hit.key,
    offset: hit.offset,
    ...locate(hit.offset),
    via: hit.via,
  }));
}

// ---------------------------------------------------------------------------------------------
// Keys split by inline markup

// Elements that do not break a line of text: a key written across them reads as one word.
const INLINE_ELEMENTS = new Set(
  (
    'a abbr b bdi bdo big cite code data del dfn em font i ins kbd mark q s samp small span strong ' +
    'sub sup time tt u var wbr'
  ).split(' '),
);
const TAG_AT = /<(\/?)([A-Za-z][\w-]{0,20})(?:[^>"']|"[^"]*"|'[^']*'){0,500}>|<!--[\s\S]{0,500}?-->/y;
// The longest key and the character after it, as visible text.
const VISIBLE_UNITS = KEY_CHECK_UNITS;
const SPLIT_CONTEXT = 100;

/** Visible text from `start`, skipping inline tags and comments; `at[i]` is char i's raw offset. */
function readVisible(
  html: string,
  start: number,
  units: number,
): { text: string; at: number[]; tags: number } {
  let text = '';
  const at: number[] = [];
  let tags = 0;
  let i = start;
  while (i < html.length && at.length < units) {
    if (html.charCodeAt(i) === 0x3c) {
      TAG_AT.lastIndex = i;
      const tag = TAG_AT.exec(html);
      const name = tag?.[2]?.toLowerCase();
      if (tag === null || (name !== undefined && !INLINE_ELEMENTS.has(name))) break;
      tags++;
      i = TAG_AT.lastIndex;
      continue;
    }
    text += html[i];
    at.push(i);
    i++;
  }
  return { text, at, tags };
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>?/g, '').replace(/^[^<]*>/, '');
}

/**
 * `text.indexOf('pk', from)`, found from the `k`s: `p` is common and `k` rare, so the search stops far
 * less often (half the time on a storefront's pages).
 */
function nextPk(text: string, from: number): number {
  for (let k = text.indexOf('k', from + 1); k !== -1; k = text.indexOf('k', k + 1)) {
    if (text.charCodeAt(k - 1) === 0x70) return k - 1;
  }
  return -1;
}

/**
 * Keys that read whole only once inline tags are dropped, as a person sees the page:
 * `pk_<span>0f1e…</span>2d3c…`. Only a `pk` with markup closer than a key's length is looked at, so a
 * page costs one `indexOf` pass unless it has such a place.
 */
export function findSplitKeys(html: string): KeyHit[] {
  const hits: KeyHit[] = [];
  let locate: ((offset: number) => LineColumn) | undefined;
  let splitPlaceholdersLeft = MAX_PLACEHOLDERS_PER_TEXT;
  for (let i = nextPk(html, 0); i !== -1; i = nextPk(html, i + 2)) {
    const tagAt = html.indexOf('<', i);
    if (tagAt === -1) break;
    if (tagAt - i > VISIBLE_UNITS) {
      // No markup within reach of this `pk`, nor of any before the jump point.
      i = Math.max(i, tagAt - VISIBLE_UNITS - 2);
      continue;
    }
    if (isWordCode(html.charCodeAt(i - 1))) continue;
    // `pk` and then markup is common; only a visible `pk_` is worth reading a key's length for.
    if (readVisible(html, i, 3).text !== 'pk_') continue;
    const visible = readVisible(html, i, VISIBLE_UNITS);
    if (visible.tags === 0) continue;
    KEY_STICKY.lastIndex = 0;
    const m = KEY_STICKY.exec(visible.text);
    if (m === null) continue;
    const key = m[0];
    const keyEnd = (visible.at[key.length - 1] as number) + 1;
    // A key that ends before the first tag is whole in the source, and found there.
    if (keyEnd - i === key.length) continue;
    const shape = readKeyShape(m);
    if (shape === undefined || (shape.placeholder !== undefined && --splitPlaceholdersLeft < 0)) continue;
    const before = stripTags(html.slice(Math.max(0, i - SPLIT_CONTEXT), i));
    const after = stripTags(html.slice(keyEnd, keyEnd + SPLIT_CONTEXT));
    const context = contextBefore(`${before}${key}`, before.length);
    locate ??= createLineLocator(html);
    hits.push({
      key,
      ...shape,
      confidence: confidenceOf(m, shape, context),
      offset: i,
      ...locate(i),
      context,
      encoding: 'split-markup',
      snippet: snippetAround(`${before}${key}${after}`, before.length, before.length + key.length, key),
    });
    i = keyEnd - 2;
  }
  return hits;
}

/**
 * Whether `findSplitKeys` could find anything in byte text (latin1 of UTF-8, decode.ts): a `pk` that
 * starts a word with markup close enough after it. In bytes "close enough" is three times a key's
 * length, since a character is at most three bytes per UTF-16 unit; a superset of what the text has.
 */
export function maySplitKey(bytes: string): boolean {
  const reach = VISIBLE_UNITS * 3;
  for (let i = nextPk(bytes, 0); i !== -1; i = nextPk(bytes, i + 2)) {
    const tagAt = bytes.indexOf('<', i);
    if (tagAt === -1) return false;
    if (tagAt - i > reach) {
      i = Math.max(i, tagAt - reach - 2);
      continue;
    }
    if (!isWordCode(bytes.charCodeAt(i - 1))) return true;
  }
  return false;
}

/**
 * Private keys, placeholders and site IDs of one text in one go, sharing the base64 runs and the line
 * index. For HTML, keys split by inline markup are added, as a person reading the page would see them.
 * Placeholders are key-shaped strings that look made up (`pk_xxxx…`, documentation examples): never
 * exposed keys.
 */
export function scanText(
  text: string,
  options: {
    html?: boolean;
    /**
     * The text's base64 runs, when already known, as each use needs them (body-facts.ts): those that may
     * hold base64 worth decoding, and those that may be Track data. Any other run would give nothing.
     */
    runs?: MarkedRuns;
    /** Which literals the text holds, when already known (body-facts.ts): the site-ID scan's. */
    present?: KnownLiterals;
  } = {},
): { privateKeys: KeyHit[]; placeholders: KeyHit[]; publicKeys: PublicKeyHit[] } {
  const all = options.runs === undefined ? base64Runs(text) : undefined;
  const decodeRuns = options.runs?.decode ?? all ?? [];
  const trackRuns = options.runs?.track ?? all ?? [];
  const locate = createLineLocator(text);
  let hits = privateKeysIn(text, decodeRuns, locate);
  if (options.html === true) {
    const split = findSplitKeys(text);
    if (split.length > 0) hits = [...hits, ...split].sort(compareHits);
  }
  const privateKeys: KeyHit[] = [];
  const placeholders: KeyHit[] = [];
  for (const hit of hits) (hit.placeholder === undefined ? privateKeys : placeholders).push(hit);
  return { privateKeys, placeholders, publicKeys: publicKeysIn(text, trackRuns, locate, options.present) };
}

const HIDDEN = '[hidden: contains a private key]';
const TOKEN_EDGE = /[\s"'<>`|]/;

/**
 * Text made safe to show: plain keys masked as `pk_…abcd`, and any stretch (a URL, a token) in which the
 * detector still finds a key, written encoded (base64, %-escapes, JS escapes), replaced whole.
 */
export function scrubSecrets(text: string): string {
  const masked = redactKeysInText(text);
  if (!/[%\\&]|[A-Za-z0-9+/_-]{40}/.test(masked)) return masked;
  // Placeholders are hidden too: a real key taken for one must still never be shown.
  const hits = keyShapedHits(masked);
  if (hits.length === 0) return masked;
  let out = masked;
  let limit = out.length;
  for (const hit of [...hits].sort((a, b) => b.offset - a.offset)) {
    if (hit.offset >= limit) continue;
    let start = hit.offset;
    while (start > 0 && !TOKEN_EDGE.test(out[start - 1] as string)) start--;
    let end = hit.offset;
    while (end < out.length && !TOKEN_EDGE.test(out[end] as string)) end++;
    out = `${out.slice(0, start)}${HIDDEN}${out.slice(end)}`;
    limit = start;
  }
  return out;
}
