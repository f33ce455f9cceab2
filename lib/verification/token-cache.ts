/**
 * What the key set tells the cache: `generation` counts the key sets loaded; `keyId(kid)` names the
 * key that a token with that `kid` would be verified with now (`null` when there is none, or more
 * than one); `fresh()` is false when the key set is due for a refresh, which only a full
 * verification triggers.
 */
export interface KeyIdentity {
  generation(): number;
  keyId(kid: string | undefined): string | null;
  fresh(): boolean;
}

/** What a verified token left in the cache: its payload text, never a shared object. */
interface Entry {
  readonly payload: string;
  readonly kid: string | undefined;
  readonly keyId: string | null;
  generation: number;
}

/** Default number of verified tokens remembered by one verifier. */
export const DEFAULT_TOKEN_CACHE_SIZE = 1000;

/**
 * A bounded, least-recently-used cache of verified tokens, keyed by the whole token text: two
 * different tokens never share an entry. It only remembers; the caller re-checks the claims
 * (`exp` + skew, `nbf` − skew…) against the clock on every hit and fills it only after a
 * successful verification. An entry made under an older key set is used only while the key that
 * verified it still serves its `kid` (same `kid`, same key material); otherwise it is dropped, so no
 * trust survives a rotation.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #size: number;
  readonly #keys: KeyIdentity;

  constructor(size: number, keys: KeyIdentity) {
    this.#size = size;
    this.#keys = keys;
  }

  /** Number of entries held. */
  get length(): number {
    return this.#entries.size;
  }

  /** The payload text of a token verified earlier whose key is still trusted, else `undefined`. */
  get(token: string): string | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined || !this.#keys.fresh()) return undefined;
    const generation = this.#keys.generation();
    if (entry.generation !== generation) {
      if (entry.keyId === null || this.#keys.keyId(entry.kid) !== entry.keyId) {
        this.#entries.delete(token);
        return undefined;
      }
      entry.generation = generation;
    }
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry.payload;
  }

  /**
   * Remembers a token that has just been verified under key set `generation`. Nothing is
   * remembered when the key set changed meanwhile: the key that verified it may already be gone.
   */
  set(token: string, payload: string, kid: string | undefined, generation: number): void {
    if (this.#size === 0 || generation !== this.#keys.generation()) return;
    this.#entries.delete(token);
    this.#entries.set(token, { payload, kid, keyId: this.#keys.keyId(kid), generation });
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** Forgets a token (its claims no longer pass). */
  delete(token: string): void {
    this.#entries.delete(token);
  }
}
