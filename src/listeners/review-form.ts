import { reviewStartModal } from '../slack/views/review-modals.js';
import { type Audience, type Services, tellLink } from './context.js';

/** Opens the form that starts a review, at once (its trigger is valid for three seconds). */
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
  await services.gateway.openView(
    triggerId,
    reviewStartModal(
      channelId,
      previous ? { period: previous.period, users: previous.state.users.length } : undefined,
    ),
  );
}
