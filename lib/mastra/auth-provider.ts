import { toAuth } from '../authorization/auth-object';
import { createSessionCookieAuthenticator, type SessionCookieAuthenticator, type SessionCookieRequest, type SessionCookieToken } from '../verification/authenticate-session-cookies';
import { authorize, type AuthorizeUser } from '../authorization/authorize';
import { createClerkBackendClient, type ClerkBackendClient, type ClerkBackendUser } from '../backend-api/backend-api-client';
import type { ClerkTokenType, ClerkUser } from '../verification/claims';
import { readOptionOrEnv, resolveEnv } from '../shared/env-vars';
import { assertKnownOptions, checkBoolean, optionNames } from '../shared/option-checks';
import { VERIFIER_OPTIONS, type ClerkVerifierOptions } from '../verification/verifier-options';
import { BackendApiUnavailableError, ClerkAuthError, ClerkConfigError, InsufficientScopeError, InvalidRequestError, InvalidTokenError, MissingTokenError } from '../shared/errors';
import { extractBearerToken, looksLikeBearer, OWS_AROUND } from '../verification/extract-token';
import { loggableRequestId, loggerOf, report, type ClerkLogger } from '../shared/logger';
import { assertCookieAccepted, isSessionOnly, type AcceptsToken, type ClerkPrincipalOf } from '../machine-tokens/accepted-token-types';
import { isMachineUser, type ClerkPrincipal } from '../machine-tokens/machine-principal';
import { acceptedTypesFor, acceptingVerification, sharedOrNewVerifier, type ClerkVerifier } from '../verification/verify-token';

/** A method of a Mastra route rule. (`ALL` is in Mastra's type but matches no request in these lists.) */
export type MastraRouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * One entry of Mastra's `public` / `protected` lists: a path pattern (`/api/health`,
 * `/api/agents/*`, `/api/agents/:agentId`), a RegExp tested against the path, or a pattern with the
 * methods it applies to (`['/api/agents', 'GET']`, `['/api/agents', ['GET', 'POST']]`).
 */
export type MastraRoutePattern = string | RegExp | [string, MastraRouteMethod | MastraRouteMethod[]];

/** What {@link MastraAuthProviderOptions} accepts for `public` and `protected` (read-only arrays too). */
export type MastraRoutePatterns = readonly (string | RegExp | readonly [string, MastraRouteMethod | readonly MastraRouteMethod[]])[];

/**
 * A Clerk user as Mastra Studio shows it (Mastra's `User`: `id`, `email`, `name`, `avatarUrl`). The
 * profile fields come from Clerk's Backend API and are absent when there is no secret key, the user
 * has no such field, or the Backend API could not answer.
 */
export interface ClerkMastraProfile {
  /** The Clerk user id, `user_…`. */
  id: string;
  /** Primary email address. */
  email?: string;
  /** First and last name, else the username. */
  name?: string;
  /** Profile image URL. */
  avatarUrl?: string;
}

/** The signed-in user of a request ({@link ClerkMastraAuthProvider.getCurrentUser}): the profile plus what the token says. */
export interface ClerkMastraUser extends ClerkMastraProfile {
  /** `session_token`, or the machine token type (then `id` is the token's `sub`, and there is no profile). */
  tokenType: ClerkTokenType;
  /** Session id (`sid`); `null` for tokens without one. */
  sessionId: string | null;
  /** Active organization id (v1 `org_id`, v2 `o.id`); `null` without one. */
  orgId: string | null;
  /** Role in the active organization, with the `org:` prefix (e.g. `org:admin`). */
  orgRole: string | null;
  /** Slug of the active organization. */
  orgSlug: string | null;
}

/**
 * Options of {@link createMastraAuthProvider}: those of the verifier (or a shared `verifier`),
 * `acceptsToken`, `sessionCookie`, `authorizeUser`, Mastra's own provider options (`public`,
 * `protected`, `mapUserToResourceId`) and `backendClient` for Studio's user profile. `A` is the
 * `acceptsToken` value, which types the users the provider hands Mastra.
 */
