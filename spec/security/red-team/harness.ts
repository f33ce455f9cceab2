/**
 * What the red-team batteries run the package through: real Express apps (every version given)
 * served on 127.0.0.1, with Clerk's own `authenticateRequest` judging the very same request first,
 * and the verifier alone. The package under test, the Express versions and `@clerk/backend` are
 * arguments, so that one battery runs against `lib/` (Jest) and against the packed tarball
 * (acceptance/, Node 22 and 24). See kit.ts.
 */
import type { IncomingMessage } from 'node:http';
import type * as ClerkBackend from '@clerk/backend';
import type * as ClerkInternal from '@clerk/backend/internal';
import type * as Express from 'express';
import type * as Package from '../../../lib/index';
import { fakeSecretKey, publishableKeyFor, request, serve, type Answer } from './kit';

/** The package under test: `express-clerk-jwt`'s main entry point. */
export type Pkg = typeof Package;
/** What `express-clerk-jwt/testing` exports. */
export type Testing = typeof import('../../../lib/testing');
/** An Express factory (`require('express')`). */
export type ExpressFactory = typeof Express.default;

/** Clerk's SDK, the oracle: `verifyToken` and the request authenticator. */
export interface ClerkDeps {
  readonly verifyToken: typeof ClerkBackend.verifyToken;
  readonly createAuthenticateRequest: typeof ClerkInternal.createAuthenticateRequest;
}

/** What a battery needs: the package, its test kit, every Express to try, and Clerk. */
export interface Deps {
  readonly pkg: Pkg;
  readonly testing: Testing;
  readonly express: readonly (readonly [string, ExpressFactory])[];
  readonly clerk: ClerkDeps;
}

/** Clerk's options for a request, mirroring ours. */
export interface ClerkOptions {
  /**
   * The instance's PEM public key (Clerk verifies networklessly with it), or `null` to have Clerk
   * read the key set at `remote` (as with a secret key: `<apiUrl>/v1/jwks`).
   */
  readonly jwtKey: string | null;
  /** With `jwtKey: null`: where Clerk reads the key set, and the (made-up) secret key it sends. */
  readonly remote?: { readonly apiUrl: string; readonly secretKey: string } | undefined;
  /** Default: a made-up development instance. */
  readonly publishableKey?: string | undefined;
  readonly authorizedParties?: readonly string[] | undefined;
  readonly clockSkewInMs?: number | undefined;
}

/** What Clerk decided about a request. */
export interface ClerkVerdict {
  readonly signedIn: boolean;
  /** `signed-in`, `signed-out`, `handshake` or `error`, and Clerk's reason. */
  readonly state: string;
  /** The user Clerk signed in. */
  readonly userId?: string;
}

const ORACLE_HOST = 'oracle.clerk.accounts.invalid';

/**
 * Clerk's verdict on a Fetch request: `authenticateRequest` of `@clerk/backend`, networkless
 * (`jwtKey`, no Backend API client). Signed in only with a user id (a pending session is signed
 * out, as Clerk's `toAuth()` says by default).
 */
export async function clerkVerdict(clerk: ClerkDeps, request: Request, options: ClerkOptions): Promise<ClerkVerdict> {
  const publishableKey = options.publishableKey ?? publishableKeyFor(ORACLE_HOST);
  const secretKey = options.remote?.secretKey ?? fakeSecretKey(publishableKey.startsWith('pk_live_') ? 'live' : 'test');
  const keys = keyOptions(options);
  const { authenticateRequest } = clerk.createAuthenticateRequest({ options: { secretKey, publishableKey, ...keys }, apiClient: undefined as never });
  const errors = console.error;
  // Clerk reports a handshake token it cannot verify on console.error, then goes on.
  console.error = () => undefined;
  try {
    const state = await authenticateRequest(request, {
      secretKey,
      publishableKey,
      ...keys,
      ...(options.authorizedParties === undefined ? {} : { authorizedParties: [...options.authorizedParties] }),
      ...(options.clockSkewInMs === undefined ? {} : { clockSkewInMs: options.clockSkewInMs }),
    });
    if (state.status === 'signed-in') {
      const auth = state.toAuth() as { userId?: unknown } | null;
      return typeof auth?.userId === 'string' ? { signedIn: true, state: 'signed-in', userId: auth.userId } : { signedIn: false, state: 'signed-out session-pending' };
    }
    return { signedIn: false, state: `${state.status} ${String(state.reason ?? '')}` };
  } catch (error) {
    return { signedIn: false, state: `error ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}` };
  } finally {
    console.error = errors;
  }
}

