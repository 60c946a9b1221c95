import type { AnyBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  ACTION_HOME_LINK_PATTERN,
  ACTION_HOME_REVIEW,
  ACTION_HOME_SCAN,
  type HomeData,
  homeView,
} from '../../src/slack/views/home.js';
import { validateView } from '../fakes/block-kit.js';

const now = new Date('2025-05-14T09:30:00Z');
const VIEWER = 'U0VIEWER';

const empty = (extra: Partial<HomeData> = {}): HomeData => ({
  viewer: VIEWER,
  now,
  rotations: [],
  lastScans: [],
  canAct: true,
  ...extra,
});

const typical = (): HomeData =>
  empty({
    rotations: [
      {
        id: 'rot-1',
        masked: 'pk_…a1b2',
        target: 'https://shop.example.com/',
        done: 3,
        total: 9,
        startedAt: '2025-05-12T14:00:00Z',
        permalink: 'https://team.slack.com/archives/C1/p1715522400000100',
        ownedItems: ['Replace the key on the site', '4.1 Shopify: new key created'],
      },
      {
        id: 'rot-2',
        masked: 'pk_…ffff',
        target: 'https://blog.example.org/',
        done: 1,
        total: 6,
        startedAt: '2025-05-13T08:00:00Z',
        ownedItems: [],
      },
    ],
    review: {
      id: 'rev-1',
      period: '2025 Q2',
      decided: 12,
      users: 30,
      flagged: 2,
      followUpsOpen: 3,
      accountItemsOpen: 1,
      permalink: 'https://team.slack.com/archives/C2/p1715600000000200',
      ownedFollowUps: ['Remove former.employee@example.com'],
    },
    lastScans: [
      {
        target: 'https://shop.example.com/',
        status: 'done',
        finishedAt: '2025-05-12T13:58:00Z',
        keysFound: 2,
        pagesScanned: 40,
        permalink: 'https://team.slack.com/archives/C1/p1715522280000000',
      },
      {
        target: 'https://blog.example.org/',
        status: 'done',
        finishedAt: '2025-05-10T10:00:00Z',
        keysFound: 0,
        pagesScanned: 12,
      },
      {
        target: 'https://down.example.net/',
        status: 'failed',
        finishedAt: '2025-05-11T10:00:00Z',
        pagesScanned: 0,
      },
      { target: 'https://new.example.io/', status: 'running', pagesScanned: 5 },
    ],
    nextReviewDue: '2025-07-01T00:00:00Z',
    lastReviewCompletedAt: '2025-02-20T16:00:00Z',
  });

const huge = (): HomeData => {
  const longUrl = (i: number) => `https://site-${i}.example.com/${'p'.repeat(2000)}`;
  const labels = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => `${prefix} ${i} <b>&${'x'.repeat(300)}`);
  return empty({
    // 200 rotations, 2 items each on the first 150: 300 assigned items.
    rotations: Array.from({ length: 200 }, (_, i) => ({
      id: `rot-${i}`,
      masked: `pk_${'`*'.repeat(500)}${i}`,
      target: longUrl(i),
      done: i % 9,
      total: 9,
      startedAt: '2025-05-01T00:00:00Z',
      permalink: `https://team.slack.com/archives/C1/p${1715522400000000 + i}`,
      ownedItems: i < 150 ? labels(2, `rotation ${i} item`) : [],
    })),
    review: {
      id: 'rev-huge',
      period: 'P'.repeat(5000),
      decided: 1000,
      users: 5000,
      flagged: 400,
      followUpsOpen: 300,
      accountItemsOpen: 50,
      permalink: `https://team.slack.com/${'q'.repeat(4000)}`,
      ownedFollowUps: labels(100, 'follow-up'),
    },
    lastScans: Array.from({ length: 500 }, (_, i) => ({
      target: longUrl(i),
      status: 'done' as const,
      finishedAt: '2025-05-01T00:00:00Z',
      keysFound: i,
      pagesScanned: 1000,
      permalink: `https://team.slack.com/archives/C1/p${i}`,
    })),
    watchedSites: Array.from({ length: 500 }, (_, i) => ({ target: longUrl(i), addedBy: `U${i}<&>` })),
    nextRescan: '2025-05-05T06:00:00Z',
  });
};

