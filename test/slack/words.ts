/**
 * Words a marketing team should never read in Slack: ISO timestamps and dates (Slack's `<!date^…>`
 * shows each reader their own time zone), snake_case identifiers (the app's internal names), counts
 * with the wrong noun ("1 pages", "key(s)"), and the names of the bot's environment variables (for
 * admins, in App Home only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's `.env.sample`, found from this file up (the bench runs a compiled copy elsewhere). */
function envSample(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, '.env.sample');
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error('.env.sample not found above test/slack/words.ts');
}

/** The variables the bot reads, as `.env.sample` lists them (commented or not). */
export const ENV_NAMES: readonly string[] = [
  ...envSample().matchAll(/^#?\s*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=/gm),
].map((match) => match[1] as string);

/** Every visible text of a payload: text objects, the notification text, prefilled inputs, comments. */
export function visibleTexts(value: unknown, key = ''): string[] {
  if (typeof value === 'string')
    return ['text', 'initial_value', 'initial_comment', 'comment'].includes(key) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((item) => visibleTexts(item, key));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, item]) => visibleTexts(item, name));
}

/**
 * What a reader sees of our own words: without emoji codes, Slack's date, mention and link tokens, code spans
 * (masked keys, fingerprints, commands, snippets of a site's code), URLs and email addresses, which
 * are not the app's words.
 */
function ownWords(text: string): string {
  return text
    .replace(/:[a-z0-9_+-]+:/g, ' ')
    .replace(/<!date\^[^>]*>/g, ' ')
    .replace(/<[@#!][^>]*>/g, ' ')
    .replace(/<[^>|]+\|([^>]*)>/g, '$1')
    .replace(/<[^>]*>/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\bhttps?:\/\/\S+/g, ' ')
    .replace(/[^\s<>()]+@[^\s<>()]+/g, ' ');
}

const ISO = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?/;
const SNAKE = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/;
/** A lazy plural: "key(s)". */
const LAZY_PLURAL = /\b(?!https?\()[A-Za-z-]+\(s\)/;
/**
 * One of something in the plural: "1 pages", "1 exposed Klaviyo private keys", "0 of 1 users". The
 * words a count is allowed to carry before its noun are listed; the noun ends in s but is no plural
 * of those that do anyway.
 */
const ONE_PLURAL =
  /(?<![\d.,])\b1 (?:(?:exposed|new|more|other|open|unflagged|undecided|unreadable|watched|flagged|Klaviyo|private|roster|role|account|key-shaped) )*([A-Za-z-]+s)\b/g;
const NOT_PLURAL = new Set([
  'is',
  'was',
  'has',
  'this',
  'its',
  'as',
  'access',
  'status',
  'address',
  'process',
]);

/** The count-and-noun problems of one text of our own words. */
export function pluralProblems(words: string): string[] {
  const problems: string[] = [];
  const lazy = LAZY_PLURAL.exec(words);
  if (lazy) problems.push(`"${lazy[0]}"`);
  for (const match of words.matchAll(ONE_PLURAL))
    if (!NOT_PLURAL.has((match[1] as string).toLowerCase())) problems.push(`"${match[0]}"`);
  return problems;
}

/** The problems in one payload; `admin` surfaces (App Home) may name environment variables. */
export function wordProblems(payload: unknown, where: string, options: { admin?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const text of visibleTexts(payload)) {
    const words = ownWords(text);
    const iso = ISO.exec(words);
    if (iso) problems.push(`${where}: an ISO date "${iso[0]}" in "${text.slice(0, 160)}"`);
    const snake = SNAKE.exec(words);
    if (snake) problems.push(`${where}: an internal name "${snake[0]}" in "${text.slice(0, 160)}"`);
    for (const plural of pluralProblems(words))
      problems.push(`${where}: a count with the wrong noun ${plural} in "${text.slice(0, 160)}"`);
    if (!options.admin) {
      // Also inside code spans: a variable name is the app's word wherever it is shown.
      const env = ENV_NAMES.find((name) => new RegExp(`\\b${name}\\b`).test(text));
      if (env) problems.push(`${where}: the variable ${env} in "${text.slice(0, 160)}"`);
    }
  }
  return problems;
}

/** Every message, view, reply and file comment the bot sent through the fake Slack. */
export function slackWordProblems(
  calls: readonly { method: string; args: Record<string, unknown> }[],
  responses: readonly { body: unknown }[],
): string[] {
  const problems: string[] = [];
  for (const call of calls) {
    if (
      call.method.startsWith('chat.') ||
      call.method.startsWith('views.') ||
      call.method.startsWith('files.')
    )
      problems.push(...wordProblems(call.args, call.method, { admin: call.method === 'views.publish' }));
  }
  for (const response of responses) problems.push(...wordProblems(response.body, 'response_url'));
  return [...new Set(problems)];
}
