/**
 * Which token types a route accepts (`acceptsToken`): the value read and checked once at startup,
 * the principal type it lets in, and the refusal of a token of another type.
 */
import type { ClerkTokenType, ClerkUser } from '../verification/claims';
import { ClerkConfigError, InvalidTokenError } from '../shared/errors';
import type { ClerkMachineUser } from './machine-principal';

/**
 * What a route accepts, in Clerk's words (`acceptsToken` of `@clerk/express`): one token type,
 * `'any'` (all four), or a list of types.
 */
export type AcceptsToken = ClerkTokenType | 'any' | readonly ClerkTokenType[];

/** The token types an {@link AcceptsToken} value lets in. */
export type AcceptedTokenTypes<A extends AcceptsToken> = A extends 'any' ? ClerkTokenType : A extends readonly (infer T)[] ? T & ClerkTokenType : A & ClerkTokenType;

/**
 * The `req.user` (and `authorizeUser` argument) of a route with this `acceptsToken`: session
 * claims when it accepts session tokens, a machine principal of the machine types it accepts.
 */
export type ClerkPrincipalOf<A extends AcceptsToken> =
  | ('session_token' extends AcceptedTokenTypes<A> ? ClerkUser : never)
  | ([Exclude<AcceptedTokenTypes<A>, 'session_token'>] extends [never] ? never : ClerkMachineUser<Exclude<AcceptedTokenTypes<A>, 'session_token'>>);

const TOKEN_TYPES: readonly ClerkTokenType[] = ['session_token', 'm2m_token', 'api_key', 'oauth_token'];

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
