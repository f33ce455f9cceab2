/**
 * express-clerk-jwt: Express middleware that verifies Clerk session tokens.
 *
 * `clerkAuth()` is the Express adapter; `createClerkVerifier()` is the framework-free core it is
 * built on, for other frameworks.
 */
export { clerkAuth, type ClerkAuthOptions } from './express';
export { createClerkVerifier, MAX_TOKEN_LENGTH, type ClerkVerifier } from './verify-token';
export { ENV_VARS, type ClerkConfig, type ClerkKeySource, type ClerkVerifierOptions } from './config';
export type { ClerkUser, ClerkOrganizationClaim } from './claims';
export { authorize, type AuthorizeUser } from './authorize';
export { extractBearerToken } from './extract-token';
export { parsePublishableKey, type PublishableKeyInfo } from './publishable-key';
export {
  bearerChallenge,
  ClerkAuthError,
  ClerkConfigError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  JwksUnavailableError,
  MissingTokenError,
  type ClerkAuthErrorBody,
  type ClerkAuthErrorCode,
  type ClerkAuthErrorOptions,
  type InvalidTokenReason,
} from './errors';
