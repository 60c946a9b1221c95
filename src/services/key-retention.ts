import type { Logger } from '../log.js';
import type { KeyKeeper } from '../store/key-keeper.js';
import type { RotationRepository } from '../store/rotations.js';

export interface KeyRetentionDeps {
  keeper: KeyKeeper;
  rotations: RotationRepository;
  log: Logger;
  now?: () => Date;
  /** How often copies whose time is up are wiped (10 s; tests pass less). */
  everyMs?: number;
}

export const KEY_SWEEP_EVERY_MS = 10_000;

/**
 * Holds the keeper to its rule: a full key is kept only while a rotation of it is open, or for the
 * short grace after the scan that found it (KEY_COPY_GRACE_MS). At start every copy no open rotation
 * claims is wiped; then every 10 s the copies whose grace is over.
 */
export class KeyRetention {
  readonly #deps: KeyRetentionDeps;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: KeyRetentionDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Wipes the copies no open rotation claims: all of them at start, else those whose time is up. */
  sweep(atStart = false): number {
    // Every 10 s: only the fingerprints, not every open rotation's checklist read and parsed.
    const claimed = this.#deps.rotations.openFingerprints();
    const wiped = this.#deps.keeper.sweep(this.#now(), claimed, atStart);
    if (wiped > 0) this.#deps.log.info('wiped key copies no open rotation needs', { count: wiped, atStart });
    return wiped;
  }

  start(): void {
    this.sweep(true);
    this.#timer = setInterval(() => {
      try {
        this.sweep();
      } catch (error) {
        this.#deps.log.error('could not wipe key copies', { error });
      }
    }, this.#deps.everyMs ?? KEY_SWEEP_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
