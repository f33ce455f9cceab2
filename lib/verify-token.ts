import { checkClaims, checkSessionHeader, tokenTypeOf, type ClerkUser } from './claims';
import { resolveConfig, type ClerkConfig, type ClerkVerifierOptions } from './config';
import { ClerkConfigError, InvalidTokenError, type InvalidTokenReason } from './errors';
import { createKeyGetter } from './jwks';
import { createSignatureCheck, hasCanonicalSegments, isCanonicalCompactJws, HEADER_LIMIT, TOKEN_LIMIT } from './node-verify';
import { TokenCache } from './token-cache';
import { attachLogger } from './log-events';

// Declared here rather than re-exported, so that the public declarations never import
// node-verify's, which name jose's types (an ES module a CommonJS user cannot import).
/** Longest token accepted, in characters (Clerk session tokens are 1–3 KiB); longer is `malformed`. */
export const MAX_TOKEN_LENGTH: number = TOKEN_LIMIT;
/**
 * Longest header segment accepted, in base64url characters, checked before the header is decoded;
 * longer is `malformed`. Clerk's headers are about 120 characters.
 */
export const MAX_HEADER_LENGTH: number = HEADER_LIMIT;

/**
 * Verifies Clerk session tokens, with no tie to any web framework. Create one per configuration
 * and reuse it: it holds the cache of signing keys and of verified tokens.
 */
export interface ClerkVerifier {
  /** The resolved configuration (no secrets in it). */
  readonly config: ClerkConfig;
  /**
   * Verifies a session token (signature first, then Clerk's claim rules) and returns its claims.
   *
   * @throws {InvalidTokenError} (401) when the token is refused; `reason` says why.
   * @throws {JwksUnavailableError} (503) when the signing keys could not be loaded or used.
   */
  verify(token: string): Promise<ClerkUser>;
}

/**
 * Creates a verifier. Configuration is resolved and validated here, once; the key set is created
 * here too and fetched on first use.
 *
 * @throws {ClerkConfigError} when the options or environment cannot work.
 */
export function createClerkVerifier(options: ClerkVerifierOptions = {}): ClerkVerifier {
  return createVerifier(options, 'node');
}

/**
 * {@link createClerkVerifier}, choosing how signatures are checked: `node` parses the header once
 * and checks the signature once with node:crypto (jose only for a key node:crypto cannot take);
 * `jose` uses jose's `compactVerify` alone (the reference the tests compare verdicts with). Both
 * share the checks made before (token form, one spelling, size caps, opaque machine tokens) and
 * after the signature (token type, claims). See `createSignatureCheck`.
 */
export function createVerifier(options: ClerkVerifierOptions, signatures: 'node' | 'jose'): ClerkVerifier {
  const { config, keys, logger } = resolveConfig(options);
  const realm = config.name;
  const getKey = createKeyGetter(keys, config, logger);
  const cache = new TokenCache(config.tokenCacheSize, getKey);
  const refuse = (reason: InvalidTokenReason, description?: string): InvalidTokenError =>
    new InvalidTokenError(reason, description === undefined ? { realm } : { realm, description });

  // The signature step (compact JWS → verified header and payload), then the session rules.
  const checkSignature = createSignatureCheck(getKey, (header) => checkSessionHeader(header, config.acceptJwtTemplates), refuse, realm, signatures);

  /** The claims of a token the cache vouches for and that still passes the claim rules; else `undefined`. */
  function peek(token: string): ClerkUser | undefined {
    // Only the one spelling of a token may ever match an entry (the cache is keyed by its text).
    // Every key passed the whole check in verify(): here its O(1) part is enough, on the hot path.
    return typeof token === 'string' && hasCanonicalSegments(token) ? lookUp(token) : undefined;
  }

  function lookUp(token: string): ClerkUser | undefined {
    const cached = cache.get(token);
    if (cached === undefined) return undefined;
    // A fresh object per request, and the claim rules against the clock every time.
    const claims = JSON.parse(cached) as Record<string, unknown>;
    if (checkClaims(claims, config, Date.now()) === null) return claims as ClerkUser;
    cache.delete(token);
    return undefined;
  }

  async function verify(token: string): Promise<ClerkUser> {
    if (typeof token !== 'string' || token.length > TOKEN_LIMIT) throw refuse('malformed');
    // An opaque machine token (mt_…, oat_…, ak_…) is no JWT at all.
    if (tokenTypeOf({ text: token }) !== 'session_token') throw refuse('token_type_mismatch');
    if (!isCanonicalCompactJws(token)) throw refuse('malformed');
    const cached = lookUp(token);
    if (cached !== undefined) return cached;
    const generation = getKey.generation();
    const { header, payload: text, claims } = await checkSignature(token);
    // Only now may a claim be read: an M2M JWT is told by its sub.
    if (tokenTypeOf({ header, claims }) !== 'session_token') throw refuse('token_type_mismatch');
    const rejection = checkClaims(claims, config, Date.now());
    if (rejection !== null) throw refuse(rejection.reason, rejection.description);
    // A verified token's kid is a string or absent: jose's key set matches no other kind.
    cache.set(token, text, typeof header.kid === 'string' ? header.kid : undefined, generation);
    return claims as ClerkUser;
  }

  const verifier = Object.freeze({ config, verify });
  attachLogger(verifier, logger);
  PEEKS.set(verifier, peek);
  return verifier;
}

/**
 * For factories that take either verifier options or a `verifier` to share (`clerkAuth()`, the
 * Mastra provider): the shared one, checked, or a new one from the options.
 *
 * @throws {ClerkConfigError} when `verifier` is not a verifier, or comes with verifier options.
 */
export function sharedOrNewVerifier(shared: unknown, options: ClerkVerifierOptions, factory: string): ClerkVerifier {
  if (shared === undefined) return createClerkVerifier(options);
  if (typeof shared !== 'object' || shared === null || typeof (shared as ClerkVerifier).verify !== 'function') {
    throw new ClerkConfigError('verifier must come from createClerkVerifier().', 'verifier');
  }
  const given = Object.keys(options).filter((option) => (options as Record<string, unknown>)[option] !== undefined);
  if (given.length > 0) {
    throw new ClerkConfigError(`${factory}() got a verifier and also ${given.join(', ')}: put verifier options in createClerkVerifier() instead.`, 'verifier');
  }
  return shared as ClerkVerifier;
}

const PEEKS = new WeakMap<ClerkVerifier, (token: string) => ClerkUser | undefined>();
const NO_CACHE = (): undefined => undefined;

/**
 * For adapters: a synchronous look-up of a token the verifier verified before, with the same
 * rules as `verify()` (still-trusted key, claims against the clock), so that a cache hit needs no
 * promise. `undefined` means "call verify()". A verifier that is not ours never answers from here.
 */
export function cachedVerification(verifier: ClerkVerifier): (token: string) => ClerkUser | undefined {
  return PEEKS.get(verifier) ?? NO_CACHE;
}
