/**
 * A local stand-in for a Clerk instance, for tests and offline development: an RSA key pair, a
 * JWKS endpoint on a loopback address, and a minting function. It signs any token it is asked for,
 * so it refuses to listen anywhere but loopback and is exported only from
 * `express-clerk-jwt/testing`, never from the main entry point.
 */
import http, { type RequestListener } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { CompactSign, exportSPKI } from '../shared/jose';
import { assertKnownOptions, checkBoolean, optionNames } from '../shared/option-checks';
import { ENV_VARS } from '../shared/env-vars';
import { ClerkConfigError } from '../shared/errors';
import type { PublicJwk } from './public-jwk';
import { createSigningKey, type SigningKey } from './signing-key';
import { buildMachineClaims, buildSessionClaims, type MachineMintOptions, type MintOptions } from './test-tokens';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /**
   * Loopback address to listen on: `127.0.0.1`, another `127.x.x.x`, or `::1`. Anything else is
   * refused: the issuer signs whatever it is asked and must not be reachable from another machine.
   * Default is `127.0.0.1`.
   */
  host?: string | undefined;
  /** Port to listen on. Default is 0 (a free port chosen by the system). */
  port?: number | undefined;
  /** `kid` of the first signing key. Default is a random `ins_test_…`. */
  kid?: string | undefined;
  /**
   * `azp` of minted tokens: the origin of the page that would have asked for them. It is also
   * what `env` puts in `CLERK_AUTHORIZED_PARTIES`. Default is `http://localhost:3000`.
   */
  authorizedParty?: string | undefined;
  /** Session token version minted by default: 1 or 2. Default is 1. */
  version?: 1 | 2 | undefined;
}

/** A running test issuer. See {@link createTestIssuer}. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>`: the `iss` of minted tokens, and what the package derives from `jwksUri`. */
  readonly issuer: string;
  /** `<issuer>/.well-known/jwks.json`: give it to `clerkAuth({ jwksUri })`. */
  readonly jwksUri: string;
  readonly port: number;
  /**
   * Environment variables that point the package at this issuer: `CLERK_JWKS_URI`,
   * `CLERK_AUTHORIZED_PARTIES`, and the other key variables blank (blank counts as unset), so
   * that `clerkAuth({ env: issuer.env })`, or these values copied into `process.env`, use this
   * issuer and nothing else.
   */
  readonly env: Readonly<Record<string, string>>;
  /** `kid` of the current signing key. */
  readonly kid: string;
  /** Public keys currently served, as JWKs. */
  readonly keys: readonly PublicJwk[];
  /** Number of JWKS requests served so far. */
  readonly jwksRequests: number;
  /**
   * Signs a Clerk-shaped session token: `sub: "user_test"`, `sid: "sess_test"`, `azp`, `iss`,
   * `iat` now, `nbf` ten seconds ago, `exp` in 60 seconds, `fva`; v2 adds `v`, `jti`, `sts`.
   * `claims` win over every default and option; an `undefined` claim is removed.
   *
   * @throws {ClerkConfigError} for an unknown option (a misspelt one must not be ignored).
   * @throws {TypeError} when the options cannot be expressed (e.g. `pending` in a v1 token).
   */
  mint(claims?: Readonly<Record<string, unknown>>, options?: MintOptions): Promise<string>;
  /**
   * Signs a Clerk-shaped M2M token (JWT format), for routes with `acceptsToken` including
   * `m2m_token`: header `cat: cl_B7d4PD333AAA` (see `category`), `sub: "mch_test"`,
   * `jti: "mt_…"`, `iss`, `iat` now, `nbf` ten seconds ago, `exp` in an hour, `scopes` and `aud`
   * when asked. `claims` win (e.g. `{ sub: 'mch_reports' }`); an `undefined` claim is removed.
   *
   * @throws {ClerkConfigError} for an unknown option.
   * @throws {TypeError} when the options cannot be expressed.
   */
  mintM2M(claims?: Readonly<Record<string, unknown>>, options?: MachineMintOptions): Promise<string>;
  /**
   * Signs a Clerk-shaped OAuth access token (JWT format, RFC 9068), for routes with
   * `acceptsToken` including `oauth_token`: header `typ: at+jwt`, `sub: "user_test"`,
   * `client_id: "client_test"`, `jti: "oat_…"`, `iss`, `iat`, `nbf`, `exp` in an hour, `scp` and
   * `aud` when asked. `claims` win; an `undefined` claim is removed.
   *
   * @throws {ClerkConfigError} for an unknown option.
   * @throws {TypeError} when the options cannot be expressed.
   */
  mintOAuth(claims?: Readonly<Record<string, unknown>>, options?: MachineMintOptions): Promise<string>;
  /**
   * Makes a new signing key (a new `kid`) and serves it. The old key stops being served unless
   * `keepPrevious` is true. Returns the new `kid`.
   */
  rotateKey(options?: { keepPrevious?: boolean | undefined }): Promise<string>;
  /** The current public key as SPKI PEM, for `clerkAuth({ jwtKey })` (no network at all). */
  publicKeyPem(): Promise<string>;
  /** Takes the JWKS endpoint down (connections refused), to test an outage; `start()` brings it back. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops for good. Safe to call twice. */
  close(): Promise<void>;
}

