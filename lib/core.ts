/**
 * The framework-free core: verify Clerk session and machine tokens anywhere (Hono, Fastify, workers…). It
 * needs no Express and no Express types; `express-clerk-jwt` re-exports all of it plus
 * `clerkAuth()`.
 */
export { createClerkVerifier, MAX_HEADER_LENGTH, MAX_TOKEN_LENGTH, type ClerkVerifier, type ClerkVerifyOptions } from './verification/verify-token';
export { type AcceptedTokenTypes, type AcceptsToken, type ClerkPrincipalOf } from './machine-tokens/accepted-token-types';
export { isMachineUser, type AbsentSessionClaims, type ClerkMachineTokenType, type ClerkMachineUser, type ClerkPrincipal } from './machine-tokens/machine-principal';
export { MAX_OPAQUE_TOKEN_LENGTH } from './machine-tokens/verify-opaque-token';
export { type ClerkConfig, type ClerkKeySource, type ClerkVerifierOptions } from './verification/verifier-options';
export { ENV_VARS } from './shared/env-vars';
export type { ClerkKeySetEvent, ClerkLogEvent, ClerkLogger, ClerkRequestRefusedEvent } from './shared/logger';
export type { ClerkUser, ClerkOrganizationClaim, ClerkTokenType } from './verification/claims';
export { authorize, type AuthorizeUser } from './authorization/authorize';
export { getAuth, toAuth, type ClerkAuth, type ClerkAuthBase, type ClerkMachineAuth, type ClerkSessionAuth } from './authorization/auth-object';
export type { ClerkHasParams } from './authorization/has';
export type { ClerkScopedNames } from './authorization/decode-features-plans-permissions';
export {
  createClerkBackendClient,
  type ClerkBackendClient,
  type ClerkBackendClientOptions,
  type ClerkBackendUser,
  type ClerkEmailAddress,
  type ClerkOrganizationMembership,
} from './backend-api/backend-api-client';
export { requireOrganizationMembership, requireVerifiedEmail, type ClerkPolicy } from './authorization/policies';
export { sessionCookieSuffix } from './verification/session-cookie';
export {
  createSessionCookieAuthenticator,
  type SessionCookieAuthenticator,
  type SessionCookieHeaders,
  type SessionCookieOutcome,
  type SessionCookieRefusal,
  type SessionCookieRequest,
  type SessionCookieToken,
} from './verification/authenticate-session-cookies';
export {
  createMastraAuthProvider,
  type ClerkMastraAuthProvider,
  type ClerkMastraProfile,
  type ClerkMastraUser,
  type MastraAuthProviderOptions,
  type MastraRouteMethod,
  type MastraRoutePattern,
  type MastraRoutePatterns,
} from './mastra/auth-provider';
export { extractBearerToken } from './verification/extract-token';
export { parsePublishableKey, type PublishableKeyInfo } from './shared/clerk-keys';
export {
  BackendApiUnavailableError,
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
} from './shared/errors';
export {
  createClerkWebhookVerifier,
  type ClerkWebhookConfig,
  type ClerkWebhookVerifier,
  type ClerkWebhookVerifierOptions,
  type WebhookDelivery,
  type WebhookHeaders,
} from './webhooks/verify-webhook';
export type * from './webhooks/webhook-events';
