import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, readEnvironment } from '../src/config.js';

const CWD = resolve('/srv/klaviyo-checkup');

/** The least an HTTP-mode bot needs. */
const HTTP_ENV = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret' };
const SOCKET_ENV = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-xyz' };

function load(extra: Record<string, string | undefined> = {}, base: Record<string, string> = HTTP_ENV) {
  return loadConfig({ ...base, ...extra }, CWD);
}

function configError(run: () => unknown): ConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

/** The error for one setting: a ConfigError naming the variable, in one line. */
function expectRejected(extra: Record<string, string>, variable: string): ConfigError {
  const error = configError(() => load(extra));
  expect(error.variable).toBe(variable);
  expect(error.message).toContain(variable);
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.missingCredentials).toBe(false);
  return error;
}

describe('defaults', () => {
  test('an HTTP-mode environment with only the credentials', () => {
    const config = load();
    expect(config).toMatchObject({
      slack: { botToken: 'xoxb-1-2-abc', signingSecret: 'signing-secret', apiUrl: 'https://slack.com/api/' },
      port: 3000,
      databasePath: join(CWD, 'data', 'klaviyo-checkup.sqlite'),
      scan: { allowPrivateNetworks: false, maxPages: 200, concurrency: 2 },
      klaviyo: { apiUrl: 'https://a.klaviyo.com', revision: '2026-07-15' },
      access: { users: [] },
      logLevel: 'info',
    });
    expect(config.slack).toEqual({
      botToken: 'xoxb-1-2-abc',
      signingSecret: 'signing-secret',
      apiUrl: 'https://slack.com/api/',
    });
    expect(config.access).toEqual({ users: [] });
    expect(config).not.toHaveProperty('keyEncryptionKey');
    expect(config.access).not.toHaveProperty('userGroup');
    expect(config.slack).not.toHaveProperty('appToken');
  });

  test('the configuration is frozen', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.slack)).toBe(true);
    expect(Object.isFrozen(config.scan)).toBe(true);
  });

  test('empty and blank values count as unset', () => {
    const config = load({ PORT: '', SCAN_MAX_PAGES: '   ', LOG_LEVEL: '', KEY_ENCRYPTION_KEY: ' ' });
    expect(config.port).toBe(3000);
    expect(config.scan.maxPages).toBe(200);
    expect(config.logLevel).toBe('info');
    expect(config).not.toHaveProperty('keyEncryptionKey');
  });

  test('values are trimmed', () => {
    expect(load({ PORT: ' 8080 ' }).port).toBe(8080);
    expect(load({ SLACK_BOT_TOKEN: '  xoxb-9  ' }).slack.botToken).toBe('xoxb-9');
  });
});

describe('Slack credentials', () => {
  test.each<[string, Record<string, string>, string[]]>([
    ['nothing set', {}, ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']],
    ['no bot token', { SLACK_SIGNING_SECRET: 's' }, ['SLACK_BOT_TOKEN']],
    ['no bot token in Socket Mode', { SLACK_APP_TOKEN: 'xapp-1' }, ['SLACK_BOT_TOKEN']],
    ['no signing secret and no app token', { SLACK_BOT_TOKEN: 'xoxb-1' }, ['SLACK_SIGNING_SECRET']],
    [
      'blank values',
      { SLACK_BOT_TOKEN: '  ', SLACK_SIGNING_SECRET: '' },
      ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
    ],
  ])('missing: %s', (_name, env, named) => {
    const error = configError(() => loadConfig(env, CWD));
    expect(error.missingCredentials).toBe(true);
    expect(error.variable).toBe(named[0]);
    for (const variable of named) expect(error.message).toContain(variable);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.name).toBe('ConfigError');
  });

  test('Socket Mode needs no signing secret', () => {
    const config = loadConfig(SOCKET_ENV, CWD);
    expect(config.slack.appToken).toBe('xapp-1-A1-xyz');
    expect(config.slack).not.toHaveProperty('signingSecret');
  });

  test('both an app token and a signing secret are kept', () => {
    const config = load({ SLACK_APP_TOKEN: 'xapp-2' });
    expect(config.slack).toMatchObject({ appToken: 'xapp-2', signingSecret: 'signing-secret' });
  });

  test.each([
    ['a user token', { SLACK_BOT_TOKEN: 'xoxp-1-2' }, 'SLACK_BOT_TOKEN'],
    ['an app token as the bot token', { SLACK_BOT_TOKEN: 'xapp-1-2' }, 'SLACK_BOT_TOKEN'],
    ['upper case', { SLACK_BOT_TOKEN: 'XOXB-1-2' }, 'SLACK_BOT_TOKEN'],
    ['a bot token as the app token', { SLACK_APP_TOKEN: 'xoxb-1-2' }, 'SLACK_APP_TOKEN'],
    ['a user token as the app token', { SLACK_APP_TOKEN: 'xoxp-1-2' }, 'SLACK_APP_TOKEN'],
  ])('refuses %s', (_name, extra, variable) => {
    const error = expectRejected(extra, variable);
    // The message never repeats the token.
    expect(error.message).not.toContain(Object.values(extra)[0]);
  });
});

