/**
 * Compile-time checks of the machine-token types: `req.user` a discriminated union that session
 * code still reads as before, `authorizeUser` typed by `acceptsToken`, the Mastra provider's user
 * type, and the auth object. Nothing here runs: `npm run typecheck` (tsc over spec/) compiles it,
 * and a line marked `@ts-expect-error` fails the build if it ever compiles.
 */
import type { Request } from 'express';
import {
  clerkAuth,
  createClerkVerifier,
  createMastraAuthProvider,
  getAuth,
  isMachineUser,
  toAuth,
  type AcceptsToken,
  type ClerkAuth,
  type ClerkAuthOptions,
  type ClerkMachineAuth,
  type ClerkMachineUser,
  type ClerkPrincipal,
  type ClerkPrincipalOf,
  type ClerkSessionAuth,
  type ClerkUser,
} from '../../lib';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// What each acceptsToken lets in.
export type SessionOnly = Expect<Equal<ClerkPrincipalOf<'session_token'>, ClerkUser>>;
export type M2MOnly = Expect<Equal<ClerkPrincipalOf<'m2m_token'>, ClerkMachineUser<'m2m_token'>>>;
export type Both = Expect<Equal<ClerkPrincipalOf<readonly ['session_token', 'm2m_token']>, ClerkUser | ClerkMachineUser<'m2m_token'>>>;
export type Any = Expect<Equal<ClerkPrincipalOf<'any'>, ClerkUser | ClerkMachineUser<'m2m_token' | 'api_key' | 'oauth_token'>>>;
export type Wide = Expect<Equal<ClerkPrincipalOf<AcceptsToken>, ClerkPrincipal>>;

// req.user: session code reads it as before; tokenType narrows.
export function handler(req: Request): void {
  const sub: string | undefined = req.user?.sub;
  const org: string | undefined = req.user?.org_id;
  const custom: unknown = req.user?.['email'];
  const session: ClerkUser | undefined = isMachineUser(req.user) ? undefined : req.user;
  if (req.user?.tokenType === 'api_key') {
    const scopes: readonly string[] = req.user.scopes;
    const name: string | undefined = req.user.name;
    void [scopes, name];
  }
  // @ts-expect-error: req.user may be a machine principal, which is no ClerkUser.
  const unnarrowed: ClerkUser | undefined = req.user;
  void [sub, org, custom, session, unnarrowed];
}

// authorizeUser is typed by acceptsToken: ClerkUser by default (functions typed for it still fit).
const forSessions = (user: ClerkUser): boolean => user.org_role === 'org:admin';
clerkAuth({ authorizeUser: forSessions });
clerkAuth({ acceptsToken: ['session_token', 'm2m_token'], authorizeUser: (user) => (user.tokenType === 'm2m_token' ? user.scopes.includes('mch_a') : user.sid !== undefined) });
clerkAuth({ acceptsToken: 'api_key', authorizeUser: (user) => user.tokenType === 'api_key' && user.sub.startsWith('org_') });
// @ts-expect-error: a function that only takes session claims cannot judge machine tokens.
clerkAuth({ acceptsToken: 'any', authorizeUser: forSessions });
// @ts-expect-error: not a Clerk token type.
clerkAuth({ acceptsToken: 'm2m' });
// Options built apart name their acceptsToken type; the default is session tokens only.
export const apart: ClerkAuthOptions<['session_token', 'oauth_token']> = { acceptsToken: ['session_token', 'oauth_token'] };
// @ts-expect-error: ClerkAuthOptions without a type argument is for session-token routes.
export const wrong: ClerkAuthOptions = { acceptsToken: 'm2m_token' };

// The verifier: session claims without acceptsToken, the union with it.
export async function verifying(token: string): Promise<void> {
  const verifier = createClerkVerifier();
  const claims: ClerkUser = await verifier.verify(token);
  const machine: ClerkMachineUser<'m2m_token'> = await verifier.verify(token, { acceptsToken: 'm2m_token' });
  const either: ClerkUser | ClerkMachineUser<'api_key'> = await verifier.verify(token, { acceptsToken: ['session_token', 'api_key'] });
  void [claims, machine, either];
}

// The auth object: toAuth keeps its session type for session claims; getAuth gives the union.
export function auth(user: ClerkUser, machine: ClerkMachineUser, req: Request): void {
  const session: ClerkSessionAuth = toAuth(user);
  const claims: ClerkUser = toAuth(user).sessionClaims;
  const machineAuth: ClerkMachineAuth = toAuth(machine);
  const any: ClerkAuth | null = getAuth(req);
  const scopes: readonly string[] | undefined = any?.scopes;
  if (any?.tokenType === 'm2m_token') {
    const principal: ClerkMachineUser = any.machine;
    void principal;
  }
  void [session, claims, machineAuth, scopes];
}

// The Mastra provider's users follow acceptsToken too.
export async function mastra(token: string): Promise<void> {
  const sessions = createMastraAuthProvider();
  const user: ClerkUser | null = await sessions.authenticateToken(token);
  const agents = createMastraAuthProvider({
    acceptsToken: ['session_token', 'm2m_token'],
    mapUserToResourceId: (principal) => (principal.tokenType === 'm2m_token' ? `machine:${principal.sub}` : principal.sub),
  });
  const principal: ClerkUser | ClerkMachineUser<'m2m_token'> | null = await agents.authenticateToken(token);
  void [user, principal];
}
