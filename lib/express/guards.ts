import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { toAuth, type ClerkAuth } from '../authorization/auth-object';
import { ClerkConfigError, InsufficientScopeError } from '../shared/errors';
import { clerkAuth, type ClerkAuthOptions } from './clerk-auth';
import { adapterSettings, verifiedClaims } from './request-marks';
import { settle } from './settle-outcome';
import { unverifiedRequestError } from './unverified-request';
import { prefixWithOrg } from '../authorization/has';
import type { AcceptsToken } from '../machine-tokens/accepted-token-types';
import { assertKnownOptions, optionNames } from '../shared/option-checks';
import { checkName, type ClerkPolicy } from '../authorization/policies';

/** The check of {@link requireAuthorization}: return `true` to allow. */
export type AuthorizationCheck = (auth: ClerkAuth, req: Request) => boolean | Promise<boolean>;

/** Options of {@link requireAuthorization}. */
export interface RequireAuthorizationOptions {
  /**
   * What the check asks for, in words without claim values, e.g. `an invoice of the user's
   * organization`; it becomes the 403's `error_description`. Default is a generic sentence.
   */
  requirement?: string | undefined;
}

const AUTHORIZATION_OPTIONS = optionNames<RequireAuthorizationOptions>({ requirement: true });

/**
 * Requires a verified user. Without options, a guard for routes behind `clerkAuth({ optional:
 * true })`: 401 `missing_token` when the request has no verified user. With options, the same as
 * `clerkAuth(options)` (authentication required).
 *
 * @throws {ClerkConfigError} when the options cannot work, or ask for `optional: true`.
 */
export function requireAuth<const A extends AcceptsToken = 'session_token'>(options?: Omit<ClerkAuthOptions<A>, 'optional'>): RequestHandler {
  if (options === undefined) return guard(null, () => true);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ClerkConfigError('requireAuth() options must be an object (or nothing, for a guard behind clerkAuth({ optional: true })).');
  }
  if ((options as { optional?: unknown }).optional === true) {
    throw new ClerkConfigError('requireAuth() cannot be optional: use clerkAuth({ optional: true }) instead.', 'optional');
  }
  return clerkAuth<A>(options);
}

/**
 * Requires an active organization in the token: any, or the one with this id (`org_…`) or slug.
 * To check membership of organizations that are not active, see `requireOrganizationMembership()`.
 */
export function requireOrganization(idOrSlug?: string): RequestHandler {
  oneArgument(arguments.length, 'requireOrganization', 'idOrSlug', 'organization');
  if (idOrSlug === undefined) return guard('an active organization is required', (auth) => auth.orgId !== null);
  const wanted = checkName(idOrSlug, 'idOrSlug');
  return guard(`the active organization must be "${wanted}"`, (auth) => auth.orgId === wanted || auth.orgSlug === wanted);
}

/** Requires this role in the active organization, e.g. `org:admin` (the `org:` prefix is optional). */
export function requireRole(role: string): RequestHandler {
  oneArgument(arguments.length, 'requireRole', 'role', 'role');
  const wanted = prefixWithOrg(checkName(role, 'role'));
  if (!/^org:[^:]+$/.test(wanted)) {
    throw new ClerkConfigError(`role must be a role key such as "org:admin" or "admin" (one name after "org:").`, 'role');
  }
  return guard(`the organization role "${wanted}" is required`, (auth) => auth.has({ role: wanted }));
}

/** Requires this permission in the active organization, e.g. `org:invoices:read`. */
export function requirePermission(permission: string): RequestHandler {
  oneArgument(arguments.length, 'requirePermission', 'permission', 'permission');
  const wanted = prefixWithOrg(checkName(permission, 'permission'));
  if (!/^org:[^:]+:[^:]+$/.test(wanted)) {
    throw new ClerkConfigError('permission must be a permission key such as "org:invoices:read" or "invoices:read" (a feature and a permission after "org:").', 'permission');
  }
  return guard(`the organization permission "${wanted}" is required`, (auth) => auth.has({ permission: wanted }));
}

/** Requires this feature (v2 `fea`), e.g. `dashboard`, `org:dashboard` or `user:dashboard`. */
export function requireFeature(feature: string): RequestHandler {
  oneArgument(arguments.length, 'requireFeature', 'feature', 'feature');
  const wanted = checkScopedName(feature, 'feature', 'dashboard');
  return guard(`the feature "${wanted}" is required`, (auth) => auth.has({ feature: wanted }));
}

/** Requires this plan (v2 `pla`), e.g. `pro`, `org:pro` or `user:free`. */
export function requirePlan(plan: string): RequestHandler {
  oneArgument(arguments.length, 'requirePlan', 'plan', 'plan');
  const wanted = checkScopedName(plan, 'plan', 'pro');
  return guard(`the plan "${wanted}" is required`, (auth) => auth.has({ plan: wanted }));
}

