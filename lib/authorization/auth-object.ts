import type { ClerkTokenType, ClerkUser } from '../verification/claims';
import { checkHas, type ClerkHasParams } from './has';
import { isMachineUser, type ClerkMachineTokenType, type ClerkMachineUser, type ClerkPrincipal } from '../machine-tokens/machine-principal';
import { decodeOrgPermissions, parseScopedNames, type ClerkScopedNames } from './decode-features-plans-permissions';

import { isRecord, nonEmptyStringOrNull } from '../shared/json-values';
/**
 * What every auth view has, session or machine. Built by {@link toAuth} or {@link getAuth}; see
 * {@link ClerkSessionAuth} and {@link ClerkMachineAuth}, told apart by `tokenType`.
 */
export interface ClerkAuthBase {
  /** The kind of token: `session_token`, or a machine token type. */
  readonly tokenType: ClerkTokenType;
  /**
   * The subject (`sub`): the user id of a session; for a machine token, whom it stands for (the
   * machine `mch_…` of an M2M token, the owner `user_…`/`org_…` of an API key, the user of an
   * OAuth access token). Check `tokenType` before taking it for a user.
   */
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
  /** Scopes of a machine token (see `ClerkMachineUser.scopes`); empty for a session. */
  readonly scopes: readonly string[];
  /**
   * Clerk's authorization check, e.g. `has({ role: 'org:admin' })` or
   * `has({ permission: 'org:invoices:read', plan: 'pro' })`. Every field given must hold;
   * unknown or malformed input is `false`. Always `false` for a machine token (no organization,
   * role, permission, feature or plan), as in Clerk.
   */
  has(params: ClerkHasParams): boolean;
}

/** The auth view of a session token, the same for v1 and v2 tokens. Absent values are `null`. */
export interface ClerkSessionAuth extends ClerkAuthBase {
  readonly tokenType: 'session_token';
  /** The verified claims themselves. */
  readonly sessionClaims: ClerkUser;
  /** `null`: a session is no machine. */
  readonly machine: null;
}

/**
 * The auth view of a machine token (M2M token, API key, OAuth access token): no session, no
 * active organization, `has()` always `false`; `scopes` and `machine` say what it may do.
 */
export interface ClerkMachineAuth extends ClerkAuthBase {
  readonly tokenType: ClerkMachineTokenType;
  /** `null`: a machine token has no session claims. */
  readonly sessionClaims: null;
  /** The machine principal (`req.user`): `id`, `scopes`, `claims`, `expiration`… */
  readonly machine: ClerkMachineUser;
}

/**
 * The verified principal in the shape of Clerk's auth object: a {@link ClerkSessionAuth} for
 * session claims, a {@link ClerkMachineAuth} for a machine token; switch on `tokenType`.
 */
export type ClerkAuth = ClerkSessionAuth | ClerkMachineAuth;

const views = new WeakMap<object, ClerkAuth>();

/**
 * The normalised auth view of verified claims (or of a machine principal), computed once per
 * object (later calls with the same `req.user` return the same frozen view). Mirrors Clerk's
 * `JWTPayloadToAuthObjectProperties`: v2 tokens (`v: 2`) read `o`, `fea`, `pla`, `sts`, others
 * the v1 `org_*` claims. Claims of an unexpected type count as absent.
 */
export function toAuth(user: ClerkUser): ClerkSessionAuth;
export function toAuth(user: ClerkMachineUser): ClerkMachineAuth;
export function toAuth(user: ClerkPrincipal): ClerkAuth;
export function toAuth(user: ClerkPrincipal): ClerkAuth {
  const cached = views.get(user);
  if (cached !== undefined) return cached;
  const view = isMachineUser(user) ? machineView(user) : sessionView(user);
  Object.freeze(view);
  views.set(user, view);
  return view;
}

function sessionView(user: ClerkUser): ClerkSessionAuth {
  const org = user.v === 2 ? fromV2(user) : fromV1(user);
  const view: ClerkSessionAuth = {
    tokenType: 'session_token',
    userId: user.sub,
    sessionId: nonEmptyStringOrNull(user.sid),
    sessionStatus: nonEmptyStringOrNull(user.sts),
    actor: isRecord(user.act) && typeof user.act.sub === 'string' ? Object.freeze({ ...user.act }) : null,
    ...org,
    features: parseScopedNames(user.fea),
    plans: parseScopedNames(user.pla),
    factorVerificationAge: isFactorAge(user.fva) ? Object.freeze([user.fva[0], user.fva[1]] as const) : null,
    scopes: NO_SCOPES,
    sessionClaims: user,
    machine: null,
    has: (params) => checkHas(view, params),
  };
  return view;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);
const NO_NAMES: ClerkScopedNames = Object.freeze({ org: NO_SCOPES, user: NO_SCOPES });

function machineView(user: ClerkMachineUser): ClerkMachineAuth {
  return {
    tokenType: user.tokenType,
    userId: user.sub,
    sessionId: null,
    sessionStatus: null,
    actor: null,
    ...NO_ORG,
    features: NO_NAMES,
    plans: NO_NAMES,
    factorVerificationAge: null,
    scopes: Object.freeze(Array.isArray(user.scopes) ? user.scopes.filter((scope): scope is string => typeof scope === 'string') : []),
    sessionClaims: null,
    machine: user,
    has: () => false,
  };
}

/**
 * The auth view of a request's verified principal (`req.user` set by `clerkAuth()`), or `null`
 * when the request has none (optional mode without a token, or a `req.user` without a `sub` that
 * something else put there).
 */
export function getAuth(req: { readonly user?: ClerkPrincipal | undefined }): ClerkAuth | null {
  const user: unknown = req.user;
  if (typeof user !== 'object' || user === null || typeof (user as ClerkUser).sub !== 'string' || (user as ClerkUser).sub === '') return null;
  return toAuth(user as ClerkPrincipal);
}

type OrgFields = Pick<ClerkAuth, 'orgId' | 'orgRole' | 'orgSlug' | 'orgPermissions'>;

const NO_ORG: OrgFields = { orgId: null, orgRole: null, orgSlug: null, orgPermissions: null };

function fromV1(user: ClerkUser): OrgFields {
  const orgId = nonEmptyStringOrNull(user.org_id);
  if (orgId === null) return NO_ORG;
  const permissions = Array.isArray(user.org_permissions) ? Object.freeze(user.org_permissions.filter((permission): permission is string => typeof permission === 'string')) : null;
  return { orgId, orgRole: nonEmptyStringOrNull(user.org_role), orgSlug: nonEmptyStringOrNull(user.org_slug), orgPermissions: permissions };
}

function fromV2(user: ClerkUser): OrgFields {
  const o = user.o;
  if (!isRecord(o)) return NO_ORG;
  const orgId = nonEmptyStringOrNull(o.id);
  if (orgId === null) return NO_ORG;
  const role = nonEmptyStringOrNull(o.rol);
  return {
    orgId,
    orgRole: role === null ? null : `org:${role}`,
    orgSlug: nonEmptyStringOrNull(o.slg),
    orgPermissions: Object.freeze(decodeOrgPermissions(user.fea, o.per, o.fpm)),
  };
}

function isFactorAge(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((age) => typeof age === 'number' && Number.isFinite(age));
}
