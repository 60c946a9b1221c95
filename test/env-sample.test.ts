import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { KEY_COPY_GRACE_MS } from '../src/services/key-checks.js';
import { KEY_SWEEP_EVERY_MS } from '../src/services/key-retention.js';

/** `.env.sample` and the README's Configuration table describe the same variables, with the same defaults. */

interface Documented {
  /** The README's default cell, as written. */
  readme?: string;
  /** The sample's line: its value, and whether it is commented out. */
  sample?: { value: string; commented: boolean };
}

function variables(): Map<string, Documented> {
  const read = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');
  const all = new Map<string, Documented>();
  const entry = (name: string) => all.get(name) ?? (all.set(name, {}).get(name) as Documented);

  const readme = read('README.md');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
  );
  for (const match of section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(.*?)\s*\|/gm)) {
    entry(match[1] as string).readme = match[2] as string;
  }
  for (const match of read('.env.sample').matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
    entry(match[2] as string).sample = { value: match[3] as string, commented: match[1] !== undefined };
  }
  return all;
}

const documented = [...variables()];

describe('.env.sample and the README', () => {
  test('both list variables', () => {
    expect(documented.filter(([, d]) => d.readme !== undefined).length).toBeGreaterThan(20);
    expect(documented.filter(([, d]) => d.sample !== undefined).length).toBeGreaterThan(20);
  });

  test.each(documented)('%s is in both, with the same default', (_name, { readme, sample }) => {
    expect(readme, 'missing from the README').toBeDefined();
    expect(sample, 'missing from .env.sample').toBeDefined();
    const literal = /^`([^`]*)`$/.exec(readme ?? '')?.[1];
    if (literal !== undefined) {
      // A default the bot uses: the sample shows that value (set, or commented out).
      expect(sample?.value).toBe(literal);
    } else if (readme?.startsWith('required')) {
      expect(sample?.commented, 'a required variable is set in the sample, as a placeholder').toBe(false);
    } else {
      // No default value (unset, anyone, another variable's): the sample only shows an example.
      expect(sample?.commented, 'a variable without a default is commented out in the sample').toBe(true);
    }
  });
});

describe('what is kept of a key, as the README, .env.sample and the code say it', () => {
  const read = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');
  const grace = `${KEY_COPY_GRACE_MS / 1000} seconds`;
  const sampleComment = (() => {
    const lines = read('.env.sample').split('\n');
    const at = lines.findIndex((line) => line.startsWith('# KEY_ENCRYPTION_KEY='));
    let start = at;
    while (start > 0 && lines[start - 1]?.startsWith('#')) start--;
    return lines.slice(start, at).join(' ').replace(/#\s*/g, '').replace(/\s+/g, ' ');
  })();
  const readmeRow = /^\|\s*`KEY_ENCRYPTION_KEY`.*$/m.exec(read('README.md'))?.[0].replace(/\s+/g, ' ') ?? '';

  test.each([
    ['while a rotation of that key is open'],
    [`wiped ${grace} after its scan and at every start`],
    ['wiped when its rotation completes'],
    ['held in memory only, by the same rules'],
  ])('both say "%s"', (words) => {
    expect(sampleComment).toContain(words);
    expect(readmeRow).toContain(words);
  });

  test('the grace and the sweep keep a copy under a minute after its scan', () => {
    expect(KEY_COPY_GRACE_MS + KEY_SWEEP_EVERY_MS).toBeLessThanOrEqual(60_000);
    expect(read('README.md')).toContain(`wiped ${grace} after its scan found it`);
  });
});
