import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { FindingsCollector, MAX_DISTINCT_KEYS } from '../../src/scan/findings.js';

const where = (url: string) => ({
  url,
  page: 'https://shop.example/',
  resource: 'script' as const,
  html: false,
  via: Array.from({ length: 10 }, (_, i) => ({ url: `https://shop.example/hop/${i}.js`, reason: 'import' })),
});

describe('FindingsCollector: what a hostile site can make it keep', () => {
  test('occurrences kept in all stay bounded, and every key keeps its first place and its count', () => {
    const keys = Array.from({ length: MAX_DISTINCT_KEYS }, () => `pk_${randomBytes(17).toString('hex')}`);
    const collector = new FindingsCollector();
    // Each file shows every key once: 100 files, 20,000 occurrences.
    const text = keys.map((key) => `k="${key}"`).join('\n');
    for (let file = 0; file < 100; file++) collector.scan(text, where(`https://shop.example/f/${file}.js`));
    const findings = collector.findings();
    expect(findings).toHaveLength(MAX_DISTINCT_KEYS);
    for (const finding of findings) {
      expect(finding.occurrenceCount).toBe(100);
      expect(finding.occurrences.length).toBeGreaterThanOrEqual(1);
    }
    const kept = findings.reduce((sum, finding) => sum + finding.occurrences.length, 0);
    expect(kept).toBeLessThanOrEqual(10_000);
  });
});
