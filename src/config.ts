import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as util from 'node:util';
import { CheckupError } from './errors.js';
import type { LogLevel } from './log.js';
import { BROWSER_ENV, BrowserMissingError, findBrowser } from './scan/render/browser.js';
import { type CronSchedule, DEFAULT_REVIEW_SCHEDULE, parseCron } from './schedule/cron.js';
import { isValidTimeZone } from './schedule/wall-clock.js';

/** The bot's settings, read and validated once at start-up. The only module that reads process.env (and `.env`). */
export interface Config {
  slack: SlackSettings;
  port: number;
  databasePath: string;
  scan: {
    allowPrivateNetworks: boolean;
    maxPages: number;
    /** Scans running at once; more wait in a queue. */
    concurrency: number;
    /** Scans also render pages in headless Chromium when one is installed (SCAN_RENDER). */
    render: boolean;
    /** The Chromium binary for rendering (KLAVIYO_CHECKUP_BROWSER); unset: the system's is looked for. */
    browser?: string;
  };
  klaviyo: {
    apiUrl: string;
    revision: string;
  };
  /** 32-byte key that encrypts exposed keys kept for the liveness check; absent: keys are not kept. */
  keyEncryptionKey?: Buffer;
  access: {
    /** Slack user IDs allowed to act on checklists; empty with no group means everyone. */
    users: string[];
    userGroup?: string;
  };
  review: {
    schedule: CronSchedule;
    timeZone: string;
    /** Where reminders go; unset: the channel of the latest review. */
    channel?: string;
    companyDomains: string[];
    maxAdmins: number;
    idleDays: number;
  };
  reminders: {
    /** Checklist items without a due date are overdue this long after they were opened. */
    nudgeAfterHours: number;
  };
  rescan: {
    /** Sites scanned on a schedule; only new findings are announced. Seeded into the watched sites. */
    sites: string[];
    schedule: CronSchedule;
    channel?: string;
    /** How many sites can be watched at once. */
    maxSites: number;
  };
  logLevel: LogLevel;
}

interface SlackCommon {
  botToken: string;
  apiUrl: string;
}

/** HTTP mode: Slack sends each request to POST /slack/events, signed with the signing secret. */
export interface HttpSlackSettings extends SlackCommon {
  signingSecret: string;
  appToken?: undefined;
}

/** Socket Mode: the bot opens the connection with the app-level token; no public URL is needed. */
export interface SocketSlackSettings extends SlackCommon {
  appToken: string;
  signingSecret?: string;
}

/** How the bot meets Slack: one shape per mode, told apart by `appToken`. */
export type SlackSettings = HttpSlackSettings | SocketSlackSettings;

/** A missing or invalid setting; the message is one line that names the variable. */
export class ConfigError extends CheckupError<'missing_credentials' | 'invalid_setting'> {
  override name = 'ConfigError';

  constructor(
    readonly variable: string,
    message: string,
    /** Missing Slack credentials are a setup step, not a typo: the CLI exits 2 for both. */
    missingCredentials = false,
  ) {
    super(missingCredentials ? 'missing_credentials' : 'invalid_setting', message);
  }

  get missingCredentials(): boolean {
    return this.code === 'missing_credentials';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A line of a `.env` file that sets a variable; the capture is the value as written. */
const ENV_FILE_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/;

/**
 * The variables the bot starts with: those of `.env` in `cwd` when it exists, overridden by the process
 * environment (a variable set in both keeps the environment's value). `file` is the `.env` that was read.
 */
export function readEnvironment(
  cwd: string = process.cwd(),
  env: Env = process.env,
): { env: Env; file?: string } {
  const file = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { env };
    throw new ConfigError('.env', `.env could not be read: ${(error as Error).message}`);
  }
  checkEnvFile(text);
  // Node's own parser (the one behind --env-file), so quoting works as Node documents it.
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string | undefined> }).parseEnv;
  if (parseEnv === undefined) {
    throw new ConfigError(
      '.env',
      `.env needs Node.js 20.12 or later (this is ${process.version}): upgrade, or set the variables in the environment`,
    );
  }
  return { env: { ...parseEnv(text), ...env }, file };
}

/**
 * Node's parser reads almost anything (a line without `=` becomes part of the next name), so a mistyped
 * line is refused here, by number only: the line may hold a token.
 */
