/**
 * How a middleware's work ends (`clerkAuth()`'s and the guards'): `next()`, or a refusal reported
 * to the logger and answered (or forwarded to `next(err)`).
 */
import { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ClerkAuthError, InvalidTokenError } from '../shared/errors';
import { loggableRequestId, report } from '../shared/logger';
import type { AdapterSettings } from './request-marks';

/** The outcome of a middleware's work: `null` to go on, or the error to answer with. */
export type Outcome = { error: unknown } | null;

/**
 * Ends a middleware's work: `next()` when `outcome` is null; otherwise reports a
 * {@link ClerkAuthError} to the logger's `event` hook, then answers it (unless `forwardErrors`)
 * or hands the error to `next(err)`.
 */
export function settle(outcome: Outcome | Promise<Outcome>, req: Request, res: Response, next: NextFunction, settings: AdapterSettings): void {
  if (!(outcome instanceof Promise)) {
    // Synchronous: Express's router catches what next() or the response might throw.
    finish(outcome, req, res, next, settings);
    return;
  }
  outcome
    .then((result) => finish(result, req, res, next, settings))
    .catch((error: unknown) => {
      // Only reachable if next() or the response itself throws, which Express's never do; the
      // process must not die of an unhandled rejection all the same.
      // eslint-disable-next-line no-console -- last resort for what next() or the response threw: never swallowed silently
      console.error(error);
      res.destroy();
    });
}

function finish(result: Outcome, req: Request, res: Response, next: NextFunction, settings: AdapterSettings): void {
  if (result === null) return next();
  const { error } = result;
  if (error instanceof ClerkAuthError) reportRefusal(error, req, settings);
  if (error instanceof ClerkAuthError && !settings.forwardErrors && !res.headersSent) {
    // A real response gets Node's own methods; anything else (a test double) Express's helpers.
    if (isNodeResponse(res)) answer(res, error);
    else res.status(error.status).set(error.headers).json(error.toJSON());
    return;
  }
  // A non-Error thrown by authorizeUser must not reach next() as-is: next('route') would skip
  // the route and next(undefined) would let the request through.
  next(error instanceof Error ? error : new Error('an authorization check threw a value that is not an Error', { cause: error }));
}

/**
 * Answers the error with Node's own response methods: its status, its headers, and its JSON body
 * with `Content-Type` and `Content-Length`. The same response as Express's
 * `res.status().set().json()`, less the `ETag` (a refusal is never cached) and the helpers' work
 * (content-type parsing, a SHA-1 of the body), which cost about as much as the rest of a refused
 * request. A HEAD request gets the headers alone, as with Express.
 */
function answer(res: Response, error: ClerkAuthError): void {
  const body = JSON.stringify(error.toJSON());
  res.statusCode = error.status;
  const { headers } = error;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Whether `res` is Node's response (as Express's always is), not a test double with Express's helpers alone. */
function isNodeResponse(res: Response): boolean {
  return res instanceof ServerResponse;
}

function reportRefusal(error: ClerkAuthError, req: Request, { realm, logger }: AdapterSettings): void {
  if (logger?.event === undefined) return;
  const requestId = requestIdOf(req);
  report(logger, {
    type: 'request_refused',
    name: realm,
    code: error.code,
    status: error.status,
    ...(error instanceof InvalidTokenError ? { reason: error.reason } : {}),
    ...(requestId === undefined ? {} : { requestId }),
  });
}

/** `req.id` (pino-http and the like) or `X-Request-Id`, when it is short printable ASCII and not a token; never anything else of the request. */
function requestIdOf(req: Request): string | undefined {
  const own = (req as { id?: unknown }).id;
  const candidate = typeof own === 'string' || typeof own === 'number' ? String(own) : req.headers['x-request-id'];
  return loggableRequestId(candidate);
}
