import type { ClerkUser } from '../verification/claims';
import { InsufficientScopeError } from '../shared/errors';
import type { ClerkPrincipal } from '../machine-tokens/machine-principal';

/**
 * Decides whether a verified user may go on. Return `true` to allow; any other value (including
 * truthy non-booleans) denies with 403. A throw or rejection is a server error, never a 401/403.
 * `TUser` is what the route's `acceptsToken` lets in: session claims ({@link ClerkUser}, the
 * default) and/or a machine principal (`ClerkMachineUser`, told apart by its `tokenType`).
 */
export type AuthorizeUser<TRequest = unknown, TUser extends ClerkPrincipal = ClerkUser> = (user: TUser, req: TRequest) => boolean | Promise<boolean>;

/**
 * Runs `authorizeUser`, failing closed. When the predicate has a `requirement` string (the
 * ready-made policies do), it is the description of the 403.
 *
 * @throws {InsufficientScopeError} (403) unless the predicate returned exactly `true`.
 * @throws whatever the predicate throws, unchanged.
 */
export async function authorize<TRequest, TUser extends ClerkPrincipal>(authorizeUser: AuthorizeUser<TRequest, TUser>, user: TUser, req: TRequest, realm?: string): Promise<void> {
  if ((await authorizeUser(user, req)) !== true) {
    const requirement = (authorizeUser as { requirement?: unknown }).requirement;
    throw new InsufficientScopeError(typeof requirement === 'string' ? { realm, description: requirement } : { realm });
  }
}
