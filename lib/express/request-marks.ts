/**
 * What `clerkAuth()` leaves on a request for the guards behind it: its settings, the principal it
 * verified, and whether it let a pending session through anonymously.
 */
import type { Request } from 'express';
import type { ClerkPrincipal } from '../machine-tokens/machine-principal';
import type { ClerkLogger } from '../shared/logger';

/** What the guards of a request need from the `clerkAuth()` that authenticated it. */
export interface AdapterSettings {
  readonly realm: string;
  readonly forwardErrors: boolean;
  /** Where refusals are reported (`request_refused` events); the verifier's logger. */
  readonly logger: ClerkLogger | null;
}

const DEFAULT_SETTINGS: AdapterSettings = Object.freeze({ realm: 'clerk', forwardErrors: false, logger: null });
// What clerkAuth() leaves on a request for the guards behind it. Symbol-keyed properties rather
// than WeakMaps: a WeakMap entry per request is an ephemeron the garbage collector must trace,
// about 1 µs each, on every request.
export const SETTINGS = Symbol('express-clerk-jwt.settings');
export const VERIFIED = Symbol('express-clerk-jwt.verified');
// Set only when an optional clerkAuth() let a pending session through anonymously.
export const PENDING = Symbol('express-clerk-jwt.pending');

export interface MarkedRequest {
  [SETTINGS]?: AdapterSettings | undefined;
  [VERIFIED]?: ClerkPrincipal | undefined;
  [PENDING]?: true | undefined;
}

/** The settings of the `clerkAuth()` that handled `req` (defaults when none did). */
export function adapterSettings(req: Request): AdapterSettings {
  return (req as MarkedRequest)[SETTINGS] ?? DEFAULT_SETTINGS;
}

/**
 * The principal (session claims or machine) a `clerkAuth()` verified for `req`, whatever
 * `req.user` holds now: another auth middleware, or one that decodes tokens without verifying
 * them, may set `req.user` too.
 */
export function verifiedClaims(req: Request): ClerkPrincipal | undefined {
  return (req as MarkedRequest)[VERIFIED];
}
