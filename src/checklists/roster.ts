/**
 * Reading a Klaviyo user roster and comparing two of them. Klaviyo has no API or export for users, so a
 * review starts from what a person copies from Settings > Users (tab-separated), a CSV/TSV file, or
 * hand-typed `name, email, role` lines. Pure: text in, users out.
 *
 * Rule of thumb: read the common shapes well and report anything else as unreadable, with its line
 * number, rather than guess. A misread role or email in an access review is worse than a question.
 */

import { findRole, normalizeRole, sameRole } from './roles.js';

export interface RosterUser {
  name: string;
  /** Lowercase; the identity of a user. */
  email: string;
  /** A built-in role in Klaviyo's spelling, or a custom role name as written. */
  role: string;
  /** YYYY-MM-DD. */
  dateAdded?: string;
  /** YYYY-MM-DD; null = never logged in; absent = the roster did not say. */
  lastLogin?: string | null;
}

export interface UnreadableLine {
  /** 1-based line number where the record starts (within its part, for several parts). */
  line: number;
  /** At most 200 characters of the line. */
  text: string;
  reason: string;
  /** 1-based paste box, set by parseRosterParts. */
  part?: number;
}

export interface RosterParseResult {
  users: RosterUser[];
  unreadable: UnreadableLine[];
  /** Emails seen more than once; the first occurrence is kept. */
  duplicates: string[];
}

export interface RosterDiff {
  added: RosterUser[];
  removed: RosterUser[];
  roleChanged: { user: RosterUser; from: string; to: string }[];
}

const MAX_UNREADABLE_TEXT = 200;
/** A quoted CSV field may span lines, but a stray quote must not swallow the rest of the paste. */
const MAX_QUOTED_LINES = 5;

type Column = 'name' | 'firstName' | 'lastName' | 'email' | 'role' | 'dateAdded' | 'lastLogin';
type Delimiter = '\t' | ',';

const HEADER_SYNONYMS: Record<string, Column> = {};
for (const [column, names] of Object.entries({
  name: ['name', 'full name', 'user', 'user name', 'username', 'member', 'display name'],
  firstName: ['first name', 'given name'],
  lastName: ['last name', 'surname', 'family name'],
  email: ['email', 'e mail', 'email address', 'e mail address', 'mail'],
  role: ['role', 'roles', 'user role', 'permission', 'permissions', 'access', 'access level'],
  dateAdded: [
    'date added',
    'added',
    'added on',
    'created',
    'created at',
    'date created',
    'created on',
    'joined',
  ],
  lastLogin: [
    'last login',
    'last log in',
    'last logged in',
    'last active',
    'last activity',
    'last sign in',
    'last signed in',
    'last seen',
    'last login date',
  ],
} satisfies Record<Column, string[]>)) {
  for (const name of names) HEADER_SYNONYMS[name] = column as Column;
}

// Words on the Users page that are labels or buttons, never a person's name.
const NOISE_WORDS = new Set([
  'pending',
  'invite',
  'invites',
  'invited',
  'invitation',
  'invitations',
  'user',
  'users',
  'add',
  'edit',
  'remove',
  'delete',
  'resend',
  'cancel',
  'search',
  'filter',
  'actions',
  'settings',
  'manage',
  'export',
  'save',
  'role',
  'roles',
  'email',
  'login',
  'security',
  'account',
  'showing',
  'page',
  'next',
  'previous',
  'require',
  'authentication',
]);

/** Parses one pasted or uploaded roster. */
export function parseRoster(text: string, today: Date): RosterParseResult {
  const state = newState();
  readPart(text, today, state, undefined);
  return finish(state);
}

/**
 * Several paste boxes (Slack caps one box at 3000 characters) read as one roster: a header row in an
 * earlier part applies to the later ones, and duplicates are found across parts.
 */
export function parseRosterParts(parts: string[], today: Date): RosterParseResult {
  const state = newState();
  parts.forEach((text, index) => {
    readPart(text, today, state, index + 1);
  });
  return finish(state);
}

