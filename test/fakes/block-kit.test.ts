import { describe, expect, it } from 'vitest';
import { blocksTextLength, validateMessage, validateView } from './block-kit.js';

const chars = (n: number, c = 'a') => c.repeat(n);
const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const divider = { type: 'divider' };
const button = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: plain(text),
  action_id: 'go',
  ...extra,
});
const options = (n: number, textLength = 8) =>
  Array.from({ length: n }, (_, i) => ({ text: plain(`${i}`.padEnd(textLength, 'x')), value: `v${i}` }));
const many = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));
const message = (...blocks: unknown[]) => validateMessage({ text: 'fallback', blocks });
const modal = (fields: Record<string, unknown> = {}, blocks: unknown[] = [section('hi')]) =>
  validateView({ type: 'modal', title: plain('Checkup'), blocks, ...fields }, 'modal');
const inputBlock = (element: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'input',
  label: plain('Roster'),
  element,
  ...extra,
});
const inModal = (element: unknown) => modal({ submit: plain('Save') }, [inputBlock(element)]);
const confirm = (sizes: { title?: number; text?: number; confirm?: number; deny?: number }) => ({
  title: plain(chars(sizes.title ?? 5)),
  text: plain(chars(sizes.text ?? 5)),
  confirm: plain(chars(sizes.confirm ?? 5)),
  deny: plain(chars(sizes.deny ?? 5)),
});

interface Limit {
  what: string;
  /** Problems for a payload built with size n. */
  check: (n: number) => string[];
  inside: number;
  past: number;
  problem: string;
}

