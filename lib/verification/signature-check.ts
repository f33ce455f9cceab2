import { KeyObject, verify as verifySignature } from 'node:crypto';
import { compactVerify, type CompactJWSHeaderParameters, type CryptoKey, type FlattenedJWSInput, type VerifyOptions } from '../shared/jose';
import { InvalidTokenError, JwksUnavailableError, type InvalidTokenReason } from '../shared/errors';
import { parseJsonObject, repeatsNames } from '../shared/strict-json';
import { errorCode } from '../shared/fetch-errors';
import type { KeyGetter } from './jwks';

/** Longest token accepted, in characters (Clerk session tokens are 1–3 KiB): `MAX_TOKEN_LENGTH`. */
export const TOKEN_LIMIT = 16 * 1024;

/**
 * Longest header segment accepted, in base64url characters, checked before the header is decoded
 * (`MAX_HEADER_LENGTH`). Clerk's headers (`alg`, `cat`, `kid`, `typ`) are about 120 characters;
 * 512 leaves room for four times that (a `kid` of some 300 characters) and bounds what a forged
 * header can cost to parse (the costliest header under it, 56 members, costs about 1.2 × a plain
 * forged token in bench/bad-tokens.mjs).
 */
export const HEADER_LIMIT = 512;

/** The protected header of a token, parsed. */
export type JoseHeader = CompactJWSHeaderParameters;

/** A token whose RS256 signature checked out: its header, and its payload as text and as an object. */
export interface VerifiedJws {
  readonly header: JoseHeader;
  /** The payload text (UTF-8 decoded), what the token cache keeps. */
  readonly payload: string;
  /** The payload parsed: a JSON object whose objects repeat no member name. */
  readonly claims: Record<string, unknown>;
}

/**
 * The header rules of one kind of token (session, machine…), checked after the JOSE rules of the
 * signature step and before a key is looked up: `null` when the header is acceptable.
 */
export type HeaderRules = (header: JoseHeader) => InvalidTokenReason | null;

/** How a refusal is made: the caller's realm goes into the error. */
export type Refuse = (reason: InvalidTokenReason) => InvalidTokenError;

// base64url value of each ASCII character, -1 for the others.
const BASE64URL_VALUES = new Int8Array(128).fill(-1);
for (const [index, char] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) BASE64URL_VALUES[char.charCodeAt(0)] = index;
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Whether `token` is a compact JWS in the one spelling we accept, checked without decoding
 * anything: at most {@link TOKEN_LIMIT} characters, a header segment of at most
 * {@link HEADER_LIMIT}, three non-empty segments of base64url characters (no padding), and
 * each segment canonical: not of length 4n+1, and the bits its last character carries beyond the
 * encoded bytes (4 at length 4n+2, 2 at 4n+3) all zero. A lenient decoder ignores those bits, so
 * without this one signed token would have up to 16 spellings, each a different key for anything
 * keyed on the token text (the token cache, deny lists, rate limits). Clerk's parser refuses them.
 */
export function isCanonicalCompactJws(token: string): boolean {
  // The bounds and the last characters first: an oversized header costs one indexOf, never a regex.
  return hasCanonicalSegments(token) && COMPACT_JWS.test(token);
}

/**
 * The part of {@link isCanonicalCompactJws} that does not read every character: the length
 * bounds, exactly two dots around non-empty segments, and the unused bits of each segment's last
 * character. Enough before a look-up in the token cache, whose keys all passed the whole check.
 */
export function hasCanonicalSegments(token: string): boolean {
  if (token.length > TOKEN_LIMIT) return false;
  const first = token.indexOf('.');
  if (first < 1 || first > HEADER_LIMIT) return false;
  const second = token.indexOf('.', first + 1);
  if (second < first + 2 || second === token.length - 1 || token.includes('.', second + 1)) return false;
  return canonicalEnd(token, first, first) && canonicalEnd(token, second, second - first - 1) && canonicalEnd(token, token.length, token.length - second - 1);
}

