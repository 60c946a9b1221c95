import type { KnownBlock, SectionBlock } from '@slack/types';
import type { Liveness } from '../../checklists/rotation.js';
import { LIVENESS_WORDS } from '../../checklists/rotation.js';
import type { Finding } from '../../scan/findings.js';
import { describeOccurrence } from '../../scan/report.js';
import type { ScanReport, ScanStatus } from '../../store/scans.js';
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
        ? `:hourglass: Queued${input.queuePosition ? ` behind ${input.queuePosition} other scan(s)` : ''}: ${target}`
        : `:mag: Scanning ${target}… ${progress ? `${progress.pagesScanned} pages and ${progress.scriptsScanned} scripts so far` : 'starting'}`;
    return {
      text: `Scanning ${input.target} for exposed Klaviyo private keys…`,
      blocks: [title, section(line), who],
    };
  }

  if (input.status === 'failed' || input.status === 'interrupted' || input.report === undefined) {
    const reason =
      input.status === 'interrupted'
        ? 'The scan was interrupted by a restart of the bot.'
        : `The scan could not run: ${escapeMrkdwn(input.error ?? 'unknown error')}`;
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
      ? `, ${report.render.pagesRendered} of them rendered in a browser`
      : '';
  const scope = `${report.pagesScanned} pages${rendered} and ${report.scriptsScanned} scripts in ${duration}`;
  const summary =
    count === 0
      ? `:white_check_mark: *No Klaviyo private key found* on ${target} (${scope}).`
      : `:rotating_light: *${count} exposed Klaviyo private key${count === 1 ? '' : 's'}* on ${target} (${scope}). Anyone can read ${count === 1 ? 'it' : 'them'}: rotate each one.`;
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
      ? [`${report.errors.length} resource(s) could not be fetched (see thread)`]
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
  if (count > shown) blocks.push(context(`…and ${count - shown} more keys, listed in the thread.`));
  blocks.push(context(...notes));
  blocks.push(actions('scan_actions', [button('Re-scan', ACTION_RESCAN, input.scanId)]));
  blocks.push(context(footer));
  return {
    text:
      count === 0
        ? `No Klaviyo private key found on ${input.target}`
        : `${count} exposed Klaviyo private key(s) found on ${input.target}`,
    blocks,
  };
}

function findingSection(
  scanId: string,
  finding: Finding,
  status: KeyStatus | undefined,
  report: ScanReport,
): SectionBlock {
  const places = placesSummary(finding);
  const live = status ? livenessLine(status, report) : 'Live check: pending';
  const text = [
    `*\`${finding.masked}\`* · sha256 \`${finding.fingerprint.slice(0, 12)}…\` · ${finding.confidence} confidence`,
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
  const words = LIVENESS_WORDS[status.liveness];
  if (status.account === undefined) return `Live check: ${words}`;
  const siteKeys = report.publicKeys.map((use) => use.key);
  const match = siteKeys.includes(status.account)
    ? "this site's account"
    : 'another account than the site uses';
  return `Live check: ${words} (account \`${status.account}\`, ${match})`;
}

function placesSummary(finding: Finding): string {
  const shown = finding.occurrences.slice(0, 3).map((occurrence) => {
    const where = pathOf(occurrence.url);
    return `${escapeMrkdwn(where)} (${escapeMrkdwn(describeOccurrence(occurrence).replace(/, line .*/, ''))})`;
  });
  const more = finding.occurrenceCount - shown.length;
  return truncate(`${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`, 700);
}

const THREAD_BLOCKS_PER_MESSAGE = 40;
const THREAD_MESSAGES_MAX = 5;

/** Every place each key was seen and every fetch error, split into thread messages within Block Kit limits. */
export function scanDetailMessages(report: ScanReport): SlackMessage[] {
  const sections: string[] = [];
  for (const finding of report.findings) {
    let chunk = `*\`${finding.masked}\`* (sha256 \`${finding.fingerprint}\`), seen ${finding.occurrenceCount}×:`;
    for (const occurrence of finding.occurrences) {
      const loadedBy =
        occurrence.page !== occurrence.url ? `, loaded by ${escapeMrkdwn(pathOf(occurrence.page))}` : '';
      const line = `\n• ${escapeMrkdwn(truncate(occurrence.url, 300))}${loadedBy}\n    ${escapeMrkdwn(describeOccurrence(occurrence))}: \`${escapeMrkdwn(truncate(occurrence.snippet.replace(/`/g, "'"), 160))}\``;
      if (chunk.length + line.length > 2900) {
        sections.push(chunk);
        chunk = `*\`${finding.masked}\`* (continued):`;
      }
      chunk += line;
    }
    sections.push(chunk);
  }
  if (report.errors.length > 0) {
    let chunk = '*Could not fetch:*';
    for (const error of report.errors) {
      const line = `\n• ${escapeMrkdwn(truncate(error.url, 300))}: ${escapeMrkdwn(truncate(error.error, 200))}`;
      if (chunk.length + line.length > 2900) {
        sections.push(chunk);
        chunk = '*Could not fetch (continued):*';
      }
      chunk += line;
    }
    sections.push(chunk);
  }
  return packSections(
    sections,
    'Scan details',
    `…more than fits here: run \`npx klaviyo-checkup scan ${report.target} --json\` for every place.`,
  );
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

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}