describe('whole numbers', () => {
  test.each([
    ['PORT', '0', 0],
    ['PORT', '65535', 65535],
    ['PORT', '8080', 8080],
    ['SCAN_MAX_PAGES', '1', 1],
    ['SCAN_MAX_PAGES', '100000', 100_000],
    ['SCAN_CONCURRENCY', '1', 1],
    ['SCAN_CONCURRENCY', '16', 16],
  ])('%s=%s is accepted', (variable, value, expected) => {
    const config = load({ [variable]: value });
    const read = {
      PORT: config.port,
      SCAN_MAX_PAGES: config.scan.maxPages,
      SCAN_CONCURRENCY: config.scan.concurrency,
    };
    expect(read[variable as keyof typeof read]).toBe(expected);
  });

  test.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', 'http'],
    ['PORT', '1e3'],
    ['PORT', '0x50'],
    ['SCAN_MAX_PAGES', '0'],
    ['SCAN_MAX_PAGES', '100001'],
    ['SCAN_MAX_PAGES', 'all'],
    ['SCAN_CONCURRENCY', '0'],
    ['SCAN_CONCURRENCY', '17'],
    ['SCAN_CONCURRENCY', '2 scans'],
  ])('%s=%s is refused', (variable, value) => {
    const error = expectRejected({ [variable]: value }, variable);
    expect(error.message).toContain(`"${value}"`);
    expect(error.message).toMatch(/whole number from \d+ to \d+/);
  });
});

describe('booleans', () => {
  test.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['NO', false],
    ['off', false],
  ])('SCAN_ALLOW_PRIVATE_NETWORKS=%s is %s', (value, expected) => {
    expect(load({ SCAN_ALLOW_PRIVATE_NETWORKS: value }).scan.allowPrivateNetworks).toBe(expected);
  });

  test.each(['2', 'y', 'n', 'enabled', 'truee', 'true false'])(
    'SCAN_ALLOW_PRIVATE_NETWORKS=%s is refused',
    (value) => {
      const error = expectRejected({ SCAN_ALLOW_PRIVATE_NETWORKS: value }, 'SCAN_ALLOW_PRIVATE_NETWORKS');
      expect(error.message).toContain('true or false');
      expect(error.message).toContain(value);
    },
  );
});

describe('URLs', () => {
  test.each([
    ['https://slack.example/api', 'https://slack.example/api/'],
    ['https://slack.example/api/', 'https://slack.example/api/'],
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000/'],
  ])('SLACK_API_URL=%s ends with a slash', (value, expected) => {
    expect(load({ SLACK_API_URL: value }).slack.apiUrl).toBe(expected);
  });

  test.each([
    ['https://a.klaviyo.com/', 'https://a.klaviyo.com'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://127.0.0.1:4010/base//', 'http://127.0.0.1:4010/base'],
  ])('KLAVIYO_API_URL=%s has no trailing slash', (value, expected) => {
    expect(load({ KLAVIYO_API_URL: value }).klaviyo.apiUrl).toBe(expected);
  });

  test.each([
    ['SLACK_API_URL', 'slack.com/api'],
    ['SLACK_API_URL', 'ftp://slack.com/api'],
    ['KLAVIYO_API_URL', 'file:///etc/passwd'],
    ['KLAVIYO_API_URL', 'not a url'],
    ['KLAVIYO_API_URL', 'javascript:alert(1)'],
  ])('%s=%s is refused', (variable, value) => {
    const error = expectRejected({ [variable]: value }, variable);
    expect(error.message).toContain('http(s) URL');
  });
});

describe('KEY_ENCRYPTION_KEY', () => {
  const bytes = randomBytes(32);

  test.each([
    ['hex', bytes.toString('hex')],
    ['upper-case hex', bytes.toString('hex').toUpperCase()],
    ['base64', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=+$/, '')],
  ])('32 bytes in %s', (_name, value) => {
    const config = load({ KEY_ENCRYPTION_KEY: value });
    expect(config.keyEncryptionKey).toBeInstanceOf(Buffer);
    expect(Buffer.compare(config.keyEncryptionKey as Buffer, bytes)).toBe(0);
  });

  test.each([
    ['16 bytes in hex', randomBytes(16).toString('hex')],
    ['63 hex characters', bytes.toString('hex').slice(0, 63)],
    ['31 bytes in base64', randomBytes(31).toString('base64')],
    ['33 bytes in base64', randomBytes(33).toString('base64')],
    ['64 bytes in base64', randomBytes(64).toString('base64')],
    ['a short passphrase', 'hunter2'],
  ])('refuses %s', (_name, value) => {
    const error = expectRejected({ KEY_ENCRYPTION_KEY: value }, 'KEY_ENCRYPTION_KEY');
    expect(error.message).toContain('32');
    // The message never repeats the secret.
    expect(error.message).not.toContain(value);
  });

  // Buffer's base64 decoder skips stray characters, so the value's form is checked first.
  test('refuses a value with characters outside base64', () => {
    const value = `${bytes.toString('base64')}!!`.replace('=', '');
    expectRejected({ KEY_ENCRYPTION_KEY: `@@${value}` }, 'KEY_ENCRYPTION_KEY');
  });
});