const limits: Limit[] = [
  {
    what: 'blocks in a message',
    check: (n) => message(...many(n, () => divider)),
    inside: 50,
    past: 51,
    problem: 'invalid_blocks: blocks: must have at most 50 blocks (got 51)',
  },
  {
    what: 'section text',
    check: (n) => message(section(chars(n))),
    inside: 3000,
    past: 3001,
    problem: 'invalid_blocks: blocks[0].text.text: must be 1-3000 characters',
  },
  {
    what: 'section fields',
    check: (n) => message({ type: 'section', fields: many(n, (i) => mrkdwn(`f${i}`)) }),
    inside: 10,
    past: 11,
    problem: 'invalid_blocks: blocks[0].fields: must have 1-10 items (got 11)',
  },
  {
    what: 'section field text',
    check: (n) => message({ type: 'section', fields: [mrkdwn(chars(n))] }),
    inside: 2000,
    past: 2001,
    problem: 'invalid_blocks: blocks[0].fields[0].text: must be 1-2000 characters',
  },
  {
    what: 'button text',
    check: (n) => message({ type: 'actions', elements: [button(chars(n))] }),
    inside: 75,
    past: 76,
    problem: 'invalid_blocks: blocks[0].elements[0].text.text: must be 1-75 characters',
  },
  {
    what: 'button value',
    check: (n) => message({ type: 'actions', elements: [button('Go', { value: chars(n) })] }),
    inside: 2000,
    past: 2001,
    problem: 'invalid_blocks: blocks[0].elements[0].value: must be 0-2000 characters',
  },
  {
    what: 'button url',
    check: (n) =>
      message({ type: 'actions', elements: [button('Go', { url: `https://e.x/${chars(n - 12)}` })] }),
    inside: 3000,
    past: 3001,
    problem: 'invalid_blocks: blocks[0].elements[0].url: must be 1-3000 characters',
  },
  {
    what: 'action_id',
    check: (n) => message({ type: 'actions', elements: [button('Go', { action_id: chars(n) })] }),
    inside: 255,
    past: 256,
    problem: 'invalid_blocks: blocks[0].elements[0].action_id: must be 1-255 characters',
  },
  {
    what: 'block_id',
    check: (n) => message({ ...divider, block_id: chars(n) }),
    inside: 255,
    past: 256,
    problem: 'invalid_blocks: blocks[0].block_id: must be 1-255 characters',
  },
  {
    what: 'header text',
    check: (n) => message({ type: 'header', text: plain(chars(n)) }),
    inside: 150,
    past: 151,
    problem: 'invalid_blocks: blocks[0].text.text: must be 1-150 characters',
  },
  {
    what: 'elements in an actions block',
    check: (n) =>
      message({ type: 'actions', elements: many(n, (i) => button('Go', { action_id: `a${i}` })) }),
    inside: 25,
    past: 26,
    problem: 'invalid_blocks: blocks[0].elements: must have 1-25 items (got 26)',
  },
  {
    what: 'elements in a context block',
    check: (n) => message({ type: 'context', elements: many(n, (i) => mrkdwn(`c${i}`)) }),
    inside: 10,
    past: 11,
    problem: 'invalid_blocks: blocks[0].elements: must have 1-10 items (got 11)',
  },
  {
    what: 'options in a static select',
    check: (n) =>
      message({
        ...section('Pick'),
        accessory: { type: 'static_select', action_id: 's', options: options(n) },
      }),
    inside: 100,
    past: 101,
    problem: 'invalid_blocks: blocks[0].accessory.options: must have 1-100 items (got 101)',
  },
  {
    what: 'option text',
    check: (n) =>
      message({ ...section('Pick'), accessory: { type: 'static_select', options: options(2, n) } }),
    inside: 75,
    past: 76,
    problem: 'invalid_blocks: blocks[0].accessory.options[0].text.text: must be 1-75 characters',
  },
  {
    what: 'option value',
    check: (n) =>
      message({
        ...section('Pick'),
        accessory: { type: 'static_select', options: [{ text: plain('One'), value: chars(n) }] },
      }),
    inside: 150,
    past: 151,
    problem: 'invalid_blocks: blocks[0].accessory.options[0].value: must be 1-150 characters',
  },
  {
    what: 'overflow options (at most)',
    check: (n) => message({ ...section('More'), accessory: { type: 'overflow', options: options(n) } }),
    inside: 5,
    past: 6,
    problem: 'invalid_blocks: blocks[0].accessory.options: must have 2-5 items (got 6)',
  },
  {
    what: 'overflow options (at least)',
    check: (n) => message({ ...section('More'), accessory: { type: 'overflow', options: options(3 - n) } }),
    inside: 1,
    past: 2,
    problem: 'invalid_blocks: blocks[0].accessory.options: must have 2-5 items (got 1)',
  },
  {
    what: 'checkbox options',
    check: (n) => inModal({ type: 'checkboxes', action_id: 'c', options: options(n) }),
    inside: 10,
    past: 11,
    problem: 'invalid_arguments: view.blocks[0].element.options: must have 1-10 items (got 11)',
  },
  {
    what: 'confirm dialog title',
    check: (n) =>
      message({ type: 'actions', elements: [button('Rotate', { confirm: confirm({ title: n }) })] }),
    inside: 100,
    past: 101,
    problem: 'invalid_blocks: blocks[0].elements[0].confirm.title.text: must be 1-100 characters',
  },
  {
    what: 'confirm dialog text',
    check: (n) =>
      message({ type: 'actions', elements: [button('Rotate', { confirm: confirm({ text: n }) })] }),
    inside: 300,
    past: 301,
    problem: 'invalid_blocks: blocks[0].elements[0].confirm.text.text: must be 1-300 characters',
  },
  {
    what: 'confirm dialog confirm label',
    check: (n) =>
      message({ type: 'actions', elements: [button('Rotate', { confirm: confirm({ confirm: n }) })] }),
    inside: 30,
    past: 31,
    problem: 'invalid_blocks: blocks[0].elements[0].confirm.confirm.text: must be 1-30 characters',
  },
  {
    what: 'message text',
    check: (n) => validateMessage({ text: chars(n) }),
    inside: 40_000,
    past: 40_001,
    problem: 'msg_too_long: text: must be at most 40000 characters (got 40001)',
  },
  {
    what: 'message text in chat.update',
    check: (n) => validateMessage({ text: chars(n) }, { maxTextLength: 4000 }),
    inside: 4000,
    past: 4001,
    problem: 'msg_too_long: text: must be at most 4000 characters (got 4001)',
  },
  {
    what: 'text across blocks',
    check: (n) => message(...many(4, () => section(chars(2400))), section(chars(n - 9600))),
    inside: 12_000,
    past: 12_001,
    problem: 'msg_blocks_too_long: blocks: text totals 12001 characters, over 12000',
  },
  {
    what: 'modal title',
    check: (n) => validateView({ type: 'modal', title: plain(chars(n)), blocks: [] }, 'modal'),
    inside: 24,
    past: 25,
    problem: 'invalid_arguments: view.title.text: must be 1-24 characters',
  },
  {
    what: 'modal submit',
    check: (n) => modal({ submit: plain(chars(n)) }),
    inside: 24,
    past: 25,
    problem: 'invalid_arguments: view.submit.text: must be 1-24 characters',
  },
  {
    what: 'modal close',
    check: (n) => modal({ close: plain(chars(n)) }),
    inside: 24,
    past: 25,
    problem: 'invalid_arguments: view.close.text: must be 1-24 characters',
  },
  {
    what: 'private_metadata',
    check: (n) => modal({ private_metadata: chars(n) }),
    inside: 3000,
    past: 3001,
    problem: 'invalid_arguments: view.private_metadata: must be 0-3000 characters',
  },
  {
    what: 'callback_id',
    check: (n) => modal({ callback_id: chars(n) }),
    inside: 255,
    past: 256,
    problem: 'invalid_arguments: view.callback_id: must be 0-255 characters',
  },
  {
    what: 'blocks in a modal',
    check: (n) =>
      modal(
        {},
        many(n, () => divider),
      ),
    inside: 100,
    past: 101,
    problem: 'invalid_arguments: view.blocks: must have at most 100 blocks (got 101)',
  },
  {
    what: 'blocks in a Home tab',
    check: (n) => validateView({ type: 'home', blocks: many(n, () => divider) }, 'home'),
    inside: 100,
    past: 101,
    problem: 'invalid_arguments: view.blocks: must have at most 100 blocks (got 101)',
  },
  {
    what: 'Home tab JSON size',
    // 84 blocks of 2900-character sections, topped up to exactly n bytes of JSON.
    check: (n) => {
      const blocks: unknown[] = many(84, () => section(chars(2900)));
      const base = JSON.stringify({ type: 'home', blocks: [...blocks, section('')] }).length;
      blocks.push(section(chars(n - base)));
      return validateView({ type: 'home', blocks }, 'home');
    },
    inside: 250_000,
    past: 250_001,
    problem: 'invalid_arguments: view: is 250001 bytes of JSON, over 250000',
  },
  {
    what: 'plain_text_input max_length',
    check: (n) => inModal({ type: 'plain_text_input', action_id: 'roster', multiline: true, max_length: n }),
    inside: 3000,
    past: 3001,
    problem: 'invalid_arguments: view.blocks[0].element.max_length: must be 1-3000',
  },
  {
    what: 'plain_text_input initial_value against max_length',
    check: (n) =>
      inModal({ type: 'plain_text_input', action_id: 'roster', max_length: 100, initial_value: chars(n) }),
    inside: 100,
    past: 101,
    problem:
      'invalid_arguments: view.blocks[0].element.initial_value: must be at most max_length (100) characters',
  },
  {
    what: 'file_input max_files',
    check: (n) => inModal({ type: 'file_input', action_id: 'csv', filetypes: ['csv'], max_files: n }),
    inside: 10,
    past: 11,
    problem: 'invalid_arguments: view.blocks[0].element.max_files: must be 1-10',
  },
];

