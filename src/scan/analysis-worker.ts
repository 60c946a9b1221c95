import { parentPort } from 'node:worker_threads';
import { type AnalysisRequest, ResourceAnalyzer } from './analysis.js';

/** One thread of the analysis pool (analysis-pool.ts): analyses what the crawl hands it, in order. */
const analyzer = new ResourceAnalyzer();
const port = parentPort;
port?.on('message', ({ id, request }: { id: number; request: AnalysisRequest }) => {
  try {
    port.postMessage({ id, analysis: analyzer.analyze(request) });
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
