/**
 * Machine tokens and session cookies in the Mastra provider (issue #13, part B's remaining bits),
 * and the cookie path of `clerkAuth()` on routes that also accept machine tokens: a cookie holds a
 * session token only, whatever `acceptsToken` says, as in Clerk's `authenticateRequest`.
 */
import express from 'express';
import request from 'supertest';
import { BackendApiUnavailableError, clerkAuth, createClerkVerifier, createMastraAuthProvider, type ClerkLogEvent, type ClerkVerifierOptions } from '../../lib';
import { createTestBackendApi, createTestIssuer, type TestBackendApi, type TestIssuer } from '../../lib/testing';
import { rejected } from '../helpers/expect-error';
import { createTestKey, mint, publishableKeyFor, sessionClaims, type TestKey } from '../helpers/keys';

let issuer: TestIssuer;
let api: TestBackendApi;
beforeAll(async () => {
  [issuer, api] = await Promise.all([createTestIssuer(), createTestBackendApi()]);
});
afterAll(() => Promise.all([issuer.close(), api.close()]));
beforeEach(() => {
  api.behaviour = 'ok';
});

const env = () => ({ ...issuer.env, ...api.env });
// The request Mastra's Express and Hono adapters hand the provider: a Fetch Request, wrapped.
const mastraRequest = (headers: Record<string, string> = {}, url = 'http://127.0.0.1:4111/api/agents') => {
  const raw = new Request(url, { headers });
  return { raw, headers: raw.headers, header: (name: string) => raw.headers.get(name) ?? undefined };
};
const withBearer = (token: string) => [token, mastraRequest({ authorization: `Bearer ${token}` })] as const;

describe('createMastraAuthProvider({ acceptsToken })', () => {
  it('accepts the machine types it lists and refuses the others (null, with the reason in an event)', async () => {
    const events: ClerkLogEvent[] = [];
    const provider = createMastraAuthProvider({ env: env(), logger: { warn: () => undefined, event: (event) => void events.push(event) }, acceptsToken: ['session_token', 'm2m_token'] });
    const m2m = await issuer.mintM2M({ sub: 'mch_agent' }, { scopes: ['mch_mastra'] });
    await expect(provider.authenticateToken(...withBearer(m2m))).resolves.toMatchObject({ tokenType: 'm2m_token', sub: 'mch_agent', scopes: ['mch_mastra'] });
    await expect(provider.authenticateToken(...withBearer(api.issue('m2m_token', { subject: 'mch_opaque' })))).resolves.toMatchObject({ sub: 'mch_opaque' });
    await expect(provider.authenticateToken(...withBearer(await issuer.mint()))).resolves.toMatchObject({ sub: 'user_test' });
    const before = api.requests;
    await expect(provider.authenticateToken(...withBearer(api.issue('api_key')))).resolves.toBeNull();
    await expect(provider.authenticateToken(...withBearer(await issuer.mintOAuth()))).resolves.toBeNull();
    expect(api.requests).toBe(before);
    expect(events.map((event) => (event.type === 'request_refused' ? event.reason : event.type))).toEqual(['token_type_mismatch', 'token_type_mismatch']);
  });

  it('refuses machine tokens by default, as clerkAuth() does', async () => {
    const provider = createMastraAuthProvider({ env: env(), logger: false });
    await expect(provider.authenticateToken(...withBearer(await issuer.mintM2M()))).resolves.toBeNull();
    await expect(provider.authenticateToken(...withBearer(api.issue('m2m_token')))).resolves.toBeNull();
  });

  it('throws a Backend API outage (an outage is not a bad token), and answers again once Clerk does', async () => {
    const provider = createMastraAuthProvider({ env: env(), logger: false, acceptsToken: 'api_key', opaqueTokenCacheTtlInMs: 0 });
    const [token, req] = withBearer(api.issue('api_key'));
    api.behaviour = 'error';
    await rejected(BackendApiUnavailableError, provider.authenticateToken(token, req));
    api.behaviour = 'ok';
    await expect(provider.authenticateToken(token, req)).resolves.toMatchObject({ tokenType: 'api_key' });
  });

  it('scopes memory by sub for machines too, hands authorizeUser the principal, and answers getCurrentUser without a profile lookup', async () => {
    const provider = createMastraAuthProvider({
      env: env(),
      logger: false,
      acceptsToken: ['session_token', 'api_key'],
      authorizeUser: (user) => user.tokenType !== 'api_key' || user.scopes.includes('agents:run'),
    });
    const [allowed, allowedReq] = withBearer(api.issue('api_key', { subject: 'user_owner', scopes: ['agents:run'] }));
    const user = await provider.authenticateToken(allowed, allowedReq);
    if (user?.tokenType !== 'api_key') throw new Error('expected an API key principal');
    expect(provider.mapUserToResourceId(user)).toBe('user_owner');
    await expect(provider.authorizeUser(user, allowedReq)).resolves.toBe(true);
    const [denied, deniedReq] = withBearer(api.issue('api_key', { scopes: ['read'] }));
    const deniedUser = await provider.authenticateToken(denied, deniedReq);
    expect(deniedUser).not.toBeNull();
    await expect(provider.authorizeUser(deniedUser!, deniedReq)).resolves.toBe(false);
    const lookups = api.requests;
    await expect(provider.getCurrentUser(allowedReq)).resolves.toEqual({ id: 'user_owner', tokenType: 'api_key', sessionId: null, orgId: null, orgRole: null, orgSlug: null });
    // The token was verified before (cached): no call for it, and none for a profile either.
    expect(api.requests).toBe(lookups);
  });
});

