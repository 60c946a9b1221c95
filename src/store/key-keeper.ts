import type { ExposedKeyRepository } from './exposed-keys.js';
import type { KeyVault } from './key-vault.js';

/**
 * Where a full exposed key is kept, so the bot can ask Klaviyo whether it is revoked: from the scan
 * that found it until a minute after that scan (time to start its rotation), and then only while a
 * rotation of the key is open. With KEY_ENCRYPTION_KEY set it is sealed in the database and survives
 * restarts while its rotation is open; without it, it lives only in this process's memory. Never in
 * plain text on disk.
 */
export interface KeyKeeper {
  readonly durable: boolean;
  /** Keeps the key; unless a rotation claims it, the next sweep after `until` forgets it. */
  keep(fingerprint: string, key: string, now: Date, until: Date): void;
  get(fingerprint: string): string | undefined;
  has(fingerprint: string): boolean;
  forget(fingerprint: string): void;
  /**
   * Forgets every key not in `claimed` (the keys of open rotations) whose time is up, or every such key
   * at once with `everyUnclaimed` (at start). Returns how many were forgotten.
   */
  sweep(now: Date, claimed: readonly string[], everyUnclaimed?: boolean): number;
}

export class SealedKeyKeeper implements KeyKeeper {
  readonly durable = true;

  constructor(
    private readonly vault: KeyVault,
    private readonly keys: ExposedKeyRepository,
  ) {}

  keep(fingerprint: string, key: string, now: Date, until: Date): void {
    this.keys.storeSealed(
      fingerprint,
      this.vault.seal(key, fingerprint),
      now.toISOString(),
      until.toISOString(),
    );
  }

  get(fingerprint: string): string | undefined {
    const sealed = this.keys.sealed(fingerprint);
    return sealed === undefined ? undefined : this.vault.open(sealed, fingerprint);
  }

  has(fingerprint: string): boolean {
    return this.get(fingerprint) !== undefined;
  }

  forget(fingerprint: string): void {
    this.keys.wipe(fingerprint);
  }

  sweep(now: Date, claimed: readonly string[], everyUnclaimed = false): number {
    return this.keys.sweep(now.toISOString(), claimed, everyUnclaimed);
  }
}

export class MemoryKeyKeeper implements KeyKeeper {
  readonly durable = false;
  readonly #keys = new Map<string, { key: string; until: number }>();

  constructor(private readonly capacity = 1_000) {}

  keep(fingerprint: string, key: string, _now: Date, until: Date): void {
    this.#keys.delete(fingerprint);
    this.#keys.set(fingerprint, { key, until: until.getTime() });
    // The oldest go first when a flood of keys (a hostile site) would grow the map without end.
    while (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value as string);
  }

  get(fingerprint: string): string | undefined {
    return this.#keys.get(fingerprint)?.key;
  }

  has(fingerprint: string): boolean {
    return this.#keys.has(fingerprint);
  }

  forget(fingerprint: string): void {
    this.#keys.delete(fingerprint);
  }

  sweep(now: Date, claimed: readonly string[], everyUnclaimed = false): number {
    const keep = new Set(claimed);
    let forgotten = 0;
    for (const [fingerprint, entry] of this.#keys) {
      if (keep.has(fingerprint) || (!everyUnclaimed && entry.until > now.getTime())) continue;
      this.#keys.delete(fingerprint);
      forgotten++;
    }
    return forgotten;
  }
}
