import { Buffer } from 'node:buffer';
import {
  BASE64_CHUNK,
  base64RunsOfBytes,
  MIN_BASE64,
  PK_BASE64_SIGNATURES,
  PK_OR_NESTED_SIGNATURES,
} from './base64-runs.js';
import { RUN_DECODE, RUN_TRACK, type RunFilter, wasmBodyFacts } from './wasm/byte-scan.js';

/**
 * What the crawl's thread works out from a body's bytes before it hands the body to the analysis
 * thread (analysis-pool.ts), in one WebAssembly pass where it can (wasm/byte-scan.c). Kept apart
 * from the detector, which that thread does not load.
 */

/**
 * Literals whose presence decides whether the site-ID scan tries a pattern (detector.ts). ASCII: each
 * occurs in a UTF-8 text exactly when its bytes occur in the text's bytes.
 */
export const PRESENCE_LITERALS: readonly string[] = ['company_id', 'companyId', 'klaviyo.js'];

export { RUN_DECODE, RUN_TRACK };

export interface BodyFacts {
  /**
   * The body's base64 runs that may give the detector something, as start, end, flags: RUN_DECODE
   * for base64 worth decoding, RUN_TRACK for Track data (byte-scan.c, run_flags). Some 94% of a
   * storefront's runs are paths and class names that give neither, and are not sent.
   */
  runs: Int32Array;
  /** Bit i: PRESENCE_LITERALS[i] occurs in the body. */
  present: number;
}

/**
 * The pairs a run worth decoding holds: the first two characters of every signature the detector's
 * alignmentsToTry looks for (each of PK_BASE64_SIGNATURES starts with a PK_OR_NESTED_SIGNATURES one;
 * both are kept, so that the filter never drops a run that detector would decode).
 */
const RUN_FILTER: RunFilter = {
  longRun: BASE64_CHUNK,
  pairs: (() => {
    const pairs = new Uint8Array((128 * 128) / 8);
    for (const signature of [...PK_OR_NESTED_SIGNATURES, ...PK_BASE64_SIGNATURES.map(([s]) => s)]) {
      const pair = (signature.charCodeAt(0) << 7) | signature.charCodeAt(1);
      pairs[pair >> 3] = (pairs[pair >> 3] as number) | (1 << (pair & 7));
    }
    return pairs;
  })(),
};

/** Runs as the detector uses them: those worth decoding, and those that may be Track data. */
export interface MarkedRuns {
  decode: ReadonlyArray<readonly [number, number]>;
  track: ReadonlyArray<readonly [number, number]>;
}

/** `BodyFacts.runs` (start, end, flags…) for each use the detector makes of them. */
export function markedRuns(flat: Int32Array): MarkedRuns {
  const decode: Array<readonly [number, number]> = [];
  const track: Array<readonly [number, number]> = [];
  for (let k = 0; k + 2 < flat.length; k += 3) {
    const run = [flat[k] as number, flat[k + 1] as number] as const;
    const flags = flat[k + 2] as number;
    if ((flags & RUN_DECODE) !== 0) decode.push(run);
    if ((flags & RUN_TRACK) !== 0) track.push(run);
  }
  return { decode, track };
}

export function bodyFacts(bytes: Uint8Array): BodyFacts {
  const wasm = wasmBodyFacts(bytes, MIN_BASE64, PRESENCE_LITERALS, RUN_FILTER);
  if (wasm !== undefined) return wasm;
  // Without WebAssembly, or for a body too large for it: every run, marked for both.
  const pairs = base64RunsOfBytes(bytes);
  const runs = new Int32Array((pairs.length / 2) * 3);
  for (let k = 0; k + 1 < pairs.length; k += 2) {
    runs.set([pairs[k] as number, pairs[k + 1] as number, RUN_DECODE | RUN_TRACK], (k / 2) * 3);
  }
  return { runs, present: presentInBytes(bytes) };
}

function presentInBytes(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let bits = 0;
  PRESENCE_LITERALS.forEach((literal, i) => {
    if (buffer.includes(literal, 0, 'latin1')) bits |= 1 << i;
  });
  return bits;
}