describe('session cookies, on clerkAuth() routes that accept machine tokens and in the Mastra provider', () => {
  const APP = 'http://localhost:3000';
  const HOST = 'clerk.shop.example.com';
  const PK_LIVE = publishableKeyFor(HOST, 'live');
  let key: TestKey;
  beforeAll(async () => {
    key = await createTestKey('ins_cookie_machine');
  });
  const options = (): ClerkVerifierOptions => ({ jwtKey: key.pem, publishableKey: PK_LIVE, env: {}, logger: false, authorizedParties: [APP], opaqueTokens: false });
  const now = () => Math.floor(Date.now() / 1000);
  /** The cookies of a production browser: the token and a __client_uat older than it. */
  const cookieWith = (token: string) => `__session=${token}; __client_uat=${now() - 60}`;
  const sessionToken = (overrides: Record<string, unknown> = {}) => mint(key, sessionClaims(`https://${HOST}`, overrides));
  const m2mInCookie = () => mint(key, sessionClaims(`https://${HOST}`, { sub: 'mch_agent', sid: undefined }), { cat: 'cl_B7d4PD333AAA' });

  it('clerkAuth(): a cookie holds a session token only, even where M2M tokens are accepted as Bearer', async () => {
    const app = express();
    app.get(
      '/me',
      clerkAuth({ ...options(), acceptsToken: ['session_token', 'm2m_token'], sessionCookie: true }),
      (req, res) => void res.json({ sub: req.user?.sub, tokenType: req.user?.tokenType ?? 'session_token' }),
    );
    expect(
      (
        await request(app)
          .get('/me')
          .set('Cookie', cookieWith(await sessionToken()))
      ).body,
    ).toEqual({ sub: 'user_2abc', tokenType: 'session_token' });
    const m2m = await m2mInCookie();
    const inCookie = await request(app).get('/me').set('Cookie', cookieWith(m2m));
    expect(inCookie.status).toBe(401);
    expect(inCookie.headers['www-authenticate']).toContain('error="invalid_token"');
    // The same token as Bearer is an M2M token the route accepts.
    expect((await request(app).get('/me').set('Authorization', `Bearer ${m2m}`)).body).toEqual({ sub: 'mch_agent', tokenType: 'm2m_token' });
  });

  it('the Mastra provider reads the __session cookie when there is no Bearer header, with the same rules', async () => {
    const verifier = createClerkVerifier(options());
    const provider = createMastraAuthProvider({ verifier, sessionCookie: true, acceptsToken: ['session_token', 'm2m_token'] });
    await expect(provider.authenticateToken('', mastraRequest({ cookie: cookieWith(await sessionToken()) }))).resolves.toMatchObject({ sub: 'user_2abc' });
    await expect(provider.getCurrentUser(mastraRequest({ cookie: cookieWith(await sessionToken()) }))).resolves.toMatchObject({ id: 'user_2abc', tokenType: 'session_token' });
    // Clerk's cookie rules: an M2M token in the cookie, a token older than __client_uat, a signed-out browser, another Origin.
    await expect(provider.authenticateToken('', mastraRequest({ cookie: cookieWith(await m2mInCookie()) }))).resolves.toBeNull();
    await expect(provider.authenticateToken('', mastraRequest({ cookie: `__session=${await sessionToken()}; __client_uat=${now() + 60}` }))).resolves.toBeNull();
    await expect(provider.authenticateToken('', mastraRequest({ cookie: `__session=${await sessionToken()}; __client_uat=0` }))).resolves.toBeNull();
    await expect(provider.authenticateToken('', mastraRequest({ cookie: cookieWith(await sessionToken()), origin: 'https://evil.example.com' }))).resolves.toBeNull();
    await expect(provider.authenticateToken('', mastraRequest({ cookie: cookieWith(await sessionToken({ azp: 'https://evil.example.com' })) }))).resolves.toBeNull();
    // A Bearer header wins over the cookie; a token in the URL is still refused.
    const bearer = await sessionToken({ sub: 'user_header' });
    await expect(provider.authenticateToken(bearer, mastraRequest({ authorization: `Bearer ${bearer}`, cookie: cookieWith(await sessionToken()) }))).resolves.toMatchObject({
      sub: 'user_header',
    });
    const inUrl = await sessionToken();
    await expect(provider.authenticateToken(inUrl, mastraRequest({ cookie: cookieWith(await sessionToken()) }, `http://127.0.0.1:4111/api/agents?apiKey=${inUrl}`))).resolves.toBeNull();
  });

  it('without sessionCookie, the provider ignores cookies', async () => {
    const provider = createMastraAuthProvider(options());
    await expect(provider.authenticateToken('', mastraRequest({ cookie: cookieWith(await sessionToken()) }))).resolves.toBeNull();
  });
});
