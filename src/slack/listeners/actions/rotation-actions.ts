import type { App, BlockAction, BlockButtonAction, BlockOverflowAction } from '@slack/bolt';
import { decodeItem, itemLabel, type RotationAction } from '../../../checklists/rotation.js';
import { audienceOf, ensureAllowed, handleListenerError, type Services, tellUser } from '../../context.js';
import { addIntegrationModal, assignModal } from '../../views/modals.js';
import {
  ACTION_ADD_INTEGRATION,
  ACTION_CHECK_NOW,
  ACTION_CONFIRM_DELETE,
  ACTION_ITEM_MENU,
  ACTION_RESCAN,
  type ItemOp,
} from '../../views/rotation-message.js';

/** A click is applied once even if Slack delivers it twice. */
function firstDelivery(services: Services, body: BlockAction): boolean {
  const action = body.actions[0];
  return services.ledger.firstTime(
    `action:${body.user.id}:${action?.action_ts}:${action?.action_id}`,
    services.now().toISOString(),
  );
}

/** The rotation checklist's controls: item menus and buttons, each thin over RotationService. */
export function registerRotationActions(app: App, services: Services): void {
  app.action<BlockOverflowAction | BlockButtonAction>(ACTION_ITEM_MENU, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    const value = action.type === 'overflow' ? action.selected_option.value : action.value;
    const [rotationId, itemValue, op] = (value ?? '').split('|') as [string, string, ItemOp];
    const item = decodeItem(itemValue ?? '');
    try {
      if (!rotationId || item === undefined || !firstDelivery(services, body)) return;
      if (!(await ensureAllowed(services, audience))) return;
      if (op === 'assign') {
        const rotation = services.rotations.get(rotationId);
        if (rotation === undefined) return;
        await services.gateway.openView(
          body.trigger_id,
          assignModal(rotationId, item, itemLabel(rotation.state, item)),
        );
        return;
      }
      const change: RotationAction | undefined =
        op === 'done' || op === 'undo'
          ? { type: 'mark', item, done: op === 'done' }
          : op === 'me'
            ? { type: 'assign', item, owner: body.user.id }
            : op === 'clear'
              ? { type: 'assign', item, owner: null }
              : op === 'remove' && 'integration' in item
                ? { type: 'remove_integration', id: item.integration }
                : undefined;
      if (change !== undefined) await services.rotations.act(rotationId, change, body.user.id);
    } catch (error) {
      await handleListenerError(services, audience, error, 'updating the checklist');
    }
  });

  app.action<BlockButtonAction>(ACTION_ADD_INTEGRATION, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!(await ensureAllowed(services, audience))) return;
      const rotation = services.rotations.get(action.value ?? '');
      if (rotation === undefined) return;
      await services.gateway.openView(
        body.trigger_id,
        addIntegrationModal(rotation.id, rotation.state.key.masked),
      );
    } catch (error) {
      await handleListenerError(services, audience, error, 'opening the form');
    }
  });

  app.action<BlockButtonAction>(ACTION_CONFIRM_DELETE, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!firstDelivery(services, body) || !(await ensureAllowed(services, audience))) return;
      await services.rotations.act(
        action.value ?? '',
        { type: 'mark', item: { step: 'delete' }, done: true },
        body.user.id,
      );
    } catch (error) {
      await handleListenerError(services, audience, error, 'recording the deletion');
    }
  });

  app.action<BlockButtonAction>(ACTION_RESCAN, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!firstDelivery(services, body) || !(await ensureAllowed(services, audience))) return;
      await services.rotations.rescan(action.value ?? '', body.user.id);
      await tellUser(
        services,
        audience,
        ':mag: Re-scanning the site; the result appears in the checklist’s thread.',
      );
    } catch (error) {
      await handleListenerError(services, audience, error, 're-scanning');
    }
  });

  app.action<BlockButtonAction>(ACTION_CHECK_NOW, async ({ ack, body, action }) => {
    await ack();
    const audience = audienceOf(body);
    try {
      if (!firstDelivery(services, body) || !(await ensureAllowed(services, audience))) return;
      await services.rotations.checkNow(action.value ?? '', body.user.id);
    } catch (error) {
      await handleListenerError(services, audience, error, 'checking the key');
    }
  });
}