export interface MastraAuthProviderOptions<A extends AcceptsToken = 'session_token'> extends ClerkVerifierOptions {
  /**
   * Which Clerk tokens the provider accepts, as `clerkAuth()`'s option: `'session_token'`,
   * `'m2m_token'`, `'api_key'`, `'oauth_token'`, `'any'`, or a list of the first four. Agents and
   * services calling Mastra with machine tokens need e.g. `['session_token', 'm2m_token']`. A token
   * of another type is refused (Mastra answers 401). Default is `'session_token'`.
   */
  acceptsToken?: A | undefined;
  /**
   * When true, a request without a Bearer `Authorization` header may carry the session token in
   * Clerk's cookies (`__session` + `__client_uat`), judged by the same rules as
   * `clerkAuth({ sessionCookie: true })` (Mastra Studio served from your app's origin). Needs
   * `publishableKey`, `authorizedParties`, and session tokens among `acceptsToken`. Default is false.
   */
  sessionCookie?: boolean | undefined;
  /**
   * Runs after verification with the verified principal (session claims, or a machine principal
   * when `acceptsToken` lets machine tokens in) and Mastra's request; only `true` allows (Mastra
   * answers 403 otherwise). Default allows every verified principal of an accepted type.
   */
  authorizeUser?: AuthorizeUser<unknown, ClerkPrincipalOf<NoInfer<A>>> | undefined;
  /** A verifier from `createClerkVerifier()` to share with `clerkAuth()`. Default creates one. */
  verifier?: ClerkVerifier | undefined;
  /**
   * Paths Mastra serves without authentication, added to Mastra's own (`/api`, `/api/auth/*`).
   * Same entries as Mastra's option. An entry that would open every Mastra route (such as
   * `'/api/*'`), a RegExp with the `g` or `y` flag, or a method Mastra never matches is a
   * `ClerkConfigError`. Default is none.
   */
  public?: MastraRoutePatterns | undefined;
  /**
   * Paths that need authentication, added to Mastra's own (`/api/*`). Same entries as Mastra's
   * option. Default is none (Mastra's `/api/*` already covers its routes).
   */
  protected?: MastraRoutePatterns | undefined;
  /**
   * The Mastra resource id of a verified user: memory threads, working memory and workflow runs
   * belong to it, and Mastra refuses a request for another resource's thread or run. Return ids
   * that cannot collide between users and organizations (Clerk's `user_` and `org_` ids cannot).
   * Default is the user id, `sub`: every user has their own threads. For machine tokens `sub` too:
   * an M2M token gets the machine's own threads (`mch_…`), an API key or OAuth access token those
   * of the user (or organization) it belongs to.
   */
  mapUserToResourceId?: ((user: ClerkPrincipalOf<NoInfer<A>>) => string | null | undefined) | undefined;
  /**
   * Where {@link ClerkMastraAuthProvider.getCurrentUser} and `getUser` read profiles (name, email,
   * image): a client from `createClerkBackendClient()`, cached per user. `false` never calls the
   * Backend API. Default is a new client when a secret key is set (`secretKey` or
   * `CLERK_SECRET_KEY`), else none (profiles hold the id alone).
   */
  backendClient?: ClerkBackendClient | false | undefined;
}

/**
 * The auth provider Mastra's server calls, as `server.auth` (Mastra 1.x). Mastra recognises a
 * provider by its methods, so this plain object works without `@mastra/core` as a dependency.
 * `TUser` is what `acceptsToken` lets in: session claims by default.
 */
