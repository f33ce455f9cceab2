/**
 * express-clerk-jwt/testing: the test issuer, checked against the package's own verifier through a
 * real Express app, as a user's test suite would use it.
 */
import express, { type Express } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import * as main from '../../lib';
import { ClerkConfigError, clerkAuth, createClerkVerifier, InvalidTokenError, toAuth, type ClerkAuthOptions, type ClerkVerifierOptions } from '../../lib';
import { createTestBackendApi, createTestIssuer, type TestIssuer } from '../../lib/testing';
import { rejected } from '../helpers/expect-error';

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await createTestIssuer();
});
afterEach(() => issuer.close());

function appWith(options: ClerkAuthOptions = {}): Express {
  const app = express();
  app.use('/api', clerkAuth({ env: issuer.env, logger: false, ...options }));
  app.get('/api/me', (req, res) => {
    res.json(req.user);
  });
  return app;
}

const call = (app: Express, token: string) => request(app).get('/api/me').set('Authorization', `Bearer ${token}`);

/** Why the package refuses `token`. */
async function reasonFor(token: string, options: ClerkVerifierOptions = {}): Promise<string> {
  return (await rejected(InvalidTokenError, createClerkVerifier({ env: issuer.env, logger: false, ...options }).verify(token))).reason;
}

describe('createTestIssuer()', () => {
  it('listens on 127.0.0.1 and points the package at itself through env', async () => {
    expect(issuer.issuer).toBe(`http://127.0.0.1:${issuer.port}`);
    expect(issuer.jwksUri).toBe(`${issuer.issuer}/.well-known/jwks.json`);
    expect(issuer.env).toEqual({
      CLERK_JWKS_URI: issuer.jwksUri,
      CLERK_AUTHORIZED_PARTIES: 'http://localhost:3000',
      CLERK_JWT_KEY: '',
      CLERK_PUBLISHABLE_KEY: '',
      CLERK_SECRET_KEY: '',
    });
    const { config } = createClerkVerifier({ env: issuer.env });
    expect(config).toMatchObject({ keySource: 'jwksUri', issuer: issuer.issuer, authorizedParties: ['http://localhost:3000'] });
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks).toEqual({ keys: [expect.objectContaining({ kid: issuer.kid, kty: 'RSA', alg: 'RS256', use: 'sig' })] });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(issuer.jwksRequests).toBe(1);
  });

  it('outranks Clerk keys already in the environment when its env is spread over them', async () => {
    const env = { CLERK_PUBLISHABLE_KEY: 'pk_test_ZXhvdGljLWNyYWItNzUuY2xlcmsuYWNjb3VudHMuZGV2JA', CLERK_JWT_KEY: 'not a key', ...issuer.env };
    expect((await call(appWith({ env }), await issuer.mint())).status).toBe(200);
  });

  it("mints a v1 session token that clerkAuth() accepts, with Clerk's defaults", async () => {
    const token = await issuer.mint();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.kid, cat: 'cl_B7d4PD111AAA' });
    const response = await call(appWith(), token);
    expect(response.status).toBe(200);
    const { iat, ...rest } = response.body as Record<string, number>;
    expect(rest).toEqual({
      azp: 'http://localhost:3000',
      exp: (iat as number) + 60,
      fva: [0, -1],
      iss: issuer.issuer,
      nbf: (iat as number) - 10,
      sid: 'sess_test',
      sub: 'user_test',
    });
    expect(Math.abs((iat as number) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('lets claims override and remove defaults', async () => {
    const claims = decodeJwt(await issuer.mint({ sub: 'user_42', sid: undefined, email: 'a@example.com' }));
    expect(claims).toMatchObject({ sub: 'user_42', email: 'a@example.com' });
    expect(claims).not.toHaveProperty('sid');
  });

  it('mints v1 organization claims, normalising the role', async () => {
    const claims = decodeJwt(await issuer.mint({}, { organization: { id: 'org_1', slug: 'acme', role: 'admin', permissions: ['org:usage:read'] } }));
    expect(claims).toMatchObject({ org_id: 'org_1', org_slug: 'acme', org_role: 'org:admin', org_permissions: ['org:usage:read'] });
    expect(claims).not.toHaveProperty('v');
    const member = decodeJwt(await issuer.mint({}, { organization: { id: 'org_1' } }));
    expect(member).toMatchObject({ org_id: 'org_1', org_role: 'org:member', org_permissions: [] });
  });

  it('mints v2 tokens, encoding permissions as Clerk does', async () => {
    const token = await issuer.mint(
      {},
      {
        version: 2,
        organization: {
          id: 'org_1',
          slug: 'acme',
          role: 'org:admin',
          // The reference example: fea "o:impersonation,o:memberships", per "read,manage", fpm "1,3".
          permissions: ['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage'],
        },
      },
    );
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      v: 2,
      sts: 'active',
      fea: 'o:impersonation,o:memberships',
      o: { id: 'org_1', slg: 'acme', rol: 'admin', per: 'read,manage', fpm: '1,3' },
    });
    expect(claims.jti).toMatch(/^[0-9a-f]{20}$/);
    expect(claims).not.toHaveProperty('org_id');
    expect((await call(appWith(), token)).status).toBe(200);
    const bare = decodeJwt(await issuer.mint({}, { version: 2, organization: { id: 'org_2' } }));
    expect(bare.o).toEqual({ id: 'org_2', rol: 'member' });
    expect(bare).not.toHaveProperty('fea');
  });

  it.each([1, 2] as const)('mints v%i organization claims that the package decodes back to the same role and permissions', async (version) => {
    const permissions = ['org:invoices:read', 'org:invoices:manage', 'org:reports:read', 'org:members:manage'];
    const token = await issuer.mint({}, { version, organization: { id: 'org_1', slug: 'acme', role: 'billing', permissions } });
    const auth = toAuth(await createClerkVerifier({ env: issuer.env, logger: false }).verify(token));
    expect(auth).toMatchObject({ orgId: 'org_1', orgSlug: 'acme', orgRole: 'org:billing' });
    expect([...(auth.orgPermissions ?? [])].sort()).toEqual([...permissions].sort());
    expect(auth.has({ permission: 'org:reports:read' })).toBe(true);
    expect(auth.has({ permission: 'org:reports:manage' })).toBe(false);
    expect(auth.has({ role: 'billing' })).toBe(true);
  });

  it('mints v2 by default when created with version: 2', async () => {
    const v2 = await createTestIssuer({ version: 2 });
    try {
      expect(decodeJwt(await v2.mint())).toMatchObject({ v: 2, sts: 'active' });
      expect(decodeJwt(await v2.mint({}, { version: 1 }))).not.toHaveProperty('v');
      expect(decodeJwt(await v2.mint({}, { version: undefined }))).toMatchObject({ v: 2 });
    } finally {
      await v2.close();
    }
  });

  it('refuses options it cannot express', async () => {
    await expect(issuer.mint({}, { pending: true })).rejects.toThrow('pending sessions exist only in v2 session tokens');
    await expect(issuer.mint({}, { organization: { id: 'org_1', permissions: ['read'] } })).rejects.toThrow(TypeError);
    await expect(issuer.mint({}, { organization: { id: '' } })).rejects.toThrow(TypeError);
    await expect(issuer.mint({}, { expiresInSeconds: Number.NaN })).rejects.toThrow(TypeError);
    const misspelt = await rejected(ClerkConfigError, issuer.mint({}, { organisation: { id: 'org_1' } } as never));
    expect(misspelt.message).toContain('did you mean "organization"');
  });

  it.each([
    ['an expired token', { expiresInSeconds: -30 }, 'expired'],
    ['a pending session', { version: 2 as const, pending: true }, 'pending_session'],
    ['a kid the JWKS does not hold', { kid: 'ins_unknown' }, 'unknown_key'],
  ])('mints %s, refused with its reason', async (_, options, reason) => {
    const token = await issuer.mint({}, options);
    const response = await call(appWith(), token);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
    expect(await reasonFor(token)).toBe(reason);
  });

  it('accepts a pending session where the app allows it', async () => {
    expect((await call(appWith({ acceptPendingSessions: true }), await issuer.mint({}, { version: 2, pending: true }))).status).toBe(200);
  });

  it('mints tokens for another authorized party, refused by an app that expects its own', async () => {
    const other = await createTestIssuer({ authorizedParty: 'https://evil.example' });
    try {
      const env = { ...other.env, CLERK_AUTHORIZED_PARTIES: 'http://localhost:3000' };
      expect(await reasonFor(await other.mint(), { env })).toBe('invalid_authorized_party');
    } finally {
      await other.close();
    }
  });

  it('rotates its key: the new kid is served, the old one dropped unless kept', async () => {
    const app = appWith({ jwksCooldownInMs: 0 });
    const before = await issuer.mint();
    const oldKid = issuer.kid;
    expect((await call(app, before)).status).toBe(200);

    const newKid = await issuer.rotateKey();
    expect(newKid).not.toBe(oldKid);
    expect(issuer.kid).toBe(newKid);
    expect(issuer.keys.map((key) => key.kid)).toEqual([newKid]);
    expect((await call(app, await issuer.mint())).status).toBe(200);
    expect((await call(app, before)).status).toBe(401);
    expect(await reasonFor(before, { jwksCooldownInMs: 0 })).toBe('unknown_key');

    const middle = await issuer.mint();
    const third = await issuer.rotateKey({ keepPrevious: true });
    expect(issuer.keys.map((key) => key.kid)).toEqual([newKid, third]);
    expect((await call(app, await issuer.mint())).status).toBe(200);
    expect((await call(app, middle)).status).toBe(200);
  });

  it('goes down (503, never 401) and comes back on the same port', async () => {
    const app = appWith({ jwksCooldownInMs: 0 });
    const token = await issuer.mint();
    await issuer.stop();
    const down = await call(app, token);
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('jwks_unavailable');
    const port = issuer.port;
    await issuer.start();
    expect(issuer.port).toBe(port);
    expect((await call(app, token)).status).toBe(200);
  });

  it('offers its public key as PEM for networkless verification', async () => {
    const app = appWith({ env: {}, jwtKey: await issuer.publicKeyPem() });
    expect((await call(app, await issuer.mint())).status).toBe(200);
    expect(issuer.jwksRequests).toBe(0);
  });

  it('answers 404 outside the key set', async () => {
    const response = await fetch(`${issuer.issuer}/v1/jwks`);
    expect(response.status).toBe(404);
    expect(issuer.jwksRequests).toBe(0);
  });

  it('closes for good, twice without harm, and frees its port', async () => {
    await issuer.close();
    await issuer.close();
    await expect(fetch(issuer.jwksUri)).rejects.toThrow();
    await expect(issuer.start()).rejects.toThrow('The test issuer is closed');
  });

  it.each(['0.0.0.0', '::', 'localhost', '192.168.1.10', 'example.com', ''])('refuses to listen on %j', async (host) => {
    const error = await rejected(ClerkConfigError, createTestIssuer({ host }));
    expect(error.option).toBe('host');
    expect(error.message).toContain('only on a loopback address');
  });

  it('listens on another 127.x address when asked', async () => {
    const other = await createTestIssuer({ host: '127.0.0.2', kid: 'ins_fixed' });
    try {
      expect(other.issuer).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      expect(other.kid).toBe('ins_fixed');
      expect((await call(appWith({ env: other.env }), await other.mint())).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it.each([
    [{ hots: '127.0.0.1' }, 'hots'],
    [{ port: -1 }, 'port'],
    [{ version: 3 }, 'version'],
    [{ kid: '' }, 'kid'],
    [{ authorizedParty: 'http://localhost:3000/' }, 'authorizedParty'],
  ])('refuses bad options %j', async (options, option) => {
    const error = await rejected(ClerkConfigError, createTestIssuer(options as never));
    expect(error.option).toBe(option);
  });

  it('is not exported from the main entry point', () => {
    expect(Object.keys(main)).not.toContain('createTestIssuer');
    expect(Object.keys(main)).not.toContain('createTestBackendApi');
  });
});

describe('machine JWTs from the test issuer', () => {
  const machineApp = (acceptsToken: ClerkAuthOptions<'m2m_token' | 'oauth_token' | ['m2m_token', 'oauth_token']>['acceptsToken'], options: ClerkVerifierOptions = {}) => {
    const app = express();
    app.get('/api/me', clerkAuth({ env: issuer.env, logger: false, opaqueTokens: false, acceptsToken, ...options }), (req, res) => void res.json(req.user));
    return app;
  };

  it("mints an M2M JWT with Clerk's header and claims, accepted where acceptsToken lists m2m_token", async () => {
    const token = await issuer.mintM2M({ sub: 'mch_reports' }, { scopes: ['mch_billing', 'mch_audit'] });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.kid, cat: 'cl_B7d4PD333AAA' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iss: issuer.issuer,
      sub: 'mch_reports',
      jti: expect.stringMatching(/^mt_[0-9a-f]{32}$/),
      iat: expect.any(Number),
      nbf: (claims.iat as number) - 10,
      exp: (claims.iat as number) + 3600,
      scopes: 'mch_billing mch_audit',
    });
    const response = await call(machineApp('m2m_token'), token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tokenType: 'm2m_token', sub: 'mch_reports', scopes: ['mch_billing', 'mch_audit'] });
    expect((await call(appWith(), token)).status).toBe(401);
  });

  it('mints an OAuth access-token JWT (typ at+jwt), with aud and scp when asked', async () => {
    const token = await issuer.mintOAuth({ sub: 'user_9' }, { scopes: ['email', 'profile'], audience: 'https://api.example.com', type: 'application/at+jwt' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'application/at+jwt', kid: issuer.kid });
    expect(decodeJwt(token)).toMatchObject({ sub: 'user_9', client_id: 'client_test', scp: ['email', 'profile'], aud: 'https://api.example.com', jti: expect.stringMatching(/^oat_/) });
    const response = await call(machineApp(['m2m_token', 'oauth_token'], { audience: 'https://api.example.com' }), token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tokenType: 'oauth_token', sub: 'user_9', scopes: ['email', 'profile'], clientId: 'client_test' });
  });

  it('shapes tokens Clerk refuses when asked: no cat, another cat, expired, another kid', async () => {
    expect(decodeProtectedHeader(await issuer.mintM2M({}, { category: null }))).not.toHaveProperty('cat');
    expect((await call(machineApp('m2m_token'), await issuer.mintM2M({}, { category: 'cl_B7d4PD222AAA' }))).status).toBe(401);
    expect((await call(machineApp('m2m_token'), await issuer.mintM2M({}, { expiresInSeconds: -10 }))).status).toBe(401); // beyond the 5 s skew
    expect((await call(machineApp('oauth_token'), await issuer.mintOAuth({}, { kid: 'ins_other' }))).status).toBe(401);
  });

  it.each([
    ['mintM2M', { scope: ['a'] }, 'scope'],
    ['mintM2M', { type: 'at+jwt' }, 'type'],
    ['mintOAuth', { category: null }, 'category'],
    ['mintM2M', { category: '' }, 'category'],
    ['mintOAuth', { type: 'JWT' }, 'type'],
    ['mintM2M', { kid: ' ' }, 'kid'],
  ] as const)('%s refuses the option %j', async (method, options, option) => {
    const error = await rejected(ClerkConfigError, issuer[method]({}, options as never));
    expect(error.option).toBe(option);
  });

  it('refuses scopes or an audience it cannot express', async () => {
    await expect(issuer.mintM2M({}, { scopes: ['a b'] })).rejects.toBeInstanceOf(TypeError);
    await expect(issuer.mintOAuth({}, { audience: [1] as never })).rejects.toBeInstanceOf(TypeError);
    await expect(issuer.mintOAuth({}, { expiresInSeconds: Number.NaN })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('createTestBackendApi()', () => {
  it('issues opaque tokens of each type that a verifier pointed at it accepts, and reports what it was asked', async () => {
    const api = await createTestBackendApi();
    try {
      expect(api.apiUrl).toBe(`http://127.0.0.1:${api.port}`);
      expect(api.env).toEqual({ CLERK_API_URL: api.apiUrl, CLERK_SECRET_KEY: api.secretKey, CLERK_MACHINE_SECRET_KEY: '' });
      expect(api.secretKey).toMatch(/^sk_test_[0-9a-f]{48}$/);
      expect(api.machineSecretKey).toMatch(/^ak_[0-9a-f]{48}$/);
      const app = express();
      app.get('/api/me', clerkAuth({ env: { ...issuer.env, ...api.env }, logger: false, acceptsToken: 'any' }), (req, res) => void res.json(req.user));
      const m2m = api.issue('m2m_token', { scopes: ['mch_a'], claims: { team: 'x' } });
      const key = api.issue('api_key', { subject: 'org_1', name: 'ci', expiresInSeconds: null });
      const oauth = api.issue('oauth_token', { clientId: 'client_9' });
      expect(m2m).toMatch(/^mt_[A-Za-z0-9_-]{32}$/);
      expect(key).toMatch(/^ak_[A-Za-z0-9+/]{44}$/);
      expect(oauth).toMatch(/^oat_[A-Za-z0-9_-]{32}$/);
      expect((await call(app, m2m)).body).toMatchObject({ tokenType: 'm2m_token', sub: 'mch_test', scopes: ['mch_a'], claims: { team: 'x' } });
      expect((await call(app, key)).body).toMatchObject({ tokenType: 'api_key', sub: 'org_1', name: 'ci', expiration: null });
      expect((await call(app, oauth)).body).toMatchObject({ tokenType: 'oauth_token', sub: 'user_test', clientId: 'client_9' });
      expect(api.requests).toBe(3);
      expect(api.requestsByType).toEqual({ m2m_token: 1, api_key: 1, oauth_token: 1 });
      expect(api.requestsByKey).toEqual({ secretKey: 3, machineSecretKey: 0, none: 0 });
    } finally {
      await api.close();
    }
  });

  it('answers like Clerk: 404 for tokens it did not issue or forgot, revoked and expired flags, 401 for a wrong key', async () => {
    const api = await createTestBackendApi();
    const post = (path: string, body: unknown, key = api.secretKey) =>
      fetch(`${api.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const token = api.issue('m2m_token');
      const ok = (await (await post('/v1/m2m_tokens/verify', { token })).json()) as Record<string, unknown>;
      expect(ok).toMatchObject({ object: 'machine_to_machine_token', subject: 'mch_test', revoked: false, expired: false });
      // Clerk's SDK calls the same endpoints without /v1; both work, and the M2M one takes the machine secret key too.
      expect((await post('/m2m_tokens/verify', { token }, api.machineSecretKey)).status).toBe(200);
      expect((await post('/v1/api_keys/verify', { secret: token })).status).toBe(404); // another type's endpoint
      expect((await post('/v1/api_keys/verify', { secret: api.issue('api_key') }, api.machineSecretKey)).status).toBe(401);
      api.revoke(token);
      expect(await (await post('/v1/m2m_tokens/verify', { token })).json()).toMatchObject({ revoked: true });
      const key = api.issue('api_key');
      api.expire(key);
      expect(await (await post('/v1/api_keys/verify', { secret: key })).json()).toMatchObject({ expired: true });
      api.forget(key);
      expect((await post('/v1/api_keys/verify', { secret: key })).status).toBe(404);
      expect(() => api.revoke('ak_never_issued')).toThrow(TypeError);
    } finally {
      await api.close();
    }
  });

  it('goes down and comes back on the same port; closes for good', async () => {
    const api = await createTestBackendApi();
    const verifier = createClerkVerifier({ env: { ...issuer.env, ...api.env }, logger: false, opaqueTokenCacheTtlInMs: 0 });
    const token = api.issue('api_key');
    await api.stop();
    await expect(verifier.verify(token, { acceptsToken: 'api_key' })).rejects.toMatchObject({ code: 'backend_api_unavailable' });
    await api.start();
    await expect(verifier.verify(token, { acceptsToken: 'api_key' })).resolves.toMatchObject({ tokenType: 'api_key' });
    await api.close();
    await api.close();
    await expect(api.start()).rejects.toThrow('closed');
  });

  it.each([
    [{ host: '0.0.0.0' }, 'host'],
    [{ host: 'localhost' }, 'host'],
    [{ port: 70000 }, 'port'],
    [{ secretKey: 'x' }, 'secretKey'],
  ])('refuses bad options %j', async (options, option) => {
    const error = await rejected(ClerkConfigError, createTestBackendApi(options as never));
    expect(error.option).toBe(option);
  });
});
