import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authorize, type AuthorizeUser } from '../authorization/authorize';
import type { ClerkUser } from '../verification/claims';
import { assertKnownOptions, checkBoolean, optionNames } from '../shared/option-checks';
import { VERIFIER_OPTIONS, type ClerkVerifierOptions } from '../verification/verifier-options';
import { ClerkConfigError, InvalidTokenError } from '../shared/errors';
import { extractBearerToken } from '../verification/extract-token';
import { loggerOf } from '../shared/logger';
import { createSessionCookieAuthenticator, type SessionCookieRequest, type SessionCookieToken } from '../verification/authenticate-session-cookies';
import { assertCookieAccepted, isSessionOnly, type AcceptedTypes, type AcceptsToken, type ClerkPrincipalOf } from '../machine-tokens/accepted-token-types';
import { type ClerkMachineUser, type ClerkPrincipal } from '../machine-tokens/machine-principal';
import { acceptedTypesFor, acceptingVerification, cachedVerification, sessionVerification, sharedOrNewVerifier, type ClerkVerifier } from '../verification/verify-token';
import { isCanonicalCompactJws } from '../verification/signature-check';
import { authorizationOf, missingToken } from './authorization-header';
import { PENDING, SETTINGS, VERIFIED, type AdapterSettings, type MarkedRequest } from './request-marks';
import { settle, type Outcome } from './settle-outcome';

declare global {
  // Types `req.user` in every Express app that imports this package.
  namespace Express {
    interface User extends ClerkUser {}
    interface Request {
      /**
       * Set by `clerkAuth()`: the verified Clerk session claims (`User`), or, on a route whose
       * `acceptsToken` lets machine tokens in, a `ClerkMachineUser` (it has `tokenType`; session
       * claims never do).
       */
      user?: User | ClerkMachineUser | undefined;
    }
  }
}

/**
 * Options of {@link clerkAuth}: those of the verifier plus how the middleware behaves. `A` is the
 * `acceptsToken` value, which types `authorizeUser`'s first argument.
 */
export interface ClerkAuthOptions<A extends AcceptsToken = 'session_token'> extends ClerkVerifierOptions {
  /**
   * Which Clerk tokens this middleware accepts: `'session_token'`, `'m2m_token'`, `'api_key'`,
   * `'oauth_token'`, `'any'`, or a list of the first four (e.g. `['session_token', 'm2m_token']`).
   * A token of another type is a 401 `invalid_token` (reason `token_type_mismatch`). A machine
   * token becomes a `ClerkMachineUser` in `req.user`. Opaque machine tokens need keys
   * (docs/machine-tokens.md): a type accepted without them is a startup error. An unknown name,
   * an empty list or a repeated type is a startup error. Default is `'session_token'`.
   */
  acceptsToken?: A | undefined;
  /**
   * Runs after verification with the verified principal (session claims, or a machine principal
   * on routes that accept machine tokens) and the request; return `true` to allow. Anything else
   * answers 403 `insufficient_scope`; a throw goes to `next(err)` (your 500). Default allows every
   * verified principal of an accepted type.
   */
  authorizeUser?: AuthorizeUser<Request, ClerkPrincipalOf<NoInfer<A>>> | undefined;
  /**
   * When true, a request without Bearer credentials (or with a pending session) goes on with
   * `req.user` undefined (even if an earlier middleware had set it) and `authorizeUser` is not
   * called; a malformed or invalid token is still refused. Default is false.
   */
  optional?: boolean | undefined;
  /**
   * When true, errors go to `next(err)` for your error handler instead of being answered here.
   * They carry `status`, `statusCode`, `code` and `headers`. Default is false.
   */
  forwardErrors?: boolean | undefined;
  /**
   * A verifier from `createClerkVerifier()` to share, with its key cache, between several
   * middlewares. Verifier options cannot be given alongside it. Default creates one.
   */
  verifier?: ClerkVerifier | undefined;
  /**
   * When true, a request without Bearer credentials may send the session token in Clerk's
   * cookies (`__session` + `__client_uat`, or the `_<suffix>` pair), for same-origin apps, with
   * Clerk's own rules: the token must be newer than `__client_uat`, a signed-out browser
   * (`__client_uat` 0) counts as signed out, development instances need the dev-browser cookie,
   * and every case where Clerk would redirect for a handshake is a 401 `session_refresh_required`.
   * A Bearer header always wins. Needs `publishableKey` and `authorizedParties` (a startup error
   * otherwise); the cookies are ignored on requests whose `Origin` header is not an authorized
   * party. With `optional`, a browser without a session cookie, or signed out, goes on
   * anonymously; a session cookie that is presented and refused stays a 401. Default is false.
   */
  sessionCookie?: boolean | undefined;
}