describe('Block Kit limits: just inside is valid, just past is invalid', () => {
  it.each(limits)('$what: $inside / $past', ({ check, inside, past, problem }) => {
    expect(check(inside)).toEqual([]);
    expect(check(past)).toContain(problem);
  });
});

interface Invalid {
  what: string;
  problems: () => string[];
  problem: string;
}

const invalid: Invalid[] = [
  {
    what: 'duplicate block_id',
    problems: () => message({ ...section('a'), block_id: 'b1' }, { ...divider, block_id: 'b1' }),
    problem: 'invalid_blocks: blocks[1].block_id: duplicate block_id "b1"',
  },
  {
    what: 'duplicate block_id in a view',
    problems: () =>
      modal({}, [
        { ...section('a'), block_id: 'b1' },
        { ...section('b'), block_id: 'b1' },
      ]),
    problem: 'invalid_arguments: view.blocks[1].block_id: duplicate block_id "b1"',
  },
  {
    what: 'duplicate action_id in one actions block',
    problems: () => message({ type: 'actions', elements: [button('A'), button('B')] }),
    problem: 'invalid_blocks: blocks[0].elements[1].action_id: duplicate action_id "go" in this block',
  },
  {
    what: 'empty section text',
    problems: () => message(section('')),
    problem: 'invalid_blocks: blocks[0].text.text: must be 1-3000 characters',
  },
  {
    what: 'empty button text',
    problems: () => message({ type: 'actions', elements: [button('')] }),
    problem: 'invalid_blocks: blocks[0].elements[0].text.text: must be 1-75 characters',
  },
  {
    what: 'section without text or fields',
    problems: () => message({ type: 'section', accessory: button('Go') }),
    problem: 'invalid_blocks: blocks[0]: needs text or fields',
  },
  {
    what: 'input block in a message',
    problems: () => message(inputBlock({ type: 'plain_text_input', action_id: 'x' })),
    problem: 'invalid_blocks: blocks[0]: input blocks are not allowed in a message',
  },
  {
    what: 'input block in a Home tab',
    problems: () =>
      validateView({ type: 'home', blocks: [inputBlock({ type: 'plain_text_input' })] }, 'home'),
    problem: 'invalid_arguments: view.blocks[0]: input blocks are not allowed in a home',
  },
  {
    what: 'unknown block type',
    problems: () => message({ type: 'table', rows: [] }),
    problem: 'invalid_blocks: blocks[0].type: unsupported block type "table"',
  },
  {
    what: 'block without a type',
    problems: () => message({ text: mrkdwn('hi') }),
    problem: 'invalid_blocks: blocks[0].type: unsupported block type undefined',
  },
  {
    what: 'unknown property (a typo)',
    problems: () => message({ ...section('a'), blockid: 'x' }),
    problem: 'invalid_blocks: blocks[0].blockid: is not a known property',
  },
  {
    what: 'unknown text type',
    problems: () => message({ type: 'section', text: { type: 'markdown', text: 'hi' } }),
    problem: 'invalid_blocks: blocks[0].text.type: must be one of plain_text, mrkdwn',
  },
  {
    what: 'emoji on mrkdwn',
    problems: () => message({ type: 'section', text: { ...mrkdwn('hi'), emoji: true } }),
    problem: 'invalid_blocks: blocks[0].text.emoji: is only allowed on plain_text',
  },
  {
    what: 'mrkdwn header',
    problems: () => message({ type: 'header', text: mrkdwn('*hi*') }),
    problem: 'invalid_blocks: blocks[0].text.type: must be one of plain_text',
  },
  {
    what: 'mrkdwn button text',
    problems: () => message({ type: 'actions', elements: [{ ...button('x'), text: mrkdwn('*Go*') }] }),
    problem: 'invalid_blocks: blocks[0].elements[0].text.type: must be one of plain_text',
  },
  {
    what: 'button style other than primary or danger',
    problems: () => message({ type: 'actions', elements: [button('Go', { style: 'secondary' })] }),
    problem: 'invalid_blocks: blocks[0].elements[0].style: must be one of primary, danger',
  },
  {
    what: 'confirm dialog without deny',
    problems: () =>
      message({
        type: 'actions',
        elements: [button('Go', { confirm: { title: plain('t'), text: plain('x'), confirm: plain('y') } })],
      }),
    problem: 'invalid_blocks: blocks[0].elements[0].confirm.deny: is required',
  },
  {
    what: 'initial_option that is not one of the options',
    problems: () =>
      message({
        ...section('Pick'),
        accessory: {
          type: 'static_select',
          options: options(2),
          initial_option: { text: plain('Other'), value: 'v9' },
        },
      }),
    problem: 'invalid_blocks: blocks[0].accessory.initial_option: must be one of the options',
  },
  {
    what: 'static_select with both options and option_groups',
    problems: () =>
      message({
        ...section('Pick'),
        accessory: {
          type: 'static_select',
          options: options(1),
          option_groups: [{ label: plain('G'), options: options(1) }],
        },
      }),
    problem: 'invalid_blocks: blocks[0].accessory: needs exactly one of options, option_groups',
  },
  {
    what: 'plain_text_input as a section accessory',
    problems: () => message({ ...section('x'), accessory: { type: 'plain_text_input' } }),
    problem: 'invalid_blocks: blocks[0].accessory.type: unsupported element type "plain_text_input" here',
  },
  {
    what: 'context block with a button',
    problems: () => message({ type: 'context', elements: [button('Go')] }),
    problem: 'invalid_blocks: blocks[0].elements[0].type: unsupported element type "button" here',
  },
  {
    what: 'empty actions block',
    problems: () => message({ type: 'actions', elements: [] }),
    problem: 'invalid_blocks: blocks[0].elements: must have 1-25 items (got 0)',
  },
  {
    what: 'no text and no blocks',
    problems: () => validateMessage({}),
    problem: 'no_text: text: is required when there are no blocks',
  },
  {
    what: 'empty text and empty blocks',
    problems: () => validateMessage({ text: '', blocks: [] }),
    problem: 'no_text: text: is required when there are no blocks',
  },
  {
    what: 'blocks that are not an array',
    problems: () => validateMessage({ text: 'x', blocks: '[{"type":"divider"}]' as unknown as unknown[] }),
    problem: 'invalid_blocks_format: blocks: must be an array of blocks',
  },
  {
    what: 'modal with an input block and no submit',
    problems: () => modal({}, [inputBlock({ type: 'plain_text_input', action_id: 'x' })]),
    problem: 'invalid_arguments: view.submit: is required when there are input blocks',
  },
  {
    what: 'modal without a title',
    problems: () => validateView({ type: 'modal', blocks: [] }, 'modal'),
    problem: 'invalid_arguments: view.title: is required',
  },
  {
    what: 'modal title in mrkdwn',
    problems: () => validateView({ type: 'modal', title: mrkdwn('Hi'), blocks: [] }, 'modal'),
    problem: 'invalid_arguments: view.title.type: must be one of plain_text',
  },
  {
    what: 'external_id over 255',
    problems: () => modal({ external_id: chars(256) }),
    problem: 'invalid_arguments: view.external_id: must be 1-255 characters',
  },
  {
    what: 'a Home view given to a modal',
    problems: () => validateView({ type: 'home', blocks: [] }, 'modal'),
    problem: 'invalid_arguments: view.type: must be modal',
  },
  {
    what: 'a view that is not an object',
    problems: () => validateView('{"type":"modal"}', 'modal'),
    problem: 'invalid_arguments: view: must be a view object',
  },
  {
    what: 'plain_text_input min_length above max_length',
    problems: () => inModal({ type: 'plain_text_input', min_length: 10, max_length: 5 }),
    problem: 'invalid_arguments: view.blocks[0].element.min_length: must not exceed max_length',
  },
  {
    what: 'number_input without is_decimal_allowed',
    problems: () => inModal({ type: 'number_input', action_id: 'n' }),
    problem: 'invalid_arguments: view.blocks[0].element.is_decimal_allowed: is required',
  },
  {
    what: 'datepicker with a malformed initial_date',
    problems: () => inModal({ type: 'datepicker', initial_date: '2024-1-5' }),
    problem: 'invalid_arguments: view.blocks[0].element.initial_date: must be YYYY-MM-DD',
  },
  {
    what: 'image block without alt_text',
    problems: () => message({ type: 'image', image_url: 'https://e.x/a.png' }),
    problem: 'invalid_blocks: blocks[0].alt_text: is required',
  },
  {
    what: 'rich_text with an unknown part',
    problems: () => message({ type: 'rich_text', elements: [{ type: 'rich_text_table', elements: [] }] }),
    problem:
      'invalid_blocks: blocks[0].elements[0].type: must be one of rich_text_section, rich_text_list, rich_text_preformatted, rich_text_quote',
  },
];

