import { BackendApiUnavailableError, ClerkConfigError, createClerkVerifier, createMastraAuthProvider, JwksUnavailableError, type MastraAuthProviderOptions } from '../lib';
import { rejected, thrown } from './helpers/expect-error';
import { useJwksFixture } from './helpers/jwks-fixture';
import { mint } from './helpers/keys';

const jwks = useJwksFixture();
const provider = (options: MastraAuthProviderOptions = {}) => createMastraAuthProvider({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });
const token = (overrides: Record<string, unknown> = {}) => mint(jwks.key, jwks.claims(overrides));
// Mastra passes a Hono request; the provider only hands it on.
const honoRequest = { method: 'GET', path: '/api/agents', header: (name: string) => (name === 'x-test' ? 'yes' : undefined) };

describe('createMastraAuthProvider()', () => {
  it('has the shape Mastra calls: name, authenticateToken, authorizeUser', () => {
    const mastra = provider({ name: 'clerk-agents' });
    expect(mastra.name).toBe('clerk-agents');
    expect(typeof mastra.authenticateToken).toBe('function');
    expect(typeof mastra.authorizeUser).toBe('function');
  });

  it('authenticateToken returns the verified claims', async () => {
    await expect(provider().authenticateToken(await token(), honoRequest)).resolves.toMatchObject({ sub: 'user_2abc', sid: 'sess_2abc' });
  });

  it('tolerates a Bearer prefix and surrounding spaces', async () => {
    await expect(provider().authenticateToken(`  bearer ${await token()} `, honoRequest)).resolves.toMatchObject({ sub: 'user_2abc' });
  });

  it.each([
    ['an empty token', async () => ''],
    ['not a string', async () => undefined as unknown as string],
    ['garbage', async () => 'not.a.jwt'],
    ['an expired token', async () => token({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['another instance\'s token', async () => mint(jwks.otherKey, jwks.claims(), { kid: jwks.key.kid })],
  ])('authenticateToken returns null for %s', async (_, make) => {
    await expect(provider().authenticateToken(await make(), honoRequest)).resolves.toBeNull();
  });

  it('throws on a JWKS outage instead of calling it a bad token', async () => {
    jwks.server.behaviour = 'error500';
    await rejected(JwksUnavailableError, provider().authenticateToken(await token(), honoRequest));
  });

  it('authorizeUser allows every verified user by default', async () => {
    const mastra = provider();
    const user = await mastra.authenticateToken(await token(), honoRequest);
    await expect(mastra.authorizeUser(user!, honoRequest)).resolves.toBe(true);
    await expect(mastra.authorizeUser({} as never, honoRequest)).resolves.toBe(false);
  });

  it('authorizeUser runs the predicate with the user and Mastra\'s request; only true allows', async () => {
    const seen: unknown[] = [];
    const mastra = provider({
      authorizeUser: (user, request) => {
        seen.push(request);
        return user.org_role === 'org:admin' ? true : ('yes' as unknown as boolean);
      },
    });
    await expect(mastra.authorizeUser((await mastra.authenticateToken(await token({ org_role: 'org:admin' }), honoRequest))!, honoRequest)).resolves.toBe(true);
    await expect(mastra.authorizeUser((await mastra.authenticateToken(await token(), honoRequest))!, honoRequest)).resolves.toBe(false);
    expect(seen).toEqual([honoRequest, honoRequest]);
  });

  it('lets a Backend API outage in authorizeUser surface as an error, not a refusal', async () => {
    const mastra = provider({ authorizeUser: async () => Promise.reject(new BackendApiUnavailableError('it answered HTTP 500')) });
    await rejected(BackendApiUnavailableError, mastra.authorizeUser((await mastra.authenticateToken(await token(), honoRequest))!, honoRequest));
  });

  it('shares a verifier (and its key cache) with clerkAuth()', async () => {
    const verifier = createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false });
    const mastra = createMastraAuthProvider({ verifier });
    await verifier.verify(await token());
    await mastra.authenticateToken(await token(), honoRequest);
    expect(jwks.server.requests).toBe(1);
  });

  it.each([
    ['a misspelt option', { authorizeUsers: () => true }, 'authorizeUsers'],
    ['a non-function authorizeUser', { authorizeUser: true }, 'authorizeUser'],
    ['a verifier with verifier options', { verifier: createClerkVerifier({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {} }), jwksUri: 'https://b' }, 'verifier'],
    ['a verifier that is not one', { verifier: {} }, 'verifier'],
  ])('refuses %s at startup', (_, options, option) => {
    expect(thrown(ClerkConfigError, () => createMastraAuthProvider({ env: {}, jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', ...(options as object) } as never)).option).toBe(option);
  });
});
