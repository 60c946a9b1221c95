import { parentPort } from 'node:worker_threads';
import { Agent, request } from 'undici';

/**
 * Sends signed requests to the bot from a worker thread: the client has its own event loop, as Slack
 * does, so the times measured are the bot's answers and not the client waiting on the bot's loop.
 */
export interface SendJob {
  url: string;
  requests: { body: string; headers: Record<string, string> }[];
  timeoutMs: number;
}

export interface SendResult {
  status: number;
  ms: number;
  error?: string;
}

const agent = new Agent({ connections: 128, pipelining: 1 });

async function sendOne(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  const started = performance.now();
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.text();
    return { status: response.statusCode, ms: performance.now() - started };
  } catch (error) {
    return {
      status: 0,
      ms: performance.now() - started,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

parentPort?.on('message', (job: SendJob | 'close') => {
  if (job === 'close') {
    void agent.close().then(() => parentPort?.close());
    return;
  }
  void Promise.all(
    job.requests.map(({ body, headers }) => sendOne(job.url, body, headers, job.timeoutMs)),
  ).then((results) => parentPort?.postMessage(results));
});
