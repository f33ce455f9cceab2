import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import request from 'supertest';
import { clerkAuth, createClerkVerifier, requireRole, type ClerkAuthOptions } from '../../lib';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';

// clerkAuth() settles a request whose token the verifier's cache vouches for without a promise.
// These tests pin that fast path down: it must be exactly as strict as the slow one.

const jwks = useJwksFixture();
const { claims } = jwks;

const verifierFor = () => createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false });

/** A request as Node would hand it to the middleware, for calling the middleware directly. */
function fakeRequest(authorization: string): Request {
  return { method: 'GET', headers: { authorization }, rawHeaders: ['Authorization', authorization] } as unknown as Request;
}

/** Runs the middleware on `req` and resolves with what it passed to next(), and whether it did so synchronously. */
function run(middleware: ReturnType<typeof clerkAuth>, req: Request): Promise<{ sync: boolean; arg: unknown }> {
  return new Promise((resolve) => {
    let returned = false;
    const res = {} as Response;
    const next: NextFunction = (arg?: unknown) => resolve({ sync: !returned, arg });
    void middleware(req, res, next);
    returned = true;
  });
}

function appWith(options: ClerkAuthOptions, ...after: express.RequestHandler[]) {
  const app = express();
  app.get('/', clerkAuth(options), ...after, (req, res) => {
    res.json({ sub: req.user?.sub });
  });
  return app;
}

