/**
 * The `Authorization` header of an Express request, every value of it, and the 401 that says what
 * it held instead of Bearer credentials.
 */
import type { Request } from 'express';
import { MissingTokenError } from '../shared/errors';
import { describeMissingBearer } from '../verification/extract-token';

const AUTHORIZATION = /^authorization$/i;

/** 401 `missing_token`, saying what the `Authorization` header held instead of Bearer credentials. */
export function missingToken(realm: string, authorization: string | readonly string[] | undefined): MissingTokenError {
  const description = describeMissingBearer(authorization);
  return new MissingTokenError(description === undefined ? { realm } : { realm, description });
}

/**
 * The `Authorization` header, or all its values when it was sent more than once (Node keeps only
 * the first in `req.headers`). Scans `rawHeaders`, which allocates nothing; `headersDistinct`
 * would build an object of arrays for every header of every request.
 */
export function authorizationOf(req: Request): string | readonly string[] | undefined {
  const first = req.headers.authorization;
  if (first === undefined) return undefined;
  const raw = req.rawHeaders as string[] | undefined;
  // A hand-made request (a test double) may lack rawHeaders: Node's own list then decides.
  if (raw === undefined) return req.headersDistinct?.authorization ?? first;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && AUTHORIZATION.test(name) && ++seen > 1) return req.headersDistinct.authorization;
  }
  return first;
}