/** Previous and current roster compared by lowercase email. */
export function diffRosters(previous: RosterUser[], current: RosterUser[]): RosterDiff {
  const before = new Map(previous.map((user) => [user.email.toLowerCase(), user]));
  const now = new Map(current.map((user) => [user.email.toLowerCase(), user]));
  const added: RosterUser[] = [];
  const roleChanged: RosterDiff['roleChanged'] = [];
  for (const [email, user] of now) {
    const old = before.get(email);
    if (!old) added.push(user);
    else if (!sameRole(old.role, user.role)) roleChanged.push({ user, from: old.role, to: user.role });
  }
  const removed = [...before].filter(([email]) => !now.has(email)).map(([, user]) => user);
  return { added, removed, roleChanged };
}

// ---------------------------------------------------------------------------------------------------
// Dates

const MONTHS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const NEVER = new Set([
  '',
  'never',
  'n/a',
  'na',
  '-',
  '\u2013',
  '\u2014',
  'none',
  'not yet',
  'never logged in',
]);
const NOW_WORDS = new Set([
  'today',
  'now',
  'just now',
  'a moment ago',
  'moments ago',
  'a few seconds ago',
  'few seconds ago',
  'seconds ago',
  'less than a minute ago',
]);
const UNIT_MS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000 };
const UNIT_ALIASES: Record<string, string> = {
  s: 'second',
  sec: 'second',
  secs: 'second',
  second: 'second',
  seconds: 'second',
  m: 'minute',
  min: 'minute',
  mins: 'minute',
  minute: 'minute',
  minutes: 'minute',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  hour: 'hour',
  hours: 'hour',
  d: 'day',
  day: 'day',
  days: 'day',
  w: 'week',
  wk: 'week',
  wks: 'week',
  week: 'week',
  weeks: 'week',
  mo: 'month',
  mos: 'month',
  month: 'month',
  months: 'month',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  year: 'year',
  years: 'year',
};

/**
 * A roster date as YYYY-MM-DD; null for "Never" or an empty cell; undefined when it is not a date we
 * read. Calendar arithmetic is in UTC: `today` is the moment the roster was pasted.
 * `03/01/2026` is read the US way (March 1), as Klaviyo's US-English pages write it.
 */
export function parseRosterDate(text: string, today: Date): string | null | undefined {
  let s = text
    .replace(/\u00a0/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\.$/, '');
  if (NEVER.has(s)) return null;

  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[t ][\d:.]+(?:z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (iso) return ymd(Number(iso[1]), Number(iso[2]), Number(iso[3]));

  // "Today at 3:45 PM", "Mar 1, 2026, 10:15 am UTC": the time adds nothing to a day-level review.
  s = s
    .replace(
      /,?\s+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*(?:[a-z]{2,5}|[+-]\d{2}:?\d{2}))?$/,
      '',
    )
    .replace(/^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+/, '');

  if (NOW_WORDS.has(s)) return daysBefore(today, 0);
  if (s === 'yesterday') return daysBefore(today, 1);

  const relative = /^(?:about |around |almost |over |nearly |~)?(\d+|an?|one) ?([a-z]+) ago$/.exec(s);
  if (relative?.[1] && relative[2]) {
    const count = /^\d+$/.test(relative[1]) ? Number(relative[1]) : 1;
    const unit = UNIT_ALIASES[relative[2]];
    if (!unit) return undefined;
    const ms = UNIT_MS[unit];
    if (ms !== undefined) return isoDay(new Date(today.getTime() - count * ms));
    if (unit === 'day') return daysBefore(today, count);
    if (unit === 'week') return daysBefore(today, count * 7);
    return monthsBefore(today, unit === 'month' ? count : count * 12);
  }

  const ymdSlash = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(s);
  if (ymdSlash) return ymd(Number(ymdSlash[1]), Number(ymdSlash[2]), Number(ymdSlash[3]));

  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})$/.exec(s);
  if (us?.[3]) return ymd(fullYear(us[3]), Number(us[1]), Number(us[2]));

  const monthFirst = /^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$/.exec(s);
  if (monthFirst?.[1]) return monthDay(monthFirst[1], Number(monthFirst[2]), monthFirst[3], today);

  const dayFirst = /^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?(?:,? (\d{4}))?$/.exec(s);
  if (dayFirst?.[2]) return monthDay(dayFirst[2], Number(dayFirst[1]), dayFirst[3], today);

  return undefined;
}

