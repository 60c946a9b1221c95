import type { LocatedKeyHit } from './analysis.js';
import { scanText } from './detector.js';
import { type HtmlLocation, locateInHtml } from './html-location.js';
import { fingerprintKey, maskKey } from './redact.js';
import type { Confidence, KeyContext, KeyEncoding, KeyForm } from './types.js';

/**
 * What kind of resource a key was found in. The last four are seen only by the render pass: a request
 * the page sent, a response it received, a script it ran (inline, injected or evaluated), and the page
 * as it stood after running (its DOM and storage).
 */
export type ResourceKind =
  | 'page'
  | 'script'
  | 'tag-manager'
  | 'stylesheet'
  | 'manifest'
  | 'sitemap'
  | 'robots'
  | 'request'
  | 'response'
  | 'runtime-script'
  | 'rendered-page';

/** One step of how the scan reached a resource: the resource, and what named it. */
export interface Hop {
  url: string;
  /** e.g. `start`, `link`, `sitemap`, `script tag`, `import`, `webpack chunk map`, `@import`. */
  reason: string;
}

export interface Occurrence {
  /** The page or script where the key appears. */
  url: string;
  /** The page that loaded it (the page itself for page content). */
  page: string;
  resource: ResourceKind;
  /** For pages: which part of the HTML. */
  location?: HtmlLocation;
  line: number;
  column: number;
  context: KeyContext;
  encoding: KeyEncoding;
  confidence: Confidence;
  /** Text around the key with every private key masked. */
  snippet: string;
  /**
   * How the scan reached `url`, from the page that starts the chain to `url` itself (page → loader →
   * chunk). Long chains keep their first and last hops; `hopsOmitted` counts the ones between.
   * Absent in reports stored before it existed.
   */
  via?: Hop[];
  hopsOmitted?: number;
  /** For a request the page sent: its method (`url` is where it went). */
  method?: string;
}

export interface Finding {
  type: 'private_key';
  masked: string;
  fingerprint: string;
  form: KeyForm;
  confidence: Confidence;
  /** For account-scoped keys: the account's public key, read from the key itself. */
  accountPublicKey?: string;
  occurrences: Occurrence[];
  /** Occurrences seen in all, when more than were kept. */
  occurrenceCount: number;
}

/**
 * A key-shaped string that looks made up (documentation examples, `pk_xxxx…`, counting runs): shown
 * with low confidence, never counted as an exposed key.
 */
export interface Placeholder {
  masked: string;
  fingerprint: string;
  confidence: 'low';
  reason: string;
  occurrences: Occurrence[];
  occurrenceCount: number;
}

export interface PublicKeyUse {
  key: string;
  /** Pages and scripts that use it (at most 20 listed). */
  urls: string[];
  count: number;
}

/** Holds full keys out of every serialisable structure: JSON.stringify of a KeyRing is `{}`. */
export class KeyRing {
  readonly #keys = new Map<string, string>();

  add(fingerprint: string, key: string): void {
    this.#keys.set(fingerprint, key);
  }

  /** The full key, for `--reveal` and the liveness check only. */
  reveal(fingerprint: string): string | undefined {
    return this.#keys.get(fingerprint);
  }

  get size(): number {
    return this.#keys.size;
  }

  toJSON(): Record<string, never> {
    return {};
  }
}

const MAX_OCCURRENCES_KEPT = 1_000;
/**
 * Occurrences kept over all keys: each carries its chain of up to ten hops, and a site of 200 keys
 * seen 1,000 times each made a report of over 200 MB. Every key keeps its first; all are counted.
 */
const MAX_OCCURRENCES_TOTAL = 10_000;
const MAX_PLACEHOLDERS = 50;
const MAX_PLACEHOLDER_OCCURRENCES = 20;
/** Distinct keys tracked in detail; a site showing more is reported with a count (a hostile page can hold thousands). */
export const MAX_DISTINCT_KEYS = 200;
const MAX_PUBLIC_KEY_URLS = 20;

/** Where a resource's hits were seen, as the occurrences will say. */
export interface ResourcePlace {
  url: string;
  page: string;
  resource: ResourceKind;
  html: boolean;
  /** For every hit; otherwise each hit's own, for HTML. */
  location?: HtmlLocation;
  via: Hop[];
  hopsOmitted?: number;
  /** For a request the page sent (the render pass): its method. */
  method?: string;
}

/** Runs the detector over each resource and folds the hits into one finding per distinct key. */
export class FindingsCollector {
  readonly keyring = new KeyRing();
  readonly #findings = new Map<string, Finding>();
  /**
   * The fingerprint of each key found so far, by the key: a key on every page was hashed again for
   * each of its occurrences. Only keys kept as findings are held, as the keyring holds them anyway.
   */
  readonly #fingerprints = new Map<string, string>();
  readonly #placeholders = new Map<string, Placeholder>();
  readonly #publicKeys = new Map<string, PublicKeyUse>();
  #occurrencesKept = 0;
  /** Distinct keys seen past MAX_DISTINCT_KEYS, counted by fingerprint only. */
  readonly #beyondLimit = new Set<string>();

  /** Scans one resource's text; returns how many private-key occurrences it held. */
  scan(text: string, where: ResourcePlace): number {
    const { privateKeys, placeholders, publicKeys } = scanText(text, { html: where.html });
    const located = (hit: LocatedKeyHit) =>
      where.html && where.location === undefined ? locateInHtml(text, hit.offset) : undefined;
    return this.#fold(privateKeys, placeholders, publicKeys, where, located);
  }

