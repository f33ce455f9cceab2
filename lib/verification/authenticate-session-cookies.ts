import type { ClerkUser } from './claims';
import { ClerkConfigError, InvalidTokenError, MissingTokenError, type InvalidTokenReason } from '../shared/errors';
import { cookieValue, parseCookieHeader, SESSION_COOKIE, sessionCookieSuffix } from './session-cookie';
import type { ClerkVerifier } from './verify-token';

/**
 * Request headers by lower-case name: Node's `req.headers` (`IncomingHttpHeaders`), a plain
 * object, or anything with a Fetch-style `get(name)` such as `Headers` (Hono's `c.req.raw.headers`).
 */
export type SessionCookieHeaders = { get(name: string): string | null | undefined } | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What {@link createSessionCookieAuthenticator}'s function reads of a request; no framework type. */
export interface SessionCookieRequest {
  /** The HTTP method, e.g. `GET`. */
  readonly method: string;
  /**
   * The request URL: absolute (a Fetch `Request#url`), or the request target as Node received it
   * (`req.originalUrl`/`req.url`, `/path?query`). Its query and origin are read.
   */
  readonly url: string;
  /** With a `url` that is not absolute: whether the connection is TLS (Node: `req.socket.encrypted`). Default is false. */
  readonly secure?: boolean | undefined;
  /** The request headers (`cookie`, `origin`, `authorization`, `referer`, `sec-fetch-dest`, `host`, `x-forwarded-host`, `x-forwarded-proto`). */
  readonly headers: SessionCookieHeaders;
}

/** The cookies hold a token to verify. */
export interface SessionCookieToken {
  /** The session token to verify (`verifier.verify(token)`, or a cache look-up). */
  readonly token: string;
  /**
   * The rules that need the verified claims (Clerk's freshness rule `iat >= __client_uat`, machine
   * tokens, cross-origin navigations). Run it on the claims `verify()` returned, or on claims from
   * a cache: `null` means accept; an error means refuse with it (401, whatever `optional` says).
   */
  check(this: void, claims: ClerkUser): InvalidTokenError | null;
}

/** The cookies hold no token to verify, or one that must be refused before verification. */
export interface SessionCookieRefusal {
  readonly token: null;
  /**
   * The 401 to answer: `missing_token` when no session cookie counts (its description says what
   * was found and why it was ignored, never a cookie value), or `invalid_token` with reason
   * `session_refresh_required`, `signed_out` or `malformed`.
   */
  readonly error: MissingTokenError | InvalidTokenError;
  /**
   * True when Clerk's verdict is plainly "signed out" (no session cookie counts, the user signed
   * out, or `__client_uat` is active without `__session`): an optional route may go on
   * anonymously. False when a session cookie was presented and is refused: answer 401 even on
   * optional routes.
   */
  readonly signedOut: boolean;
}

/** See {@link SessionCookieToken} and {@link SessionCookieRefusal}; switch on `token === null`. */
export type SessionCookieOutcome = SessionCookieToken | SessionCookieRefusal;

/** Reads a request's Clerk cookies; made by {@link createSessionCookieAuthenticator}. */
export type SessionCookieAuthenticator = (request: SessionCookieRequest) => SessionCookieOutcome;

