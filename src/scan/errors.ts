/** Why a scan, or one request of it, failed. The code is stable; the message is for people. */
export type ScanErrorCode =
  | 'BAD_URL'
  | 'REFUSED_TARGET'
  | 'DNS'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'HTTP_STATUS'
  | 'TOO_MANY_REDIRECTS'
  | 'OFF_SITE_REDIRECT'
  | 'ABORTED'
  | 'UNREACHABLE';

/** Codes where trying the same request again may succeed. */
const RETRYABLE: ReadonlySet<ScanErrorCode> = new Set(['NETWORK', 'TIMEOUT', 'HTTP_STATUS']);

/**
 * The response that came with an HTTP error, and the redirects to it; `body` is its content's bytes,
 * to be scanned elsewhere.
 */
export interface ErrorResource {
  url: URL;
  readonly text?: string;
  headerText: string;
  redirects?: readonly URL[];
  contentType?: string;
  body?: Buffer;
}

export class ScanError extends Error {
  readonly code: ScanErrorCode;
  readonly status: number | undefined;
  /** Seconds the server asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;
  /** For an HTTP error: what the server sent with it (error pages are scanned too), and the redirects to it. */
  readonly resource: ErrorResource | undefined;

  constructor(
    code: ScanErrorCode,
    message: string,
    details: {
      status?: number;
      retryAfterSeconds?: number;
      cause?: unknown;
      resource?: ErrorResource;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ScanError';
    this.code = code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.resource = details.resource;
  }

  /** Whether a retry can help: network trouble, timeouts, 429 and 5xx answers. */
  get retryable(): boolean {
    if (!RETRYABLE.has(this.code)) return false;
    if (this.code !== 'HTTP_STATUS') return true;
    return this.status === 429 || (this.status !== undefined && this.status >= 500 && this.status !== 501);
  }
}

export function isScanError(error: unknown, code?: ScanErrorCode): error is ScanError {
  return error instanceof ScanError && (code === undefined || error.code === code);
}
