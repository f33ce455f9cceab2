import type { ClerkUser } from './claims';
import { checkHas, type ClerkHasParams } from './has';
import { decodeOrgPermissions, parseScopedNames, type ClerkScopedNames } from './permissions';

/**
 * The verified claims in the shape of Clerk's auth object, the same for v1 and v2 tokens. Absent
 * values are `null`. Built by {@link toAuth} or {@link getAuth}.
 */
export interface ClerkAuth {
  /** User id (`sub`). */
  readonly userId: string;
  /** Session id (`sid`); `null` for tokens without one (e.g. JWT templates). */
  readonly sessionId: string | null;
  /** v2 `sts`: `active` or `pending`; `null` when absent (v1). */
  readonly sessionStatus: string | null;
  /** The impersonator (`act`), when the session is an impersonation. */
  readonly actor: { readonly sub: string; readonly [claim: string]: unknown } | null;
  /** Active organization id. */
  readonly orgId: string | null;
  /** Role in the active organization, always with the `org:` prefix (e.g. `org:admin`). */
  readonly orgRole: string | null;
  /** Slug of the active organization. */
  readonly orgSlug: string | null;
  /**
   * Permissions in the active organization, e.g. `org:invoices:read`; decoded from `o.per` and
   * `o.fpm` in v2 tokens. `null` without an active organization.
   */
  readonly orgPermissions: readonly string[] | null;
  /** v2 `fea`: features by scope (empty in v1 tokens). */
  readonly features: ClerkScopedNames;
  /** v2 `pla`: plans by scope (empty in v1 tokens). */
  readonly plans: ClerkScopedNames;
  /** `fva`: minutes since the first and second factor were verified (`-1`: not enabled). */
  readonly factorVerificationAge: readonly [number, number] | null;
  /** The verified claims themselves. */
  readonly sessionClaims: ClerkUser;
  /**
   * Clerk's authorization check, e.g. `has({ role: 'org:admin' })` or
   * `has({ permission: 'org:invoices:read', plan: 'pro' })`. Every field given must hold;
   * unknown or malformed input is `false`.
   */
  has(params: ClerkHasParams): boolean;
}

const views = new WeakMap<object, ClerkAuth>();

/**
 * The normalised auth view of verified claims, computed once per claims object (later calls with
 * the same `req.user` return the same frozen view). Mirrors Clerk's
 * `JWTPayloadToAuthObjectProperties`: v2 tokens (`v: 2`) read `o`, `fea`, `pla`, `sts`, others
 * the v1 `org_*` claims. Claims of an unexpected type count as absent.
 */
export function toAuth(user: ClerkUser): ClerkAuth {
  const cached = views.get(user);
  if (cached !== undefined) return cached;
  const org = user.v === 2 ? fromV2(user) : fromV1(user);
  const view: ClerkAuth = {
    userId: user.sub,
    sessionId: stringOrNull(user.sid),
    sessionStatus: stringOrNull(user.sts),
    actor: isObject(user.act) && typeof user.act.sub === 'string' ? Object.freeze({ ...user.act }) : null,
    ...org,
    features: parseScopedNames(user.fea),
    plans: parseScopedNames(user.pla),
    factorVerificationAge: isFactorAge(user.fva) ? Object.freeze([user.fva[0], user.fva[1]] as const) : null,
    sessionClaims: user,
    has: (params) => checkHas(view, params),
  };
  Object.freeze(view);
  views.set(user, view);
  return view;
}

/**
 * The auth view of a request's verified user (`req.user` set by `clerkAuth()`), or `null` when
 * the request has none (optional mode without a session, or a `req.user` without a `sub` that
 * something else put there).
 */
export function getAuth(req: { readonly user?: ClerkUser | undefined }): ClerkAuth | null {
  const user: unknown = req.user;
  if (typeof user !== 'object' || user === null || typeof (user as ClerkUser).sub !== 'string' || (user as ClerkUser).sub === '') return null;
  return toAuth(user as ClerkUser);
}

type OrgFields = Pick<ClerkAuth, 'orgId' | 'orgRole' | 'orgSlug' | 'orgPermissions'>;

const NO_ORG: OrgFields = { orgId: null, orgRole: null, orgSlug: null, orgPermissions: null };

function fromV1(user: ClerkUser): OrgFields {
  const orgId = stringOrNull(user.org_id);
  if (orgId === null) return NO_ORG;
  const permissions = Array.isArray(user.org_permissions)
    ? Object.freeze(user.org_permissions.filter((permission): permission is string => typeof permission === 'string'))
    : null;
  return { orgId, orgRole: stringOrNull(user.org_role), orgSlug: stringOrNull(user.org_slug), orgPermissions: permissions };
}

function fromV2(user: ClerkUser): OrgFields {
  const o = user.o;
  if (!isObject(o)) return NO_ORG;
  const orgId = stringOrNull(o.id);
  if (orgId === null) return NO_ORG;
  const role = stringOrNull(o.rol);
  return {
    orgId,
    orgRole: role === null ? null : `org:${role}`,
    orgSlug: stringOrNull(o.slg),
    orgPermissions: Object.freeze(decodeOrgPermissions(user.fea, o.per, o.fpm)),
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFactorAge(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((age) => typeof age === 'number' && Number.isFinite(age));
}
