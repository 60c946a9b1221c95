import type { Hop, Occurrence } from './findings.js';

/**
 * Occurrences of one key that share the same code: the same kind of resource, the same place in it and
 * the same text around the key. A theme layout that carries a key puts the same inline snippet on every
 * page; one group then stands for all of them, and a person fixes it in one place.
 */
export interface OccurrenceGroup {
  /** The first occurrence, for where in the resource (line, kind of place) and how it was reached. */
  first: Occurrence;
  /** The pages (for page content) or files (scripts, stylesheets…) that hold it, in report order. */
  places: string[];
  /** Occurrences in the group (a file can hold the same snippet twice). */
  count: number;
}

/** Groups one key's occurrences by the code they share, largest group first (ties: first seen). */
export function groupOccurrences(occurrences: readonly Occurrence[]): OccurrenceGroup[] {
  const groups = new Map<string, OccurrenceGroup & { seen: Set<string> }>();
  for (const occurrence of occurrences) {
    const key = [
      occurrence.resource,
      occurrence.location ?? '',
      occurrence.context,
      occurrence.encoding,
      occurrence.snippet,
    ].join('\u0000');
    let group = groups.get(key);
    if (group === undefined) {
      group = { first: occurrence, places: [], count: 0, seen: new Set() };
      groups.set(key, group);
    }
    group.count++;
    if (!group.seen.has(occurrence.url)) {
      group.seen.add(occurrence.url);
      group.places.push(occurrence.url);
    }
  }
  return [...groups.values()]
    .map(({ seen: _seen, ...group }) => group)
    .sort((a, b) => b.places.length - a.places.length);
}

/** Distinct pages a key was seen on (a script counts for the page that loaded it). */
export function pagesOf(occurrences: readonly { page: string }[]): string[] {
  return [...new Set(occurrences.map((occurrence) => occurrence.page))];
}

/**
 * How a file was loaded, from the page that loads it: "/ → loader.js (script tag) → chunk.js (dynamic
 * import)". The links followed to reach that page are left out: they do not help anyone find the code.
 * Undefined for page content, which nothing loads.
 */
export function loadChain(occurrence: Occurrence): Hop[] | undefined {
  const via = occurrence.via;
  if (via === undefined || occurrence.resource === 'page' || via.length < 2) return undefined;
  const from = via.findLastIndex((hop) => hop.url === occurrence.page);
  const chain = from === -1 ? via : via.slice(from);
  return chain.length < 2 ? undefined : chain;
}
