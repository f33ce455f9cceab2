/**
 * A local stand-in for the part of Clerk's Backend API that verifies opaque machine tokens, for
 * tests and offline development: it issues `mt_…`, `ak_…` and `oat_…` tokens, answers Clerk's
 * verify endpoints for them, and can revoke or expire them, or fail the way Clerk can fail. Like
 * the test issuer, it listens on a loopback address only and is exported only from
 * `express-clerk-jwt/testing`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertKnownOptions, optionNames } from '../shared/option-checks';
import { ENV_VARS } from '../shared/env-vars';
import { ClerkConfigError } from '../shared/errors';
import type { ClerkMachineTokenType } from '../machine-tokens/machine-principal';
import { startLoopbackServer } from './test-issuer';

/** Options of {@link createTestBackendApi}. */
export interface TestBackendApiOptions {
  /** Loopback address to listen on (`127.x.x.x` or `::1`). Default is `127.0.0.1`. */
  host?: string | undefined;
  /** Port to listen on. Default is 0 (a free port chosen by the system). */
  port?: number | undefined;
}

/** What {@link TestBackendApi.issue} puts in a token's record; Clerk's verify endpoints return it. */
export interface TestMachineTokenOptions {
  /**
   * Whom the token stands for. Default is `mch_test` for an M2M token, `user_test` for an API key
   * and an OAuth access token.
   */
  subject?: string | undefined;
  /** Scopes. Default is none. */
  scopes?: readonly string[] | undefined;
  /** Custom claims (M2M tokens and API keys). Default is none (`null`). */
  claims?: Readonly<Record<string, unknown>> | undefined;
  /** Lifetime from now, in seconds; `null` for a token that never expires. Default is 3600 (1 hour). */
  expiresInSeconds?: number | null | undefined;
  /** API keys: the key's name. Default is `test-key`. */
  name?: string | undefined;
  /** OAuth access tokens: the client id. Default is `client_test`. */
  clientId?: string | undefined;
  /** OAuth access tokens: `aud`. Default is none. */
  audience?: string | readonly string[] | undefined;
}

/**
 * How the fake answers every verify request: `ok` (Clerk's answers), `error` (500), `rate-limited`
 * (429 with `Retry-After: 7`), `slow` (no answer for `slowMs`, then 500), `garbage` (200 with a
 * body that is not a token), `html` (200 with an HTML page), `redirect` (302 elsewhere), or
 * `unauthorized` (401, as for a wrong secret key). To make it unreachable, call `stop()`.
 */
export type TestBackendApiBehaviour = 'ok' | 'error' | 'rate-limited' | 'slow' | 'garbage' | 'html' | 'redirect' | 'unauthorized';

/** A running fake Backend API. See {@link createTestBackendApi}. */
export interface TestBackendApi {
  /** `http://127.0.0.1:<port>`: give it to the verifier as `apiUrl` (plain http is allowed on loopback). */
  readonly apiUrl: string;
  readonly port: number;
  /** A made-up instance secret key (`sk_test_…`, random): the fake accepts it on every endpoint. */
  readonly secretKey: string;
  /** A made-up machine secret key (`ak_…`, random): the fake accepts it on the M2M endpoint. */
  readonly machineSecretKey: string;
  /**
   * `CLERK_API_URL` and `CLERK_SECRET_KEY` pointing at this fake (`CLERK_MACHINE_SECRET_KEY`
   * blank): spread it over a test issuer's, `{ ...issuer.env, ...backendApi.env }`, so that the
   * issuer's key set verifies JWTs and this fake judges opaque tokens.
   */
  readonly env: Readonly<Record<string, string>>;
  /** How the fake answers; change it at any time. Default is `ok`. */
  behaviour: TestBackendApiBehaviour;
  /** How long `slow` holds a request, in milliseconds. Default is 10000. */
  slowMs: number;
  /** Verify requests received so far, of every type, whatever the answer. */
  readonly requests: number;
  /** Verify requests received so far, by token type. */
  readonly requestsByType: Readonly<Record<ClerkMachineTokenType, number>>;
  /** Verify requests received so far, by the key they were authorized with (`none`: another or no key). */
  readonly requestsByKey: Readonly<Record<'secretKey' | 'machineSecretKey' | 'none', number>>;
  /** Makes a new opaque token of `type` (`mt_…`, `ak_…`, `oat_…`) that the fake knows. */
  issue(type: ClerkMachineTokenType, options?: TestMachineTokenOptions): string;
  /** Marks a token revoked (`revoked: true`). */
  revoke(token: string): void;
  /** Marks a token expired (`expired: true`, `expiration` one second ago). */
  expire(token: string): void;
  /** Forgets a token (Clerk then answers 404). */
  forget(token: string): void;
  /** Stops listening (connections refused), to test an outage; `start()` brings it back. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops for good. Safe to call twice. */
  close(): Promise<void>;
}

