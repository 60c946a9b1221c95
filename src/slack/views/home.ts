import type { Button, HomeView, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { ScanStatus } from '../../store/scans.js';
import { plural } from '../../words.js';
import {
  actions,
  button,
  context,
  divider,
  escapeMrkdwn,
  header,
  plain,
  section,
  slackDate,
  truncate,
  userMention,
} from './blocks.js';
import { hostOf } from './scan-message.js';

export const ACTION_HOME_SCAN = 'home:start_scan';
export const ACTION_HOME_REVIEW = 'home:start_review';
export const VIEW_HOME_SCAN = 'home:scan';
export const BLOCK_HOME_URL = 'url';
export const INPUT_HOME_URL = 'value';
/**
 * Link buttons carry a `url` (Slack opens it) but Slack still sends a block_actions payload for them,
 * which the app must ack. Their action_ids are `home:link:<n>`, unique in the view; match them with
 * ACTION_HOME_LINK_PATTERN.
 */
export const ACTION_HOME_LINK_PREFIX = 'home:link:';
export const ACTION_HOME_LINK_PATTERN = /^home:link:\d+$/;

export interface HomeRotation {
  id: string;
  masked: string;
  target: string;
  done: number;
  total: number;
  startedAt: string;
  permalink?: string;
  /** Labels of the items assigned to the viewer that are not done. */
  ownedItems: string[];
}

export interface HomeReview {
  id: string;
  period: string;
  decided: number;
  users: number;
  flagged: number;
  followUpsOpen: number;
  accountItemsOpen: number;
  permalink?: string;
  /** Labels of the follow-ups assigned to the viewer that are not done. */
  ownedFollowUps: string[];
}

export interface HomeScan {
  target: string;
  status: ScanStatus;
  finishedAt?: string;
  keysFound?: number;
  pagesScanned: number;
  permalink?: string;
}

export interface HomeData {
  /** Slack user ID of the person looking. */
  viewer: string;
  now: Date;
  rotations: HomeRotation[];
  /** The open review, if any. */
  review?: HomeReview;
  /** One entry per site, most recent first. */
  lastScans: HomeScan[];
  nextReviewDue?: string;
  lastReviewCompletedAt?: string;
  /** Sites re-scanned on the schedule, and when the next re-scan is. */
  watchedSites?: { target: string; addedBy: string }[];
  nextRescan?: string;
  /** False: show a short note that only configured people can act, and no start buttons. */
  canAct: boolean;
  /** For workspace admins only: how the bot is set up, with the variables that change it. */
  settings?: HomeSettings;
}

export interface HomeSettings {
  /** How an exposed key is kept during its rotation: sealed in the database, or in memory only. */
  keysKept: 'sealed' | 'memory';
  /** Whether only listed people (or a user group) may act. */
  restricted: boolean;
  reviewSchedule: string;
}

// Caps keep the worst case at 52 blocks and under 20 kB, far inside Slack's 100 blocks / 250 kB.
export const MAX_ASSIGNED_ITEMS = 15;
export const MAX_ROTATIONS = 10;
export const MAX_SITES = 10;
// Per-line caps keep every section well under 3000 characters even with MAX_ASSIGNED_ITEMS lines.
const MAX_LABEL = 150;
const MAX_HOST = 100;
const MAX_MASKED = 60;
const MAX_PERIOD = 80;

/** The App Home tab: what is open for the viewer, the open rotations, the review and the latest scans. */
export function homeView(data: HomeData): HomeView {
  const links = new LinkButtons();
  const blocks: KnownBlock[] = [
    header('Klaviyo Checkup'),
    section(
      'Scans sites for exposed Klaviyo private API keys, walks the team through rotating each one, and runs the quarterly review of Klaviyo users and roles.',
      { block_id: 'home_intro' },
    ),
  ];
  if (data.canAct) {
    blocks.push(
      actions('home_start', [
        button('Scan a site', ACTION_HOME_SCAN, 'scan', { style: 'primary' }),
        button('Start the access review', ACTION_HOME_REVIEW, 'review'),
      ]),
    );
  } else {
    blocks.push(
      context(':lock: Only the people configured for Klaviyo Checkup can start scans and reviews.'),
    );
  }

  blocks.push(divider(), header('Assigned to you'), ...assignedBlocks(data, links));
  blocks.push(divider(), header(countTitle('Open rotations', data.rotations.length)));
  blocks.push(...rotationBlocks(data.rotations, links));
  blocks.push(divider(), header('Access review'), ...reviewBlocks(data, links));
  blocks.push(divider(), header(countTitle('Last scan per site', data.lastScans.length)));
  blocks.push(...scanBlocks(data.lastScans, links));
  const watched = data.watchedSites ?? [];
  blocks.push(divider(), header(countTitle('Watched sites', watched.length)), ...watchedBlocks(data));

  if (data.settings) blocks.push(divider(), header('Settings'), settingsSection(data.settings));

  const updated = isValidDate(data.now) ? ` · updated ${slackDate(data.now.toISOString())}` : '';
  blocks.push(
    divider(),
    context(
      `What is open for ${userMention(data.viewer)}${updated} · full keys are never shown · \`/klaviyo-scan &lt;url&gt;\` works in any channel`,
    ),
  );
  return { type: 'home', blocks };
}

/** The form behind "Scan a site": the URL; the result comes to the person's direct messages. */
export function homeScanModal(origin: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_HOME_SCAN,
    private_metadata: JSON.stringify({ origin }),
    title: plain('Scan a site', 24),
    submit: plain('Scan', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'input',
        block_id: BLOCK_HOME_URL,
        label: plain('Site URL', 2000),
        hint: plain('The result comes to your direct messages with the bot.', 2000),
        element: { type: 'url_text_input', action_id: INPUT_HOME_URL },
      },
    ],
  };
}

