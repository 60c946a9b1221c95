import type { App } from '@slack/bolt';
import { isCheckupError } from '../../../errors.js';
import { type Audience, ensureAllowed, handleListenerError, type Services, tellUser } from '../../context.js';
import { scanUsage } from '../../views/help.js';

export const SCAN_COMMAND = '/klaviyo-scan';

/** `/klaviyo-scan <url>`: acknowledged at once; validation, the refusal check and the scan come after. */
export function registerScanCommand(app: App, services: Services): void {
  app.command(SCAN_COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const audience: Audience = {
      userId: command.user_id,
      channelId: command.channel_id,
      responseUrl: command.response_url,
    };
    const text = command.text.trim();
    try {
      if (text === '' || /^(help|-h|--help|\?)$/i.test(text)) {
        await respond({ ...scanUsage(), response_type: 'ephemeral' });
        return;
      }
      if (!services.ledger.firstTime(`command:${command.trigger_id}`, services.now().toISOString())) return;
      if (!(await ensureAllowed(services, audience))) return;
      const outcome = await services.scans.request({
        text,
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
      if (isCheckupError(error, 'usage')) {
        await respond({ ...scanUsage(error.message), response_type: 'ephemeral' });
        return;
      }
      await handleListenerError(services, audience, error, 'starting the scan');
    }
  });
}
