/**
 * A Block Kit validator for the fake Slack Web API: the limits Slack enforces, written as tables of rules
 * so that a reader can check them against Slack's reference. Every problem is a string
 * `<slack error>: <path>: <detail>`, e.g. `invalid_blocks: blocks[3].text.text: must be 1-3000 characters`.
 *
 * Stricter than Slack in one respect on purpose: unknown properties are rejected (Slack answers
 * "invalid additional property" for most of them), so typos in block JSON fail in tests.
 */

export type Surface = 'message' | 'modal' | 'home';

/** The Slack error codes a problem can start with. */
export type BlockKitError =
  | 'invalid_blocks'
  | 'invalid_blocks_format'
  | 'invalid_arguments'
  | 'msg_too_long'
  | 'msg_blocks_too_long'
  | 'no_text';

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  messageText: 40_000,
  /** chat.update answers msg_too_long past this many characters of `text`. */
  updateText: 4_000,
  blocksText: 12_000,
  /** Slack says 250 kB; counted as 250,000 bytes of JSON so the fake errs on the strict side. */
  homeViewBytes: 250_000,
  id: 255,
} as const;

type Obj = Record<string, unknown>;

interface Ctx {
  code: 'invalid_blocks' | 'invalid_arguments';
  surface: Surface;
  problems: string[];
  blockIds: Set<string>;
}

/** Checks one value found at `path`; pushes problems into the context. */
type Rule = (value: unknown, path: string, ctx: Ctx) => void;

interface Shape {
  fields: Record<string, Rule>;
  required?: readonly string[];
  /** Rules across fields (one of, initial option among options, ...). */
  checks?: ReadonlyArray<(obj: Obj, path: string, ctx: Ctx) => void>;
}

interface BlockRule extends Shape {
  /** Surfaces the block may appear in; all when absent. */
  surfaces?: readonly Surface[];
}

function fail(ctx: Ctx, path: string, detail: string): void {
  ctx.problems.push(`${ctx.code}: ${path}: ${detail}`);
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkShape(value: unknown, path: string, ctx: Ctx, shape: Shape): value is Obj {
  if (!isObject(value)) {
    fail(ctx, path, 'must be an object');
    return false;
  }
  for (const key of shape.required ?? []) {
    if (value[key] === undefined) fail(ctx, `${path}.${key}`, 'is required');
  }
  for (const [key, field] of Object.entries(value)) {
    const rule = shape.fields[key];
    if (rule === undefined) fail(ctx, `${path}.${key}`, 'is not a known property');
    else if (field !== undefined) rule(field, `${path}.${key}`, ctx);
  }
  for (const check of shape.checks ?? []) check(value, path, ctx);
  return true;
}

// ---- primitive rules -------------------------------------------------------------------------------

const str =
  (min: number, max: number): Rule =>
  (value, path, ctx) => {
    if (typeof value !== 'string') return fail(ctx, path, 'must be a string');
    if (value.length < min || value.length > max) fail(ctx, path, `must be ${min}-${max} characters`);
  };

const bool: Rule = (value, path, ctx) => {
  if (typeof value !== 'boolean') fail(ctx, path, 'must be a boolean');
};

const int =
  (min: number, max: number): Rule =>
  (value, path, ctx) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return fail(ctx, path, 'must be an integer');
    if (value < min || value > max) fail(ctx, path, `must be ${min}-${max}`);
  };

const oneOf =
  (values: readonly string[]): Rule =>
  (value, path, ctx) => {
    if (typeof value !== 'string' || !values.includes(value))
      fail(ctx, path, `must be one of ${values.join(', ')}`);
  };

const pattern =
  (regex: RegExp, what: string): Rule =>
  (value, path, ctx) => {
    if (typeof value !== 'string' || !regex.test(value)) fail(ctx, path, `must be ${what}`);
  };

