import type { BlockButtonAction, BlockOverflowAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeItem, itemLabel, type RotationAction } from '../../checklists/rotation.js';
import type { ItemOp } from '../../slack/views/rotation-message.js';
import { assignModal } from '../../slack/views/rotation-modals.js';
import type { Services } from '../context.js';
import { originOf } from '../origin.js';

/** An item's menu or button on the checklist: done, not done, owner, remove an integration. */
export function checklistItem(services: Services) {
  return async ({
    body,
    action,
  }: SlackActionMiddlewareArgs<BlockOverflowAction | BlockButtonAction>): Promise<void> => {
    const value = action.type === 'overflow' ? action.selected_option.value : action.value;
    const [rotationId, itemValue, op] = (value ?? '').split('|') as [string, string, ItemOp];
    const item = decodeItem(itemValue ?? '');
    if (!rotationId || item === undefined) return;
    if (op === 'assign') {
      const rotation = services.rotations.get(rotationId);
      if (rotation === undefined) return;
      await services.gateway.openView(
        body.trigger_id,
        assignModal(
          rotationId,
          item,
          itemLabel(rotation.state, item),
          originOf(services, 'rotation', body.user.id, rotation),
        ),
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
  };
}