/**
 * How the bot is set up, for workspace admins: the environment variables are named here (and in the
 * README) only, never in a checklist or a reply the marketing team reads.
 */
function settingsSection(settings: HomeSettings): SectionBlock {
  const lines = [
    settings.restricted
      ? '• *Who may act:* the people in `ALLOWED_USERS` or the user group in `ALLOWED_USERGROUP`.'
      : '• *Who may act:* anyone who can use the commands. Set `ALLOWED_USERS` or `ALLOWED_USERGROUP` to limit it.',
    settings.keysKept === 'sealed'
      ? '• *Exposed keys during a rotation:* an encrypted copy is kept (`KEY_ENCRYPTION_KEY` is set) and wiped when the rotation ends. A key no rotation is started for is wiped within a minute of its scan, and at every restart.'
      : '• *Exposed keys during a rotation:* held in memory only; after a restart the team confirms revocation by hand. A key no rotation is started for is forgotten within a minute of its scan. Set `KEY_ENCRYPTION_KEY` to keep an encrypted copy.',
    `• *Review schedule:* \`${escapeMrkdwn(truncate(settings.reviewSchedule, 100))}\` (\`REVIEW_SCHEDULE\`, \`REVIEW_TIMEZONE\`).`,
  ];
  return section(
    `${lines.join('\n')}\nShown to workspace admins only. The bot reads these from its environment; the README describes each.`,
    { block_id: 'home_settings' },
  );
}

