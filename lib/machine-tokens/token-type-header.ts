/**
 * What a JWT's header says about its token type, and the header rules of each type, checked
 * before any key is looked up (so a token of a type the route refuses costs no key-set fetch). The
 * signature step is the session tokens' (`createSignatureCheck`); opaque tokens go through the
 * Backend API (lib/machine-tokens/verify-opaque-token.ts).
 */
import { M2M_TOKEN_CATEGORY, tokenTypeOf, type ClerkTokenType } from '../verification/claims';
import type { InvalidTokenReason } from '../shared/errors';
import type { AcceptedTypes } from './accepted-token-types';

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
