import { Buffer } from 'node:buffer';
import { base64RunsOfBytesInJs, MIN_BASE64 } from './base64-runs.js';
import { wasmBodyFacts } from './wasm/byte-scan.js';

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

export interface BodyFacts {
  /** `base64RunsOfBytes`: start, end, start, end… */
  runs: Int32Array;
  /** Bit i: PRESENCE_LITERALS[i] occurs in the body. */
  present: number;
}

export function bodyFacts(bytes: Uint8Array): BodyFacts {
  return (
    wasmBodyFacts(bytes, MIN_BASE64, PRESENCE_LITERALS) ?? {
      runs: base64RunsOfBytesInJs(bytes),
      present: presentInBytes(bytes),
    }
  );
}

function presentInBytes(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let bits = 0;
  PRESENCE_LITERALS.forEach((literal, i) => {
    if (buffer.includes(literal, 0, 'latin1')) bits |= 1 << i;
  });
  return bits;
}
