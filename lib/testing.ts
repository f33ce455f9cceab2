/**
 * express-clerk-jwt/testing: test your Clerk-protected app without Clerk and without network.
 *
 * `createTestIssuer()` starts a local issuer of Clerk-shaped session tokens (and M2M and OAuth
 * access-token JWTs) on a loopback address, with a JWKS endpoint your app's `clerkAuth()` can point
 * at. `createTestBackendApi()` starts a fake of Clerk's Backend API that issues and judges opaque
 * machine tokens (`mt_…`, `ak_…`, `oat_…`). Both sign or vouch for whatever they are asked: for
 * tests and local development only. The main entry point does not export them.
 */
export { createTestIssuer, type TestIssuer, type TestIssuerOptions } from './test-kit/test-issuer';
export type { PublicJwk } from './test-kit/public-jwk';
export type { MachineMintOptions, MintOptions, TestOrganization } from './test-kit/test-tokens';
export { createTestBackendApi, type TestBackendApi, type TestBackendApiBehaviour, type TestBackendApiOptions, type TestMachineTokenOptions } from './test-kit/test-backend-api';