interface TokenRecord {
  type: ClerkMachineTokenType;
  json: Record<string, unknown>;
}

const OPTIONS = optionNames<TestBackendApiOptions>({ host: true, port: true });
const ISSUE_OPTIONS = optionNames<TestMachineTokenOptions>({ subject: true, scopes: true, claims: true, expiresInSeconds: true, name: true, clientId: true, audience: true });
const PREFIXES: Readonly<Record<ClerkMachineTokenType, string>> = { m2m_token: 'mt_', api_key: 'ak_', oauth_token: 'oat_' };
// Clerk's verify endpoints: under /v1 (its REST reference) and at the root (what @clerk/backend calls).
const ROUTES: Readonly<Record<string, { type: ClerkMachineTokenType; field: string }>> = {
  '/m2m_tokens/verify': { type: 'm2m_token', field: 'token' },
  '/api_keys/verify': { type: 'api_key', field: 'secret' },
  '/oauth_applications/access_tokens/verify': { type: 'oauth_token', field: 'access_token' },
};
const MAX_BODY = 64 * 1024;

/**
 * Starts a fake of Clerk's Backend API verify endpoints on 127.0.0.1 (a free port by default), for
 * testing routes that accept opaque machine tokens without Clerk and without network:
 *
 * ```ts
 * const issuer = await createTestIssuer();
 * const backendApi = await createTestBackendApi();
 * app.use('/api', clerkAuth({ env: { ...issuer.env, ...backendApi.env }, acceptsToken: 'api_key' }));
 * const key = backendApi.issue('api_key', { subject: 'user_1', scopes: ['read'] });
 * await request(app).get('/api/x').set('Authorization', `Bearer ${key}`); // 200
 * backendApi.revoke(key); // 401 once the verifier's cache (10 s by default) has let go of it
 * ```
 *
 * @throws {ClerkConfigError} when `host` is not a loopback address or an option is malformed.
 */
