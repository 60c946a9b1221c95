import type { KnownBlock, SectionBlock } from '@slack/types';
import {
  deleteBlockers,
  encodeItem,
  type Integration,
  type ItemRef,
  itemDone,
  itemOwner,
  LIVENESS_WORDS,
  type Mark,
  type RotationChecklist,
  rotationProgress,
  STEP_TITLES,
  suggestedKeyLabel,
} from '../../checklists/rotation.js';
import { plural } from '../../words.js';
import {
  actions,
  blocksTextLength,
  button,
  confirmDialog,
  context,
  escapeMrkdwn,
  header,
  MESSAGE_TEXT_BUDGET,
  plain,
  type SlackMessage,
  section,
  slackDate,
  truncate,
  userMention,
} from './blocks.js';
import { contextWords, hostOf } from './scan-message.js';

export const ACTION_ITEM_MENU = 'rotation:item_menu';
export const ACTION_RESCAN = 'rotation:rescan';
export const ACTION_ADD_INTEGRATION = 'rotation:add_integration';
export const ACTION_CONFIRM_DELETE = 'rotation:confirm_delete';
export const ACTION_CHECK_NOW = 'rotation:check_now';

/** Item menu operations, carried in the option value `<rotation>|<item>|<op>` (≤ 150 characters). */
export type ItemOp = 'done' | 'undo' | 'me' | 'assign' | 'clear' | 'remove';

export function itemMenuValue(rotationId: string, item: ItemRef, op: ItemOp): string {
  return `${rotationId}|${encodeItem(item)}|${op}`;
}

/**
 * The rotation checklist message, updated in place as the team works through it. With many
 * integrations it is drawn more compactly, so it stays inside Slack's text limit for a message.
 */
export function rotationMessage(rotationId: string, state: RotationChecklist, now: Date): SlackMessage {
  let message = drawRotation(rotationId, state, now, 0);
  for (let level = 1; level <= 2 && blocksTextLength(message.blocks) > MESSAGE_TEXT_BUDGET; level++) {
    message = drawRotation(rotationId, state, now, level);
  }
  return message;
}

