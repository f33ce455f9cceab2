import { authorize, type AuthorizeUser } from './authorize';
import type { ClerkUser } from './claims';
import { assertKnownOptions, VERIFIER_OPTIONS, type ClerkVerifierOptions } from './config';
import { ClerkConfigError, InsufficientScopeError, InvalidTokenError } from './errors';
import { sharedOrNewVerifier, type ClerkVerifier } from './verify-token';

/** Options of {@link createMastraAuthProvider}: those of the verifier, plus `authorizeUser` and `verifier`. */
export interface MastraAuthProviderOptions extends ClerkVerifierOptions {
  /**
   * Runs after verification with the claims and Mastra's request; only `true` allows. Default
   * allows every verified user.
   */
  authorizeUser?: AuthorizeUser<unknown> | undefined;
  /** A verifier from `createClerkVerifier()` to share with `clerkAuth()`. Default creates one. */
  verifier?: ClerkVerifier | undefined;
}

/** The provider interface Mastra's server calls (`server.auth` / `experimental_auth`). */
export interface ClerkMastraAuthProvider {
  /** The provider name (the verifier's `name`). */
  readonly name: string;
  /**
   * The verified claims, or `null` when the token is missing or refused (Mastra then answers 401).
   * A `Bearer ` prefix is tolerated.
   *
   * @throws {JwksUnavailableError} (503) when the signing keys cannot be loaded: an outage is not
   *   a bad token. (Mastra's server logs it and answers its own 401.)
   */
  authenticateToken(token: string, request?: unknown): Promise<ClerkUser | null>;
  /**
   * Whether the user may go on (Mastra answers 403 on `false`).
   *
   * @throws whatever `authorizeUser` throws, such as a Backend API 503; Mastra answers 500.
   */
  authorizeUser(user: ClerkUser, request?: unknown): Promise<boolean>;
}

const BEARER = /^bearer\s+/i;

/**
 * A Mastra-compatible auth provider over the same verifier as `clerkAuth()`, so one
 * configuration serves an Express app and a Mastra server:
 * `new Mastra({ server: { auth: createMastraAuthProvider({ authorizedParties }) } })`.
 *
 * @throws {ClerkConfigError} when the options or environment cannot work.
 */
export function createMastraAuthProvider(options: MastraAuthProviderOptions = {}): ClerkMastraAuthProvider {
  assertKnownOptions(options, [...VERIFIER_OPTIONS, 'authorizeUser', 'verifier'], 'createMastraAuthProvider');
  const { authorizeUser, verifier: shared, ...verifierOptions } = options;
  if (authorizeUser !== undefined && typeof authorizeUser !== 'function') {
    throw new ClerkConfigError('authorizeUser must be a function (user, request) => boolean | Promise<boolean>.', 'authorizeUser');
  }
  const verifier = sharedOrNewVerifier(shared, verifierOptions, 'createMastraAuthProvider');
  const realm = verifier.config.name;

  async function authenticateToken(token: string): Promise<ClerkUser | null> {
    const bare = typeof token === 'string' ? token.trim().replace(BEARER, '') : '';
    if (bare === '') return null;
    try {
      return await verifier.verify(bare);
    } catch (error) {
      if (error instanceof InvalidTokenError) return null;
      throw error;
    }
  }

  async function authorizeUserFn(user: ClerkUser, request?: unknown): Promise<boolean> {
    if (typeof user !== 'object' || user === null || typeof user.sub !== 'string' || user.sub === '') return false;
    if (authorizeUser === undefined) return true;
    try {
      await authorize(authorizeUser, user, request, realm);
      return true;
    } catch (error) {
      if (error instanceof InsufficientScopeError) return false;
      throw error;
    }
  }

  return Object.freeze({ name: realm, authenticateToken, authorizeUser: authorizeUserFn });
}
