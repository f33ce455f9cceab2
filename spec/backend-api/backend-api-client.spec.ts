import express from 'express';
import request from 'supertest';
import {
  BackendApiUnavailableError,
  ClerkConfigError,
  clerkAuth,
  createClerkBackendClient,
  requireOrganizationMembership,
  requirePolicy,
  requireVerifiedEmail,
  type AuthorizeUser,
  type ClerkBackendClientOptions,
} from '../../lib';
import { startBackendApiServer, clerkMembershipJson, clerkUserJson, type BackendApiServer } from '../helpers/backend-api-server';
import { rejected, thrown } from '../helpers/expect-error';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { fakeSecretKey, mint } from '../helpers/keys';

let api: BackendApiServer;
beforeEach(async () => {
  api = await startBackendApiServer(fakeSecretKey());
  api.users.set('user_2abc', clerkUserJson('user_2abc'));
});
afterEach(() => api.close());
afterEach(() => jest.restoreAllMocks());

const client = (options: ClerkBackendClientOptions = {}) => createClerkBackendClient({ secretKey: api.secretKey, apiUrl: api.apiUrl, env: {}, ...options });
const userCalls = () => api.calls.get('/v1/users/user_2abc') ?? 0;
const membershipCalls = () => api.calls.get('/v1/users/user_2abc/organization_memberships') ?? 0;

