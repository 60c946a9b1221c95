/**
 * The requests whose handlers are still running (after their ack): shutdown and tests wait until none
 * are, instead of waiting some time and hoping.
 */
export class InFlight {
  readonly #running = new Set<Promise<unknown>>();

  /** Counts `work` as running until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    const done = () => this.#running.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves when nothing tracked is running, including what started while waiting. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
