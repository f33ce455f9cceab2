import type { KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JSONWebKeySet,
} from 'jose';
import { label, type ClerkConfig, type KeyMaterial } from './config';
import { InvalidTokenError, JwksUnavailableError } from './errors';

/** Finds the key that should have signed a token. */
export type KeyGetter = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>;

const USER_AGENT = 'express-clerk-jwt';

/**
 * Builds the key lookup of one verifier, once. With `jwtKey` it returns that key. Otherwise it
 * holds one jose remote key set: fetched on first use, cached for `jwksCacheMaxAgeInMs`, refetched
 * for an unknown `kid` at most once per `jwksCooldownInMs`, each fetch bounded by
 * `jwksTimeoutInMs`, and concurrent fetches coalesced into one request.
 *
 * A `kid` that a usable key set does not hold is the token's fault (401 `unknown_key`). Anything
 * else that goes wrong with the keys (unreachable, timed out, not 200, not a key set, no RS256
 * signing key in it) is the server's: 503 `jwks_unavailable`, never a 401.
 */
export function createKeyGetter(keys: KeyMaterial, config: ClerkConfig): KeyGetter {
  if (keys.kind === 'static') {
    const key = keys.key;
    return async () => key;
  }
  const realm = config.name;
  const sendsSecretKey = 'authorization' in keys.headers;
  const keySet = createRemoteJWKSet(keys.url, {
    timeoutDuration: config.jwksTimeoutInMs,
    cooldownDuration: config.jwksCooldownInMs,
    cacheMaxAge: config.jwksCacheMaxAgeInMs,
    headers: { 'user-agent': USER_AGENT, ...keys.headers },
    [customFetch]: fetchKeySet,
  });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      switch (errorCode(error)) {
        case 'ERR_JWKS_NO_MATCHING_KEY':
          // A set with no usable key at all is the server's problem, not the token's.
          if (!hasSigningKey(keySet.jwks())) {
            throw new JwksUnavailableError('the JWKS holds no RS256 signing key', { realm, cause: error });
          }
          throw new InvalidTokenError('unknown_key', { realm });
        case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
          throw new InvalidTokenError('unknown_key', { realm, description: 'the token has no kid and the key set holds several keys' });
        default:
          throw new JwksUnavailableError(describeFailure(error, config, sendsSecretKey), { realm, cause: error });
      }
    }
  };
}

/** Whether a key set holds at least one key that could verify an RS256 signature. */
function hasSigningKey(keySet: JSONWebKeySet | undefined): boolean {
  return (keySet?.keys ?? []).some(
    (jwk) =>
      jwk.kty === 'RSA' &&
      (jwk.use === undefined || jwk.use === 'sig') &&
      (jwk.alg === undefined || jwk.alg === 'RS256') &&
      (jwk.key_ops === undefined || jwk.key_ops.includes('verify')),
  );
}

/** A JWKS response other than 200: jose would only say "Expected 200 OK". */
class JwksHttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`JWKS endpoint answered HTTP ${status}`);
    this.name = 'JwksHttpStatusError';
  }
}

const fetchKeySet: FetchImplementation = async (url, init) => {
  const response = await fetch(url, init);
  if (response.status !== 200) {
    response.body?.cancel().catch(() => undefined);
    throw new JwksHttpStatusError(response.status);
  }
  return response;
};

function describeFailure(error: unknown, config: ClerkConfig, sendsSecretKey: boolean): string {
  if (error instanceof JwksHttpStatusError) {
    const { status } = error;
    if (sendsSecretKey && (status === 401 || status === 403)) {
      return `the Backend API refused ${label('secretKey')} with HTTP ${status}; check that the key is current and belongs to this instance`;
    }
    if (status >= 300 && status < 400) {
      return `the JWKS endpoint answered HTTP ${status} (a redirect, which is not followed: configure the final URL)`;
    }
    return `the JWKS endpoint answered HTTP ${status}`;
  }
  switch (errorCode(error)) {
    case 'ERR_JWKS_TIMEOUT':
      return `the JWKS request timed out after ${config.jwksTimeoutInMs} ms`;
    case 'ERR_JWKS_INVALID':
      return 'the JWKS response is not a JSON Web Key Set';
    case 'ERR_JOSE_GENERIC':
      return 'the JWKS response is not valid JSON';
  }
  // fetch() rejects with a TypeError whose cause carries the system error code (ECONNREFUSED…).
  // Duck-typed: errors from Node's realm are not instances of another realm's TypeError.
  const networkCode = errorCode(typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined);
  if (networkCode !== undefined) return `the JWKS endpoint could not be reached (${networkCode})`;
  return 'the key set could not be loaded or used';
}

/** The string `code` of an error (jose, Node system or undici), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
