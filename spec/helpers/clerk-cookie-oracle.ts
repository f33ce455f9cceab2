import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createAuthenticateRequest } from '@clerk/backend/internal';
import { fakeSecretKey } from './keys';

/**
 * Clerk as the oracle for cookie sessions: runs `@clerk/backend`'s own `authenticateRequest`
 * (the devDependency, 3.25.0) on a request and says what Clerk decides. Networkless: the key is
 * the PEM (`jwtKey`) and no Backend API client is given, so a handshake nonce or a refresh token
 * can never be resolved over the network (Clerk then signs the request out, as it does when the
 * Backend API refuses them).
 */
export interface ClerkOracleOptions {
  /** The instance's publishable key (`pk_test_…` development, `pk_live_…` production). */
  publishableKey: string;
  /** The instance's PEM public key. */
  jwtKey: string;
  authorizedParties: string[];
  /** Clerk's default is 5000. */
  clockSkewInMs?: number;
}

/** What Clerk decided. `signed-in` only when the auth object has a user (a pending session is signed out, as Clerk's `toAuth()` says by default). */
export type ClerkVerdict = { status: 'signed-in'; userId: string } | { status: 'signed-out'; reason: string } | { status: 'handshake'; reason: string } | { status: 'error'; reason: string };

/**
 * Builds the Fetch `Request` that Clerk's Express SDK builds from a Node request
 * (`@clerk/express` `incomingMessageToRequest`): a placeholder origin with the request target,
 * and `req.headers` as Node joined them. Clerk then derives the URL from `Host` and `X-Forwarded-*`.
 */
export function clerkRequestFrom(req: IncomingMessage & { originalUrl?: string }): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const protocol = (req.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http';
  return new Request(new URL(req.originalUrl ?? req.url ?? '', `${protocol}://clerk-dummy`), { method: req.method ?? 'GET', headers });
}

/** Clerk's verdict on `request`, never throwing: a throw inside Clerk is the `error` verdict. */
export async function clerkVerdict(request: Request, options: ClerkOracleOptions): Promise<ClerkVerdict> {
  const secretKey = fakeSecretKey(options.publishableKey.startsWith('pk_live_') ? 'live' : 'test');
  // No Backend API client on purpose (see above): Clerk's types insist on one.
  const { authenticateRequest } = createAuthenticateRequest({ options: { secretKey, publishableKey: options.publishableKey, jwtKey: options.jwtKey }, apiClient: undefined as never });
  let state;
  try {
    state = await authenticateRequest(request, {
      secretKey,
      publishableKey: options.publishableKey,
      jwtKey: options.jwtKey,
      authorizedParties: options.authorizedParties,
      ...(options.clockSkewInMs === undefined ? {} : { clockSkewInMs: options.clockSkewInMs }),
    });
  } catch (error) {
    return { status: 'error', reason: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) };
  }
  if (state.status === 'signed-in') {
    const auth = state.toAuth() as { userId?: string | null } | null;
    return typeof auth?.userId === 'string' ? { status: 'signed-in', userId: auth.userId } : { status: 'signed-out', reason: 'session-pending' };
  }
  return { status: state.status, reason: String(state.reason ?? '') };
}

/** Header that carries Clerk's verdict on a test app's responses (see {@link clerkVerdictMiddleware}). */
export const VERDICT_HEADER = 'x-clerk-verdict';

/**
 * Express-style middleware that asks Clerk about the very request it receives, before the
 * middleware under test runs, and sets its verdict as JSON in the `x-clerk-verdict` response
 * header, so that one HTTP round trip yields both verdicts.
 */
export function clerkVerdictMiddleware(options: ClerkOracleOptions) {
  return (req: IncomingMessage & { originalUrl?: string }, res: { setHeader(name: string, value: string): unknown }, next: (error?: unknown) => void): void => {
    clerkVerdict(clerkRequestFrom(req), options).then((verdict) => {
      res.setHeader(VERDICT_HEADER, JSON.stringify(verdict));
      next();
    }, next);
  };
}

/** Reads the verdict {@link clerkVerdictMiddleware} put on a response. */
export function verdictOf(response: { headers: Record<string, unknown> }): ClerkVerdict {
  const raw = response.headers[VERDICT_HEADER];
  if (typeof raw !== 'string') throw new Error('the response carries no Clerk verdict');
  return JSON.parse(raw) as ClerkVerdict;
}