export interface ClerkMastraAuthProvider<TUser extends ClerkPrincipal = ClerkUser> {
  /** The provider name (the verifier's `name`). */
  readonly name: string;
  /** Extra public paths, when the `public` option was given. */
  readonly public?: MastraRoutePattern[];
  /** Extra protected paths, when the `protected` option was given. */
  readonly protected?: MastraRoutePattern[];
  /**
   * The verified claims (or machine principal), or `null` when the request carries no acceptable
   * token (Mastra then answers 401). The token is the one of the request's `Authorization: Bearer`
   * header: Mastra's `token` argument must be that one, and a token Mastra took from elsewhere
   * (the `?apiKey=` query parameter) is refused. With `sessionCookie`, a request without a Bearer
   * header may carry the session token in Clerk's cookies. Without a readable request, `token`
   * alone counts (a `Bearer ` prefix is tolerated).
   *
   * @throws {JwksUnavailableError} (503) when the signing keys cannot be loaded, and
   *   {@link BackendApiUnavailableError} (503) when the Backend API cannot judge an opaque machine
   *   token: an outage is not a bad token. (Mastra's server logs it and answers its own 401.)
   */
  authenticateToken(token: string, request?: unknown): Promise<TUser | null>;
  /**
   * Whether the user may go on (Mastra answers 403 on `false`).
   *
   * @throws whatever `authorizeUser` throws, such as a Backend API 503; Mastra answers 500.
   */
  authorizeUser(user: TUser, request?: unknown): Promise<boolean>;
  /** The resource id Mastra scopes memory and workflow runs with: `mapUserToResourceId`, default `sub`. */
  mapUserToResourceId(user: TUser): string | null | undefined;
  /**
   * For Mastra Studio (`GET /api/auth/me`): the signed-in user of `request`, authenticated as
   * `authenticateToken` does, with the Backend API profile when there is a client. `null` when
   * the request has no acceptable token, or Clerk no longer knows the user. A Backend API outage
   * leaves the profile fields out; it never changes who is signed in. For a machine token: its
   * `sub` as `id` and its `tokenType`, without a profile or organization.
   *
   * @throws {JwksUnavailableError} (503) when the signing keys cannot be loaded.
   */
  getCurrentUser(request: unknown): Promise<ClerkMastraUser | null>;
  /**
   * A user's profile by id, for Mastra to show authors. `null` without a Backend API client, for
   * an id that is not a Clerk user id, or when Clerk does not know the user.
   *
   * @throws {BackendApiUnavailableError} (503) when the Backend API cannot answer.
   */
  getUser(userId: string): Promise<ClerkMastraProfile | null>;
}

const PROVIDER_OPTIONS = optionNames<Omit<MastraAuthProviderOptions, keyof ClerkVerifierOptions>>({
  acceptsToken: true,
  sessionCookie: true,
  authorizeUser: true,
  verifier: true,
  public: true,
  protected: true,
  mapUserToResourceId: true,
  backendClient: true,
});
const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
// Paths every Mastra server serves behind auth; a `public` entry matching all of them opens the API.
const MASTRA_ROUTES = ['/api/agents', '/api/agents/weather/generate', '/api/memory/threads', '/api/workflows'];

/**
 * A Mastra auth provider over the same verifier as `clerkAuth()`, so one configuration serves an
 * Express app and a Mastra server:
 * `new Mastra({ server: { auth: createMastraAuthProvider({ authorizedParties }) } })`.
 *
 * @throws {ClerkConfigError} when the options or environment cannot work.
 */
