import { parentPort } from 'node:worker_threads';
import { Agent } from 'undici';
import { type TimedResponse, timedPost } from './timed-post.js';

/**
 * Sends signed requests to the bot from a worker thread: the client has its own event loop, as Slack
 * does, so the times measured are the bot's answers and not the client waiting on the bot's loop.
 */
export interface SendJob {
  url: string;
  requests: { body: string; headers: Record<string, string> }[];
  timeoutMs: number;
}

export type SendResult = TimedResponse;

const agent = new Agent({ connections: 128, pipelining: 1 });

parentPort?.on('message', (job: SendJob | 'close') => {
  if (job === 'close') {
    void agent.close().then(() => parentPort?.close());
    return;
  }
  void Promise.all(
    job.requests.map(({ body, headers }) => timedPost(job.url, body, headers, agent, job.timeoutMs)),
  ).then((results) => parentPort?.postMessage(results));
});
