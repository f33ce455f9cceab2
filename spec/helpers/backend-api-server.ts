import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake Backend API answers. */
export type BackendBehaviour = 'ok' | 'error500' | 'html' | 'rate-limited' | 'slow' | 'redirect' | 'not-found-html';

/** A Clerk-shaped user as `GET /v1/users/{id}` returns it (the fields the package reads, and a few more). */
export function clerkUserJson(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object: 'user',
    id,
    username: null,
    first_name: 'Ada',
    last_name: 'Lovelace',
    image_url: 'https://img.clerk.com/x',
    primary_email_address_id: 'idn_primary',
    email_addresses: [
      { id: 'idn_other', object: 'email_address', email_address: 'old@example.com', verification: { status: 'unverified', strategy: 'email_code' } },
      { id: 'idn_primary', object: 'email_address', email_address: 'ada@example.com', verification: { status: 'verified', strategy: 'email_code' } },
    ],
    public_metadata: { plan: 'pro' },
    private_metadata: { internal: true },
    unsafe_metadata: {},
    banned: false,
    locked: false,
    created_at: 1_700_000_000_000,
    ...overrides,
  };
}

/** A Clerk-shaped organization membership. */
export function clerkMembershipJson(orgId: string, slug: string, role = 'org:member'): Record<string, unknown> {
  return {
    object: 'organization_membership',
    id: `orgmem_${orgId}`,
    role,
    role_name: role.replace(/^org:/, ''),
    permissions: ['org:sys_profile:read'],
    public_metadata: {},
    private_metadata: {},
    organization: { object: 'organization', id: orgId, name: slug.toUpperCase(), slug, public_metadata: {}, created_at: 1 },
    public_user_data: { user_id: 'user_2abc', identifier: 'ada@example.com' },
    created_at: 1,
    updated_at: 1,
  };
}

/** A fake Clerk Backend API on 127.0.0.1 (port 0) answering the user and membership endpoints. */
export interface BackendApiServer {
  readonly apiUrl: string;
  readonly secretKey: string;
  /** Requests received, by path without the query (e.g. `/v1/users/user_2abc`). */
  readonly calls: Map<string, number>;
  /** Every request URL, with its query, in order. */
  readonly urls: string[];
  users: Map<string, Record<string, unknown>>;
  memberships: Map<string, Record<string, unknown>[]>;
  behaviour: BackendBehaviour;
  close(): Promise<void>;
}

export async function startBackendApiServer(secretKey: string, options: { slowMs?: number } = {}): Promise<BackendApiServer> {
  const calls = new Map<string, number>();
  const urls: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state = { users: new Map<string, Record<string, unknown>>(), memberships: new Map<string, Record<string, unknown>[]>(), behaviour: 'ok' as BackendBehaviour };
  const clerkError = (res: http.ServerResponse, status: number, code: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: code, long_message: code }], clerk_trace_id: 't' }));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    urls.push(`${url.pathname}${url.search}`);
    calls.set(url.pathname, (calls.get(url.pathname) ?? 0) + 1);
    if (req.headers.authorization !== `Bearer ${secretKey}`) return clerkError(res, 401, 'authentication_invalid');
    switch (state.behaviour) {
      case 'error500':
        return clerkError(res, 500, 'internal_clerk_error');
      case 'html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      case 'not-found-html':
        return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>no such route</html>');
      case 'rate-limited':
        res.setHeader('retry-after', '12');
        return clerkError(res, 429, 'too_many_requests');
      case 'redirect':
        return void res.writeHead(302, { location: 'https://example.com/' }).end();
      case 'slow': {
        const timer = setTimeout(() => clerkError(res, 500, 'late'), options.slowMs ?? 5000);
        timers.add(timer);
        return;
      }
      default:
    }
    const match = /^\/v1\/users\/([^/]+)(\/organization_memberships)?$/.exec(url.pathname);
    const user = match === null ? undefined : state.users.get(match[1] as string);
    if (match === null || user === undefined) return clerkError(res, 404, 'resource_not_found');
    if (match[2] === undefined) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(user));
    const all = state.memberships.get(match[1] as string) ?? [];
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: all.slice(offset, offset + limit), total_count: all.length }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}`,
    secretKey,
    calls,
    urls,
    get users() {
      return state.users;
    },
    set users(next) {
      state.users = next;
    },
    get memberships() {
      return state.memberships;
    },
    set memberships(next) {
      state.memberships = next;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next) {
      state.behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
