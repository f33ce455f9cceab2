import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import { ClerkAuthError, ClerkConfigError, clerkAuth, createClerkVerifier, type ClerkAuthOptions } from '../../lib';
import { thrown } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';
import { mockClock } from '../helpers/clock';

const jwks = useJwksFixture();
afterEach(() => jest.useRealTimers());
const { claims } = jwks;
const token = (overrides: Record<string, unknown> = {}) => mint(jwks.key, claims(overrides));
const auth = (options: ClerkAuthOptions = {}) => clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });

/** Records what reached the app's own error handler. */
const errorHandler =
  (seen: unknown[]): ErrorRequestHandler =>
  (error, _req, res, _next) => {
    seen.push(error);
    res.status(error instanceof ClerkAuthError ? error.status : 500).json({ handledBy: 'app', message: (error as Error).message });
  };

const whoAmI: RequestHandler = (req, res) => {
  res.json({ sub: req.user?.sub ?? null });
};

describe.each(EXPRESS_VERSIONS)('clerkAuth() on %s', (_, express) => {
  function appWith(middleware: RequestHandler, seen: unknown[] = []): Express {
    const app = express();
    app.use('/api/agents', middleware);
    app.get('/api/agents', whoAmI);
    app.post('/api/agents/:agentId/generate', (req, res) => {
      res.json({ agentId: req.params.agentId, sub: req.user?.sub });
    });
    app.use(errorHandler(seen));
    return app;
  }

  describe('statuses and bodies', () => {
    it('lets a valid token through with the claims in req.user', async () => {
      const response = await request(appWith(auth()))
        .get('/api/agents')
        .set('Authorization', `Bearer ${await token()}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sub: 'user_2abc' });
    });

    it('covers every route below the mount point', async () => {
      const response = await request(appWith(auth()))
        .post('/api/agents/a1/generate')
        .set('Authorization', `Bearer ${await token()}`);
      expect(response.body).toEqual({ agentId: 'a1', sub: 'user_2abc' });
      expect((await request(appWith(auth())).post('/api/agents/a1/generate')).status).toBe(401);
    });

    it('ignores the spaces around the header value (Node strips them), as Clerk does', async () => {
      const response = await request(appWith(auth()))
        .get('/api/agents')
        .set('Authorization', `  Bearer ${await token()}  `);
      expect(response.status).toBe(200);
    });

    it('answers 400 to a lower-case scheme or several spaces after it, which Clerk does not read', async () => {
      for (const header of [`bearer ${await token()}`, `  Bearer   ${await token()}  `]) {
        const response = await request(appWith(auth())).get('/api/agents').set('Authorization', header);
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('invalid_request');
      }
    });

    it('answers 401 missing_token with a bare challenge when no credentials are sent', async () => {
      const response = await request(appWith(auth())).get('/api/agents');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk"');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        error: 'missing_token',
        message: 'Missing Authorization header: send the Clerk session token as "Authorization: Bearer <token>".',
      });
    });

    it('counts another scheme as no credentials', async () => {
      const response = await request(appWith(auth())).get('/api/agents').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('missing_token');
    });

    it.each([
      ['Bearer', 'the Bearer scheme needs a token, as in \\"Authorization: Bearer <token>\\"'],
      ['Bearer one two', 'more than one value follows Bearer'],
      ['Bearer,one', 'write the scheme as \\"Bearer\\" followed by one space and the token; Clerk reads no other spelling'],
    ])('answers 400 invalid_request to %j', async (header, description) => {
      const response = await request(appWith(auth())).get('/api/agents').set('Authorization', header);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.headers['www-authenticate']).toBe(`Bearer realm="clerk", error="invalid_request", error_description="${description}"`);
    });

    it('answers 400 when the Authorization header is sent twice', async () => {
      const app = appWith(auth());
      const listener = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => listener.once('listening', resolve));
      try {
        const { port } = listener.address() as AddressInfo;
        const valid = await token();
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, path: '/api/agents', headers: ['host', `127.0.0.1:${port}`, 'authorization', `Bearer ${valid}`, 'authorization', 'Bearer x.y.z'] },
            (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
      } finally {
        await new Promise((resolve) => listener.close(resolve));
      }
    });

    it('answers 401 invalid_token with a short reason, never echoing the token', async () => {
      const expired = await token({ exp: Math.floor(Date.now() / 1000) - 60 });
      const response = await request(appWith(auth())).get('/api/agents').set('Authorization', `Bearer ${expired}`);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk", error="invalid_token", error_description="the token has expired"');
      expect(response.body).toEqual({ error: 'invalid_token', message: 'Token verification failed: the token has expired.' });
      expect(response.text).not.toContain(expired.split('.')[1]);
    });

    it('answers 401 for a token signed by another instance', async () => {
      const response = await request(appWith(auth()))
        .get('/api/agents')
        .set('Authorization', `Bearer ${await mint(jwks.otherKey, claims())}`);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error_description="no signing key of this Clerk instance matches the token kid"');
    });

    it('answers 503 jwks_unavailable with Retry-After while the key set is down, then recovers', async () => {
      await jwks.server.stop();
      const clock = mockClock();
      const app = appWith(auth({ jwksCooldownInMs: 100 }));
      const bearer = `Bearer ${await token()}`;
      const response = await request(app).get('/api/agents').set('Authorization', bearer);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.body).toEqual({ error: 'jwks_unavailable', message: "Could not load Clerk's signing keys (JWKS). Try again shortly." });
      await jwks.server.start();
      clock.advance(150);
      expect((await request(app).get('/api/agents').set('Authorization', bearer)).status).toBe(200);
    });

    it('uses name as the realm', async () => {
      const response = await request(appWith(auth({ name: 'agents-api' }))).get('/api/agents');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="agents-api"');
    });

    it('fetches the key set once for 200 concurrent cold requests', async () => {
      const app = appWith(auth());
      const bearer = `Bearer ${await token()}`;
      const responses = await Promise.all(Array.from({ length: 200 }, () => request(app).get('/api/agents').set('Authorization', bearer)));
      expect(responses.map((response) => response.status)).toEqual(Array(200).fill(200));
      expect(jwks.server.requests).toBe(1);
    });
  });

  describe('authorizeUser', () => {
    it('runs after verification with the claims and the Express request', async () => {
      const calls: [string, string][] = [];
      const app = express();
      app.get(
        '/api/reports',
        auth({
          authorizeUser: async (user, req) => {
            calls.push([user.sub, req.path]);
            return user.org_role === 'org:admin';
          },
        }),
        (_req, res) => {
          res.json({ ok: true });
        },
      );
      const admin = await request(app)
        .get('/api/reports')
        .set('Authorization', `Bearer ${await token({ org_role: 'org:admin' })}`);
      expect(admin.status).toBe(200);
      const member = await request(app)
        .get('/api/reports')
        .set('Authorization', `Bearer ${await token({ org_role: 'org:member' })}`);
      expect(member.status).toBe(403);
      expect(member.headers['www-authenticate']).toBe('Bearer realm="clerk", error="insufficient_scope", error_description="the user is not allowed to access this resource"');
      expect(member.body).toEqual({ error: 'insufficient_scope', message: 'Access denied: the user is not allowed to access this resource.' });
      expect(calls).toEqual([
        ['user_2abc', '/api/reports'],
        ['user_2abc', '/api/reports'],
      ]);
    });

    it('runs on every request, also when the token comes from the verified-token cache', async () => {
      const answers = [true, true, false];
      const authorizeUser = jest.fn(() => answers.shift() as boolean);
      const app = appWith(auth({ authorizeUser }));
      const bearer = `Bearer ${await token()}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(app).get('/api/agents').set('Authorization', bearer)).status);
      expect(statuses).toEqual([200, 200, 403]);
      expect(authorizeUser).toHaveBeenCalledTimes(3);
    });

    it('is not called for refused tokens', async () => {
      const authorizeUser = jest.fn(() => true);
      const response = await request(appWith(auth({ authorizeUser })))
        .get('/api/agents')
        .set('Authorization', 'Bearer x.y.z');
      expect(response.status).toBe(401);
      expect(authorizeUser).not.toHaveBeenCalled();
    });

    it('denies anything but true', async () => {
      for (const answer of [false, undefined, 1, 'yes', {}] as unknown[]) {
        const app = appWith(auth({ authorizeUser: () => answer as boolean }));
        expect(
          (
            await request(app)
              .get('/api/agents')
              .set('Authorization', `Bearer ${await token()}`)
          ).status,
        ).toBe(403);
      }
    });

    it.each([
      [
        'throws',
        () => {
          throw new Error('database down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('database down'))],
    ])('hands the error to the app when it %s: a 500, never 401/403', async (_, authorizeUser) => {
      const seen: unknown[] = [];
      const response = await request(appWith(auth({ authorizeUser }), seen))
        .get('/api/agents')
        .set('Authorization', `Bearer ${await token()}`);
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ handledBy: 'app', message: 'database down' });
      expect(seen).toHaveLength(1);
    });

    it('wraps a thrown non-Error so that it can neither skip the route nor let the request through', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.get('/x', auth({ authorizeUser: () => Promise.reject('route') }), (_req, res) => {
        res.json({ reached: true });
      });
      app.get('/x', (_req, res) => {
        res.json({ skipped: true });
      });
      app.use(errorHandler(seen));
      const response = await request(app)
        .get('/x')
        .set('Authorization', `Bearer ${await token()}`);
      expect(response.status).toBe(500);
      expect(seen[0]).toBeInstanceOf(Error);
      expect((seen[0] as Error).cause).toBe('route');
    });
  });

  describe('optional', () => {
    it('lets requests without credentials through with no req.user and no authorizeUser call', async () => {
      const authorizeUser = jest.fn(() => true);
      const response = await request(appWith(auth({ optional: true, authorizeUser }))).get('/api/agents');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sub: null });
      expect(authorizeUser).not.toHaveBeenCalled();
    });

    it('still verifies a token that is sent', async () => {
      const app = appWith(auth({ optional: true }));
      expect(
        (
          await request(app)
            .get('/api/agents')
            .set('Authorization', `Bearer ${await token()}`)
        ).body,
      ).toEqual({ sub: 'user_2abc' });
      expect((await request(app).get('/api/agents').set('Authorization', 'Bearer x.y.z')).status).toBe(401);
      expect((await request(app).get('/api/agents').set('Authorization', 'Bearer')).status).toBe(400);
    });

    it('clears a req.user that an earlier middleware set: only verified Clerk claims are vouched for', async () => {
      const app = express();
      app.use((req, _res, next) => {
        req.user = { sub: 'user_from_a_session_cookie', exp: 0 };
        next();
      });
      app.get('/api/agents', auth({ optional: true }), whoAmI);
      expect((await request(app).get('/api/agents')).body).toEqual({ sub: null });
    });

    it('does not let a botched Bearer header through as anonymous', async () => {
      const response = await request(appWith(auth({ optional: true })))
        .get('/api/agents')
        .set('Authorization', `Bearer,${await token()}`);
      expect(response.status).toBe(400);
    });

    it('treats a pending session as signed out', async () => {
      const response = await request(appWith(auth({ optional: true })))
        .get('/api/agents')
        .set('Authorization', `Bearer ${await token({ v: 2, sts: 'pending' })}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sub: null });
    });
  });

  describe('forwardErrors', () => {
    it('hands every refusal to the app error handler with status and headers', async () => {
      const seen: unknown[] = [];
      const response = await request(appWith(auth({ forwardErrors: true }), seen)).get('/api/agents');
      expect(response.status).toBe(401);
      expect(response.body.handledBy).toBe('app');
      const error = seen[0] as ClerkAuthError;
      expect(error).toBeInstanceOf(ClerkAuthError);
      expect(error).toMatchObject({ code: 'missing_token', status: 401, statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer realm="clerk"' } });
    });

    it("is enough for Express's default error handler to answer correctly", async () => {
      const app = express();
      app.get('/api/agents', auth({ forwardErrors: true }), whoAmI);
      const response = await request(app).get('/api/agents').set('Authorization', 'Bearer x.y.z');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk", error="invalid_token", error_description="the token is not a well-formed JWT"');
    });
  });

  it('authenticates CORS preflights like any request: CORS middleware mounted first answers them', async () => {
    const app = express();
    app.use('/api/agents', auth());
    app.options('/api/agents', (_req, res) => {
      res.set('Access-Control-Allow-Origin', 'http://localhost:3000').sendStatus(204);
    });
    const preflight = await request(app).options('/api/agents').set('Origin', 'http://localhost:3000').set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).toBe(401);
    expect(preflight.body.error).toBe('missing_token');
    expect((await request(app).options('/api/agents')).status).toBe(401);

    const corsFirst = express();
    corsFirst.use((req, res, next) => {
      if (req.method !== 'OPTIONS') return next();
      res.set('Access-Control-Allow-Origin', 'http://localhost:3000').sendStatus(204);
    });
    corsFirst.use('/api/agents', auth());
    corsFirst.get('/api/agents', whoAmI);
    const answered = await request(corsFirst).options('/api/agents').set('Origin', 'http://localhost:3000').set('Access-Control-Request-Method', 'GET');
    expect(answered.status).toBe(204);
    expect(answered.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(jwks.server.requests).toBe(0);
  });

  it('shares one verifier, and its key cache, between middlewares', async () => {
    const verifier = createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {} });
    const app = express();
    app.get('/a', clerkAuth({ verifier }), whoAmI);
    app.get('/b', clerkAuth({ verifier, authorizeUser: () => false }), whoAmI);
    const bearer = `Bearer ${await token()}`;
    expect((await request(app).get('/a').set('Authorization', bearer)).status).toBe(200);
    expect((await request(app).get('/b').set('Authorization', bearer)).status).toBe(403);
    expect(jwks.server.requests).toBe(1);
  });
});

describe('clerkAuth(): startup errors', () => {
  const configError = (options: unknown) => thrown(ClerkConfigError, () => clerkAuth(options as ClerkAuthOptions)).message;

  it("checks its own options and the verifier's", () => {
    expect(configError({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {}, authorizeUser: true })).toBe(
      'authorizeUser must be a function (user, req) => boolean | Promise<boolean>.',
    );
    expect(configError({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {}, optional: 'yes' })).toBe('optional must be true or false.');
    expect(configError({ env: {} })).toMatch(/^No way to get Clerk's signing keys/);
    expect(configError({ env: {}, optonal: true })).toMatch(/^clerkAuth\(\) got an unknown option "optonal" \(did you mean "optional"\?\)/);
  });

  it('refuses a verifier together with verifier options', () => {
    const verifier = createClerkVerifier({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {} });
    expect(configError({ verifier, authorizedParties: ['https://a.example.com'] })).toBe(
      'clerkAuth() got a verifier and also authorizedParties: put verifier options in createClerkVerifier() instead.',
    );
    expect(configError({ verifier: { verify: 1 } })).toBe('verifier must come from createClerkVerifier().');
  });
});
