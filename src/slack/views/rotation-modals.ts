import type { ModalView } from '@slack/types';
import type { ItemRef } from '../../checklists/rotation.js';
import { encodeItem } from '../../checklists/rotation.js';
import { escapeMrkdwn, mrkdwn, plain, truncate } from './blocks.js';

export const VIEW_ADD_INTEGRATION = 'rotation:add_integration';
export const VIEW_ASSIGN = 'rotation:assign';
export const BLOCK_NAME = 'integration_name';
export const BLOCK_OWNER = 'owner';
export const ACTION_NAME = 'value';
export const ACTION_OWNER = 'user';

/** Modal to add an integration that uses the exposed key: its name and who updates it. */
export function addIntegrationModal(rotationId: string, masked: string, origin: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_ADD_INTEGRATION,
    private_metadata: JSON.stringify({ rotationId, origin }),
    title: plain('Add an integration', 24),
    submit: plain('Add', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `Which integration, app or custom code uses \`${masked}\`? Each gets its own new key with the narrowest scope.`,
        ),
      },
      {
        type: 'input',
        block_id: BLOCK_NAME,
        label: plain('Name', 2000),
        element: {
          type: 'plain_text_input',
          action_id: ACTION_NAME,
          max_length: 80,
          placeholder: plain('e.g. Shopify sync, ERP export, custom checkout code', 150),
        },
      },
      {
        type: 'input',
        block_id: BLOCK_OWNER,
        optional: true,
        label: plain('Owner (who will update it)', 2000),
        element: { type: 'users_select', action_id: ACTION_OWNER },
      },
    ],
  };
}

/** Modal to give a checklist item an owner. */
export function assignModal(rotationId: string, item: ItemRef, label: string, origin: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_ASSIGN,
    private_metadata: JSON.stringify({ rotationId, item: encodeItem(item), origin }),
    title: plain('Assign an owner', 24),
    submit: plain('Assign', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'section', text: mrkdwn(`*${escapeMrkdwn(truncate(label, 200))}*`) },
      {
        type: 'input',
        block_id: BLOCK_OWNER,
        label: plain('Owner', 2000),
        element: { type: 'users_select', action_id: ACTION_OWNER },
      },
    ],
  };
}
