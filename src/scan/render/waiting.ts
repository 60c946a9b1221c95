import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for the work to end, either way, for at most `ms` (and not past `signal`). True when it ended
 * in time. The work is not cancelled: a browser call that hangs is left to the browser's closing.
 */
export async function settledWithin(
  work: Promise<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const timer = new AbortController();
  const stop = signal === undefined ? timer.signal : AbortSignal.any([timer.signal, signal]);
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      sleep(ms, false, { signal: stop }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

/** An error's first line: Playwright's messages go on with call logs that are no one's business. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
