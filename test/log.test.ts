import { describe, expect, test } from 'vitest';
import { boltLogger, createLogger, type Logger, type LogLevel } from '../src/log.js';

// Made-up keys in Klaviyo's two private-key forms: random hex, never issued by Klaviyo.
const LEGACY = 'pk_c553824640cf9d938df817d4e33354cdd9';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';
const KEYS = [
  ['legacy', LEGACY, 'pk_\u2026cdd9'],
  ['account-scoped', SCOPED, 'pk_\u202655da'],
] as const;

const NOW = new Date('2026-07-01T12:00:00.000Z');

function capture(
  level: LogLevel = 'debug',
  base = {},
): { log: Logger; lines: string[]; output: () => string } {
  const lines: string[] = [];
  const log = createLogger(
    level,
    (line) => lines.push(line),
    base,
    () => NOW,
  );
  return { log, lines, output: () => lines.join('') };
}

/** No part of the key after `pk_` long enough to matter survives. */
function expectNoKey(output: string, key: string): void {
  expect(output).not.toContain(key);
  const body = key.slice(3);
  // Any 12-character window of the key's secret part would be a leak.
  for (let i = 0; i + 12 <= body.length; i++) expect(output).not.toContain(body.slice(i, i + 12));
}

describe('one JSON object per line', () => {
  test('time, level, message and fields', () => {
    const { log, lines } = capture();
    log.info('scan finished', { scanId: 's1', pages: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: NOW.toISOString(),
      level: 'info',
      msg: 'scan finished',
      scanId: 's1',
      pages: 3,
    });
  });

  test('bigints are written as strings', () => {
    const { log, lines } = capture();
    log.info('big', { bytes: 12345678901234567890n });
    expect(JSON.parse(lines[0] as string).bytes).toBe('12345678901234567890');
  });
});

describe('never a full private key', () => {
  test.each(KEYS)('%s key in the message', (_form, key, masked) => {
    const { log, output } = capture();
    log.warn(`found ${key} on the page`);
    expectNoKey(output(), key);
    expect(JSON.parse(output()).msg).toBe(`found ${masked} on the page`);
  });

  test.each(KEYS)('%s key in a field value and a field name', (_form, key, masked) => {
    const { log, output } = capture();
    log.info('hit', { key, [key]: 'as a name', url: `https://shop.example/?k=${key}` });
    expectNoKey(output(), key);
    const record = JSON.parse(output());
    expect(record.key).toBe(masked);
    expect(record[masked]).toBe('as a name');
    expect(record.url).toBe(`https://shop.example/?k=${masked}`);
  });

  test.each(KEYS)('%s key in nested objects and arrays', (_form, key) => {
    const { log, output } = capture();
    log.info('nested', {
      finding: {
        occurrences: [{ snippet: `company_id: "${key}"` }, { deeper: { list: [key, `x${key}y`] } }],
      },
    });
    expectNoKey(output(), key);
    expect(output()).toContain('pk_\u2026');
  });

  test.each(KEYS)('%s key in an Error message and stack', (_form, key) => {
    const { log, output } = capture();
    const error = new Error(`Klaviyo refused ${key}`);
    expect(error.stack).toContain(key);
    log.error('check failed', { error });
    expectNoKey(output(), key);
    const record = JSON.parse(output());
    expect(record.error.name).toBe('Error');
    expect(record.error.message).toMatch(/^Klaviyo refused pk_\u2026/);
    expect(record.error.stack).toMatch(/^Error: Klaviyo refused pk_\u2026/);
  });

  test.each(KEYS)('%s key in an Error nested in fields, with a code', (_form, key) => {
    const { log, output } = capture();
    const error = Object.assign(new TypeError(`bad header Klaviyo-API-Key ${key}`), { code: `E_${key}` });
    log.error('request failed', { context: { attempts: [{ error }] } });
    expectNoKey(output(), key);
    const logged = JSON.parse(output()).context.attempts[0].error;
    expect(logged.name).toBe('TypeError');
    expect(logged.code).toMatch(/^E_pk_\u2026/);
  });

  test.each(KEYS)('%s key at the start of a stack line', (_form, key) => {
    const { log, output } = capture();
    const error = new Error('wrapped');
    error.stack = `Error: wrapped\n${key}\n    at somewhere (file.js:1:1)`;
    log.error('failed', { error });
    expectNoKey(output(), key);
  });

  test.each(KEYS)('%s key in the fields of a child logger', (_form, key) => {
    const { log, output } = capture();
    log
      .child({ key })
      .child({ note: `key=${key}` })
      .info('child');
    expectNoKey(output(), key);
  });

  test.each([
    ['a JS-escaped underscore', `pk\\x5f${LEGACY.slice(3)}`],
    ['a unicode-escaped underscore', `pk\\u005f${LEGACY.slice(3)}`],
    ['a URL-encoded underscore', `pk%5F${LEGACY.slice(3)}`],
    ['an HTML entity underscore', `pk&#95;${LEGACY.slice(3)}`],
  ])('a key written with %s', (_name, spelled) => {
    const { log, output } = capture();
    log.info('snippet', { snippet: `var token = "${spelled}";` });
    expectNoKey(output(), LEGACY);
  });

  test('the Bolt adapter masks keys in every part it joins', () => {
    const { log, output } = capture();
    const bolt = boltLogger(log, 'debug');
    bolt.setName('web-api');
    bolt.warn('retrying', { token: LEGACY }, new Error(`with ${SCOPED}`), SCOPED);
    expectNoKey(output(), LEGACY);
    expectNoKey(output(), SCOPED);
    expect(JSON.parse(output()).component).toBe('web-api');
    expect(bolt.getLevel()).toBe('debug');
  });
});

describe('levels', () => {
  const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

  test.each<[LogLevel, LogLevel[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('at %s, writes %j', (level, written) => {
    const { log, lines } = capture(level);
    for (const at of LEVELS) log[at](`at ${at}`);
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(written);
  });

  test('children keep the level', () => {
    const { log, lines } = capture('warn');
    const child = log.child({ component: 'scan' });
    child.info('dropped');
    child.error('kept');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['kept']);
  });
});

describe('child loggers', () => {
  test('merge their fields with the parent, later fields winning', () => {
    const { log, lines } = capture('debug', { app: 'klaviyo-checkup' });
    const child = log.child({ component: 'scan', scanId: 's1' }).child({ scanId: 's2', page: 3 });
    child.info('page', { page: 4 });
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: NOW.toISOString(),
      level: 'info',
      msg: 'page',
      app: 'klaviyo-checkup',
      component: 'scan',
      scanId: 's2',
      page: 4,
    });
  });

  test('do not change the parent', () => {
    const { log, lines } = capture();
    log.child({ component: 'scan' });
    log.info('parent');
    expect(JSON.parse(lines[0] as string)).not.toHaveProperty('component');
  });
});
