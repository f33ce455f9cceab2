/**
 * Clerk-shaped session token payloads for the test kit: the v1 and v2 claim sets, with the
 * active organization encoded as Clerk encodes it (v2 permissions as feature bit masks).
 */
import { randomBytes } from 'node:crypto';

/** The active organization of a test session. */
export interface TestOrganization {
  /** Organization id, e.g. `org_test`. */
  id: string;
  /** Slug. Default is none. */
  slug?: string | undefined;
  /** Role, with or without the `org:` prefix (`admin` or `org:admin`). Default is `org:member`. */
  role?: string | undefined;
  /**
   * Permissions, `org:<feature>:<permission>`, e.g. `['org:invoices:read']`. Default is none. In
   * v2 tokens they are encoded as Clerk does: features in `fea`, names in `o.per`, one bit mask
   * per feature in `o.fpm`.
   */
  permissions?: readonly string[] | undefined;
}

/** How {@link TestIssuer.mint} shapes a token; the claims given to `mint()` still win. */
export interface MintOptions {
  /** Session token version: `1` (`org_*` claims) or `2` (`v: 2`, `o`, `fea`, `sts`). Default is the issuer's, else 1. */
  version?: 1 | 2 | undefined;
  /** Lifetime from now, in seconds; zero or negative makes an expired token. Default is 60, as Clerk's. */
  expiresInSeconds?: number | undefined;
  /** The session's active organization. Default is none. */
  organization?: TestOrganization | undefined;
  /** A v2 session with unfinished tasks (`sts: "pending"`), which counts as signed out. Default is false. */
  pending?: boolean | undefined;
  /**
   * `kid` put in the header instead of the current key's, e.g. to test a key the server does not
   * know (401 `unknown_key`). The token is still signed with the current key. Default is the
   * current key's id.
   */
  kid?: string | undefined;
}

/** What a payload is built from: the issuer's settings and the mint options. */
export interface SessionClaimsInput extends MintOptions {
  issuer: string;
  /** `azp`: origin of the page that asked for the token. */
  authorizedParty: string;
}

const PERMISSION = /^org:([^:,\s]+):([^:,\s]+)$/;

/**
 * A Clerk-shaped session token payload, valid for 60 seconds by default. `overrides` win; an
 * `undefined` override removes the claim.
 *
 * @throws {TypeError} when the options cannot be expressed in the asked version.
 */
export function buildSessionClaims(input: SessionClaimsInput, overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const version = input.version ?? 1;
  if (version !== 1 && version !== 2) throw new TypeError('version must be 1 or 2.');
  const lifetime = input.expiresInSeconds ?? 60;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime)) throw new TypeError('expiresInSeconds must be a finite number.');
  if (input.pending === true && version !== 2) {
    throw new TypeError('pending sessions exist only in v2 session tokens: pass version: 2 with pending: true.');
  }
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    azp: input.authorizedParty,
    exp: iat + Math.trunc(lifetime),
    fva: [0, -1],
    iat,
    iss: input.issuer,
    // Clerk backdates nbf by ten seconds.
    nbf: iat - 10,
    sid: 'sess_test',
    sub: 'user_test',
  };
  if (version === 2) {
    Object.assign(claims, { v: 2, jti: randomBytes(10).toString('hex'), sts: input.pending === true ? 'pending' : 'active' });
  }
  if (input.organization !== undefined) {
    Object.assign(claims, version === 2 ? organizationClaimsV2(input.organization) : organizationClaimsV1(input.organization));
  }
  assignOwn(claims, overrides);
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

function checkOrganization(organization: TestOrganization): { role: string; permissions: readonly string[] } {
  if (typeof organization !== 'object' || organization === null || typeof organization.id !== 'string' || organization.id === '') {
    throw new TypeError('organization must be an object with a non-empty id, e.g. { id: "org_test", role: "admin" }.');
  }
  const permissions = organization.permissions ?? [];
  if (!Array.isArray(permissions) || !permissions.every((permission) => typeof permission === 'string' && PERMISSION.test(permission))) {
    throw new TypeError('organization.permissions must be strings of the form org:<feature>:<permission>, e.g. org:invoices:read.');
  }
  const role = (organization.role ?? 'member').replace(/^org:/, '');
  return { role, permissions };
}

function organizationClaimsV1(organization: TestOrganization): Record<string, unknown> {
  const { role, permissions } = checkOrganization(organization);
  return { org_id: organization.id, org_slug: organization.slug, org_role: `org:${role}`, org_permissions: [...permissions] };
}

/**
 * `o: { id, slg, rol, per, fpm }` and `fea`: each feature gets a decimal bit mask over `per`,
 * bit j (least significant first) granting `org:<feature>:<per[j]>`.
 */