/** Whether the segment of `length` characters ending at `end` has no unused bits set (its characters are checked apart). */
function canonicalEnd(token: string, end: number, length: number): boolean {
  switch (length % 4) {
    case 0:
      return true;
    case 2:
      return ((BASE64URL_VALUES[token.charCodeAt(end - 1)] as number) & 0b1111) === 0;
    case 3:
      return ((BASE64URL_VALUES[token.charCodeAt(end - 1)] as number) & 0b11) === 0;
    default:
      return false;
  }
}

/**
 * JOSE header rules of every Clerk JWT, after jose's own (`crit`, `alg`): no member name repeated
 * (`JSON.parse` keeps the last of two, other parsers the first), no `crit` or `b64` at all, and a
 * `kid` that is a string or absent (jose's key set ignores any other `kid` and would pick a key by
 * type alone).
 */
export function joseHeaderProblem(header: JoseHeader, headerText: string): InvalidTokenReason | null {
  if (repeatsNames(headerText, header)) return 'malformed';
  if (header.b64 !== undefined || header.crit !== undefined) return 'invalid_header';
  if (header.kid !== undefined && typeof header.kid !== 'string') return 'invalid_header';
  return null;
}

/** jose's options for an RS256 token (the only algorithm of Clerk's keys). */
export const VERIFY_OPTIONS: VerifyOptions = Object.freeze({ algorithms: ['RS256'] });
// jose reads the header as strict UTF-8, the payload leniently (as Clerk's SDK does both).
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
// Scratch space of the synchronous RSA check: the signing input (latin1: a canonical token is
// ASCII) and a segment's decoded bytes (at most 3/4 of its characters), for a token of up to
// TOKEN_LIMIT characters. Written and read within one synchronous call, never kept.
const SCRATCH_INPUT = Buffer.allocUnsafeSlow(TOKEN_LIMIT);
const SCRATCH_BYTES = Buffer.allocUnsafeSlow(Math.ceil((TOKEN_LIMIT * 3) / 4));
/** Most headers a signature step remembers as verified (an instance has one per key and token kind). */
const ACCEPTED_HEADER_LIMIT = 16;

/**
 * The signature step of a verifier: see {@link createSignatureCheck}. It answers synchronously
 * (returns or throws) when it needs nothing it has to wait for, and with a promise otherwise.
 */
export type SignatureCheck = (token: string) => VerifiedJws | Promise<VerifiedJws>;

/** What builds a verifier's signature steps (one per set of header rules): {@link createSignatureCheck}. */
export type SignatureCheckFactory = (getKey: KeyGetter, headerRules: HeaderRules, refuse: Refuse, realm: string) => SignatureCheck;

/**
 * The signature step of verification: a compact JWS (already found canonical by
 * {@link isCanonicalCompactJws}) → its header, checked, and its payload, signature-verified and
 * parsed. Nothing of the payload is looked at before the signature holds; the claim rules are the
 * caller's (a session token's differ from a machine token's).
 *
 * The work per token is bounded and done once: one strict decode and parse of the (size-capped)
 * header, the JOSE rules in jose's order (so every refusal has the reason jose would give), the
 * caller's {@link HeaderRules}, one key lookup in the key set, and one RSA check with node:crypto
 * on a `KeyObject` imported once per key, whose answer is the verdict. jose's `compactVerify` is
 * used only for a key node:crypto cannot take for RS256 (not RSA, or shorter than 2048 bits: jose
 * then refuses the key, a 503).
 *
 * spec/verification/signature-check.spec.ts holds it to jose's `compactVerify` alone (built in
 * spec/helpers/jose-signature-check.ts), verdict for verdict.
 *
 * Throws an {@link InvalidTokenError} (via `refuse`, or from the key set: `unknown_key`) or a
 * {@link JwksUnavailableError}.
 */
