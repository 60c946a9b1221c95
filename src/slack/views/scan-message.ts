import type { KnownBlock, SectionBlock } from '@slack/types';
import type { Liveness } from '../../checklists/rotation.js';
import { LIVENESS_WORDS } from '../../checklists/rotation.js';
import type { Finding, Hop, Occurrence, Placeholder } from '../../scan/findings.js';
import { groupOccurrences, loadChain, type OccurrenceGroup, pagesOf } from '../../scan/occurrence-groups.js';
import { describeOccurrence, WITHOUT_LINES } from '../../scan/report.js';
import type { ScanReport, ScanStatus } from '../../store/scans.js';
import { plural } from '../../words.js';
import {
  actions,
  blocksTextLength,
  button,
  context,
  escapeMrkdwn,
  header,
  MESSAGE_TEXT_BUDGET,
  type SlackMessage,
  section,
  truncate,
  userMention,
} from './blocks.js';

export interface KeyStatus {
  liveness: Liveness;
  account?: string;
  rotationId?: string;
}

export interface ScanMessageInput {
  scanId: string;
  target: string;
  status: ScanStatus;
  requestedBy: string;
  progress?: { pagesScanned: number; scriptsScanned: number; findings: number };
  queuePosition?: number;
  report?: ScanReport;
  keys?: Record<string, KeyStatus>;
  error?: string;
}

export const ACTION_START_ROTATION = 'scan:start_rotation';
export const ACTION_RESCAN = 'scan:rescan';
export const ACTION_OPEN_ROTATION = 'scan:open_rotation';

const MAX_FINDINGS_SHOWN = 10;

/** The one scan message, in whichever state the scan is: queued, running, done, failed, interrupted. */
export function scanMessage(input: ScanMessageInput): SlackMessage {
  const host = hostOf(input.target);
  const title = header(`Klaviyo key scan: ${host}`);
  const target = `<${input.target}|${escapeMrkdwn(truncate(input.target, 200))}>`;
  const who = context(`Requested by ${userMention(input.requestedBy)}`);

  if (input.status === 'queued' || input.status === 'running') {
    const progress = input.progress;
    const line =
      input.status === 'queued'
        ? `:hourglass: Queued${input.queuePosition ? ` behind ${plural(input.queuePosition, 'other scan')}` : ''}: ${target}`
        : `:mag: Scanning ${target}… ${progress ? `${plural(progress.pagesScanned, 'page')} and ${plural(progress.scriptsScanned, 'script')} so far` : 'starting'}`;
    return {
      text: `Scanning ${input.target} for exposed Klaviyo private keys…`,
      blocks: [title, section(line), who],
    };
  }

  if (input.status === 'failed' || input.status === 'interrupted' || input.report === undefined) {
    const reason =
      input.status === 'interrupted'
        ? 'The scan was interrupted by a restart of the bot.'
        : `The scan did not finish. ${escapeMrkdwn(sentence(input.error ?? 'The reason was not recorded.'))}`;
    return {
      text: `Scan of ${input.target} ${input.status === 'interrupted' ? 'was interrupted' : 'failed'}`,
      blocks: [
        title,
        section(`:warning: ${reason}\n${target}`),
        actions('scan_actions', [button('Run it again', ACTION_RESCAN, input.scanId)]),
        who,
      ],
    };
  }

  const report = input.report;
  const count = report.findings.length;
  const duration = `${(report.durationMs / 1000).toFixed(1)} s`;
  const rendered =
    report.render !== undefined && report.render.pagesRendered > 0
      ? `, ${report.render.pagesRendered.toLocaleString('en-US')} of them rendered in a browser`
      : '';
  const scope = `${plural(report.pagesScanned, 'page')}${rendered} and ${plural(report.scriptsScanned, 'script')} in ${duration}`;
  const summary =
    count === 0
      ? `:white_check_mark: *No Klaviyo private key found* on ${target} (${scope}).`
      : `:rotating_light: *${plural(count, 'exposed Klaviyo private key')}* on ${target} (${scope}). ${count === 1 ? 'Anyone can read it: rotate it.' : 'Anyone can read them: rotate each one.'}`;
  const blocks: KnownBlock[] = [title, section(summary)];

  const siteIds = report.publicKeys.slice(0, 10).map((use) => `\`${use.key}\` (${use.count}×)`);
  const notes: string[] = [
    report.publicKeys.length === 0
      ? 'Public key (site ID): none seen'
      : truncate(
          `Public key (site ID): ${siteIds.join(', ')}${report.publicKeys.length > 10 ? ` and ${report.publicKeys.length - 10} more` : ''}`,
          500,
        ),
    // Whether pages were rendered comes first: without it, keys that exist only at runtime were not looked for.
    ...report.warnings
      .filter((warning) => warning.code === 'render')
      .concat(report.warnings.filter((warning) => warning.code !== 'render'))
      .slice(0, 4)
      .map((warning) => truncate(`:warning: ${escapeMrkdwn(warning.message)}`, 500)),
    ...(report.errors.length > 0
      ? [`${plural(report.errors.length, 'file')} could not be fetched (see the thread)`]
      : []),
  ];
  const footer = `Requested by ${userMention(input.requestedBy)} · full keys are never shown · details in the thread`;

  // Findings are shown while the message stays within Slack's text budget; the thread lists them all.
  let shown = 0;
  let used = blocksTextLength(blocks) + notes.join('').length + footer.length + 200;
  for (const finding of report.findings.slice(0, MAX_FINDINGS_SHOWN)) {
    const block = findingSection(input.scanId, finding, input.keys?.[finding.fingerprint], report);
    const size = blocksTextLength(block);
    if (used + size > MESSAGE_TEXT_BUDGET) break;
    blocks.push(block);
    used += size;
    shown++;
  }
  if (count > shown) blocks.push(context(`…and ${plural(count - shown, 'more key')}, listed in the thread.`));
  blocks.push(context(...notes));
  blocks.push(actions('scan_actions', [button('Re-scan', ACTION_RESCAN, input.scanId)]));
  blocks.push(context(footer));
  return {
    text:
      count === 0
        ? `No Klaviyo private key found on ${input.target}`
        : `${plural(count, 'exposed Klaviyo private key')} found on ${input.target}`,
    blocks,
  };
}

