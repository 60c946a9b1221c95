import { reviewStartModal } from '../slack/views/review-modals.js';
import { type Audience, type Services, tellLink } from './context.js';

/**
 * Opens the form that starts a review, at once (its trigger is valid for three seconds). Where the
 * review will report is sealed into the form, for this person only.
 */
export async function openReviewForm(
  services: Services,
  triggerId: string,
  channelId: string,
  audience: Audience,
): Promise<void> {
  const open = services.reviews.open();
  if (open !== undefined) {
    await tellLink(services, audience, open, `A review (${open.period}) is already open`);
    return;
  }
  const previous = services.reviews.latestCompleted();
  const origin = services.forms.seal({ kind: 'review-start', userId: audience.userId, channelId });
  await services.gateway.openView(
    triggerId,
    reviewStartModal(
      origin,
      previous ? { period: previous.period, users: previous.state.users.length } : undefined,
      previous?.state.account,
    ),
  );
}