const list =
  (item: Rule, min: number, max: number): Rule =>
  (value, path, ctx) => {
    if (!Array.isArray(value)) return fail(ctx, path, 'must be an array');
    if (value.length < min || value.length > max)
      fail(ctx, path, `must have ${min}-${max} items (got ${value.length})`);
    value.forEach((entry, i) => {
      item(entry, `${path}[${i}]`, ctx);
    });
  };

const object =
  (shape: Shape): Rule =>
  (value, path, ctx) => {
    checkShape(value, path, ctx, shape);
  };

const id = str(1, LIMITS.id);
const url = str(1, 3000);

type TextType = 'plain_text' | 'mrkdwn';

/** A text object: `text` non-empty and at most `max` characters; `emoji` only on plain_text. */
const text =
  (max: number, types: readonly TextType[] = ['plain_text', 'mrkdwn']): Rule =>
  (value, path, ctx) => {
    if (!isObject(value)) return fail(ctx, path, 'must be a text object');
    const type = value.type;
    checkShape(value, path, ctx, {
      fields: {
        type: oneOf(types),
        text: str(1, max),
        emoji:
          type === 'plain_text' ? bool : () => fail(ctx, `${path}.emoji`, 'is only allowed on plain_text'),
        verbatim: type === 'mrkdwn' ? bool : () => fail(ctx, `${path}.verbatim`, 'is only allowed on mrkdwn'),
      },
      required: ['type', 'text'],
    });
  };

const plain = (max: number): Rule => text(max, ['plain_text']);

const confirm = object({
  fields: {
    title: plain(100),
    text: text(300),
    confirm: plain(30),
    deny: plain(30),
    style: oneOf(['primary', 'danger']),
  },
  required: ['title', 'text', 'confirm', 'deny'],
});

const placeholder = plain(150);

const option = (textTypes: readonly TextType[], withUrl = false): Rule =>
  object({
    fields: {
      text: text(75, textTypes),
      value: str(1, 150),
      description: text(75, textTypes),
      ...(withUrl ? { url } : {}),
    },
    required: ['text', 'value'],
  });

const selectOption = option(['plain_text']);
const optionGroup = object({
  fields: { label: plain(75), options: list(selectOption, 1, 100) },
  required: ['label', 'options'],
});

const dispatchConfig = object({
  fields: { trigger_actions_on: list(oneOf(['on_enter_pressed', 'on_character_entered']), 1, 2) },
});

const conversationFilter = object({
  fields: {
    include: list(oneOf(['im', 'mpim', 'private', 'public']), 1, 4),
    exclude_external_shared_channels: bool,
    exclude_bot_users: bool,
  },
});

const slackFile = object({ fields: { url, id: str(1, 255) } });

// ---- cross-field checks ----------------------------------------------------------------------------

const exactlyOne =
  (...keys: string[]) =>
  (obj: Obj, path: string, ctx: Ctx): void => {
    const present = keys.filter((key) => obj[key] !== undefined);
    if (present.length !== 1) fail(ctx, path, `needs exactly one of ${keys.join(', ')}`);
  };

const atLeastOne =
  (...keys: string[]) =>
  (obj: Obj, path: string, ctx: Ctx): void => {
    if (keys.every((key) => obj[key] === undefined)) fail(ctx, path, `needs ${keys.join(' or ')}`);
  };

function allOptions(obj: Obj): Obj[] {
  const direct = Array.isArray(obj.options) ? obj.options : [];
  const grouped = Array.isArray(obj.option_groups)
    ? obj.option_groups.flatMap((g: unknown) => (isObject(g) && Array.isArray(g.options) ? g.options : []))
    : [];
  return [...direct, ...grouped].filter(isObject);
}

function sameOption(a: unknown, b: Obj): boolean {
  return (
    isObject(a) && a.value === b.value && isObject(a.text) && isObject(b.text) && a.text.text === b.text.text
  );
}