/** Every string under a `text` property, at any depth: what the user reads. */
function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(texts);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) =>
    key === 'text' && typeof field === 'string' ? [field] : texts(field),
  );
}

const allText = (blocks: AnyBlock[]) => texts(blocks).join('\n');

function actionIds(blocks: AnyBlock[]): string[] {
  const ids: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const obj = value as Record<string, unknown>;
      if (typeof obj.action_id === 'string') ids.push(obj.action_id);
      Object.values(obj).forEach(visit);
    }
  };
  visit(blocks);
  return ids;
}

/** The text of the blocks between the header `title` and the next header. */
function sectionText(blocks: AnyBlock[], title: RegExp): string {
  const start = blocks.findIndex((b) => b.type === 'header' && title.test(texts(b)[0] ?? ''));
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = blocks.slice(start + 1);
  const end = rest.findIndex((b) => b.type === 'header');
  return allText(end === -1 ? rest : rest.slice(0, end));
}

const buttons = (blocks: AnyBlock[]) => JSON.stringify(blocks).match(/"type":"button"/g)?.length ?? 0;

describe('homeView', () => {
  it('renders a valid view for empty data', () => {
    const view = homeView(empty());
    expect(validateView(view, 'home')).toEqual([]);
    const text = allText(view.blocks);
    expect(text).toContain('Klaviyo Checkup');
    expect(text).toContain('Nothing assigned to you');
    expect(text).toContain('No open rotations');
    expect(text).toContain('No review yet');
    expect(text).toContain('No scans yet');
  });

  it('shows the sections in order on a typical day', () => {
    const view = homeView(typical());
    expect(validateView(view, 'home')).toEqual([]);
    const headers = view.blocks.filter((b) => b.type === 'header').map((b) => texts(b)[0]);
    expect(headers).toEqual([
      'Klaviyo Checkup',
      'Assigned to you',
      'Open rotations (2)',
      'Access review',
      'Last scan per site (4)',
      'Watched sites',
    ]);

    const rotations = sectionText(view.blocks, /^Open rotations/);
    expect(rotations).toContain('pk_…a1b2');
    expect(rotations).toContain('shop.example.com');
    expect(rotations).toContain('3 of 9');
    expect(rotations).toContain('<!date^');

    const review = sectionText(view.blocks, /^Access review/);
    expect(review).toContain('2025 Q2');
    expect(review).toContain('12 of 30');
    expect(review).toContain('2 flagged');

    const sites = sectionText(view.blocks, /^Last scan per site/);
    expect(sites).toContain('2 exposed keys');
    expect(sites).toContain('clean');
    expect(sites).toContain('failed');
    expect(sites).toContain('running');
    expect(sites).toContain('down.example.net');

    expect(allText(view.blocks)).toContain(`<@${VIEWER}>`);
  });

  it('links to the rotation, review and scan messages with url buttons', () => {
    const view = homeView(typical());
    const json = JSON.stringify(view);
    expect(json).toContain('"url":"https://team.slack.com/archives/C1/p1715522400000100"');
    expect(json).toContain('"url":"https://team.slack.com/archives/C2/p1715600000000200"');
    expect(json).toContain('"url":"https://team.slack.com/archives/C1/p1715522280000000"');
    const labels = texts(
      view.blocks.map((b) => ('accessory' in b ? b.accessory : undefined)).filter((a) => a !== undefined),
    );
    expect(labels).toEqual(expect.arrayContaining(['Open checklist', 'Open review', 'Open report']));
    const links = actionIds(view.blocks).filter((id) => ACTION_HOME_LINK_PATTERN.test(id));
    // rotation 1 (assigned + open rotations), review (assigned + review), one scan.
    expect(links).toHaveLength(5);
  });

  it('shows the last and next review dates when no review is open', () => {
    const data = typical();
    delete data.review;
    const review = sectionText(homeView(data).blocks, /^Access review/);
    expect(review).toContain('Last review completed');
    expect(review).toContain('Next review due');
    expect(review).toContain(`<!date^${Date.parse('2025-07-01T00:00:00Z') / 1000}^`);

    const overdue = sectionText(
      homeView({ ...data, nextReviewDue: '2025-04-01T00:00:00Z' }).blocks,
      /^Access/,
    );
    expect(overdue).toContain('was due');
  });

  it('lists the watched sites with who added them and the next re-scan', () => {
    const view = homeView({
      ...typical(),
      watchedSites: [
        { target: 'https://shop.example.com/', addedBy: 'U0ALICE' },
        { target: 'https://eu.shop.example.com/', addedBy: 'configuration' },
      ],
      nextRescan: '2025-05-05T06:00:00Z',
    });
    expect(validateView(view, 'home')).toEqual([]);
    const watched = sectionText(view.blocks, /^Watched sites/);
    expect(watched).toContain('shop.example.com* · added by <@U0ALICE>');
    expect(watched).toContain('eu.shop.example.com* · added by the bot’s settings');
    expect(watched).toContain(`Next re-scan <!date^${Date.parse('2025-05-05T06:00:00Z') / 1000}^`);
  });

  it('stays inside the Home tab limits on a huge day', () => {
    const view = homeView(huge());
    expect(validateView(view, 'home')).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThanOrEqual(250_000);

    const text = allText(view.blocks);
    expect(text).toContain('…and 190 more open rotations');
    expect(text).toContain('…and 490 more sites');
    expect(text).toContain(`…and ${300 + 100 - 15} more assigned to you`);
    // Labels are escaped, so a label cannot inject links or mentions.
    expect(text).not.toContain('<b>');
    expect(text).toContain('&lt;b&gt;');
    // A permalink past Slack's 3000-character url limit gets no button rather than an invalid one.
    expect(JSON.stringify(view)).not.toContain('q'.repeat(3001));
  });

  it('shows a valid view for bad dates and blank strings', () => {
    const view = homeView(
      empty({
        now: new Date('not a date'),
        viewer: '',
        rotations: [
          { id: '', masked: '', target: '', done: 0, total: 0, startedAt: 'yesterday', ownedItems: [' '] },
        ],
        lastScans: [{ target: '', status: 'done', finishedAt: '', pagesScanned: 0 }],
        nextReviewDue: 'soon',
      }),
    );
    expect(validateView(view, 'home')).toEqual([]);
    expect(allText(view.blocks)).not.toContain('NaN');
    expect(allText(view.blocks)).toContain('yesterday');
  });

  it('hides the start buttons when the viewer cannot act', () => {
    const allowed = homeView(typical());
    expect(actionIds(allowed.blocks)).toEqual(expect.arrayContaining([ACTION_HOME_SCAN, ACTION_HOME_REVIEW]));
    expect(allText(allowed.blocks)).toContain('Scan a site');

    const view = homeView({ ...typical(), canAct: false });
    expect(validateView(view, 'home')).toEqual([]);
    const ids = actionIds(view.blocks);
    expect(ids).not.toContain(ACTION_HOME_SCAN);
    expect(ids).not.toContain(ACTION_HOME_REVIEW);
    expect(allText(view.blocks)).not.toContain('Scan a site');
    expect(allText(view.blocks)).toContain('Only the people configured');
    // Links stay: reading is fine for everyone.
    expect(buttons(view.blocks)).toBe(buttons(allowed.blocks) - 2);
  });

  it("lists the viewer's own items and not others'", () => {
    const assigned = sectionText(homeView(typical()).blocks, /^Assigned to you/);
    expect(assigned).toContain('Replace the key on the site');
    expect(assigned).toContain('4.1 Shopify: new key created');
    expect(assigned).toContain('Remove former.employee@example.com');
    expect(assigned).toContain('pk_…a1b2');
    // rot-2 has nothing owned by the viewer, so it is not in the list.
    expect(assigned).not.toContain('pk_…ffff');
    expect(assigned).not.toContain('Nothing assigned to you');

    const none = homeView({
      ...typical(),
      rotations: typical().rotations.map((r) => ({ ...r, ownedItems: [] })),
      review: { ...(typical().review as NonNullable<HomeData['review']>), ownedFollowUps: [] },
    });
    expect(sectionText(none.blocks, /^Assigned to you/)).toContain('Nothing assigned to you');
  });

  it('gives every interactive element its own action_id and every block its own block_id', () => {
    for (const data of [typical(), huge()]) {
      const blocks = homeView(data).blocks;
      const ids = actionIds(blocks);
      expect(new Set(ids).size).toBe(ids.length);
      const blockIds = blocks.map((b) => b.block_id).filter((id) => id !== undefined);
      expect(new Set(blockIds).size).toBe(blockIds.length);
    }
  });
});
