import { request } from 'undici';
import type { Liveness } from '../checklists/rotation.js';

export interface LivenessResult {
  status: Liveness;
  /** The account's public key when Klaviyo answered 200. */
  accountPublicKey?: string;
  /** Seconds Klaviyo asked us to wait, on 429. */
  retryAfterSeconds?: number;
  /** HTTP status, for the log (never the key). */
  httpStatus?: number;
}

export interface LivenessChecker {
  check(key: string): Promise<LivenessResult>;
}

/**
 * Asks Klaviyo whether a private key still works: `GET {apiUrl}/api/accounts/`. The key goes to this
 * URL and nowhere else. 200 live (and which account), 401 revoked, 403 with JSON errors live but
 * without the accounts:read scope, 429 rate limited, anything else unknown.
 */
export function createLivenessChecker(options: {
  apiUrl: string;
  revision: string;
  timeoutMs?: number;
}): LivenessChecker {
  const url = `${options.apiUrl.replace(/\/+$/, '')}/api/accounts/`;
  return {
    async check(key) {
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          method: 'GET',
          headers: {
            authorization: `Klaviyo-API-Key ${key}`,
            accept: 'application/vnd.api+json',
            revision: options.revision,
            'user-agent': 'klaviyo-checkup (exposed key liveness check)',
          },
          // undici's request does not follow redirects, so the key cannot be sent on elsewhere.
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch {
        return { status: 'unknown' };
      }
      const { statusCode, headers, body } = response;
      const text = await body.text().catch(() => '');
      if (statusCode === 200) {
        const account = readAccount(text);
        return {
          status: 'live',
          httpStatus: 200,
          ...(account === undefined ? {} : { accountPublicKey: account }),
        };
      }
      if (statusCode === 401) return { status: 'revoked', httpStatus: 401 };
      if (statusCode === 403 && hasJsonErrors(text)) return { status: 'live_limited', httpStatus: 403 };
      if (statusCode === 429) {
        const retry = Number(
          Array.isArray(headers['retry-after']) ? headers['retry-after'][0] : headers['retry-after'],
        );
        return {
          status: 'rate_limited',
          httpStatus: 429,
          ...(Number.isFinite(retry) ? { retryAfterSeconds: retry } : {}),
        };
      }
      return { status: 'unknown', httpStatus: statusCode };
    },
  };
}

function readAccount(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { data?: { attributes?: { public_api_key?: unknown } }[] };
    const key = body.data?.[0]?.attributes?.public_api_key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

function hasJsonErrors(text: string): boolean {
  try {
    return Array.isArray((JSON.parse(text) as { errors?: unknown }).errors);
  } catch {
    return false;
  }
}
