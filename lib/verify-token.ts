import { compactVerify, type CompactJWSHeaderParameters, type FlattenedJWSInput, type VerifyOptions } from './jose';
import { checkClaims, type ClerkUser } from './claims';
import { resolveConfig, type ClerkConfig, type ClerkVerifierOptions } from './config';
import { ClerkAuthError, ClerkConfigError, InvalidTokenError, JwksUnavailableError, type InvalidTokenReason } from './errors';
import { hasDuplicateNames, parseJsonObject } from './json-object';
import { createKeyGetter, errorCode } from './jwks';
import { createNodeSignatureCheck, type SignedToken } from './node-verify';
import { TokenCache } from './token-cache';
import { attachLogger } from './log-events';

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

/** Longest token accepted, in characters (Clerk session tokens are 1–3 KiB). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Header `cat` values of a session token: none (older tokens), session, and Clerk's "ignore" marker. */
const SESSION_TOKEN_CATEGORIES: readonly (string | undefined)[] = [undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III'];
/** Header `cat` of a token made from a JWT template, accepted with `acceptJwtTemplates`. */
const JWT_TEMPLATE_CATEGORY = 'cl_B7d4PD222AAA';

const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const VERIFY_OPTIONS: VerifyOptions = Object.freeze({ algorithms: ['RS256'] });
const decoder = new TextDecoder();

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
 * {@link createClerkVerifier}, choosing how signatures are checked: `node` tries node:crypto first
 * and leaves every token it does not accept to jose; `jose` uses jose alone (the reference the
 * tests compare verdicts with).
 */
export function createVerifier(options: ClerkVerifierOptions, signatures: 'node' | 'jose'): ClerkVerifier {
  const { config, keys, logger } = resolveConfig(options);
  const realm = config.name;
  const getKey = createKeyGetter(keys, config, logger);
  const cache = new TokenCache(config.tokenCacheSize, getKey);
  const refuse = (reason: InvalidTokenReason, description?: string): InvalidTokenError =>
    new InvalidTokenError(reason, description === undefined ? { realm } : { realm, description });

  // jose calls this after checking the token's form, `crit` and `alg`, and before the signature.
  const headerProblem = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => checkHeader(header, token, config.acceptJwtTemplates);
  const resolveKey = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    const problem = headerProblem(header, token);
    if (problem !== null) throw refuse(problem);
    return getKey(header, token);
  };
  const checkWithNode = signatures === 'node' ? createNodeSignatureCheck(getKey, headerProblem) : null;

  async function checkWithJose(token: string): Promise<SignedToken> {
    try {
      const { payload, protectedHeader } = await compactVerify(token, resolveKey, VERIFY_OPTIONS);
      return { header: protectedHeader, payload: decoder.decode(payload) };
    } catch (error) {
      if (error instanceof ClerkAuthError) throw error;
      const reason = reasonFor(error);
      // Every fault of the token has a jose code; anything else is the key's (e.g. too short).
      // spec/fuzz.spec.ts holds this: no token-shaped string, signed or not, gets a 503.
      if (reason === null) throw new JwksUnavailableError('a key of the JWKS could not be used', { realm, cause: error });
      throw refuse(reason);
    }
  }

  /** The claims of a token the cache vouches for and that still passes the claim rules; else `undefined`. */
  function peek(token: string): ClerkUser | undefined {
    const cached = cache.get(token);
    if (cached === undefined) return undefined;
    // A fresh object per request, and the claim rules against the clock every time.
    const claims = JSON.parse(cached) as Record<string, unknown>;
    if (checkClaims(claims, config, Date.now()) === null) return claims as ClerkUser;
    cache.delete(token);
    return undefined;
  }

  async function verify(token: string): Promise<ClerkUser> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      throw refuse('malformed');
    }
    const cached = peek(token);
    if (cached !== undefined) return cached;
    const generation = getKey.generation();
    const { header, payload: text } = (await checkWithNode?.(token)) ?? (await checkWithJose(token));
    const claims = parseJsonObject(text);
    if (claims === null) throw refuse('malformed');
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

function checkHeader(header: CompactJWSHeaderParameters, token: FlattenedJWSInput, acceptJwtTemplates: boolean): InvalidTokenReason | null {
  // jose has parsed the header already; JSON.parse keeps the last of repeated names.
  if (typeof token.protected === 'string' && hasDuplicateNames(Buffer.from(token.protected, 'base64url').toString())) return 'malformed';
  if (header.typ !== undefined && header.typ !== 'JWT') return 'invalid_header';
  if (header.b64 !== undefined || header.crit !== undefined) return 'invalid_header';
  // jose ignores a kid that is not a string and would pick a key by type alone.
  if (header.kid !== undefined && typeof header.kid !== 'string') return 'invalid_header';
  const category = header['cat'] as string | undefined;
  if (!SESSION_TOKEN_CATEGORIES.includes(category) && !(acceptJwtTemplates && category === JWT_TEMPLATE_CATEGORY)) return 'unsupported_category';
  return null;
}

function reasonFor(error: unknown): InvalidTokenReason | null {
  switch (errorCode(error)) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'invalid_algorithm';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'invalid_signature';
    case 'ERR_JWS_INVALID':
      return 'malformed';
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'invalid_header';
    default:
      return null;
  }
}