function drawRotation(
  rotationId: string,
  state: RotationChecklist,
  now: Date,
  compact: number,
): SlackMessage {
  const { done, total } = rotationProgress(state);
  const masked = state.key.masked;
  const blocks: KnownBlock[] = [];
  const complete = state.completedAt !== undefined;
  blocks.push(header(complete ? `Rotation complete: ${masked}` : `Rotate the exposed key ${masked}`));
  blocks.push(
    context(
      `${complete ? ':white_check_mark:' : ':arrows_counterclockwise:'} *${done} of ${total}* done · ${escapeMrkdwn(hostOf(state.target))} · started by ${userMention(state.startedBy)} ${slackDate(state.startedAt)}${complete ? ` · completed ${slackDate(state.completedAt as string)} (${duration(state.startedAt, state.completedAt as string)})` : ''}`,
    ),
  );

  const keyKept = !state.keyKept
    ? 'The bot does not hold the key, so the revocation is confirmed by hand.'
    : state.keyKeptDurably === false
      ? 'The bot holds the key in memory only, to check it with Klaviyo; if the bot restarts, the team confirms the revocation by hand. It is forgotten when the rotation ends.'
      : 'An encrypted copy is kept so the bot can check the key with Klaviyo; it is wiped when the rotation ends.';
  blocks.push(
    section(
      `${itemHeading(1, STEP_TITLES.record, state.steps.record.done, undefined)}\n\`${masked}\` · fingerprint \`${state.key.fingerprint.slice(0, 16)}…\`${state.key.accountPublicKey ? ` · account \`${state.key.accountPublicKey}\`` : ''}\n${keyKept}`,
    ),
  );

  const locations = state.locations
    .slice(0, compact > 0 ? 2 : 5)
    .map((location) => {
      const where = contextWords(location.context);
      return `• ${escapeMrkdwn(truncate(location.url, 200))}${where === '' ? '' : ` (${where})`}`;
    })
    .join('\n');
  const moreLocations =
    state.locationCount > 5
      ? `\n…and ${plural(state.locationCount - 5, 'more place')} (see the scan's thread)`
      : '';
  const rescan = state.proof.rescan
    ? `\nLast re-scan ${slackDate(state.proof.rescan.at)}: ${state.proof.rescan.clean ? 'the key is gone' : 'the key is still there'}`
    : '';
  blocks.push(
    itemSection(
      rotationId,
      state,
      { step: 'replace' },
      `${itemHeading(2, STEP_TITLES.replace, state.steps.replace.done, state.steps.replace.owner)}\nUse the public key (site ID${state.key.accountPublicKey ? ` \`${state.key.accountPublicKey}\`` : ''}) wherever the private key sits:\n${locations}${moreLocations}${rescan}\nA re-scan that no longer finds the key completes this step.`,
      ['me', 'assign', 'clear'],
      complete,
    ),
  );
  if (!complete && state.steps.replace.done === undefined) {
    blocks.push(
      actions('replace_actions', [
        button('Re-scan the site', ACTION_RESCAN, rotationId, { style: 'primary' }),
      ]),
    );
  }

  blocks.push(
    itemSection(
      rotationId,
      state,
      { step: 'identify' },
      `${itemHeading(3, STEP_TITLES.identify, state.steps.identify.done, state.steps.identify.owner)}\nList every integration, app and piece of custom code that uses this key, then mark the list complete.${state.integrations.length === 0 ? '\n_No integrations listed yet._' : ''}`,
      ['done', 'undo', 'me', 'assign', 'clear'],
      complete,
    ),
  );
  if (!complete) {
    blocks.push(
      actions('integration_actions', [button('Add an integration', ACTION_ADD_INTEGRATION, rotationId)]),
    );
  }

  state.integrations.forEach((integration, index) => {
    blocks.push(integrationSection(rotationId, integration, index, now, complete, compact));
  });
  if (state.integrations.length > 0 && !complete) {
    blocks.push(
      context(
        'For each integration: in Klaviyo, Settings > API keys > *Create Private API Key*. Give it the suggested label and the narrowest scope: *Custom*, with read or full access only to the areas that integration uses (scopes cannot be changed later). Then put the new key into the integration.',
      ),
    );
  }

  blocks.push(deleteSection(rotationId, state, complete));
  blocks.push(verifySection(rotationId, state, complete));
  blocks.push(context('Every action is recorded in this thread with who and when.'));
  return {
    text: complete
      ? `Rotation of ${masked} complete (${done} of ${total})`
      : `Rotation of the exposed Klaviyo key ${masked}: ${done} of ${total} done`,
    blocks,
  };
}

function itemHeading(
  number: number | string,
  title: string,
  done: Mark | undefined,
  owner: string | undefined,
): string {
  const status = done ? `:white_check_mark: ~*${number}. ${title}*~` : `:white_square: *${number}. ${title}*`;
  const by = done
    ? ` — ${done.by === 'klaviyo-checkup' ? 'done by the bot' : `done by ${userMention(done.by)}`} ${slackDate(done.at)}`
    : '';
  const ownerText = owner ? ` · owner ${userMention(owner)}` : '';
  return `${status}${by}${ownerText}`;
}

function itemSection(
  rotationId: string,
  state: RotationChecklist,
  item: ItemRef,
  text: string,
  ops: ItemOp[],
  complete: boolean,
): SectionBlock {
  const block: SectionBlock = section(text, { block_id: `item_${encodeItem(item).replace(/:/g, '_')}` });
  if (complete) return block;
  const done = itemDone(state, item) !== undefined;
  const owner = itemOwner(state, item);
  const options = ops
    .filter((op) =>
      op === 'done' ? !done : op === 'undo' ? done : op === 'clear' ? owner !== undefined : true,
    )
    .map((op) => menuOption(rotationId, item, op));
  if (options.length >= 2) block.accessory = { type: 'overflow', action_id: ACTION_ITEM_MENU, options };
  else if (options.length === 1) {
    const only = options[0] as { text: { text: string }; value: string };
    block.accessory = button(only.text.text, ACTION_ITEM_MENU, only.value);
  }
  return block;
}

const OP_LABEL: Record<ItemOp, string> = {
  done: 'Mark done',
  undo: 'Mark not done',
  me: 'Assign to me',
  assign: 'Assign someone…',
  clear: 'Clear owner',
  remove: 'Remove from the list',
};

function menuOption(rotationId: string, item: ItemRef, op: ItemOp, label = OP_LABEL[op]) {
  return { text: plain(label, 75), value: itemMenuValue(rotationId, item, op) };
}

function integrationSection(
  rotationId: string,
  integration: Integration,
  index: number,
  now: Date,
  complete: boolean,
  compact: number,
): SectionBlock {
  const created = integration.keyCreated;
  const name = truncate(integration.name, compact >= 2 ? 24 : compact === 1 ? 48 : 80);
  const updated = integration.updated;
  const owner = integration.owner ? ` · owner ${userMention(integration.owner)}` : '';
  const line = (mark: Mark | undefined, text: string) =>
    `${mark ? ':white_check_mark:' : ':white_square:'} ${text}${mark ? ` — ${userMention(mark.by)} ${slackDate(mark.at)}` : ''}`;
  // The label to give the new key matters until it is created; once created it is noise.
  const label =
    created || compact > 0 ? '' : ` (label: \`${escapeMrkdwn(suggestedKeyLabel(integration.name, now))}\`)`;
  const text = [
    `*3.${index + 1} ${escapeMrkdwn(name)}*${owner}`,
    line(created, `New private key created${label}`),
    line(
      updated,
      compact > 0 ? 'Updated with the new key' : `${escapeMrkdwn(name)} updated with the new key`,
    ),
  ].join('\n');
  const block: SectionBlock = section(text, { block_id: `integration_${integration.id}` });
  if (complete) return block;
  const created_ = { integration: integration.id, part: 'keyCreated' } as const;
  const updated_ = { integration: integration.id, part: 'updated' } as const;
  const options = [
    created
      ? menuOption(rotationId, created_, 'undo', 'New key: mark not done')
      : menuOption(rotationId, created_, 'done', 'New key created'),
    updated
      ? menuOption(rotationId, updated_, 'undo', 'Update: mark not done')
      : menuOption(rotationId, updated_, 'done', 'Integration updated'),
    menuOption(rotationId, created_, 'me', 'Assign to me'),
    menuOption(rotationId, created_, 'assign'),
    menuOption(rotationId, created_, 'remove'),
  ];
  block.accessory = { type: 'overflow', action_id: ACTION_ITEM_MENU, options };
  return block;
}

function deleteSection(rotationId: string, state: RotationChecklist, complete: boolean): SectionBlock {
  const step = state.steps.delete;
  const blockers = deleteBlockers(state);
  const last4 = state.key.masked.slice(-4);
  let text = `${itemHeading(4, STEP_TITLES.delete, step.done, step.owner)}\n`;
  if (step.done) text += `The key ending in \`${last4}\` was deleted.`;
  else if (blockers.length > 0) text += `Available once you ${blockers.join(' and ')}.`;
  else
    text += `In Klaviyo, Settings > API keys: hover over the key ending in *\`${last4}\`* and click Delete. Klaviyo does not ask for confirmation, so check the last four characters first.`;
  const block: SectionBlock = section(text, { block_id: 'item_s_delete' });
  if (complete) return block;
  if (!step.done && blockers.length === 0) {
    block.accessory = button(`I deleted …${last4}`, ACTION_CONFIRM_DELETE, rotationId, {
      style: 'danger',
      confirm: confirmDialog(
        `Deleted …${last4}?`,
        `Confirm that you deleted the private key ending in *${last4}* in Klaviyo (Settings > API keys). Klaviyo deletes without asking, so make sure it was this key.`,
        `Yes, …${last4} is deleted`,
      ),
    });
  } else {
    const options = [
      ...(step.done ? [menuOption(rotationId, { step: 'delete' }, 'undo')] : []),
      menuOption(rotationId, { step: 'delete' }, 'me'),
      menuOption(rotationId, { step: 'delete' }, 'assign'),
    ];
    block.accessory = { type: 'overflow', action_id: ACTION_ITEM_MENU, options };
  }
  return block;
}

function verifySection(rotationId: string, state: RotationChecklist, complete: boolean): SectionBlock {
  const step = state.steps.verify;
  const liveness = state.proof.liveness;
  const rescan = state.proof.rescan;
  const lines = [itemHeading(5, STEP_TITLES.verify, step.done, step.owner)];
  lines.push(
    liveness && liveness.status !== 'not_checked'
      ? `Checked with Klaviyo ${slackDate(liveness.at)}: ${LIVENESS_WORDS[liveness.status]}`
      : state.keyKept
        ? 'Not checked with Klaviyo yet'
        : 'The bot does not hold the key, so it cannot ask Klaviyo: confirm by hand once the site is clean',
  );
  lines.push(
    rescan
      ? `Site ${slackDate(rescan.at)}: ${rescan.clean ? 'clean' : 'the key is still there'}`
      : 'Site: not re-scanned yet',
  );
  const block: SectionBlock = section(lines.join('\n'), { block_id: 'item_s_verify' });
  if (complete || step.done) return block;
  if (state.steps.delete.done) {
    block.accessory = state.keyKept
      ? button('Check now', ACTION_CHECK_NOW, rotationId, { style: 'primary' })
      : button('Mark verified', ACTION_ITEM_MENU, itemMenuValue(rotationId, { step: 'verify' }, 'done'));
  }
  return block;
}

export function duration(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/** The summary posted when a rotation completes. */
export function rotationSummary(state: RotationChecklist): SlackMessage {
  const took = duration(state.startedAt, state.completedAt ?? state.startedAt);
  const people = new Set<string>();
  for (const step of Object.values(state.steps))
    if (step.done && step.done.by !== 'klaviyo-checkup') people.add(step.done.by);
  for (const integration of state.integrations) {
    for (const mark of [integration.keyCreated, integration.updated]) if (mark) people.add(mark.by);
  }
  const text = `:tada: *Rotation of \`${state.key.masked}\` complete* in ${took}. The exposed key is deleted, Klaviyo rejects it, and ${escapeMrkdwn(hostOf(state.target))} no longer shows it. ${plural(state.integrations.length, 'integration')} moved to new keys${people.size > 0 ? ` by ${[...people].map(userMention).join(', ')}` : ''}.`;
  return { text: `Rotation of ${state.key.masked} complete in ${took}`, blocks: [section(text)] };
}