const CLIENT_UAT = '__client_uat';
const DEV_BROWSER = '__clerk_db_jwt';
const HANDSHAKE = '__clerk_handshake';
const HANDSHAKE_NONCE = '__clerk_handshake_nonce';
const REDIRECT_URL = '__clerk_redirect_url';
const M2M_SUBJECT_PREFIX = 'mch_';
/** Header `cat` values Clerk counts as a session token (none, session, "ignore"). */
const SESSION_CATEGORIES: readonly unknown[] = [undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III'];
const DIGITS = /^\d+$/;
const BASE64URL_LOOSE = /^[A-Za-z0-9_-]*=*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const decoder = new TextDecoder();
// Clerk's Express SDK puts the request target on this placeholder origin before deriving the real
// one from Host / X-Forwarded-*; nothing may ever count as same-origin with it.
const PLACEHOLDER_HOST = 'clerk-dummy';

const REFRESH = 'get a fresh token (ClerkJS getToken({ skipCache: true })) and retry';

/**
 * Clerk's rules for cookie sessions (`@clerk/backend` `authenticateRequest`, v3.25), without a
 * web framework: give it a request without Bearer credentials, and it says which token to verify
 * and what to check on the verified claims, or why the cookies count for nothing. Every case where
 * Clerk would send a browser through a handshake (a redirect to its Frontend API, which an API
 * cannot do) is a refusal, as is every case where Clerk says signed out. In order:
 *
 * 1. An `Authorization` header Clerk reads as a token (one word, e.g. `Basic` alone, or a scheme
 *    followed by two spaces): Clerk verifies it instead of the cookies, so the cookies count for
 *    nothing.
 * 2. An `Origin` header that is not one of `authorizedParties`: the cookies are ignored (ours, not
 *    Clerk's). A page on a sibling subdomain is same-site, so `SameSite=Lax` still attaches the
 *    victim's cookies to its `POST`s, and the token inside passes the `azp` check; only `Origin`
 *    tells it apart. Requests without `Origin` (same-origin `GET`s, non-browser clients) are read.
 * 3. Which pair to read, `__session_<suffix>` + `__client_uat_<suffix>` or `__session` +
 *    `__client_uat`, chosen exactly as Clerk's `usesSuffixedCookies()` does.
 * 4. No `__session` in that pair: an active `__client_uat` → `session_refresh_required`; else no
 *    credentials (`missing_token`).
 * 5. A handshake in progress (`__clerk_handshake`/`__clerk_handshake_nonce`, query or cookie); in
 *    development, `__clerk_db_jwt`/`__clerk_redirect_url` in the query, or no dev-browser cookie
 *    `__clerk_db_jwt` of the pair's kind → `session_refresh_required`.
 * 6. `__client_uat` missing or `0` → `signed_out`; not a whole number → `session_refresh_required`.
 * 7. Otherwise the token, to verify; then `check(claims)`: an M2M `sub` or non-session `cat` →
 *    `token_type_mismatch`; no numeric `iat` → `invalid_claims`; `iat` < `__client_uat` →
 *    `session_refresh_required`; a `GET` document navigation from another origin (Referer) →
 *    `session_refresh_required`.
 *
 * Needs the publishable key (the instance type, the cookie suffix and the Frontend API all come
 * from it) and `authorizedParties`.
 *
 * @throws {ClerkConfigError} when the verifier has no publishable key or no authorized parties.
 */
export function createSessionCookieAuthenticator(verifier: Pick<ClerkVerifier, 'config'>): SessionCookieAuthenticator {
  const { config } = verifier;
  if (config.authorizedParties.length === 0) {
    throw new ClerkConfigError(
      'sessionCookie needs authorizedParties (CLERK_AUTHORIZED_PARTIES): without an azp check, a page on any sibling subdomain could ride the __session cookie.',
      'sessionCookie',
    );
  }
  if (config.publishableKey === null) {
    throw new ClerkConfigError(
      "sessionCookie needs publishableKey (CLERK_PUBLISHABLE_KEY): Clerk's cookie rules depend on it (development or production instance, the __session_<suffix> cookie names, the instance a __session cookie belongs to).",
      'sessionCookie',
    );
  }
  const realm = config.name;
  const { authorizedParties } = config;
  const production = config.instanceType === 'production';
  const suffix = sessionCookieSuffix(config.publishableKey);
  // Clerk compares iss with the host as the key encodes it (not lower-cased).
  const frontendApi = Buffer.from(config.publishableKey.split('_')[2] as string, 'base64')
    .toString('latin1')
    .slice(0, -1);
  const checkCategory = config.acceptJwtTemplates;
  const missing = (description: string): SessionCookieRefusal => ({ token: null, error: new MissingTokenError({ realm, description }), signedOut: true });
  const refuse = (reason: InvalidTokenReason, description: string | undefined, signedOut = false): SessionCookieRefusal => ({
    token: null,
    error: new InvalidTokenError(reason, description === undefined ? { realm } : { realm, description }),
    signedOut,
  });

  return function authenticateSessionCookies(request: SessionCookieRequest): SessionCookieOutcome {
    const header = headerReader(request.headers);
    const authorization = header('authorization') || undefined;
    if (authorization !== undefined && clerkReadsAsToken(authorization)) {
      return missing('the Authorization header holds a single value that is not "Bearer <token>", and session cookies are not read next to it');
    }
    const cookies = parseCookieHeader(header('cookie'));
    const origin = header('origin');
    if (origin !== undefined && !authorizedParties.includes(origin)) {
      return missing(hasClerkCookie(cookies) ? 'a Clerk session cookie was sent, but the request Origin is not one of authorizedParties, so cookies are not read' : noCookie(authorization));
    }

    const suffixed = usesSuffixedCookies(cookies, suffix, frontendApi, production);
    if (suffixed === null) return refuse('malformed', undefined);
    const name = (base: string): string => (suffixed ? `${base}_${suffix}` : base);
    const token = cookieValue(cookies, name(SESSION_COOKIE));
    const uat = cookieValue(cookies, name(CLIENT_UAT));
    const clientUat = uat !== null && DIGITS.test(uat) ? Number(uat) : null;

    if (token === null) {
      if (clientUat !== null && clientUat > 0) {
        return refuse('session_refresh_required', `the __client_uat cookie shows an active session, but no __session cookie was sent: ${REFRESH}`, true);
      }
      return missing(hasSessionCookie(cookies, suffix) ? 'no __session cookie of this Clerk instance was sent' : noCookie(authorization));
    }

    const query = queryOf(request.url);
    if (isPresent(query?.get(HANDSHAKE_NONCE)) || isPresent(query?.get(HANDSHAKE)) || cookieValue(cookies, HANDSHAKE_NONCE) !== null || cookieValue(cookies, HANDSHAKE) !== null) {
      return refuse('session_refresh_required', `a Clerk handshake is in progress (__clerk_handshake): let ClerkJS finish it, then ${REFRESH}`);
    }
    if (!production) {
      if (query?.has(DEV_BROWSER) === true || isPresent(query?.get(REDIRECT_URL))) {
        return refuse('session_refresh_required', `development instance: the URL carries a Clerk sync parameter (__clerk_db_jwt or __clerk_redirect_url): ${REFRESH}`);
      }
      if (cookieValue(cookies, name(DEV_BROWSER)) === null) {
        return refuse(
          'session_refresh_required',
          `development instance: the dev-browser cookie __clerk_db_jwt is missing: load the app with ClerkJS, which sets it, or send the token as "Authorization: Bearer <token>"`,
        );
      }
    }
    if (uat === null || clientUat === 0) return refuse('signed_out', undefined, true);
    if (clientUat === null) {
      return refuse(
        'session_refresh_required',
        `the __client_uat cookie is not a whole number of seconds: reload the app so that ClerkJS sets it again, or send the token as "Authorization: Bearer <token>"`,
      );
    }

    const crossOriginNavigation = isCrossOriginNavigation(request, header);
    return {
      token,
      check(claims: ClerkUser): InvalidTokenError | null {
        if (typeof claims.sub === 'string' && claims.sub.startsWith(M2M_SUBJECT_PREFIX)) return new InvalidTokenError('token_type_mismatch', { realm });
        if (checkCategory && !SESSION_CATEGORIES.includes(categoryOf(token))) {
          return new InvalidTokenError('token_type_mismatch', { realm, description: 'the session cookie holds a JWT-template token, not a session token' });
        }
        const { iat } = claims;
        if (typeof iat !== 'number') {
          return new InvalidTokenError('invalid_claims', { realm, description: 'a token in a session cookie must carry iat, to be compared with __client_uat' });
        }
        if (iat < clientUat) {
          return new InvalidTokenError('session_refresh_required', {
            realm,
            description: `the token was minted before the session last changed (its iat is older than __client_uat): ${REFRESH}`,
          });
        }
        if (crossOriginNavigation) {
          return new InvalidTokenError('session_refresh_required', {
            realm,
            description: `a page of another origin navigated here, and Clerk re-checks the session first in that case: ${REFRESH}`,
          });
        }
        return null;
      },
    };
  };
}

function noCookie(authorization: string | undefined): string {
  return authorization === undefined
    ? 'no Bearer token and no Clerk session cookie (__session) were sent'
    : 'the Authorization header is not Bearer credentials, and no Clerk session cookie (__session) was sent';
}

function isPresent(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value !== '';
}

function hasSessionCookie(cookies: ReadonlyMap<string, string>, suffix: string): boolean {
  return cookieValue(cookies, SESSION_COOKIE) !== null || cookieValue(cookies, `${SESSION_COOKIE}_${suffix}`) !== null;
}

function hasClerkCookie(cookies: ReadonlyMap<string, string>): boolean {
  for (const name of cookies.keys()) if (name.startsWith(SESSION_COOKIE) || name.startsWith(CLIENT_UAT)) return true;
  return false;
}

/**
 * A header's raw value (`''` when sent empty, `undefined` when absent); a repeated header's values
 * joined as Node joins them. Clerk reads most headers as `value || undefined`; where it reads the
 * raw value (`Host`, `X-Forwarded-*`), an empty value matters.
 */
function headerReader(headers: SessionCookieHeaders): (name: string) => string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const fetchHeaders = headers as { get(name: string): string | null | undefined };
    return (name) => fetchHeaders.get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  return (name) => {
    const value = record[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.join(name === 'cookie' ? '; ' : ', ');
    return undefined;
  };
}

/**
 * Whether Clerk takes this `Authorization` value as a token (its `parseAuthorizationHeader`: the
 * value split on the first space; with nothing after it, the whole value is the token), in which
 * case it never reads the cookies. From the adapters, no value that starts with `bearer` (in any
 * case) reaches here: `extractBearerToken` took its token or refused it with a 400.
 */
function clerkReadsAsToken(authorization: string): boolean {
  const [scheme, credentials] = authorization.split(' ', 2);
  return !credentials || scheme === 'Bearer';
}

/**
 * Clerk's `AuthenticateContext.usesSuffixedCookies()`, step by step, on the same cookies: whether
 * the suffixed pair is the current one. `null` where Clerk itself throws (a token whose payload is
 * JSON `null`): such a request is refused.
 */
function usesSuffixedCookies(cookies: ReadonlyMap<string, string>, suffix: string, frontendApi: string, production: boolean): boolean | null {
  const suffixedClientUat = cookieValue(cookies, `${CLIENT_UAT}_${suffix}`) ?? undefined;
  const clientUat = cookieValue(cookies, CLIENT_UAT) ?? undefined;
  const suffixedSession = cookieValue(cookies, `${SESSION_COOKIE}_${suffix}`) ?? '';
  const session = cookieValue(cookies, SESSION_COOKIE) ?? '';
  const sessionData = session === '' ? null : summarize(session);
  if (session !== '') {
    if (sessionData === null) return false;
    if (sessionData.nullPayload) return null;
    if (!sessionData.iss) return false;
    if (typeof sessionData.iss !== 'string' || sessionData.iss.replace(/https?:\/\//gi, '') !== frontendApi) return true;
  }
  if (!suffixedClientUat && !suffixedSession) return false;
  const suffixedData = suffixedSession === '' ? null : summarize(suffixedSession);
  if (suffixedData?.nullPayload) return null;
  // JavaScript's own comparisons on whatever JSON the claims hold, as in Clerk.
  const sessionIat = (sessionData === null ? 0 : sessionData.iat || 0) as number;
  const suffixedSessionIat = (suffixedData === null ? 0 : suffixedData.iat || 0) as number;
  if (suffixedClientUat !== '0' && clientUat !== '0' && sessionIat > suffixedSessionIat) return false;
  if (suffixedClientUat === '0' && clientUat !== '0') return false;
  if (!production) {
    const suffixedSessionExpired = suffixedData !== null && (suffixedData.exp as number) <= (Date.now() / 1e3) >> 0;
    if (suffixedClientUat !== '0' && clientUat === '0' && suffixedSessionExpired) return false;
  }
  if (!suffixedClientUat && suffixedSession) return false;
  return true;
}

/** What the pair choice reads of a token, decoded without verification. */
interface TokenSummary {
  /** The payload is JSON `null`: Clerk throws on it. */
  readonly nullPayload: boolean;
  readonly iss: unknown;
  readonly iat: unknown;
  readonly exp: unknown;
}

// Browsers send the same token on every request until it is refreshed (every minute or so): the
// summary of recent ones is kept, so that the common request decodes nothing. Bounded in entries
// and in token length; oldest out first.
const SUMMARIES = new Map<string, TokenSummary | null>();
const MAX_SUMMARIES = 256;
const MAX_SUMMARIZED_LENGTH = 4096;

/** {@link decodeUnverified}, reduced to what the pair choice reads; `null` when it does not decode. */
function summarize(token: string): TokenSummary | null {
  const known = SUMMARIES.get(token);
  if (known !== undefined) return known;
  const decoded = decodeUnverified(token);
  const summary =
    decoded === null
      ? null
      : decoded.payload === null
        ? { nullPayload: true, iss: undefined, iat: undefined, exp: undefined }
        : { nullPayload: false, iss: claimOf(decoded.payload, 'iss'), iat: claimOf(decoded.payload, 'iat'), exp: claimOf(decoded.payload, 'exp') };
  if (token.length <= MAX_SUMMARIZED_LENGTH) {
    if (SUMMARIES.size >= MAX_SUMMARIES) SUMMARIES.delete(SUMMARIES.keys().next().value as string);
    SUMMARIES.set(token, summary);
  }
  return summary;
}

/** `payload[name]` as JavaScript reads it on any JSON value but `null` (a string has no `iat`). */
function claimOf(payload: unknown, name: string): unknown {
  return (Object(payload) as Record<string, unknown>)[name];
}

/**
 * Clerk's `decodeJwt` (no signature check): three dot-separated parts, each loose base64url
 * (trailing `=` allowed, unused bits must be zero), header and payload JSON after a lenient UTF-8
 * decode. `null` when Clerk's would report an error. Only steers which cookie is read: the token
 * read is verified in full afterwards.
 */
function decodeUnverified(token: string): { header: unknown; payload: unknown } | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  if (!isLooseBase64url(signature)) return null;
  const headerBytes = looseBase64url(header);
  const payloadBytes = looseBase64url(payload);
  if (headerBytes === null || payloadBytes === null) return null;
  try {
    return { header: JSON.parse(decoder.decode(headerBytes)) as unknown, payload: JSON.parse(decoder.decode(payloadBytes)) as unknown };
  } catch {
    return null;
  }
}

function isLooseBase64url(segment: string): boolean {
  if (!BASE64URL_LOOSE.test(segment)) return false;
  let end = segment.length;
  while (end > 0 && segment.charCodeAt(end - 1) === 61) end--;
  const leftover = end % 4;
  if (leftover === 1) return false;
  if (leftover === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(segment[end - 1] as string);
  return (last & (leftover === 2 ? 0x0f : 0x03)) === 0;
}

function looseBase64url(segment: string): Buffer | null {
  return isLooseBase64url(segment) ? Buffer.from(segment.replace(/=+$/, ''), 'base64url') : null;
}

/** Header `cat` of a token the verifier accepted (so a small, well-formed header). */
function categoryOf(token: string): unknown {
  const decoded = decodeUnverified(token);
  return decoded === null ? null : claimOf(decoded.header, 'cat');
}

/** The query of the request URL, or `null` when it has none. */
function queryOf(url: string): URLSearchParams | null {
  const mark = url.indexOf('?');
  if (mark === -1) return null;
  const hash = url.indexOf('#', mark);
  return new URLSearchParams(url.slice(mark + 1, hash === -1 ? undefined : hash));
}

/**
 * Clerk forces a handshake on a `GET` document navigation whose `Referer` is of another origin
 * than the request (its "primary domain cross-origin sync"), so such a request is refused; the
 * exceptions Clerk makes (a Referer on Clerk's own pages, a redirect already counted in
 * `__clerk_redirect_count`) are not made here. The request's origin is derived as Clerk does:
 * `X-Forwarded-Host` (first value) or `Host`, with `X-Forwarded-Proto` (first value) or the URL's
 * protocol. When it cannot be known, any parsable Referer counts as another origin.
 */
function isCrossOriginNavigation(request: SessionCookieRequest, header: (name: string) => string | undefined): boolean {
  if (request.method !== 'GET' || header('sec-fetch-dest') !== 'document') return false;
  const referrer = header('referer');
  if (!referrer) return false;
  let referrerOrigin: string;
  try {
    referrerOrigin = new URL(referrer).origin;
  } catch {
    return false;
  }
  const own = requestOrigin(request, header);
  return own === null || referrerOrigin !== own;
}

/** The request's origin as Clerk derives it (`ClerkRequest#deriveUrlFromHeaders`), or `null`. */
function requestOrigin(request: SessionCookieRequest, header: (name: string) => string | undefined): string | null {
  let initial: URL;
  try {
    initial = new URL(request.url, `${request.secure === true ? 'https' : 'http'}://${PLACEHOLDER_HOST}`);
  } catch {
    return null;
  }
  const forwardedHost = header('x-forwarded-host');
  const forwardedProto = header('x-forwarded-proto');
  const host = forwardedHost === undefined ? header('host') : forwardedHost.split(',')[0];
  const protocol = forwardedProto === undefined ? initial.protocol.replace(/[:/]/, '') : forwardedProto.split(',')[0];
  let origin = initial.origin;
  if (host && protocol && `${protocol}://${host}` !== initial.origin) {
    try {
      origin = new URL(`${initial.pathname}${initial.search}`, `${protocol}://${host}`).origin;
    } catch {
      // Clerk keeps the initial URL.
    }
  }
  return initial.hostname === PLACEHOLDER_HOST && origin === initial.origin ? null : origin;
}
