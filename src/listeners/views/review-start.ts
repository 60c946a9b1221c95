import { isCheckupError } from '../../errors.js';
import {
  BLOCK_ACCOUNT,
  BLOCK_ROSTER_FILE,
  BLOCK_USE_PREVIOUS,
  INPUT_ACTION,
  ROSTER_BLOCKS,
} from '../../slack/views/review-modals.js';
import { answerForm, type FormArgs } from '../chain.js';
import { type Services, tellUser } from '../context.js';
import { formMetadata } from './metadata.js';

/** The form that starts a review: the roster pasted, attached, or the previous one. */
export function reviewStartSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const values = view.state.values;
    const parts = ROSTER_BLOCKS.map((block) => values[block]?.[INPUT_ACTION]?.value ?? '');
    const files =
      (values[BLOCK_ROSTER_FILE]?.[INPUT_ACTION] as { files?: { id: string }[] } | undefined)?.files ?? [];
    const usePrevious = (values[BLOCK_USE_PREVIOUS]?.[INPUT_ACTION]?.selected_options ?? []).length > 0;
    if (parts.every((part) => part.trim() === '') && files.length === 0 && !usePrevious) {
      return answerForm(services, args, {
        [ROSTER_BLOCKS[0]]: 'Paste the roster, attach a file, or start from the previous roster.',
      });
    }
    // Reading a file and posting can take longer than Slack waits for this answer: close the form now.
    await answerForm(services, args);
    // Where the review reports is read from the sealed origin (the chain checked it), never from
    // anything the submission could change; without one, it reports to the person's direct messages.
    const origin = services.forms.open(formMetadata<{ origin: string }>(view.private_metadata).origin);
    const channelId = origin?.channelId ?? body.user.id;
    const account = values[BLOCK_ACCOUNT]?.[INPUT_ACTION]?.value?.trim();
    try {
      await services.reviews.start({
        userId: body.user.id,
        channelId,
        parts,
        ...(files[0] ? { fileId: files[0].id } : {}),
        usePrevious,
        ...(account ? { account } : {}),
      });
    } catch (error) {
      if (!isCheckupError(error)) throw error;
      await tellUser(
        services,
        { userId: body.user.id },
        `:warning: The review was not started: ${error.message}`,
      );
    }
  };
}
