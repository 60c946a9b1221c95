import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { isCheckupError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AccessPolicy } from '../services/access.js';
import type { ReviewService } from '../services/review-service.js';
import type { RotationService } from '../services/rotation-service.js';
import type { ScanService } from '../services/scan-service.js';
import type { RequestLedger } from '../store/audit.js';
import type { ScanRepository } from '../store/scans.js';
import type { SlackGateway } from './gateway.js';
import { notice } from './views/help.js';

/** What every listener may use; built once in main.ts. */
export interface Services {
  config: Config;
  log: Logger;
  gateway: SlackGateway;
  scans: ScanService;
  scanStore: ScanRepository;
  rotations: RotationService;
  reviews: ReviewService;
  /** Records a snooze of the review reminder. */
  snoozeReview: (choice: 'day' | 'week', userId: string) => Date;
  access: AccessPolicy;
  ledger: RequestLedger;
  now: () => Date;
}

/** Where to tell one person something only they should see. */
export interface Audience {
  userId: string;
  channelId?: string;
  responseUrl?: string;
}

/** Who clicked, and where a reply to them only can go. */
export function audienceOf(body: {
  user: { id: string };
  channel?: { id: string } | undefined;
  response_url?: string | undefined;
}): Audience {
  return {
    userId: body.user.id,
    ...(body.channel?.id ? { channelId: body.channel.id } : {}),
    ...(body.response_url ? { responseUrl: body.response_url } : {}),
  };
}

/** Replies to one person only: through the response URL when there is one, else an ephemeral message. */
export async function tellUser(services: Services, audience: Audience, text: string): Promise<void> {
  const message = notice(text);
  try {
    if (audience.responseUrl) {
      await services.gateway.respond(audience.responseUrl, {
        ...message,
        response_type: 'ephemeral',
        replace_original: false,
      });
      return;
    }
    if (audience.channelId) {
      await services.gateway.ephemeral(audience.channelId, audience.userId, message);
      return;
    }
    await services.gateway.post(audience.userId, message);
  } catch (error) {
    services.log.warn('could not reply to a user', { userId: audience.userId, error: String(error) });
  }
}

/**
 * The one place listener errors are handled: a problem meant for the user (a refused target, a step
 * that is not available yet, no permission) is told to them as it is; anything else is logged with a
 * reference the user gets, so nobody is left without an answer and no detail leaks into Slack.
 */
export async function handleListenerError(
  services: Services,
  audience: Audience,
  error: unknown,
  what: string,
): Promise<void> {
  if (isCheckupError(error)) {
    await tellUser(services, audience, `:warning: ${error.message}`);
    return;
  }
  const reference = randomBytes(4).toString('hex');
  services.log.error(`${what} failed`, { reference, userId: audience.userId, error });
  await tellUser(
    services,
    audience,
    `:x: Something went wrong while ${what} (reference \`${reference}\`). The team can find the details in the bot's log.`,
  );
}

/** Refuses, with the reason, a person who is not allowed to act. True when they may go on. */
export async function ensureAllowed(services: Services, audience: Audience): Promise<boolean> {
  if (await services.access.canAct(audience.userId)) return true;
  await tellUser(services, audience, `:no_entry: ${services.access.refusal()}`);
  return false;
}