function findingSection(
  scanId: string,
  finding: Finding,
  status: KeyStatus | undefined,
  report: ScanReport,
): SectionBlock {
  const places = placesSummary(finding, hostOf(report.target));
  const live = status ? livenessLine(status, report) : 'Checking with Klaviyo…';
  const text = [
    `*\`${finding.masked}\`* · fingerprint \`${finding.fingerprint.slice(0, 12)}…\` · ${finding.confidence} confidence`,
    live,
    `Seen ${finding.occurrenceCount}×: ${places}`,
  ].join('\n');
  const accessory = status?.rotationId
    ? button('Open rotation', ACTION_OPEN_ROTATION, status.rotationId)
    : button('Start rotation', ACTION_START_ROTATION, `${scanId}|${finding.fingerprint}`, {
        style: 'primary',
      });
  return section(text, { block_id: `finding_${finding.fingerprint.slice(0, 16)}`, accessory });
}

function livenessLine(status: KeyStatus, report: ScanReport): string {
  if (status.liveness === 'not_checked') return 'Not checked with Klaviyo yet';
  const words = `Checked with Klaviyo: ${LIVENESS_WORDS[status.liveness]}`;
  if (status.account === undefined) return words;
  const siteKeys = report.publicKeys.map((use) => use.key);
  const match = siteKeys.includes(status.account)
    ? "this site's account"
    : 'another account than the site uses';
  return `${words} (account \`${status.account}\`, ${match})`;
}

/** An error message as a sentence: a capital first letter (unless it starts with a URL) and a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
    ? trimmed
    : trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The name a key was assigned to in the site's code, as code ("as `company_id`"); nothing for "other". */
