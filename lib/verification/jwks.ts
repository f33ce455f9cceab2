import { KeyObject as KeyObjectClass, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, type CompactJWSHeaderParameters, type CryptoKey, type FlattenedJWSInput, type JSONWebKeySet } from '../shared/jose';
import type { ClerkConfig, KeyMaterial } from './verifier-options';
import { label } from '../shared/env-vars';
import { InvalidTokenError, JWKS_RETRY_AFTER_SECONDS, JwksUnavailableError } from '../shared/errors';
import { errorCode, isTimeout } from '../shared/fetch-errors';
import { report, type ClerkLogger } from '../shared/logger';
import type { KeyIdentity } from './token-cache';

/** Finds the key that should have signed a token, and says later whether that key still serves. */
export type KeyGetter = ((header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>) & KeyIdentity;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

const USER_AGENT = 'express-clerk-jwt';
/** After a failed fetch, no new one before this (or the cooldown, if shorter). */
const FAILURE_BACKOFF_MS = JWKS_RETRY_AFTER_SECONDS * 1000;

/**
 * Builds the key lookup of one verifier, once: with `jwtKey`, that key; otherwise a
 * {@link RemoteKeySet}.
 */
export function createKeyGetter(keys: KeyMaterial, config: ClerkConfig, logger: ClerkLogger | null): KeyGetter {
  if (keys.kind === 'static') {
    const key = keys.key;
    return Object.assign(() => Promise.resolve(key), { generation: () => 0, keyId: () => 'jwtKey', fresh: () => true });
  }
  const keySet = new RemoteKeySet(keys.url, keys.headers, config, logger);
  return Object.assign((header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => keySet.getKey(header, token), {
    generation: () => keySet.generation,
    keyId: (kid: string | undefined) => keySet.keyId(kid),
    fresh: (now?: number) => keySet.freshAt(now ?? Date.now()),
  });
}

/**
 * The instance's key set, fetched on first use and then:
 * - kept for `jwksCacheMaxAgeInMs`, then fetched again;
 * - fetched again for a token whose `kid` it lacks, at most once per `jwksCooldownInMs` counted
 *   from the last fetch *attempt*, so a flood of made-up `kid`s costs one request per cooldown
 *   even while the endpoint is failing;
 * - fetched by one request at a time: concurrent callers share it;
 * - after a failed fetch, not fetched again for min(5 s, cooldown): callers get the 503 at once;
 * - when a refresh fails, the keys loaded earlier keep verifying until `jwksStaleWindowInMs` past
 *   their max age (a short outage locks nobody out); after that, 503.
 *
 * A `kid` that a freshly loaded key set lacks is the token's fault (401 `unknown_key`); while the
 * endpoint is failing, the loaded keys may be out of date, so such a token gets 503. Anything wrong
 * with the key set itself (unreachable, timed out, not 200, not JSON, not a key set, no RS256
 * signing key in it) is the server's: 503 `jwks_unavailable`, never a 401. Key selection and
 * import stay with jose's local key set.
 */
class RemoteKeySet {
  readonly #url: URL;
  readonly #where: string;
  readonly #headers: Record<string, string>;
  readonly #config: ClerkConfig;
  readonly #logger: ClerkLogger | null;
  readonly #backoffMs: number;
  #local: LocalKeySet | null = null;
  #loadedAt = -Infinity;
  #attemptedAt = -Infinity;
  #failure: { problem: string; cause: unknown } | null = null;
  #staleExpiredReported = false;
  #pending: Promise<void> | null = null;
  /** Key sets loaded so far; with #keyIds, what the verified-token cache checks its entries against. */
  #generation = 0;
  #keyIds: KeyIds = NO_KEY_IDS;

  constructor(url: URL, headers: Readonly<Record<string, string>>, config: ClerkConfig, logger: ClerkLogger | null) {
    this.#url = url;
    this.#where = `${url.origin}${url.pathname}`;
    this.#headers = { accept: 'application/json', 'user-agent': USER_AGENT, ...headers };
    this.#config = config;
    this.#logger = logger;
    this.#backoffMs = Math.min(FAILURE_BACKOFF_MS, config.jwksCooldownInMs);
  }

  get generation(): number {
    return this.#generation;
  }

  /** Identity (kid and key material) of the key that verifies tokens with this `kid` now; `null` if none or several. */
  keyId(kid: string | undefined): string | null {
    return kid === undefined ? this.#keyIds.single : (this.#keyIds.byKid.get(kid) ?? null);
  }

  /** Whether a key set is loaded and younger than `jwksCacheMaxAgeInMs`. */
  get fresh(): boolean {
    return this.freshAt(Date.now());
  }

  /** {@link fresh} at time `now` (ms). */
  freshAt(now: number): boolean {
    return this.#local !== null && now - this.#loadedAt < this.#config.jwksCacheMaxAgeInMs;
  }

  async getKey(header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | KeyObject> {
    // Clerk's SDK looks a key-set key up by kid alone and refuses a token without one
    // (jwk-kid-mismatch); jose would hand it the set's only signing key. Nothing is fetched for it.
    if (typeof header.kid !== 'string') {
      throw new InvalidTokenError('unknown_key', { realm: this.#config.name, description: 'the token has no kid, and keys from a key set are chosen by kid' });
    }
    if (!this.fresh) await this.#reload().catch((error: unknown) => this.#useStaleOrThrow(error));
    try {
      return await this.#select(header, token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError) || error.reason !== 'unknown_key') throw error;
      // While the endpoint fails, the loaded keys may be out of date and the kid a new key: not
      // knowing is a 503, never a 401 (the stale window keeps known keys working, nothing more).
      if (this.#failure !== null) throw this.#unavailable(this.#failure, this.#backoffMs - (Date.now() - this.#attemptedAt));
      if (Date.now() - this.#attemptedAt < this.#config.jwksCooldownInMs) throw error;
      // Maybe the key was rotated: fetch again (a failure is a 503).
      await this.#reload();
      return this.#select(header, token);
    }
  }

  /** After a failed refresh: the keys loaded earlier stand while they are within the stale window. */
  #useStaleOrThrow(error: unknown): void {
    if (this.#local === null) throw error;
    if (Date.now() < this.#staleUntil()) return;
    if (!this.#staleExpiredReported && this.#failure !== null) {
      this.#staleExpiredReported = true;
      report(
        this.#logger,
        { type: 'jwks_stale_expired', name: this.#config.name, code: 'jwks_unavailable', jwksUri: this.#where, problem: this.#failure.problem },
        `[${this.#config.name}] Clerk's signing keys from ${this.#where} are now too old to use (jwksStaleWindowInMs has passed) and still cannot be refreshed: ${this.#failure.problem}. Requests that need them get 503 until they load.`,
      );
    }
    throw error;
  }

  /** When the loaded keys stop being usable if they cannot be refreshed. */
  #staleUntil(): number {
    return this.#loadedAt + this.#config.jwksCacheMaxAgeInMs + this.#config.jwksStaleWindowInMs;
  }

  async #select(header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | KeyObject> {
    const realm = this.#config.name;
    let key: CryptoKey | KeyObject;
    try {
      key = await (this.#local as LocalKeySet)(header, token);
    } catch (error) {
      switch (errorCode(error)) {
        case 'ERR_JWKS_NO_MATCHING_KEY':
          throw new InvalidTokenError('unknown_key', { realm });
        case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
          // Tokens without kid never get here (getKey refuses them): two keys share this kid.
          throw new InvalidTokenError('unknown_key', { realm, description: 'the key set holds several keys under the token kid' });
        default:
          // The key set holds a key for this token that jose cannot import.
          throw new JwksUnavailableError('a key of the JWKS could not be used', { realm, cause: error });
      }
    }
    if (!hasClerkExponent(key)) {
      throw new JwksUnavailableError('a key of the JWKS could not be used: its RSA public exponent is not 65537', { realm });
    }
    return key;
  }

  /** Fetches the key set, sharing a fetch in flight and honouring the failure back-off. */
  #reload(): Promise<void> {
    if (this.#pending !== null) return this.#pending;
    const waited = Date.now() - this.#attemptedAt;
    if (this.#failure !== null && waited < this.#backoffMs) {
      return Promise.reject(this.#unavailable(this.#failure, this.#backoffMs - waited));
    }
    this.#attemptedAt = Date.now();
    this.#pending = this.#fetch()
      .then(
        (local) => {
          if (this.#failure !== null) {
            report(this.#logger, { type: 'jwks_recovered', name: this.#config.name, jwksUri: this.#where }, `[${this.#config.name}] Clerk's signing keys loaded again from ${this.#where}.`);
          }
          this.#local = local;
          this.#keyIds = keyIdsOf(local.jwks());
          this.#generation += 1;
          this.#loadedAt = Date.now();
          this.#failure = null;
          this.#staleExpiredReported = false;
        },
        (error: unknown) => {
          const failure = { problem: error instanceof JwksFetchError ? error.message : 'the key set could not be loaded', cause: error };
          if (this.#failure === null) this.#reportFailure(failure.problem);
          this.#failure = failure;
          throw this.#unavailable(failure, this.#backoffMs);
        },
      )
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  #reportFailure(problem: string): void {
    const name = this.#config.name;
    const staleUntil = this.#local === null ? null : this.#staleUntil();
    let consequence = 'Requests that need them get 503 until they load.';
    if (staleUntil !== null) {
      consequence = Number.isFinite(staleUntil)
        ? `The keys loaded earlier stay in use until ${new Date(staleUntil).toISOString()} (jwksStaleWindowInMs); then requests that need them get 503.`
        : 'The keys loaded earlier stay in use.';
    }
    report(
      this.#logger,
      {
        type: 'jwks_failed',
        name,
        code: 'jwks_unavailable',
        jwksUri: this.#where,
        problem,
        ...(staleUntil !== null && Number.isFinite(staleUntil) ? { staleUntil: new Date(staleUntil).toISOString() } : {}),
      },
      `[${name}] Could not load Clerk's signing keys from ${this.#where}: ${problem}. ${consequence}`,
    );
  }

  #unavailable(failure: { problem: string; cause: unknown }, retryInMs: number): JwksUnavailableError {
    return new JwksUnavailableError(failure.problem, {
      realm: this.#config.name,
      cause: failure.cause,
      retryAfterSeconds: Math.max(1, Math.ceil(retryInMs / 1000)),
    });
  }

  async #fetch(): Promise<LocalKeySet> {
    const timedOut = `the JWKS request timed out after ${this.#config.jwksTimeoutInMs} ms`;
    let response: Response;
    try {
      response = await fetch(this.#url, { headers: this.#headers, redirect: 'manual', signal: AbortSignal.timeout(this.#config.jwksTimeoutInMs) });
    } catch (error) {
      throw new JwksFetchError(isTimeout(error) ? timedOut : unreachable(error));
    }
    if (response.status !== 200) {
      response.body?.cancel().catch(() => undefined);
      throw new JwksFetchError(this.#describeStatus(response.status));
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new JwksFetchError(isTimeout(error) ? timedOut : 'the JWKS response is not valid JSON');
    }
    let local: LocalKeySet;
    try {
      local = createLocalJWKSet(body as JSONWebKeySet);
    } catch {
      throw new JwksFetchError('the JWKS response is not a JSON Web Key Set');
    }
    if (!hasSigningKey(local.jwks())) throw new JwksFetchError('the JWKS holds no RS256 signing key');
    return local;
  }

  #describeStatus(status: number): string {
    if ('authorization' in this.#headers && (status === 401 || status === 403)) {
      return `the Backend API refused ${label('secretKey')} with HTTP ${status}; check that the key is current and belongs to this instance`;
    }
    if (status >= 300 && status < 400) {
      return `the JWKS endpoint answered HTTP ${status} (a redirect, which is not followed: configure the final URL)`;
    }
    return `the JWKS endpoint answered HTTP ${status}`;
  }
}

// jose's local key set hands out the same key object until the key set is replaced.
const exponentChecked = new WeakMap<CryptoKey | KeyObject, boolean>();

/**
 * Whether an RSA key has Clerk's public exponent, 65537. With exponent 1 a "signature" is the
 * padded hash itself, so anyone could sign; Clerk's keys always use 65537, and Clerk's own
 * `jwtKey` cannot express another. Keys that are not RSA are left to jose (which refuses them for
 * RS256).
 */
function hasClerkExponent(key: CryptoKey | KeyObject): boolean {
  let ok = exponentChecked.get(key);
  if (ok === undefined) {
    let details: KeyObject['asymmetricKeyDetails'];
    try {
      const object = key instanceof KeyObjectClass ? key : KeyObjectClass.from(key);
      details = object.asymmetricKeyType === 'rsa' ? object.asymmetricKeyDetails : undefined;
    } catch {
      details = undefined;
    }
    ok = details === undefined || details.publicExponent === 65537n;
    exponentChecked.set(key, ok);
  }
  return ok;
}

/** A failed key-set fetch; its message is the problem in words, free of secrets. */
class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

/** Whether a key set holds at least one key that could verify an RS256 signature, checked once per fetch. */
function hasSigningKey(keySet: JSONWebKeySet | undefined): boolean {
  return (keySet?.keys ?? []).some(isSigningKey);
}

/** The keys jose's local key set may pick for an RS256 token. */
function isSigningKey(jwk: JSONWebKeySet['keys'][number]): boolean {
  return (
    jwk.kty === 'RSA' && (jwk.use === undefined || jwk.use === 'sig') && (jwk.alg === undefined || jwk.alg === 'RS256') && (!Array.isArray(jwk.key_ops) || jwk.key_ops.includes('verify'))
  );
}

interface KeyIds {
  readonly byKid: ReadonlyMap<string, string | null>;
  /** The key a token without `kid` gets: the only signing key, if there is exactly one. */
  readonly single: string | null;
}

const NO_KEY_IDS: KeyIds = { byKid: new Map(), single: null };

/** Identity of each signing key of a loaded key set: kid plus key material, so a reused kid is a new key. */
function keyIdsOf(keySet: JSONWebKeySet | undefined): KeyIds {
  const signing = (keySet?.keys ?? []).filter(isSigningKey);
  const idOf = (jwk: JSONWebKeySet['keys'][number]): string => JSON.stringify([jwk.kid, jwk.n, jwk.e]);
  const byKid = new Map<string, string | null>();
  for (const jwk of signing) {
    if (typeof jwk.kid === 'string') byKid.set(jwk.kid, byKid.has(jwk.kid) ? null : idOf(jwk));
  }
  return { byKid, single: signing.length === 1 ? idOf(signing[0] as JSONWebKeySet['keys'][number]) : null };
}

function unreachable(error: unknown): string {
  const cause = typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  const code = errorCode(cause);
  return code === undefined ? 'the JWKS endpoint could not be reached' : `the JWKS endpoint could not be reached (${code})`;
}