describe('access', () => {
  test.each([
    ['U012ABC', ['U012ABC']],
    ['U012ABC,W0XYZ99', ['U012ABC', 'W0XYZ99']],
    ['U012ABC, W0XYZ99 ,, U777', ['U012ABC', 'W0XYZ99', 'U777']],
    ['U012ABC W0XYZ99', ['U012ABC', 'W0XYZ99']],
  ])('ALLOWED_USERS=%j', (value, users) => {
    expect(load({ ALLOWED_USERS: value }).access.users).toEqual(users);
  });

  test.each([
    ['u012abc', 'u012abc'],
    ['U012ABC,@alice', '@alice'],
    ['U012ABC,S0GROUP', 'S0GROUP'],
    ['C0CHANNEL', 'C0CHANNEL'],
    ['U1', 'U1'],
    ['alice@example.com', 'alice@example.com'],
  ])('ALLOWED_USERS=%j is refused, naming %s', (value, bad) => {
    const error = expectRejected({ ALLOWED_USERS: value }, 'ALLOWED_USERS');
    expect(error.message).toContain(`"${bad}"`);
  });

  test('ALLOWED_USERGROUP accepts a user group ID', () => {
    expect(load({ ALLOWED_USERGROUP: 'S0123ABCD' }).access).toEqual({ users: [], userGroup: 'S0123ABCD' });
  });

  test.each(['U0123ABCD', 's0123abcd', '@security', 'S1', 'S0123ABCD,S0456'])(
    'ALLOWED_USERGROUP=%s is refused',
    (value) => {
      expectRejected({ ALLOWED_USERGROUP: value }, 'ALLOWED_USERGROUP');
    },
  );
});

describe('LOG_LEVEL', () => {
  test.each([
    ['debug', 'debug'],
    ['info', 'info'],
    ['WARN', 'warn'],
    [' error ', 'error'],
  ])('%j is %s', (value, expected) => {
    expect(load({ LOG_LEVEL: value }).logLevel).toBe(expected);
  });

  test.each(['trace', 'verbose', 'warning', '1'])('%s is refused', (value) => {
    const error = expectRejected({ LOG_LEVEL: value }, 'LOG_LEVEL');
    expect(error.message).toContain('debug, info, warn, error');
  });
});

describe('KLAVIYO_API_REVISION', () => {
  test('a date is accepted', () => {
    expect(load({ KLAVIYO_API_REVISION: '2025-01-15' }).klaviyo.revision).toBe('2025-01-15');
  });

  test.each(['2025-1-15', '20250115', '2025-01-15.pre', 'latest', '2025-01-15T00:00'])(
    '%s is refused',
    (value) => {
      const error = expectRejected({ KLAVIYO_API_REVISION: value }, 'KLAVIYO_API_REVISION');
      expect(error.message).toContain('2026-07-15');
    },
  );
});

describe('DATABASE_PATH', () => {
  test.each([
    ['db.sqlite', join(CWD, 'db.sqlite')],
    ['./state/bot.sqlite', join(CWD, 'state', 'bot.sqlite')],
    ['../shared/bot.sqlite', resolve(CWD, '..', 'shared', 'bot.sqlite')],
    ['/var/lib/bot/bot.sqlite', '/var/lib/bot/bot.sqlite'],
  ])('%s resolves to %s', (value, expected) => {
    expect(load({ DATABASE_PATH: value }).databasePath).toBe(expected);
  });

  test('the default sits under the working directory', () => {
    expect(loadConfig(HTTP_ENV, '/elsewhere').databasePath).toBe(
      resolve('/elsewhere/data/klaviyo-checkup.sqlite'),
    );
  });
});

describe('error messages are one line', () => {
  // A value pasted with a line break (a quoted multi-line .env value) is echoed into the message.
  // ConfigError promises one line: quoted values must not carry line breaks into it.
  test.each([
    ['SCAN_ALLOW_PRIVATE_NETWORKS', 'yes\nplease'],
    ['LOG_LEVEL', 'info\ndebug'],
    ['KLAVIYO_API_REVISION', '2026-07-15\n2026-01-01'],
    ['ALLOWED_USERGROUP', 'S0123\nS0456'],
    ['PORT', '80\n81'],
  ])('%s with a line break in the value', (variable, value) => {
    expectRejected({ [variable]: value }, variable);
  });
});