  /** Folds in the hits of a resource analysed elsewhere (analysis.ts), located already. */
  record(
    privateKeys: LocatedKeyHit[],
    placeholders: LocatedKeyHit[],
    publicKeys: ReadonlyArray<{ key: string }>,
    where: ResourcePlace,
  ): number {
    return this.#fold(privateKeys, placeholders, publicKeys, where, (hit) => hit.location);
  }

  #fold(
    hits: LocatedKeyHit[],
    placeholders: LocatedKeyHit[],
    publicKeys: ReadonlyArray<{ key: string }>,
    where: ResourcePlace,
    locationOf: (hit: LocatedKeyHit) => HtmlLocation | undefined,
  ): number {
    const occurrence = (hit: LocatedKeyHit): Occurrence => {
      const location = where.location ?? locationOf(hit);
      return {
        url: where.url,
        page: where.page,
        resource: where.resource,
        ...(location === undefined ? {} : { location }),
        line: hit.line,
        column: hit.column,
        context: hit.context,
        encoding: hit.encoding,
        confidence: hit.confidence,
        snippet: hit.snippet,
        via: where.via,
        ...(where.hopsOmitted ? { hopsOmitted: where.hopsOmitted } : {}),
        ...(where.method === undefined ? {} : { method: where.method }),
      };
    };
    for (const hit of placeholders) this.#addPlaceholder(hit, occurrence);
    let counted = 0;
    for (const hit of hits) {
      const fingerprint = this.#fingerprints.get(hit.key) ?? fingerprintKey(hit.key);
      let finding = this.#findings.get(fingerprint);
      if (finding === undefined && this.#findings.size >= MAX_DISTINCT_KEYS) {
        if (this.#beyondLimit.size < 100_000) this.#beyondLimit.add(fingerprint);
        continue;
      }
      counted++;
      if (finding === undefined) {
        this.keyring.add(fingerprint, hit.key);
        this.#fingerprints.set(hit.key, fingerprint);
        finding = {
          type: 'private_key',
          masked: maskKey(hit.key),
          fingerprint,
          form: hit.form,
          confidence: hit.confidence,
          ...(hit.accountPublicKey === undefined ? {} : { accountPublicKey: hit.accountPublicKey }),
          occurrences: [],
          occurrenceCount: 0,
        };
        this.#findings.set(fingerprint, finding);
      }
      if (hit.confidence === 'high') finding.confidence = 'high';
      finding.occurrenceCount++;
      if (
        finding.occurrences.length === 0 ||
        (finding.occurrences.length < MAX_OCCURRENCES_KEPT && this.#occurrencesKept < MAX_OCCURRENCES_TOTAL)
      ) {
        finding.occurrences.push(occurrence(hit));
        this.#occurrencesKept++;
      }
    }
    for (const hit of publicKeys) {
      let use = this.#publicKeys.get(hit.key);
      if (use === undefined) {
        use = { key: hit.key, urls: [], count: 0 };
        this.#publicKeys.set(hit.key, use);
      }
      use.count++;
      if (use.urls.length < MAX_PUBLIC_KEY_URLS && !use.urls.includes(where.url)) use.urls.push(where.url);
    }
    return counted;
  }

  /** The first placeholders (up to a limit) are kept to be shown; the rest are not counted. */
  #addPlaceholder(hit: LocatedKeyHit, occurrence: (hit: LocatedKeyHit) => Occurrence): void {
    const fingerprint = fingerprintKey(hit.key);
    let placeholder = this.#placeholders.get(fingerprint);
    if (placeholder === undefined) {
      if (this.#placeholders.size >= MAX_PLACEHOLDERS) return;
      placeholder = {
        masked: maskKey(hit.key),
        fingerprint,
        confidence: 'low',
        reason: `looks like a placeholder: ${hit.placeholder}`,
        occurrences: [],
        occurrenceCount: 0,
      };
      this.#placeholders.set(fingerprint, placeholder);
    }
    placeholder.occurrenceCount++;
    if (placeholder.occurrences.length < MAX_PLACEHOLDER_OCCURRENCES)
      placeholder.occurrences.push(occurrence(hit));
  }

  /** Placeholder-looking keys, in the order first seen. */
  placeholders(): Placeholder[] {
    return [...this.#placeholders.values()];
  }

  get findingCount(): number {
    return this.#findings.size + this.#beyondLimit.size;
  }

  /** Distinct keys found beyond the ones reported in detail. */
  get keysBeyondLimit(): number {
    return this.#beyondLimit.size;
  }

  /** Findings in a stable order: by where each key was first seen, then by fingerprint. */
  findings(): Finding[] {
    return [...this.#findings.values()]
      .map((finding) => ({ ...finding, occurrences: [...finding.occurrences].sort(compareOccurrences) }))
      .sort(
        (a, b) =>
          compareOccurrences(a.occurrences[0], b.occurrences[0]) ||
          a.fingerprint.localeCompare(b.fingerprint),
      );
  }

  publicKeys(): PublicKeyUse[] {
    return [...this.#publicKeys.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  }
}

function compareOccurrences(a: Occurrence | undefined, b: Occurrence | undefined): number {
  if (a === undefined || b === undefined) return 0;
  return a.url.localeCompare(b.url) || a.line - b.line || a.column - b.column || a.page.localeCompare(b.page);
}
