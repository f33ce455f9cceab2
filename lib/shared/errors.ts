/**
 * Every error the package produces. HTTP errors share one base class, {@link ClerkAuthError}, with a
 * stable `code` from a closed union, plus `status`, `statusCode` and `headers`, so that Express's
 * own error handler (or yours) answers correctly from `next(err)` alone. Startup errors are
 * {@link ClerkConfigError}s.
 *
 * Messages are for people and never contain a token, a key or a claim value; codes are for
 * programs.
 */

/**
 * Stable code of an HTTP error; it is the `error` field of every JSON error body.
 *
 * - `invalid_request` (400): the `Authorization` header is malformed (`Bearer` with no token, more
 *   than one token, or the header sent twice).
 * - `missing_token` (401): no Bearer credentials were sent.
 * - `invalid_token` (401): a token was sent and refused; {@link InvalidTokenError.reason} says why.
 * - `insufficient_scope` (403): the token is valid but `authorizeUser` or a guard said no.
 * - `jwks_unavailable` (503): the signing keys could not be loaded; retry later.
 * - `backend_api_unavailable` (503): Clerk's Backend API could not answer a lookup (user,
 *   memberships) an authorization policy needs, or the verification of an opaque machine token
 *   (`mt_…`, `ak_…`, `oat_…`); retry later.
 * - the `webhook_…` codes of {@link WebhookVerificationError} (`clerkWebhook()`).
 */
export type ClerkAuthErrorCode = 'invalid_request' | 'missing_token' | 'invalid_token' | 'insufficient_scope' | 'jwks_unavailable' | 'backend_api_unavailable' | WebhookErrorCode;

/**
 * Why a token was refused: {@link InvalidTokenError.reason}. The client sees it in words in
 * `error_description` and `message`; programs (custom error handlers, logs) can switch on it.
 */
export type InvalidTokenReason =
  /**
   * Not a compact JWS with a JSON header and a JSON object payload: longer than 16 KiB
   * (`MAX_TOKEN_LENGTH`), a header segment longer than 512 characters (`MAX_HEADER_LENGTH`; Clerk's
   * are about 120), a segment that is not canonical base64url (padding, `+` or `/`, a length of
   * 4n+1, or unused bits set in its last character: each token has one spelling), a header that is
   * not strict UTF-8, or a header or payload that repeats a member name. An opaque machine token
   * (`mt_…`, `ak_…`, `oat_…`) shorter than 16 characters after its prefix, longer than 512 in all,
   * or outside RFC 6750's token alphabet.
   */
  | 'malformed'
  /** Header `alg` is not RS256 (`none` and HMAC are never accepted). */
  | 'invalid_algorithm'
  /** Header `typ` present and not `JWT`, an unsupported `crit`/`b64` header, or a `kid` that is not a string. */
  | 'invalid_header'
  /** Header `cat` marks a JWT-template token (refused unless `acceptJwtTemplates`) or an unknown category. */
  | 'unsupported_category'
  /**
   * A Clerk machine token sent where a session token is expected (Clerk's `token-type-mismatch`):
   * an M2M token (opaque `mt_…`, or a JWT whose header `cat` is the M2M category or whose `sub`
   * starts with `mch_`), an OAuth access token (opaque `oat_…`, or a JWT with header `typ`
   * `at+jwt` / `application/at+jwt`) or an API key (`ak_…`). The `sub` of a JWT is read only once
   * its signature is verified. In a session cookie, any category other than a session token
   * (JWT templates included), as Clerk's `authenticateRequest` does. On a route with
   * `acceptsToken`, any token of a type it does not list (the description names the type found
   * and those accepted), or an opaque M2M/OAuth token where `opaqueTokens` is false.
   */
  | 'token_type_mismatch'
  /**
   * An opaque machine token (`mt_…`, `ak_…`, `oat_…`) that Clerk's Backend API does not know (404):
   * never issued, deleted, or mistyped.
   */
  | 'token_not_found'
  /** A machine token that was revoked (the Backend API says `revoked: true`). */
  | 'token_revoked'
  /**
   * `aud` is not one of `audience`: an OAuth access token without `aud`, or any token whose `aud`
   * names none of them (or is not a string or a list of strings).
   */
  | 'invalid_audience'
  /** No key in the key set matches the token's `kid`. */
  | 'unknown_key'
  /** The signature does not verify with the instance's key. */
  | 'invalid_signature'
  /**
   * A required claim is missing or of the wrong type (`sub`, `exp`, `nbf`, `iat`); an M2M token
   * whose `sub` is not a machine id; a session token with a `tokenType` claim (reserved).
   */
  | 'invalid_claims'
  /**
   * `exp` is in the past (beyond the clock skew); for an opaque machine token, the Backend API says
   * `expired: true` or its `expiration` has passed.
   */
  | 'expired'
  /** `nbf` is in the future (beyond the clock skew). */
  | 'not_yet_valid'
  /** `iat` is in the future (beyond the clock skew). */
  | 'issued_in_future'
  /** `iss` is not the expected Clerk instance. */
  | 'invalid_issuer'
  /** `azp` is missing or not one of `authorizedParties`. */
  | 'invalid_authorized_party'
  /** `sts` is `pending`: the session has unfinished tasks and counts as signed out. */
  | 'pending_session'
  /**
   * Session cookie (`sessionCookie: true`): the cookies do not prove a current session, in a case
   * where Clerk would send a browser through a handshake (a redirect an API cannot make): the token
   * was minted before the session last changed (`iat` older than `__client_uat`), `__client_uat`
   * shows an active session but no `__session` came with it or is not a whole number, a
   * development instance lacks the dev-browser cookie, a handshake is in progress, or a page of
   * another origin navigated here. The client should get a fresh token (ClerkJS
   * `getToken({ skipCache: true })`) and retry, or send it as `Authorization: Bearer <token>`.
   */
  | 'session_refresh_required'
  /**
   * Session cookie (`sessionCookie: true`): a `__session` cookie came without an active
   * `__client_uat` (missing or `0`): the user signed out in this browser. With `optional: true` the
   * request goes on anonymously.
   */
  | 'signed_out';

