import type { FormOrigin } from '../store/form-seal.js';
import type { Services } from './context.js';
import { formMetadata } from './views/metadata.js';

/**
 * Where a request must come from to be applied: the message of the rotation, review or scan it acts
 * on, a review reminder the bot posted, or a form (or the user list) the bot opened from there for the
 * same person.
 */
export type From = { message: 'rotation' | 'review' | 'scan' | 'reminder' } | { form: FormOrigin['kind'] };

/** The refusal for a request that did not come from where it must. */
export const WRONG_PLACE =
  'That request did not come from the message it acts on, or from a form opened there, so nothing was changed. Use the buttons on that message.';

/** The fields of block_actions and view_submission payloads the checks read. */
interface Payload {
  user?: { id?: string };
  channel?: { id?: string };
  container?: { type?: string; channel_id?: string; message_ts?: string };
  message?: { ts?: string };
  actions?: { value?: string; selected_option?: { value?: string } }[];
  view?: { private_metadata?: string };
}

/** True when the request came from where `from` says; anything the checks cannot read is refused. */
export function cameFrom(services: Services, from: From, body: unknown): boolean {
  const payload = (body ?? {}) as Payload;
  return 'message' in from
    ? fromMessage(services, from.message, payload)
    : fromForm(services, from.form, payload);
}

/** The subject of a message button: the first `|`-separated part of its value. */
function subjectOf(payload: Payload): string {
  const action = payload.actions?.[0];
  return (action?.value ?? action?.selected_option?.value ?? '').split('|')[0] ?? '';
}

function fromMessage(
  services: Services,
  kind: 'rotation' | 'review' | 'scan' | 'reminder',
  payload: Payload,
): boolean {
  if (payload.container?.type !== 'message') return false;
  const channel = payload.channel?.id ?? payload.container.channel_id;
  const ts = payload.message?.ts ?? payload.container.message_ts;
  // A reminder's buttons name nothing: the message itself must be one the bot stored as a reminder.
  if (kind === 'reminder')
    return channel !== undefined && ts !== undefined && services.isReminder(channel, ts);
  const id = subjectOf(payload);
  if (kind === 'scan') {
    const scan = services.scans.get(id);
    // An unknown scan is the handler's to answer ("no longer known"); nothing is changed for it.
    if (scan === undefined) return true;
    // Its result is posted in its channel and in those of people who joined it (some through a
    // response URL, so with no timestamp to check), or in the direct messages of the person it is for.
    const direct = scan.channelId === payload.user?.id && ts !== undefined && ts === scan.messageTs;
    return direct || services.scans.postedIn(id).includes(channel ?? '');
  }
  const record = kind === 'rotation' ? services.rotations.get(id) : services.reviews.get(id);
  if (record === undefined) return true;
  return channel === record.channelId && ts !== undefined && ts === record.messageTs;
}

function fromForm(services: Services, kind: FormOrigin['kind'], payload: Payload): boolean {
  const metadata = formMetadata<{ origin: string; rotationId: string; reviewId: string }>(
    payload.view?.private_metadata ?? '',
  );
  const origin = services.forms.open(metadata.origin);
  if (origin === undefined || origin.kind !== kind || origin.userId !== payload.user?.id) return false;
  if (kind !== 'rotation' && kind !== 'review') return true;
  const subject = kind === 'rotation' ? metadata.rotationId : metadata.reviewId;
  if (subject === undefined || subject !== origin.subjectId) return false;
  const record = kind === 'rotation' ? services.rotations.get(subject) : services.reviews.get(subject);
  // The checklist's message must still be the one the form was opened from.
  return (
    record !== undefined && record.channelId === origin.channelId && record.messageTs === origin.messageTs
  );
}

/** The sealed origin for a form opened from a rotation's or review's own message. */
export function originOf(
  services: Services,
  kind: 'rotation' | 'review',
  userId: string,
  record: { id: string; channelId: string; messageTs?: string | undefined },
): string {
  return services.forms.seal({
    kind,
    userId,
    subjectId: record.id,
    channelId: record.channelId,
    ...(record.messageTs === undefined ? {} : { messageTs: record.messageTs }),
  });
}