describe('.env', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A working directory holding `.env` with `text`. */
  function withEnvFile(text: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-env-'));
    dirs.push(dir);
    writeFileSync(join(dir, '.env'), text);
    return dir;
  }

  test('no file: the environment as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-env-'));
    dirs.push(dir);
    expect(readEnvironment(dir, HTTP_ENV)).toEqual({ env: HTTP_ENV });
  });

  test('its variables are read, and the environment wins over them', () => {
    const dir = withEnvFile(
      [
        '# Slack',
        'SLACK_BOT_TOKEN=xoxb-from-file',
        'export SLACK_SIGNING_SECRET="secret from file" # quoted, with a comment',
        '',
        "LOG_LEVEL='debug'",
        'MAX_ADMINS = 5',
        'KLAVIYO_API_URL=http://127.0.0.1:9/a=b',
      ].join('\r\n'),
    );
    const { env, file } = readEnvironment(dir, { MAX_ADMINS: '7' });
    expect(file).toBe(join(dir, '.env'));
    expect(env).toMatchObject({
      SLACK_BOT_TOKEN: 'xoxb-from-file',
      SLACK_SIGNING_SECRET: 'secret from file',
      LOG_LEVEL: 'debug',
      MAX_ADMINS: '7',
      KLAVIYO_API_URL: 'http://127.0.0.1:9/a=b',
    });
    expect(loadConfig(env, dir)).toMatchObject({ logLevel: 'debug', review: { maxAdmins: 7 } });
  });

  test('a multi-line quoted value is one value', () => {
    const dir = withEnvFile('COMPANY_DOMAINS="shop.example,\nbrand.example"\nMAX_ADMINS=2\n');
    expect(readEnvironment(dir, {}).env).toMatchObject({
      COMPANY_DOMAINS: 'shop.example,\nbrand.example',
      MAX_ADMINS: '2',
    });
  });

  test('.env.sample as shipped reads as a .env', () => {
    const dir = withEnvFile(readFileSync(new URL('../.env.sample', import.meta.url), 'utf8'));
    const { env } = readEnvironment(dir, {});
    expect(env.SLACK_BOT_TOKEN).toMatch(/^xoxb-/);
    expect(() => loadConfig(env, dir)).not.toThrow();
  });

  test.each([
    [
      'a line without =',
      'SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET s3cr3t-value\n',
      2,
      'is not NAME=value',
    ],
    ['a name that is not one', 'SLACK_BOT_TOKEN=xoxb-1\n\n2SLACK=s3cr3t-value\n', 3, 'is not NAME=value'],
    ['a quote never closed', 'SLACK_SIGNING_SECRET="s3cr3t-value\nPORT=3000\n', 1, 'never closed'],
  ])('%s stops start-up with one line naming the line, not its content', (_, text, line, words) => {
    const error = configError(() => readEnvironment(withEnvFile(text), {}));
    expect(error.variable).toBe('.env');
    expect(error.message).toContain(`line ${line}`);
    expect(error.message).toContain(words);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  test('a .env that cannot be read says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaviyo-checkup-env-'));
    dirs.push(dir);
    mkdirSync(join(dir, '.env'));
    expect(configError(() => readEnvironment(dir, {})).message).toMatch(/^\.env could not be read: /);
  });
});

describe('rendering', () => {
  test('is off unless SCAN_RENDER says so; no browser needs naming', () => {
    expect(load().scan.render).toBe(false);
    expect(load({ SCAN_RENDER: 'true' }).scan).toMatchObject({ render: true });
    expect(load({ SCAN_RENDER: 'true' }).scan.browser).toBeUndefined();
  });

  test('a named browser is kept when it is there', () => {
    expect(load({ SCAN_RENDER: 'true', KLAVIYO_CHECKUP_BROWSER: process.execPath }).scan.browser).toBe(
      process.execPath,
    );
  });

  test('a named browser that is not there stops start-up, when rendering is on', () => {
    const error = expectRejected(
      { SCAN_RENDER: 'true', KLAVIYO_CHECKUP_BROWSER: '/nowhere/chromium' },
      'KLAVIYO_CHECKUP_BROWSER',
    );
    expect(error.message).toContain('/nowhere/chromium');
    expect(load({ KLAVIYO_CHECKUP_BROWSER: '/nowhere/chromium' }).scan.render).toBe(false);
  });

  test('SCAN_RENDER is true or false', () => {
    expect(expectRejected({ SCAN_RENDER: 'sometimes' }, 'SCAN_RENDER').message).toContain('true or false');
  });
});