export function createSignatureCheck(getKey: KeyGetter, headerRules: HeaderRules, refuse: Refuse, realm: string): SignatureCheck {
  async function withJose(token: string, key: Parameters<typeof compactVerify>[1]): Promise<VerifiedJws> {
    let result: Awaited<ReturnType<typeof compactVerify>>;
    try {
      result = await compactVerify(token, key, VERIFY_OPTIONS);
    } catch (error) {
      throw joseFailure(error, refuse, realm);
    }
    return parsedJws(result.protectedHeader, decoder.decode(result.payload), refuse);
  }

  // The key objects found for each kid under the key set of `memo.generation`: a key set's answer
  // for a kid (with alg RS256) does not change until it is replaced, so later tokens skip the key
  // set's lookup and its promises. Only keys found (never an unknown kid) are remembered, so it
  // holds at most the key set's keys; it is used only while the key set is fresh, as getKey would.
  let memo: { generation: number; byKid: Map<string | undefined, KeyObject> } = { generation: -1, byKid: new Map() };

  // Headers whose tokens verified, by their exact text (canonical base64url): an instance signs
  // every token with one of a few headers, so a header seen verified needs no decode, parse or
  // rule again (its verdict depends on its text alone). Only headers of tokens whose signature
  // held are remembered (a forger cannot fill it), at most ACCEPTED_HEADER_LIMIT of them, frozen.
  const acceptedHeaders = new Map<string, JoseHeader>();

  /**
   * Synchronous when the key is known already (the common case: no promise, no microtask between
   * the request and `next()`); a promise when the key set must be asked.
   */
  return function checkSignature(token: string): VerifiedJws | Promise<VerifiedJws> {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const encodedHeader = token.slice(0, first);
    const known = acceptedHeaders.get(encodedHeader);
    const header = known ?? checkedHeader(encodedHeader);
    const keyObject = memo.generation === getKey.generation() && getKey.fresh() ? memo.byKid.get(header.kid) : undefined;
    if (keyObject === undefined) return withKeySet(token, header, first, second);
    const verified = checkWith(keyObject, token, header, first, second);
    if (known === undefined && acceptedHeaders.size < ACCEPTED_HEADER_LIMIT && isFlat(header)) acceptedHeaders.set(encodedHeader, Object.freeze(header));
    return verified;
  };

  /** The header decoded, parsed and held to jose's rules, ours and the caller's; else the refusal is thrown. */
  function checkedHeader(encodedHeader: string): JoseHeader {
    let headerText: string;
    let header: unknown;
    try {
      headerText = strictDecoder.decode(Buffer.from(encodedHeader, 'base64url'));
      header = JSON.parse(headerText);
    } catch {
      throw refuse('malformed');
    }
    if (!isPlainObject(header)) throw refuse('malformed');
    const problem = joseProblem(header) ?? joseHeaderProblem(header, headerText) ?? headerRules(header);
    if (problem !== null) throw refuse(problem);
    return header;
  }

  /** The key set's key for the token (remembered for its kid), then the same check. */
  async function withKeySet(token: string, header: JoseHeader, first: number, second: number): Promise<VerifiedJws> {
    const generation = getKey.generation();
    const parts: FlattenedJWSInput = { protected: token.slice(0, first), payload: token.slice(first + 1, second), signature: token.slice(second + 1) };
    const key = await getKey(header, parts);
    const found = toKeyObject(key);
    if (found === null) return withJose(token, key);
    if (getKey.generation() === generation) {
      if (memo.generation !== generation) memo = { generation, byKid: new Map() };
      memo.byKid.set(header.kid, found);
    }
    return checkWith(found, token, header, first, second);
  }

  /** One RSA check with node:crypto: its answer is the verdict; then the payload, decoded and parsed. */
  function checkWith(keyObject: KeyObject, token: string, header: JoseHeader, first: number, second: number): VerifiedJws {
    let valid = false;
    try {
      // The signing input and the signature go through scratch buffers (the check is synchronous,
      // nothing runs in between): no buffer allocated per token.
      const input = SCRATCH_INPUT.subarray(0, SCRATCH_INPUT.write(token, 0, second, 'latin1'));
      const signature = SCRATCH_BYTES.subarray(0, SCRATCH_BYTES.write(token.slice(second + 1), 0, SCRATCH_BYTES.length, 'base64url'));
      valid = verifySignature('sha256', input, keyObject, signature);
    } catch {
      // As jose: a signature the crypto layer cannot even check does not verify.
    }
    if (!valid) throw refuse('invalid_signature');
    const payload = SCRATCH_BYTES.subarray(0, SCRATCH_BYTES.write(token.slice(first + 1, second), 0, SCRATCH_BYTES.length, 'base64url'));
    return parsedJws(header, decoder.decode(payload), refuse);
  }
}

