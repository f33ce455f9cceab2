import { verifyToken as clerkVerifyToken } from '@clerk/backend';
import {
  BackendApiUnavailableError,
  ClerkConfigError,
  createClerkBackendClient,
  createClerkVerifier,
  createMastraAuthProvider,
  JwksUnavailableError,
  type ClerkLogEvent,
  type MastraAuthProviderOptions,
} from '../../lib';
import { clerkUserJson, startBackendApiServer, type BackendApiServer } from '../helpers/backend-api-server';
import { rejected, thrown } from '../helpers/expect-error';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { fakeSecretKey, mint } from '../helpers/keys';

const jwks = useJwksFixture();
const provider = (options: MastraAuthProviderOptions = {}) => createMastraAuthProvider({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });
const token = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => mint(jwks.key, jwks.claims(overrides), header);

// The request shapes Mastra hands to the provider: a Fetch Request (getCurrentUser, Hono's
// c.req.raw), Mastra's adapted request on the Express adapter ({ raw, headers, header }), Hono's
// c.req ({ raw, header }), and Node-style plain headers.
const fetchRequest = (headers: Record<string, string> = {}, url = 'http://127.0.0.1/api/agents') => new Request(url, { headers });
const expressAdapterRequest = (headers: Record<string, string> = {}) => {
  const raw = fetchRequest(headers);
  return { raw, headers: raw.headers, header: (name: string) => raw.headers.get(name) ?? undefined };
};
const honoRequest = (headers: Record<string, string> = {}) => {
  const raw = fetchRequest(headers);
  return { method: 'GET', path: '/api/agents', raw, header: (name: string) => raw.headers.get(name) ?? undefined };
};
const plainRequest = (headers: Record<string, string | string[]> = {}) => ({ headers });
/** A request carrying `value` as its Bearer token, and the token argument Mastra would pass. */
const bearer = async (value?: string) => {
  const bare = value ?? (await token());
  return { bare, request: expressAdapterRequest({ authorization: `Bearer ${bare}` }) };
};

