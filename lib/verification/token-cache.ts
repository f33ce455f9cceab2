import type { ValidityWindow } from './claims';

/**
 * What the key set tells the cache: `generation` counts the key sets loaded; `keyId(kid)` names the
 * key that a token with that `kid` would be verified with now (`null` when there is none, or more
 * than one); `fresh()` is false when the key set is due for a refresh, which only a full
 * verification triggers.
 */
export interface KeyIdentity {
  generation(): number;
  keyId(kid: string | undefined): string | null;
  /** `now`: the time (ms) the caller read, if it has one; else the clock is read. */
  fresh(now?: number): boolean;
}

const ALWAYS: ValidityWindow = Object.freeze({ from: -Infinity, until: Infinity });

/** What a verified token left in the cache: its payload text, never a shared object. */
interface Entry {
  /** When its claims pass the time rules (ms): see `validityWindow`. */
  readonly validFrom: number;
  readonly validUntil: number;
  /** Names of the members of `claims` whose values are objects or arrays: what a copy must copy again. */
  nested: readonly string[];
  /** The whole token: a look-up matches only this exact text. */
  readonly token: string;
  readonly payload: string;
  /** The payload parsed, at the first hit: the model each hit copies; never handed out. */
  claims: Record<string, unknown> | undefined;
  readonly kid: string | undefined;
  readonly keyId: string | null;
  generation: number;
}

/**
 * Characters at the end of a token (the last 192 bits of its signature) hashed into its entry's
 * key: enough to find the one candidate, which is then compared with the whole token.
 */
const KEY_LENGTH = 32;

/**
 * The key of a token's entry, and what the cache's doorkeeper remembers of a token seen once: a
 * 32-bit FNV-1a hash of its last {@link KEY_LENGTH} characters, cut to 30 bits. A small integer,
 * which a `Map` or `Set` hashes as it is, where a string key (the token of a request is a new
 * string each time) would be cut out of the token, hashed character by character and compared on
 * every look-up; remembering it allocates nothing and holds no text. Two tokens with the same key
 * share one slot (the later displaces the earlier): a look-up still matches only the whole token.
 */
function keyOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - KEY_LENGTH); i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  // 30 bits: a small integer (a larger number is a heap object to hash).
  return hash & 0x3fffffff;
}

/** Default number of verified tokens remembered by one verifier. */
export const DEFAULT_TOKEN_CACHE_SIZE = 1000;

/**
 * A bounded, least-recently-used cache of verified tokens, matched on the whole token text: two
 * different tokens never share an entry. It only remembers; the caller re-checks the claims
 * (`exp` + skew, `nbf` − skew…) against the clock on every hit and fills it only after a
 * successful verification. An entry made under an older key set is used only while the key that
 * verified it still serves its `kid` (same `kid`, same key material); otherwise it is dropped, so no
 * trust survives a rotation.
 *
 * While the cache has room, a verified token is admitted at once. Once it is full, a new token
 * displaces the least recently used one only on its second verification: a doorkeeper remembers a
 * hash of each token verified once meanwhile (at most `size` of them, forgotten all at once when
 * full). So a stream of one-off tokens (fresh machine tokens, or someone minting many) neither
 * flushes the tokens in use nor makes the cache hold 1 KB strings that live just long enough to
 * reach the old generation of the heap and die there, which cost more than the cache saves
 * (bench/notes.md). A hash collision only admits a token one verification early.
 */
export class TokenCache {
  readonly #entries = new Map<number, Entry>();
  readonly #size: number;
  readonly #keys: KeyIdentity;
  /** The entry last in the map's order (the most recently used), if known. */
  #newest: Entry | undefined;
  /** Hashes of tokens verified once and not admitted yet. */
  readonly #seen = new Set<number>();

  constructor(size: number, keys: KeyIdentity) {
    this.#size = size;
    this.#keys = keys;
  }

  /** Number of entries held. */
  get length(): number {
    return this.#entries.size;
  }

  /**
   * The claims of a token verified earlier whose key is still trusted, else `undefined`: a new
   * object (nested ones too) on every call, so that no request sees what another did to its claims.
   * Copying the entry's parsed payload costs a fraction of parsing the text again. With `now` (ms),
   * an entry whose claims are outside their validity window then is dropped, and `undefined`.
   */
  getClaims(token: string, now?: number): Record<string, unknown> | undefined {
    const entry = this.#hit(token, now);
    if (entry === undefined) return undefined;
    const model = entry.claims;
    if (model === undefined) {
      const claims = JSON.parse(entry.payload) as Record<string, unknown>;
      entry.claims = JSON.parse(entry.payload) as Record<string, unknown>;
      entry.nested = Object.keys(claims).filter((name) => typeof claims[name] === 'object' && claims[name] !== null);
      return claims;
    }
    // The top level by spread (it defines members, so an own `__proto__` stays an own member),
    // then only the members that hold objects.
    const copy: Record<string, unknown> = { ...model };
    try {
      for (const name of entry.nested) defineMember(copy, name, copyJson(model[name]));
    } catch {
      // Nested deeper than the stack allows a recursive copy: the parser has no such limit.
      return JSON.parse(entry.payload) as Record<string, unknown>;
    }
    return copy;
  }

  #hit(token: string, now: number | undefined): Entry | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry?.token !== token || !this.#keys.fresh(now)) return undefined;
    if (now !== undefined && (now < entry.validFrom || now >= entry.validUntil)) {
      this.#entries.delete(key);
      return undefined;
    }
    const generation = this.#keys.generation();
    if (entry.generation !== generation) {
      if (entry.keyId === null || this.#keys.keyId(entry.kid) !== entry.keyId) {
        this.#entries.delete(key);
        return undefined;
      }
      entry.generation = generation;
    }
    // Most recently used last: Map keeps insertion order. Moving an entry that is last already
    // would only churn the map (a small map reallocates its table every few deletions).
    if (entry !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#newest = entry;
    }
    return entry;
  }

  /**
   * Remembers a token that has just been verified under key set `generation`. Nothing is
   * remembered when the key set changed meanwhile: the key that verified it may already be gone.
   */
  set(token: string, payload: string, kid: string | undefined, generation: number, window: ValidityWindow = ALWAYS): void {
    if (this.#size === 0 || generation !== this.#keys.generation()) return;
    const key = keyOf(token);
    if (this.#entries.size >= this.#size && !this.#entries.has(key)) {
      if (!this.#seen.delete(key)) {
        if (this.#seen.size >= this.#size) this.#seen.clear();
        this.#seen.add(key);
        return;
      }
    }
    this.#entries.delete(key);
    this.#newest = { token, payload, claims: undefined, nested: [], kid, keyId: this.#keys.keyId(kid), generation, validFrom: window.from, validUntil: window.until };
    this.#entries.set(key, this.#newest);
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value as number);
  }
}

/**
 * A deep copy of a value `JSON.parse` made: the same members in the same order, nothing shared.
 * A member named `__proto__` (an own property in parsed JSON) is defined, never assigned, so that
 * it cannot set the copy's prototype.
 */
function copyJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i]);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(value)) defineMember(copy, name, copyJson((value as Record<string, unknown>)[name]));
  return copy;
}

/** Sets a member of a copy; one named `__proto__` is defined, never assigned, so that it cannot set the copy's prototype. */
function defineMember(copy: Record<string, unknown>, name: string, member: unknown): void {
  if (name === '__proto__') Object.defineProperty(copy, name, { value: member, enumerable: true, writable: true, configurable: true });
  else copy[name] = member;
}