/** A verified payload, parsed: a JSON object that repeats no member name, else `malformed`. */
export function parsedJws(header: JoseHeader, payload: string, refuse: Refuse): VerifiedJws {
  const claims = parseJsonObject(payload);
  if (claims === null) throw refuse('malformed');
  return { header, payload, claims };
}

/**
 * What a failed `compactVerify` becomes: our own errors as they are; a jose code of the token's
 * fault as its reason; anything else is the key's (e.g. too short), a 503.
 * spec/security/fuzz.spec.ts holds this: no token-shaped string, signed or not, gets a 503.
 */
export function joseFailure(error: unknown, refuse: Refuse, realm: string): InvalidTokenError | JwksUnavailableError {
  if (error instanceof InvalidTokenError || error instanceof JwksUnavailableError) return error;
  const reason = reasonFor(error);
  if (reason === null) return new JwksUnavailableError('a key of the JWKS could not be used', { realm, cause: error });
  return refuse(reason);
}

/**
 * jose's checks of a parsed protected header before it resolves a key, in its order and with the
 * reasons its errors map to: `crit` (a non-empty array of non-empty strings naming only `b64`,
 * which must then be a boolean), then `alg` (a non-empty string, and RS256).
 */
function joseProblem(header: JoseHeader): InvalidTokenReason | null {
  const { crit } = header;
  if (crit !== undefined) {
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) return 'malformed';
    for (const name of crit) {
      if (name !== 'b64') return 'invalid_header';
      if (!Object.hasOwn(header, 'b64') || header.b64 === undefined) return 'malformed';
    }
    if (typeof header.b64 !== 'boolean') return 'malformed';
  }
  const { alg } = header as { alg?: unknown };
  if (typeof alg !== 'string' || alg === '') return 'malformed';
  return alg === 'RS256' ? null : 'invalid_algorithm';
}

/** The reason a jose error stands for; `null` for an error that is not the token's fault. */
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

// jose's local key set hands out the same CryptoKey for a key until the key set is replaced.
const keyObjects = new WeakMap<CryptoKey | KeyObject, KeyObject | null>();

/** The key as a KeyObject, or `null` when jose would refuse it for RS256 (not RSA, or < 2048 bits). */
function toKeyObject(key: CryptoKey | KeyObject): KeyObject | null {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = null;
    try {
      const candidate = key instanceof KeyObject ? key : KeyObject.from(key);
      const usable = candidate.type === 'public' && candidate.asymmetricKeyType === 'rsa' && (candidate.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
      if (usable) keyObject = candidate;
    } catch {
      // Not a key node:crypto can take: jose decides.
    }
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/** A header whose members are all primitives: frozen, it cannot be changed by whoever reads it. */
function isFlat(header: JoseHeader): boolean {
  for (const name in header) if (typeof header[name] === 'object' && header[name] !== null) return false;
  return true;
}

function isPlainObject(value: unknown): value is JoseHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
