import { checkAudience, checkClaims, checkSessionClaims, checkSessionHeader, tokenTypeOf, validityWindow, type ClaimRejection, type ClerkUser } from './claims';
import { resolveConfig } from './resolve-config';
import type { ClerkConfig, ClerkVerifierOptions } from './verifier-options';
import { label } from '../shared/env-vars';
import { ClerkConfigError, InvalidTokenError, type InvalidTokenReason } from '../shared/errors';
import { isSessionOnly, parseAcceptsToken, typeMismatch, type AcceptedTypes, type AcceptsToken, type ClerkPrincipalOf } from '../machine-tokens/accepted-token-types';
import { principalFromJwt, type ClerkMachineUser, type ClerkPrincipal } from '../machine-tokens/machine-principal';
import { checkHeaderFor, checkM2MHeader, headerTypeOf } from '../machine-tokens/token-type-header';
import { createOpaqueTokenVerifier, opaqueTypeOf, type OpaqueTokenVerifier } from '../machine-tokens/verify-opaque-token';
import { createKeyGetter } from './jwks';
import {
  createSignatureCheck,
  isCanonicalCompactJws,
  HEADER_LIMIT,
  TOKEN_LIMIT,
  type JoseHeader,
  type SignatureCheck,
  type SignatureCheckFactory,
  type VerifiedJws,
} from './signature-check';
import { TokenCache } from './token-cache';
import { attachLogger } from '../shared/logger';

// Declared here rather than re-exported, so that the public declarations never import
// signature-check's, which name jose's types (an ES module a CommonJS user cannot import).
/** Longest token accepted, in characters (Clerk session tokens are 1–3 KiB); longer is `malformed`. */
export const MAX_TOKEN_LENGTH: number = TOKEN_LIMIT;
/**
 * Longest header segment accepted, in base64url characters, checked before the header is decoded;
 * longer is `malformed`. Clerk's headers are about 120 characters.
 */
export const MAX_HEADER_LENGTH: number = HEADER_LIMIT;

/** The second argument of {@link ClerkVerifier.verify}. */
export interface ClerkVerifyOptions<A extends AcceptsToken = AcceptsToken> {
  /**
   * The token types to accept, in Clerk's words: `'session_token'`, `'m2m_token'`, `'api_key'`,
   * `'oauth_token'`, `'any'`, or a list of the first four. A type whose opaque form needs a key the
   * verifier lacks (docs/machine-tokens.md) is a `ClerkConfigError`.
   */
  acceptsToken: A;
}

/**
 * Verifies Clerk tokens, with no tie to any web framework: session tokens, and with
 * `acceptsToken` machine tokens. Create one per configuration and reuse it: it holds the cache of
 * signing keys, of verified tokens and of the Backend API's verdicts on opaque tokens.
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
  /**
   * Verifies a token of any type `acceptsToken` lets in: session claims for a session token, a
   * {@link ClerkMachineUser} for a machine token (M2M and OAuth JWTs with the instance's keys;
   * opaque `mt_…`, `ak_…`, `oat_…` tokens with Clerk's Backend API).
   *
   * @throws {InvalidTokenError} (401) when the token is refused (`token_type_mismatch` for a type
   *   not accepted).
   * @throws {JwksUnavailableError} (503) when the signing keys could not be loaded or used.
   * @throws {BackendApiUnavailableError} (503) when the Backend API could not judge an opaque token.
   * @throws {ClerkConfigError} when `acceptsToken` is malformed or needs a key the verifier lacks.
   */
  verify<const A extends AcceptsToken>(token: string, options: ClerkVerifyOptions<A>): Promise<ClerkPrincipalOf<A>>;
}

/**
 * Creates a verifier. Configuration is resolved and validated here, once; the key set is created
 * here too and fetched on first use.
 *
 * @throws {ClerkConfigError} when the options or environment cannot work.
 */
