/**
 * express-clerk-jwt: Express middleware that verifies Clerk session tokens.
 *
 * `clerkAuth()` is the Express adapter over the framework-free core, which is re-exported here
 * and is also available alone as `express-clerk-jwt/core`.
 */
export * from './core';
export { clerkAuth, type ClerkAuthOptions } from './express/clerk-auth';
export {
  requireAuth,
  requireAuthorization,
  requireFeature,
  requireOrganization,
  requirePermission,
  requirePlan,
  requirePolicy,
  requireRole,
  requireScope,
  type AuthorizationCheck,
  type RequireAuthorizationOptions,
} from './express/guards';
export { clerkWebhook, type ClerkWebhookOptions } from './express/clerk-webhook';
