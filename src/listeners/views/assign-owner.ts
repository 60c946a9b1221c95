import { decodeItem } from '../../checklists/rotation.js';
import { ACTION_OWNER, BLOCK_OWNER } from '../../slack/views/rotation-modals.js';
import { answerForm, type FormArgs } from '../chain.js';
import type { Services } from '../context.js';
import { formMetadata } from './metadata.js';

/** The owner form of a checklist item. */
export function assignOwnerSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const { rotationId, item: itemValue } = formMetadata<{ rotationId: string; item: string }>(
      view.private_metadata,
    );
    const item = decodeItem(itemValue ?? '');
    const owner = view.state.values[BLOCK_OWNER]?.[ACTION_OWNER]?.selected_user ?? undefined;
    if (!owner) return answerForm(services, args, { [BLOCK_OWNER]: 'Choose a person.' });
    await answerForm(services, args);
    if (!rotationId || item === undefined) return;
    await services.rotations.act(rotationId, { type: 'assign', item, owner }, body.user.id);
  };
}