/** Clerk's key options: the PEM, or the key set of `remote` fetched afresh each time. */
function keyOptions(options: ClerkOptions): { jwtKey: string } | { apiUrl: string; skipJwksCache: true } {
  if (options.jwtKey !== null) return { jwtKey: options.jwtKey };
  if (options.remote === undefined) throw new Error('ClerkOptions needs jwtKey or remote');
  return { apiUrl: options.remote.apiUrl, skipJwksCache: true };
}

/** Clerk's `verifyToken` alone: whether it accepts the token. */
export async function clerkVerifyToken(clerk: ClerkDeps, token: string, options: ClerkOptions): Promise<ClerkVerdict> {
  try {
    await clerk.verifyToken(token, {
      ...keyOptions(options),
      ...(options.remote === undefined ? {} : { secretKey: options.remote.secretKey }),
      ...(options.authorizedParties === undefined ? {} : { authorizedParties: [...options.authorizedParties] }),
      ...(options.clockSkewInMs === undefined ? {} : { clockSkewInMs: options.clockSkewInMs }),
    });
    return { signedIn: true, state: 'valid' };
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    return { signedIn: false, state: `invalid ${typeof reason === 'string' ? reason : String(error)}` };
  }
}

/** The Fetch request Clerk's Express SDK builds from a Node request (`@clerk/express`): a placeholder origin, then Host / X-Forwarded-*. */
export function fetchRequestFrom(req: IncomingMessage & { originalUrl?: string }): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    try {
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    } catch {
      // A value the Fetch API refuses: Clerk's SDK would throw on it too; leave it out.
    }
  }
  const protocol = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  return new Request(new URL(req.originalUrl ?? req.url ?? '/', `${protocol}://clerk-dummy`), { method: req.method ?? 'GET', headers });
}

/** One request to send. */
export interface Probe {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: readonly (readonly [string, string])[];
}

/** What happened to one request through one Express app. */
export interface Outcome {
  /** `200`, or `<status> <code>[ <reason>]`, or `config <option>` when the factory refused the options. */
  readonly detail: string;
  /** Whether the handler behind the middleware ran. */
  readonly reached: boolean;
  /** Whether the handler saw a `req.user` with a `sub` (and which). */
  readonly user: string | null;
  /** Clerk's verdict on the same request, when asked for. */
  readonly clerk: ClerkVerdict | null;
  readonly answer: Answer | null;
}

/** A refusal or a config error as a detail string. */
export function describeError(pkg: Pkg, error: unknown): string {
  if (error instanceof pkg.ClerkConfigError) return `config ${error.option ?? '?'}`;
  if (error instanceof pkg.InvalidTokenError) return `${error.status} ${error.code} ${error.reason}`;
  if (error instanceof pkg.ClerkAuthError) return `${error.status} ${error.code}`;
  throw error;
}

/**
 * Sends `probe` through `clerkAuth(options)` (and whatever `mount` adds behind it) on one Express,
 * with Clerk's verdict on the same request when `clerk` is given. The handler answers 200 with the
 * `sub` it sees.
 */
