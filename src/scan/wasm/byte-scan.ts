import { MODULE_BASE64 } from './byte-scan-module.js';

/**
 * The WebAssembly passes of byte-scan.c, for the thread that loads this module. A body is copied into
 * the module's memory, which grows to the largest body seen up to MAX_BYTES and stays at that size;
 * a larger body, or a runtime without WebAssembly SIMD, gets `undefined`, and the caller uses its
 * JavaScript pass.
 */

// The few WebAssembly types used here (the project's libraries have no WebAssembly declarations).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface ByteScanExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  __heap_base: { readonly value: number };
  base64_runs(
    bytes: number,
    length: number,
    min: number,
    longRun: number,
    pairs: number,
    out: number,
  ): number;
  present_literals(bytes: number, length: number, table: number, count: number): number;
}

/** Bodies larger than this are not copied in: they would keep that much memory for the whole scan. */
export const MAX_BYTES = 4 * 1024 * 1024;
const PAGE = 65_536;

let loaded: ByteScanExports | null | undefined;

function byteScan(): ByteScanExports | null {
  if (loaded === undefined) {
    try {
      const module = new WebAssembly.Module(Buffer.from(MODULE_BASE64, 'base64'));
      loaded = new WebAssembly.Instance(module, {}).exports as unknown as ByteScanExports;
    } catch {
      // No WebAssembly (node --jitless), or no SIMD.
      loaded = null;
    }
  }
  return loaded;
}

/**
 * Copies `bytes` into the module's memory, with room after them for `outBytes` of results; the
 * byte offsets of the copy and of that room, or undefined when the body is too large.
 */
function copyIn(scan: ByteScanExports, bytes: Uint8Array, outBytes: number): [number, number] | undefined {
  if (bytes.length > MAX_BYTES) return undefined;
  const at = (scan.__heap_base.value + 15) & ~15;
  const out = (at + bytes.length + 15) & ~15;
  const needed = out + outBytes;
  const have = scan.memory.buffer.byteLength;
  if (needed > have) {
    try {
      scan.memory.grow(Math.ceil((needed - have) / PAGE));
    } catch {
      return undefined;
    }
  }
  new Uint8Array(scan.memory.buffer, at, bytes.length).set(bytes);
  return [at, out];
}

/** What the WebAssembly passes found in one body. */
export interface WasmBodyFacts {
  /** The runs `filter` keeps: start, end, flags (RUN_DECODE, RUN_TRACK)… */
  runs: Int32Array;
  /** Bit i: `literals[i]` occurs in the body. */
  present: number;
}

/** Which runs to keep, and what to mark them with (byte-scan.c, run_flags). */
export interface RunFilter {
  /** Runs longer than this are kept for decoding whatever they hold. */
  longRun: number;
  /** Bit (first << 7 | second): a run holding that pair of ASCII characters is kept for decoding. */
  pairs: Uint8Array;
}

export const RUN_DECODE = 1;
export const RUN_TRACK = 2;
const PAIR_BYTES = (128 * 128) / 8;
const MAX_LITERALS = 8;

/**
 * The body's base64 runs of at least `minRun` run characters (31 or more, which the pass relies on)
 * that `filter` keeps, marked, and which of `literals` (at most 8, ASCII, 2 to 255 bytes) it holds,
 * from one copy of the body.
 */
export function wasmBodyFacts(
  bytes: Uint8Array,
  minRun: number,
  literals: readonly string[],
  filter: RunFilter,
): WasmBodyFacts | undefined {
  const scan = byteScan();
  if (scan === null || minRun < 31 || literals.length > MAX_LITERALS || filter.pairs.length !== PAIR_BYTES)
    return undefined;
  const table = literalTable(literals);
  if (table === undefined) return undefined;
  const pairBytes = PAIR_BYTES;
  const maxInts = 3 * (Math.floor(bytes.length / (minRun + 1)) + 1);
  const place = copyIn(scan, bytes, table.length + 16 + pairBytes + 16 + maxInts * 4);
  if (place === undefined) return undefined;
  const [at, tableAt] = place;
  const memory = new Uint8Array(scan.memory.buffer);
  memory.set(table, tableAt);
  const pairsAt = (tableAt + table.length + 15) & ~15;
  memory.set(filter.pairs, pairsAt);
  const out = (pairsAt + pairBytes + 15) & ~15;
  const present = scan.present_literals(at, bytes.length, tableAt, literals.length);
  const ints = scan.base64_runs(at, bytes.length, minRun, filter.longRun, pairsAt, out);
  return { runs: new Int32Array(scan.memory.buffer, out, ints).slice(), present };
}

const tables = new Map<readonly string[], Uint8Array | undefined>();

/**
 * Each literal as its length, the index of its anchor, then its bytes; undefined when one is not 2 to
 * 255 ASCII characters. The anchor is the literal's first `y` after its start (the literals looked for
 * all have one, and `y` after the byte before it in the literal is rare in code and markup, where `c`
 * and `k`, which start them, are common), or its second byte.
 */
function literalTable(literals: readonly string[]): Uint8Array | undefined {
  if (tables.has(literals)) return tables.get(literals);
  const fits = literals.every((literal) => /^[\x00-\x7f]{2,255}$/.test(literal));
  const table = fits
    ? Uint8Array.from(
        literals.flatMap((literal) => [
          literal.length,
          Math.max(1, literal.indexOf('y', 1)),
          ...Buffer.from(literal, 'latin1'),
        ]),
      )
    : undefined;
  tables.set(literals, table);
  return table;
}
