/**
 * What Clerk itself answers for a machine token: `@clerk/backend`'s `authenticateRequest` with
 * `acceptsToken`, the token as `Authorization: Bearer <token>`. Networkless for JWTs (`jwtKey`);
 * for opaque tokens it calls the Backend API at `apiUrl` (the test fake) with `secretKey` or
 * `machineSecretKey`. We must never accept a machine token Clerk refuses.
 */
import { createClerkClient } from '@clerk/backend';
import { fakeSecretKey, publishableKeyFor } from './keys';

/** Clerk's options that ours mirror. */
export interface ClerkMachineOracleOptions {
  acceptsToken: 'session_token' | 'm2m_token' | 'api_key' | 'oauth_token' | 'any' | ('session_token' | 'm2m_token' | 'api_key' | 'oauth_token')[];
  /** The instance's public key, PEM. */
  jwtKey: string;
  apiUrl?: string;
  secretKey?: string;
  machineSecretKey?: string;
  audience?: string | string[];
  authorizedParties?: string[];
}

/** Clerk's answer: accepted (with the auth object's token type, subject and scopes) or refused with its reason. */
export type ClerkMachineVerdict = { accepted: true; tokenType: string; subject: string | undefined; scopes: string[] | undefined } | { accepted: false; reason: string };

const HOST = 'oracle.clerk.accounts.invalid';

export async function clerkAuthenticateMachine(token: string, options: ClerkMachineOracleOptions): Promise<ClerkMachineVerdict> {
  const publishableKey = publishableKeyFor(HOST);
  const secretKey = options.secretKey ?? fakeSecretKey();
  const shared = {
    publishableKey,
    secretKey,
    jwtKey: options.jwtKey,
    ...(options.apiUrl === undefined ? {} : { apiUrl: options.apiUrl }),
    ...(options.machineSecretKey === undefined ? {} : { machineSecretKey: options.machineSecretKey }),
  };
  const client = createClerkClient({ ...shared, telemetry: { disabled: true } });
  const request = new Request('http://localhost:3000/api/x', { headers: { authorization: `Bearer ${token}` } });
  const state = await client.authenticateRequest(request, {
    ...shared,
    acceptsToken: options.acceptsToken,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(options.authorizedParties === undefined ? {} : { authorizedParties: options.authorizedParties }),
  } as Parameters<typeof client.authenticateRequest>[1]);
  if (!state.isAuthenticated) return { accepted: false, reason: String(state.reason) };
  const auth = state.toAuth() as unknown as { tokenType: string; subject?: string; userId?: string; scopes?: string[] };
  return { accepted: true, tokenType: auth.tokenType, subject: auth.subject ?? auth.userId, scopes: auth.scopes };
}