export function createMastraAuthProvider<const A extends AcceptsToken = 'session_token'>(options: MastraAuthProviderOptions<A> = {}): ClerkMastraAuthProvider<ClerkPrincipalOf<A>> {
  assertKnownOptions(options, [...VERIFIER_OPTIONS, ...PROVIDER_OPTIONS], 'createMastraAuthProvider');
  const {
    acceptsToken,
    sessionCookie: cookieOption,
    authorizeUser,
    verifier: shared,
    public: publicOption,
    protected: protectedOption,
    mapUserToResourceId: mapOption,
    backendClient: clientOption,
    ...verifierOptions
  } = options;
  if (authorizeUser !== undefined && typeof authorizeUser !== 'function') {
    throw new ClerkConfigError('authorizeUser must be a function (user, request) => boolean | Promise<boolean>.', 'authorizeUser');
  }
  if (mapOption !== undefined && typeof mapOption !== 'function') {
    throw new ClerkConfigError('mapUserToResourceId must be a function (user) => string; leave it out to scope memory by user id.', 'mapUserToResourceId');
  }
  const publicPaths = checkRoutePatterns(publicOption, 'public');
  const protectedPaths = checkRoutePatterns(protectedOption, 'protected');
  const verifier = sharedOrNewVerifier(shared, verifierOptions, 'createMastraAuthProvider');
  const accepted = acceptedTypesFor(verifier.config, acceptsToken);
  const readCookies: SessionCookieAuthenticator | null = checkBoolean(cookieOption, 'sessionCookie') ? (assertCookieAccepted(accepted), createSessionCookieAuthenticator(verifier)) : null;
  const sessionOnly = isSessionOnly(accepted);
  const verifyAccepted = acceptingVerification(verifier);
  const backend = resolveBackendClient(clientOption, shared === undefined ? verifierOptions : {});
  const realm = verifier.config.name;
  const logger = loggerOf(verifier);
  type User = ClerkPrincipalOf<A>;

  /**
   * The one place where a request's credentials are found (credentialsOf) and verified, for
   * authenticateToken and getCurrentUser (`token` is undefined there). Refusals are `null`;
   * outages throw. A cookie holds a session token only, whatever `acceptsToken` says.
   */
  async function authenticate(token: string | undefined, request: unknown): Promise<User | null> {
    try {
      const found = credentialsOf(token, request);
      if (found.check !== null) {
        const claims = await verifier.verify(found.token);
        const refusal = found.check(claims);
        if (refusal !== null) throw refusal;
        return claims as User;
      }
      return (sessionOnly ? await verifier.verify(found.token) : await verifyAccepted(found.token, accepted)) as User;
    } catch (error) {
      if (!(error instanceof InvalidTokenError || error instanceof MissingTokenError || error instanceof InvalidRequestError)) throw error;
      refused(logger, realm, error, request);
      return null;
    }
  }

  /**
   * The token to verify. With a request whose headers can be read, it is the Bearer token of its
   * `Authorization` header and nothing else, or with `sessionCookie` (and no Bearer header) the
   * session token of Clerk's cookies, with the checks its claims must pass; otherwise Mastra's
   * `token` argument: a bare token, or `Bearer <token>` in the one spelling the header may have
   * (so `bearer <token>` is refused here as in the header: Clerk would not read it).
   *
   * @throws {MissingTokenError | InvalidRequestError | InvalidTokenError} when there is none, or it is malformed.
   */
  function credentialsOf(token: string | undefined, request: unknown): { token: string; check: SessionCookieToken['check'] | null } {
    const authorization = headerOf(request, 'authorization');
    const given = tokenArgument(token, realm);
    if (authorization === undefined) {
      if (given === '') throw new MissingTokenError({ realm });
      return { token: given, check: null };
    }
    const fromHeader = authorization === null ? null : extractBearerToken(authorization, realm);
    if (fromHeader === null) {
      // No Authorization header, yet a token: Mastra took it from the URL (?apiKey=).
      if (authorization === null && given !== '') {
        throw new InvalidRequestError('the token must be sent in the Authorization header (Bearer), not in the URL', { realm });
      }
      const cookieRequest = readCookies === null ? null : cookieRequestOf(request);
      if (readCookies === null || cookieRequest === null) throw new MissingTokenError({ realm });
      const cookies = readCookies(cookieRequest);
      if (cookies.token === null) throw cookies.error;
      return { token: cookies.token, check: cookies.check };
    }
    if (token !== undefined && given !== fromHeader) {
      throw new InvalidRequestError('the token Mastra passed is not the Bearer token of the Authorization header', { realm });
    }
    return { token: fromHeader, check: null };
  }

  async function authenticateToken(token: string, request?: unknown): Promise<User | null> {
    return authenticate(typeof token === 'string' ? token : '', request);
  }

  async function authorizeUserFn(user: User, request?: unknown): Promise<boolean> {
    if (typeof user !== 'object' || user === null || typeof user.sub !== 'string' || user.sub === '') return false;
    if (authorizeUser === undefined) return true;
    try {
      await authorize(authorizeUser as AuthorizeUser<unknown, User>, user, request, realm);
      return true;
    } catch (error) {
      if (!(error instanceof InsufficientScopeError)) throw error;
      refused(logger, realm, error, request);
      return false;
    }
  }

  function mapUserToResourceId(user: User): string | null | undefined {
    return mapOption === undefined ? user.sub : mapOption(user);
  }

  /** The profile of `userId`: `null` when Clerk does not know the user; without profile fields during an outage when `lenient`. */
  async function profileOf(userId: string, lenient: boolean): Promise<ClerkMastraProfile | null> {
    if (backend === null) return { id: userId };
    let found: ClerkBackendUser | null;
    try {
      found = await backend.getUser(userId);
    } catch (error) {
      if (error instanceof TypeError) return null; // not a Clerk user id
      if (lenient && error instanceof BackendApiUnavailableError) return { id: userId };
      throw error;
    }
    return found === null ? null : toProfile(found);
  }

  async function getCurrentUser(request: unknown): Promise<ClerkMastraUser | null> {
    const user: ClerkPrincipal | null = await authenticate(undefined, request);
    if (user === null) return null;
    // A machine has no Clerk user profile to show (an API key's or OAuth token's owner is not who is at the keyboard).
    if (isMachineUser(user)) return { id: user.sub, tokenType: user.tokenType, sessionId: null, orgId: null, orgRole: null, orgSlug: null };
    const profile = await profileOf(user.sub, true);
    if (profile === null) return null;
    const auth = toAuth(user);
    return { ...profile, id: user.sub, tokenType: 'session_token', sessionId: auth.sessionId, orgId: auth.orgId, orgRole: auth.orgRole, orgSlug: auth.orgSlug };
  }

  async function getUser(userId: string): Promise<ClerkMastraProfile | null> {
    if (backend === null || typeof userId !== 'string') return null;
    return profileOf(userId, false);
  }

  return Object.freeze({
    name: realm,
    ...(publicPaths === undefined ? {} : { public: publicPaths }),
    ...(protectedPaths === undefined ? {} : { protected: protectedPaths }),
    authenticateToken,
    authorizeUser: authorizeUserFn,
    mapUserToResourceId,
    getCurrentUser,
    getUser,
  });
}

