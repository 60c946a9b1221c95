import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  allItems,
  applyRotationAction,
  BOT_ACTOR,
  decodeItem,
  deleteBlockers,
  encodeItem,
  type ItemRef,
  isComplete,
  itemDone,
  itemLabel,
  type KeyLocation,
  type Liveness,
  MAX_INTEGRATIONS,
  type RotationAction,
  type RotationChecklist,
  type RotationErrorCode,
  rotationProgress,
  STEP_ORDER,
  STEP_TITLES,
  type StepId,
  startRotation,
  suggestedKeyLabel,
  type Transition,
} from '../../src/checklists/rotation.js';
import { CheckupError } from '../../src/errors.js';

const T0 = new Date('2026-07-01T09:00:00.000Z');
const T1 = new Date('2026-07-01T10:00:00.000Z');
const T2 = new Date('2026-07-01T11:00:00.000Z');
const T3 = new Date('2026-07-02T08:15:00.000Z');

const STARTER = 'U0STARTER';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const FINGERPRINT = createHash('sha256').update('rotation test key').digest('hex');

function location(i: number): KeyLocation {
  return {
    url: `https://shop.example/page-${i}`,
    page: `https://shop.example/page-${i}`,
    context: 'company_id',
  };
}

function fresh(keyKept = true): RotationChecklist {
  return startRotation({
    key: { masked: 'pk_\u2026cdd9', fingerprint: FINGERPRINT, accountPublicKey: 'XvCJ7h' },
    target: 'https://shop.example/',
    locations: [location(1), location(2)],
    locationCount: 2,
    keyKept,
    startedBy: STARTER,
    now: T0,
  });
}

function apply(state: RotationChecklist, action: RotationAction, actor = ALICE, now = T1): Transition {
  return applyRotationAction(state, action, actor, now);
}

/** Applies actions in order, each at the given time, and returns the final state. */
function run(
  state: RotationChecklist,
  actions: RotationAction[],
  actor = ALICE,
  now = T1,
): RotationChecklist {
  return actions.reduce((current, action) => apply(current, action, actor, now).state, state);
}

const step = (id: StepId): ItemRef => ({ step: id });
const part = (integration: string, which: 'keyCreated' | 'updated'): ItemRef => ({
  integration,
  part: which,
});
const markDone = (item: ItemRef): RotationAction => ({ type: 'mark', item, done: true });
const markUndone = (item: ItemRef): RotationAction => ({ type: 'mark', item, done: false });
const add = (id: string, name: string, owner?: string): RotationAction => ({
  type: 'add_integration',
  id,
  name,
  ...(owner === undefined ? {} : { owner }),
});
const rescan = (clean: boolean, scanId = 'scan-2'): RotationAction => ({
  type: 'rescan_result',
  clean,
  scanId,
});
const liveness = (status: Liveness): RotationAction => ({ type: 'liveness_result', status });

/** One integration fully moved to a new key and the list confirmed: the key may be deleted. */
function readyToDelete(keyKept = true): RotationChecklist {
  return run(fresh(keyKept), [
    add('int1', 'Shopify sync', BOB),
    markDone(part('int1', 'keyCreated')),
    markDone(part('int1', 'updated')),
    markDone(step('identify')),
  ]);
}

function deleted(keyKept = true): RotationChecklist {
  return apply(readyToDelete(keyKept), markDone(step('delete'))).state;
}

function completed(): RotationChecklist {
  const state = run(deleted(true), [rescan(true), liveness('revoked')], BOT_ACTOR, T2);
  expect(state.completedAt).toBe(T2.toISOString());
  return state;
}

function expectRotationError(run: () => unknown, code: RotationErrorCode, message?: RegExp | string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CheckupError);
  expect((caught as CheckupError).code).toBe(code);
  if (message !== undefined) expect((caught as CheckupError).message).toMatch(message);
}