function fullYear(text: string): number {
  return text.length === 2 ? 2000 + Number(text) : Number(text);
}

// "Mar 1" without a year: the latest Mar 1 that is not after today (how the page shows recent dates).
function monthDay(monthName: string, day: number, year: string | undefined, today: Date): string | undefined {
  const month = MONTHS[monthName];
  if (month === undefined) return undefined;
  if (year !== undefined) return ymd(Number(year), month, day);
  const thisYear = today.getUTCFullYear();
  const candidate = ymd(thisYear, month, day);
  if (candidate === undefined) return undefined;
  return candidate > isoDay(today) ? ymd(thisYear - 1, month, day) : candidate;
}

function ymd(year: number, month: number, day: number): string | undefined {
  if (year < 1970 || year > 2100 || month < 1 || month > 12 || day < 1) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function daysBefore(today: Date, days: number): string {
  return isoDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - days)));
}

// Calendar months, with the day clamped: "1 month ago" on March 31 is February 28 or 29.
function monthsBefore(today: Date, months: number): string {
  const year = today.getUTCFullYear();
  const month = today.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return isoDay(new Date(Date.UTC(year, month, Math.min(today.getUTCDate(), lastDay))));
}

// ---------------------------------------------------------------------------------------------------
// Invisible characters

/**
 * Characters that change how text looks or reads without being seen: C0 and C1 controls (but tab and
 * line ends, which separate cells and rows), NUL, bidirectional overrides and isolates (U+202E turns
 * "moc.evil@" into what looks like another address), zero-width characters and the byte-order mark.
 */
const INVISIBLE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/g;

/** Text without invisible characters; line and paragraph separators become line ends. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '').replace(/[\u2028\u2029]/g, '\n');
}

// ---------------------------------------------------------------------------------------------------
// Emails

// Loose on purpose: something@something.tld, without spaces or the characters that delimit addresses.
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@(?:[^\s@<>()[\]\\,;:".]+\.)+[^\s@<>()[\]\\,;:".]{2,}$/u;

/** An email cell: `jane@x.com`, `mailto:jane@x.com`, `Jane Doe <jane@x.com>` or `Jane Doe jane@x.com`. */
function readEmailCell(cell: string): { email: string; name?: string } | undefined {
  const s = cell.trim().replace(/^mailto:/i, '');
  if (EMAIL.test(s)) return { email: s.toLowerCase() };
  const angle = /^(.*?)\s*<([^<>\s]+)>$/.exec(s);
  if (angle?.[2] && EMAIL.test(angle[2])) {
    return withName(angle[2], angle[1]);
  }
  const spaced = /^([^@]+?)\s+(\S+@\S+)$/.exec(s);
  if (spaced?.[2] && EMAIL.test(spaced[2])) return withName(spaced[2], spaced[1]);
  return undefined;
}

