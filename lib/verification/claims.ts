import type { InvalidTokenReason } from '../shared/errors';

/** The active organization in a v2 session token (`v: 2`). */
export interface ClerkOrganizationClaim {
  /** Organization id, `org_…`. */
  id: string;
  /** Slug. */
  slg?: string;
  /** Role without the `org:` prefix, e.g. `admin`. */
  rol?: string;
  /** Comma-separated permission names. */
  per?: string;
  /** Comma-separated decimal bit masks, one per organization feature. */
  fpm?: string;
  [claim: string]: unknown;
}

/**
 * The verified claims of a Clerk session token, set as `req.user`. v1 tokens carry the `org_*`
 * claims; v2 tokens (`v: 2`) carry `o`, `fea`, `pla` and `sts`. Custom claims added to the session
 * token in the Clerk Dashboard appear under their own names.
 */
export interface ClerkUser {
  /** User id, `user_…`. Always a non-empty string. */
  sub: string;
  /** Session id, `sess_…`. */
  sid?: string;
  /** Origin of the page that requested the token (checked against `authorizedParties`). */
  azp?: string;
  /** Frontend API URL of the instance, `https://<frontend-api>`. */
  iss?: string;
  /** Expiry (seconds since the epoch). Always present. */
  exp: number;
  /** Issued at (seconds since the epoch). */
  iat?: number;
  /** Not before (seconds since the epoch). */
  nbf?: number;
  /** Factor verification age: minutes since the first and second factor were verified. */
  fva?: [number, number];
  /** Actor, when the session is an impersonation. */
  act?: { sub: string; [claim: string]: unknown };
  /** v1: active organization id. */
  org_id?: string;
  /** v1: role in the active organization, e.g. `org:admin`. */
  org_role?: string;
  /** v1: slug of the active organization. */
  org_slug?: string;
  /** v1: permissions in the active organization, e.g. `org:invoices:read`. */
  org_permissions?: string[];
  /** Token version: `2` for v2 tokens, absent for v1. */
  v?: number;
  /** v2: active organization. */
  o?: ClerkOrganizationClaim;
  /** v2: session status, `active` or `pending`. */
  sts?: string;
  /** v2: features, e.g. `o:dashboard,u:reports`. */
  fea?: string;
  /** v2: plans, e.g. `u:free,o:pro`. */
  pla?: string;
  /** v2: token id. */
  jti?: string;
  /**
   * Always absent: it is what tells a machine principal (`ClerkMachineUser`, whose `tokenType` is
   * set) apart from session claims, so a session token carrying a `tokenType` claim is refused.
   */
  tokenType?: undefined;
  [claim: string]: unknown;
}

/**
 * The kinds of token Clerk issues (the `TokenType` of Clerk's SDKs, without `any`): session tokens
 * (JWTs), machine-to-machine tokens (`mt_…` or a JWT), OAuth access tokens (`oat_…` or a JWT) and
 * API keys (`ak_…`).
 */
export type ClerkTokenType = 'session_token' | 'm2m_token' | 'oauth_token' | 'api_key';

