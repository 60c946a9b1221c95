import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createLivenessChecker, type LivenessResult } from '../../src/klaviyo/liveness.js';

// Made-up keys in Klaviyo's two private-key forms: random hex, never issued by Klaviyo.
const LEGACY = 'pk_c553824640cf9d938df817d4e33354cdd9';
const SCOPED = 'pk_XvCJ7h_2333907982dbd0aa2147e6f8ba8b8755da';
const REVISION = '2026-07-15';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface Server {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A loopback server that records every request and answers with `answer`. */
async function serve(answer: (res: ServerResponse, received: Received) => void): Promise<Server> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    received.push(entry);
    req.resume();
    req.on('end', () => answer(res, entry));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: Server = {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (res: ServerResponse) => {
    res
      .writeHead(status, { 'content-type': 'application/vnd.api+json', ...headers })
      .end(JSON.stringify(body));
  };
}

function text(status: number, body: string, headers: Record<string, string> = {}) {
  return (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/html', ...headers }).end(body);
  };
}

async function check(answer: (res: ServerResponse) => void, key = LEGACY): Promise<LivenessResult> {
  const server = await serve(answer);
  return createLivenessChecker({ apiUrl: server.url, revision: REVISION, timeoutMs: 5_000 }).check(key);
}

const ACCOUNT_BODY = { data: [{ type: 'account', id: 'acc1', attributes: { public_api_key: 'XvCJ7h' } }] };

describe('the answer', () => {
  test('200 with the account: live, and which account', async () => {
    expect(await check(json(200, ACCOUNT_BODY))).toEqual({
      status: 'live',
      httpStatus: 200,
      accountPublicKey: 'XvCJ7h',
    });
  });

  test.each<[string, unknown]>([
    ['no data', {}],
    ['empty data', { data: [] }],
    ['a number for the public key', { data: [{ attributes: { public_api_key: 42 } }] }],
  ])('200 with %s: live, no account', async (_name, body) => {
    expect(await check(json(200, body))).toEqual({ status: 'live', httpStatus: 200 });
  });

  test('200 that is not JSON: live, no account', async () => {
    expect(await check(text(200, '<html>ok</html>'))).toEqual({ status: 'live', httpStatus: 200 });
  });

  test('401: revoked', async () => {
    expect(await check(json(401, { errors: [{ status: 401, code: 'not_authenticated' }] }))).toEqual({
      status: 'revoked',
      httpStatus: 401,
    });
  });

  test('403 with JSON errors: live, without the accounts:read scope', async () => {
    const body = { errors: [{ status: 403, code: 'permission_denied', detail: 'missing accounts:read' }] };
    expect(await check(json(403, body))).toEqual({ status: 'live_limited', httpStatus: 403 });
  });

  test.each<[string, (res: ServerResponse) => void]>([
    ['an HTML page (a proxy or firewall)', text(403, '<html>Forbidden</html>')],
    ['JSON without errors', json(403, { message: 'forbidden' })],
    ['errors that are not a list', json(403, { errors: 'forbidden' })],
    ['an empty body', text(403, '')],
  ])('403 with %s: unknown', async (_name, answer) => {
    expect(await check(answer)).toEqual({ status: 'unknown', httpStatus: 403 });
  });

  test('429 with Retry-After: rate limited, and how long to wait', async () => {
    expect(await check(json(429, { errors: [{ status: 429 }] }, { 'retry-after': '17' }))).toEqual({
      status: 'rate_limited',
      httpStatus: 429,
      retryAfterSeconds: 17,
    });
  });

  test('429 without Retry-After: rate limited, no wait given', async () => {
    expect(await check(json(429, { errors: [] }))).toEqual({ status: 'rate_limited', httpStatus: 429 });
  });

  test('429 with a Retry-After that is not a number: no wait given', async () => {
    const result = await check(json(429, {}, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }));
    expect(result).toEqual({ status: 'rate_limited', httpStatus: 429 });
  });

  test.each([500, 502, 503, 404, 400])('%i: unknown', async (status) => {
    expect(await check(json(status, { errors: [{ status }] }))).toEqual({
      status: 'unknown',
      httpStatus: status,
    });
  });

  test('connection refused: unknown', async () => {
    const server = await serve(json(200, ACCOUNT_BODY));
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const result = await createLivenessChecker({ apiUrl: url, revision: REVISION, timeoutMs: 5_000 }).check(
      LEGACY,
    );
    expect(result).toEqual({ status: 'unknown' });
  });

  test('a server that never answers: unknown after the timeout', async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const result = await createLivenessChecker({
      apiUrl: server.url,
      revision: REVISION,
      timeoutMs: 200,
    }).check(LEGACY);
    expect(result).toEqual({ status: 'unknown' });
  });
});

describe('the request', () => {
  test.each([
    ['legacy', LEGACY],
    ['account-scoped', SCOPED],
  ])(
    'GET /api/accounts/ with the %s key, the JSON:API accept header and the revision',
    async (_form, key) => {
      const server = await serve(json(200, ACCOUNT_BODY));
      await createLivenessChecker({ apiUrl: server.url, revision: REVISION }).check(key);
      expect(server.received).toHaveLength(1);
      const [request] = server.received as [Received];
      expect(request.method).toBe('GET');
      expect(request.url).toBe('/api/accounts/');
      expect(request.headers.authorization).toBe(`Klaviyo-API-Key ${key}`);
      expect(request.headers.accept).toBe('application/vnd.api+json');
      expect(request.headers.revision).toBe(REVISION);
      // The key travels in the Authorization header only.
      const { authorization: _authorization, ...others } = request.headers;
      expect(JSON.stringify(others)).not.toContain(key.slice(3));
      expect(request.url).not.toContain(key.slice(3));
    },
  );

  test.each(['', '/', '//'])('an API URL ending in %j gives one slash before api/', async (suffix) => {
    const server = await serve(json(401, {}));
    await createLivenessChecker({ apiUrl: `${server.url}${suffix}`, revision: REVISION }).check(LEGACY);
    expect(server.received.map((request) => request.url)).toEqual(['/api/accounts/']);
  });

  test.each([301, 302, 307, 308])(
    'a %i redirect is not followed: the key goes nowhere else',
    async (status) => {
      const elsewhere = await serve(json(200, ACCOUNT_BODY));
      const result = await check((res) => {
        res.writeHead(status, { location: `${elsewhere.url}/api/accounts/` }).end();
      });
      expect(result).toEqual({ status: 'unknown', httpStatus: status });
      expect(elsewhere.received).toEqual([]);
    },
  );
});
