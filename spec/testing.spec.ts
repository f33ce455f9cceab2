/**
 * express-clerk-jwt/testing: the test issuer, checked against the package's own verifier through a
 * real Express app, as a user's test suite would use it.
 */
import express, { type Express } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import * as main from '../lib';
import { ClerkConfigError, clerkAuth, createClerkVerifier, InvalidTokenError, toAuth, type ClerkAuthOptions, type ClerkVerifierOptions } from '../lib';
import { createTestIssuer, type TestIssuer } from '../lib/testing';
import { rejected } from './helpers/expect-error';

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

  it('mints a v1 session token that clerkAuth() accepts, with Clerk\'s defaults', async () => {
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
  });
});
