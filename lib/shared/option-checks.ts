/**
 * The option toolkit every factory uses: the list of its option names (checked by the compiler),
 * unknown names refused with a suggestion, and booleans and numbers read strictly. A value that
 * would switch a check off must be a startup error, never a silent default.
 */
import { ClerkConfigError } from './errors';
import { isSimilarName } from './near-miss';

/** setTimeout (and so AbortSignal.timeout) cannot wait longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The names of every option of `T`, from a record of them all: the compiler insists on each
 * option being listed (and on nothing else), so that a new option cannot be refused as unknown, nor
 * a removed one accepted.
 *
 * @example const OPTIONS = optionNames<ClerkWebhookOptions>({ bodyLimitInBytes: true, forwardErrors: true, logger: true });
 */
export function optionNames<T extends object>(all: Record<keyof T & string, true>): (keyof T & string)[] {
  return Object.keys(all) as (keyof T & string)[];
}

/**
 * Throws a {@link ClerkConfigError} for any key of `options` not in `known`, with a suggestion
 * when the name is close to a known one. A misspelt security option must not be silently ignored.
 */
export function assertKnownOptions(options: unknown, known: readonly string[], factory: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ClerkConfigError(`${factory}() options must be an object.`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const near = known.find((candidate) => isSimilarName(candidate, name));
    throw new ClerkConfigError(`${factory}() got an unknown option "${name}"${near === undefined ? '' : ` (did you mean "${near}"?)`}. Known options: ${known.join(', ')}.`, name);
  }
}

/** Reads an optional boolean option. */
export function checkBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ClerkConfigError(`${option} must be true or false.`, option);
  return value;
}

/** Bounds of a number option. */
export interface NumberRule {
  min: number;
  max?: number;
  integer?: boolean;
  /** Unit named in the message. Default is `milliseconds`. */
  unit?: string;
}

/** Reads an optional number option within `rule`; `fallback` when it is undefined. */
export function checkNumber(value: unknown, option: string, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const max = rule.max ?? Number.MAX_VALUE;
  const ok = typeof value === 'number' && value >= rule.min && value <= max && (rule.integer === true ? Number.isInteger(value) : Number.isFinite(value));
  if (!ok) {
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    const unit = rule.unit ?? 'milliseconds';
    const kind = rule.integer === true ? `a whole number of ${unit}` : `a number of ${unit}`;
    throw new ClerkConfigError(`${option} must be ${kind} ${range}; default is ${fallback}.`, option);
  }
  return value;
}

/** Reads an optional count from 0 (off) to `max`; `fallback` when it is undefined. */
export function checkCount(value: unknown, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ClerkConfigError(`${option} must be a whole number from 0 (off) to ${max}; default is ${fallback}.`, option);
  }
  return value;
}