function checkEnvFile(text: string): void {
  let openQuote: string | undefined;
  let openedAt = 0;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (openQuote !== undefined) {
      if (line.includes(openQuote)) openQuote = undefined;
      continue;
    }
    if (/^\s*(?:#.*)?$/.test(line)) continue;
    const value = ENV_FILE_LINE.exec(line)?.[1];
    if (value === undefined) {
      throw new ConfigError('.env', `.env line ${index + 1} is not NAME=value (a # starts a comment)`);
    }
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) {
      openQuote = quote;
      openedAt = index + 1;
    }
  }
  if (openQuote !== undefined) {
    throw new ConfigError('.env', `.env line ${openedAt} opens a quoted value that is never closed`);
  }
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const slack = slackSettings(env);

  return Object.freeze({
    slack: Object.freeze(slack),
    port: integer(env, 'PORT', 3000, 0, 65535),
    databasePath: resolve(cwd, text(env, 'DATABASE_PATH') ?? './data/klaviyo-checkup.sqlite'),
    scan: Object.freeze({
      allowPrivateNetworks: flag(env, 'SCAN_ALLOW_PRIVATE_NETWORKS', false),
      maxPages: integer(env, 'SCAN_MAX_PAGES', 200, 1, 100_000),
      concurrency: integer(env, 'SCAN_CONCURRENCY', 2, 1, 16),
      ...renderSettings(env),
    }),
    klaviyo: Object.freeze({
      apiUrl: url(env, 'KLAVIYO_API_URL', 'https://a.klaviyo.com').replace(/\/+$/, ''),
      revision: revision(env),
    }),
    ...keyEncryptionKey(env),
    access: Object.freeze({
      users: slackIds(env, 'ALLOWED_USERS', /^[UW][A-Z0-9]{2,}$/),
      ...userGroup(env),
    }),
    review: Object.freeze({
      schedule: cron(env, 'REVIEW_SCHEDULE', DEFAULT_REVIEW_SCHEDULE),
      timeZone: timeZone(env, 'REVIEW_TIMEZONE'),
      ...channel(env, 'REVIEW_CHANNEL'),
      companyDomains: domains(env, 'COMPANY_DOMAINS'),
      maxAdmins: integer(env, 'MAX_ADMINS', 3, 1, 1000),
      idleDays: integer(env, 'IDLE_DAYS', 90, 1, 3650),
    }),
    reminders: Object.freeze({ nudgeAfterHours: integer(env, 'NUDGE_AFTER_HOURS', 48, 1, 24 * 365) }),
    rescan: Object.freeze({
      sites: urls(env, 'RESCAN_SITES'),
      schedule: cron(env, 'RESCAN_SCHEDULE', '0 6 * * MON'),
      ...channel(env, 'RESCAN_CHANNEL'),
      maxSites: integer(env, 'WATCH_MAX_SITES', 25, 1, 500),
    }),
    logLevel: choice(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  });
}

/**
 * Rendering: on or off, and the browser when one is named. A named browser that is not there stops
 * start-up; none named and none installed is no error: scans then run statically and say so.
 */
function renderSettings(env: Env): { render: boolean; browser?: string } {
  const render = flag(env, 'SCAN_RENDER', false);
  const browser = text(env, BROWSER_ENV);
  if (!render || browser === undefined) return { render };
  try {
    return { render, browser: findBrowser({ [BROWSER_ENV]: browser }) };
  } catch (error) {
    if (error instanceof BrowserMissingError) throw new ConfigError(BROWSER_ENV, error.message);
    throw error;
  }
}

/** The Slack credentials; without an app token the bot runs in HTTP mode and needs the signing secret. */
function slackSettings(env: Env): SlackSettings {
  const botToken = text(env, 'SLACK_BOT_TOKEN');
  const appToken = text(env, 'SLACK_APP_TOKEN');
  const signingSecret = text(env, 'SLACK_SIGNING_SECRET');
  const mode =
    appToken !== undefined
      ? { appToken, ...(signingSecret === undefined ? {} : { signingSecret }) }
      : signingSecret === undefined
        ? undefined
        : { signingSecret };
  if (botToken === undefined || mode === undefined) {
    const missing = [
      ...(botToken === undefined ? ['SLACK_BOT_TOKEN'] : []),
      ...(mode === undefined ? ['SLACK_SIGNING_SECRET'] : []),
    ];
    throw new ConfigError(
      missing[0] ?? 'SLACK_BOT_TOKEN',
      `Slack credentials missing: set ${missing.join(' and ')} (and SLACK_APP_TOKEN for Socket Mode); see .env.sample`,
      true,
    );
  }
  if (!botToken.startsWith('xoxb-'))
    throw new ConfigError('SLACK_BOT_TOKEN', 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
  if (appToken !== undefined && !appToken.startsWith('xapp-'))
    throw new ConfigError('SLACK_APP_TOKEN', 'SLACK_APP_TOKEN must be an app-level token (xapp-…)');
  return {
    botToken,
    ...mode,
    apiUrl: withTrailingSlash(url(env, 'SLACK_API_URL', 'https://slack.com/api/')),
  };
}

function cron(env: Env, name: string, fallback: string): CronSchedule {
  const value = text(env, name) ?? fallback;
  try {
    return parseCron(value);
  } catch (error) {
    throw new ConfigError(name, `${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function timeZone(env: Env, name: string): string {
  const value = text(env, name) ?? 'UTC';
  if (!isValidTimeZone(value))
    throw new ConfigError(
      name,
      `${name} must be an IANA time zone such as Europe/London, not ${shown(value)}`,
    );
  return value;
}

function channel(env: Env, name: string): { channel?: string } {
  const value = text(env, name);
  if (value === undefined) return {};
  if (!/^[CGD][A-Z0-9]{2,}$/.test(value))
    throw new ConfigError(name, `${name} must be a channel ID (C…), not ${shown(value)}`);
  return { channel: value };
}

function domains(env: Env, name: string): string[] {
  const value = text(env, name);
  if (value === undefined) return [];
  const list = value
    .split(/[\s,]+/)
    .map((domain) => domain.trim().toLowerCase().replace(/^@/, ''))
    .filter((domain) => domain !== '');
  const bad = list.find((domain) => !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain));
  if (bad !== undefined)
    throw new ConfigError(
      name,
      `${name} must list email domains separated by commas; ${shown(bad)} is not one`,
    );
  return list;
}

function urls(env: Env, name: string): string[] {
  const value = text(env, name);
  if (value === undefined) return [];
  return value
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      try {
        const parsed = new URL(/^https?:\/\//i.test(entry) ? entry : `https://${entry}`);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
        return parsed.href;
      } catch {
        throw new ConfigError(
          name,
          `${name} must list http(s) URLs separated by commas; ${shown(entry)} is not one`,
        );
      }
    });
}

/** A value as quoted in an error message: one line, and short. */
function shown(value: string | undefined): string {
  return JSON.stringify((value ?? '').slice(0, 80));
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new ConfigError(name, `${name} must be a whole number from ${min} to ${max}, not ${shown(value)}`);
  }
  return number;
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `${name} must be true or false, not ${shown(env[name])}`);
}