export function createClerkVerifier(options: ClerkVerifierOptions = {}): ClerkVerifier {
  return createVerifier(options);
}

/**
 * {@link createClerkVerifier} with the signature step made by `signatureCheck` (default
 * {@link createSignatureCheck}): everything before it (token form, one spelling, size caps, opaque
 * machine tokens) and after it (token type, claims, cache) is the verifier's own. Internal: the
 * differential spec builds a verifier whose signature step is jose's `compactVerify` alone
 * (spec/helpers/jose-signature-check.ts) and compares verdicts with the production one.
 */
export function createVerifier(options: ClerkVerifierOptions, signatureCheck?: SignatureCheckFactory): ClerkVerifier {
  const makeSignatureCheck = signatureCheck ?? createSignatureCheck;
  const { config, keys, opaqueTokenKeys, logger } = resolveConfig(options);
  const realm = config.name;
  const getKey = createKeyGetter(keys, config, logger);
  const cache = new TokenCache(config.tokenCacheSize, getKey);
  const refuse = (reason: InvalidTokenReason, description?: string): InvalidTokenError => new InvalidTokenError(reason, description === undefined ? { realm } : { realm, description });

  // The signature step (compact JWS → verified header and payload), then the session rules.
  const checkSignature = makeSignatureCheck(getKey, (header) => checkSessionHeader(header, config.acceptJwtTemplates), refuse, realm);

  /** The claims of a token the cache vouches for and that still passes the claim rules; else `undefined`. */
  function peek(token: string): ClerkUser | undefined {
    // The cache matches a token only on its whole text, which passed the whole check in
    // verify(): a token equal to it passes too, so nothing needs checking before the look-up.
    return typeof token === 'string' ? lookUp(token) : undefined;
  }

  function lookUp(token: string): ClerkUser | undefined {
    // A fresh object per request; the time claims (exp, nbf, iat with the skew) against the
    // clock every time (the other claim rules held when the token was verified, and do not change).
    return cache.getClaims(token, Date.now()) as ClerkUser | undefined;
  }

  /**
   * Verifies a session token: synchronously (returns or throws) when nothing needs waiting for
   * (a cache hit, or a key already known), else a promise. `lookedUp`: the caller found the token
   * canonical and not in the cache just now, so neither is done again.
   */
  function verifySession(token: string, lookedUp = false): ClerkUser | Promise<ClerkUser> {
    // (A canonical token is a string of at most TOKEN_LIMIT characters.)
    if (!lookedUp && (typeof token !== 'string' || token.length > TOKEN_LIMIT)) throw refuse('malformed');
    // An opaque machine token (mt_…, oat_…, ak_…) is no JWT at all (its characters may look like one).
    if (tokenTypeOf({ text: token }) !== 'session_token') throw refuse('token_type_mismatch');
    if (!lookedUp) {
      if (!isCanonicalCompactJws(token)) throw refuse('malformed');
      const cached = lookUp(token);
      if (cached !== undefined) return cached;
    }
    const generation = getKey.generation();
    const verified = checkSignature(token);
    // Any thenable is awaited (a signature step of the caller's may answer one), never read as a result.
    return 'then' in verified ? Promise.resolve(verified).then((jws) => acceptSession(token, jws, generation)) : acceptSession(token, verified, generation);
  }

  /** The session rules on a signature-verified token; remembers it (verified under key set `generation`). */
  function acceptSession(token: string, { header, payload: text, claims }: VerifiedJws, generation: number): ClerkUser {
    // Only now may a claim be read: an M2M JWT is told by its sub.
    if (tokenTypeOf({ header, claims }) !== 'session_token') throw refuse('token_type_mismatch');
    const rejection = checkSessionClaims(claims, config, Date.now());
    if (rejection !== null) throw refuse(rejection.reason, rejection.description);
    remember(cache, token, text, header, claims, generation, config.clockSkewInMs);
    return claims as ClerkUser;
  }

  async function verify(token: string): Promise<ClerkUser> {
    return verifySession(token);
  }

  // Machine tokens. JWTs verified here are remembered apart from session tokens, so that a
  // session-token look-up can never answer with a machine token.
  const machineCache = new TokenCache(config.tokenCacheSize, getKey);
  const opaque: OpaqueTokenVerifier = createOpaqueTokenVerifier(config, opaqueTokenKeys);
  const machineRules = { issuer: null, authorizedParties: [], clockSkewInMs: config.clockSkewInMs, acceptPendingSessions: true, audience: config.audience };
  const signatureChecks = new Map<AcceptedTypes, SignatureCheck>();

  /** The signature step with the header rules of `accepted` (one per set of accepted types). */
  function signatureCheckFor(accepted: AcceptedTypes): SignatureCheck {
    let check = signatureChecks.get(accepted);
    if (check === undefined) {
      const headerRules = (header: Readonly<Record<string, unknown>>): InvalidTokenReason | null => {
        const problem = checkHeaderFor(header, accepted, config.acceptJwtTemplates);
        if (problem === 'token_type_mismatch') throw typeMismatch(headerTypeOf(header), accepted, realm);
        return problem;
      };
      check = makeSignatureCheck(getKey, headerRules, refuse, realm);
      signatureChecks.set(accepted, check);
    }
    return check;
  }

  /**
   * The claim rules of a machine JWT, as Clerk's `verifyMachineAuthToken`: `sub` a non-empty
   * string, `exp` required, `nbf`/`iat` when present, with the clock skew; `aud` against
   * `audience` (required for OAuth access tokens). Neither `iss` nor `azp` is checked, as in Clerk:
   * machine tokens come from no browser origin, and the instance's signature ties them to it.
   */
  function checkMachineClaims(type: 'm2m_token' | 'oauth_token', claims: Readonly<Record<string, unknown>>, now: number): ClaimRejection | null {
    const sub = claims['sub'];
    if (type === 'm2m_token' && (typeof sub !== 'string' || !sub.startsWith('mch_'))) {
      return { reason: 'invalid_claims', description: 'the sub claim of an M2M token must be a machine id (mch_…)' };
    }
    return checkClaims(claims, machineRules, now) ?? (type === 'oauth_token' ? checkAudience(claims['aud'], config.audience, true) : null);
  }

  /** A machine JWT verified before, still passing its claim rules; a type not accepted is refused at once. */
  function lookUpMachine(token: string, accepted: AcceptedTypes): ClerkMachineUser | undefined {
    // As for session tokens: the time window against the clock; the other rules held at verification.
    const claims = machineCache.getClaims(token, Date.now());
    if (claims === undefined) return undefined;
    // Only verified machine JWTs are here: an M2M token's sub is a machine id, an OAuth token's is not.
    const type = (claims['sub'] as string).startsWith('mch_') ? 'm2m_token' : 'oauth_token';
    if (!accepted.has(type)) throw typeMismatch(type, accepted, realm);
    return principalFromJwt(type, claims);
  }

  /** {@link ClerkVerifier.verify} with `acceptsToken`, already parsed and checked against the keys. */
  async function verifyAccepted(token: string, accepted: AcceptedTypes): Promise<ClerkPrincipal> {
    // Session tokens alone: exactly the session-token path.
    if (isSessionOnly(accepted)) return verify(token);
    if (typeof token !== 'string' || token.length > TOKEN_LIMIT) throw refuse('malformed');
    const opaqueType = opaqueTypeOf(token);
    if (opaqueType !== null) {
      if (!accepted.has(opaqueType)) throw typeMismatch(opaqueType, accepted, realm);
      // Accepted, but only as a JWT (opaqueTokens: false): refused without any request.
      if (!config.opaqueTokenTypes.includes(opaqueType)) {
        throw new InvalidTokenError('token_type_mismatch', {
          realm,
          description: `the token is an opaque ${opaqueType === 'm2m_token' ? 'M2M token' : 'OAuth access token'}, and this API accepts JWTs only`,
        });
      }
      return opaque.verify(opaqueType, token);
    }
    if (!isCanonicalCompactJws(token)) throw refuse('malformed');
    if (accepted.has('session_token')) {
      const cached = lookUp(token);
      if (cached !== undefined) return cached;
    }
    const cachedMachine = lookUpMachine(token, accepted);
    if (cachedMachine !== undefined) return cachedMachine;
    const generation = getKey.generation();
    const { header, payload: text, claims } = await signatureCheckFor(accepted)(token);
    // Only now may a claim be read: an M2M JWT is told by its sub.
    const type = tokenTypeOf({ header, claims });
    if (!accepted.has(type)) throw typeMismatch(type, accepted, realm);
    const now = Date.now();
    if (type === 'session_token') {
      // The header passed the session rules: a session-looking header is let through only when session tokens are accepted.
      const rejection = checkSessionClaims(claims, config, now);
      if (rejection !== null) throw refuse(rejection.reason, rejection.description);
      remember(cache, token, text, header, claims, generation, config.clockSkewInMs);
      return claims as ClerkUser;
    }
    if (type === 'api_key') throw refuse('malformed'); // API keys are never JWTs (tokenTypeOf never says so for one)
    const headerProblem = type === 'm2m_token' ? checkM2MHeader(header) : null;
    if (headerProblem !== null) throw refuse(headerProblem);
    const rejection = checkMachineClaims(type, claims, now);
    if (rejection !== null) throw refuse(rejection.reason, rejection.description);
    remember(machineCache, token, text, header, claims, generation, config.clockSkewInMs);
    return principalFromJwt(type, claims);
  }

  const verifyAny = (token: string, options?: ClerkVerifyOptions): Promise<ClerkPrincipal> => {
    if (options === undefined) return verify(token);
    let accepted: AcceptedTypes;
    try {
      if (typeof options !== 'object' || options === null) throw new ClerkConfigError("verify() options must be an object such as { acceptsToken: 'm2m_token' }.", 'acceptsToken');
      accepted = acceptedTypesFor(config, options.acceptsToken);
    } catch (error) {
      return Promise.reject(error);
    }
    return verifyAccepted(token, accepted);
  };

  const verifier = Object.freeze({ config, verify: verifyAny }) as ClerkVerifier;
  attachLogger(verifier, logger);
  PEEKS.set(verifier, peek);
  SESSION_VERIFICATIONS.set(verifier, verifySession);
  ACCEPTING.set(verifier, verifyAccepted);
  OPAQUE.set(verifier, opaque);
  return verifier;
}

