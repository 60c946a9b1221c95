// Passes over a response's bytes that run faster as WebAssembly SIMD than as JavaScript. Built into
// src/scan/wasm/byte-scan-module.ts by scripts/build-wasm.sh (clang --target=wasm32 -msimd128); the
// JavaScript twin of each function stays as the fallback and as the reference the tests hold it to.

#include <stdint.h>
#include <wasm_simd128.h>

// Base64 run characters (base64-runs.ts): A-Z a-z 0-9 + / _ - % and backslash. A byte is one when
// RUN_HI[its high nibble] & RUN_LO[its low nibble] is not 0; bytes above 0x7f have a high nibble
// of 8 or more, whose entry is 0.
//   bit 1: low nibble 1-f (0x41-0x4f, 0x61-0x6f)    bit 2: 0-a (0x50-0x5a, 0x70-0x7a)
//   bit 4: c or f (0x5c backslash, 0x5f _)          bit 8: 0-9 (digits)
//   bit 16: 5, b, d or f (% + - /)
#define RUN_HI_TABLE 0, 0, 16, 8, 1, 6, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0
#define RUN_LO_TABLE 10, 11, 11, 11, 11, 27, 11, 11, 11, 11, 3, 17, 5, 17, 1, 21

static const uint8_t RUN_HI[16] = {RUN_HI_TABLE};
static const uint8_t RUN_LO[16] = {RUN_LO_TABLE};

static inline int is_run(uint8_t c) { return (RUN_HI[c >> 4] & RUN_LO[c & 15]) != 0; }

// Lanes that are run characters are not 0.
static inline v128_t run_lanes(v128_t v) {
  const v128_t hi = wasm_u8x16_make(RUN_HI_TABLE);
  const v128_t lo = wasm_u8x16_make(RUN_LO_TABLE);
  return wasm_v128_and(wasm_i8x16_swizzle(hi, wasm_u8x16_shr(v, 4)),
                       wasm_i8x16_swizzle(lo, wasm_v128_and(v, wasm_u8x16_splat(15))));
}

// What a run may give the detector (detector.ts): base64 to decode (forEachBase64Decoding), Track data
// (forEachTrackData). A run without an escape is its only segment, and its only chunk when no longer
// than `long_run`: it gives nothing to decode unless it starts with `ey` or holds one of the two-character
// starts of the signatures marked in `pairs` (a bit per pair of ASCII codes, first << 7 | second), and
// no Track data unless it starts with `e`. A run with an escape (% or backslash) may give either.
#define RUN_DECODE 1
#define RUN_TRACK 2

static int run_flags(const uint8_t *run, int length, int long_run, const uint8_t *pairs) {
  for (int i = 0; i < length; i++)
    if (run[i] == '%' || run[i] == '\\') return RUN_DECODE | RUN_TRACK;
  int flags = run[0] == 'e' ? RUN_TRACK : 0;
  if (length > long_run || (run[0] == 'e' && run[1] == 'y')) return flags | RUN_DECODE;
  for (int i = 0; i + 1 < length; i++) {
    int pair = run[i] << 7 | run[i + 1];
    if (pairs[pair >> 3] & (1 << (pair & 7))) return flags | RUN_DECODE;
  }
  return flags;
}

// Every maximal run of at least `min` (31 or more) run characters in bytes[0, len) that may give the
// detector something, as start, end, flags (run_flags) in out. Returns the number of ints written
// (at most 3 * (len / (min + 1) + 1)). A run of 31 or more holds a whole aligned 16-byte block, so only such
// blocks are looked at; from one that is all run characters, the run is read out both ways.
__attribute__((export_name("base64_runs"))) int base64_runs(const uint8_t *bytes, int len, int min, int long_run,
                                                            const uint8_t *pairs, int32_t *out) {
  int n = 0;
  int block = 0;
  while (block + 16 <= len) {
    if (!wasm_i8x16_all_true(run_lanes(wasm_v128_load(bytes + block)))) {
      block += 16;
      continue;
    }
    int start = block;
    while (start > 0 && is_run(bytes[start - 1])) start--;
    int end = block + 16;
    while (end + 16 <= len && wasm_i8x16_all_true(run_lanes(wasm_v128_load(bytes + end)))) end += 16;
    while (end < len && is_run(bytes[end])) end++;
    int flags = end - start >= min ? run_flags(bytes + start, end - start, long_run, pairs) : 0;
    if (flags != 0) {
      out[n++] = start;
      out[n++] = end;
      out[n++] = flags;
    }
    // bytes[end] is not a run character, so no whole run block starts before the next block.
    block = (end + 16) & ~15;
  }
  return n;
}

