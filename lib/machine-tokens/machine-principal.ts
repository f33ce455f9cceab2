/**
 * The principal a verified machine token (M2M token, API key, OAuth access token) stands for, as
 * `req.user` and `authorizeUser` see it, and how it is built from a machine JWT's claims.
 */
import type { ClerkTokenType, ClerkUser } from '../verification/claims';

/** The machine token types: Clerk's `TokenType` without `session_token`. */
export type ClerkMachineTokenType = Exclude<ClerkTokenType, 'session_token'>;

/** Named claims of a {@link ClerkUser}, without its index signature. */
type NamedSessionClaims = keyof { [K in keyof ClerkUser as string extends K ? never : K]: ClerkUser[K] };

/**
 * The session claims a machine principal never has, declared absent so that reading them on
 * `req.user` (a session user or a machine) still type-checks: `req.user?.org_id` is
 * `string | undefined` whatever `req.user` holds.
 */
export type AbsentSessionClaims = Readonly<Partial<Record<Exclude<NamedSessionClaims, 'sub' | 'tokenType'>, undefined>>>;

/**
 * What a verified machine token stands for, set as `req.user` (and given to `authorizeUser`) on
 * routes whose `acceptsToken` lets it in. Told apart from session claims by `tokenType`, which
 * session claims never have.
 */
export interface ClerkMachineUser<T extends ClerkMachineTokenType = ClerkMachineTokenType> extends AbsentSessionClaims {
  /** `m2m_token`, `api_key` or `oauth_token`. */
  readonly tokenType: T;
  /**
   * Whom the token stands for: the machine (`mch_…`) for an M2M token; the user (`user_…`) or
   * organization (`org_…`) that owns an API key; the user who authorized an OAuth access token.
   */
  readonly sub: string;
  /** The token's id (`jti` of a JWT, `id` from the Backend API); `null` for a JWT without `jti`. */
  readonly id: string | null;
  /**
   * Scopes: an M2M token's `scopes` (space-separated in a JWT; else its `aud`), an API key's
   * `scopes`, an OAuth token's `scp` (or `scope`, space-separated). Empty when none.
   */
  readonly scopes: readonly string[];
  /**
   * Custom claims: an M2M token's or API key's `claims`; for a JWT, its payload without the
   * registered claims (`iss`, `sub`, `exp`, `nbf`, `iat`, `jti`). Empty when none.
   */
  readonly claims: Readonly<Record<string, unknown>>;
  /** When the token expires, in milliseconds since the epoch (`exp` × 1000 for a JWT); `null` when it never does. */
  readonly expiration: number | null;
  /** OAuth access tokens: the OAuth application's client id (`client_id`), when Clerk gives one. */
  readonly clientId?: string | undefined;
  /** API keys: the key's name, when Clerk gives one. */
  readonly name?: string | undefined;
  /** Any other property reads as `unknown`, as on session claims. */
  readonly [field: string]: unknown;
}

/** Whoever a verified token stands for: session claims ({@link ClerkUser}) or a {@link ClerkMachineUser}. */
export type ClerkPrincipal = ClerkUser | ClerkMachineUser;

/** Registered JWT claims left out of a machine principal's `claims` (Clerk's `M2M_RESERVED_JWT_CLAIMS`). */
const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'exp', 'nbf', 'iat', 'jti']);

/** Only the strings of a list; a string alone split on spaces. */
function stringList(value: unknown, split: boolean): string[] | null {
  if (typeof value === 'string') return split ? value.split(' ').filter((entry) => entry !== '') : [value];
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string' && entry !== '');
  return null;
}

/**
 * The principal of a verified machine JWT (its claims checked), as Clerk's
 * `M2MToken.fromJwtPayload` / `IdPOAuthAccessToken.fromJwtPayload` read it: id = `jti`; M2M scopes
 * = `scopes` split on spaces, else `aud`; OAuth scopes = `scp`, else `scope` split on spaces.
 */
export function principalFromJwt(type: 'm2m_token' | 'oauth_token', payload: Readonly<Record<string, unknown>>): ClerkMachineUser {
  // fromEntries defines own properties: a "__proto__" claim stays a claim, never the object's prototype.
  const claims: Record<string, unknown> = Object.fromEntries(Object.entries(payload).filter(([name]) => !REGISTERED_CLAIMS.has(name)));
  const scopes =
    type === 'm2m_token' ? (stringList(payload['scopes'], true) ?? stringList(payload['aud'], false) ?? []) : (stringList(payload['scp'], false) ?? stringList(payload['scope'], true) ?? []);
  const clientId = payload['client_id'];
  return machineUser({
    tokenType: type,
    sub: payload['sub'] as string,
    id: typeof payload['jti'] === 'string' ? payload['jti'] : null,
    scopes,
    claims,
    expiration: Math.trunc(payload['exp'] as number) * 1000,
    ...(type === 'oauth_token' && typeof clientId === 'string' ? { clientId } : {}),
  });
}

/** A principal object: its lists frozen (a fresh object per request; `claims` is the caller's copy). */
export function machineUser(fields: {
  tokenType: ClerkMachineTokenType;
  sub: string;
  id: string | null;
  scopes: readonly string[];
  claims: Record<string, unknown>;
  expiration: number | null;
  clientId?: string;
  name?: string;
}): ClerkMachineUser {
  return { ...fields, scopes: Object.freeze([...fields.scopes]) };
}

/** Whether a verified `req.user` (or `authorizeUser` argument) is a machine principal. */
export function isMachineUser(user: unknown): user is ClerkMachineUser {
  return typeof user === 'object' && user !== null && typeof (user as { tokenType?: unknown }).tokenType === 'string';
}