// Frozen all the way down: any mutation of the input throws (ESM modules are strict mode).
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('startRotation', () => {
  test('the bot records the key at once; every other step is open', () => {
    const state = fresh();
    expect(state.steps.record.done).toEqual({ by: BOT_ACTOR, at: T0.toISOString() });
    for (const id of ['replace', 'identify', 'delete', 'verify'] as const) {
      expect(state.steps[id]).toEqual({});
    }
    expect(state.integrations).toEqual([]);
    expect(state.proof).toEqual({});
    expect(state.startedAt).toBe(T0.toISOString());
    expect(state.startedBy).toBe(STARTER);
    expect(state.completedAt).toBeUndefined();
    expect(isComplete(state)).toBe(false);
    expect(rotationProgress(state)).toEqual({ done: 1, total: 5 });
  });

  test('keeps at most 100 locations but remembers how many there were', () => {
    const locations = Array.from({ length: 250 }, (_, i) => location(i));
    const state = startRotation({
      key: { masked: 'pk_\u2026cdd9', fingerprint: FINGERPRINT },
      target: 'https://shop.example/',
      locations,
      locationCount: 1000,
      keyKept: false,
      startedBy: STARTER,
      now: T0,
    });
    expect(state.locations).toEqual(locations.slice(0, 100));
    expect(state.locationCount).toBe(1000);
    expect(locations).toHaveLength(250);
  });

  test('marking the record step not done changes nothing', () => {
    const transition = apply(fresh(), markUndone(step('record')));
    expect(transition.changed).toBe(false);
    expect(transition.state.steps.record.done?.by).toBe(BOT_ACTOR);
  });
});

describe('replace: completed by a clean re-scan, never by hand', () => {
  test('marking replace done by hand is refused', () => {
    expectRotationError(() => apply(fresh(), markDone(step('replace'))), 'needs_rescan', /Re-scan/);
  });

  test('a clean re-scan completes replace, by the bot, and records the proof', () => {
    const transition = apply(fresh(), rescan(true, 'scan-9'), BOT_ACTOR, T2);
    expect(transition.changed).toBe(true);
    expect(transition.state.steps.replace.done).toEqual({ by: BOT_ACTOR, at: T2.toISOString() });
    expect(transition.state.proof.rescan).toEqual({ at: T2.toISOString(), clean: true, scanId: 'scan-9' });
    expect(transition.events).toEqual([
      're-scanned the site: the key is no longer found on the 2 pages where it was seen',
    ]);
  });

  test('a re-scan that still finds the key reopens replace', () => {
    const clean = apply(fresh(), rescan(true, 'scan-2'), BOT_ACTOR, T1).state;
    const transition = apply(clean, rescan(false, 'scan-3'), BOT_ACTOR, T2);
    expect(transition.state.steps.replace.done).toBeUndefined();
    expect(transition.state.proof.rescan).toEqual({ at: T2.toISOString(), clean: false, scanId: 'scan-3' });
    expect(transition.events).toEqual(['re-scanned the site: the key is still in its code']);
  });

  test.each<[string, string[], number | undefined, string]>([
    [
      'on some of the pages',
      ['https://shop.example/page-2'],
      undefined,
      'still found on 1 of 2 pages: /page-2',
    ],
    [
      'on more pages than before',
      ['https://shop.example/', 'https://shop.example/a', 'https://shop.example/b', 'https://shop.example/c'],
      undefined,
      'still found on 4 pages (it was seen on 2): /, /a, /b and 1 more',
    ],
    [
      'on 2 of 23 pages',
      ['https://shop.example/', 'https://shop.example/p?x=1'],
      23,
      'still found on 2 of 23 pages: /, /p?x=1',
    ],
  ])('a re-scan that still finds the key %s names where, in one line', (_name, stillOn, pagesSeen, words) => {
    const state = { ...fresh(), ...(pagesSeen === undefined ? {} : { pagesSeen }) };
    const transition = apply(
      state,
      { type: 'rescan_result', clean: false, scanId: 'scan-4', stillOn },
      BOT_ACTOR,
      T2,
    );
    expect(transition.events).toEqual([`re-scanned the site: the key is ${words}`]);
  });

  test('every clean re-scan is told, also when step 2 is already done', () => {
    const clean = apply({ ...fresh(), pagesSeen: 23 }, rescan(true, 'scan-2'), BOT_ACTOR, T1).state;
    expect(apply(clean, rescan(true, 'scan-5'), BOT_ACTOR, T2).events).toEqual([
      're-scanned the site: the key is no longer found on the 23 pages where it was seen',
    ]);
  });

  test('a re-scan that still finds the key, with replace open, records the proof only', () => {
    const transition = apply(fresh(), rescan(false, 'scan-3'), BOT_ACTOR, T2);
    expect(transition.changed).toBe(true);
    expect(transition.state.steps.replace).toEqual({});
    expect(transition.state.proof.rescan?.clean).toBe(false);
  });

  test('replace can be reopened by hand', () => {
    const clean = apply(fresh(), rescan(true), BOT_ACTOR, T1).state;
    const transition = apply(clean, markUndone(step('replace')), ALICE, T2);
    expect(transition.state.steps.replace.done).toBeUndefined();
    expect(transition.events).toEqual([`marked "${STEP_TITLES.replace}" not done`]);
  });
});