describe('Block Kit: invalid payloads are rejected with a located reason', () => {
  it.each(invalid)('$what', ({ problems, problem }) => {
    expect(problems()).toContain(problem);
  });
});

describe('Block Kit: realistic payloads are accepted', () => {
  it('accepts a scan report message using every message block type', () => {
    const problems = validateMessage({
      text: 'Scan of shop.example: 2 exposed keys',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Klaviyo checkup :mag:', emoji: true } },
        {
          type: 'section',
          block_id: 'summary',
          text: mrkdwn('*2* private keys found on `shop.example`'),
          fields: [mrkdwn('*Pages*\n42'), mrkdwn('*Scripts*\n17')],
          accessory: {
            type: 'overflow',
            action_id: 'more',
            options: [
              { text: plain('Rescan'), value: 'rescan' },
              { text: plain('Open report'), value: 'open', url: 'https://example.com/report' },
            ],
          },
        },
        divider,
        {
          type: 'context',
          elements: [
            { type: 'image', image_url: 'https://example.com/logo.png', alt_text: 'logo' },
            plain('Scanned 12:00 UTC'),
          ],
        },
        {
          type: 'actions',
          block_id: 'rotate',
          elements: [
            button('Start rotation', {
              action_id: 'rotate',
              style: 'primary',
              value: 'scan-1',
              confirm: { ...confirm({}), style: 'danger' },
            }),
            { type: 'users_select', action_id: 'owner', placeholder: plain('Owner') },
            { type: 'conversations_select', action_id: 'where', default_to_current_conversation: true },
            { type: 'channels_select', action_id: 'channel' },
            { type: 'multi_users_select', action_id: 'reviewers', max_selected_items: 3 },
            { type: 'datepicker', action_id: 'due', initial_date: '2025-01-31' },
            { type: 'timepicker', action_id: 'at', initial_time: '09:30' },
            {
              type: 'static_select',
              action_id: 'severity',
              options: options(3),
              initial_option: options(3)[1],
            },
          ],
        },
        {
          type: 'image',
          image_url: 'https://example.com/chart.png',
          alt_text: 'chart',
          title: plain('Trend'),
        },
        {
          type: 'rich_text',
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'pk_••••1234' }] }],
        },
        { type: 'file', external_id: 'report-1', source: 'remote' },
      ],
    });
    expect(problems).toEqual([]);
  });

  it('accepts a roster modal with every input element', () => {
    const problems = validateView(
      {
        type: 'modal',
        callback_id: 'roster',
        private_metadata: JSON.stringify({ channel: 'C1' }),
        title: plain('Access review'),
        submit: plain('Save'),
        close: plain('Cancel'),
        notify_on_close: true,
        blocks: [
          section('Paste the people with Klaviyo access, one per line.'),
          inputBlock(
            {
              type: 'plain_text_input',
              action_id: 'lines',
              multiline: true,
              max_length: 3000,
              initial_value: 'a',
            },
            { block_id: 'roster', hint: plain('Name, email, role') },
          ),
          inputBlock(
            { type: 'file_input', action_id: 'csv', filetypes: ['csv', 'txt'], max_files: 1 },
            { optional: true },
          ),
          inputBlock({ type: 'email_text_input', action_id: 'email' }),
          inputBlock({ type: 'url_text_input', action_id: 'url' }),
          inputBlock({ type: 'number_input', action_id: 'count', is_decimal_allowed: false, min_value: '1' }),
          inputBlock({
            type: 'checkboxes',
            action_id: 'checks',
            options: [
              { text: mrkdwn('*Rotated*'), value: 'rotated', description: mrkdwn('old key revoked') },
            ],
          }),
          inputBlock({
            type: 'radio_buttons',
            action_id: 'scope',
            options: options(2),
            initial_option: options(2)[0],
          }),
          inputBlock({ type: 'multi_static_select', action_id: 'tags', options: options(4) }),
          inputBlock({ type: 'users_select', action_id: 'owner' }),
        ],
      },
      'modal',
    );
    expect(problems).toEqual([]);
  });

  it('accepts a Home tab and a text-only message', () => {
    expect(validateView({ type: 'home', blocks: [section('Open reviews: 2')] }, 'home')).toEqual([]);
    expect(validateMessage({ text: 'hello' })).toEqual([]);
    expect(validateMessage({ attachments: [{ text: 'legacy' }] })).toEqual([]);
  });

  it('counts text across blocks, including rich text', () => {
    expect(
      blocksTextLength([
        section('abc'),
        {
          type: 'rich_text',
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'de' }] }],
        },
      ]),
    ).toBe(5);
  });
});