describe('createClerkBackendClient()', () => {
  describe('getUser()', () => {
    it('returns the user with its primary email, verification, metadata and flags', async () => {
      const user = await client().getUser('user_2abc');
      expect(user).toEqual({
        id: 'user_2abc',
        primaryEmailAddress: { id: 'idn_primary', emailAddress: 'ada@example.com', verified: true },
        emailAddresses: [
          { id: 'idn_other', emailAddress: 'old@example.com', verified: false },
          { id: 'idn_primary', emailAddress: 'ada@example.com', verified: true },
        ],
        username: null,
        firstName: 'Ada',
        lastName: 'Lovelace',
        imageUrl: 'https://img.clerk.com/x',
        publicMetadata: { plan: 'pro' },
        privateMetadata: { internal: true },
        banned: false,
        locked: false,
      });
    });

    it('freezes metadata all the way down: the cached copy is shared between requests', async () => {
      api.users.set('user_2abc', clerkUserJson('user_2abc', { public_metadata: { limits: { seats: 3 }, tags: ['a'] } }));
      const user = await client().getUser('user_2abc');
      const metadata = user?.publicMetadata as { limits: { seats: number }; tags: string[] };
      expect(metadata).toEqual({ limits: { seats: 3 }, tags: ['a'] });
      expect(Object.isFrozen(metadata.limits)).toBe(true);
      expect(Object.isFrozen(metadata.tags)).toBe(true);
    });

    it('has no primary email when the user has none', async () => {
      api.users.set('user_2abc', clerkUserJson('user_2abc', { primary_email_address_id: null, email_addresses: [] }));
      expect((await client().getUser('user_2abc'))?.primaryEmailAddress).toBeNull();
    });

    it('refuses an answer about another user with a 503: a proxy or cache mix-up must not authorize on their data', async () => {
      api.users.set('user_2abc', clerkUserJson('user_victim', { public_metadata: { role: 'admin' } }));
      const error = await rejected(BackendApiUnavailableError, client().getUser('user_2abc'));
      expect(error).toMatchObject({ status: 503, code: 'backend_api_unavailable', problem: 'it answered with another user than the one asked for (an unexpected answer)' });
      // Not cached: the next lookup asks again.
      api.users.set('user_2abc', clerkUserJson('user_2abc'));
      await expect(client().getUser('user_2abc')).resolves.toMatchObject({ id: 'user_2abc' });
    });

    it('returns null for a user Clerk does not know (its 404)', async () => {
      await expect(client().getUser('user_gone')).resolves.toBeNull();
    });

    it('refuses an id that is not a Clerk user id before any request, as a rejected promise', async () => {
      for (const id of ['../jwks', '', 'user 1', 'user_1/organization_memberships', 7]) {
        await expect(client().getUser(id as string)).rejects.toThrow(TypeError);
        await expect(client().getOrganizationMemberships(id as string)).rejects.toThrow(TypeError);
      }
      expect(api.urls).toEqual([]);
    });
  });

  describe('cache', () => {
    it('reuses an answer for cacheTtlInMs, then asks again', async () => {
      const now = jest.spyOn(Date, 'now');
      now.mockReturnValue(1_000_000);
      const backend = client({ cacheTtlInMs: 10_000 });
      await backend.getUser('user_2abc');
      now.mockReturnValue(1_009_999);
      await backend.getUser('user_2abc');
      expect(userCalls()).toBe(1);
      now.mockReturnValue(1_010_001);
      await backend.getUser('user_2abc');
      expect(userCalls()).toBe(2);
    });

    it('keeps users and memberships apart, per user', async () => {
      api.users.set('user_other', clerkUserJson('user_other'));
      const backend = client();
      await Promise.all([backend.getUser('user_2abc'), backend.getUser('user_other'), backend.getOrganizationMemberships('user_2abc')]);
      await Promise.all([backend.getUser('user_2abc'), backend.getUser('user_other'), backend.getOrganizationMemberships('user_2abc')]);
      expect([userCalls(), api.calls.get('/v1/users/user_other'), membershipCalls()]).toEqual([1, 1, 1]);
    });

    it('coalesces concurrent lookups into one request', async () => {
      const backend = client();
      const users = await Promise.all(Array.from({ length: 50 }, () => backend.getUser('user_2abc')));
      expect(new Set(users).size).toBe(1);
      expect(userCalls()).toBe(1);
    });

    it('with cacheTtlInMs 0: no reuse, but concurrent lookups still share one request', async () => {
      const backend = client({ cacheTtlInMs: 0 });
      await Promise.all(Array.from({ length: 10 }, () => backend.getUser('user_2abc')));
      expect(userCalls()).toBe(1);
      await backend.getUser('user_2abc');
      expect(userCalls()).toBe(2);
    });

    it('does not cache failures', async () => {
      const backend = client();
      api.behaviour = 'error500';
      await rejected(BackendApiUnavailableError, backend.getUser('user_2abc'));
      api.behaviour = 'ok';
      await expect(backend.getUser('user_2abc')).resolves.toMatchObject({ id: 'user_2abc' });
      expect(userCalls()).toBe(2);
    });

    it('clearCache() forgets one user or all', async () => {
      const backend = client();
      await backend.getUser('user_2abc');
      backend.clearCache('user_2abc');
      await backend.getUser('user_2abc');
      backend.clearCache();
      await backend.getUser('user_2abc');
      expect(userCalls()).toBe(3);
    });
  });

  describe('getOrganizationMemberships()', () => {
    const memberships = (count: number) => Array.from({ length: count }, (_, index) => clerkMembershipJson(`org_${index}`, `org-${index}`));

    it('returns the memberships with their organizations', async () => {
      api.memberships.set('user_2abc', [clerkMembershipJson('org_1', 'acme', 'org:admin')]);
      expect(await client().getOrganizationMemberships('user_2abc')).toEqual([
        { id: 'orgmem_org_1', role: 'org:admin', permissions: ['org:sys_profile:read'], organization: { id: 'org_1', slug: 'acme', name: 'ACME' }, publicMetadata: {} },
      ]);
    });

    it.each([
      [0, ['offset=0']],
      [100, ['offset=0']],
      [200, ['offset=0', 'offset=100']],
      [250, ['offset=0', 'offset=100', 'offset=200']],
    ])('reads every page: %i memberships', async (count, pages) => {
      api.memberships.set('user_2abc', memberships(count));
      const list = await client().getOrganizationMemberships('user_2abc');
      expect(list.map((membership) => membership.organization.id)).toEqual(memberships(count).map((membership) => (membership['organization'] as { id: string }).id));
      expect(api.urls).toEqual(pages.map((page) => `/v1/users/user_2abc/organization_memberships?limit=100&${page}`));
    });

    it('is empty for a user Clerk does not know', async () => {
      await expect(client().getOrganizationMemberships('user_gone')).resolves.toEqual([]);
    });

    it("refuses a list holding another user's memberships with a 503 (public_user_data.user_id)", async () => {
      const theirs = { ...clerkMembershipJson('org_1', 'acme', 'org:admin'), public_user_data: { user_id: 'user_victim', identifier: 'v@example.com' } };
      api.memberships.set('user_2abc', [clerkMembershipJson('org_2', 'mine'), theirs]);
      const error = await rejected(BackendApiUnavailableError, client().getOrganizationMemberships('user_2abc'));
      expect(error.problem).toBe('it answered with memberships of another user than the one asked for (an unexpected answer)');
    });

    it('accepts memberships whose public_user_data carries no user id (nothing to compare)', async () => {
      const { public_user_data: _, ...bare } = clerkMembershipJson('org_1', 'acme');
      api.memberships.set('user_2abc', [bare, { ...clerkMembershipJson('org_2', 'beta'), public_user_data: { identifier: 'ada@example.com' } }]);
      expect((await client().getOrganizationMemberships('user_2abc')).map((membership) => membership.organization.id)).toEqual(['org_1', 'org_2']);
    });

    it('refuses a list of the wrong shape with a 503', async () => {
      api.memberships.set('user_2abc', [{ id: 'orgmem_1', role: 'org:admin' }]);
      await rejected(BackendApiUnavailableError, client().getOrganizationMemberships('user_2abc'));
    });
  });

  describe('failures are 503 backend_api_unavailable, never 401/403', () => {
    it.each([
      ['HTTP 500', 'error500', 'it answered HTTP 500'],
      ['not JSON', 'html', 'it answered with invalid JSON'],
      ["a 404 that is not Clerk's", 'not-found-html', 'it answered HTTP 404'],
      ['a redirect', 'redirect', 'it answered HTTP 302 (a redirect, which is not followed: check apiUrl (CLERK_API_URL))'],
      ['rate limiting', 'rate-limited', 'it is rate limiting this application (HTTP 429)'],
    ] as const)('%s', async (_, behaviour, problem) => {
      api.behaviour = behaviour;
      const error = await rejected(BackendApiUnavailableError, client().getUser('user_2abc'));
      expect(error).toMatchObject({ status: 503, code: 'backend_api_unavailable', problem, expose: false });
      expect(error.toJSON()).toEqual({ error: 'backend_api_unavailable', message: "Could not check the user with Clerk's Backend API. Try again shortly." });
    });

    it("passes on Clerk's Retry-After when rate limited", async () => {
      api.behaviour = 'rate-limited';
      expect((await rejected(BackendApiUnavailableError, client().getUser('user_2abc'))).headers).toEqual({ 'Retry-After': '12' });
    });

    it('times out', async () => {
      await api.close();
      api = await startBackendApiServer(api.secretKey, { slowMs: 5000 });
      api.behaviour = 'slow';
      const error = await rejected(BackendApiUnavailableError, client({ timeoutInMs: 200 }).getUser('user_2abc'));
      expect(error.problem).toBe('the request timed out after 200 ms');
    });

    it('cannot reach the server', async () => {
      const backend = client();
      await api.close();
      const error = await rejected(BackendApiUnavailableError, backend.getUser('user_2abc'));
      expect(error.problem).toBe('it could not be reached (ECONNREFUSED)');
      api = await startBackendApiServer(fakeSecretKey());
    });

    it('a wrong secret key: a clear error that names the option but never prints the key', async () => {
      const wrong = fakeSecretKey();
      const error = await rejected(BackendApiUnavailableError, client({ secretKey: wrong }).getUser('user_2abc'));
      expect(error.problem).toBe('it refused secretKey (CLERK_SECRET_KEY) with HTTP 401; check that the key is current and belongs to this instance');
      expect(error.status).toBe(503);
      expect(JSON.stringify([error.message, error.toJSON(), error.headers])).not.toContain(wrong.slice(8));
    });
  });

  describe('configuration', () => {
    it('reads CLERK_SECRET_KEY and CLERK_API_URL', async () => {
      const backend = createClerkBackendClient({ env: { CLERK_SECRET_KEY: api.secretKey, CLERK_API_URL: api.apiUrl } });
      await expect(backend.getUser('user_2abc')).resolves.toMatchObject({ id: 'user_2abc' });
    });

    it.each([
      ['no secret key', {}, 'secretKey'],
      ['a publishable key as secret key', { secretKey: 'pk_test_Y2xlcmsuZXhhbXBsZS5jb20k' }, 'secretKey'],
      ['a malformed secret key', { secretKey: 'sk_test_has spaces' }, 'secretKey'],
      ['a non-string secret key', { secretKey: 42 }, 'secretKey'],
      ['plain http to another host', { secretKey: 'sk_test_abc', apiUrl: 'http://api.example.com' }, 'apiUrl'],
      ['a negative TTL', { secretKey: 'sk_test_abc', cacheTtlInMs: -1 }, 'cacheTtlInMs'],
      ['a zero timeout', { secretKey: 'sk_test_abc', timeoutInMs: 0 }, 'timeoutInMs'],
      ['a misspelt option', { secretKey: 'sk_test_abc', cacheTTLInMs: 5 }, 'cacheTTLInMs'],
    ])('refuses %s at startup, naming the option', (_, options, option) => {
      const error = thrown(ClerkConfigError, () => createClerkBackendClient({ env: {}, ...(options as ClerkBackendClientOptions) }));
      expect(error.option).toBe(option);
      expect(error.message).not.toContain('sk_test_has');
    });
  });
});

