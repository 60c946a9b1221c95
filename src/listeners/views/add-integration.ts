import { isCheckupError } from '../../errors.js';
import { scrubSecrets } from '../../scan/detector.js';
import { ACTION_NAME, ACTION_OWNER, BLOCK_NAME, BLOCK_OWNER } from '../../slack/views/rotation-modals.js';
import { newId } from '../../store/ids.js';
import { answerForm, type FormArgs } from '../chain.js';
import type { Services } from '../context.js';
import { formMetadata } from './metadata.js';

/**
 * The integration form. The change is applied before the answer to Slack (SQLite is synchronous and
 * fast), so a refused change is shown in the form itself; the checklist message is updated after.
 */
export function addIntegrationSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const { rotationId } = formMetadata<{ rotationId: string }>(view.private_metadata);
    // A key pasted into the name by mistake is masked before it is stored anywhere.
    const name = scrubSecrets(view.state.values[BLOCK_NAME]?.[ACTION_NAME]?.value?.trim() ?? '');
    const owner = view.state.values[BLOCK_OWNER]?.[ACTION_OWNER]?.selected_user ?? undefined;
    if (name === '') return answerForm(services, args, { [BLOCK_NAME]: 'Give the integration a name.' });
    if (!rotationId) return answerForm(services, args);
    let applied: ReturnType<Services['rotations']['apply']>;
    try {
      applied = services.rotations.apply(
        rotationId,
        { type: 'add_integration', id: newId(), name, ...(owner ? { owner } : {}) },
        body.user.id,
      );
    } catch (error) {
      if (isCheckupError(error)) return answerForm(services, args, { [BLOCK_NAME]: error.message });
      await answerForm(services, args);
      throw error;
    }
    await answerForm(services, args);
    await services.rotations.publish(applied, body.user.id);
  };
}
