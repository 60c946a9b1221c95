import type { SlackCommandMiddlewareArgs } from '@slack/bolt';
import { isCheckupError } from '../../errors.js';
import { scanUsage } from '../../slack/views/help.js';
import { isHelp } from '../chain.js';
import { type Audience, type Services, tellUser } from '../context.js';
import { answerWatch, watchRequest } from './watch.js';

export const SCAN_COMMAND = '/klaviyo-scan';

/** Empty text or `help`: the usage. */
export function scanHelp(text: string) {
  return text === '' || isHelp(text) ? scanUsage() : undefined;
}

/**
 * `/klaviyo-scan <url>`: acknowledged at once; validation, the refusal check and the scan come after.
 * `watch <url>`, `unwatch <url>` and `watch list` manage the sites re-scanned on the schedule.
 */
export function scanCommand(services: Services) {
  return async ({ command }: SlackCommandMiddlewareArgs): Promise<void> => {
    const audience: Audience = {
      userId: command.user_id,
      channelId: command.channel_id,
      responseUrl: command.response_url,
    };
    const watch = watchRequest(command.text.trim());
    if (watch !== undefined) return answerWatch(services, audience, watch);
    try {
      const outcome = await services.scans.request({
        text: command.text.trim(),
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        responseUrl: command.response_url,
      });
      if (outcome.kind === 'joined') {
        await tellUser(
          services,
          audience,
          outcome.sameChannel
            ? ':hourglass: That site is already being scanned here; its message will show the result.'
            : ':hourglass: That site is already being scanned; the result will be posted here too when it finishes.',
        );
      }
    } catch (error) {
      // A URL that cannot be scanned is answered with the usage, so the person sees how to ask.
      if (!isCheckupError(error, 'usage')) throw error;
      await services.gateway.respond(command.response_url, {
        ...scanUsage(error.message),
        response_type: 'ephemeral',
      });
    }
  };
}
