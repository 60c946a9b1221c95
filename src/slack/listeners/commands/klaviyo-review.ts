import type { App } from '@slack/bolt';
import { type Audience, ensureAllowed, handleListenerError, type Services, tellUser } from '../../context.js';
import { reviewStartModal } from '../../views/review-views.js';

export const REVIEW_COMMAND = '/klaviyo-review';

const USAGE =
  '*`/klaviyo-review`* starts the quarterly Klaviyo user and role review: paste the Users page (Settings > Users) or attach it as CSV, decide keep / remove / change role for each user, confirm two-step authentication, API keys and the activity log, and export the evidence.';

/** Opens the start form at once: its trigger is valid for three seconds. */
export async function openReviewForm(
  services: Services,
  triggerId: string,
  channelId: string,
  audience: Audience,
): Promise<void> {
  const open = services.reviews.open();
  if (open !== undefined) {
    const link = open.messageTs
      ? await services.gateway.permalink(open.channelId, open.messageTs)
      : undefined;
    await tellUser(
      services,
      audience,
      `A review (${open.period}) is already open${link ? `: <${link}|open it>` : ` in <#${open.channelId}>`}.`,
    );
    return;
  }
  const previous = services.reviews.latestCompleted();
  await services.gateway.openView(
    triggerId,
    reviewStartModal(
      channelId,
      previous ? { period: previous.period, users: previous.state.users.length } : undefined,
    ),
  );
}

export function registerReviewCommand(app: App, services: Services): void {
  app.command(REVIEW_COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const audience: Audience = {
      userId: command.user_id,
      channelId: command.channel_id,
      responseUrl: command.response_url,
    };
    try {
      if (/^(help|-h|--help|\?)$/i.test(command.text.trim())) {
        await respond({ text: USAGE, response_type: 'ephemeral' });
        return;
      }
      if (!(await ensureAllowed(services, audience))) return;
      await openReviewForm(services, command.trigger_id, command.channel_id, audience);
    } catch (error) {
      await handleListenerError(services, audience, error, 'opening the review form');
    }
  });
}
