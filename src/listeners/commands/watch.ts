import { nextOccurrence } from '../../schedule/cron.js';
import type { SlackMessage } from '../../slack/views/blocks.js';
import { scanUsage } from '../../slack/views/help.js';
import {
  unwatchedMessage,
  type WatchContext,
  watchedMessage,
  watchListMessage,
} from '../../slack/views/watch-message.js';
import type { Audience, Services } from '../context.js';

/** `watch <url>`, `unwatch <url>` or `watch list` after `/klaviyo-scan`; undefined for anything else. */
export function watchRequest(text: string): { verb: 'watch' | 'unwatch' | 'list'; url: string } | undefined {
  const match = /^(watch|unwatch)(?:\s+(.*))?$/i.exec(text);
  if (match === null) return undefined;
  const url = (match[2] ?? '').trim();
  const verb = (match[1] as string).toLowerCase();
  if (verb === 'watch' && (url === '' || /^list$/i.test(url))) return { verb: 'list', url: '' };
  return { verb: verb === 'watch' ? 'watch' : 'unwatch', url };
}

/** Answers a watch request, to the person only. A refused site throws, and is told like any refusal. */
export async function answerWatch(
  services: Services,
  audience: Audience,
  request: { verb: 'watch' | 'unwatch' | 'list'; url: string },
): Promise<void> {
  const { config, watched, now } = services;
  const context = (channelId?: string): WatchContext => ({
    nextRescan: nextOccurrence(config.rescan.schedule, now(), config.review.timeZone),
    timeZone: config.review.timeZone,
    maxSites: config.rescan.maxSites,
    ...((config.rescan.channel ?? channelId) ? { announcedIn: config.rescan.channel ?? channelId } : {}),
  });
  let message: SlackMessage;
  if (request.verb === 'list') message = watchListMessage(watched.list(), context());
  else if (request.url === '')
    message = scanUsage(`Name the site: \`/klaviyo-scan ${request.verb} https://your-store.example\`.`);
  else if (request.verb === 'watch') {
    const { target, added } = await watched.watch(
      request.url,
      audience.userId,
      audience.channelId ?? audience.userId,
    );
    message = watchedMessage(
      target,
      added,
      watched.list().find((site) => site.target === target),
      context(audience.channelId),
    );
  } else {
    const { target, removed } = watched.unwatch(request.url, audience.userId);
    message = unwatchedMessage(target, removed);
  }
  if (audience.responseUrl)
    await services.gateway.respond(audience.responseUrl, { ...message, response_type: 'ephemeral' });
}
