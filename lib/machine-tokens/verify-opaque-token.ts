/**
 * Opaque machine tokens (`mt_…`, `ak_…`, `oat_…`): nothing in them can be checked locally, so
 * Clerk's Backend API says whether each one is valid. Bounded before any request, cached by hash,
 * one request per token at a time, and an outage is never a verdict.
 */
import { createHash } from 'node:crypto';
import { createBackendApiRequest, type BackendApiAnswer } from '../backend-api/backend-api-request';
import { checkAudience } from '../verification/claims';
import type { ClerkConfig, OpaqueTokenKeys } from '../verification/verifier-options';
import { BackendApiUnavailableError, InvalidTokenError, type InvalidTokenReason } from '../shared/errors';
import { machineUser, type ClerkMachineTokenType, type ClerkMachineUser } from './machine-principal';

/** Longest opaque machine token accepted, prefix included; longer is `malformed`, with no request. */
export const MAX_OPAQUE_TOKEN_LENGTH = 512;
/** Shortest secret part (after the prefix) accepted; Clerk's are 32 characters or more. */
export const MIN_OPAQUE_SECRET_LENGTH = 16;
// RFC 6750's b64token: the characters a Bearer token may hold. Clerk's API keys use base64 (+, /, =).
const OPAQUE_TOKEN = /^(?:mt|oat|ak)_[A-Za-z0-9._~+/-]+=*$/;

import { isRecord } from '../shared/json-values';
/** The type of an opaque token by its prefix, as Clerk tells them; `null` when it has none of them. */
export function opaqueTypeOf(token: string): ClerkMachineTokenType | null {
  if (token.startsWith('mt_')) return 'm2m_token';
  if (token.startsWith('oat_')) return 'oauth_token';
  if (token.startsWith('ak_')) return 'api_key';
  return null;
}

/**
 * Whether an opaque token is worth asking Clerk about: a known prefix, then 16 to
 * {@link MAX_OPAQUE_TOKEN_LENGTH} characters in all of RFC 6750's token alphabet. Anything else
 * costs no Backend API call.
 */
export function isPlausibleOpaqueToken(token: string): boolean {
  if (token.length > MAX_OPAQUE_TOKEN_LENGTH || !OPAQUE_TOKEN.test(token)) return false;
  return token.length - token.indexOf('_') - 1 >= MIN_OPAQUE_SECRET_LENGTH;
}

interface Endpoint {
  readonly path: string;
  readonly field: string;
}

/** Clerk's verify endpoints, each with the body field that carries the token. */
const ENDPOINTS: Readonly<Record<ClerkMachineTokenType, Endpoint>> = {
  m2m_token: { path: '/v1/m2m_tokens/verify', field: 'token' },
  api_key: { path: '/v1/api_keys/verify', field: 'secret' },
  oauth_token: { path: '/v1/oauth_applications/access_tokens/verify', field: 'access_token' },
};

/** A cached verdict: the principal as JSON text (a fresh object per request), or a refusal. */
type Verdict = { readonly principal: string; readonly expiration: number | null } | { readonly reason: InvalidTokenReason; readonly description?: string };

interface Entry {
  readonly verdict: Verdict;
  readonly expiresAt: number;
}

/** Verifies opaque machine tokens with the Backend API; one per verifier. */
export interface OpaqueTokenVerifier {
  /**
   * The principal of `token` (an opaque token of `type`, whose key this verifier has).
   *
   * @throws {InvalidTokenError} (401) `malformed`, `token_not_found`, `token_revoked`, `expired` or `invalid_audience`.
   * @throws {BackendApiUnavailableError} (503) when Clerk could not give a verdict.
   */
  verify(type: ClerkMachineTokenType, token: string): Promise<ClerkMachineUser>;
  /** The cache keys (SHA-256 of each token, base64url): for tests that check no raw token is kept. */
  cacheKeys(): string[];
}

/**
 * Creates the opaque-token verifier of a verifier. The cache (an LRU of `tokenCacheSize` entries,
 * keyed by the SHA-256 of the token, so it never holds a token) keeps each verdict for
 * `opaqueTokenCacheTtlInMs`, and a valid token's never past its expiration; refusals (not found,
 * revoked, expired) are kept as long, so a flood of one bad token costs one call per period;
 * outages are never kept. Concurrent requests with one token share one Backend API call.
 */
