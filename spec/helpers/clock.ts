/**
 * Time in specs. The package reads the time with `Date.now()` (key-set age, cooldown and back-off,
 * stale window, token lifetimes, cache expiry), so a spec that waits for the clock moves a mocked
 * clock instead of sleeping: it takes no time, and a loaded machine can neither slow it down nor
 * make it miss a window. Timers, sockets, `fetch` and `AbortSignal.timeout` stay real.
 */

/** Every timer API Jest can fake except `Date`: these keep running for real under {@link mockClock}. */
const REAL_TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

/** A clock that moves only when the spec says so. */
export interface MockClock {
  /** Moves `Date.now()` (and `new Date()`) forward by `ms`. */
  advance(ms: number): void;
}

/**
 * Fakes `Date` only, stopped at `now` (default: the real time now), until `jest.useRealTimers()`:
 * call that in an `afterEach` of the spec. Tokens minted while it runs get their `iat`/`exp` from
 * the mocked clock too.
 */
export function mockClock(now: number = Date.now()): MockClock {
  jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now });
  return { advance: (ms) => jest.setSystemTime(Date.now() + ms) };
}

/**
 * A real wait, for what is not the clock: bytes in flight, a socket being closed. Never to let a
 * cache age or a cooldown pass: use {@link mockClock} for those.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
