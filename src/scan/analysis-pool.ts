import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Analysis, AnalysisRequest, ResourceAnalyzer } from './analysis.js';
import type { AnalysisReply } from './analysis-worker.js';
import { bodyFacts } from './body-facts.js';
import { LinkTable } from './link-table.js';

/** Where a scan's pages and scripts are analysed: worker threads, or the calling thread. */
export interface Analyzer {
  /** Worker threads in use; 0 when analysis runs on the calling thread. */
  readonly threads: number;
  analyze(request: AnalysisRequest): Promise<Analysis>;
  close(): Promise<void>;
}

/**
 * Analysis on the calling thread, one resource at a time. Its code is loaded when it is first used:
 * the command line starts the analysis threads before it loads anything else (cli.ts), and a scan
 * whose threads do the work never loads it here.
 */
export function inlineAnalyzer(): Analyzer {
  let analyzer: Promise<ResourceAnalyzer> | undefined;
  const links = new LinkTable();
  return {
    threads: 0,
    analyze: async (request) => {
      analyzer ??= import('./analysis.js').then((loaded) => new loaded.ResourceAnalyzer());
      return links.read((await analyzer).analyze(request));
    },
    close: async () => {},
  };
}

// Built next to this module; absent when the sources run untranspiled (the tests), which then analyse inline.
const WORKER_URL = new URL('./analysis-worker.js', import.meta.url);
/**
 * Fetching and crawling keep the main thread about as busy as one analysis thread, so threads are one
 * fewer than cores: on two cores a second thread only contends with the main one, and each thread
 * costs its own compiled code (the detector warms up once per thread) and about 30 MB.
 */
const MAX_THREADS = 2;
const DEFAULT_THREADS = Math.min(MAX_THREADS, availableParallelism() - 1);
/**
 * An analysis thread's young generation, in MB (Node's default lets it grow to 48). Each body's text
 * and the analysis's short-lived objects pass through it; a smaller one is collected more often. In 21
 * alternating runs on the bench store, the scan's peak memory fell from 153 to 145 MiB at the median
 * and from 173 to 156 MiB at the worst, with the same time and CPU. The launcher starts its thread
 * with the same limit (bin/klaviyo-checkup.js), and a thread started with another is not taken.
 */
export const ANALYSIS_YOUNG_GENERATION_MB = 12;

/** Starts a thread of analysis-worker.js with the pool's limits, as every thread the pool starts. */
export function startAnalysisWorker(): Worker {
  return new Worker(WORKER_URL, {
    resourceLimits: { maxYoungGenerationSizeMb: ANALYSIS_YOUNG_GENERATION_MB },
  });
}

/**
 * The analyzer for one scan: decoding, detection and link extraction run on worker threads while the
 * main thread fetches, so a scan uses every core of a small machine; on one core, all runs inline.
 */
export function createAnalyzer(threads: number = DEFAULT_THREADS): Analyzer {
  if (threads < 1 || !existsSync(fileURLToPath(WORKER_URL))) return inlineAnalyzer();
  return new WorkerPool(threads);
}

let adopted: Worker | undefined;

/**
 * A thread of analysis-worker.js that the command line's launcher started before this module loaded
 * (bin/klaviyo-checkup.js, which stops it if no scan takes it): the next pool takes it as its first
 * thread. Node takes some 100 ms to start a thread on a small machine, which the start page's
 * analysis, and so the whole crawl, would otherwise wait for.
 */
export function adoptAnalysisThread(worker: Worker): void {
  adopted = worker;
}

/**
 * The adopted thread, if it is still running (threadId is -1 once a thread has stopped) with the
 * pool's young generation; one with another is stopped, and the pool starts its own.
 */
function takeAdopted(): Worker | undefined {
  const worker = adopted;
  adopted = undefined;
  if (worker === undefined || worker.threadId === -1) return undefined;
  if (worker.resourceLimits?.maxYoungGenerationSizeMb !== ANALYSIS_YOUNG_GENERATION_MB) {
    void worker.terminate();
    return undefined;
  }
  return worker;
}

interface Waiting {
  resolve: (analysis: Analysis) => void;
  reject: (error: Error) => void;
  thread: Thread;
}

interface Thread {
  worker: Worker;
  pending: number;
  alive: boolean;
  links: LinkTable;
}

class WorkerPool implements Analyzer {
  readonly #threads: Thread[] = [];
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #fallback: Analyzer | undefined;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) this.#threads.push(this.#start());
  }

  get threads(): number {
    return this.#threads.filter((thread) => thread.alive).length;
  }

  #start(): Thread {
    const worker = takeAdopted() ?? startAnalysisWorker();
    const thread: Thread = { worker, pending: 0, alive: true, links: new LinkTable() };
    worker.on('message', (replies: AnalysisReply[]) => {
      for (const { id, analysis, error } of replies) {
        const waiting = this.#waiting.get(id);
        if (waiting === undefined) continue;
        this.#waiting.delete(id);
        thread.pending--;
        if (analysis !== undefined) waiting.resolve(thread.links.read(analysis));
        else waiting.reject(new Error(`the analysis failed: ${error ?? 'unknown error'}`));
      }
    });
    // A thread that dies (out of memory on a hostile page, say) fails what it held; the others go on.
    const fail = (error: Error) => {
      thread.alive = false;
      for (const [id, waiting] of this.#waiting) {
        if (waiting.thread !== thread) continue;
        this.#waiting.delete(id);
        waiting.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`an analysis thread stopped (exit code ${code})`)));
    return thread;
  }

  analyze(request: AnalysisRequest): Promise<Analysis> {
    let chosen: Thread | undefined;
    for (const thread of this.#threads) {
      if (thread.alive && (chosen === undefined || thread.pending < chosen.pending)) chosen = thread;
    }
    if (chosen === undefined) {
      this.#fallback ??= inlineAnalyzer();
      return this.#fallback.analyze(request);
    }
    const thread = chosen;
    const id = this.#nextId++;
    thread.pending++;
    const { body } = request;
    // A buffer that is the whole of its memory moves to the thread without a copy; a slice of a pool is copied.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    // This thread waits on the analysis for about half of a scan: it takes the analysis's largest
    // pass, and a search for literals, in WebAssembly (body-facts.ts).
    const { runs, present } = bodyFacts(body);
    const transfer = [runs.buffer as ArrayBuffer, ...(owned ? [body.buffer as ArrayBuffer] : [])];
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, thread });
      thread.worker.postMessage({ id, request: { ...request, runs, present } }, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}