function organizationClaimsV2(organization: TestOrganization): Record<string, unknown> {
  const { role, permissions } = checkOrganization(organization);
  const features: string[] = [];
  const names: string[] = [];
  const masks = new Map<string, bigint>();
  for (const permission of permissions) {
    const [, feature, name] = PERMISSION.exec(permission) as RegExpExecArray & [string, string, string];
    if (!features.includes(feature)) features.push(feature);
    if (!names.includes(name)) names.push(name);
    masks.set(feature, (masks.get(feature) ?? 0n) | (1n << BigInt(names.indexOf(name))));
  }
  const o: Record<string, unknown> = { id: organization.id, rol: role };
  if (organization.slug !== undefined) o['slg'] = organization.slug;
  if (permissions.length > 0) {
    o['per'] = names.join(',');
    o['fpm'] = features.map((feature) => String(masks.get(feature))).join(',');
  }
  return { o, fea: features.length > 0 ? features.map((feature) => `o:${feature}`).join(',') : undefined };
}

/**
 * How {@link TestIssuer.mintM2M} and {@link TestIssuer.mintOAuth} shape a machine JWT; the claims
 * given still win.
 */
export interface MachineMintOptions {
  /**
   * Scopes: for an M2M token the `scopes` claim (space-separated; Clerk's M2M scopes are the
   * machine ids it may call, e.g. `['mch_billing']`), for an OAuth access token the `scp` claim.
   * Default is none (the claim is left out).
   */
  scopes?: readonly string[] | undefined;
  /** `aud`: one audience or a list. Default is none. */
  audience?: string | readonly string[] | undefined;
  /** Lifetime from now, in seconds; zero or negative makes an expired token. Default is 3600 (1 hour). */
  expiresInSeconds?: number | undefined;
  /** `kid` put in the header instead of the current key's. Default is the current key's id. */
  kid?: string | undefined;
  /**
   * M2M tokens: header `cat`. Default is Clerk's M2M category, `cl_B7d4PD333AAA`; `null` leaves it
   * out (Clerk accepts an M2M JWT without `cat`); any other value makes a token Clerk refuses.
   */
  category?: string | null | undefined;
  /** OAuth access tokens: header `typ`, `at+jwt` or `application/at+jwt`. Default is `at+jwt`. */
  type?: 'at+jwt' | 'application/at+jwt' | undefined;
}

/** What a machine JWT payload is built from. */
export interface MachineClaimsInput extends MachineMintOptions {
  issuer: string;
}

const SCOPE = /^[\x21-\x7e]+$/;

/**
 * A Clerk-shaped M2M or OAuth access-token JWT payload. M2M: `sub: "mch_test"`, `jti: "mt_…"`,
 * `scopes`. OAuth: `sub: "user_test"`, `client_id: "client_test"`, `jti: "oat_…"`, `scp`. Both:
 * `iss`, `iat` now, `nbf` ten seconds ago, `exp`, and `aud` when asked. `overrides` win; an
 * `undefined` override removes the claim.
 *
 * @throws {TypeError} when the options cannot be expressed.
 */
export function buildMachineClaims(type: 'm2m_token' | 'oauth_token', input: MachineClaimsInput, overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const lifetime = input.expiresInSeconds ?? 3600;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime)) throw new TypeError('expiresInSeconds must be a finite number.');
  const scopes = input.scopes;
  if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && SCOPE.test(scope)))) {
    throw new TypeError('scopes must be a list of non-empty strings without spaces, e.g. ["mch_billing"] or ["read:invoices"].');
  }
  const audience = input.audience;
  if (audience !== undefined && typeof audience !== 'string' && !(Array.isArray(audience) && audience.every((entry) => typeof entry === 'string'))) {
    throw new TypeError('audience must be a string or a list of strings.');
  }
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> =
    type === 'm2m_token'
      ? { iss: input.issuer, sub: 'mch_test', jti: `mt_${randomBytes(16).toString('hex')}`, iat, nbf: iat - 10, exp: iat + Math.trunc(lifetime) }
      : { iss: input.issuer, sub: 'user_test', client_id: 'client_test', jti: `oat_${randomBytes(16).toString('hex')}`, iat, nbf: iat - 10, exp: iat + Math.trunc(lifetime) };
  if (scopes !== undefined) claims[type === 'm2m_token' ? 'scopes' : 'scp'] = type === 'm2m_token' ? scopes.join(' ') : [...(scopes as readonly string[])];
  if (audience !== undefined) claims['aud'] = typeof audience === 'string' ? audience : [...audience];
  assignOwn(claims, overrides);
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** `Object.assign` that defines own properties: a `__proto__` claim becomes a claim, not the prototype. */
function assignOwn(target: Record<string, unknown>, source: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(source)) Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