/** The JSON body the middleware sends for every error. */
export interface ClerkAuthErrorBody {
  error: ClerkAuthErrorCode;
  message: string;
}

/** Options shared by the HTTP error constructors. */
export interface ClerkAuthErrorOptions {
  /** Realm of the `WWW-Authenticate` challenge. Default is `clerk`. */
  realm?: string | undefined;
  /** The underlying error, for logs; never shown to the client. */
  cause?: unknown;
}

/** Default `Retry-After` (seconds) of a 503 when the signing keys could not be loaded. */
export const JWKS_RETRY_AFTER_SECONDS = 5;

const DEFAULT_REALM = 'clerk';

/** Sets `Error.stackTraceLimit` to 0 and answers what it was; `null` when it cannot be set (frozen intrinsics). */
function hideStackFrames(): number | null {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return null;
  }
  return limit;
}

/** Base class of every HTTP error of the package; switch on `code`. */
export class ClerkAuthError extends Error {
  /** Stable machine-readable code, also the `error` field of the JSON body. */
  readonly code: ClerkAuthErrorCode;
  /** HTTP status (400, 401, 403 or 503; webhooks also 409, 413 and 500). */
  readonly status: number;
  /** Same as `status`, for error handlers that read `statusCode`. */
  readonly statusCode: number;
  /** Response headers that belong with this error (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Whether `message` is meant for the client (true for every 4xx; http-errors convention). A 5xx
   * message may describe the server's set-up, so its body carries a generic sentence instead.
   */
  readonly expose: boolean;
  readonly #publicMessage: string;

  constructor(code: ClerkAuthErrorCode, status: number, message: string, headers: Record<string, string>, options?: ClerkAuthErrorOptions & { publicMessage?: string }) {
    // A refusal (4xx) answers a request; it is no fault of the program, and its stack would show
    // only this package's own frames. It captures none (its `stack` is its name and message):
    // capturing them is most of what building one costs, and a bad token should cost little.
    // A 5xx (keys or Backend API unavailable) keeps its stack.
    const limit = status < 500 ? hideStackFrames() : null;
    try {
      super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      if (limit !== null) Error.stackTraceLimit = limit;
    }
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.statusCode = status;
    this.headers = Object.freeze(headers);
    this.expose = status < 500;
    this.#publicMessage = options?.publicMessage ?? message;
  }

