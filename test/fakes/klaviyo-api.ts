import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeKeyState =
  | { status: 'live'; account: string }
  | { status: 'revoked' }
  | { status: 'limited' }
  | { status: 'rate_limited' };

export interface FakeKlaviyo {
  url: string;
  /** How the fake answers for a key; unknown keys answer 401 like a revoked key. */
  keys: Map<string, FakeKeyState>;
  /** Every Authorization header value received (the only place a full key may travel). */
  authorizations: string[];
  revisions: string[];
  close(): Promise<void>;
}

/** Klaviyo's `GET /api/accounts/` on loopback, answering per key the way the real API does. */
export async function startFakeKlaviyo(): Promise<FakeKlaviyo> {
  const keys = new Map<string, FakeKeyState>();
  const authorizations: string[] = [];
  const revisions: string[] = [];
  const server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? '';
    authorizations.push(authorization);
    revisions.push(String(req.headers.revision ?? ''));
    if (req.method !== 'GET' || req.url !== '/api/accounts/') {
      res.writeHead(404).end();
      return;
    }
    const key = authorization.replace(/^Klaviyo-API-Key\s+/, '');
    const state = keys.get(key) ?? { status: 'revoked' };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res
        .writeHead(status, { 'content-type': 'application/vnd.api+json', ...headers })
        .end(JSON.stringify(body));
    };
    if (state.status === 'live') {
      json(200, { data: [{ type: 'account', id: 'acc', attributes: { public_api_key: state.account } }] });
    } else if (state.status === 'limited') {
      json(403, { errors: [{ status: 403, code: 'permission_denied', detail: 'missing accounts:read' }] });
    } else if (state.status === 'rate_limited') {
      json(429, { errors: [{ status: 429 }] }, { 'retry-after': '1' });
    } else {
      json(401, { errors: [{ status: 401, code: 'not_authenticated' }] });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keys,
    authorizations,
    revisions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
