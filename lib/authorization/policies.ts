import { toAuth } from './auth-object';
import type { ClerkBackendClient } from '../backend-api/backend-api-client';
import type { ClerkUser } from '../verification/claims';
import { ClerkConfigError } from '../shared/errors';
import { isMachineUser, type ClerkPrincipal } from '../machine-tokens/machine-principal';

/**
 * A ready-made authorization rule: usable as `authorizeUser` (of `clerkAuth()` or the Mastra
 * provider) and, through `requirePolicy()`, as a route guard. `requirement` says in words what it
 * asks for; it is the `error_description` of the 403. The ready-made policies are about users
 * signed in to a session: a machine principal (M2M token, API key, OAuth access token) is refused.
 */
export interface ClerkPolicy {
  (user: ClerkPrincipal, req?: unknown): Promise<boolean>;
  readonly requirement: string;
}

/** A header-safe, non-empty name: it ends up in a `WWW-Authenticate` description. */
const NAME = /^[\x21-\x7e]{1,200}$/;

/**
 * Allows users whose primary email address is verified (looked up with the Backend API, since
 * session tokens carry no email by default). Users Clerk does not know, and banned or locked
 * users, are refused.
 *
 * @throws (the returned policy) {BackendApiUnavailableError} (503) when the Backend API cannot answer.
 */
export function requireVerifiedEmail(client: ClerkBackendClient): ClerkPolicy {
  checkClient(client, 'requireVerifiedEmail');
  return policy('a verified primary email address is required', async (user) => {
    const found = await client.getUser(user.sub);
    return found !== null && !found.banned && !found.locked && found.primaryEmailAddress?.verified === true;
  });
}

/**
 * Allows members of the organization with this id (`org_…`) or slug, or, without an argument,
 * of any organization. An active organization in the token that matches is enough; otherwise
 * the memberships are looked up with the Backend API (all pages).
 *
 * @throws {ClerkConfigError} when `idOrSlug` is not a non-empty string.
 * @throws (the returned policy) {BackendApiUnavailableError} (503) when the Backend API cannot answer.
 */
export function requireOrganizationMembership(client: ClerkBackendClient, idOrSlug?: string): ClerkPolicy {
  checkClient(client, 'requireOrganizationMembership');
  if (idOrSlug !== undefined) checkName(idOrSlug, 'idOrSlug');
  const requirement = idOrSlug === undefined ? 'membership of an organization is required' : `membership of the organization "${idOrSlug}" is required`;
  const matches = (id: string | null, slug: string | null): boolean => id !== null && (idOrSlug === undefined || id === idOrSlug || slug === idOrSlug);
  return policy(requirement, async (user) => {
    const auth = toAuth(user);
    if (matches(auth.orgId, auth.orgSlug)) return true;
    const memberships = await client.getOrganizationMemberships(user.sub);
    return memberships.some(({ organization }) => matches(organization.id, organization.slug));
  });
}

/**
 * Checks a name given to a policy or guard (`org:admin`, `acme`…): printable ASCII, no spaces.
 *
 * @throws {ClerkConfigError} naming `option`.
 */
export function checkName(value: unknown, option: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new ClerkConfigError(`${option} must be a non-empty string of printable ASCII characters without spaces, e.g. "org:admin".`, option);
  }
  return value;
}

function policy(requirement: string, check: (user: ClerkUser) => Promise<boolean>): ClerkPolicy {
  const run = async (user: ClerkPrincipal, _req?: unknown, next?: unknown): Promise<boolean> => {
    // Mounted as middleware by mistake, (req, res, next): fail that request loudly rather than
    // leave it hanging (or reject where Express 4 would not catch it).
    if (typeof next === 'function') {
      (next as (error: Error) => void)(new TypeError('A policy is not Express middleware: guard a route with requirePolicy(policy), or pass it as authorizeUser.'));
      return false;
    }
    if (typeof user !== 'object' || user === null || typeof user.sub !== 'string' || user.sub === '') return false;
    // Session users only: a machine has no email and no memberships of its own.
    if (isMachineUser(user)) return false;
    return (await check(user)) === true;
  };
  return Object.freeze(Object.assign(run, { requirement }));
}

function checkClient(client: unknown, factory: string): void {
  if (typeof client !== 'object' || client === null || typeof (client as ClerkBackendClient).getUser !== 'function') {
    throw new ClerkConfigError(`${factory}() needs a client from createClerkBackendClient().`, 'client');
  }
}
