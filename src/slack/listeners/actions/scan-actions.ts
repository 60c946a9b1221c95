import type { App, BlockButtonAction } from '@slack/bolt';
import {
  type Audience,
  audienceOf,
  ensureAllowed,
  handleListenerError,
  type Services,
  tellUser,
} from '../../context.js';
import { ACTION_OPEN_ROTATION, ACTION_RESCAN, ACTION_START_ROTATION } from '../../views/scan-message.js';

/** Buttons on a scan result: start a rotation for a key, open the running one, re-scan in place. */
export function registerScanActions(app: App, services: Services): void {
  app.action<BlockButtonAction>(ACTION_START_ROTATION, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      const [scanId, fingerprint] = action.value?.split('|') ?? [];
      if (!scanId || !fingerprint) return;
      const rotation = await services.rotations.start({
        scanId,
        fingerprint,
        userId: body.user.id,
        channelId: body.channel?.id ?? body.user.id,
        ...(body.response_url ? { responseUrl: body.response_url } : {}),
      });
      if (rotation.startedBy !== body.user.id || Date.parse(rotation.startedAt) < Date.now() - 10_000) {
        await tellRotationLink(
          services,
          audience,
          rotation.channelId,
          rotation.messageTs,
          'A rotation of this key is already open',
        );
      }
    } catch (error) {
      await handleListenerError(services, audience, error, 'starting the rotation');
    }
  });

  app.action<BlockButtonAction>(ACTION_OPEN_ROTATION, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    const rotation = services.rotations.get(action.value ?? '');
    if (rotation === undefined) {
      await tellUser(services, audience, 'That rotation no longer exists.');
      return;
    }
    await tellRotationLink(
      services,
      audience,
      rotation.channelId,
      rotation.messageTs,
      'The rotation checklist',
    );
  });

  app.action<BlockButtonAction>(ACTION_RESCAN, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      const previous = services.scanStore.get(action.value ?? '');
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
    } catch (error) {
      await handleListenerError(services, audience, error, 're-scanning');
    }
  });
}

async function tellRotationLink(
  services: Services,
  audience: Audience,
  channelId: string,
  messageTs: string | undefined,
  what: string,
): Promise<void> {
  const link = messageTs === undefined ? undefined : await services.gateway.permalink(channelId, messageTs);
  await tellUser(services, audience, link ? `${what}: <${link}|open it>.` : `${what} is in <#${channelId}>.`);
}
