/**
 * express-clerk-jwt/testing: test your Clerk-protected app without Clerk and without network.
 *
 * `createTestIssuer()` starts a local issuer of Clerk-shaped session tokens on a loopback address,
 * with a JWKS endpoint your app's `clerkAuth()` can point at. It signs any token it is asked for:
 * for tests and local development only. The main entry point does not export it.
 */
export { createTestIssuer, type PublicJwk, type TestIssuer, type TestIssuerOptions } from './test-issuer';
export type { MintOptions, TestOrganization } from './test-tokens';