describe('integrations', () => {
  test('adding one trims the name and records who, when and the owner', () => {
    const transition = apply(fresh(), add('int1', '  Shopify sync  ', BOB), ALICE, T1);
    expect(transition.changed).toBe(true);
    expect(transition.state.integrations).toEqual([
      { id: 'int1', name: 'Shopify sync', owner: BOB, addedBy: ALICE, addedAt: T1.toISOString() },
    ]);
    expect(transition.events).toEqual([`added integration "Shopify sync" (owner <@${BOB}>)`]);
  });

  test('without an owner the integration has no owner property', () => {
    const state = apply(fresh(), add('int1', 'ERP export')).state;
    expect(state.integrations[0]).not.toHaveProperty('owner');
  });

  test.each([
    ['empty', ''],
    ['only spaces', '    '],
    ['81 characters', 'x'.repeat(81)],
  ])('a name that is %s is refused', (_what, name) => {
    expectRotationError(() => apply(fresh(), add('int1', name)), 'bad_name', /1–80/);
  });

  test('a name of exactly 80 characters is accepted', () => {
    const name = 'y'.repeat(80);
    expect(apply(fresh(), add('int1', name)).state.integrations[0]?.name).toBe(name);
  });

  test.each([
    ['the same spelling', 'Shopify sync'],
    ['another case', 'SHOPIFY SYNC'],
    ['surrounding spaces', '  shopify Sync '],
  ])('a duplicate name in %s is refused', (_what, name) => {
    const state = apply(fresh(), add('int1', 'Shopify sync')).state;
    expectRotationError(
      () => apply(state, add('int2', name)),
      'duplicate_integration',
      /already on the list/,
    );
  });

  test('adding the same id again (a retried submission) changes nothing', () => {
    const state = apply(fresh(), add('int1', 'Shopify sync')).state;
    const again = apply(state, add('int1', 'Shopify sync'), BOB, T2);
    expect(again).toEqual({ state, changed: false, events: [], completedNow: false });
    expect(apply(state, add('int1', 'Another name'), BOB, T2).changed).toBe(false);
  });

  test(`at most ${MAX_INTEGRATIONS} integrations`, () => {
    const full = run(
      fresh(),
      Array.from({ length: MAX_INTEGRATIONS }, (_, i) => add(`int${i}`, `Integration ${i}`)),
    );
    expect(full.integrations).toHaveLength(MAX_INTEGRATIONS);
    let caught: unknown;
    try {
      apply(full, add('one-more', 'One more'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CheckupError);
    expect((caught as Error).message).toContain(String(MAX_INTEGRATIONS));
    // A retry of one already on the list is still a no-op, not an error.
    expect(apply(full, add('int3', 'Integration 3')).changed).toBe(false);
  });

  test('removing one drops it; removing an unknown id changes nothing', () => {
    const state = run(fresh(), [add('int1', 'Shopify sync'), add('int2', 'ERP export')]);
    const removed = apply(state, { type: 'remove_integration', id: 'int1' });
    expect(removed.state.integrations.map((integration) => integration.id)).toEqual(['int2']);
    expect(removed.events).toEqual(['removed integration "Shopify sync"']);
    const unknown = apply(removed.state, { type: 'remove_integration', id: 'int1' });
    expect(unknown.changed).toBe(false);
    expect(unknown.events).toEqual([]);
  });

  test('an integration can be added after the key was deleted; the rotation then waits for it', () => {
    const state = deleted(true);
    const transition = apply(state, add('late', 'Late custom code'));
    expect(transition.changed).toBe(true);
    expect(transition.state.steps.delete.done).toBeDefined();
    expect(isComplete(transition.state)).toBe(false);
  });

  test('marking a part of an integration that is not on the list is refused', () => {
    expectRotationError(
      () => apply(fresh(), markDone(part('missing', 'keyCreated'))),
      'unknown_item',
      /no longer on the list/,
    );
  });
});

describe('integration parts: a new key before the update', () => {
  const withIntegration = () => apply(fresh(), add('int1', 'Shopify sync')).state;

  test('updated before keyCreated is refused, naming the integration', () => {
    expectRotationError(
      () => apply(withIntegration(), markDone(part('int1', 'updated'))),
      'key_not_created',
      /"Shopify sync"/,
    );
  });

  test('keyCreated then updated records each with who and when', () => {
    const created = apply(withIntegration(), markDone(part('int1', 'keyCreated')), ALICE, T1);
    expect(created.events).toEqual(['marked "Create a new key for Shopify sync" done']);
    const updated = apply(created.state, markDone(part('int1', 'updated')), BOB, T2);
    expect(updated.events).toEqual(['marked "Update Shopify sync with the new key" done']);
    expect(updated.state.integrations[0]).toMatchObject({
      keyCreated: { by: ALICE, at: T1.toISOString() },
      updated: { by: BOB, at: T2.toISOString() },
    });
  });

  test('undoing keyCreated also undoes updated', () => {
    const state = run(withIntegration(), [
      markDone(part('int1', 'keyCreated')),
      markDone(part('int1', 'updated')),
    ]);
    const undone = apply(state, markUndone(part('int1', 'keyCreated')));
    expect(undone.state.integrations[0]).not.toHaveProperty('keyCreated');
    expect(undone.state.integrations[0]).not.toHaveProperty('updated');
  });

  test('undoing updated keeps keyCreated', () => {
    const state = run(withIntegration(), [
      markDone(part('int1', 'keyCreated')),
      markDone(part('int1', 'updated')),
    ]);
    const undone = apply(state, markUndone(part('int1', 'updated')));
    expect(undone.state.integrations[0]?.keyCreated).toBeDefined();
    expect(undone.state.integrations[0]).not.toHaveProperty('updated');
  });
});

describe('delete: blocked until the list is confirmed and every integration updated', () => {
  test.each<[string, () => RotationChecklist, string[]]>([
    ['fresh', () => fresh(), ['confirm the list of integrations is complete']],
    [
      'integrations pending, list not confirmed',
      () => run(fresh(), [add('a', 'Shopify sync'), add('b', 'ERP export')]),
      ['confirm the list of integrations is complete', 'update "Shopify sync", "ERP export" with a new key'],
    ],
    [
      'list confirmed, one integration only has a new key',
      () =>
        run(fresh(), [
          add('a', 'Shopify sync'),
          add('b', 'ERP export'),
          markDone(part('a', 'keyCreated')),
          markDone(part('a', 'updated')),
          markDone(part('b', 'keyCreated')),
          markDone(step('identify')),
        ]),
      ['update "ERP export" with a new key'],
    ],
  ])('%s', (_name, build, blockers) => {
    const state = build();
    expect(deleteBlockers(state)).toEqual(blockers);
    expectRotationError(
      () => apply(state, markDone(step('delete'))),
      'delete_blocked',
      `Before deleting: ${blockers.join('; ')}.`,
    );
  });

  test('with the list confirmed and no integrations, delete is allowed', () => {
    const state = apply(fresh(), markDone(step('identify'))).state;
    expect(deleteBlockers(state)).toEqual([]);
    const transition = apply(state, markDone(step('delete')), BOB, T2);
    expect(transition.state.steps.delete.done).toEqual({ by: BOB, at: T2.toISOString() });
    expect(transition.events).toEqual([`marked "${STEP_TITLES.delete}" done`]);
  });

  test('removing the pending integration unblocks delete', () => {
    const state = run(fresh(), [add('a', 'Shopify sync'), markDone(step('identify'))]);
    expect(deleteBlockers(state)).toHaveLength(1);
    const removed = apply(state, { type: 'remove_integration', id: 'a' }).state;
    expect(deleteBlockers(removed)).toEqual([]);
    expect(apply(removed, markDone(step('delete'))).state.steps.delete.done).toBeDefined();
  });

  test('undoing delete undoes verify', () => {
    // Not kept: verify is marked by hand. A late integration keeps the rotation open.
    const verified = run(deleted(false), [
      rescan(true),
      add('late', 'Late custom code'),
      markDone(step('verify')),
    ]);
    expect(verified.steps.verify.done).toBeDefined();
    expect(verified.completedAt).toBeUndefined();
    const undone = apply(verified, markUndone(step('delete')));
    expect(undone.state.steps.delete.done).toBeUndefined();
    expect(undone.state.steps.verify.done).toBeUndefined();
    expect(undone.events).toEqual([`marked "${STEP_TITLES.delete}" not done`]);
  });
});

describe('verify by hand', () => {
  test('refused when the key is kept, even after deletion and a clean re-scan', () => {
    const state = run(deleted(true), [rescan(true), add('late', 'Late custom code')]);
    expectRotationError(() => apply(state, markDone(step('verify'))), 'needs_verification', /Check now/);
  });

  test.each<[string, () => RotationChecklist]>([
    ['fresh', () => fresh(false)],
    ['clean re-scan, key not deleted', () => apply(readyToDelete(false), rescan(true)).state],
    ['deleted, never re-scanned', () => deleted(false)],
    ['deleted, re-scan still finds the key', () => apply(deleted(false), rescan(false)).state],
    ['deleted, clean then dirty re-scan', () => run(deleted(false), [rescan(true), rescan(false)])],
  ])('refused when the key is not kept: %s', (_name, build) => {
    expectRotationError(
      () => apply(build(), markDone(step('verify'))),
      'needs_verification',
      'Verify after the key is deleted and a re-scan is clean.',
    );
  });

  test('allowed when not kept after deletion and a clean re-scan, and that completes the rotation', () => {
    const state = apply(deleted(false), rescan(true), BOT_ACTOR, T1).state;
    const transition = apply(state, markDone(step('verify')), BOB, T2);
    expect(transition.state.steps.verify.done).toEqual({ by: BOB, at: T2.toISOString() });
    expect(transition.completedNow).toBe(true);
    expect(transition.state.completedAt).toBe(T2.toISOString());
    expect(transition.events).toEqual([`marked "${STEP_TITLES.verify}" done`, 'completed the rotation']);
  });
});

describe('automatic verification', () => {
  test('revoked and a clean re-scan after deletion verify and complete, by the bot', () => {
    const afterRescan = apply(deleted(true), rescan(true), BOT_ACTOR, T1);
    expect(afterRescan.state.steps.verify.done).toBeUndefined();
    const transition = apply(afterRescan.state, liveness('revoked'), BOT_ACTOR, T2);
    expect(transition.state.steps.verify.done).toEqual({ by: BOT_ACTOR, at: T2.toISOString() });
    expect(transition.state.proof.liveness).toEqual({ at: T2.toISOString(), status: 'revoked' });
    expect(transition.completedNow).toBe(true);
    expect(transition.events).toEqual([
      'checked with Klaviyo: revoked, Klaviyo rejects the key',
      'verified: Klaviyo rejects the key and the site no longer shows it',
      'completed the rotation',
    ]);
  });

  test('the other order: revoked first, then the clean re-scan', () => {
    const revoked = apply(deleted(true), liveness('revoked'), BOT_ACTOR, T1).state;
    expect(revoked.steps.verify.done).toBeUndefined();
    const transition = apply(revoked, rescan(true), BOT_ACTOR, T2);
    expect(transition.state.steps.verify.done?.by).toBe(BOT_ACTOR);
    expect(transition.completedNow).toBe(true);
  });

  test('proof gathered before deletion verifies on the deletion itself', () => {
    const proven = run(readyToDelete(true), [rescan(true), liveness('revoked')], BOT_ACTOR);
    expect(proven.steps.verify.done).toBeUndefined();
    const transition = apply(proven, markDone(step('delete')), BOB, T2);
    expect(transition.state.steps.verify.done).toEqual({ by: BOT_ACTOR, at: T2.toISOString() });
    expect(transition.completedNow).toBe(true);
  });

  test.each<[string, Liveness, boolean]>([
    ['live', 'live', true],
    ['live_limited', 'live_limited', true],
    ['rate_limited', 'rate_limited', true],
    ['unknown', 'unknown', true],
    ['revoked but re-scan dirty', 'revoked', false],
  ])('no verification when %s', (_name, status, clean) => {
    const state = run(deleted(true), [rescan(clean), liveness(status)], BOT_ACTOR);
    expect(state.steps.verify.done).toBeUndefined();
    expect(state.completedAt).toBeUndefined();
  });
});

describe('completion', () => {
  test('completes exactly once, at the time of the completing transition', () => {
    const state = completed();
    expect(isComplete(state)).toBe(true);
    const later = apply(state, liveness('unknown'), BOT_ACTOR, T3);
    expect(later.completedNow).toBe(false);
    expect(later.state.completedAt).toBe(T2.toISOString());
    const again = apply(later.state, rescan(true, 'scan-5'), BOT_ACTOR, T3);
    expect(again.completedNow).toBe(false);
    expect(again.state.completedAt).toBe(T2.toISOString());
    expect(again.events).not.toContain('completed the rotation');
  });

  test.each<[string, RotationAction]>([
    ['mark a step not done', markUndone(step('delete'))],
    ['mark identify not done', markUndone(step('identify'))],
    ['mark an integration part not done', markUndone(part('int1', 'updated'))],
    ['assign an owner', { type: 'assign', item: step('verify'), owner: BOB }],
    ['add an integration', add('int9', 'Another one')],
    ['remove an integration', { type: 'remove_integration', id: 'int1' }],
  ])('after completion, refused: %s', (_name, action) => {
    expectRotationError(() => apply(completed(), action, ALICE, T3), 'completed', /complete/);
  });

  test.each<[string, RotationAction]>([
    ['a re-scan', rescan(true, 'scan-7')],
    ['a liveness check', liveness('revoked')],
  ])('after completion, %s is still recorded', (_name, action) => {
    const transition = apply(completed(), action, BOT_ACTOR, T3);
    expect(transition.completedNow).toBe(false);
    expect(transition.state.completedAt).toBe(T2.toISOString());
    expect(transition.changed).toBe(true);
  });
});

describe('assign', () => {
  test('sets and clears an owner, with events in words', () => {
    const assigned = apply(fresh(), { type: 'assign', item: step('identify'), owner: BOB });
    expect(assigned.state.steps.identify.owner).toBe(BOB);
    expect(assigned.events).toEqual([`assigned "${STEP_TITLES.identify}" to <@${BOB}>`]);
    const cleared = apply(assigned.state, { type: 'assign', item: step('identify'), owner: null });
    expect(cleared.state.steps.identify).toEqual({});
    expect(cleared.events).toEqual([`cleared the owner of "${STEP_TITLES.identify}"`]);
  });

  test('assigning an integration part sets the integration owner', () => {
    const state = apply(fresh(), add('int1', 'Shopify sync')).state;
    const assigned = apply(state, { type: 'assign', item: part('int1', 'keyCreated'), owner: BOB });
    expect(assigned.state.integrations[0]?.owner).toBe(BOB);
  });

  test('assigning a part of an unknown integration is refused', () => {
    expectRotationError(
      () => apply(fresh(), { type: 'assign', item: part('nope', 'updated'), owner: BOB }),
      'unknown_item',
    );
  });
});

/** A state and an action that applies to it, for the idempotency and immutability tables. */
const CASES: [string, () => RotationChecklist, RotationAction][] = [
  ['mark identify done', () => fresh(), markDone(step('identify'))],
  [
    'mark identify not done',
    () => apply(fresh(), markDone(step('identify'))).state,
    markUndone(step('identify')),
  ],
  ['mark record not done', () => fresh(), markUndone(step('record'))],
  ['add an integration', () => fresh(), add('int1', 'Shopify sync', BOB)],
  [
    'remove an integration',
    () => apply(fresh(), add('int1', 'Shopify sync')).state,
    { type: 'remove_integration', id: 'int1' },
  ],
  [
    'mark keyCreated done',
    () => apply(fresh(), add('int1', 'Shopify sync')).state,
    markDone(part('int1', 'keyCreated')),
  ],
  [
    'mark updated done',
    () => run(fresh(), [add('int1', 'Shopify sync'), markDone(part('int1', 'keyCreated'))]),
    markDone(part('int1', 'updated')),
  ],
  ['undo keyCreated (and updated)', () => readyToDelete(), markUndone(part('int1', 'keyCreated'))],
  ['assign an owner', () => fresh(), { type: 'assign', item: step('delete'), owner: BOB }],
  [
    'clear an owner',
    () => apply(fresh(), { type: 'assign', item: step('delete'), owner: BOB }).state,
    { type: 'assign', item: step('delete'), owner: null },
  ],
  ['mark delete done', () => readyToDelete(), markDone(step('delete'))],
  ['mark delete not done', () => deleted(), markUndone(step('delete'))],
  ['a clean re-scan', () => fresh(), rescan(true)],
  ['a dirty re-scan reopening replace', () => apply(fresh(), rescan(true)).state, rescan(false)],
  ['a liveness result', () => fresh(), liveness('live')],
  ['the completing liveness result', () => apply(deleted(), rescan(true)).state, liveness('revoked')],
  [
    'verify by hand (key not kept)',
    () => apply(deleted(false), rescan(true)).state,
    markDone(step('verify')),
  ],
  ['a re-scan after completion', () => completed(), rescan(true, 'scan-8')],
];

/** Cases whose first application completes the rotation. */
const COMPLETING = new Set(['the completing liveness result', 'verify by hand (key not kept)']);

describe('idempotency: the same action twice changes nothing the second time', () => {
  test.each(CASES.filter(([name]) => name !== 'verify by hand (key not kept)'))(
    '%s',
    (_name, build, action) => {
      const first = apply(build(), action, ALICE, T3);
      // Slack retries and double clicks carry the same action; the second arrives at the same or a later time.
      const second = apply(first.state, action, ALICE, T3);
      expect(second.changed).toBe(false);
      expect(second.events).toEqual([]);
      expect(second.completedNow).toBe(false);
      expect(second.state).toEqual(first.state);
    },
  );

  test.each(
    CASES.filter(
      ([name, , action]) =>
        action.type !== 'rescan_result' && action.type !== 'liveness_result' && !COMPLETING.has(name),
    ),
  )('%s, clicked again later', (_name, build, action) => {
    const first = apply(build(), action, ALICE, T2);
    const second = apply(first.state, action, BOB, T3);
    expect(second.changed).toBe(false);
    expect(second.events).toEqual([]);
    expect(second.state).toEqual(first.state);
  });

  // A double click on the button that completed the rotation must change nothing, like any repeated click.
  test('a second click on the action that completed the rotation changes nothing', () => {
    const ready = apply(deleted(false), rescan(true), BOT_ACTOR, T1).state;
    const first = apply(ready, markDone(step('verify')), BOB, T2);
    expect(first.completedNow).toBe(true);
    const second = apply(first.state, markDone(step('verify')), BOB, T2);
    expect(second).toEqual({ state: first.state, changed: false, events: [], completedNow: false });
  });

  test('a later liveness check with the same answer refreshes the time but announces nothing', () => {
    const first = apply(fresh(), liveness('live'), BOT_ACTOR, T1);
    const second = apply(first.state, liveness('live'), BOT_ACTOR, T2);
    expect(second.events).toEqual([]);
    expect(second.state.proof.liveness).toEqual({ at: T2.toISOString(), status: 'live' });
  });

  test('an action that changes something reports events; one that does not reports none', () => {
    const state = fresh();
    const transition = apply(state, markDone(step('identify')));
    expect(transition.changed).toBe(true);
    expect(transition.events.length).toBeGreaterThan(0);
  });
});

describe('immutability: the input state is never changed', () => {
  test.each(CASES)('%s', (_name, build, action) => {
    const state = build();
    const before = structuredClone(state);
    const transition = apply(state, action, ALICE, T3);
    expect(state).toEqual(before);
    if (transition.changed) expect(transition.state).not.toBe(state);
    else expect(transition.state).toEqual(state);
    // And a frozen input does not throw: nothing tries to write to it.
    expect(() => apply(deepFreeze(build()), action, ALICE, T3)).not.toThrow();
  });

  test('a refused action leaves the state unchanged', () => {
    const state = deepFreeze(fresh());
    const before = structuredClone(state);
    expect(() => apply(state, markDone(step('delete')))).toThrow(CheckupError);
    expect(state).toEqual(before);
  });
});

describe('encodeItem and decodeItem', () => {
  const items: ItemRef[] = [
    ...STEP_ORDER.map((id) => step(id)),
    part('AbC-12_xyz', 'keyCreated'),
    part('AbC-12_xyz', 'updated'),
  ];

  test.each(items.map((item) => [encodeItem(item), item] as const))('%s round-trips', (encoded, item) => {
    expect(decodeItem(encoded)).toEqual(item);
  });

  test.each([
    ['s:replace', { step: 'replace' }],
    ['i:int1:keyCreated', { integration: 'int1', part: 'keyCreated' }],
  ])('encodes %s', (encoded, item) => {
    expect(encodeItem(item as ItemRef)).toBe(encoded);
  });

  test.each([
    '',
    's',
    's:',
    's:bogus',
    's:Replace',
    'S:replace',
    'x:replace',
    'step:replace',
    'i',
    'i:',
    'i::keyCreated',
    'i:int1',
    'i:int1:',
    'i:int1:deleted',
    'i:int1:KEYCREATED',
    'replace',
    's:constructor',
    's:__proto__',
  ])('rejects %j', (junk) => {
    expect(decodeItem(junk)).toBeUndefined();
  });
});

describe('rotationProgress', () => {
  test.each<[string, () => RotationChecklist, { done: number; total: number }]>([
    ['fresh', () => fresh(), { done: 1, total: 5 }],
    ['two integrations added', () => run(fresh(), [add('a', 'A'), add('b', 'B')]), { done: 1, total: 9 }],
    [
      'one new key created',
      () => run(fresh(), [add('a', 'A'), add('b', 'B'), markDone(part('a', 'keyCreated'))]),
      { done: 2, total: 9 },
    ],
    ['ready to delete', () => readyToDelete(), { done: 4, total: 7 }],
    ['deleted', () => deleted(), { done: 5, total: 7 }],
    ['completed', () => completed(), { done: 7, total: 7 }],
  ])('%s', (_name, build, expected) => {
    expect(rotationProgress(build())).toEqual(expected);
  });
});

describe('labels and items', () => {
  test('items in display order: first three steps, integration parts, then delete and verify', () => {
    const state = run(fresh(), [add('a', 'A'), add('b', 'B')]);
    expect(allItems(state).map(encodeItem)).toEqual([
      's:record',
      's:replace',
      's:identify',
      'i:a:keyCreated',
      'i:a:updated',
      'i:b:keyCreated',
      'i:b:updated',
      's:delete',
      's:verify',
    ]);
  });

  test('labels name the integration', () => {
    const state = apply(fresh(), add('a', 'Shopify sync')).state;
    expect(itemLabel(state, part('a', 'keyCreated'))).toBe('Create a new key for Shopify sync');
    expect(itemLabel(state, part('a', 'updated'))).toBe('Update Shopify sync with the new key');
    expect(itemLabel(state, step('verify'))).toBe(STEP_TITLES.verify);
    expect(itemDone(state, step('record'))?.by).toBe(BOT_ACTOR);
  });

  test('the suggested key label says what it is for, within 60 characters', () => {
    expect(suggestedKeyLabel('Shopify sync', T1)).toBe('Shopify sync (rotated 1 Jul 2026)');
    expect(suggestedKeyLabel('z'.repeat(80), T1)).toHaveLength(60);
  });
});