  /** The JSON body: `{ error: code, message }`, with the client-safe message. */
  toJSON(): ClerkAuthErrorBody {
    return { error: this.code, message: this.#publicMessage };
  }
}

/** 400: the `Authorization` header is malformed. */
export class InvalidRequestError extends ClerkAuthError {
  constructor(description: string, options?: ClerkAuthErrorOptions) {
    super('invalid_request', 400, `Malformed Authorization header: ${description}.`, { 'WWW-Authenticate': bearerChallenge(options?.realm, 'invalid_request', description) }, options);
  }
}

/**
 * 401: no Bearer credentials were sent. The challenge carries no error attribute (RFC 6750 §3.1).
 * Without a `description` the message says the header is missing; with one (what was found
 * instead and why it does not count, never the credential itself) the message says that.
 */
export class MissingTokenError extends ClerkAuthError {
  constructor(options?: ClerkAuthErrorOptions & { description?: string }) {
    const description = options?.description;
    super(
      'missing_token',
      401,
      description === undefined
        ? 'Missing Authorization header: send the Clerk session token as "Authorization: Bearer <token>".'
        : `No usable credentials: ${description}. Send the Clerk session token as "Authorization: Bearer <token>".`,
      { 'WWW-Authenticate': bearerChallenge(options?.realm) },
      options,
    );
  }
}

const TOKEN_PROBLEMS: Readonly<Record<InvalidTokenReason, string>> = {
  malformed: 'the token is not a well-formed JWT',
  invalid_algorithm: 'the token is not signed with RS256',
  invalid_header: 'the token header is not that of a Clerk session token',
  unsupported_category: 'the token is not a Clerk session token (JWT template or unknown category)',
  token_type_mismatch: 'the token is a Clerk machine token (M2M, OAuth access token or API key), not a session token',
  token_not_found: 'Clerk does not know this token',
  token_revoked: 'the token has been revoked',
  invalid_audience: 'the token is not meant for this API (aud)',
  unknown_key: 'no signing key of this Clerk instance matches the token kid',
  invalid_signature: 'the token signature is invalid',
  invalid_claims: 'the token claims are missing or malformed',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet (nbf)',
  issued_in_future: 'the token was issued in the future (iat)',
  invalid_issuer: 'the token was issued by another Clerk instance (iss)',
  invalid_authorized_party: 'the token was issued to an origin that is not an authorized party (azp)',
  pending_session: 'the session is pending and counts as signed out',
  session_refresh_required: 'the session cookie does not prove a current session; get a fresh token (ClerkJS getToken({ skipCache: true })) and retry',
  signed_out: 'the __session cookie came without an active __client_uat cookie: the user signed out in this browser',
};

/** 401: a token was sent and refused. */
export class InvalidTokenError extends ClerkAuthError {
  /** Why the token was refused. */
  readonly reason: InvalidTokenReason;

  constructor(reason: InvalidTokenReason, options?: ClerkAuthErrorOptions & { description?: string }) {
    const description = options?.description ?? TOKEN_PROBLEMS[reason];
    super('invalid_token', 401, `Token verification failed: ${description}.`, { 'WWW-Authenticate': bearerChallenge(options?.realm, 'invalid_token', description) }, options);
    this.reason = reason;
  }
}

/** 403: the token is valid, but the user is not allowed here. */
export class InsufficientScopeError extends ClerkAuthError {
  constructor(options?: ClerkAuthErrorOptions & { description?: string }) {
    const description = options?.description ?? 'the user is not allowed to access this resource';
    super('insufficient_scope', 403, `Access denied: ${description}.`, { 'WWW-Authenticate': bearerChallenge(options?.realm, 'insufficient_scope', description) }, options);
  }
}

/**
 * 503: the signing keys (JWKS) could not be loaded. Never a reason to refuse the token itself.
 * `message` says why, for logs and your error handler; the JSON body only says to retry.
 */
export class JwksUnavailableError extends ClerkAuthError {
  /** What went wrong, e.g. `the JWKS request timed out after 5000 ms`. */
  readonly problem: string;

  constructor(problem: string, options?: ClerkAuthErrorOptions & { retryAfterSeconds?: number }) {
    super(
      'jwks_unavailable',
      503,
      `Could not load Clerk's signing keys (JWKS): ${problem}.`,
      { 'Retry-After': String(options?.retryAfterSeconds ?? JWKS_RETRY_AFTER_SECONDS) },
      { ...options, publicMessage: "Could not load Clerk's signing keys (JWKS). Try again shortly." },
    );
    this.problem = problem;
  }
}

/**
 * 503: Clerk's Backend API could not answer (unreachable, timed out, rate limited, refused the
 * secret key, or sent something unexpected). Never a reason to refuse the user. `message` says
 * why (never with the secret key); the JSON body only says to retry.
 */
export class BackendApiUnavailableError extends ClerkAuthError {
  /** What went wrong, e.g. `the request timed out after 5000 ms`. */
  readonly problem: string;

