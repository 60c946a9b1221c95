import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SOURCE_SHA256 } from '../../src/scan/wasm/byte-scan-module.js';

describe('the WebAssembly byte passes', () => {
  test('the committed module was built from the committed source (scripts/build-wasm.sh)', () => {
    const source = readFileSync(new URL('../../src/scan/wasm/byte-scan.c', import.meta.url));
    expect(createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
  });
});