describe('policies', () => {
  const jwks = useJwksFixture();
  const token = (overrides: Record<string, unknown> = {}) => mint(jwks.key, jwks.claims(overrides));

  function appWith(authorizeUser: AuthorizeUser<express.Request>) {
    const app = express();
    app.get('/x', clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, authorizeUser }), (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  }
  const call = async (app: express.Express, claims: Record<string, unknown> = {}) =>
    request(app)
      .get('/x')
      .set('Authorization', `Bearer ${await token(claims)}`);

  describe('requireVerifiedEmail() as authorizeUser', () => {
    it('allows a user whose primary email is verified', async () => {
      expect((await call(appWith(requireVerifiedEmail(client())))).status).toBe(200);
    });

    it.each([
      ['an unverified primary email', { primary_email_address_id: 'idn_other' }],
      ['no email at all', { primary_email_address_id: null, email_addresses: [] }],
      ['a banned user', { banned: true }],
      ['a locked user', { locked: true }],
    ])('refuses %s with 403 naming the requirement', async (_, overrides) => {
      api.users.set('user_2abc', clerkUserJson('user_2abc', overrides));
      const response = await call(appWith(requireVerifiedEmail(client())));
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk", error="insufficient_scope", error_description="a verified primary email address is required"');
      expect(JSON.stringify(response.body)).not.toContain('example.com');
    });

    it('refuses a user Clerk does not know', async () => {
      api.users.clear();
      expect((await call(appWith(requireVerifiedEmail(client())))).status).toBe(403);
    });

    it('answers 503 when the Backend API is down, never 401/403', async () => {
      api.behaviour = 'error500';
      const response = await call(appWith(requireVerifiedEmail(client())));
      expect(response.status).toBe(503);
      expect(response.body.error).toBe('backend_api_unavailable');
    });

    it("answers 503 when the Backend API answers with another user's verified profile", async () => {
      api.users.set('user_2abc', clerkUserJson('user_victim'));
      const response = await call(appWith(requireVerifiedEmail(client())));
      expect(response.status).toBe(503);
      expect(response.body.error).toBe('backend_api_unavailable');
    });

    it('asks the Backend API once per user within the TTL', async () => {
      const app = appWith(requireVerifiedEmail(client()));
      for (let i = 0; i < 5; i++) expect((await call(app)).status).toBe(200);
      expect(userCalls()).toBe(1);
    });
  });

  describe('requireOrganizationMembership()', () => {
    beforeEach(() => api.memberships.set('user_2abc', [clerkMembershipJson('org_1', 'acme'), clerkMembershipJson('org_2', 'globex')]));

    it('is satisfied by the active organization of the token without any request', async () => {
      const app = appWith(requireOrganizationMembership(client(), 'org_9'));
      expect((await call(app, { org_id: 'org_9', org_role: 'org:member', org_slug: 'nine', org_permissions: [] })).status).toBe(200);
      expect((await call(app, { v: 2, o: { id: 'org_x', slg: 'org_9', rol: 'admin' } })).status).toBe(200);
      expect(membershipCalls()).toBe(0);
    });

    it.each(['org_2', 'globex'])('looks memberships up for an organization that is not active: %s', async (idOrSlug) => {
      expect((await call(appWith(requireOrganizationMembership(client(), idOrSlug)))).status).toBe(200);
      expect(membershipCalls()).toBe(1);
    });

    it('refuses a non-member with 403 naming the organization asked for', async () => {
      const response = await call(appWith(requireOrganizationMembership(client(), 'initech')));
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toContain('error_description="membership of the organization \\"initech\\" is required"');
    });

    it('without an argument: any membership will do', async () => {
      expect((await call(appWith(requireOrganizationMembership(client())))).status).toBe(200);
      api.memberships.set('user_2abc', []);
      expect((await call(appWith(requireOrganizationMembership(client())))).status).toBe(403);
    });

    it('works as a route guard through requirePolicy()', async () => {
      const app = express();
      const backend = client();
      app.get('/x', clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false }), requirePolicy(requireOrganizationMembership(backend, 'acme')), (_req, res) => {
        res.json({ ok: true });
      });
      expect((await call(app)).status).toBe(200);
      api.behaviour = 'error500';
      backend.clearCache();
      expect((await call(app)).status).toBe(503);
    });

    it('mounted as middleware by mistake: a 500 that says what to do, no hang and no crash', async () => {
      const app = express();
      app.get('/x', clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false }), requireVerifiedEmail(client()) as never, (_req, res) => {
        res.json({ ok: true });
      });
      app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json({ message: error.message });
      });
      const response = await call(app);
      expect(response.status).toBe(500);
      expect(response.body.message).toContain('requirePolicy(policy)');
      expect(userCalls()).toBe(0);
    });

    it('refuses a user without a sub', async () => {
      await expect(requireVerifiedEmail(client())({} as never)).resolves.toBe(false);
      expect(userCalls()).toBe(0);
    });

    it('refuses bad arguments at startup', () => {
      expect(thrown(ClerkConfigError, () => requireOrganizationMembership(client(), '')).option).toBe('idOrSlug');
      expect(thrown(ClerkConfigError, () => requireVerifiedEmail({} as never)).option).toBe('client');
    });
  });
});