// Which of up to 8 literals occur in bytes[0, len), as bits (bit i: literal i). `table` holds each
// literal as its length (2 to 255), the index of its anchor (1 or more: a byte of it that is rare in
// the text), then its bytes. The places where a literal's anchor stands after the byte before it in
// the literal are found 16 at a time, and there the literal is compared in full; the search stops
// once every literal is found.
static int literal_at(const uint8_t *bytes, int len, int at, const uint8_t *literal, int length, int anchor) {
  int start = at - anchor;
  if (start < 0 || start + length > len) return 0;
  for (int k = 0; k < length; k++)
    if (bytes[start + k] != literal[k]) return 0;
  return 1;
}

__attribute__((export_name("present_literals"))) int present_literals(const uint8_t *bytes, int len,
                                                                       const uint8_t *table, int count) {
  if (count <= 0) return 0;
  const uint8_t *literal[8];
  int length[8];
  int anchor[8];
  // The distinct anchor bytes, and for each the bytes that may stand before it.
  uint8_t anchor_byte[8];
  uint8_t before_byte[8][8];
  int befores[8];
  int anchors = 0;
  for (int i = 0, at = 0; i < count; i++) {
    length[i] = table[at];
    anchor[i] = table[at + 1];
    literal[i] = table + at + 2;
    at += 2 + length[i];
    uint8_t a = literal[i][anchor[i]];
    uint8_t b = literal[i][anchor[i] - 1];
    int k = 0;
    while (k < anchors && anchor_byte[k] != a) k++;
    if (k == anchors) {
      anchor_byte[anchors] = a;
      befores[anchors++] = 0;
    }
    int j = 0;
    while (j < befores[k] && before_byte[k][j] != b) j++;
    if (j == befores[k]) before_byte[k][befores[k]++] = b;
  }
  const int all = (1 << count) - 1;
  int found = 0;
  int block = 1;
  for (; block + 16 <= len && found != all; block += 16) {
    v128_t v = wasm_v128_load(bytes + block);
    v128_t u = wasm_v128_load(bytes + block - 1);
    v128_t hits = wasm_i8x16_splat(0);
    for (int k = 0; k < anchors; k++) {
      v128_t after = wasm_i8x16_eq(u, wasm_u8x16_splat(before_byte[k][0]));
      for (int j = 1; j < befores[k]; j++) after = wasm_v128_or(after, wasm_i8x16_eq(u, wasm_u8x16_splat(before_byte[k][j])));
      hits = wasm_v128_or(hits, wasm_v128_and(wasm_i8x16_eq(v, wasm_u8x16_splat(anchor_byte[k])), after));
    }
    if (!wasm_v128_any_true(hits)) continue;
    for (int mask = wasm_i8x16_bitmask(hits); mask != 0; mask &= mask - 1) {
      int at = block + __builtin_ctz(mask);
      for (int i = 0; i < count; i++)
        if (!(found & (1 << i)) && literal_at(bytes, len, at, literal[i], length[i], anchor[i])) found |= 1 << i;
    }
  }
  for (int at = block; at < len && found != all; at++)
    for (int i = 0; i < count; i++)
      if (!(found & (1 << i)) && literal_at(bytes, len, at, literal[i], length[i], anchor[i])) found |= 1 << i;
  return found;
}