/**
 * Parses `acceptsToken` for a verifier with this configuration, and checks that each accepted
 * machine type can be verified: an API key is always opaque, so it needs `secretKey` (or
 * `opaqueTokens` on); M2M and OAuth tokens come as JWTs (the key set is enough) or opaque (a key is
 * needed), so without that key the user must say `opaqueTokens: false`.
 *
 * @throws {ClerkConfigError} naming `option` (or the key option that is missing).
 */
export function acceptedTypesFor(config: ClerkConfig, value: unknown, option = 'acceptsToken'): AcceptedTypes {
  const accepted = parseAcceptsToken(value, option);
  const { opaqueTokens, opaqueTokenTypes } = config;
  if (accepted.has('api_key') && !opaqueTokenTypes.includes('api_key')) {
    throw new ClerkConfigError(
      opaqueTokens
        ? `${option} lets in API keys, which only Clerk's Backend API can verify: set ${label('secretKey')}.`
        : `${option} lets in API keys, which are always opaque, but opaqueTokens is false: turn it on (and set ${label('secretKey')}) or stop accepting api_key.`,
      opaqueTokens ? 'secretKey' : 'opaqueTokens',
    );
  }
  if (opaqueTokens && accepted.has('m2m_token') && !opaqueTokenTypes.includes('m2m_token')) {
    throw new ClerkConfigError(
      `${option} lets in M2M tokens: opaque ones (mt_…) are verified by Clerk's Backend API with ${label('machineSecretKey')} or ${label('secretKey')}; set one. If your machines send M2M JWTs only, set opaqueTokens: false (the key set is then enough).`,
      'machineSecretKey',
    );
  }
  if (opaqueTokens && accepted.has('oauth_token') && !opaqueTokenTypes.includes('oauth_token')) {
    throw new ClerkConfigError(
      `${option} lets in OAuth access tokens: opaque ones (oat_…) are verified by Clerk's Backend API with ${label('secretKey')}; set it. If your OAuth applications issue JWT access tokens only, set opaqueTokens: false (the key set is then enough).`,
      'secretKey',
    );
  }
  return accepted;
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

/**
 * Remembers a verified token with the time window in which its claims pass (`exp`, `nbf`, `iat`
 * with the skew): a hit checks the clock against it. A verified token's kid is a string or absent:
 * jose's key set matches no other kind.
 */
function remember(cache: TokenCache, token: string, text: string, header: JoseHeader, claims: Readonly<Record<string, unknown>>, generation: number, clockSkewInMs: number): void {
  cache.set(token, text, typeof header.kid === 'string' ? header.kid : undefined, generation, validityWindow(claims, clockSkewInMs));
}

const PEEKS = new WeakMap<ClerkVerifier, (token: string) => ClerkUser | undefined>();
const SESSION_VERIFICATIONS = new WeakMap<ClerkVerifier, SessionVerification>();

/** {@link ClerkVerifier.verify} of a session token, synchronous when it can be; see {@link sessionVerification}. */
export type SessionVerification = (token: string, lookedUp?: boolean) => ClerkUser | Promise<ClerkUser>;

/**
 * For adapters: the verification of a session token, with the same rules as `verify()`, that
 * returns (or throws) synchronously when it needs nothing it must wait for: a cache hit, or a key
 * already known. Pass `lookedUp` only for a token found canonical (`isCanonicalCompactJws`) and
 * missed by {@link cachedVerification} just now. A verifier that is not ours gets `verify()`.
 */
export function sessionVerification(verifier: ClerkVerifier): SessionVerification {
  return SESSION_VERIFICATIONS.get(verifier) ?? ((token) => verifier.verify(token));
}
const ACCEPTING = new WeakMap<ClerkVerifier, (token: string, accepted: AcceptedTypes) => Promise<ClerkPrincipal>>();
const OPAQUE = new WeakMap<ClerkVerifier, OpaqueTokenVerifier>();
const NO_CACHE = (): undefined => undefined;

/**
 * For adapters: the verification of a token against accepted types parsed once at startup (by
 * {@link acceptedTypesFor}). A verifier that is not ours gets `verify(token, { acceptsToken })`.
 */
export function acceptingVerification(verifier: ClerkVerifier): (token: string, accepted: AcceptedTypes) => Promise<ClerkPrincipal> {
  return ACCEPTING.get(verifier) ?? ((token, accepted) => verifier.verify(token, { acceptsToken: [...accepted] }));
}

/** The opaque-token verifier of one of our verifiers (tests inspect its cache keys). */
export function opaqueTokenVerifierOf(verifier: ClerkVerifier): OpaqueTokenVerifier | undefined {
  return OPAQUE.get(verifier);
}

/**
 * For adapters: a synchronous look-up of a token the verifier verified before, with the same
 * rules as `verify()` (still-trusted key, claims against the clock), so that a cache hit needs no
 * promise. `undefined` means "call verify()". A verifier that is not ours never answers from here.
 */
export function cachedVerification(verifier: ClerkVerifier): (token: string) => ClerkUser | undefined {
  return PEEKS.get(verifier) ?? NO_CACHE;
}
