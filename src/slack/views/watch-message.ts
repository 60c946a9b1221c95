import type { WatchedSite } from '../../store/watched-sites.js';
import { plural } from '../../words.js';
import { escapeMrkdwn, type SlackMessage, section, truncate, userMention } from './blocks.js';
import { slackDay, slackDayAndTime } from './dates.js';
import { notice } from './help.js';

export interface WatchContext {
  /** The next scheduled re-scan. */
  nextRescan: Date;
  timeZone: string;
  /** Where new keys are announced: the configured channel, or where the site was watched from. */
  announcedIn?: string;
  maxSites: number;
}

const MAX_LISTED = 50;

function site(target: string): string {
  return `<${target}|${escapeMrkdwn(truncate(target, 200))}>`;
}

function who(addedBy: string): string {
  return addedBy === 'configuration' ? 'the bot’s settings' : userMention(addedBy);
}

/** The answer to `/klaviyo-scan watch <url>`. */
export function watchedMessage(
  target: string,
  added: boolean,
  existing: WatchedSite | undefined,
  context: WatchContext,
): SlackMessage {
  if (!added) {
    const since = existing
      ? ` (added by ${who(existing.addedBy)} on ${slackDay(new Date(existing.addedAt), context.timeZone)})`
      : '';
    return notice(`:eyes: ${site(target)} is watched already${since}.`);
  }
  const where = context.announcedIn ? ` New exposed keys are announced in <#${context.announcedIn}>.` : '';
  return notice(
    `:eyes: Watching ${site(target)}: it is re-scanned ${slackDayAndTime(context.nextRescan, context.timeZone)} and on the same schedule after that.${where} \`/klaviyo-scan unwatch ${escapeMrkdwn(target)}\` stops it.`,
  );
}

/** The answer to `/klaviyo-scan unwatch <url>`. */
export function unwatchedMessage(target: string, removed: boolean): SlackMessage {
  return notice(
    removed
      ? `Stopped watching ${site(target)}. Its earlier scans and open rotations are kept.`
      : `${site(target)} is not watched. \`/klaviyo-scan watch list\` shows the watched sites.`,
  );
}

/** The answer to `/klaviyo-scan watch list`. */
export function watchListMessage(sites: readonly WatchedSite[], context: WatchContext): SlackMessage {
  if (sites.length === 0)
    return notice('No site is watched. `/klaviyo-scan watch https://your-store.example` adds one.');
  const lines = sites
    .slice(0, MAX_LISTED)
    .map(
      (entry) =>
        `• ${site(entry.target)} · added by ${who(entry.addedBy)} on ${slackDay(new Date(entry.addedAt), context.timeZone)}`,
    );
  const more = sites.length > MAX_LISTED ? `\n…and ${sites.length - MAX_LISTED} more` : '';
  return {
    text: plural(sites.length, 'watched site'),
    blocks: [
      section(
        `*Watched sites (${sites.length} of at most ${context.maxSites})*, re-scanned next ${slackDayAndTime(context.nextRescan, context.timeZone)}:\n${lines.join('\n')}${more}`,
      ),
    ],
  };
}
