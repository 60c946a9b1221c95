import type { SlackCommandMiddlewareArgs } from '@slack/bolt';
import { notice } from '../../slack/views/help.js';
import { isHelp } from '../chain.js';
import type { Services } from '../context.js';
import { openReviewForm } from '../review-form.js';

export const REVIEW_COMMAND = '/klaviyo-review';

const USAGE =
  '*`/klaviyo-review`* starts the quarterly Klaviyo user and role review: paste the Users page (Settings > Users) or attach it as CSV, decide keep / remove / change role for each user, confirm two-step authentication, API keys and the activity log, and export the evidence.';

/** `help`: the usage. */
export function reviewHelp(text: string) {
  return isHelp(text) ? notice(USAGE) : undefined;
}

/** `/klaviyo-review`: opens the form that starts the review. */
export function reviewCommand(services: Services) {
  return async ({ command }: SlackCommandMiddlewareArgs): Promise<void> => {
    await openReviewForm(services, command.trigger_id, command.channel_id, {
      userId: command.user_id,
      channelId: command.channel_id,
      responseUrl: command.response_url,
    });
  };
}
