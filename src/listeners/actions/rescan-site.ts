import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services, tellUser } from '../context.js';

/** "Re-scan" or "Run it again" on a scan message: the same site, the message updated in place. */
export function rescanSite(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const audience = audienceOf(body);
    const previous = services.scans.get(action.value ?? '');
    if (previous === undefined) {
      await tellUser(services, audience, 'That scan is no longer known; run `/klaviyo-scan <url>` again.');
      return;
    }
    const messageTs = body.container.message_ts ?? body.message?.ts;
    const outcome = await services.scans.request({
      text: previous.target,
      userId: body.user.id,
      channelId: body.channel?.id ?? previous.channelId,
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
      ...(messageTs && !body.container.is_ephemeral ? { reuseMessageTs: messageTs } : {}),
    });
    if (outcome.kind === 'joined')
      await tellUser(services, audience, ':hourglass: That site is already being scanned.');
  };
}
