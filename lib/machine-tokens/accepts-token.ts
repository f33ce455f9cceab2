/**
 * Clerk's machine tokens (M2M tokens, API keys, OAuth access tokens): which types a route accepts
 * (`acceptsToken`), the principal a machine token stands for, and the rules of machine JWTs. The
 * signature step is the session tokens' (`createSignatureCheck`); opaque tokens go through the
 * Backend API (lib/machine-tokens/verify-opaque-token.ts).
 */
import { M2M_TOKEN_CATEGORY, tokenTypeOf, type ClerkTokenType, type ClerkUser } from '../verification/claims';
import { ClerkConfigError, InvalidTokenError, type InvalidTokenReason } from '../shared/errors';

/** The machine token types: Clerk's `TokenType` without `session_token`. */
export type ClerkMachineTokenType = Exclude<ClerkTokenType, 'session_token'>;

/**
 * What a route accepts, in Clerk's words (`acceptsToken` of `@clerk/express`): one token type,
 * `'any'` (all four), or a list of types.
 */
export type AcceptsToken = ClerkTokenType | 'any' | readonly ClerkTokenType[];

/** The token types an {@link AcceptsToken} value lets in. */
export type AcceptedTokenTypes<A extends AcceptsToken> = A extends 'any'
  ? ClerkTokenType
  : A extends readonly (infer T)[]
    ? T & ClerkTokenType
    : A & ClerkTokenType;

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

/**
 * The `req.user` (and `authorizeUser` argument) of a route with this `acceptsToken`: session
 * claims when it accepts session tokens, a machine principal of the machine types it accepts.
 */
export type ClerkPrincipalOf<A extends AcceptsToken> =
  | ('session_token' extends AcceptedTokenTypes<A> ? ClerkUser : never)
  | ([Exclude<AcceptedTokenTypes<A>, 'session_token'>] extends [never] ? never : ClerkMachineUser<Exclude<AcceptedTokenTypes<A>, 'session_token'>>);

const TOKEN_TYPES: readonly ClerkTokenType[] = ['session_token', 'm2m_token', 'api_key', 'oauth_token'];
export const MACHINE_TOKEN_TYPES: readonly ClerkMachineTokenType[] = ['m2m_token', 'api_key', 'oauth_token'];

/** The accepted token types, checked: never empty. */
export type AcceptedTypes = ReadonlySet<ClerkTokenType>;

const SESSION_ONLY: AcceptedTypes = Object.freeze(new Set<ClerkTokenType>(['session_token']));
const parsed = new Map<string, AcceptedTypes>([['session_token', SESSION_ONLY]]);

/**
 * Reads an `acceptsToken` value: one of `session_token`, `m2m_token`, `api_key`, `oauth_token`,
 * `any`, or a non-empty list of the first four without repeats. `undefined` is `session_token`.
 *
 * @throws {ClerkConfigError} naming `acceptsToken` for anything else.
 */
export function parseAcceptsToken(value: unknown, option = 'acceptsToken'): AcceptedTypes {
  if (value === undefined || value === 'session_token') return SESSION_ONLY;
  const names = `'session_token', 'm2m_token', 'api_key', 'oauth_token'`;
  const fail = (problem: string): never => {
    throw new ClerkConfigError(`${option} ${problem}. Use one of ${names} or 'any', or a list of the first four, e.g. ['session_token', 'm2m_token'].`, option);
  };
  let list: readonly unknown[];
  if (value === 'any') list = TOKEN_TYPES;
  else if (typeof value === 'string') list = [value];
  else if (Array.isArray(value)) list = value as unknown[];
  else return fail(`must be a token type or a list of token types, not ${value === null ? 'null' : typeof value}`);
  if (list.length === 0) fail('is an empty list, which would accept no token at all');
  const types = new Set<ClerkTokenType>();
  for (const entry of list) {
    if (entry === 'any') fail(`lists 'any' among other types: 'any' stands alone`);
    if (typeof entry !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(entry)) {
      fail(`has ${typeof entry === 'string' ? `"${entry.slice(0, 40)}"` : String(entry)}, which is not a Clerk token type`);
    }
    if (types.has(entry as ClerkTokenType)) fail(`lists '${String(entry)}' twice`);
    types.add(entry as ClerkTokenType);
  }
  // One frozen set per combination: the verifier memoizes its work per set.
  const key = TOKEN_TYPES.filter((type) => types.has(type)).join(',');
  let known = parsed.get(key);
  if (known === undefined) {
    known = Object.freeze(new Set(TOKEN_TYPES.filter((type) => types.has(type))));
    parsed.set(key, known);
  }
  return known;
}

/** Whether only session tokens are accepted (the default, and the fast path). */
export function isSessionOnly(accepted: AcceptedTypes): boolean {
  return accepted.size === 1 && accepted.has('session_token');
}

