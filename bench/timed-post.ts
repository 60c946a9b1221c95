import { type Dispatcher, request } from 'undici';

export interface TimedResponse {
  status: number;
  ms: number;
  error?: string;
}

/** POSTs a body and times it to the end of the response; never rejects (a failure has status 0). */
export async function timedPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  dispatcher: Dispatcher,
  timeoutMs: number,
): Promise<TimedResponse> {
  const started = performance.now();
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.text();
    return { status: response.statusCode, ms: performance.now() - started };
  } catch (error) {
    const ms = performance.now() - started;
    return {
      status: 0,
      ms,
      error: `request failed after ${ms.toFixed(1)} ms: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
