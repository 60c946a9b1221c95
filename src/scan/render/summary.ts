/** One place the render pass could not go, or a page it could not finish, and why. */
export interface RenderNote {
  url: string;
  /** The rendered page that asked for it. */
  page?: string;
  reason: string;
}

/** What the render pass did: the report says it beside the static scan's figures. */
export interface RenderSummary {
  /**
   * `done`: every chosen page was rendered; `incomplete`: the time budget or a stop cut it short;
   * `unavailable`: no browser is installed; `failed`: the browser could not be started or crashed.
   */
  status: 'done' | 'incomplete' | 'unavailable' | 'failed';
  /** For anything but `done`, in words for the person reading the report. */
  reason?: string;
  /** e.g. `Chromium 150.0.7871.100`. */
  browser?: string;
  pagesPlanned: number;
  pagesRendered: number;
  /** Every request the pages sent, whatever became of it. */
  requestsSeen: number;
  /** Requests the scan fetched for the browser, through the same guarded fetcher as the crawl. */
  requestsFetched: number;
  /** Requests refused: a refused address, a bare IP the site does not use, or a scheme other than http(s). */
  requestsRefused: number;
  /** Requests captured and answered by the scan itself, never sent: they carried a private key, or wrote off the site. */
  requestsHeldBack: number;
  /** Scripts the pages ran that no response already showed: inline, injected, evaluated. */
  runtimeScripts: number;
  /** Connections the browser tried to open on its own (they meet a proxy that refuses them); expected to stay 0. */
  browserConnectionAttempts: number;
  durationMs: number;
  /** Pages that failed or timed out. At most 100 listed. */
  errors: RenderNote[];
  /** Requests refused, and why. At most 100 listed. */
  refused: RenderNote[];
}

/** The summary of a render pass that never rendered a page: no browser, or one that would not start. */
export function emptySummary(status: 'unavailable' | 'failed', reason: string): RenderSummary {
  return {
    status,
    reason,
    pagesPlanned: 0,
    pagesRendered: 0,
    requestsSeen: 0,
    requestsFetched: 0,
    requestsRefused: 0,
    requestsHeldBack: 0,
    runtimeScripts: 0,
    browserConnectionAttempts: 0,
    durationMs: 0,
    errors: [],
    refused: [],
  };
}