export function createOpaqueTokenVerifier(config: ClerkConfig, keys: OpaqueTokenKeys): OpaqueTokenVerifier {
  const realm = config.name;
  const request = createBackendApiRequest({ base: config.apiUrl, timeoutInMs: config.apiTimeoutInMs });
  const ttl = config.opaqueTokenCacheTtlInMs;
  const size = config.tokenCacheSize;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Verdict>>();

  const refuse = (reason: InvalidTokenReason, description?: string): InvalidTokenError => new InvalidTokenError(reason, description === undefined ? { realm } : { realm, description });

  /** The verdict of the cache or of Clerk, then what it means now. */
  async function verify(type: ClerkMachineTokenType, token: string): Promise<ClerkMachineUser> {
    if (!isPlausibleOpaqueToken(token)) throw refuse('malformed', 'the token is not a well-formed Clerk machine token');
    const key = createHash('sha256').update(token).digest('base64url');
    const verdict = cached(key) ?? (await lookUp(key, type, token));
    const now = Date.now();
    if ('reason' in verdict) throw refuse(verdict.reason, verdict.description);
    if (verdict.expiration !== null && verdict.expiration <= now) throw refuse('expired');
    return machineUser(JSON.parse(verdict.principal) as ClerkMachineUser & { claims: Record<string, unknown> });
  }

  function cached(key: string): Verdict | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    cache.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    // Most recently used last: Map keeps insertion order.
    cache.set(key, entry);
    return entry.verdict;
  }

  function lookUp(key: string, type: ClerkMachineTokenType, token: string): Promise<Verdict> {
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = ask(type, token).then(
        (verdict) => {
          inFlight.delete(key);
          remember(key, verdict);
          return verdict;
        },
        (error: unknown) => {
          inFlight.delete(key);
          throw error;
        },
      );
      inFlight.set(key, pending);
    }
    return pending;
  }

  function remember(key: string, verdict: Verdict): void {
    if (size === 0 || ttl === 0) return;
    const now = Date.now();
    // A valid token's entry ends at its expiration at the latest.
    const expiresAt = 'principal' in verdict && verdict.expiration !== null ? Math.min(now + ttl, verdict.expiration) : now + ttl;
    if (expiresAt <= now) return;
    cache.delete(key);
    cache.set(key, { verdict, expiresAt });
    if (cache.size > size) cache.delete(cache.keys().next().value as string);
  }

  /** One Backend API call: Clerk's verdict on `token`. */
  async function ask(type: ClerkMachineTokenType, token: string): Promise<Verdict> {
    const { path, field } = ENDPOINTS[type];
    const machineKey = type === 'm2m_token' ? keys.machineSecretKey : null;
    const key = machineKey ?? keys.secretKey;
    if (key === null) throw new Error(`no key to verify opaque ${type} tokens`); // ruled out by the callers
    const answer: BackendApiAnswer = await request(path, {
      method: 'POST',
      body: { [field]: token },
      key,
      keyOption: machineKey === null ? 'secretKey' : 'machineSecretKey',
      // Clerk answers 404 for a token it does not know, whatever its error code.
      notFound: () => true,
      lookup: 'token',
    });
    if (!answer.found) return { reason: 'token_not_found' };
    const verdict = toVerdict(type, answer.body, config.audience, Date.now());
    if (verdict === null) throw new BackendApiUnavailableError('it answered with something that is not a verified token', { lookup: 'token', realm });
    return verdict;
  }

  return Object.freeze({ verify, cacheKeys: () => [...cache.keys()] });
}

const MAX_SUBJECT_LENGTH = 256;
const SUBJECT = /^[\x21-\x7e]+$/;

/**
 * Clerk's answer (`{ id, subject, scopes, claims, revoked, expired, expiration, … }`) as a
 * verdict: refused when `revoked` or `expired` is true or `expiration` (milliseconds) has passed,
 * or, for an OAuth token with `audience` set, when its `aud` names none of them. `null` when the
 * answer is not what Clerk sends (a 503: never a guess either way).
 */
function toVerdict(type: ClerkMachineTokenType, body: unknown, audience: readonly string[], now: number): Verdict | null {
  if (!isRecord(body)) return null;
  const { id, subject, scopes, claims, revoked, expired, expiration, name, client_id: clientId } = body;
  if (typeof id !== 'string' || id === '' || typeof subject !== 'string' || subject.length > MAX_SUBJECT_LENGTH || !SUBJECT.test(subject)) return null;
  if (scopes !== undefined && scopes !== null && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))) return null;
  if (claims !== undefined && claims !== null && !isRecord(claims)) return null;
  if ((revoked !== undefined && typeof revoked !== 'boolean') || (expired !== undefined && typeof expired !== 'boolean')) return null;
  if (expiration !== undefined && expiration !== null && !(typeof expiration === 'number' && Number.isFinite(expiration))) return null;
  if (revoked === true) return { reason: 'token_revoked' };
  if (expired === true || (typeof expiration === 'number' && expiration <= now)) return { reason: 'expired' };
  if (type === 'oauth_token') {
    const rejection = checkAudience(body['aud'], audience, true);
    if (rejection !== null) return rejection;
  }
  const principal = machineUser({
    tokenType: type,
    sub: subject,
    id,
    scopes: scopes ?? [],
    claims: claims ?? {},
    expiration: typeof expiration === 'number' ? expiration : null,
    ...(type === 'oauth_token' && typeof clientId === 'string' ? { clientId } : {}),
    ...(type === 'api_key' && typeof name === 'string' ? { name } : {}),
  });
  return { principal: JSON.stringify(principal), expiration: principal.expiration };
}