/**
 * What the session-cookie rules read of the request Mastra passes: its Fetch `Request` (Mastra's
 * Hono and Express adapters both pass one, wrapped as `{ raw, headers, header() }`), or a Node
 * request (`method`, `originalUrl`/`url`, `headers`). `null` when it is neither.
 */
function cookieRequestOf(request: unknown): SessionCookieRequest | null {
  if (typeof request !== 'object' || request === null) return null;
  const raw = request instanceof Request ? request : (request as { raw?: unknown }).raw;
  if (raw instanceof Request) return { method: raw.method, url: raw.url, headers: raw.headers };
  const { method, url, originalUrl, headers, socket } = request as { method?: unknown; url?: unknown; originalUrl?: unknown; headers?: unknown; socket?: { encrypted?: unknown } };
  const target = typeof originalUrl === 'string' ? originalUrl : url;
  if (typeof method !== 'string' || typeof target !== 'string' || typeof headers !== 'object' || headers === null) return null;
  return { method, url: target, secure: socket?.encrypted === true, headers: headers as SessionCookieRequest['headers'] };
}

/**
 * A header of the request Mastra passes: a Fetch `Request`, Hono's request (`raw`, `header()`), or
 * an object with `headers` (Fetch `Headers` or Node's plain object). `null` when the request has
 * no such header; `undefined` when its headers cannot be read at all.
 */