/** A node:http server on a loopback address that can go down and come back on the same port. */
export interface LoopbackServer {
  /** `http://<host>:<port>`. */
  readonly origin: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops if listening. */
  close(): Promise<void>;
}

/** Where {@link startLoopbackServer} listens, and what it does when it stops. */
export interface LoopbackServerOptions {
  /** A loopback IP address. Default is `127.0.0.1`. */
  host?: string | undefined;
  /** Default is 0 (a free port). */
  port?: number | undefined;
  /** Runs on every stop, before open connections are dropped. */
  onStop?: (() => void) | undefined;
}

/**
 * Starts `handler` on a loopback address.
 *
 * @throws {ClerkConfigError} when `host` is not a loopback address.
 */
export async function startLoopbackServer(handler: RequestListener, options: LoopbackServerOptions = {}): Promise<LoopbackServer> {
  const { host = '127.0.0.1', port = 0, onStop } = options;
  checkLoopback(host);
  const server = http.createServer(handler);
  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      onStop?.();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(port);
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound}`,
    port: bound,
    stop,
    start: () => listen(bound),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}

const TEST_ISSUER_OPTIONS = optionNames<TestIssuerOptions>({ host: true, port: true, kid: true, authorizedParty: true, version: true });
const MINT_OPTIONS = optionNames<MintOptions>({ version: true, expiresInSeconds: true, organization: true, pending: true, kid: true });
const M2M_MINT_OPTIONS = optionNames<Omit<MachineMintOptions, 'type'>>({ scopes: true, audience: true, expiresInSeconds: true, kid: true, category: true });
const OAUTH_MINT_OPTIONS = optionNames<Omit<MachineMintOptions, 'category'>>({ scopes: true, audience: true, expiresInSeconds: true, kid: true, type: true });
const ROTATE_KEY_OPTIONS = optionNames<NonNullable<Parameters<TestIssuer['rotateKey']>[0]>>({ keepPrevious: true });
const M2M_TOKEN_CATEGORY = 'cl_B7d4PD333AAA';
const JWKS_PATH = '/.well-known/jwks.json';
const SESSION_TOKEN_CATEGORY = 'cl_B7d4PD111AAA';

/**
 * Starts a local issuer of Clerk-shaped session tokens on 127.0.0.1 (a free port by default), for
 * testing apps protected by `clerkAuth()` without Clerk and without network.
 *
 * ```ts
 * const issuer = await createTestIssuer();
 * const app = createApp({ env: issuer.env });
 * await request(app).get('/api/agents').set('Authorization', `Bearer ${await issuer.mint()}`); // 200
 * await issuer.close();
 * ```
 *
 * @throws {ClerkConfigError} when `host` is not a loopback address or an option is malformed.
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  assertKnownOptions(options, TEST_ISSUER_OPTIONS, 'createTestIssuer');
  // Only undefined takes the default: null is a mistake like any other wrong type.
  const host = options.host === undefined ? '127.0.0.1' : options.host;
  checkLoopback(host);
  const authorizedParty = options.authorizedParty === undefined ? 'http://localhost:3000' : options.authorizedParty;
  if (typeof authorizedParty !== 'string' || !isOrigin(authorizedParty)) {
    throw new ClerkConfigError('authorizedParty must be an origin (scheme://host[:port]), e.g. http://localhost:3000.', 'authorizedParty');
  }
  const defaultVersion = options.version === undefined ? 1 : options.version;
  if (defaultVersion !== 1 && defaultVersion !== 2) throw new ClerkConfigError('version must be 1 or 2.', 'version');
  const port = options.port === undefined ? 0 : options.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClerkConfigError('port must be a port number (0 to 65535).', 'port');
  checkKid(options.kid);

  let current = await createSigningKey(options.kid);
  let served: SigningKey[] = [current];
  let jwksRequests = 0;
  let closed = false;

  const server = await startLoopbackServer(
    (req, res) => {
      if (req.method !== 'GET' || req.url !== JWKS_PATH) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
        return;
      }
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ keys: served.map((key) => key.jwk) }));
    },
    { host, port },
  );
  const issuer = server.origin;
  const jwksUri = `${issuer}${JWKS_PATH}`;
  const env = Object.freeze({
    [ENV_VARS.jwksUri]: jwksUri,
    [ENV_VARS.authorizedParties]: authorizedParty,
    [ENV_VARS.jwtKey]: '',
    [ENV_VARS.publishableKey]: '',
    [ENV_VARS.secretKey]: '',
  });

  const sign = (payload: Record<string, unknown>, header: Record<string, string>): Promise<string> =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'RS256', ...header }).sign(current.privateKey);

  return {
    issuer,
    jwksUri,
    port: server.port,
    env,
    get kid() {
      return current.kid;
    },
    get keys() {
      return served.map((key) => key.jwk);
    },
    get jwksRequests() {
      return jwksRequests;
    },
    async mint(claims = {}, mintOptions = {}) {
      assertKnownOptions(mintOptions, MINT_OPTIONS, 'mint');
      checkBoolean(mintOptions.pending, 'pending');
      checkKid(mintOptions.kid);
      const payload = buildSessionClaims({ ...mintOptions, version: mintOptions.version ?? defaultVersion, issuer, authorizedParty }, claims);
      const kid = mintOptions.kid ?? current.kid;
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, cat: SESSION_TOKEN_CATEGORY }).sign(current.privateKey);
    },
    async mintM2M(claims = {}, mintOptions = {}) {
      assertKnownOptions(mintOptions, M2M_MINT_OPTIONS, 'mintM2M');
      checkKid(mintOptions.kid);
      const category = mintOptions.category === undefined ? M2M_TOKEN_CATEGORY : mintOptions.category;
      if (category !== null && (typeof category !== 'string' || category === '')) throw new ClerkConfigError('category must be a non-empty string, or null to leave cat out.', 'category');
      const payload = buildMachineClaims('m2m_token', { ...mintOptions, issuer }, claims);
      return sign(payload, { typ: 'JWT', kid: mintOptions.kid ?? current.kid, ...(category === null ? {} : { cat: category }) });
    },
    async mintOAuth(claims = {}, mintOptions = {}) {
      assertKnownOptions(mintOptions, OAUTH_MINT_OPTIONS, 'mintOAuth');
      checkKid(mintOptions.kid);
      const type = mintOptions.type ?? 'at+jwt';
      if (type !== 'at+jwt' && type !== 'application/at+jwt') throw new ClerkConfigError("type must be 'at+jwt' or 'application/at+jwt'.", 'type');
      const payload = buildMachineClaims('oauth_token', { ...mintOptions, issuer }, claims);
      return sign(payload, { typ: type, kid: mintOptions.kid ?? current.kid });
    },
    async rotateKey(rotateOptions = {}) {
      assertKnownOptions(rotateOptions, ROTATE_KEY_OPTIONS, 'rotateKey');
      const keepPrevious = checkBoolean(rotateOptions.keepPrevious, 'keepPrevious');
      const next = await createSigningKey();
      served = keepPrevious ? [...served, next] : [next];
      current = next;
      return next.kid;
    },
    publicKeyPem: () => exportSPKI(current.publicKey),
    stop: () => server.stop(),
    start: () => (closed ? Promise.reject(new Error('The test issuer is closed: create a new one.')) : server.start()),
    close: () => {
      closed = true;
      return server.close();
    },
  };
}

/** A `kid`, when given, is a non-blank string. */
function checkKid(kid: unknown): void {
  if (kid !== undefined && (typeof kid !== 'string' || kid.trim() === '')) throw new ClerkConfigError('kid must be a non-blank string.', 'kid');
}

/** Only 127.0.0.0/8 and ::1, as IP literals: no name that could resolve elsewhere. */
function checkLoopback(host: string): void {
  const loopback = typeof host === 'string' && ((isIP(host) === 4 && host.startsWith('127.')) || host === '::1');
  if (!loopback) {
    throw new ClerkConfigError(
      `The test issuer listens only on a loopback address (127.0.0.1 or ::1), not "${String(host)}": it signs any token it is asked for and must never be reachable from another machine.`,
      'host',
    );
  }
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