/** Slack rejects an initial option that is not exactly one of the options. */
function initialAmongOptions(obj: Obj, path: string, ctx: Ctx): void {
  const options = allOptions(obj);
  if (obj.initial_option !== undefined && !options.some((o) => sameOption(obj.initial_option, o)))
    fail(ctx, `${path}.initial_option`, 'must be one of the options');
  if (Array.isArray(obj.initial_options)) {
    obj.initial_options.forEach((initial: unknown, i: number) => {
      if (!options.some((o) => sameOption(initial, o)))
        fail(ctx, `${path}.initial_options[${i}]`, 'must be one of the options');
    });
  }
}

function textInputLengths(obj: Obj, path: string, ctx: Ctx): void {
  const max = typeof obj.max_length === 'number' ? obj.max_length : 3000;
  const min = typeof obj.min_length === 'number' ? obj.min_length : 0;
  if (min > max) fail(ctx, `${path}.min_length`, 'must not exceed max_length');
  if (typeof obj.initial_value === 'string' && obj.initial_value.length > max)
    fail(ctx, `${path}.initial_value`, `must be at most max_length (${max}) characters`);
}

function uniqueActionIds(obj: Obj, path: string, ctx: Ctx): void {
  if (!Array.isArray(obj.elements)) return;
  const seen = new Set<string>();
  obj.elements.forEach((element: unknown, i: number) => {
    if (!isObject(element) || typeof element.action_id !== 'string') return;
    if (seen.has(element.action_id))
      fail(
        ctx,
        `${path}.elements[${i}].action_id`,
        `duplicate action_id "${element.action_id}" in this block`,
      );
    seen.add(element.action_id);
  });
}

// ---- elements --------------------------------------------------------------------------------------

const interactive = { action_id: id, confirm, focus_on_load: bool, placeholder };

