import { Buffer } from 'node:buffer';

/**
 * Runs of base64 characters long enough to hold a key: found in every text the scan reads, so kept in
 * a module of their own that the crawl's thread loads without the detector (analysis-pool.ts).
 */

// Characters of base64 and base64url runs, plus `%` and `\` so that %2B/%2F/%3D and \/ or \u002F
// inside a run do not cut it.
const BASE64_RUN_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-%\\') {
  BASE64_RUN_CHAR[ch.charCodeAt(0)] = 1;
}
export const MIN_BASE64 = 40;

function isBase64RunCode(c: number): boolean {
  return c < 128 && BASE64_RUN_CHAR[c] === 1;
}

/**
 * Start and end of every run of at least MIN_BASE64 run characters. Skip search: any such run that
 * starts in [i, i + MIN_BASE64) covers i + MIN_BASE64 - 1, so one probe there rules out the whole
 * stretch when it is not a run character. When it is one, the stretch is read backwards from the
 * probe: the first character that is not a run character rules out every start up to it, and the
 * search goes on from there without reading on; only a run reaching back to i is long enough and
 * read to its end. Several times faster than a regex on minified code.
 */
export function base64Runs(text: string): Array<readonly [number, number]> {
  const runs: Array<readonly [number, number]> = [];
  let i = 0;
  while (i + MIN_BASE64 <= text.length) {
    const probe = i + MIN_BASE64 - 1;
    let start = probe;
    while (start >= i && isBase64RunCode(text.charCodeAt(start))) start--;
    if (start >= i) {
      // text[start] is not a run character: no long run starts at or before it.
      i = start + 1;
      continue;
    }
    // [i, probe] are all run characters, and the character before i is never one here.
    let end = probe + 1;
    while (end < text.length && isBase64RunCode(text.charCodeAt(end))) end++;
    runs.push([i, end]);
    i = end + 1;
  }
  return runs;
}

/**
 * `base64Runs` of byte text (latin1 of `bytes`, decode.ts), read from the bytes, flat: start, end,
 * start, end… A byte above 0x7f is never a run character, as its latin1 character is not. The crawl's
 * thread works the runs out in WebAssembly where it can (body-facts.ts, wasm/byte-scan.c); this is the
 * pass for bodies that one does not take.
 */
export function base64RunsOfBytes(bytes: Uint8Array): Int32Array {
  const runs: number[] = [];
  let i = 0;
  while (i + MIN_BASE64 <= bytes.length) {
    const probe = i + MIN_BASE64 - 1;
    let start = probe;
    while (start >= i && BYTE_IN_RUN[bytes[start] as number] === 1) start--;
    if (start >= i) {
      i = start + 1;
      continue;
    }
    let end = probe + 1;
    while (end < bytes.length && BYTE_IN_RUN[bytes[end] as number] === 1) end++;
    runs.push(i, end);
    i = end + 1;
  }
  return Int32Array.from(runs);
}

const BYTE_IN_RUN = new Uint8Array(256);
BYTE_IN_RUN.set(BASE64_RUN_CHAR);

// ---------------------------------------------------------------------------------------------
// What the detector looks for in a run (detector.ts), here so that the crawl's thread can tell which
// runs may hold something without loading the detector (body-facts.ts).

/** Runs are decoded in chunks of this many characters (overlapping a little). */
export const BASE64_CHUNK = 100_000;

/**
 * Where `pk_` shows in base64 when it starts at byte 0, 1 or 2 of a 3-byte group: the fully
 * determined characters and their position in the 4-character group. Lets long runs try a shifted
 * alignment only where a plain key may be.
 */
export const PK_BASE64_SIGNATURES: ReadonlyArray<readonly [string, number]> = [
  ['cGtf', 0],
  ['BrX', 2],
  ['wa1', 3],
];

/** Base64 characters fully determined by `bytes` when they start at byte 0, 1 or 2 of a group. */
function base64Signatures(bytes: string): string[] {
  const signatures: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const low = Buffer.from(`${'\x00'.repeat(offset)}${bytes}\x00\x00`, 'latin1').toString('base64');
    const high = Buffer.from(`${'\xff'.repeat(offset)}${bytes}\xff\xff`, 'latin1').toString('base64');
    let common = '';
    for (let i = 0; i < low.length; i++) {
      if (low[i] === high[i]) common += low[i];
      else if (common.length > 0) break;
    }
    if (common.length >= 2) signatures.push(common);
  }
  return signatures;
}

// `pk` itself (whatever follows it), and base64 of each of those signatures (base64 inside base64).
const PK_SIGNATURES = base64Signatures('pk');
/** A run that may hold a key in base64 holds one of these (or starts with `ey`, or has an escape). */
export const PK_OR_NESTED_SIGNATURES: readonly string[] = [
  ...PK_SIGNATURES,
  ...PK_SIGNATURES.flatMap((signature) => base64Signatures(signature)),
];