describe('a token the cache vouches for', () => {
  it('is settled synchronously, with its own copy of the claims, and a first one is not', async () => {
    const verifier = verifierFor();
    // Nothing verified while the key set loads is cached: load it first.
    await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
    const middleware = clerkAuth({ verifier });
    const token = await mint(jwks.key, claims());
    const first = fakeRequest(`Bearer ${token}`);
    expect(await run(middleware, first)).toEqual({ sync: false, arg: undefined });
    const second = fakeRequest(`Bearer ${token}`);
    expect(await run(middleware, second)).toEqual({ sync: true, arg: undefined });
    expect(second.user).toEqual(first.user);
    expect(second.user).not.toBe(first.user);
  });

  it('once its key is known, a token seen for the first time is verified synchronously too, and each request gets its own claims', async () => {
    const verifier = verifierFor();
    await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
    const middleware = clerkAuth({ verifier });
    // The first token after the key set loaded asks the key set (a promise) and remembers the key.
    expect(await run(middleware, fakeRequest(`Bearer ${await mint(jwks.key, claims({ sub: 'user_key' }))}`))).toEqual({ sync: false, arg: undefined });
    const fresh = fakeRequest(`Bearer ${await mint(jwks.key, claims({ sub: 'user_new', fva: [1, 2] }))}`);
    expect(await run(middleware, fresh)).toEqual({ sync: true, arg: undefined });
    expect(fresh.user).toMatchObject({ sub: 'user_new', fva: [1, 2] });
    // A refusal is synchronous as well, and answered, never passed on.
    const forged = await mint(jwks.key, claims());
    const [header, payload] = forged.split('.') as [string, string, string];
    const refusedReq = fakeRequest(`Bearer ${header}.${payload}.${'A'.repeat(342)}`);
    let answered: unknown;
    const res = { status: (code: number) => ({ set: () => ({ json: (body: unknown) => (answered = { code, body }) }) }), headersSent: false } as unknown as Response;
    let nextCalled = false;
    middleware(refusedReq, res, () => (nextCalled = true));
    expect(nextCalled).toBe(false);
    expect(answered).toMatchObject({ code: 401, body: { error: 'invalid_token' } });
    expect(refusedReq.user).toBeUndefined();
  });

  it('with a verifier that is not ours, awaits any thenable it answers, never taking it for the principal', async () => {
    const real = verifierFor();
    // A verifier object of the user's own whose verify() answers non-native thenables.
    const thenable = <T>(promise: Promise<T>) => ({ then: (ok: (v: T) => unknown, ko: (e: unknown) => unknown) => promise.then(ok, ko) });
    const custom = { config: real.config, verify: (token: string) => thenable(real.verify(token)) } as unknown as ReturnType<typeof createClerkVerifier>;
    const middleware = clerkAuth({ verifier: custom });
    const good = fakeRequest(`Bearer ${await mint(jwks.key, claims({ sub: 'user_custom' }))}`);
    expect(await run(middleware, good)).toEqual({ sync: false, arg: undefined });
    expect(good.user).toMatchObject({ sub: 'user_custom' });
    expect(typeof (good.user as { then?: unknown }).then).toBe('undefined');
    const [header, payload] = (await mint(jwks.key, claims())).split('.') as [string, string];
    const forged = fakeRequest(`Bearer ${header}.${payload}.${'A'.repeat(342)}`);
    const answered = await new Promise<unknown>((resolve) => {
      const res = { status: (code: number) => ({ set: () => ({ json: (body: unknown) => resolve({ code, body }) }) }), headersSent: false } as unknown as Response;
      middleware(forged, res, (arg?: unknown) => resolve({ next: arg }));
    });
    expect(answered).toMatchObject({ code: 401, body: { error: 'invalid_token' } });
    expect(forged.user).toBeUndefined();
  });

  it('still runs authorizeUser on every request, and a denial is a 403', async () => {
    let calls = 0;
    const app = appWith({ verifier: verifierFor(), authorizeUser: () => ++calls === 1 });
    const token = await mint(jwks.key, claims());
    await request(app).get('/').set('Authorization', `Bearer ${token}`).expect(200, { sub: 'user_2abc' });
    await request(app).get('/').set('Authorization', `Bearer ${token}`).expect(403);
    expect(calls).toBe(2);
  });

  it('still feeds the guards behind clerkAuth()', async () => {
    const app = appWith({ verifier: verifierFor() }, requireRole('org:admin'));
    const member = await mint(jwks.key, claims({ org_id: 'org_1', org_role: 'org:member', org_slug: 'acme', org_permissions: [] }));
    const admin = await mint(jwks.key, claims({ org_id: 'org_1', org_role: 'org:admin', org_slug: 'acme', org_permissions: [] }));
    for (let i = 0; i < 2; i++) {
      await request(app).get('/').set('Authorization', `Bearer ${member}`).expect(403);
      await request(app).get('/').set('Authorization', `Bearer ${admin}`).expect(200);
    }
  });

  it('is refused once it expires, with the reason of the slow path', async () => {
    const app = appWith({ verifier: verifierFor() });
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(jwks.key, claims({ iat: now - 50, nbf: now - 50, exp: now + 10 }));
    await request(app).get('/').set('Authorization', `Bearer ${token}`).expect(200);
    await request(app).get('/').set('Authorization', `Bearer ${token}`).expect(200);
    const clock = jest.spyOn(Date, 'now').mockReturnValue((now + 60) * 1000);
    try {
      const response = await request(app).get('/').set('Authorization', `Bearer ${token}`).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/expired/);
    } finally {
      clock.mockRestore();
    }
  });

  it('sent twice in one request is a 400, as on the slow path', async () => {
    const verifier = verifierFor();
    await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
    const middleware = clerkAuth({ verifier });
    const token = await mint(jwks.key, claims());
    await run(middleware, fakeRequest(`Bearer ${token}`));
    expect((await run(middleware, fakeRequest(`Bearer ${token}`))).sync).toBe(true);
    const twice = {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      rawHeaders: ['Authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`],
      headersDistinct: { authorization: [`Bearer ${token}`, `Bearer ${token}`] },
    } as unknown as Request;
    let status = 0;
    const res = {
      headersSent: false,
      status(code: number) {
        status = code;
        return this;
      },
      set() {
        return this;
      },
      json() {
        return this;
      },
    } as unknown as Response;
    const next = jest.fn();
    void middleware(twice, res, next); // extraction fails before any look-up: answered at once
    expect(status).toBe(400);
    await new Promise(setImmediate); // and nothing calls next() later either
    expect(next).not.toHaveBeenCalled();
  });

  it('in any other spelling of the header is refused as on the slow path, never served from the cache', async () => {
    const verifier = verifierFor();
    await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
    const token = await mint(jwks.key, claims());
    await verifier.verify(token);
    const app = express();
    app.get('/', clerkAuth({ verifier }), (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    const status = async (authorization: string) => (await request(app).get('/').set('Authorization', authorization)).status;
    expect(await status(`Bearer ${token}`)).toBe(200);
    // Each would match the cached token after a naive slice(7), or names it in another case.
    for (const spelling of [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`, `Bearer\t${token}`, `Bearer ${token} x`, `Bearer ${token}\u00a0`]) {
      expect({ spelling, status: await status(spelling) }).toEqual({ spelling, status: 400 });
    }
    // Another token ending like the cached one (its signature, on other claims): a full check, refused.
    const [header, , signature] = token.split('.') as [string, string, string];
    const other = `${header}.${Buffer.from(JSON.stringify(claims({ sub: 'user_admin' }))).toString('base64url')}.${signature}`;
    expect(await status(`Bearer ${other}`)).toBe(401);
  });
});