function headerOf(request: unknown, name: string): string | null | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  if (request instanceof Request) return request.headers.get(name);
  const { raw, headers, header } = request as { raw?: unknown; headers?: unknown; header?: unknown };
  if (raw instanceof Request) return raw.headers.get(name);
  if (headers instanceof Headers) return headers.get(name);
  if (typeof header === 'function') {
    const value: unknown = (header as (name: string) => unknown).call(request, name);
    return typeof value === 'string' ? value : null;
  }
  if (typeof headers === 'object' && headers !== null) {
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
    const value: unknown = entry?.[1];
    if (Array.isArray(value)) return value.length === 1 && typeof value[0] === 'string' ? value[0] : value.length === 0 ? null : value.join(', ');
    return typeof value === 'string' ? value : null;
  }
  return undefined;
}

/** Reports a refusal to the logger's `event` hook: Mastra's own answer says nothing of why. */
function refused(logger: ClerkLogger | null, realm: string, error: ClerkAuthError, request: unknown): void {
  if (logger?.event === undefined) return;
  const requestId = loggableRequestId(headerOf(request, 'x-request-id'));
  report(logger, {
    type: 'request_refused',
    name: realm,
    code: error.code,
    // What Mastra answers: 401 for every authentication refusal, 403 for authorizeUser's.
    status: error instanceof InsufficientScopeError ? 403 : 401,
    ...(error instanceof InvalidTokenError ? { reason: error.reason } : {}),
    ...(requestId === undefined ? {} : { requestId }),
  });
}

function resolveBackendClient(option: unknown, verifierOptions: ClerkVerifierOptions): ClerkBackendClient | null {
  if (option === false) return null;
  if (option !== undefined) {
    if (typeof option !== 'object' || option === null || typeof (option as ClerkBackendClient).getUser !== 'function') {
      throw new ClerkConfigError('backendClient must come from createClerkBackendClient(), or be false.', 'backendClient');
    }
    return option as ClerkBackendClient;
  }
  const { secretKey, apiUrl, env } = verifierOptions;
  // The verifier made from these options has already checked them (types included).
  const environment = resolveEnv(env);
  if (readOptionOrEnv(secretKey, environment, 'secretKey') === undefined) return null;
  return createClerkBackendClient({ secretKey, apiUrl, env: environment });
}

function toProfile(user: ClerkBackendUser): ClerkMastraProfile {
  const fullName = [user.firstName, user.lastName].filter((part) => part !== null && part !== '').join(' ');
  const name = fullName === '' ? user.username : fullName;
  return {
    id: user.id,
    ...(user.primaryEmailAddress === null ? {} : { email: user.primaryEmailAddress.emailAddress }),
    ...(name === null || name === '' ? {} : { name }),
    ...(user.imageUrl === null ? {} : { avatarUrl: user.imageUrl }),
  };
}

/**
 * Checks a `public` or `protected` list once, at startup: Mastra reads it on every request and
 * silently ignores (or, for a string spread into characters, widens) what it does not expect.
 *
 * @throws {ClerkConfigError} naming the option.
 */
