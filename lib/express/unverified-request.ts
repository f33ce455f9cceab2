import type { Request } from 'express';
import { ClerkAuthError, InvalidTokenError, MissingTokenError } from '../shared/errors';
import { extractBearerToken } from '../verification/extract-token';
import { authorizationOf, missingToken } from './authorization-header';
import { PENDING, type MarkedRequest } from './request-marks';

/**
 * Why a guard finds no claims verified for `req`: the pending session an optional `clerkAuth()`
 * let through, a malformed Bearer header (400), a Bearer token no `clerkAuth()` verified, or no
 * Bearer credentials at all (what was found instead, never the credential).
 */
export function unverifiedRequestError(req: Request, realm: string): ClerkAuthError {
  if ((req as MarkedRequest)[PENDING] === true) return new InvalidTokenError('pending_session', { realm });
  const authorization = authorizationOf(req);
  try {
    if (extractBearerToken(authorization, realm) !== null) {
      return new MissingTokenError({ realm, description: 'no clerkAuth() verified the Bearer token before this guard' });
    }
  } catch (error) {
    if (error instanceof ClerkAuthError) return error;
    throw error;
  }
  return missingToken(realm, authorization);
}