function assignedBlocks(data: HomeData, links: LinkButtons): KnownBlock[] {
  // One section per rotation or review, listing the viewer's items, so each gets its own link button.
  const groups: { title: string; items: string[]; label: string; permalink?: string }[] = [];
  for (const rotation of data.rotations) {
    if (rotation.ownedItems.length === 0) continue;
    groups.push({
      title: `*Rotation of ${code(rotation.masked)}* · ${siteName(rotation.target)}`,
      items: rotation.ownedItems,
      label: 'Open checklist',
      ...(rotation.permalink === undefined ? {} : { permalink: rotation.permalink }),
    });
  }
  const review = data.review;
  if (review && review.ownedFollowUps.length > 0) {
    groups.push({
      title: `*Access review ${escapeMrkdwn(truncate(review.period, MAX_PERIOD))}* follow-ups`,
      items: review.ownedFollowUps,
      label: 'Open review',
      ...(review.permalink === undefined ? {} : { permalink: review.permalink }),
    });
  }

  const total = groups.reduce((sum, group) => sum + group.items.length, 0);
  if (total === 0) return [section('Nothing assigned to you. :tada:', { block_id: 'home_assigned_none' })];

  const blocks: KnownBlock[] = [];
  let budget = MAX_ASSIGNED_ITEMS;
  for (const group of groups) {
    if (budget === 0) break;
    const shown = group.items.slice(0, budget);
    budget -= shown.length;
    const lines = shown.map(
      (item) => `• ${escapeMrkdwn(truncate(item.trim() || 'Untitled item', MAX_LABEL))}`,
    );
    blocks.push(
      withLink(
        section([group.title, ...lines].join('\n'), { block_id: `home_assigned_${blocks.length}` }),
        links,
        group.label,
        group.permalink,
      ),
    );
  }
  const hidden = total - (MAX_ASSIGNED_ITEMS - budget);
  if (hidden > 0) blocks.push(context(`…and ${hidden} more assigned to you`));
  return blocks;
}

function rotationBlocks(rotations: HomeRotation[], links: LinkButtons): KnownBlock[] {
  if (rotations.length === 0) return [section('No open rotations.', { block_id: 'home_rotations_none' })];
  const blocks: KnownBlock[] = rotations.slice(0, MAX_ROTATIONS).map((rotation, i) => {
    const text = [
      `${code(rotation.masked)} · ${siteName(rotation.target)}`,
      `*${rotation.done} of ${rotation.total}* done · started ${when(rotation.startedAt)}`,
    ].join('\n');
    return withLink(
      section(text, { block_id: `home_rotation_${i}` }),
      links,
      'Open checklist',
      rotation.permalink,
    );
  });
  if (rotations.length > MAX_ROTATIONS)
    blocks.push(context(`…and ${plural(rotations.length - MAX_ROTATIONS, 'more open rotation')}`));
  return blocks;
}

function reviewBlocks(data: HomeData, links: LinkButtons): KnownBlock[] {
  const review = data.review;
  if (review) {
    const text = [
      `:clipboard: *${escapeMrkdwn(truncate(review.period, MAX_PERIOD))}* is open: *${review.decided.toLocaleString('en-US')} of ${plural(review.users, 'user')}* decided`,
      `${review.flagged} flagged · ${plural(review.followUpsOpen, 'follow-up')} open · ${plural(review.accountItemsOpen, 'account item')} open`,
    ].join('\n');
    return [withLink(section(text, { block_id: 'home_review' }), links, 'Open review', review.permalink)];
  }
  const lines: string[] = [];
  lines.push(
    data.lastReviewCompletedAt
      ? `Last review completed ${when(data.lastReviewCompletedAt, '{date_short_pretty}')}.`
      : 'No review yet.',
  );
  if (data.nextReviewDue) {
    const overdue = isValidDate(data.now) && Date.parse(data.nextReviewDue) < data.now.getTime();
    lines.push(
      overdue
        ? `:warning: The next review was due ${when(data.nextReviewDue, '{date_short_pretty}')}.`
        : `Next review due ${when(data.nextReviewDue, '{date_short_pretty}')}.`,
    );
  }
  return [section(lines.join(' '), { block_id: 'home_review' })];
}