export function contextWords(context: string): string {
  return context === 'other' || context === '' ? '' : `as \`${escapeMrkdwn(context.replace(/`/g, "'"))}\``;
}

/** Where a key was seen, in a line or two: its largest groups of places. */
function placesSummary(finding: Finding, host: string): string {
  const groups = groupOccurrences(finding.occurrences);
  const shown = groups.slice(0, 2).map((group) => groupPlaces(group, host).text);
  const more = groups.length - shown.length;
  return truncate(`${shown.join('; ')}${more > 0 ? `; and ${plural(more, 'other place')}` : ''}`, 700);
}

const THREAD_BLOCKS_PER_MESSAGE = 40;
const THREAD_MESSAGES_MAX = 5;
/** A scan's thread: at most two messages of details, and the export file as the third. */
const SCAN_DETAIL_MESSAGES_MAX = 2;
const GROUPS_PER_KEY = 4;
const PLACES_PER_GROUP = 3;
const ERRORS_SHOWN = 5;
/** The same snippet on this many pages is most likely in the theme's layout. */
const LAYOUT_PAGES = 5;

export interface ScanDetails {
  messages: SlackMessage[];
  /** True when the thread leaves something out: the full list then goes into the export. */
  abridged: boolean;
}

/**
 * What a scan's thread says: for each key, where it was found, grouped by the code it sits in ("the
 * same inline script on 200 pages"), how a file was loaded, one line about placeholders, and what could
 * not be fetched. At most two messages within Block Kit limits; what they leave out is in the export.
 */
