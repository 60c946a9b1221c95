import type { ExposedKeyRepository } from './exposed-keys.js';
import type { KeyVault } from './key-vault.js';

/**
 * Where a full exposed key is kept while its rotation runs, so the bot can ask Klaviyo whether it is
 * revoked. With KEY_ENCRYPTION_KEY set it is sealed in the database and survives restarts; without it,
 * it lives only in this process's memory and is gone after a restart. Never in plain text on disk.
 */
export interface KeyKeeper {
  readonly durable: boolean;
  keep(fingerprint: string, key: string): void;
  get(fingerprint: string): string | undefined;
  has(fingerprint: string): boolean;
  forget(fingerprint: string): void;
}

export class SealedKeyKeeper implements KeyKeeper {
  readonly durable = true;

  constructor(
    private readonly vault: KeyVault,
    private readonly keys: ExposedKeyRepository,
  ) {}

  keep(fingerprint: string, key: string): void {
    this.keys.storeSealed(fingerprint, this.vault.seal(key, fingerprint));
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
}

export class MemoryKeyKeeper implements KeyKeeper {
  readonly durable = false;
  readonly #keys = new Map<string, string>();

  constructor(private readonly capacity = 1_000) {}

  keep(fingerprint: string, key: string): void {
    this.#keys.delete(fingerprint);
    this.#keys.set(fingerprint, key);
    // The oldest go first when a flood of keys (a hostile site) would grow the map without end.
    while (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value as string);
  }

  get(fingerprint: string): string | undefined {
    return this.#keys.get(fingerprint);
  }

  has(fingerprint: string): boolean {
    return this.#keys.has(fingerprint);
  }

  forget(fingerprint: string): void {
    this.#keys.delete(fingerprint);
  }
}