function url(env: Env, name: string, fallback: string): string {
  const value = text(env, name) ?? fallback;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    return parsed.href;
  } catch {
    throw new ConfigError(name, `${name} must be an http(s) URL, not ${shown(value)}`);
  }
}

function withTrailingSlash(value: string): string {
  return value.endsWith('/') ? value : `${value}/`;
}

function revision(env: Env): string {
  const value = text(env, 'KLAVIYO_API_REVISION') ?? '2026-07-15';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new ConfigError(
      'KLAVIYO_API_REVISION',
      `KLAVIYO_API_REVISION must be a date like 2026-07-15, not ${shown(value)}`,
    );
  }
  return value;
}

function keyEncryptionKey(env: Env): { keyEncryptionKey?: Buffer } {
  const value = text(env, 'KEY_ENCRYPTION_KEY');
  if (value === undefined) return {};
  // Strict forms only: Buffer's base64 decoder would silently skip stray characters.
  const hex = /^[0-9a-fA-F]{64}$/.test(value);
  const base64 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/.test(value);
  const key = hex
    ? Buffer.from(value, 'hex')
    : base64
      ? Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64')
      : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new ConfigError(
      'KEY_ENCRYPTION_KEY',
      'KEY_ENCRYPTION_KEY must be 32 random bytes as 64 hex characters or base64 (openssl rand -base64 32)',
    );
  }
  return { keyEncryptionKey: key };
}

function slackIds(env: Env, name: string, pattern: RegExp): string[] {
  const value = text(env, name);
  if (value === undefined) return [];
  const ids = value
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const bad = ids.find((id) => !pattern.test(id));
  if (bad !== undefined)
    throw new ConfigError(name, `${name} must list Slack IDs separated by commas; ${shown(bad)} is not one`);
  return ids;
}

function userGroup(env: Env): { userGroup?: string } {
  const value = text(env, 'ALLOWED_USERGROUP');
  if (value === undefined) return {};
  if (!/^S[A-Z0-9]{2,}$/.test(value)) {
    throw new ConfigError(
      'ALLOWED_USERGROUP',
      `ALLOWED_USERGROUP must be a user group ID (S…), not ${shown(value)}`,
    );
  }
  return { userGroup: value };
}

function choice<T extends string>(env: Env, name: string, options: readonly T[], fallback: T): T {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (!(options as readonly string[]).includes(value)) {
    throw new ConfigError(name, `${name} must be one of ${options.join(', ')}, not ${shown(env[name])}`);
  }
  return value as T;
}
