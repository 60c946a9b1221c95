/**
 * The exposed-key rotation checklist, following Klaviyo's "What to do if your private API key was
 * exposed". Pure state transitions: state and an action in, new state out. No I/O.
 */
import { CheckupError } from '../errors.js';
import { plural } from '../words.js';

export type StepId = 'record' | 'replace' | 'identify' | 'delete' | 'verify';
export type IntegrationPart = 'keyCreated' | 'updated';
export type Liveness = 'live' | 'live_limited' | 'revoked' | 'rate_limited' | 'unknown' | 'not_checked';

/** Who completed something and when (ISO time). */
export interface Mark {
  by: string;
  at: string;
}

export interface StepState {
  done?: Mark;
  owner?: string;
}

export interface Integration {
  id: string;
  name: string;
  owner?: string;
  addedBy: string;
  addedAt: string;
  keyCreated?: Mark;
  updated?: Mark;
}

export interface KeyLocation {
  url: string;
  page: string;
  context: string;
  /** What `url` is (`script`, `request`, …); absent in checklists started before it was kept. */
  resource?: string;
}

export interface RotationChecklist {
  version: 1;
  key: { masked: string; fingerprint: string; accountPublicKey?: string };
  target: string;
  locations: KeyLocation[];
  /** Occurrences seen in all (locations lists at most a few). */
  locationCount: number;
  /** Distinct pages the key was seen on when the rotation started. Absent in rotations started before it existed. */
  pagesSeen?: number;
  /** Whether the bot holds the key, so it can itself check with Klaviyo that the key is revoked. */
  keyKept: boolean;
  /** True when it is kept encrypted in the database (survives restarts), false when only in memory. */
  keyKeptDurably?: boolean;
  steps: Record<StepId, StepState>;
  integrations: Integration[];
  proof: {
    rescan?: { at: string; clean: boolean; scanId: string };
    liveness?: { at: string; status: Liveness };
  };
  startedAt: string;
  startedBy: string;
  completedAt?: string;
}

export type ItemRef = { step: StepId } | { integration: string; part: IntegrationPart };

export type RotationAction =
  | { type: 'mark'; item: ItemRef; done: boolean }
  | { type: 'assign'; item: ItemRef; owner: string | null }
  | { type: 'add_integration'; id: string; name: string; owner?: string }
  | { type: 'remove_integration'; id: string }
  /** `stillOn`: the pages where the re-scan still found the key. */
  | { type: 'rescan_result'; clean: boolean; scanId: string; stillOn?: string[] }
  | { type: 'liveness_result'; status: Liveness }
  /** The key was kept in memory only and the bot restarted: revocation is confirmed by hand. */
  | { type: 'key_unavailable' }
  /** A re-scan found the key again and the bot holds it now (durably: sealed in the database). */
  | { type: 'key_kept'; durably: boolean };

export type RotationErrorCode =
  | 'completed'
  | 'needs_rescan'
  | 'needs_verification'
  | 'delete_blocked'
  | 'key_not_created'
  | 'unknown_item'
  | 'bad_name'
  | 'duplicate_integration';

export interface Transition {
  state: RotationChecklist;
  /** False when the action changed nothing (a retry or a second click): nothing to save or announce. */
  changed: boolean;
  /** What happened, for the audit trail, in words; absent when nothing changed. */
  events: string[];
  /** True on the transition that completed the checklist. */
  completedNow: boolean;
}

export const BOT_ACTOR = 'klaviyo-checkup';

