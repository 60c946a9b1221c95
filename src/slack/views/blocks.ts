/** Small Block Kit builders, typed by @slack/types, that keep every text inside Slack's limits. */
import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ConfirmationDialog,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';

/** A message as the bot sends it: the notification text and its blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function plain(text: string, max = 3000): PlainTextElement {
  return { type: 'plain_text', text: truncate(text || ' ', max), emoji: true };
}

export function mrkdwn(text: string, max = 3000): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text || ' ', max) };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, 150) };
}

export function section(text: string, extra: Omit<SectionBlock, 'type' | 'text'> = {}): SectionBlock {
  return { type: 'section', text: mrkdwn(text), ...extra };
}

export function context(...texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, 10).map((text) => mrkdwn(text, 2000)) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function button(
  text: string,
  actionId: string,
  value: string,
  extra: { style?: 'primary' | 'danger'; confirm?: ConfirmationDialog } = {},
): Button {
  return {
    type: 'button',
    text: plain(text, 75),
    action_id: actionId,
    value: truncate(value, 2000),
    ...extra,
  };
}

export function actions(blockId: string | undefined, elements: ActionsBlockElement[]): ActionsBlock {
  return { type: 'actions', ...(blockId ? { block_id: blockId } : {}), elements: elements.slice(0, 25) };
}

export function confirmDialog(
  title: string,
  text: string,
  confirm: string,
  deny = 'Cancel',
): ConfirmationDialog {
  return {
    title: plain(title, 100),
    text: mrkdwn(text, 300),
    confirm: plain(confirm, 30),
    deny: plain(deny, 30),
    style: 'danger',
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Slack's date formatting, so each reader sees their own time zone; the fallback (for clients that
 * cannot format it, and notifications) reads "Nov 20, 2026 at 14:03 UTC".
 */
export function slackDate(iso: string, format = '{date_short_pretty} at {time}'): string {
  const time = Date.parse(iso);
  const date = new Date(time);
  const day = `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
  const clock = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  const fallback = format.includes('{time') ? `${day} at ${clock} UTC` : day;
  return `<!date^${Math.floor(time / 1000)}^${format}|${fallback}>`;
}

/**
 * A calendar day as Klaviyo shows it ("2026-11-01" → "Nov 1, 2026"). Not a moment, so it is not
 * moved into the reader's time zone, which would show the day before west of UTC.
 */
export function calendarDay(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (match === null) return day;
  const month = MONTHS[Number(match[2]) - 1];
  return month === undefined ? day : `${month} ${Number(match[3])}, ${match[1]}`;
}

export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/**
 * Characters of text across blocks, counted the way Slack counts toward its ~12,000 limit per message
 * (past it: msg_blocks_too_long). Views keep under MESSAGE_TEXT_BUDGET, with room to spare.
 */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blocksTextLength(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  let sum = 0;
  for (const [key, field] of Object.entries(value)) {
    sum += key === 'text' && typeof field === 'string' ? field.length : blocksTextLength(field);
  }
  return sum;
}

export const MESSAGE_TEXT_BUDGET = 11_000;
