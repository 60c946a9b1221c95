/**
 * How many requests a scan keeps in flight: it starts at 8, grows while the site answers as fast as
 * it did with fewer, steps back towards 8 when answers slow down, and halves (down to one) as soon as
 * the site shows strain (429, 5xx, a timeout, a dropped connection). A storefront answering in 10 ms
 * is then read with 32 requests in flight instead of 8, and one that rate-limits the scan gets fewer.
 * Pure: the crawler tells it what happened and asks for the size.
 */
export class AdaptiveWindow {
  readonly max: number;
  readonly #start: number;
  #size: number;
  /** Fastest response seen: what the site manages with little load. */
  #best = Number.POSITIVE_INFINITY;
  /** Recent response times and sizes, smoothed. */
  #recent = 0;
  #recentBytes = 0;
  #sinceChange = 0;
  #strained = false;

  constructor(max: number, start: number = Math.min(START, max)) {
    this.max = max;
    this.#start = Math.max(1, Math.min(start, max));
    this.#size = this.#start;
  }

  get size(): number {
    return this.#size;
  }

  /** A response arrived whole after `ms`, with `bytes` of content. */
  onResponse(ms: number, bytes: number): void {
    this.#best = Math.min(this.#best, ms);
    this.#recent = this.#sinceChange === 0 && this.#recent === 0 ? ms : this.#recent * 0.8 + ms * 0.2;
    this.#recentBytes = this.#recentBytes * 0.8 + bytes * 0.2;
    this.#settle();
  }

  /** A request failed in a way that says the site is struggling or limiting the scan. */
  onStrain(): void {
    this.#strained = true;
    this.#settle();
  }

  // One decision per window's worth of responses, so each step is judged on what it did.
  #settle(): void {
    this.#sinceChange++;
    if (this.#strained) {
      this.#change(Math.max(1, Math.floor(this.#size / 2)));
      return;
    }
    if (this.#sinceChange < this.#size) return;
    // Large responses fill memory, not the pipe: many of them at once are kept to the starting size.
    if (this.#recentBytes > LARGE_RESPONSE_BYTES) this.#change(Math.min(this.#size, this.#start));
    else if (this.#recent <= this.#best * 2 + SLACK_MS)
      this.#change(this.#size + Math.max(1, this.#size >> 2));
    // Slower answers alone say the site is busy, not that the scan is unwelcome: back towards the start.
    else if (this.#recent > this.#best * 4 + SLACK_MS * 2 && this.#size > this.#start)
      this.#change(this.#size - 1);
    else this.#sinceChange = 0;
  }

  #change(size: number): void {
    this.#size = Math.max(1, Math.min(this.max, size));
    this.#sinceChange = 0;
    this.#strained = false;
  }
}

/** Requests in flight when a scan starts (and the most kept while responses are large). */
const START = 8;
/** Responses within twice the fastest plus this are "as fast as before": loopback and LAN jitter. */
const SLACK_MS = 5;
const LARGE_RESPONSE_BYTES = 1024 * 1024;
