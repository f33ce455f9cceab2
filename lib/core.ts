/**
 * The framework-free core: verify Clerk session and machine tokens anywhere (Hono, Fastify, workers…). It
 * needs no Express and no Express types; `express-clerk-jwt` re-exports all of it plus
 * `clerkAuth()`.
 */
export { createClerkVerifier, MAX_HEADER_LENGTH, MAX_TOKEN_LENGTH, type ClerkVerifier, type ClerkVerifyOptions } from './verify-token';
export {
  isMachineUser,
  type AbsentSessionClaims,
  type AcceptedTokenTypes,
  type AcceptsToken,
  type ClerkMachineTokenType,
  type ClerkMachineUser,
  type ClerkPrincipal,
  type ClerkPrincipalOf,
} from './machine-tokens';
export { MAX_OPAQUE_TOKEN_LENGTH } from './verify-opaque-token';
export { type ClerkConfig, type ClerkKeySource, type ClerkLogger, type ClerkVerifierOptions } from './config';
export { ENV_VARS } from './env-vars';
export type { ClerkKeySetEvent, ClerkLogEvent, ClerkRequestRefusedEvent } from './log-events';
export type { ClerkUser, ClerkOrganizationClaim, ClerkTokenType } from './claims';
export { authorize, type AuthorizeUser } from './authorize';
export { getAuth, toAuth, type ClerkAuth, type ClerkAuthBase, type ClerkMachineAuth, type ClerkSessionAuth } from './auth-object';
export { checkHas, prefixWithOrg, type ClerkHasParams } from './has';
export { decodeOrgPermissions, parseScopedNames, type ClerkScopedNames } from './permissions';
export {
  createClerkBackendClient,
  type ClerkBackendClient,
  type ClerkBackendClientOptions,
  type ClerkBackendUser,
  type ClerkEmailAddress,
  type ClerkOrganizationMembership,
} from './backend-api';
export { requireOrganizationMembership, requireVerifiedEmail, type ClerkPolicy } from './policies';
export { readCookie, sessionCookieSuffix } from './session-cookie';
export {
  createSessionCookieAuthenticator,
  type SessionCookieAuthenticator,
  type SessionCookieHeaders,
  type SessionCookieOutcome,
  type SessionCookieRefusal,
  type SessionCookieRequest,
  type SessionCookieToken,
} from './authenticate-session-cookies';
export {
  createMastraAuthProvider,
  type ClerkMastraAuthProvider,
  type ClerkMastraProfile,
  type ClerkMastraUser,
  type MastraAuthProviderOptions,
  type MastraRouteMethod,
  type MastraRoutePattern,
  type MastraRoutePatterns,
} from './mastra-provider';
export { extractBearerToken } from './extract-token';
export { parsePublishableKey, type PublishableKeyInfo } from './publishable-key';
export {
  BackendApiUnavailableError,
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
  WebhookVerificationError,
  type WebhookErrorCode,
} from './errors';
export {
  createClerkWebhookVerifier,
  type ClerkWebhookConfig,
  type ClerkWebhookVerifier,
  type ClerkWebhookVerifierOptions,
  type WebhookDelivery,
  type WebhookHeaders,
} from './verify-webhook';
export type * from './webhook-events';