export async function throughExpress(
  deps: Deps,
  express: ExpressFactory,
  options: Parameters<Pkg['clerkAuth']>[0],
  probe: Probe,
  clerk?: ClerkOptions,
  mount?: (app: Express.Express, auth: Express.RequestHandler, handler: Express.RequestHandler) => void,
): Promise<Outcome> {
  const { pkg } = deps;
  let reason: string | undefined;
  let middleware: Express.RequestHandler;
  try {
    middleware = pkg.clerkAuth({ ...options, logger: { warn: () => undefined, event: (event) => void (event.type === 'request_refused' && (reason = event.reason)) } });
  } catch (error) {
    return { detail: describeError(pkg, error), reached: false, user: null, clerk: null, answer: null };
  }
  let reached = false;
  let user: string | null = null;
  let verdict: ClerkVerdict | null = null;
  const app = express();
  if (clerk !== undefined) {
    app.use((req, _res, next) => {
      clerkVerdict(deps.clerk, fetchRequestFrom(req), clerk).then((found) => {
        verdict = found;
        next();
      }, next);
    });
  }
  const handler: Express.RequestHandler = (req, res) => {
    reached = true;
    const sub = (req as { user?: { sub?: unknown } }).user?.sub;
    user = typeof sub === 'string' ? sub : null;
    res.status(200).json({ sub: user });
  };
  if (mount === undefined) {
    app.use(middleware);
    app.use(handler);
  } else {
    mount(app, middleware, handler);
  }
  // An error handler that says what reached it, never Express's HTML page.
  app.use((error: unknown, _req: Express.Request, res: Express.Response, next: Express.NextFunction) => {
    void next;
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    res.status(status).json({ error: (error as { code?: unknown }).code ?? 'server_error' });
  });
  const server = await serve(app);
  try {
    const answer = await request(server.port, probe.method ?? 'GET', probe.path ?? '/r', probe.headers ?? []);
    let code = '';
    try {
      code = String((JSON.parse(answer.body) as { error?: string }).error ?? '');
    } catch {
      code = answer.body.length === 0 ? '' : 'non-json';
    }
    const detail = answer.status === 200 ? '200' : [answer.status, code, reason].filter((part) => part !== undefined && part !== '').join(' ');
    return { detail, reached, user, clerk: verdict, answer };
  } finally {
    await server.close();
  }
}

/**
 * {@link throughExpress} on every Express of `deps`: they must all agree (same detail, same
 * reach, same user); the one outcome is returned, or an outcome whose detail names the
 * disagreement.
 */
export async function throughEveryExpress(
  deps: Deps,
  options: Parameters<Pkg['clerkAuth']>[0],
  probe: Probe,
  clerk?: ClerkOptions,
  mount?: Parameters<typeof throughExpress>[5],
): Promise<Outcome> {
  const outcomes: [string, Outcome][] = [];
  for (const [name, express] of deps.express) outcomes.push([name, await throughExpress(deps, express, options, probe, clerk, mount)]);
  const [first] = outcomes;
  if (first === undefined) throw new Error('no Express to run');
  const key = (outcome: Outcome): string => `${outcome.detail}|${outcome.reached}|${outcome.user}`;
  const differ = outcomes.filter(([, outcome]) => key(outcome) !== key(first[1]));
  if (differ.length > 0) {
    return { ...first[1], detail: `express versions disagree: ${outcomes.map(([name, outcome]) => `${name}=${key(outcome)}`).join(', ')}` };
  }
  return first[1];
}

/** The verifier's answer for one token: `accept`, `refuse <reason>`, `<status> <code>`, or `config <option>`. */
export async function throughVerifier(pkg: Pkg, options: Parameters<Pkg['createClerkVerifier']>[0], token: string): Promise<string> {
  let verifier: Package.ClerkVerifier;
  try {
    verifier = pkg.createClerkVerifier({ logger: false, ...options });
  } catch (error) {
    return describeError(pkg, error);
  }
  try {
    await verifier.verify(token);
    return 'accept';
  } catch (error) {
    const detail = describeError(pkg, error);
    return error instanceof pkg.InvalidTokenError ? `refuse ${error.reason}` : detail;
  }
}