function checkRoutePatterns(value: unknown, option: 'public' | 'protected'): MastraRoutePattern[] | undefined {
  if (value === undefined) return undefined;
  const fail = (problem: string): never => {
    throw new ClerkConfigError(`${option} ${problem}`, option);
  };
  if (!Array.isArray(value)) fail(`must be an array of paths, e.g. ['/api/health'] (a string would be read character by character).`);
  const patterns: MastraRoutePattern[] = [];
  for (const entry of value as unknown[]) {
    let pattern: MastraRoutePattern;
    if (typeof entry === 'string') {
      pattern = checkPath(entry, fail);
    } else if (entry instanceof RegExp) {
      if (entry.global || entry.sticky) fail(`has ${String(entry)}: a RegExp with the g or y flag matches every other request only; drop the flag.`);
      pattern = entry;
    } else if (Array.isArray(entry)) {
      if (entry.length !== 2) fail('entries that are arrays must be [path, method] or [path, [methods]].');
      const path = checkPath(entry[0], fail);
      const methods: unknown = entry[1];
      const list = Array.isArray(methods) ? methods : [methods];
      if (list.length === 0) fail(`has no method for ${JSON.stringify(path)}: give one of ${METHODS.join(', ')}, or the path alone for every method.`);
      for (const method of list) {
        if (typeof method !== 'string' || !METHODS.includes(method)) {
          fail(
            `has the method ${JSON.stringify(method)} for ${JSON.stringify(path)}, which Mastra never matches: use one of ${METHODS.join(', ')} (upper case), or the path alone for every method.`,
          );
        }
      }
      pattern = [path, Array.isArray(methods) ? (Object.freeze([...(methods as MastraRouteMethod[])]) as MastraRouteMethod[]) : (methods as MastraRouteMethod)];
    } else {
      pattern = fail(`entries must be path strings, RegExps or [path, methods] pairs, not ${entry === null ? 'null' : typeof entry}.`);
    }
    if (option === 'public' && MASTRA_ROUTES.every((path) => patternMatches(pattern, path))) {
      fail(`entry ${String(Array.isArray(pattern) ? pattern[0] : pattern)} would make every Mastra route public; list the paths that must be public instead.`);
    }
    patterns.push(Array.isArray(pattern) ? (Object.freeze(pattern) as MastraRoutePattern) : pattern);
  }
  return Object.freeze(patterns) as MastraRoutePattern[];
}

function checkPath(path: unknown, fail: (problem: string) => never): string {
  if (typeof path !== 'string' || path.trim() === '' || /\s/.test(path)) fail(`paths must be non-empty strings without spaces, such as '/api/health'.`);
  try {
    pathPattern(path);
  } catch {
    fail(`has ${JSON.stringify(path)}, which Mastra cannot turn into a path matcher (it reads path segments as regular expressions).`);
  }
  return path;
}

/**
 * Whether a `public` entry matches `path` as Mastra's matcher does: segments are literal, `:name`
 * (one segment), `:name?` (optional) or `*` (the rest, possibly empty), case-insensitively. The
 * method of a [path, methods] entry does not matter here: opening every route for one method is
 * as bad.
 */
function patternMatches(pattern: MastraRoutePattern, path: string): boolean {
  return (pattern instanceof RegExp ? pattern : pathPattern(Array.isArray(pattern) ? pattern[0] : pattern)).test(path);
}

/**
 * The RegExp Mastra's matcher builds from a path pattern: segments are literal, `:name` (one
 * segment), `:name?` (optional) or `*` (the rest), case-insensitive, up to the first empty
 * segment. Like Mastra's, literal segments are not escaped (`/api/.*` is a regular expression).
 *
 * @throws {SyntaxError} when the result is not a valid regular expression.
 */
function pathPattern(text: string): RegExp {
  let source = '';
  for (const segment of text.split('/').filter((part, index) => index > 0 || part !== '')) {
    if (segment === '') break;
    if (segment.startsWith('*')) source += segment[1] === '?' ? '(?:/.*)?' : '/.*';
    else if (segment.startsWith(':')) source += segment.includes('?') ? '(?:/[^/]+?)?' : '/[^/]+?';
    else source += `/${segment}`;
  }
  return new RegExp(`^${source}/?$`, 'i');
}

/**
 * Mastra's `token` argument as a token: a bare token (spaces and tabs around it ignored, as Node
 * ignores them around a header), or `Bearer <token>` spelled exactly as the header must be.
 *
 * @throws {InvalidRequestError} for any other spelling of Bearer credentials.
 */
function tokenArgument(token: string | undefined, realm: string): string {
  if (typeof token !== 'string') return '';
  return looksLikeBearer(token) ? (extractBearerToken(token, realm) ?? '') : token.replace(OWS_AROUND, '');
}
