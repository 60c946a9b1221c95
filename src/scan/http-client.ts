import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/**
 * The parts of undici the fetcher uses, loaded from their own modules. undici's index loads every
 * dispatcher, fetch, WebSocket, the cache stores and the mocks: about 60 ms before a scan's first
 * request, against under 30 ms for these three. They are the same classes and functions the index
 * exports (it re-exports these modules).
 */
const require = createRequire(import.meta.url);

export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent.js');
export const buildConnector: typeof Undici.buildConnector = require('undici/lib/core/connect.js');
const dispatcherRequest: (
  this: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData> = require('undici/lib/api/api-request.js');

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: Undici.Dispatcher;
  method: Undici.Dispatcher.HttpMethod;
};

/** undici's `request(url, options)`: the URL's origin, and its path and query (never its fragment). */
export function request(url: URL, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcherRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
  });
}
