import type { App, ViewSubmitAction } from '@slack/bolt';
import { decodeItem } from '../../../checklists/rotation.js';
import { isCheckupError } from '../../../errors.js';
import { scrubSecrets } from '../../../scan/detector.js';
import { newId } from '../../../store/ids.js';
import { ensureAllowed, handleListenerError, type Services } from '../../context.js';
import {
  ACTION_NAME,
  ACTION_OWNER,
  BLOCK_NAME,
  BLOCK_OWNER,
  VIEW_ADD_INTEGRATION,
  VIEW_ASSIGN,
} from '../../views/modals.js';

function metadata(view: ViewSubmitAction['view']): { rotationId?: string; item?: string } {
  try {
    return JSON.parse(view.private_metadata) as { rotationId?: string; item?: string };
  } catch {
    return {};
  }
}

/**
 * Modal submissions. The change is applied before the ack (SQLite is synchronous and fast), so a
 * refused change is shown in the form itself; the checklist message is updated after.
 */
export function registerRotationViews(app: App, services: Services): void {
  app.view<ViewSubmitAction>(VIEW_ADD_INTEGRATION, async ({ ack, body, view }) => {
    const { rotationId } = metadata(view);
    // A key pasted into the name by mistake is masked before it is stored anywhere.
    const name = scrubSecrets(view.state.values[BLOCK_NAME]?.[ACTION_NAME]?.value?.trim() ?? '');
    const owner = view.state.values[BLOCK_OWNER]?.[ACTION_OWNER]?.selected_user ?? undefined;
    if (name === '') {
      await ack({ response_action: 'errors', errors: { [BLOCK_NAME]: 'Give the integration a name.' } });
      return;
    }
    // Only what is known at once is checked before the answer to Slack; a cold group cache is asked after.
    const allowed = services.access.knownDecision(body.user.id);
    if (!rotationId || allowed === false) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK_NAME]: services.access.refusal().slice(0, 150) },
      });
      return;
    }
    // The view's id makes a retried submission add the integration once.
    if (!services.ledger.firstTime(`view:${view.id}:${view.hash}`, services.now().toISOString())) {
      await ack();
      return;
    }
    if (allowed === undefined) {
      await ack();
      const audience = { userId: body.user.id };
      try {
        if (!(await ensureAllowed(services, audience))) return;
        await services.rotations.act(
          rotationId,
          { type: 'add_integration', id: newId(), name, ...(owner ? { owner } : {}) },
          body.user.id,
        );
      } catch (error) {
        await handleListenerError(services, audience, error, 'adding the integration');
      }
      return;
    }
    let applied: ReturnType<Services['rotations']['apply']>;
    try {
      applied = services.rotations.apply(
        rotationId,
        { type: 'add_integration', id: newId(), name, ...(owner ? { owner } : {}) },
        body.user.id,
      );
    } catch (error) {
      if (isCheckupError(error)) {
        await ack({ response_action: 'errors', errors: { [BLOCK_NAME]: error.message.slice(0, 150) } });
        return;
      }
      await ack();
      await handleListenerError(services, { userId: body.user.id }, error, 'adding the integration');
      return;
    }
    await ack();
    await services.rotations
      .publish(applied, body.user.id)
      .catch((error: unknown) =>
        handleListenerError(services, { userId: body.user.id }, error, 'updating the checklist'),
      );
  });

  app.view<ViewSubmitAction>(VIEW_ASSIGN, async ({ ack, body, view }) => {
    const { rotationId, item: itemValue } = metadata(view);
    const item = decodeItem(itemValue ?? '');
    const owner = view.state.values[BLOCK_OWNER]?.[ACTION_OWNER]?.selected_user ?? undefined;
    if (!owner) {
      await ack({ response_action: 'errors', errors: { [BLOCK_OWNER]: 'Choose a person.' } });
      return;
    }
    await ack();
    try {
      if (!rotationId || item === undefined) return;
      if (!(await ensureAllowed(services, { userId: body.user.id }))) return;
      await services.rotations.act(rotationId, { type: 'assign', item, owner }, body.user.id);
    } catch (error) {
      await handleListenerError(services, { userId: body.user.id }, error, 'assigning the owner');
    }
  });
}