/** What is known of a token when it is classified; give only what is trusted at that time. */
export interface TokenEvidence {
  /** The token as sent. */
  readonly text?: string;
  /** Its protected header (may be read before the signature is checked). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Its payload: only once the signature is verified (no claim is read before). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Header `cat` of Clerk's machine-to-machine JWTs. */
export const M2M_TOKEN_CATEGORY = 'cl_B7d4PD333AAA';
/** Header `typ` values of OAuth access-token JWTs (RFC 9068), compared exactly as Clerk does. */
const OAUTH_JWT_TYPES: readonly unknown[] = ['at+jwt', 'application/at+jwt'];

/**
 * Which kind of Clerk token this is, told apart as Clerk's SDK does (`tokens/machine.ts`,
 * `tokens/jwtCategories.ts`): opaque tokens by prefix (`mt_` M2M, `oat_` OAuth, `ak_` API key);
 * JWTs by header (`cat` of the M2M category; `typ` `at+jwt` or `application/at+jwt`) and by claim
 * (`sub` starting `mch_`, a machine). M2M wins over OAuth, as in Clerk's `getMachineTokenType`.
 * Anything else is a session token, as far as its type goes.
 */
export function tokenTypeOf({ text, header, claims }: TokenEvidence): ClerkTokenType {
  const sub = claims?.['sub'];
  if (text?.startsWith('mt_') || (typeof sub === 'string' && sub.startsWith('mch_')) || header?.['cat'] === M2M_TOKEN_CATEGORY) return 'm2m_token';
  if (text?.startsWith('oat_') || OAUTH_JWT_TYPES.includes(header?.['typ'])) return 'oauth_token';
  if (text?.startsWith('ak_')) return 'api_key';
  return 'session_token';
}

/** Header `cat` values of a session token: none (older tokens), session, and Clerk's "ignore" marker. */
const SESSION_TOKEN_CATEGORIES: readonly unknown[] = [undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III'];
/** Header `cat` of a token made from a JWT template, accepted with `acceptJwtTemplates`. */
const JWT_TEMPLATE_CATEGORY = 'cl_B7d4PD222AAA';

/**
 * The header rules of a session token, after the JOSE rules every Clerk JWT passes: not a machine
 * token by its header, `typ` absent or `JWT`, and `cat` a session category (or, with
 * `acceptJwtTemplates`, the JWT-template one).
 *
 * @returns `null` when the header is acceptable.
 */
export function checkSessionHeader(header: Readonly<Record<string, unknown>>, acceptJwtTemplates: boolean): InvalidTokenReason | null {
  if (tokenTypeOf({ header }) !== 'session_token') return 'token_type_mismatch';
  if (header['typ'] !== undefined && header['typ'] !== 'JWT') return 'invalid_header';
  const category = header['cat'];
  if (!SESSION_TOKEN_CATEGORIES.includes(category) && !(acceptJwtTemplates && category === JWT_TEMPLATE_CATEGORY)) return 'unsupported_category';
  return null;
}

/** The claim rules a verifier applies, from its configuration. */
export interface ClaimRules {
  readonly issuer: string | null;
  readonly authorizedParties: readonly string[];
  readonly clockSkewInMs: number;
  readonly acceptPendingSessions: boolean;
  /** Accepted `aud` values; an `aud` the token carries must name one. Absent or empty: no rule. */
  readonly audience?: readonly string[] | undefined;
}

/** Why a claim set was refused. */
export interface ClaimRejection {
  reason: InvalidTokenReason;
  /** Set when the generic wording of the reason is not precise enough. */
  description?: string;
}

/**
 * Checks a signature-verified payload as Clerk's `verifyToken` does, plus the `iss` pin and the
 * pending-session rule. Times are compared in milliseconds with the skew, as Clerk does:
 * expired when `exp*1000 <= now - skew`; not yet valid when `nbf*1000 > now + skew`; issued in the
 * future when `iat*1000 > now + skew`. Stricter than Clerk on purpose: `sub` must be non-empty and
 * every time claim a finite number.
 *
 * @returns `null` when the claims are acceptable.
 */
export function checkClaims(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, now: number): ClaimRejection | null {
  const { sub, iss, azp, exp, nbf, iat } = payload;
  if (typeof sub !== 'string' || sub === '') {
    return { reason: 'invalid_claims', description: 'the sub claim is missing or not a string' };
  }
  if (rules.issuer !== null && iss !== rules.issuer) return { reason: 'invalid_issuer' };
  if (rules.authorizedParties.length > 0 && (typeof azp !== 'string' || !rules.authorizedParties.includes(azp))) {
    return { reason: 'invalid_authorized_party' };
  }
  const audience = rules.audience === undefined ? null : checkAudience(payload['aud'], rules.audience, false);
  if (audience !== null) return audience;
  if (!isTime(exp)) return { reason: 'invalid_claims', description: 'the exp claim is missing or not a number' };
  if (toMs(exp) <= now - rules.clockSkewInMs) return { reason: 'expired' };
  if (nbf !== undefined) {
    if (!isTime(nbf)) return { reason: 'invalid_claims', description: 'the nbf claim is not a number' };
    if (toMs(nbf) > now + rules.clockSkewInMs) return { reason: 'not_yet_valid' };
  }
  if (iat !== undefined) {
    if (!isTime(iat)) return { reason: 'invalid_claims', description: 'the iat claim is not a number' };
    if (toMs(iat) > now + rules.clockSkewInMs) return { reason: 'issued_in_future' };
  }
  if (payload.sts === 'pending' && !rules.acceptPendingSessions) return { reason: 'pending_session' };
  return null;
}

/** When claims that pass {@link checkClaims} now pass its time rules: from `from` (inclusive) until `until` (exclusive), in ms. */
export interface ValidityWindow {
  readonly from: number;
  readonly until: number;
}

/**
 * The time rules of {@link checkClaims} as a window, for claims that passed it: `exp` passes while
 * `now < exp*1000 + skew`, `nbf` and `iat` once `now >= t*1000 - skew`. The other rules do not
 * depend on the clock, so a cache hit checks this window alone.
 */
export function validityWindow(payload: Readonly<Record<string, unknown>>, clockSkewInMs: number): ValidityWindow {
  const { exp, nbf, iat } = payload;
  let from = -Infinity;
  if (isTime(nbf)) from = toMs(nbf) - clockSkewInMs;
  if (isTime(iat)) from = Math.max(from, toMs(iat) - clockSkewInMs);
  return { from, until: isTime(exp) ? toMs(exp) + clockSkewInMs : -Infinity };
}

/**
 * {@link checkClaims} for a session token, plus the rule that keeps session claims and machine
 * principals apart: no `tokenType` claim (a machine principal's `tokenType` is how `req.user` tells
 * them apart; a custom session claim of that name would blur it).
 */
export function checkSessionClaims(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, now: number): ClaimRejection | null {
  const rejection = checkClaims(payload, rules, now);
  if (rejection !== null) return rejection;
  if (Object.hasOwn(payload, 'tokenType')) {
    return { reason: 'invalid_claims', description: 'the token has a tokenType claim, a name reserved to tell machine principals apart' };
  }
  return null;
}

/**
 * The `aud` rule when `audience` is set (an empty list: no rule). For an OAuth access token, as
 * Clerk's `assertOAuthAudienceClaim`: `aud` is required, a non-empty string or a non-empty list of
 * non-empty strings, and one of them is in `audience`. For other tokens, as Clerk's
 * `assertAudienceClaim`, only when the token has an `aud`; stricter than Clerk, an `aud` of any
 * other shape (a number, `[]`, a list holding a non-string) is refused rather than ignored.
 */
export function checkAudience(aud: unknown, audience: readonly string[], required: boolean): { reason: InvalidTokenReason; description: string } | null {
  if (audience.length === 0) return null;
  if (aud === undefined && !required) return null;
  const list = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(list) || list.length === 0 || !list.every((entry) => typeof entry === 'string' && entry !== '')) {
    return {
      reason: 'invalid_audience',
      description: aud === undefined ? 'the token has no audience (aud), and this API requires one' : 'the token audience (aud) is not a string or a list of strings',
    };
  }
  return list.some((entry) => audience.includes(entry as string))
    ? null
    : { reason: 'invalid_audience', description: 'the token audience (aud) names none of the audiences this API accepts' };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

// NumericDate seconds to milliseconds, truncating fractions as Date#setUTCSeconds does in Clerk's SDK.
function toMs(seconds: number): number {
  return Math.trunc(seconds) * 1000;
}