/**
 * Requires `check(auth, req)` to return exactly `true`. A throw or rejection goes to `next(err)`
 * (your 500), except a `ClerkAuthError` such as a Backend API 503, which is answered as such.
 */
export function requireAuthorization(check: AuthorizationCheck, options: RequireAuthorizationOptions = {}): RequestHandler {
  if (typeof check !== 'function') {
    throw new ClerkConfigError('requireAuthorization() needs a function (auth, req) => boolean | Promise<boolean>.', 'check');
  }
  assertKnownOptions(options, AUTHORIZATION_OPTIONS, 'requireAuthorization');
  const requirement = options.requirement;
  if (requirement !== undefined && (typeof requirement !== 'string' || !/^[\x20-\x7e]{1,200}$/.test(requirement))) {
    throw new ClerkConfigError('requirement must be 1 to 200 printable ASCII characters.', 'requirement');
  }
  if (requirement?.trim() === '') {
    throw new ClerkConfigError('requirement is blank: say what the check asks for (it becomes the 403 description), or leave it undefined.', 'requirement');
  }
  return guard(requirement ?? 'the user is not allowed to access this resource', check);
}

/** A ready-made policy (`requireVerifiedEmail(client)`, …) as a route guard. */
export function requirePolicy(policy: ClerkPolicy): RequestHandler {
  if (typeof policy !== 'function' || typeof policy.requirement !== 'string') {
    throw new ClerkConfigError('requirePolicy() needs a policy such as requireVerifiedEmail(client).', 'policy');
  }
  return guard(policy.requirement, (auth, req) => (auth.sessionClaims === null ? false : policy(auth.sessionClaims, req)));
}

/**
 * Requires this scope among those of a machine token (`getAuth(req).scopes`): an M2M token's
 * `scopes` (for Clerk's M2M tokens, the machine ids it may call), an API key's `scopes`, an OAuth
 * access token's `scp`/`scope`. Session tokens carry no scopes, so they get 403: put this guard
 * behind a `clerkAuth({ acceptsToken })` that lets machine tokens in.
 */
export function requireScope(scope: string): RequestHandler {
  oneArgument(arguments.length, 'requireScope', 'scope', 'scope');
  const wanted = checkName(scope, 'scope');
  return guard(`the scope "${wanted}" is required`, (auth) => auth.scopes.includes(wanted));
}

/**
 * A guard takes one name: `requireRole('org:admin', 'org:owner')` could mean either role or both,
 * and would silently check only the first.
 */
function oneArgument(count: number, factory: string, option: string, what: string): void {
  if (count > 1) {
    const either =
      option === 'idOrSlug'
        ? "auth.orgSlug === 'a' || auth.orgSlug === 'b'"
        : option === 'scope'
          ? "auth.scopes.includes('a') || auth.scopes.includes('b')"
          : `auth.has({ ${option}: 'a' }) || auth.has({ ${option}: 'b' })`;
    throw new ClerkConfigError(`${factory}() takes one ${what}: for any of several, use requireAuthorization((auth) => ${either}); for all of them, chain the guards.`, option);
  }
}

const ORG_SCOPES = ['o', 'org', 'organization'];
const USER_SCOPES = ['u', 'user'];

/** A feature or plan name as `has()` reads it: `name`, or `scope:name` with a known scope. */
function checkScopedName(value: unknown, option: string, example: string): string {
  const wanted = checkName(value, option);
  const parts = wanted.split(':');
  const [scope, name] = parts as [string, string | undefined];
  if (parts.length > 2 || (parts.length === 2 && (name === '' || ![...ORG_SCOPES, ...USER_SCOPES].includes(scope)))) {
    throw new ClerkConfigError(`${option} must be a name such as "${example}", or a scoped one: "org:${example}" (also o:, organization:) or "user:${example}" (also u:).`, option);
  }
  return wanted;
}

/**
 * A guard: 401 without claims verified by a `clerkAuth()` in front of it, then `check`; 403
 * `insufficient_scope` naming `requirement` unless it returns exactly `true`. Whatever the method:
 * a CORS preflight is refused too, so CORS middleware must answer it first.
 */
function guard(requirement: string | null, check: AuthorizationCheck): RequestHandler {
  return function clerkGuard(req: Request, res: Response, next: NextFunction): void {
    const settings = adapterSettings(req);
    const { realm } = settings;
    const outcome = (async () => {
      try {
        // Only what a clerkAuth() verified for this request: not any req.user with a sub.
        const user = verifiedClaims(req);
        if (user === undefined) throw unverifiedRequestError(req, realm);
        const auth = toAuth(user);
        if ((await check(auth, req)) !== true) {
          throw new InsufficientScopeError(requirement === null ? { realm } : { realm, description: requirement });
        }
        return null;
      } catch (error) {
        return { error };
      }
    })();
    settle(outcome, req, res, next, settings);
  };
}
