import { wasmBodyFacts } from './wasm/byte-scan.js';

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
 * thread works this out before it hands a body over (analysis-pool.ts), in WebAssembly SIMD where it
 * can (wasm/byte-scan.c, 2 to 3 times faster with the copy into the module's memory).
 */
export function base64RunsOfBytes(bytes: Uint8Array): Int32Array {
  return wasmBodyFacts(bytes, MIN_BASE64, [])?.runs ?? base64RunsOfBytesInJs(bytes);
}

/** `base64RunsOfBytes` in JavaScript: for bodies the WebAssembly pass does not take, and the tests. */
export function base64RunsOfBytesInJs(bytes: Uint8Array): Int32Array {
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

/** Runs handed over flat (`base64RunsOfBytes`), as `base64Runs` gives them. */
export function runsFromFlat(flat: Int32Array): Array<readonly [number, number]> {
  const runs: Array<readonly [number, number]> = [];
  for (let k = 0; k + 1 < flat.length; k += 2) runs.push([flat[k] as number, flat[k + 1] as number]);
  return runs;
}

const BYTE_IN_RUN = new Uint8Array(256);
BYTE_IN_RUN.set(BASE64_RUN_CHAR);