const TYPE_NAMES: Readonly<Record<ClerkTokenType, string>> = {
  session_token: 'a session token',
  m2m_token: 'an M2M token',
  api_key: 'an API key',
  oauth_token: 'an OAuth access token',
};

/** `session tokens, M2M tokens`: the accepted types in words. */
export function describeAccepted(accepted: AcceptedTypes): string {
  return TOKEN_TYPES.filter((type) => accepted.has(type))
    .map((type) => TYPE_NAMES[type].replace(/^an? /, '') + 's')
    .join(', ');
}

/**
 * 401 `token_type_mismatch`, naming the type found (`null`: what the header shows is not enough
 * to tell) and the types accepted, never the token.
 */
export function typeMismatch(found: ClerkTokenType | null, accepted: AcceptedTypes, realm: string): InvalidTokenError {
  const description =
    found === null
      ? `the token is not of a type this API accepts (${describeAccepted(accepted)})`
      : `the token is ${TYPE_NAMES[found]}, and this API accepts ${describeAccepted(accepted)} only`;
  return new InvalidTokenError('token_type_mismatch', { realm, description });
}

/** Header `typ` values of an OAuth access-token JWT, compared exactly as Clerk does. */
const OAUTH_JWT_TYPES: readonly unknown[] = ['at+jwt', 'application/at+jwt'];
/** Header `cat` values of a session token: none (older tokens), session, and Clerk's "ignore" marker. */
const SESSION_CATEGORIES: readonly unknown[] = [undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III'];
const JWT_TEMPLATE_CATEGORY = 'cl_B7d4PD222AAA';

/**
 * The header rules of a JWT on a route that accepts `accepted`, checked before any key is looked
 * up (so a token of a type the route refuses costs no key-set fetch). The header tells an OAuth
 * access token (`typ` `at+jwt`/`application/at+jwt`) and an M2M token with the M2M `cat`; a JWT
 * with `cat` absent may be a session token or an M2M token, told apart by `sub` once the signature
 * holds. For `accepted` = session tokens alone these are exactly `checkSessionHeader`'s rules.
 *
 * @returns `null` when the header is acceptable; `token_type_mismatch` is the caller's to describe.
 */
export function checkHeaderFor(header: Readonly<Record<string, unknown>>, accepted: AcceptedTypes, acceptJwtTemplates: boolean): InvalidTokenReason | null {
  const { typ, cat } = header;
  if (cat === M2M_TOKEN_CATEGORY) {
    if (!accepted.has('m2m_token')) return 'token_type_mismatch';
    return typ === undefined || typ === 'JWT' ? null : 'invalid_header';
  }
  if (OAUTH_JWT_TYPES.includes(typ)) return accepted.has('oauth_token') ? null : 'token_type_mismatch';
  if (typ !== undefined && typ !== 'JWT') return 'invalid_header';
  if (cat === undefined) return accepted.has('session_token') || accepted.has('m2m_token') ? null : 'token_type_mismatch';
  if (SESSION_CATEGORIES.includes(cat) || cat === JWT_TEMPLATE_CATEGORY) {
    if (!accepted.has('session_token')) return 'token_type_mismatch';
    return cat !== JWT_TEMPLATE_CATEGORY || acceptJwtTemplates ? null : 'unsupported_category';
  }
  return 'unsupported_category';
}

/**
 * The type a header alone shows, for describing a mismatch found before the signature: `null`
 * when it could be a session token or an M2M JWT (`cat` absent: only `sub` tells).
 */
export function headerTypeOf(header: Readonly<Record<string, unknown>>): ClerkTokenType | null {
  const type = tokenTypeOf({ header });
  return type === 'session_token' && header['cat'] === undefined ? null : type;
}

/**
 * The header rules an M2M JWT must pass once its `sub` showed it is one, as Clerk's
 * `verifyM2MJwt`: `cat` absent or the M2M category (a session, template or unknown category with a
 * machine `sub` is refused), `typ` absent or `JWT` (so an `at+jwt` token with a machine `sub` is
 * refused, as Clerk's header-type check does).
 */
export function checkM2MHeader(header: Readonly<Record<string, unknown>>): InvalidTokenReason | null {
  const { typ, cat } = header;
  if (cat !== undefined && cat !== M2M_TOKEN_CATEGORY) return 'unsupported_category';
  if (typ !== undefined && typ !== 'JWT') return 'invalid_header';
  return null;
}

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

/**
 * A `sessionCookie` reader only ever finds a session token (Clerk's `__session` cookie), so a route
 * that reads it must accept session tokens.
 *
 * @throws {ClerkConfigError} naming `sessionCookie` otherwise.
 */
export function assertCookieAccepted(accepted: AcceptedTypes): void {
  if (!accepted.has('session_token')) {
    throw new ClerkConfigError(
      "sessionCookie reads Clerk's __session cookie, which holds a session token, but acceptsToken does not let session tokens in: add 'session_token' or drop sessionCookie.",
      'sessionCookie',
    );
  }
}