export function scanDetailMessages(report: ScanReport): ScanDetails {
  const host = hostOf(report.target);
  let abridged = false;
  const sections: string[] = [];
  for (const finding of report.findings) {
    const groups = groupOccurrences(finding.occurrences);
    const pages = pagesOf(finding.occurrences).length;
    const lines = [
      `*\`${finding.masked}\`* · fingerprint \`${finding.fingerprint.slice(0, 16)}…\` · seen ${finding.occurrenceCount}× on ${plural(pages, 'page')}`,
    ];
    for (const group of groups.slice(0, GROUPS_PER_KEY)) {
      const where = groupPlaces(group, host);
      if (where.more > 0) abridged = true;
      lines.push(`• ${where.text}`);
      lines.push(`    \`${escapeMrkdwn(truncate(group.first.snippet.replace(/`/g, "'"), 160))}\``);
      const chain = loadChain(group.first);
      if (chain !== undefined)
        lines.push(`    loaded through ${escapeMrkdwn(truncate(chainText(chain, host), 400))}`);
    }
    const hidden = groups.length - GROUPS_PER_KEY;
    if (hidden > 0) {
      abridged = true;
      lines.push(`…and ${plural(hidden, 'other place')} in the code, listed in the attached file.`);
    }
    if (finding.occurrenceCount > finding.occurrences.length) abridged = true;
    sections.push(truncate(lines.join('\n'), 2900));
  }
  const placeholders = report.placeholders ?? [];
  if (placeholders.length > 0) sections.push(placeholderLine(placeholders, host));
  if (report.errors.length > 0) {
    const shown = report.errors
      .slice(0, ERRORS_SHOWN)
      .map(
        (error) =>
          `${escapeMrkdwn(truncate(shortPlace(error.url, host), 120))} (${escapeMrkdwn(truncate(error.error, 120))})`,
      );
    const more = report.errors.length - shown.length;
    if (more > 0) abridged = true;
    sections.push(
      `*Could not fetch ${plural(report.errors.length, 'file')}:* ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    );
  }
  const messages = packSections(
    sections,
    'Where the keys were found',
    'More than fits here: every place is listed in the attached file.',
    SCAN_DETAIL_MESSAGES_MAX,
  );
  const shownSections = messages.reduce(
    (sum, message) => sum + message.blocks.filter((block) => block.type === 'section').length,
    0,
  );
  return { messages, abridged: abridged || shownSections < sections.length };
}

/** "The same inline script on 200 pages (likely the theme layout): /, /products/a, /products/b and 197 more". */
function groupPlaces(group: OccurrenceGroup, host: string): { text: string; more: number } {
  const shown = group.places
    .slice(0, PLACES_PER_GROUP)
    .map((url) => escapeMrkdwn(truncate(shortPlace(url, host), 120)));
  const more = group.places.length - shown.length;
  const list = `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const place = placeName(group.first);
  const line =
    group.places.length === 1 && !WITHOUT_LINES.has(group.first.resource) ? `, line ${group.first.line}` : '';
  // A request is where the page sent the key: "to", not "in".
  const where = group.first.resource === 'request' ? 'to' : 'in';
  if (group.places.length === 1) return { text: `${capitalize(place)} ${where} ${list}${line}`, more };
  const onPages = group.first.resource === 'page';
  const layout = onPages && group.places.length >= LAYOUT_PAGES ? ' (likely the theme layout)' : '';
  const what = onPages ? `pages${layout}` : 'files';
  return { text: `The same ${place} on ${group.places.length} ${what}: ${list}`, more };
}

/** The kind of place, in words: "inline script", "script", "HTML comment". */
function placeName(occurrence: Occurrence): string {
  const described = describeOccurrence(occurrence);
  return described.slice(0, described.indexOf(',') === -1 ? undefined : described.indexOf(','));
}

function chainText(chain: readonly Hop[], host: string): string {
  return chain
    .map((hop, i) => (i === 0 ? shortPlace(hop.url, host) : `${shortPlace(hop.url, host)} (${hop.reason})`))
    .join(' → ');
}

/** One short line: key-shaped strings that look made up are named, never reported as exposed keys. */
function placeholderLine(placeholders: readonly Placeholder[], host: string): string {
  const first = placeholders[0] as Placeholder;
  const where = first.occurrences[0]
    ? ` on ${escapeMrkdwn(truncate(shortPlace(first.occurrences[0].page, host), 120))}`
    : '';
  const count = placeholders.length;
  return `_${plural(count, 'key-shaped string')} ${count === 1 ? 'looks' : 'look'} like a placeholder (for example \`${escapeMrkdwn(first.masked)}\`${where}): not an exposed key, not counted._`;
}

/** A URL on the scanned site as its path ("/products/a"); elsewhere with its host. */
function shortPlace(url: string, host: string): string {
  try {
    const parsed = new URL(url);
    const path = `${parsed.pathname}${parsed.search}`;
    return parsed.host === host ? path : `${parsed.host}${path}`;
  } catch {
    return url;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Packs sections into thread messages that each stay inside Slack's limits (blocks and total text),
 * at most `maxMessages` of them; what does not fit ends with `overflowNote`.
 */
export function packSections(
  sections: string[],
  text: string,
  overflowNote: string,
  maxMessages = THREAD_MESSAGES_MAX,
): SlackMessage[] {
  const messages: SlackMessage[] = [];
  let current: KnownBlock[] = [];
  let used = 0;
  let index = 0;
  for (; index < sections.length; index++) {
    const block = section(sections[index] as string);
    const size = blocksTextLength(block);
    if (
      current.length > 0 &&
      (current.length >= THREAD_BLOCKS_PER_MESSAGE || used + size > MESSAGE_TEXT_BUDGET)
    ) {
      messages.push({ text, blocks: current });
      current = [];
      used = 0;
      if (messages.length >= maxMessages) break;
    }
    current.push(block);
    used += size;
  }
  if (current.length > 0 && messages.length < maxMessages) messages.push({ text, blocks: current });
  const last = messages.at(-1);
  if (last !== undefined && index < sections.length) {
    // Past a few messages the thread would be noise; the note says where the full list is.
    const full = last.blocks.length >= THREAD_BLOCKS_PER_MESSAGE;
    if (full || blocksTextLength(last.blocks) + overflowNote.length > MESSAGE_TEXT_BUDGET) last.blocks.pop();
    last.blocks.push(context(overflowNote));
  }
  return messages;
}

export function hostOf(target: string): string {
  try {
    return new URL(target).host;
  } catch {
    return target;
  }
}
