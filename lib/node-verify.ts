import { KeyObject, verify as verifySignature } from 'node:crypto';
import type { CompactJWSHeaderParameters, CryptoKey, FlattenedJWSInput } from './jose';
import type { KeyGetter } from './jwks';

/** A token whose RS256 signature checked out: its header and payload text. */
export interface SignedToken {
  readonly header: CompactJWSHeaderParameters;
  readonly payload: string;
}

/**
 * The fast path of signature verification: node:crypto's one-shot `verify` on a `KeyObject`
 * imported once per key, where jose goes through WebCrypto (an async job per token, about twice
 * the CPU). It only ever *accepts*: any token it is not sure of (an unusual header, an encoding jose
 * might read otherwise, a key jose would refuse, a bad signature) gives `null`, and the caller runs
 * jose's `compactVerify`, which gives the verdict and the reason. Key selection stays with the key
 * set (jose's local JWKS); errors from it (unknown `kid`, key set unavailable) propagate as they
 * would from jose's key resolver.
 *
 * @param checkHeader The caller's header rules; `null` when the header is acceptable.
 */
export function createNodeSignatureCheck(getKey: KeyGetter, checkHeader: (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => unknown) {
  const decoder = new TextDecoder();
  // jose reads the header as strict UTF-8 (and the payload leniently, as the caller does).
  const strictDecoder = new TextDecoder('utf-8', { fatal: true });
  return async function checkSignature(token: string): Promise<SignedToken | null> {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const encodedHeader = token.slice(0, first);
    const encodedPayload = token.slice(first + 1, second);
    const encodedSignature = token.slice(second + 1);
    // A length of 4n+1 is not base64url: Buffer would drop a character where jose refuses the token.
    if (encodedHeader.length % 4 === 1 || encodedPayload.length % 4 === 1 || encodedSignature.length % 4 === 1) return null;
    let header: unknown;
    try {
      header = JSON.parse(strictDecoder.decode(Buffer.from(encodedHeader, 'base64url')));
    } catch {
      return null;
    }
    const parts: FlattenedJWSInput = { protected: encodedHeader, payload: encodedPayload, signature: encodedSignature };
    if (!isPlainObject(header) || header.alg !== 'RS256' || checkHeader(header, parts) !== null) return null;
    const key = toKeyObject(await getKey(header, parts));
    if (key === null) return null;
    const signingInput = Buffer.from(token.slice(0, second), 'latin1');
    if (!verifySignature('sha256', signingInput, key, Buffer.from(encodedSignature, 'base64url'))) return null;
    return { header, payload: decoder.decode(Buffer.from(encodedPayload, 'base64url')) };
  };
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
      const usable =
        candidate.type === 'public' && candidate.asymmetricKeyType === 'rsa' && (candidate.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
      if (usable) keyObject = candidate;
    } catch {
      // Not a key node:crypto can take: jose decides.
    }
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

function isPlainObject(value: unknown): value is CompactJWSHeaderParameters {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