describe('createMastraAuthProvider()', () => {
  it('has the shape Mastra 1.x looks for on server.auth', () => {
    const mastra = provider({ name: 'clerk-agents' });
    expect(mastra.name).toBe('clerk-agents');
    for (const method of ['authenticateToken', 'authorizeUser', 'mapUserToResourceId', 'getCurrentUser', 'getUser'] as const) {
      expect(typeof mastra[method]).toBe('function');
    }
    // Only given lists are present, so that Mastra's defaults alone apply otherwise.
    expect('public' in mastra).toBe(false);
    expect('protected' in mastra).toBe(false);
    expect(Object.isFrozen(mastra)).toBe(true);
  });

  describe('authenticateToken(token, request)', () => {
    it.each([
      ['a Fetch Request', (auth: string) => fetchRequest({ authorization: auth })],
      ["the Express adapter's request", (auth: string) => expressAdapterRequest({ authorization: auth })],
      ["Hono's request", (auth: string) => honoRequest({ authorization: auth })],
      ['plain Node headers', (auth: string) => plainRequest({ Authorization: auth })],
    ])('returns the verified claims of the Bearer token of %s', async (_, make) => {
      const value = await token();
      await expect(provider().authenticateToken(value, make(`Bearer ${value}`))).resolves.toMatchObject({ sub: 'user_2abc', sid: 'sess_2abc' });
    });

    it('accepts the token argument as Mastra builds it from the header', async () => {
      const value = await token();
      const mastra = provider();
      for (const header of [`Bearer ${value}`, ` Bearer ${value}\t`]) {
        // Mastra passes header.replace('Bearer ', ''): what is left of the header.
        await expect(mastra.authenticateToken(header.replace('Bearer ', ''), fetchRequest({ authorization: header }))).resolves.toMatchObject({ sub: 'user_2abc' });
      }
    });

    it('refuses every spelling of the header that Clerk does not read, whatever token argument Mastra passes', async () => {
      const value = await token();
      const mastra = provider();
      for (const header of [`bearer ${value}`, `BEARER ${value}`, `Bearer  ${value}`, `Bearer\t${value}`, `Bearer ${value}\u00a0`, `Bearer\u00a0${value}`]) {
        for (const argument of [header.replace('Bearer ', ''), header.replace(/^Bearer\s+/i, '').trim(), value]) {
          await expect(mastra.authenticateToken(argument, fetchRequest({ authorization: header }))).resolves.toBeNull();
          await expect(mastra.authenticateToken(argument, plainRequest({ authorization: header }))).resolves.toBeNull();
        }
      }
    });

    it('uses the token argument alone when there is no request to read: bare, or "Bearer <token>" spelled as the header must be', async () => {
      await expect(provider().authenticateToken(await token())).resolves.toMatchObject({ sub: 'user_2abc' });
      await expect(provider().authenticateToken(`  Bearer ${await token()} `)).resolves.toMatchObject({ sub: 'user_2abc' });
      await expect(provider().authenticateToken(await token(), { something: 'else' })).resolves.toMatchObject({ sub: 'user_2abc' });
      for (const spelling of ['bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Bearer\u00a0']) {
        await expect(provider().authenticateToken(`${spelling}${await token()}`)).resolves.toBeNull();
      }
      await expect(provider().authenticateToken(`${await token()}\u00a0`)).resolves.toBeNull();
    });

    it('refuses a token that is not in the Authorization header, such as ?apiKey= (URLs end up in logs)', async () => {
      const value = await token();
      const fromQuery = fetchRequest({}, `http://127.0.0.1/api/agents?apiKey=${value}`);
      await expect(provider().authenticateToken(value, fromQuery)).resolves.toBeNull();
      await expect(provider().authenticateToken(value, expressAdapterRequest({ cookie: `__session=${value}` }))).resolves.toBeNull();
    });

    it('refuses a token argument that differs from the Bearer token of the header', async () => {
      const { request } = await bearer();
      await expect(provider().authenticateToken(await token({ sub: 'user_other' }), request)).resolves.toBeNull();
    });

    it.each([
      ['another scheme', (value: string) => `Basic ${value}`],
      ['Bearer without a token', () => 'Bearer'],
      ['two tokens', (value: string) => `Bearer ${value} ${value}`],
      ['the header sent twice (joined by Fetch)', (value: string) => `Bearer ${value}, Bearer ${value}`],
      ['Bearer glued to the token', (value: string) => `Bearer,${value}`],
    ])('refuses %s', async (_, header) => {
      const value = await token();
      const auth = header(value);
      await expect(provider().authenticateToken(auth.replace('Bearer ', ''), fetchRequest({ authorization: auth }))).resolves.toBeNull();
    });

    it.each([
      ['an empty token', async () => ''],
      ['not a string', async () => undefined as unknown as string],
      ['garbage', async () => 'not.a.jwt'],
      ['an expired token', async () => token({ exp: Math.floor(Date.now() / 1000) - 60 })],
      ["another instance's token", async () => mint(jwks.otherKey, jwks.claims(), { kid: jwks.key.kid })],
      ['a JWT-template token', async () => token({}, { cat: 'cl_B7d4PD222AAA' })],
      ['an M2M JWT (machine category)', async () => token({ sub: 'mch_2abc', sid: undefined }, { cat: 'cl_B7d4PD333AAA' })],
      ['a pending session (v2 sts: pending)', async () => token({ v: 2, sts: 'pending' })],
    ])('returns null for %s', async (_, make) => {
      const value = await make();
      await expect(provider().authenticateToken(value, typeof value === 'string' && value !== '' ? fetchRequest({ authorization: `Bearer ${value}` }) : fetchRequest())).resolves.toBeNull();
      await expect(provider().authenticateToken(value)).resolves.toBeNull();
    });

    it("never accepts a token Clerk's verifyToken refuses, and agrees with it except where the README says we are stricter", async () => {
      const pem = jwks.key.pem;
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, string, 'same' | 'stricter'][] = [
        ['a v1 session token', await token(), 'same'],
        ['a v2 session token', await token({ v: 2, o: { id: 'org_1', rol: 'admin' }, sts: 'active' }), 'same'],
        ['expired', await token({ exp: now - 60 }), 'same'],
        ['not yet valid', await token({ nbf: now + 60 }), 'same'],
        ['issued in the future', await token({ iat: now + 60 }), 'same'],
        ['another azp', await token({ azp: 'https://evil.example' }), 'same'],
        ['an M2M JWT', await token({ sub: 'mch_2abc' }, { cat: 'cl_B7d4PD333AAA' }), 'same'],
        ['typ at+jwt', await token({}, { typ: 'at+jwt' }), 'same'],
        ["another instance's key", await mint(jwks.otherKey, jwks.claims(), { kid: jwks.key.kid }), 'same'],
        // acceptJwtTemplates is off by default (README, "JWT templates").
        ['a JWT-template token', await token({}, { cat: 'cl_B7d4PD222AAA' }), 'stricter'],
      ];
      const ours = createMastraAuthProvider({ jwtKey: pem, authorizedParties: ['http://localhost:3000'], env: {}, logger: false });
      for (const [name, value, relation] of cases) {
        const clerk = await clerkVerifyToken(value, { jwtKey: pem, authorizedParties: ['http://localhost:3000'] }).then(
          () => 'valid',
          () => 'refused',
        );
        const verdict = (await ours.authenticateToken(value, fetchRequest({ authorization: `Bearer ${value}` }))) === null ? 'refused' : 'valid';
        expect({ name, verdict }).toEqual({ name, verdict: relation === 'same' ? clerk : 'refused' });
      }
    });

    it('throws on a JWKS outage instead of calling it a bad token', async () => {
      jwks.server.behaviour = 'error500';
      const { bare, request } = await bearer();
      await rejected(JwksUnavailableError, provider().authenticateToken(bare, request));
    });

    it("reports each refusal, with its reason, to the logger event hook (Mastra's 401 says nothing of why)", async () => {
      const events: ClerkLogEvent[] = [];
      const mastra = provider({ logger: { warn: () => undefined, event: (event) => void events.push(event) } });
      const expired = await token({ exp: Math.floor(Date.now() / 1000) - 60 });
      await mastra.authenticateToken(expired, fetchRequest({ authorization: `Bearer ${expired}`, 'x-request-id': 'req-1' }));
      await mastra.authenticateToken('', fetchRequest());
      await mastra.authenticateToken('Basic YTpi', fetchRequest({ authorization: 'Basic YTpi' }));
      await mastra.authenticateToken(expired, fetchRequest({}, `http://127.0.0.1/api/agents?apiKey=${expired}`));
      expect(events).toEqual([
        { type: 'request_refused', name: 'clerk', code: 'invalid_token', status: 401, reason: 'expired', requestId: 'req-1' },
        { type: 'request_refused', name: 'clerk', code: 'missing_token', status: 401 },
        { type: 'request_refused', name: 'clerk', code: 'missing_token', status: 401 },
        { type: 'request_refused', name: 'clerk', code: 'invalid_request', status: 401 },
      ]);
    });

    it('never logs a token sent as X-Request-Id (the same rule as clerkAuth())', async () => {
      const events: ClerkLogEvent[] = [];
      const mastra = provider({ logger: { warn: () => undefined, event: (event) => void events.push(event) } });
      const expired = await token({ exp: Math.floor(Date.now() / 1000) - 60 });
      await mastra.authenticateToken(expired, fetchRequest({ authorization: `Bearer ${expired}`, 'x-request-id': expired }));
      await mastra.authenticateToken(expired, fetchRequest({ authorization: `Bearer ${expired}`, 'x-request-id': 'id-eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2ln' }));
      expect(events).toEqual([
        { type: 'request_refused', name: 'clerk', code: 'invalid_token', status: 401, reason: 'expired' },
        { type: 'request_refused', name: 'clerk', code: 'invalid_token', status: 401, reason: 'expired' },
      ]);
    });
  });

  describe('authorizeUser(user, request)', () => {
    it('allows every verified user by default, and nothing that is not a user', async () => {
      const mastra = provider();
      const { bare, request } = await bearer();
      const user = await mastra.authenticateToken(bare, request);
      await expect(mastra.authorizeUser(user!, request)).resolves.toBe(true);
      await expect(mastra.authorizeUser({} as never, request)).resolves.toBe(false);
      await expect(mastra.authorizeUser(null as never, request)).resolves.toBe(false);
    });

    it("runs the predicate with the user and Mastra's request; only true allows", async () => {
      const seen: unknown[] = [];
      const mastra = provider({
        authorizeUser: (user, request) => {
          seen.push(request);
          return user.org_role === 'org:admin' ? true : ('yes' as unknown as boolean);
        },
      });
      const admin = await bearer(await token({ org_role: 'org:admin' }));
      const member = await bearer();
      await expect(mastra.authorizeUser((await mastra.authenticateToken(admin.bare, admin.request))!, admin.request)).resolves.toBe(true);
      await expect(mastra.authorizeUser((await mastra.authenticateToken(member.bare, member.request))!, member.request)).resolves.toBe(false);
      expect(seen).toEqual([admin.request, member.request]);
    });

    it('reports a refusal to the logger event hook as the 403 Mastra answers', async () => {
      const events: ClerkLogEvent[] = [];
      const mastra = provider({ authorizeUser: () => false, logger: { warn: () => undefined, event: (event) => void events.push(event) } });
      const { bare, request } = await bearer();
      await expect(mastra.authorizeUser((await mastra.authenticateToken(bare, request))!, request)).resolves.toBe(false);
      expect(events).toEqual([{ type: 'request_refused', name: 'clerk', code: 'insufficient_scope', status: 403 }]);
    });

    it('lets a Backend API outage in authorizeUser surface as an error, not a refusal', async () => {
      const mastra = provider({ authorizeUser: async () => Promise.reject(new BackendApiUnavailableError('it answered HTTP 500')) });
      const { bare, request } = await bearer();
      await rejected(BackendApiUnavailableError, mastra.authorizeUser((await mastra.authenticateToken(bare, request))!, request));
    });
  });

  describe('mapUserToResourceId(user)', () => {
    it('is the user id by default, so every user has their own threads and runs', async () => {
      const mastra = provider();
      const { bare, request } = await bearer(await token({ sub: 'user_alice' }));
      expect(mastra.mapUserToResourceId((await mastra.authenticateToken(bare, request))!)).toBe('user_alice');
    });

    it('is yours when given, e.g. per organization', async () => {
      const mastra = provider({ mapUserToResourceId: (user) => user.org_id ?? user.sub });
      const inOrg = await bearer(await token({ org_id: 'org_acme' }));
      const alone = await bearer();
      expect(mastra.mapUserToResourceId((await mastra.authenticateToken(inOrg.bare, inOrg.request))!)).toBe('org_acme');
      expect(mastra.mapUserToResourceId((await mastra.authenticateToken(alone.bare, alone.request))!)).toBe('user_2abc');
    });
  });

  describe('public and protected', () => {
    it('are kept as given (frozen copies), for Mastra to merge with its defaults', () => {
      const health = /^\/api\/health$/;
      const mastra = provider({ public: ['/api/status', health, ['/api/docs', 'GET']], protected: ['/custom/*', ['/reports', ['GET', 'POST']]] });
      expect(mastra.public).toEqual(['/api/status', health, ['/api/docs', 'GET']]);
      expect(mastra.protected).toEqual(['/custom/*', ['/reports', ['GET', 'POST']]]);
      expect(Object.isFrozen(mastra.public)).toBe(true);
      expect(Object.isFrozen(mastra.protected?.[1])).toBe(true);
    });

    it.each([
      ['a string instead of an array (Mastra would spread it into characters, "*" included)', '/api/*'],
      ['a blank path', ['  ']],
      ['a path with a space', ['/api/agents /api/tools']],
      ['null', [null]],
      ['a number', [42]],
      ['a RegExp with the g flag (alternate requests would match)', [/^\/api\/health$/g]],
      ['a RegExp with the y flag', [/^\/api\/health$/y]],
      ['a method in lower case (never matched)', [['/api/health', 'get']]],
      ['ALL (Mastra never matches it in these lists)', [['/api/health', 'ALL']]],
      ['an unknown method', [['/api/health', ['GET', 'FETCH']]]],
      ['no method', [['/api/health', []]]],
      ['a pair without methods', [['/api/health']]],
      ['a path that is not a valid matcher', [['/api/(health', 'GET']]],
    ])('refuse %s', (_, value) => {
      for (const option of ['public', 'protected'] as const) {
        expect(thrown(ClerkConfigError, () => provider({ [option]: value })).option).toBe(option);
      }
    });

    it.each([['*'], ['/*'], ['/api/*'], ['/API/*'], ['/api/.*'], ['/:any/*'], [/./], [/^\/api/], [['/api/*', 'GET']]])('refuse a public entry that opens every Mastra route: %p', (entry) => {
      expect(thrown(ClerkConfigError, () => provider({ public: [entry] as never })).option).toBe('public');
      // Protecting everything is fine.
      expect(provider({ protected: [entry] as never }).protected).toEqual([entry]);
    });
  });

  describe('getCurrentUser(request) for Mastra Studio', () => {
    let api: BackendApiServer;
    beforeEach(async () => {
      api = await startBackendApiServer(fakeSecretKey());
      api.users.set('user_2abc', clerkUserJson('user_2abc'));
    });
    afterEach(() => api.close());
    const withProfiles = (options: MastraAuthProviderOptions = {}) => provider({ secretKey: api.secretKey, apiUrl: api.apiUrl, ...options });

    it('is the user of the token, with the organization, and no profile without a secret key', async () => {
      const value = await token({ org_id: 'org_acme', org_role: 'org:admin', org_slug: 'acme' });
      await expect(provider().getCurrentUser(fetchRequest({ authorization: `Bearer ${value}` }))).resolves.toEqual({
        id: 'user_2abc',
        tokenType: 'session_token',
        sessionId: 'sess_2abc',
        orgId: 'org_acme',
        orgRole: 'org:admin',
        orgSlug: 'acme',
      });
      expect(api.urls).toEqual([]);
    });

    it('reads v2 organization claims too', async () => {
      const value = await token({ v: 2, o: { id: 'org_acme', rol: 'member', slg: 'acme' }, sts: 'active' });
      await expect(provider().getCurrentUser(fetchRequest({ authorization: `Bearer ${value}` }))).resolves.toMatchObject({ orgId: 'org_acme', orgRole: 'org:member', orgSlug: 'acme' });
    });

    it('adds the Backend API profile (primary email, name, image) when a secret key is set, cached per user', async () => {
      const mastra = withProfiles();
      const request = fetchRequest({ authorization: `Bearer ${await token()}` });
      const expected = {
        id: 'user_2abc',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        avatarUrl: 'https://img.clerk.com/x',
        tokenType: 'session_token',
        sessionId: 'sess_2abc',
        orgId: null,
        orgRole: null,
        orgSlug: null,
      };
      await expect(mastra.getCurrentUser(request)).resolves.toEqual(expected);
      await expect(mastra.getCurrentUser(request)).resolves.toEqual(expected);
      expect(api.calls.get('/v1/users/user_2abc')).toBe(1);
    });

    it('reads the secret key from CLERK_SECRET_KEY too, and uses a shared backendClient', async () => {
      const fromEnv = provider({ env: { CLERK_SECRET_KEY: api.secretKey, CLERK_API_URL: api.apiUrl } });
      const request = fetchRequest({ authorization: `Bearer ${await token()}` });
      await expect(fromEnv.getCurrentUser(request)).resolves.toMatchObject({ email: 'ada@example.com' });
      const backendClient = createClerkBackendClient({ secretKey: api.secretKey, apiUrl: api.apiUrl, env: {} });
      const shared = createMastraAuthProvider({ verifier: createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false }), backendClient });
      await backendClient.getUser('user_2abc');
      const calls = api.calls.get('/v1/users/user_2abc');
      await expect(shared.getCurrentUser(request)).resolves.toMatchObject({ name: 'Ada Lovelace' });
      expect(api.calls.get('/v1/users/user_2abc')).toBe(calls); // from the shared client's cache
    });

    it('never calls the Backend API with backendClient: false', async () => {
      const request = fetchRequest({ authorization: `Bearer ${await token()}` });
      await expect(withProfiles({ backendClient: false }).getCurrentUser(request)).resolves.not.toHaveProperty('email');
      expect(api.urls).toEqual([]);
    });

    it('falls back to the username, and leaves out what the user lacks', async () => {
      api.users.set('user_2abc', clerkUserJson('user_2abc', { first_name: null, last_name: null, username: 'ada', image_url: null, primary_email_address_id: null }));
      await expect(withProfiles().getCurrentUser(fetchRequest({ authorization: `Bearer ${await token()}` }))).resolves.toEqual({
        id: 'user_2abc',
        name: 'ada',
        tokenType: 'session_token',
        sessionId: 'sess_2abc',
        orgId: null,
        orgRole: null,
        orgSlug: null,
      });
    });

    it('keeps the user, without the profile, during a Backend API outage: the token decides who is signed in', async () => {
      api.behaviour = 'error500';
      const user = await withProfiles().getCurrentUser(fetchRequest({ authorization: `Bearer ${await token()}` }));
      expect(user).toEqual({ id: 'user_2abc', tokenType: 'session_token', sessionId: 'sess_2abc', orgId: null, orgRole: null, orgSlug: null });
    });

    it('is null when Clerk no longer knows the user (deleted since the token was minted)', async () => {
      api.users.delete('user_2abc');
      await expect(withProfiles().getCurrentUser(fetchRequest({ authorization: `Bearer ${await token()}` }))).resolves.toBeNull();
    });

    it('is null without a token, for a refused one, and for a token outside the Authorization header; the API is never asked', async () => {
      const mastra = withProfiles();
      const value = await token();
      await expect(mastra.getCurrentUser(fetchRequest())).resolves.toBeNull();
      await expect(mastra.getCurrentUser(fetchRequest({ authorization: 'Bearer not.a.jwt' }))).resolves.toBeNull();
      await expect(mastra.getCurrentUser(fetchRequest({ authorization: `Bearer ${await token({ exp: 1 })}` }))).resolves.toBeNull();
      await expect(mastra.getCurrentUser(fetchRequest({}, `http://127.0.0.1/api/auth/me?apiKey=${value}`))).resolves.toBeNull();
      await expect(mastra.getCurrentUser(fetchRequest({ cookie: `__session=${value}` }))).resolves.toBeNull();
      await expect(mastra.getCurrentUser(undefined)).resolves.toBeNull();
      expect(api.urls).toEqual([]);
    });

    it('throws on a JWKS outage', async () => {
      const request = fetchRequest({ authorization: `Bearer ${await token()}` });
      jwks.server.behaviour = 'error500';
      await rejected(JwksUnavailableError, withProfiles().getCurrentUser(request));
    });

    describe('getUser(userId)', () => {
      it('is the profile, or null for an unknown user or an id that is not a Clerk user id', async () => {
        const mastra = withProfiles();
        await expect(mastra.getUser('user_2abc')).resolves.toEqual({ id: 'user_2abc', email: 'ada@example.com', name: 'Ada Lovelace', avatarUrl: 'https://img.clerk.com/x' });
        await expect(mastra.getUser('user_gone')).resolves.toBeNull();
        await expect(mastra.getUser('../jwks')).resolves.toBeNull();
        await expect(mastra.getUser(7 as unknown as string)).resolves.toBeNull();
      });

      it('is null without a Backend API client', async () => {
        await expect(provider().getUser('user_2abc')).resolves.toBeNull();
      });

      it('throws during an outage (Mastra then shows no author)', async () => {
        api.behaviour = 'error500';
        await rejected(BackendApiUnavailableError, withProfiles().getUser('user_2abc'));
      });
    });
  });

  it('shares a verifier (and its key cache) with clerkAuth()', async () => {
    const verifier = createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false });
    const mastra = createMastraAuthProvider({ verifier });
    await verifier.verify(await token());
    const { bare, request } = await bearer();
    await mastra.authenticateToken(bare, request);
    expect(jwks.server.requests).toBe(1);
  });

  it.each([
    ['a misspelt option', { authorizeUsers: () => true }, 'authorizeUsers'],
    ['experimental_auth-era names', { mapUserToResource: () => 'x' }, 'mapUserToResource'],
    ['a non-function authorizeUser', { authorizeUser: true }, 'authorizeUser'],
    ['a non-function mapUserToResourceId', { mapUserToResourceId: 'sub' }, 'mapUserToResourceId'],
    ['mapUserToResourceId: null (it would let clients pick any thread)', { mapUserToResourceId: null }, 'mapUserToResourceId'],
    ['a backendClient that is not one', { backendClient: {} }, 'backendClient'],
    ['backendClient: true', { backendClient: true }, 'backendClient'],
    ['a verifier with verifier options', { verifier: createClerkVerifier({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {} }), jwksUri: 'https://b' }, 'verifier'],
    ['a verifier that is not one', { verifier: {} }, 'verifier'],
  ])('refuses %s at startup', (_, options, option) => {
    expect(thrown(ClerkConfigError, () => createMastraAuthProvider({ env: {}, jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', ...(options as object) })).option).toBe(option);
  });
});
