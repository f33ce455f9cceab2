/**
 * Delivery ids (`svix-id`) accepted recently, each kept until its signature can no longer be
 * replayed (its timestamp plus the tolerance). Bounded: when full, the oldest entry goes first.
 * Only deliveries with a valid signature are recorded, so an attacker cannot fill it.
 */
export class ReplayGuard {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#expiries.size;
  }

  /** Whether `id` was recorded and has not expired at `nowMs`. */
  has(id: string, nowMs: number): boolean {
    const expiry = this.#expiries.get(id);
    if (expiry === undefined) return false;
    if (expiry >= nowMs) return true;
    this.#expiries.delete(id);
    return false;
  }

  /** Records `id` until `expiresAtMs`, evicting expired entries, then the oldest when full. */
  add(id: string, expiresAtMs: number, nowMs: number): void {
    this.#expiries.delete(id);
    for (const [oldest, expiry] of this.#expiries) {
      if (expiry >= nowMs && this.#expiries.size < this.#maxEntries) break;
      this.#expiries.delete(oldest);
    }
    this.#expiries.set(id, expiresAtMs);
  }

  delete(id: string): void {
    this.#expiries.delete(id);
  }
}