function scanBlocks(scans: HomeScan[], links: LinkButtons): KnownBlock[] {
  if (scans.length === 0) return [section('No scans yet.', { block_id: 'home_sites_none' })];
  const blocks: KnownBlock[] = scans.slice(0, MAX_SITES).map((scan, i) => {
    const at = scan.finishedAt ? ` · ${when(scan.finishedAt)}` : '';
    const pages = scan.status === 'done' ? ` · ${plural(scan.pagesScanned, 'page')}` : '';
    const text = `*${siteName(scan.target)}*\n${scanResult(scan)}${at}${pages}`;
    return withLink(section(text, { block_id: `home_site_${i}` }), links, 'Open report', scan.permalink);
  });
  if (scans.length > MAX_SITES) blocks.push(context(`…and ${plural(scans.length - MAX_SITES, 'more site')}`));
  return blocks;
}

function watchedBlocks(data: HomeData): KnownBlock[] {
  const watched = data.watchedSites ?? [];
  const next = data.nextRescan ? ` Next re-scan ${when(data.nextRescan)}.` : '';
  if (watched.length === 0)
    return [
      section(
        `No site is watched. \`/klaviyo-scan watch &lt;url&gt;\` re-scans a site on a schedule.${next}`,
        {
          block_id: 'home_watched_none',
        },
      ),
    ];
  const lines = watched
    .slice(0, MAX_SITES)
    .map(
      (site) =>
        `• *${siteName(site.target)}* · added by ${site.addedBy === 'configuration' ? 'the bot’s settings' : userMention(site.addedBy)}`,
    );
  if (watched.length > MAX_SITES) lines.push(`…and ${watched.length - MAX_SITES} more`);
  return [
    section(lines.join('\n'), { block_id: 'home_watched' }),
    context(`Only keys that are new are announced.${next} \`/klaviyo-scan watch list\` shows them all.`),
  ];
}

function scanResult(scan: HomeScan): string {
  switch (scan.status) {
    case 'queued':
      return ':hourglass: queued';
    case 'running':
      return ':mag: running';
    case 'failed':
      return ':warning: failed';
    case 'interrupted':
      return ':warning: interrupted';
    case 'done': {
      const keys = scan.keysFound;
      if (keys === undefined) return 'done';
      if (keys === 0) return ':white_check_mark: clean';
      return `:rotating_light: *${plural(keys, 'exposed key')}*`;
    }
  }
}

/** Hands out `home:link:<n>` action_ids so that every link button in the view has its own. */
class LinkButtons {
  private next = 0;

  make(label: string, permalink: string | undefined): Button | undefined {
    // Slack rejects a url past 3000 characters; anything not http(s) is not a link Slack can open.
    if (!permalink || permalink.length > 3000 || !/^https?:\/\//.test(permalink)) return undefined;
    return {
      type: 'button',
      text: plain(label, 75),
      action_id: `${ACTION_HOME_LINK_PREFIX}${this.next++}`,
      url: permalink,
    };
  }
}

function withLink(
  block: SectionBlock,
  links: LinkButtons,
  label: string,
  permalink: string | undefined,
): SectionBlock {
  const accessory = links.make(label, permalink);
  return accessory ? { ...block, accessory } : block;
}

function countTitle(title: string, count: number): string {
  return count > 0 ? `${title} (${count})` : title;
}

/** A site's host, short and escaped: the full URL can be thousands of characters. */
function siteName(target: string): string {
  return escapeMrkdwn(truncate(hostOf(target) || 'unknown site', MAX_HOST));
}

/** A masked key as inline code; backticks inside would end the code span early. */
function code(masked: string): string {
  return `\`${escapeMrkdwn(truncate(masked.replace(/`/g, "'") || '?', MAX_MASKED))}\``;
}

/** slackDate for valid timestamps; a bad one is shown as text rather than as a broken `<!date^NaN…>`. */
function when(iso: string, format?: string): string {
  if (Number.isNaN(Date.parse(iso))) return escapeMrkdwn(truncate(iso || 'unknown date', 40));
  return slackDate(iso, format);
}

function isValidDate(date: Date): boolean {
  return !Number.isNaN(date.getTime());
}