/** Element types and their properties. `type` is checked by the caller. */
const ELEMENTS: Record<string, Shape> = {
  button: {
    fields: {
      action_id: id,
      text: plain(75),
      value: str(0, 2000),
      url,
      style: oneOf(['primary', 'danger']),
      confirm,
      accessibility_label: str(1, 75),
    },
    required: ['text'],
  },
  static_select: {
    fields: {
      ...interactive,
      options: list(selectOption, 1, 100),
      option_groups: list(optionGroup, 1, 100),
      initial_option: selectOption,
    },
    checks: [exactlyOne('options', 'option_groups'), initialAmongOptions],
  },
  multi_static_select: {
    fields: {
      ...interactive,
      options: list(selectOption, 1, 100),
      option_groups: list(optionGroup, 1, 100),
      initial_options: list(selectOption, 0, 100),
      max_selected_items: int(1, 100),
    },
    checks: [exactlyOne('options', 'option_groups'), initialAmongOptions],
  },
  external_select: {
    fields: { ...interactive, initial_option: selectOption, min_query_length: int(0, 100) },
  },
  multi_external_select: {
    fields: {
      ...interactive,
      initial_options: list(selectOption, 0, 100),
      min_query_length: int(0, 100),
      max_selected_items: int(1, 100),
    },
  },
  users_select: { fields: { ...interactive, initial_user: id } },
  multi_users_select: {
    fields: { ...interactive, initial_users: list(id, 0, 100), max_selected_items: int(1, 100) },
  },
  conversations_select: {
    fields: {
      ...interactive,
      initial_conversation: id,
      default_to_current_conversation: bool,
      response_url_enabled: bool,
      filter: conversationFilter,
    },
  },
  multi_conversations_select: {
    fields: {
      ...interactive,
      initial_conversations: list(id, 0, 100),
      default_to_current_conversation: bool,
      max_selected_items: int(1, 100),
      filter: conversationFilter,
    },
  },
  channels_select: { fields: { ...interactive, initial_channel: id, response_url_enabled: bool } },
  multi_channels_select: {
    fields: { ...interactive, initial_channels: list(id, 0, 100), max_selected_items: int(1, 100) },
  },
  overflow: {
    fields: { action_id: id, options: list(option(['plain_text'], true), 2, 5), confirm },
    required: ['options'],
  },
  datepicker: { fields: { ...interactive, initial_date: pattern(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD') } },
  timepicker: {
    fields: {
      ...interactive,
      initial_time: pattern(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm'),
      timezone: str(1, 255),
    },
  },
  datetimepicker: {
    fields: { action_id: id, confirm, focus_on_load: bool, initial_date_time: int(0, 2 ** 53) },
  },
  checkboxes: {
    fields: {
      action_id: id,
      options: list(option(['plain_text', 'mrkdwn']), 1, 10),
      initial_options: list(option(['plain_text', 'mrkdwn']), 0, 10),
      confirm,
      focus_on_load: bool,
    },
    required: ['options'],
    checks: [initialAmongOptions],
  },
  radio_buttons: {
    fields: {
      action_id: id,
      options: list(option(['plain_text', 'mrkdwn']), 1, 10),
      initial_option: option(['plain_text', 'mrkdwn']),
      confirm,
      focus_on_load: bool,
    },
    required: ['options'],
    checks: [initialAmongOptions],
  },
  plain_text_input: {
    fields: {
      action_id: id,
      placeholder,
      initial_value: str(0, 3000),
      multiline: bool,
      min_length: int(0, 3000),
      max_length: int(1, 3000),
      dispatch_action_config: dispatchConfig,
      focus_on_load: bool,
    },
    checks: [textInputLengths],
  },
  email_text_input: {
    fields: {
      action_id: id,
      placeholder,
      initial_value: str(0, 3000),
      dispatch_action_config: dispatchConfig,
      focus_on_load: bool,
    },
  },
  url_text_input: {
    fields: {
      action_id: id,
      placeholder,
      initial_value: str(0, 3000),
      dispatch_action_config: dispatchConfig,
      focus_on_load: bool,
    },
  },
  number_input: {
    fields: {
      action_id: id,
      is_decimal_allowed: bool,
      placeholder,
      initial_value: str(0, 3000),
      min_value: str(1, 100),
      max_value: str(1, 100),
      dispatch_action_config: dispatchConfig,
      focus_on_load: bool,
    },
    required: ['is_decimal_allowed'],
  },
  rich_text_input: {
    fields: {
      action_id: id,
      placeholder,
      initial_value: (v, p, c) => richTextBlock(v, p, c),
      dispatch_action_config: dispatchConfig,
      focus_on_load: bool,
    },
  },
  file_input: {
    fields: { action_id: id, filetypes: list(str(1, 50), 0, 100), max_files: int(1, 10) },
  },
  image: {
    fields: { image_url: url, slack_file: slackFile, alt_text: str(1, 2000) },
    required: ['alt_text'],
    checks: [exactlyOne('image_url', 'slack_file')],
  },
};

const SELECTS = [
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
];
const MULTI_SELECTS = SELECTS.map((s) => `multi_${s}`);
const PICKERS = ['checkboxes', 'datepicker', 'radio_buttons', 'timepicker', ...SELECTS, ...MULTI_SELECTS];

/** Which element types each place accepts. */
const ALLOWED = {
  accessory: ['button', 'image', 'overflow', ...PICKERS],
  actions: ['button', 'overflow', 'datetimepicker', ...PICKERS],
  input: [
    'datetimepicker',
    'email_text_input',
    'file_input',
    'number_input',
    'plain_text_input',
    'rich_text_input',
    'url_text_input',
    ...PICKERS,
  ],
} as const;

const element =
  (allowed: readonly string[]): Rule =>
  (value, path, ctx) => {
    if (!isObject(value)) return fail(ctx, path, 'must be an element object');
    const type = value.type;
    if (typeof type !== 'string' || !allowed.includes(type))
      return fail(ctx, `${path}.type`, `unsupported element type ${JSON.stringify(type)} here`);
    const shape = ELEMENTS[type];
    if (shape) checkShape(value, path, ctx, { ...shape, fields: { type: str(1, 50), ...shape.fields } });
  };

/** Context elements: text objects (of any length up to 3000) or images. */
const contextElement: Rule = (value, path, ctx) => {
  if (isObject(value) && (value.type === 'plain_text' || value.type === 'mrkdwn'))
    text(3000)(value, path, ctx);
  else element(['image'])(value, path, ctx);
};

const RICH_TEXT_PARTS = ['rich_text_section', 'rich_text_list', 'rich_text_preformatted', 'rich_text_quote'];

/** Rich text is checked shallowly: known part types, each with an `elements` array. */
const richTextPart: Rule = (value, path, ctx) => {
  if (!isObject(value)) return fail(ctx, path, 'must be an object');
  if (typeof value.type !== 'string' || !RICH_TEXT_PARTS.includes(value.type))
    return fail(ctx, `${path}.type`, `must be one of ${RICH_TEXT_PARTS.join(', ')}`);
  if (!Array.isArray(value.elements)) fail(ctx, `${path}.elements`, 'must be an array');
};

function richTextBlock(value: unknown, path: string, ctx: Ctx): void {
  checkShape(value, path, ctx, {
    fields: { type: oneOf(['rich_text']), block_id: id, elements: list(richTextPart, 1, 100) },
    required: ['type', 'elements'],
  });
}

// ---- blocks ----------------------------------------------------------------------------------------

const BLOCKS: Record<string, BlockRule> = {
  section: {
    fields: {
      text: text(3000),
      fields: list(text(2000), 1, 10),
      accessory: element(ALLOWED.accessory),
      expand: bool,
    },
    checks: [atLeastOne('text', 'fields')],
  },
  header: { fields: { text: plain(150) }, required: ['text'] },
  divider: { fields: {} },
  context: { fields: { elements: list(contextElement, 1, 10) }, required: ['elements'] },
  actions: {
    fields: { elements: list(element(ALLOWED.actions), 1, 25) },
    required: ['elements'],
    checks: [uniqueActionIds],
  },
  input: {
    fields: {
      label: plain(2000),
      element: element(ALLOWED.input),
      hint: plain(2000),
      optional: bool,
      dispatch_action: bool,
    },
    required: ['label', 'element'],
    surfaces: ['modal'],
  },
  image: {
    fields: { image_url: url, slack_file: slackFile, alt_text: str(1, 2000), title: plain(2000) },
    required: ['alt_text'],
    checks: [exactlyOne('image_url', 'slack_file')],
  },
  rich_text: { fields: { elements: list(richTextPart, 1, 100) }, required: ['elements'] },
  file: { fields: { external_id: id, source: oneOf(['remote']) }, required: ['external_id', 'source'] },
};

function validateBlock(block: unknown, path: string, ctx: Ctx): void {
  if (!isObject(block)) {
    fail(ctx, path, 'must be a block object');
    return;
  }
  const rule = typeof block.type === 'string' ? BLOCKS[block.type] : undefined;
  if (rule === undefined) {
    fail(ctx, `${path}.type`, `unsupported block type ${JSON.stringify(block.type)}`);
    return;
  }
  if (rule.surfaces && !rule.surfaces.includes(ctx.surface)) {
    fail(ctx, path, `${block.type} blocks are not allowed in a ${ctx.surface}`);
    return;
  }
  checkShape(block, path, ctx, { ...rule, fields: { type: str(1, 50), block_id: id, ...rule.fields } });
  if (typeof block.block_id === 'string') {
    if (ctx.blockIds.has(block.block_id))
      fail(ctx, `${path}.block_id`, `duplicate block_id "${block.block_id}"`);
    ctx.blockIds.add(block.block_id);
  }
}

const blockList =
  (max: number): Rule =>
  (value, path, ctx) => {
    if (!Array.isArray(value)) return fail(ctx, path, 'must be an array');
    if (value.length > max) fail(ctx, path, `must have at most ${max} blocks (got ${value.length})`);
    value.forEach((block, i) => {
      validateBlock(block, `${path}[${i}]`, ctx);
    });
  };

/** Characters of text in blocks: every string property named `text`, at any depth. */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + blocksTextLength(v), 0);
  if (!isObject(value)) return 0;
  let sum = 0;
  for (const [key, field] of Object.entries(value)) {
    sum += key === 'text' && typeof field === 'string' ? field.length : blocksTextLength(field);
  }
  return sum;
}

// ---- public API ------------------------------------------------------------------------------------

export interface MessagePayload {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

export interface MessageOptions {
  /** Longest `text` accepted: 40000 for chat.postMessage, 4000 for chat.update. */
  maxTextLength?: number;
}

/** Problems with a message payload (chat.postMessage, chat.update, response_url); empty when valid. */
export function validateMessage(payload: MessagePayload, options: MessageOptions = {}): string[] {
  const problems: string[] = [];
  const { text: body, blocks, attachments } = payload;
  const maxText = options.maxTextLength ?? LIMITS.messageText;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;

  if (body !== undefined && typeof body !== 'string')
    problems.push('invalid_arguments: text: must be a string');
  if ((typeof body !== 'string' || body.length === 0) && !hasBlocks && !hasAttachments)
    problems.push('no_text: text: is required when there are no blocks');
  if (typeof body === 'string' && body.length > maxText)
    problems.push(`msg_too_long: text: must be at most ${maxText} characters (got ${body.length})`);

  if (blocks === undefined) return problems;
  if (!Array.isArray(blocks)) {
    problems.push('invalid_blocks_format: blocks: must be an array of blocks');
    return problems;
  }
  const ctx: Ctx = { code: 'invalid_blocks', surface: 'message', problems, blockIds: new Set() };
  blockList(LIMITS.messageBlocks)(blocks, 'blocks', ctx);
  const total = blocksTextLength(blocks);
  if (total > LIMITS.blocksText)
    problems.push(`msg_blocks_too_long: blocks: text totals ${total} characters, over ${LIMITS.blocksText}`);
  return problems;
}

const VIEW_COMMON = { private_metadata: str(0, 3000), callback_id: str(0, LIMITS.id), external_id: id };

const VIEWS: Record<'modal' | 'home', Shape> = {
  modal: {
    fields: {
      ...VIEW_COMMON,
      title: plain(24),
      submit: plain(24),
      close: plain(24),
      blocks: blockList(LIMITS.viewBlocks),
      clear_on_close: bool,
      notify_on_close: bool,
      submit_disabled: bool,
    },
    required: ['title', 'blocks'],
    checks: [
      (view, path, ctx) => {
        const hasInput =
          Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
        if (hasInput && view.submit === undefined)
          fail(ctx, `${path}.submit`, 'is required when there are input blocks');
      },
    ],
  },
  home: { fields: { ...VIEW_COMMON, blocks: blockList(LIMITS.viewBlocks) }, required: ['blocks'] },
};

/** Problems with a view (views.open/update/push for 'modal', views.publish for 'home'); empty when valid. */
export function validateView(view: unknown, surface: 'modal' | 'home'): string[] {
  const ctx: Ctx = { code: 'invalid_arguments', surface, problems: [], blockIds: new Set() };
  if (!isObject(view)) {
    fail(ctx, 'view', 'must be a view object');
    return ctx.problems;
  }
  if (view.type !== surface) {
    fail(ctx, 'view.type', `must be ${surface}`);
    return ctx.problems;
  }
  const shape = VIEWS[surface];
  checkShape(view, 'view', ctx, { ...shape, fields: { type: oneOf([surface]), ...shape.fields } });
  if (surface === 'home') {
    const bytes = Buffer.byteLength(JSON.stringify(view));
    if (bytes > LIMITS.homeViewBytes)
      fail(ctx, 'view', `is ${bytes} bytes of JSON, over ${LIMITS.homeViewBytes}`);
  }
  return ctx.problems;
}

/** The Slack error code a problem string starts with. */
export function problemCode(problem: string): string {
  return problem.slice(0, problem.indexOf(':'));
}
