/**
 * The package's logger: what it must look like, how the `logger` option is read, the structured
 * events it receives, and the one way they are handed to it.
 */
import { ClerkConfigError, type ClerkAuthErrorCode, type InvalidTokenReason } from './errors';

/**
 * Where the package writes its few operational messages (key-set outages and recoveries), and,
 * when it has an `event` method, one structured event per refused request and per key-set
 * incident. Nothing it receives ever holds a token, a key or a claim value.
 */
export interface ClerkLogger {
  /** One line per key-set incident and per recovery, never per request. */
  warn(message: string): void;
  /**
   * Optional: receives a {@link ClerkLogEvent} for every refused request (`request_refused`, with
   * `code`, `reason` and the request id) and every key-set incident. A throw here is ignored.
   */
  event?(event: ClerkLogEvent): void;
}

/** `console` by default, `null` for `false`, else an object with `warn()`. */
export function resolveLogger(logger: unknown): ClerkLogger | null {
  if (logger === undefined) return console;
  if (logger === false) return null;
  if (typeof logger !== 'object' || logger === null || typeof (logger as ClerkLogger).warn !== 'function') {
    throw new ClerkConfigError('logger must be an object with a warn(message) method, such as console, or false.', 'logger');
  }
  const event: unknown = (logger as { event?: unknown }).event;
  if (event !== undefined && typeof event !== 'function') {
    throw new ClerkConfigError('logger.event must be a function (event) => void when it is set.', 'logger');
  }
  return logger as ClerkLogger;
}

/**
 * A structured event for {@link ClerkLogger.event}. Events hold codes, reasons, the provider name,
 * the JWKS URL and the request id: never a token, a key, a secret or a claim value.
 */
export type ClerkLogEvent = ClerkRequestRefusedEvent | ClerkKeySetEvent;

/** A request that `clerkAuth()` or a guard after it refused (400, 401, 403 or 503), one event per request. */
export interface ClerkRequestRefusedEvent {
  type: 'request_refused';
  /** The provider `name` (the realm). */
  name: string;
  /** The error code, also the `error` field of the response body. */
  code: ClerkAuthErrorCode;
  status: number;
  /** Why the token was refused, for `invalid_token`. */
  reason?: InvalidTokenReason;
  /**
   * `req.id` (as set by pino-http and similar) or the `X-Request-Id` header, when it is 1 to 200
   * printable ASCII characters.
   */
  requestId?: string;
}

/**
 * A key-set incident, one event per incident (as the `warn` line), never per request:
 * - `jwks_failed`: the key set could not be loaded (first failure of an incident);
 * - `jwks_stale_expired`: keys loaded earlier have outlived `jwksStaleWindowInMs` during the
 *   incident; from now on requests that need them get 503;
 * - `jwks_recovered`: the key set loaded again after a failure.
 */
export interface ClerkKeySetEvent {
  type: 'jwks_failed' | 'jwks_stale_expired' | 'jwks_recovered';
  name: string;
  /** `jwks_unavailable` while keys cannot be used; absent for `jwks_recovered`. */
  code?: 'jwks_unavailable';
  /** Origin and path of the key set (no query, no credentials). */
  jwksUri: string;
  /** What went wrong, e.g. `the JWKS endpoint answered HTTP 500`. */
  problem?: string;
  /** For `jwks_failed`: until when (ISO 8601) keys loaded earlier stay in use; absent when there are none. */
  staleUntil?: string;
}

/**
 * Hands a line to `warn` and the event to `event`, if there is one. A logger that throws must not
 * change how a request or a key-set fetch ends, so its errors are swallowed.
 */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
// A JWT (its header segment is base64url of `{"`) anywhere in the value: a token sent in the
// wrong header must not reach the log as a request id.
const TOKEN_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;

/** A request id fit for a log event: short printable ASCII that holds no token, else `undefined`. */
export function loggableRequestId(candidate: unknown): string | undefined {
  return typeof candidate === 'string' && REQUEST_ID.test(candidate) && !TOKEN_LIKE.test(candidate) ? candidate : undefined;
}

export function report(logger: ClerkLogger | null, event: ClerkLogEvent, line?: string): void {
  if (logger === null) return;
  try {
    if (line !== undefined) logger.warn(line);
  } catch {
    // ignored: see above
  }
  try {
    logger.event?.(event);
  } catch {
    // ignored: see above
  }
}

const LOGGERS = new WeakMap<object, ClerkLogger>();

/** Remembers the logger of a verifier, so that the adapter reports through the same one. */
export function attachLogger(verifier: object, logger: ClerkLogger | null): void {
  if (logger !== null) LOGGERS.set(verifier, logger);
}

/** The logger of a verifier from `createClerkVerifier()`; `null` when logging is off or unknown. */
export function loggerOf(verifier: object): ClerkLogger | null {
  return LOGGERS.get(verifier) ?? null;
}