export async function createTestBackendApi(options: TestBackendApiOptions = {}): Promise<TestBackendApi> {
  assertKnownOptions(options, OPTIONS, 'createTestBackendApi');
  const port = options.port === undefined ? 0 : options.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClerkConfigError('port must be a port number (0 to 65535).', 'port');
  // Made at run time, never a literal: random keys of Clerk's shapes.
  const secretKey = ['sk', 'test', randomBytes(24).toString('hex')].join('_');
  const machineSecretKey = ['ak', randomBytes(24).toString('hex')].join('_');
  const tokens = new Map<string, TokenRecord>();
  const requestsByType: Record<ClerkMachineTokenType, number> = { m2m_token: 0, api_key: 0, oauth_token: 0 };
  const requestsByKey: Record<'secretKey' | 'machineSecretKey' | 'none', number> = { secretKey: 0, machineSecretKey: 0, none: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const state = { behaviour: 'ok' as TestBackendApiBehaviour, slowMs: 10_000, closed: false };

  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const clerkError = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void =>
    answer(res, status, { errors: [{ code, message, long_message: message }], clerk_trace_id: randomBytes(8).toString('hex') }, headers);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const route = ROUTES[path.startsWith('/v1/') ? path.slice(3) : path];
    if (req.method !== 'POST' || route === undefined) return clerkError(res, 404, 'resource_not_found', 'not found');
    requestsByType[route.type] += 1;
    const authorization = req.headers.authorization;
    requestsByKey[authorization === `Bearer ${secretKey}` ? 'secretKey' : authorization === `Bearer ${machineSecretKey}` ? 'machineSecretKey' : 'none'] += 1;
    const keyOk = authorization === `Bearer ${secretKey}` || (route.type === 'm2m_token' && authorization === `Bearer ${machineSecretKey}`);
    switch (state.behaviour) {
      case 'error':
        return clerkError(res, 500, 'internal_clerk_error', 'internal error');
      case 'rate-limited':
        return clerkError(res, 429, 'too_many_requests', 'too many requests', { 'retry-after': '7' });
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          clerkError(res, 500, 'late', 'late');
        }, state.slowMs);
        timers.add(timer);
        return;
      }
      case 'garbage':
        return answer(res, 200, { object: 'something_else', id: 42 });
      case 'html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      case 'redirect':
        return void res.writeHead(302, { location: 'https://example.com/' }).end();
      case 'unauthorized':
        return clerkError(res, 401, 'authentication_invalid', 'invalid secret key');
      default:
    }
    if (!keyOk) return clerkError(res, 401, 'authentication_invalid', 'invalid secret key');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return clerkError(res, 400, 'form_param_format_invalid', 'invalid body');
    }
    const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[route.field] : undefined;
    const record = typeof token === 'string' ? tokens.get(token) : undefined;
    if (record?.type !== route.type) return clerkError(res, 404, 'resource_not_found', 'token not found');
    const expiration = record.json['expiration'];
    const expired = record.json['expired'] === true || (typeof expiration === 'number' && expiration <= Date.now());
    answer(res, 200, { ...record.json, expired });
  }

  const server = await startLoopbackServer(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) clerkError(res, 500, 'internal_clerk_error', 'internal error');
      });
    },
    {
      ...(options.host === undefined ? {} : { host: options.host }),
      port,
      onStop: () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
      },
    },
  );

  function issue(type: ClerkMachineTokenType, issueOptions: TestMachineTokenOptions = {}): string {
    if (!Object.hasOwn(PREFIXES, type)) throw new ClerkConfigError("type must be 'm2m_token', 'api_key' or 'oauth_token'.", 'type');
    assertKnownOptions(issueOptions, ISSUE_OPTIONS, 'issue');
    const { subject = type === 'm2m_token' ? 'mch_test' : 'user_test', scopes = [], claims, name = 'test-key', clientId = 'client_test', audience } = issueOptions;
    const lifetime = issueOptions.expiresInSeconds === undefined ? 3600 : issueOptions.expiresInSeconds;
    if (lifetime !== null && (typeof lifetime !== 'number' || !Number.isFinite(lifetime))) throw new TypeError('expiresInSeconds must be a finite number or null.');
    // API keys are base64 (with + and /) like Clerk's; the others base64url.
    const secret = type === 'api_key' ? randomBytes(33).toString('base64') : randomBytes(24).toString('base64url');
    const token = `${PREFIXES[type]}${secret}`;
    const now = Date.now();
    const id = `${type === 'm2m_token' ? 'mt' : type === 'api_key' ? 'ak' : 'oat'}_id_${randomBytes(12).toString('hex')}`;
    const common = {
      id,
      subject,
      scopes: [...scopes],
      revoked: false,
      revocation_reason: null,
      expired: false,
      expiration: lifetime === null ? null : now + Math.trunc(lifetime * 1000),
      created_at: now,
      updated_at: now,
    };
    const json: Record<string, unknown> =
      type === 'm2m_token'
        ? { object: 'machine_to_machine_token', ...common, claims: claims === undefined ? null : { ...claims } }
        : type === 'api_key'
          ? { object: 'api_key', type: 'api_key', name, ...common, claims: claims === undefined ? null : { ...claims }, created_by: null, description: null, last_used_at: null }
          : { object: 'clerk_idp_oauth_access_token', type: 'oauth:access_token', client_id: clientId, ...common, ...(audience === undefined ? {} : { aud: audience }) };
    tokens.set(token, { type, json });
    return token;
  }

  const recordOf = (token: string): TokenRecord => {
    const record = tokens.get(token);
    if (record === undefined) throw new TypeError('The test Backend API did not issue this token.');
    return record;
  };

  return {
    apiUrl: server.origin,
    port: server.port,
    secretKey,
    machineSecretKey,
    env: Object.freeze({ [ENV_VARS.apiUrl]: server.origin, [ENV_VARS.secretKey]: secretKey, [ENV_VARS.machineSecretKey]: '' }),
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next: TestBackendApiBehaviour) {
      state.behaviour = next;
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(next: number) {
      state.slowMs = next;
    },
    get requests() {
      return requestsByType.m2m_token + requestsByType.api_key + requestsByType.oauth_token;
    },
    get requestsByType() {
      return { ...requestsByType };
    },
    get requestsByKey() {
      return { ...requestsByKey };
    },
    issue,
    revoke(token) {
      Object.assign(recordOf(token).json, { revoked: true, revocation_reason: 'revoked by test' });
    },
    expire(token) {
      Object.assign(recordOf(token).json, { expired: true, expiration: Date.now() - 1000 });
    },
    forget(token) {
      tokens.delete(token);
    },
    stop: () => server.stop(),
    start: () => (state.closed ? Promise.reject(new Error('The test Backend API is closed: create a new one.')) : server.start()),
    close: () => {
      state.closed = true;
      return server.close();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
