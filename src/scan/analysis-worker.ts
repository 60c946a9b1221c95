import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { type AnalysisRequest, ResourceAnalyzer, type WireAnalysis } from './analysis.js';

/**
 * One thread of the analysis pool (analysis-pool.ts): analyses what the crawl hands it, in order.
 * Requests that are already waiting are taken at once and their results sent back together: each
 * message wakes the main thread, which the profile showed costing more than the analysis of a
 * small page on a busy machine.
 */
const MAX_BATCH = 16;

export interface AnalysisReply {
  id: number;
  analysis?: WireAnalysis;
  error?: string;
}

const analyzer = new ResourceAnalyzer();
const port = parentPort;

function reply({ id, request }: { id: number; request: AnalysisRequest }): AnalysisReply {
  try {
    return { id, analysis: analyzer.analyze(request) };
  } catch (error) {
    return { id, error: error instanceof Error ? error.message : String(error) };
  }
}

port?.on('message', (first: { id: number; request: AnalysisRequest }) => {
  let replies: AnalysisReply[] = [reply(first)];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
    if (replies.length >= MAX_BATCH) {
      port.postMessage(replies);
      replies = [];
    }
    replies.push(reply(next.message));
  }
  port.postMessage(replies);
});
