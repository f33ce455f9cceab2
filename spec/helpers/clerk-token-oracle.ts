/**
 * What Clerk itself answers for a token: `@clerk/backend`'s `verifyToken` and the header path of
 * `authenticateRequest` (`Authorization: Bearer <token>`, session-token routes), both networkless
 * with `jwtKey`. For comparing verdicts: we must never accept a token Clerk refuses, and we may be
 * stricter only where the README says why. (Cookies have their own oracle: this one is for
 * tokens sent as Bearer, through the verifier, the middleware or the Mastra provider.)
 */
import { createClerkClient, verifyToken } from '@clerk/backend';
import { fakeSecretKey, publishableKeyFor } from './keys';

/** Clerk's options that ours mirror. */
export interface ClerkTokenOracleOptions {
  /** The instance's public key, PEM (what `jwtKey` / `CLERK_JWT_KEY` holds). */
  jwtKey: string;
  authorizedParties?: string[];
  clockSkewInMs?: number;
}

/** Clerk's answer: accepted (with the claims), or refused with Clerk's own reason. */
export type ClerkTokenVerdict = { accepted: true; claims: Record<string, unknown> } | { accepted: false; reason: string };

/** `verifyToken(token, { jwtKey, authorizedParties, clockSkewInMs })`. */
export async function clerkVerifyToken(token: string, options: ClerkTokenOracleOptions): Promise<ClerkTokenVerdict> {
  try {
    const claims = (await verifyToken(token, {
      jwtKey: options.jwtKey,
      ...(options.authorizedParties === undefined ? {} : { authorizedParties: options.authorizedParties }),
      ...(options.clockSkewInMs === undefined ? {} : { clockSkewInMs: options.clockSkewInMs }),
    })) as unknown as Record<string, unknown>;
    return { accepted: true, claims };
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    return { accepted: false, reason: typeof reason === 'string' ? reason : String(error) };
  }
}

// A made-up instance: the publishable key names a host that does not resolve, the secret key is
// random. With jwtKey, Clerk verifies a header token without any network.
const HOST = 'oracle.clerk.accounts.invalid';

/**
 * `authenticateRequest` with the token as `Authorization: Bearer <token>` on a session-token route
 * (Clerk's default `acceptsToken`): accepted when Clerk says signed in.
 */
export async function clerkAuthenticateBearer(token: string, options: ClerkTokenOracleOptions): Promise<ClerkTokenVerdict> {
  return clerkAuthenticateAuthorization(`Bearer ${token}`, options);
}

/**
 * `authenticateRequest` on a request whose only credentials are this `Authorization` header value
 * (give it the value as Node handed it to the app: Clerk's `parseAuthorizationHeader` reads that),
 * on a session-token route: accepted when Clerk says signed in. A value Fetch's `Headers` refuses
 * (a character above U+00FF, CR, LF) cannot reach Clerk: refused, with reason `unsendable`.
 */
export async function clerkAuthenticateAuthorization(authorization: string, options: ClerkTokenOracleOptions): Promise<ClerkTokenVerdict> {
  const publishableKey = publishableKeyFor(HOST);
  const client = createClerkClient({ publishableKey, secretKey: fakeSecretKey(), jwtKey: options.jwtKey, telemetry: { disabled: true } });
  let request: Request;
  try {
    request = new Request('http://localhost:3000/api/me', { headers: { authorization } });
  } catch {
    return { accepted: false, reason: 'unsendable' };
  }
  const state = await client.authenticateRequest(request, {
    jwtKey: options.jwtKey,
    publishableKey,
    ...(options.authorizedParties === undefined ? {} : { authorizedParties: options.authorizedParties }),
    ...(options.clockSkewInMs === undefined ? {} : { clockSkewInMs: options.clockSkewInMs }),
  });
  if (state.isAuthenticated) {
    const auth = state.toAuth() as { sessionClaims?: Record<string, unknown> } | null;
    return { accepted: true, claims: auth?.sessionClaims ?? {} };
  }
  return { accepted: false, reason: String(state.reason) };
}

/** Both of Clerk's answers; Clerk accepts only when both do. */
export async function clerkTokenVerdicts(token: string, options: ClerkTokenOracleOptions): Promise<{ verifyToken: ClerkTokenVerdict; authenticateRequest: ClerkTokenVerdict }> {
  return { verifyToken: await clerkVerifyToken(token, options), authenticateRequest: await clerkAuthenticateBearer(token, options) };
}

/** Whether Clerk accepts the token on both entries (a session-token route takes it only then). */
export async function clerkAccepts(token: string, options: ClerkTokenOracleOptions): Promise<boolean> {
  const verdicts = await clerkTokenVerdicts(token, options);
  return verdicts.verifyToken.accepted && verdicts.authenticateRequest.accepted;
}