function withName(email: string, name: string | undefined): { email: string; name?: string } {
  const cleaned = (name ?? '').replace(/^["']|["']$/g, '').trim();
  return cleaned ? { email: email.toLowerCase(), name: cleaned } : { email: email.toLowerCase() };
}

// ---------------------------------------------------------------------------------------------------
// Records

interface RawRecord {
  line: number;
  raw: string;
  fields: string[];
  quoted: boolean[];
}

interface ParsedLine {
  fields: string[];
  quoted: boolean[];
  open: boolean;
}

/** One line (or several joined by \n, for a quoted field across lines) split into fields. */
function splitFields(text: string, delimiter: Delimiter, quotes: boolean): ParsedLine {
  const fields: string[] = [];
  const quoted: boolean[] = [];
  let i = 0;
  for (;;) {
    // A quote opens a quoted field only at the start of a field (after optional spaces).
    let j = i;
    while (j < text.length && (text[j] === ' ' || text[j] === '\u00a0')) j++;
    if (quotes && text[j] === '"') {
      let value = '';
      let k = j + 1;
      let closed = false;
      while (k < text.length) {
        const c = text[k];
        if (c === '"') {
          if (text[k + 1] === '"') {
            value += '"';
            k += 2;
            continue;
          }
          closed = true;
          k++;
          break;
        }
        value += c;
        k++;
      }
      if (!closed) return { fields, quoted, open: true };
      // Anything between the closing quote and the delimiter is kept (lenient, like spreadsheets).
      const end = text.indexOf(delimiter, k);
      const rest = end === -1 ? text.slice(k) : text.slice(k, end);
      fields.push(clean(value + rest));
      quoted.push(true);
      if (end === -1) return { fields, quoted, open: false };
      i = end + 1;
      continue;
    }
    const end = text.indexOf(delimiter, i);
    fields.push(clean(end === -1 ? text.slice(i) : text.slice(i, end)));
    quoted.push(false);
    if (end === -1) return { fields, quoted, open: false };
    i = end + 1;
  }
}

function clean(value: string): string {
  return value.replace(/\u00a0/g, ' ').trim();
}

function toRecords(lines: string[], delimiter: Delimiter): RawRecord[] {
  const records: RawRecord[] = [];
  let index = 0;
  while (index < lines.length) {
    const first = lines[index] ?? '';
    let joined = first;
    let parsed = splitFields(joined, delimiter, true);
    let used = 1;
    while (parsed.open && used < MAX_QUOTED_LINES && index + used < lines.length) {
      joined += `\n${lines[index + used] ?? ''}`;
      used++;
      parsed = splitFields(joined, delimiter, true);
    }
    if (parsed.open) {
      // An unbalanced quote: read the line with quotes as plain characters.
      joined = first;
      used = 1;
      parsed = splitFields(joined, delimiter, false);
    }
    records.push({ line: index + 1, raw: joined, fields: parsed.fields, quoted: parsed.quoted });
    index += used;
  }
  return records;
}

function isMonthAndDay(field: string): boolean {
  const month = /^([a-z]{3,9})\.? \d{1,2}(?:st|nd|rd|th)?$/i.exec(field)?.[1];
  return month !== undefined && MONTHS[month.toLowerCase()] !== undefined;
}

// Unquoted `Mar 1, 2026` in a comma line splits into `Mar 1` and `2026`: put it back together.
function mergeSplitDates(record: RawRecord): RawRecord {
  const fields: string[] = [];
  const quoted: boolean[] = [];
  for (let i = 0; i < record.fields.length; i++) {
    const field = record.fields[i] ?? '';
    const next = record.fields[i + 1];
    if (
      next !== undefined &&
      !record.quoted[i] &&
      !record.quoted[i + 1] &&
      isMonthAndDay(field) &&
      /^\d{4}\b/.test(next)
    ) {
      fields.push(`${field}, ${next}`);
      quoted.push(false);
      i++;
      continue;
    }
    fields.push(field);
    quoted.push(record.quoted[i] ?? false);
  }
  return { ...record, fields, quoted };
}

// ---------------------------------------------------------------------------------------------------
// Reading rows

interface Header {
  columns: (Column | undefined)[];
}

interface PendingName {
  line: number;
  raw: string;
  name: string;
}

interface ParseState {
  users: RosterUser[];
  byEmail: Set<string>;
  duplicates: string[];
  unreadable: UnreadableLine[];
  header: Header | undefined;
}

function newState(): ParseState {
  return { users: [], byEmail: new Set(), duplicates: [], unreadable: [], header: undefined };
}

function finish(state: ParseState): RosterParseResult {
  const unreadable = [...state.unreadable].sort((a, b) => (a.part ?? 0) - (b.part ?? 0) || a.line - b.line);
  return { users: state.users, unreadable, duplicates: state.duplicates };
}

function normalizeHeaderCell(cell: string): string {
  return cell
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** A header row: no email in it, an Email column and at least one other column we know. */
function readHeader(fields: string[]): Header | undefined {
  if (fields.some((field) => field.includes('@'))) return undefined;
  const columns = fields.map((field) => HEADER_SYNONYMS[normalizeHeaderCell(field)]);
  const known = columns.filter((column) => column !== undefined);
  if (!columns.includes('email') || known.length < 2) return undefined;
  return { columns };
}

function sameHeader(a: Header, b: Header): boolean {
  return a.columns.length === b.columns.length && a.columns.every((column, i) => column === b.columns[i]);
}

/** A line that can only be a person's name: the first half of a user split over two lines. */
function nameOnly(fields: string[]): string | undefined {
  const nonEmpty = fields.filter((field) => field !== '');
  if (nonEmpty.length !== 1) return undefined;
  const name = nonEmpty[0] ?? '';
  if (name.length < 2 || name.length > 100) return undefined;
  if (!/^\p{L}[\p{L}\p{M}'\u2019. -]*$/u.test(name)) return undefined;
  if (
    name
      .toLowerCase()
      .split(/[\s.]+/)
      .some((word) => NOISE_WORDS.has(word))
  )
    return undefined;
  if (findRole(name)) return undefined;
  return name;
}

type RowResult = { user: RosterUser; nameMissing: boolean } | { reason: string };

interface Cells {
  name: string;
  emailCell: string;
  role: string;
  dateAdded: string;
  lastLogin: string | undefined;
}

function rowWithHeader(fields: string[], header: Header): Cells | { reason: string } {
  const emailCol = header.columns.indexOf('email');
  let offset = 0;
  if (!readEmailCell(fields[emailCol] ?? '')) {
    // The second line of a user split over two lines starts at the Email column.
    if (emailCol > 0 && readEmailCell(fields[0] ?? '') && fields.length <= header.columns.length - emailCol) {
      offset = emailCol;
    } else if (fields.some((field) => readEmailCell(field))) {
      // Rows copied from the page can carry a leading cell the header lacks (an avatar's initials), or
      // lack a leading name cell: such a shift of a column or two is followed; anything else is reported.
      const found = fields.findIndex((field) => readEmailCell(field));
      const shift = emailCol - found;
      // Which cell a shorter row lacks can only be told when every column before Email is a name.
      const missingOnlyNames =
        shift <= 0 ||
        header.columns
          .slice(0, emailCol)
          .every((column) => column === 'name' || column === 'firstName' || column === 'lastName');
      if (Math.abs(shift) > 2 || !missingOnlyNames) {
        return { reason: 'the email address is not in the Email column of the header' };
      }
      offset = shift;
    } else {
      return { reason: 'no email address' };
    }
  }
  const cell = (column: Column): string | undefined => {
    const index = header.columns.indexOf(column);
    if (index === -1 || index < offset) return undefined;
    return fields[index - offset] ?? '';
  };
  const name = cell('name') ?? [cell('firstName'), cell('lastName')].filter((part) => part).join(' ');
  return {
    name,
    emailCell: fields[emailCol - offset] ?? '',
    role: cell('role') ?? '',
    dateAdded: cell('dateAdded') ?? '',
    lastLogin: cell('lastLogin'),
  };
}

// Without a header: Name, Email, Role, Date added, Last login, counted from the email column.
function rowWithoutHeader(fields: string[], delimiter: Delimiter): Cells | { reason: string } {
  let emailIndex = fields.findIndex((field) => readEmailCell(field));
  if (emailIndex === -1) return { reason: 'no email address' };
  let name = fields
    .slice(0, emailIndex)
    .filter((field) => field)
    .join(delimiter === ',' ? ', ' : ' ');
  // Klaviyo shows the email as the name when a user has not set one: `jane@x.com<TAB>jane@x.com<TAB>Admin`.
  if (readEmailCell(fields[emailIndex + 1] ?? '')) {
    name = name || (fields[emailIndex] ?? '');
    emailIndex++;
  }
  return {
    name,
    emailCell: fields[emailIndex] ?? '',
    role: fields[emailIndex + 1] ?? '',
    dateAdded: fields[emailIndex + 2] ?? '',
    lastLogin: fields.length > emailIndex + 3 ? (fields[emailIndex + 3] ?? '') : undefined,
  };
}

function readRow(fields: string[], header: Header | undefined, delimiter: Delimiter, today: Date): RowResult {
  const cells = header ? rowWithHeader(fields, header) : rowWithoutHeader(fields, delimiter);
  if ('reason' in cells) return cells;
  const email = readEmailCell(cells.emailCell);
  if (!email) return { reason: 'no email address' };

  const roleText = cells.role.replace(/\s+/g, ' ').trim();
  if (!roleText) return { reason: 'no role' };
  if (readEmailCell(roleText) || parseRosterDate(roleText, today) !== undefined) {
    return { reason: `no role ("${shorten(roleText, 40)}" is where the role should be)` };
  }

  const user: RosterUser = { name: '', email: email.email, role: normalizeRole(roleText) };
  if (cells.dateAdded !== '') {
    const added = parseRosterDate(cells.dateAdded, today);
    if (added === undefined) return { reason: `date added "${shorten(cells.dateAdded, 40)}" is not a date` };
    if (added !== null) user.dateAdded = added;
  }
  if (cells.lastLogin !== undefined) {
    const login = parseRosterDate(cells.lastLogin, today);
    if (login === undefined) return { reason: `last login "${shorten(cells.lastLogin, 40)}" is not a date` };
    user.lastLogin = login;
  }
  // A name cell holding the email again says nothing more than the email.
  const name = cells.name.trim();
  user.name = name && name.toLowerCase() !== email.email ? name : (email.name ?? '');
  return { user, nameMissing: user.name === '' };
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

function unreadable(line: number, raw: string, reason: string, part: number | undefined): UnreadableLine {
  const text = raw.replace(/\s+$/, '').slice(0, MAX_UNREADABLE_TEXT);
  return part === undefined ? { line, text, reason } : { line, text, reason, part };
}

function chooseDelimiter(lines: string[]): Delimiter {
  return lines.some((line) => line.includes('\t')) ? '\t' : ',';
}

function readPart(text: string, today: Date, state: ParseState, part: number | undefined): void {
  const lines = stripInvisible(text).replace(/\r\n?/g, '\n').split('\n');
  const delimiter = chooseDelimiter(lines);
  let pending: PendingName | undefined;
  const flushPending = () => {
    if (pending) state.unreadable.push(unreadable(pending.line, pending.raw, 'no email address', part));
    pending = undefined;
  };

  for (let record of toRecords(lines, delimiter)) {
    if (record.fields.every((field) => field === '')) {
      flushPending();
      continue;
    }
    // A comma line among tab-separated ones (hand-typed under a copied page).
    if (delimiter === '\t' && record.fields.length === 1 && record.raw.includes(',')) {
      const [again] = toRecords([record.raw], ',');
      if (again) record = { ...again, line: record.line };
    }
    const effective: Delimiter = record.raw.includes('\t') ? '\t' : ',';
    if (effective === ',') record = mergeSplitDates(record);

    const header = readHeader(record.fields);
    if (header) {
      flushPending();
      // The same header again (each paste box starting with it) changes nothing.
      if (!state.header || !sameHeader(state.header, header)) state.header = header;
      continue;
    }

    const result = readRow(record.fields, state.header, effective, today);
    if ('reason' in result) {
      const name = result.reason === 'no email address' ? nameOnly(record.fields) : undefined;
      flushPending();
      if (name !== undefined) pending = { line: record.line, raw: record.raw, name };
      else state.unreadable.push(unreadable(record.line, record.raw, result.reason, part));
      continue;
    }
    const user = result.user;
    if (result.nameMissing && pending && pending.line === record.line - 1) {
      user.name = pending.name;
      pending = undefined;
    }
    flushPending();
    if (state.byEmail.has(user.email)) {
      if (!state.duplicates.includes(user.email)) state.duplicates.push(user.email);
      continue;
    }
    state.byEmail.add(user.email);
    state.users.push(user);
  }
  flushPending();
}