const ADAPTER_OPTIONS = optionNames<Omit<ClerkAuthOptions, keyof ClerkVerifierOptions>>({
  acceptsToken: true,
  authorizeUser: true,
  optional: true,
  forwardErrors: true,
  verifier: true,
  sessionCookie: true,
});

/**
 * Express middleware that requires a valid Clerk session token (or, with `acceptsToken`, a machine
 * token): `Authorization: Bearer <token>` → verified claims (or machine principal) in `req.user`
 * → `authorizeUser(user, req)` → `next()`. Refusals are answered with the status and JSON body of
 * their {@link ClerkAuthError}. Every method is authenticated, `OPTIONS` included: mount CORS
 * middleware before it, so that it answers preflights (which carry no credentials) itself.
 * Configuration is resolved and checked here, once.
 *
 * @throws {ClerkConfigError} when the options or environment cannot work.
 */
export function clerkAuth<const A extends AcceptsToken = 'session_token'>(options: ClerkAuthOptions<A> = {}): RequestHandler {
  assertKnownOptions(options, [...VERIFIER_OPTIONS, ...ADAPTER_OPTIONS], 'clerkAuth');
  const { acceptsToken, authorizeUser, optional: optionalOption, forwardErrors: forwardOption, verifier: shared, sessionCookie: cookieOption, ...verifierOptions } = options;
  if (authorizeUser !== undefined && typeof authorizeUser !== 'function') {
    throw new ClerkConfigError('authorizeUser must be a function (user, req) => boolean | Promise<boolean>.', 'authorizeUser');
  }
  const optional = checkBoolean(optionalOption, 'optional');
  const forwardErrors = checkBoolean(forwardOption, 'forwardErrors');
  const verifier = sharedOrNewVerifier(shared, verifierOptions, 'clerkAuth');
  const realm = verifier.config.name;
  const accepted: AcceptedTypes = acceptedTypesFor(verifier.config, acceptsToken);
  const settings: AdapterSettings = Object.freeze({ realm, forwardErrors, logger: loggerOf(verifier) });
  const readCookies = checkBoolean(cookieOption, 'sessionCookie') ? createCookieReader(verifier, accepted) : null;

  // Session tokens alone (the default): the session path, synchronous on a cache hit or a known key.
  const sessionOnly = isSessionOnly(accepted);
  const peek = accepted.has('session_token') ? cachedVerification(verifier) : () => undefined;
  const verifySession = sessionVerification(verifier);
  const verifyAccepted = acceptingVerification(verifier);

  /**
   * Synchronous as far as it can be: a token the verifier's cache vouches for, or one whose key is
   * known, with no `authorizeUser`, is settled without a promise, and `next()` is called at once.
   */
  function authenticate(req: Request & MarkedRequest): Outcome | Promise<Outcome> {
    req[VERIFIED] = undefined;
    if (req[PENDING] !== undefined) req[PENDING] = undefined;
    try {
      const authorization = authorizationOf(req);
      // "Bearer <canonical compact JWS>" is exactly what extractBearerToken() takes (a canonical
      // token has nothing but base64url and two dots: no blank), so its scans of the header can be
      // skipped for it: on a cache hit (every cached token passed that check), and for a token
      // found canonical here, which the verifier then need not check again.
      let peeked: string | undefined;
      if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
        peeked = authorization.slice(7);
        const hit = peek(peeked);
        if (hit !== undefined) return accept(req, hit, null);
        if (sessionOnly && isCanonicalCompactJws(peeked)) return verifyThenAccept(req, peeked, null, true);
      }
      let token = extractBearerToken(authorization, realm);
      let check: SessionCookieToken['check'] | null = null;
      if (token === null && readCookies !== null) {
        const cookies = readCookies(cookieRequestOf(req));
        if (cookies.token === null) {
          if (optional && cookies.signedOut) return anonymous(req);
          throw cookies.error;
        }
        ({ token, check } = cookies);
      }
      if (token === null) {
        if (optional) return anonymous(req);
        throw missingToken(realm, authorization);
      }
      const cached = token === peeked ? undefined : peek(token);
      return cached === undefined ? verifyThenAccept(req, token, check, false) : accept(req, cached, check);
    } catch (error) {
      return { error };
    }
  }

  /** `lookedUp`: the token is canonical and missed the cache just now (see `sessionVerification`). */
  function verifyThenAccept(req: Request & MarkedRequest, token: string, check: SessionCookieToken['check'] | null, lookedUp: boolean): Outcome | Promise<Outcome> {
    let verified: ClerkPrincipal | Promise<ClerkPrincipal>;
    try {
      // A cookie holds a session token or nothing, whatever the route accepts (Clerk's rule).
      verified = sessionOnly || check !== null ? verifySession(token, lookedUp) : verifyAccepted(token, accepted);
    } catch (error) {
      return refused(req, error);
    }
    // A verifier that is not ours may answer with any thenable (not only a native promise): what
    // is not settled yet is awaited, never taken for the principal.
    if (isThenable(verified)) {
      return Promise.resolve(verified).then(
        (user) => accept(req, user, check),
        (error: unknown) => refused(req, error),
      );
    }
    return accept(req, verified, check);
  }

  /** A verification's refusal; with `optional`, a pending session goes on anonymously. */
  function refused(req: Request & MarkedRequest, error: unknown): Outcome {
    if (optional && error instanceof InvalidTokenError && error.reason === 'pending_session') {
      req[PENDING] = true;
      return anonymous(req);
    }
    return { error };
  }

  /** `check`: the session-cookie rules on the verified claims (cached or not), before anything trusts them. */
  function accept(req: Request & MarkedRequest, user: ClerkPrincipal, check: SessionCookieToken['check'] | null): Outcome | Promise<Outcome> {
    const refusal = check === null ? null : check(user as ClerkUser);
    if (refusal !== null) return { error: refusal };
    req.user = user;
    req[VERIFIED] = user;
    if (authorizeUser === undefined) return null;
    // The principal's type is one acceptsToken lets in: what AuthorizeUser<Request, ClerkPrincipalOf<A>> expects.
    return authorize(authorizeUser as AuthorizeUser<Request, ClerkPrincipal>, user, req, realm).then(
      () => null,
      (error: unknown) => ({ error }),
    );
  }

  // No exception for CORS preflights or any method: a request without verified credentials never
  // reaches what is mounted behind this middleware. CORS middleware mounted first answers preflights.
  return function clerkAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    (req as MarkedRequest)[SETTINGS] = settings;
    settle(authenticate(req), req, res, next, settings);
  };
}

/** Whether a verification's answer is still to come: a promise or any thenable (claims parsed from JSON never hold a function). */
function isThenable(value: unknown): value is PromiseLike<ClerkPrincipal> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** What the session-cookie rules read of an Express request: method, target, TLS, headers. */
function cookieRequestOf(req: Request): SessionCookieRequest {
  return {
    method: req.method,
    url: req.originalUrl ?? req.url,
    secure: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
    headers: req.headers,
  };
}

/**
 * The session-cookie reader of a `clerkAuth({ sessionCookie: true })`: a cookie only ever holds a
 * session token, so the route must accept session tokens.
 */
function createCookieReader(verifier: ClerkVerifier, accepted: AcceptedTypes): ReturnType<typeof createSessionCookieAuthenticator> {
  assertCookieAccepted(accepted);
  return createSessionCookieAuthenticator(verifier);
}

/** Optional mode without a session: whatever an earlier middleware put in req.user is not ours to vouch for. */
function anonymous(req: Request): null {
  req.user = undefined;
  return null;
}