/** A name someone typed, safe inside a Slack mrkdwn sentence (no mentions or links can be smuggled in). */
function shownName(name: string): string {
  return name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
export const MAX_INTEGRATIONS = 20;
/** Places kept per key: shown a few at a time, and all re-fetched by the rotation's re-scans. */
const MAX_LOCATIONS = 100;

export const STEP_TITLES: Record<StepId, string> = {
  record: 'Record the exposed key',
  replace: "Replace the private key with the public key in the site's code",
  identify: 'Identify every integration, app and custom code that uses the key',
  delete: 'Delete the exposed key in Klaviyo',
  verify: 'Verify: the key is revoked and the site is clean',
};

export const STEP_ORDER: readonly StepId[] = ['record', 'replace', 'identify', 'delete', 'verify'];

export function startRotation(input: {
  key: RotationChecklist['key'];
  target: string;
  locations: KeyLocation[];
  locationCount: number;
  pagesSeen?: number;
  keyKept: boolean;
  keyKeptDurably?: boolean;
  startedBy: string;
  now: Date;
}): RotationChecklist {
  const at = input.now.toISOString();
  return {
    version: 1,
    key: input.key,
    target: input.target,
    locations: input.locations.slice(0, MAX_LOCATIONS),
    locationCount: input.locationCount,
    ...(input.pagesSeen === undefined ? {} : { pagesSeen: input.pagesSeen }),
    keyKept: input.keyKept,
    ...(input.keyKept && input.keyKeptDurably !== undefined ? { keyKeptDurably: input.keyKeptDurably } : {}),
    // The bot records the key (masked, fingerprint, and an encrypted copy when configured) at once.
    steps: { record: { done: { by: BOT_ACTOR, at } }, replace: {}, identify: {}, delete: {}, verify: {} },
    integrations: [],
    proof: {},
    startedAt: at,
    startedBy: input.startedBy,
  };
}

export function applyRotationAction(
  state: RotationChecklist,
  action: RotationAction,
  actor: string,
  now: Date,
): Transition {
  const wasComplete = state.completedAt !== undefined;
  const at = now.toISOString();
  const events: string[] = [];
  if (wasComplete) return afterCompletion(state, action, actor, at);
  let next = reduce(state, action, actor, at, events);
  next = autoVerify(next, at, events);
  let completedNow = false;
  if (!wasComplete && isComplete(next)) {
    next = { ...next, completedAt: at };
    completedNow = true;
    events.push('completed the rotation');
  }
  const changed = JSON.stringify(next) !== JSON.stringify(state);
  return { state: next, changed, events: changed ? events : [], completedNow };
}

/**
 * A completed rotation is a record: new proof (a later re-scan or liveness check) is kept, a repeated
 * click changes nothing, and anything else is refused.
 */
function afterCompletion(
  state: RotationChecklist,
  action: RotationAction,
  actor: string,
  at: string,
): Transition {
  const unchanged: Transition = { state, changed: false, events: [], completedNow: false };
  if (action.type === 'rescan_result' || action.type === 'liveness_result') {
    const proof =
      action.type === 'rescan_result'
        ? { ...state.proof, rescan: { at, clean: action.clean, scanId: action.scanId } }
        : { ...state.proof, liveness: { at, status: action.status } };
    const next = { ...state, proof };
    return JSON.stringify(next) === JSON.stringify(state)
      ? unchanged
      : { state: next, changed: true, events: [], completedNow: false };
  }
  try {
    const next = reduce(state, action, actor, at, []);
    if (JSON.stringify(next) === JSON.stringify(state)) return unchanged;
  } catch {
    // Whatever the reason, a completed rotation is not changed.
  }
  throw new CheckupError<RotationErrorCode>(
    'completed',
    'This rotation is complete; start a new scan to check again.',
  );
}

function reduce(
  state: RotationChecklist,
  action: RotationAction,
  actor: string,
  at: string,
  events: string[],
): RotationChecklist {
  switch (action.type) {
    case 'mark':
      return mark(state, action.item, action.done, actor, at, events);
    case 'assign': {
      const owner = action.owner ?? undefined;
      const label = itemLabel(state, action.item);
      events.push(
        owner === undefined
          ? `cleared the owner of "${shownName(label)}"`
          : `assigned "${shownName(label)}" to <@${owner}>`,
      );
      return updateItem(state, action.item, (item) => withOptional(item, 'owner', owner));
    }
    case 'add_integration': {
      const name = action.name.trim();
      if (name === '' || name.length > 80)
        throw new CheckupError<RotationErrorCode>(
          'bad_name',
          'Give the integration a name of 1–80 characters.',
        );
      if (state.integrations.some((integration) => integration.id === action.id)) return state;
      if (state.integrations.some((integration) => integration.name.toLowerCase() === name.toLowerCase())) {
        throw new CheckupError<RotationErrorCode>(
          'duplicate_integration',
          `"${shownName(name)}" is already on the list.`,
        );
      }
      if (state.integrations.length >= MAX_INTEGRATIONS) {
        throw new CheckupError<RotationErrorCode>(
          'bad_name',
          `A rotation tracks at most ${MAX_INTEGRATIONS} integrations.`,
        );
      }
      events.push(
        `added integration "${shownName(name)}"${action.owner ? ` (owner <@${action.owner}>)` : ''}`,
      );
      const integration: Integration = {
        id: action.id,
        name,
        addedBy: actor,
        addedAt: at,
        ...(action.owner ? { owner: action.owner } : {}),
      };
      // A new integration reopens the list and, if the key was already deleted, nothing else:
      // deleting is final, so the team is told rather than blocked.
      return { ...state, integrations: [...state.integrations, integration] };
    }
    case 'remove_integration': {
      const integration = state.integrations.find((candidate) => candidate.id === action.id);
      if (integration === undefined) return state;
      events.push(`removed integration "${shownName(integration.name)}"`);
      return { ...state, integrations: state.integrations.filter((candidate) => candidate.id !== action.id) };
    }
    case 'rescan_result': {
      const rescan = { at, clean: action.clean, scanId: action.scanId };
      let next: RotationChecklist = { ...state, proof: { ...state.proof, rescan } };
      events.push(`re-scanned the site: ${rescanWords(state, action.clean, action.stillOn ?? [])}`);
      if (action.clean && state.steps.replace.done === undefined)
        next = setStep(next, 'replace', { by: BOT_ACTOR, at });
      else if (!action.clean && state.steps.replace.done !== undefined)
        next = setStep(next, 'replace', undefined);
      return next;
    }
    case 'key_unavailable': {
      if (!state.keyKept) return state;
      events.push(
        'can no longer read the key (it was held in memory and the bot restarted); confirm the revocation by hand',
      );
      const { keyKeptDurably: _durably, ...rest } = state;
      return { ...rest, keyKept: false, proof: { ...state.proof, liveness: { at, status: 'not_checked' } } };
    }
    case 'key_kept': {
      if (state.keyKept) return state;
      events.push('read the key again from the site, so it can check with Klaviyo that the key is revoked');
      return { ...state, keyKept: true, keyKeptDurably: action.durably };
    }
    case 'liveness_result': {
      const previous = state.proof.liveness?.status;
      if (previous !== action.status) events.push(`checked with Klaviyo: ${LIVENESS_WORDS[action.status]}`);
      return { ...state, proof: { ...state.proof, liveness: { at, status: action.status } } };
    }
  }
}

const PAGES_NAMED = 3;

/**
 * What a re-scan showed, against where the key was seen: "the key is no longer found on the 23 pages
 * where it was seen", "the key is still found on 2 of 23 pages: /, /products/a".
 */
function rescanWords(state: RotationChecklist, clean: boolean, stillOn: readonly string[]): string {
  const seen = state.pagesSeen ?? new Set(state.locations.map((location) => location.page)).size;
  const pages = (count: number) => plural(count, 'page');
  if (clean)
    return seen === 1
      ? 'the key is no longer found on the page where it was seen'
      : `the key is no longer found on the ${pages(seen)} where it was seen`;
  if (stillOn.length === 0) return 'the key is still in its code';
  const named = stillOn.slice(0, PAGES_NAMED).map((url) => shownName(pathOf(url)));
  const more = stillOn.length - named.length;
  const list = `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return stillOn.length <= seen
    ? `the key is still found on ${stillOn.length} of ${pages(seen)}: ${list}`
    : `the key is still found on ${pages(stillOn.length)} (it was seen on ${seen}): ${list}`;
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function mark(
  state: RotationChecklist,
  item: ItemRef,
  done: boolean,
  actor: string,
  at: string,
  events: string[],
): RotationChecklist {
  const label = itemLabel(state, item);
  if ('step' in item) {
    const current = state.steps[item.step].done;
    if ((current !== undefined) === done) return state;
    if (item.step === 'record') return state;
    if (item.step === 'replace' && done) {
      throw new CheckupError<RotationErrorCode>(
        'needs_rescan',
        'A re-scan that no longer finds the key completes this step: press "Re-scan".',
      );
    }
    if (item.step === 'verify' && done) {
      if (state.keyKept) {
        throw new CheckupError<RotationErrorCode>(
          'needs_verification',
          'The bot completes this step when Klaviyo says the key is revoked and a re-scan is clean: press "Check now".',
        );
      }
      if (state.steps.delete.done === undefined || state.proof.rescan?.clean !== true) {
        throw new CheckupError<RotationErrorCode>(
          'needs_verification',
          'Verify after the key is deleted and a re-scan is clean.',
        );
      }
    }
    if (item.step === 'delete' && done) {
      const blockers = deleteBlockers(state);
      if (blockers.length > 0)
        throw new CheckupError<RotationErrorCode>(
          'delete_blocked',
          `Before deleting: ${blockers.join('; ')}.`,
        );
    }
    events.push(done ? `marked "${shownName(label)}" done` : `marked "${shownName(label)}" not done`);
    let next = setStep(state, item.step, done ? { by: actor, at } : undefined);
    // An undone deletion cannot have been verified.
    if (item.step === 'delete' && !done && next.steps.verify.done !== undefined)
      next = setStep(next, 'verify', undefined);
    return next;
  }
  const integration = findIntegration(state, item.integration);
  const current = integration[item.part];
  if ((current !== undefined) === done) return state;
  if (item.part === 'updated' && done && integration.keyCreated === undefined) {
    throw new CheckupError<RotationErrorCode>(
      'key_not_created',
      `Create the new key for "${shownName(integration.name)}" first.`,
    );
  }
  events.push(done ? `marked "${shownName(label)}" done` : `marked "${shownName(label)}" not done`);
  return updateItem(state, item, (entry) => {
    let updated = withOptional(entry, item.part, done ? { by: actor, at } : undefined);
    // Without a new key the integration cannot have been updated with it.
    if (item.part === 'keyCreated' && !done) updated = withOptional(updated, 'updated', undefined);
    return updated;
  });
}

/** What still stands before the exposed key may be deleted, in words. */
export function deleteBlockers(state: RotationChecklist): string[] {
  const blockers: string[] = [];
  if (state.steps.identify.done === undefined) blockers.push('confirm the list of integrations is complete');
  const pending = state.integrations.filter((integration) => integration.updated === undefined);
  if (pending.length > 0)
    blockers.push(
      `update ${pending.map((integration) => `"${shownName(integration.name)}"`).join(', ')} with a new key`,
    );
  return blockers;
}

/** The bot completes verification itself once Klaviyo says revoked and the last re-scan was clean. */
function autoVerify(state: RotationChecklist, at: string, events: string[]): RotationChecklist {
  const proven = state.proof.liveness?.status === 'revoked' && state.proof.rescan?.clean === true;
  if (proven && state.steps.verify.done === undefined && state.steps.delete.done !== undefined) {
    events.push('verified: Klaviyo rejects the key and the site no longer shows it');
    return setStep(state, 'verify', { by: BOT_ACTOR, at });
  }
  return state;
}

export function isComplete(state: RotationChecklist): boolean {
  return (
    STEP_ORDER.every((step) => state.steps[step].done !== undefined) &&
    state.integrations.every(
      (integration) => integration.keyCreated !== undefined && integration.updated !== undefined,
    )
  );
}

export function rotationProgress(state: RotationChecklist): { done: number; total: number } {
  let done = STEP_ORDER.filter((step) => state.steps[step].done !== undefined).length;
  let total = STEP_ORDER.length;
  for (const integration of state.integrations) {
    total += 2;
    if (integration.keyCreated) done++;
    if (integration.updated) done++;
  }
  return { done, total };
}

export function itemLabel(state: RotationChecklist, item: ItemRef): string {
  if ('step' in item) return STEP_TITLES[item.step];
  const integration = state.integrations.find((candidate) => candidate.id === item.integration);
  const name = integration?.name ?? 'integration';
  return item.part === 'keyCreated' ? `Create a new key for ${name}` : `Update ${name} with the new key`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A label for the new key that says what it is for and when it was made, as Klaviyo recommends. */
export function suggestedKeyLabel(integrationName: string, now: Date): string {
  const day = `${now.getUTCDate()} ${MONTHS[now.getUTCMonth()]} ${now.getUTCFullYear()}`;
  return `${integrationName} (rotated ${day})`.slice(0, 60);
}

/** What Klaviyo said about a key, completing "Checked with Klaviyo: …". */
export const LIVENESS_WORDS: Record<Liveness, string> = {
  live: 'the key still works',
  live_limited: 'the key still works, with limited access',
  revoked: 'revoked, Klaviyo rejects the key',
  rate_limited: 'no answer yet (Klaviyo asked the bot to slow down)',
  unknown: 'no clear answer (Klaviyo answered unexpectedly)',
  not_checked: 'not checked',
};

/** Items that can be owned and marked, in display order. */
export function allItems(state: RotationChecklist): ItemRef[] {
  const items: ItemRef[] = STEP_ORDER.slice(0, 3).map((step) => ({ step }));
  for (const integration of state.integrations) {
    items.push(
      { integration: integration.id, part: 'keyCreated' },
      { integration: integration.id, part: 'updated' },
    );
  }
  items.push({ step: 'delete' }, { step: 'verify' });
  return items;
}

export function itemOwner(state: RotationChecklist, item: ItemRef): string | undefined {
  if ('step' in item) return state.steps[item.step].owner;
  return findIntegration(state, item.integration).owner;
}

export function itemDone(state: RotationChecklist, item: ItemRef): Mark | undefined {
  if ('step' in item) return state.steps[item.step].done;
  return findIntegration(state, item.integration)[item.part];
}

function findIntegration(state: RotationChecklist, id: string): Integration {
  const integration = state.integrations.find((candidate) => candidate.id === id);
  if (integration === undefined)
    throw new CheckupError<RotationErrorCode>('unknown_item', 'That integration is no longer on the list.');
  return integration;
}

function setStep(state: RotationChecklist, step: StepId, done: Mark | undefined): RotationChecklist {
  return { ...state, steps: { ...state.steps, [step]: withOptional(state.steps[step], 'done', done) } };
}

/** Ownership of an integration's two parts is the integration's owner. */
function updateItem<T extends StepState | Integration>(
  state: RotationChecklist,
  item: ItemRef,
  change: (entry: T) => T,
): RotationChecklist {
  if ('step' in item) {
    return { ...state, steps: { ...state.steps, [item.step]: change(state.steps[item.step] as T) } };
  }
  findIntegration(state, item.integration);
  return {
    ...state,
    integrations: state.integrations.map((integration) =>
      integration.id === item.integration ? (change(integration as T) as Integration) : integration,
    ),
  };
}

function withOptional<T extends object, K extends string>(entry: T, key: K, value: unknown): T {
  const copy = { ...entry } as Record<string, unknown>;
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy as T;
}

/** Item references travel in button values: `s:replace` or `i:<integration id>:keyCreated`. */
export function encodeItem(item: ItemRef): string {
  return 'step' in item ? `s:${item.step}` : `i:${item.integration}:${item.part}`;
}

export function decodeItem(value: string): ItemRef | undefined {
  const [kind, first, second] = value.split(':');
  if (kind === 's' && STEP_ORDER.includes(first as StepId)) return { step: first as StepId };
  if (kind === 'i' && first && (second === 'keyCreated' || second === 'updated')) {
    return { integration: first, part: second };
  }
  return undefined;
}
