import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { audienceOf, type Services, tellLink } from '../context.js';

/** A rotation started more than this long ago, or by someone else, was already open. */
const JUST_STARTED_MS = 10_000;

/** "Start rotation" on a finding: the checklist is posted, or the open one is pointed to. */
export function startRotation(services: Services) {
  return async ({ body, action }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    const [scanId, fingerprint] = action.value?.split('|') ?? [];
    if (!scanId || !fingerprint) return;
    const rotation = await services.rotations.start({
      scanId,
      fingerprint,
      userId: body.user.id,
      channelId: body.channel?.id ?? body.user.id,
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    });
    const startedAt = Date.parse(rotation.startedAt);
    if (rotation.startedBy !== body.user.id || startedAt < services.now().getTime() - JUST_STARTED_MS) {
      await tellLink(services, audienceOf(body), rotation, 'A rotation of this key is already open');
    }
  };
}
