/** Shared shapes of the red-team batteries. */
import type { ClerkLogEvent, ClerkLogger } from '../../../lib/index';

/** What one battery found. */
export interface BatteryResult {
  readonly name: string;
  /** Cases tried (a case may be sent through several entries and Express versions). */
  readonly cases: number;
  /** HTTP requests sent. */
  readonly requests: number;
  /** Everything that is wrong; empty when the battery passes. */
  readonly failures: string[];
  /** Refusals where Clerk accepts, by the manual's phrase that says why. */
  readonly stricter: Record<string, number>;
  /** Measurements worth reporting (work counters…). */
  readonly notes?: Record<string, number | string>;
}

/** Collects every log line and event the package emits, to check that none leaks a secret. */
export interface LogSink {
  /** A logger (warn lines and events) that records into this sink. */
  logger(): ClerkLogger;
  readonly lines: string[];
  readonly events: ClerkLogEvent[];
}

export function createLogSink(): LogSink {
  const lines: string[] = [];
  const events: ClerkLogEvent[] = [];
  return {
    lines,
    events,
    logger: () => ({ warn: (line: string) => void lines.push(line), event: (event: ClerkLogEvent) => void events.push(event) }),
  };
}