  constructor(problem: string, options?: ClerkAuthErrorOptions & { retryAfterSeconds?: number; lookup?: 'user' | 'token' | undefined }) {
    super(
      'backend_api_unavailable',
      503,
      `Clerk's Backend API could not answer: ${problem}.`,
      { 'Retry-After': String(options?.retryAfterSeconds ?? JWKS_RETRY_AFTER_SECONDS) },
      {
        ...options,
        publicMessage:
          options?.lookup === 'token' ? "Could not verify the token with Clerk's Backend API. Try again shortly." : "Could not check the user with Clerk's Backend API. Try again shortly.",
      },
    );
    this.problem = problem;
  }
}

/**
 * Stable code of a refused webhook delivery ({@link WebhookVerificationError}):
 *
 * - `webhook_missing_headers` (400): `svix-id`, `svix-timestamp` or `svix-signature` is missing.
 * - `webhook_invalid_timestamp` (400): `svix-timestamp` is not a Unix time in seconds, or is
 *   further from the server's clock than the tolerance (5 minutes by default).
 * - `webhook_invalid_signature` (400): no `v1` signature matches the body and the signing secret.
 * - `webhook_invalid_payload` (400): the signed body is not a JSON event (`type` and `data`).
 * - `webhook_replayed` (409): replay protection is on and this `svix-id` was already accepted.
 * - `webhook_body_too_large` (413): the body is larger than the limit (1 MiB by default).
 * - `webhook_body_unavailable` (500): a body parser such as `express.json()` consumed the raw body
 *   before `clerkWebhook()` ran; a set-up mistake, so the message says how to mount it.
 */
export type WebhookErrorCode =
  | 'webhook_missing_headers'
  | 'webhook_invalid_timestamp'
  | 'webhook_invalid_signature'
  | 'webhook_invalid_payload'
  | 'webhook_replayed'
  | 'webhook_body_too_large'
  | 'webhook_body_unavailable';

const WEBHOOK_STATUS: Readonly<Record<WebhookErrorCode, number>> = {
  webhook_missing_headers: 400,
  webhook_invalid_timestamp: 400,
  webhook_invalid_signature: 400,
  webhook_invalid_payload: 400,
  webhook_replayed: 409,
  webhook_body_too_large: 413,
  webhook_body_unavailable: 500,
};

/**
 * A webhook delivery that was refused (or, for `webhook_body_unavailable`, could not be checked).
 * The status follows from the code; no `WWW-Authenticate` challenge. The 500's JSON body carries
 * a generic sentence: its `message` describes your set-up.
 */
export class WebhookVerificationError extends ClerkAuthError {
  declare readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    const status = WEBHOOK_STATUS[code];
    const publicMessage = status >= 500 ? 'The webhook endpoint is misconfigured and cannot verify deliveries; see the server log.' : message;
    super(code, status, message, {}, { ...options, publicMessage });
  }
}

/**
 * Thrown when a factory is called with configuration it cannot use. The message names the option
 * and its environment variable; it never contains a secret key.
 */
export class ClerkConfigError extends Error {
  /** Always `invalid_config`. */
  readonly code = 'invalid_config' as const;
  /** The option at fault, e.g. `jwksUri`; `null` when several are involved. */
  readonly option: string | null;

  constructor(message: string, option: string | null = null) {
    super(message);
    this.name = 'ClerkConfigError';
    this.option = option;
  }
}

/**
 * Builds an RFC 6750 `WWW-Authenticate: Bearer …` challenge. Values are quoted strings with `"`
 * and `\` escaped.
 */
export function bearerChallenge(realm: string = DEFAULT_REALM, error?: string, description?: string): string {
  let challenge = `Bearer realm="${quote(realm)}"`;
  if (error !== undefined) challenge += `, error="${error}"`;
  if (description !== undefined) challenge += `, error_description="${quote(description)}"`;
  return challenge;
}

function quote(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
