import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { clerkAuth, createClerkVerifier, requireRole, type ClerkLogEvent, type ClerkLogger } from '../../lib';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';

const jwks = useJwksFixture();

function appWith(middleware: RequestHandler, before?: RequestHandler) {
  const app = express();
  if (before !== undefined) app.use(before);
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  return app;
}

function capture(): ClerkLogger & { events: ClerkLogEvent[]; lines: string[] } {
  const events: ClerkLogEvent[] = [];
  const lines: string[] = [];
  return { events, lines, warn: (line) => void lines.push(line), event: (event) => void events.push(event) };
}

describe('structured log events', () => {
  it('reports each refused request with code, status, reason and the X-Request-Id, and nothing else', async () => {
    const logger = capture();
    const app = appWith(clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger }));
    await request(app).get('/').set('X-Request-Id', 'req-1');
    await request(app).get('/').set('X-Request-Id', 'req-2').set('Authorization', 'Bearer a.b.c');
    await request(app).get('/').set('Authorization', 'Bearer');
    await request(app)
      .get('/')
      .set('Authorization', `Bearer ${await mint(jwks.key, jwks.claims())}`);
    expect(logger.events).toEqual([
      { type: 'request_refused', name: 'clerk', code: 'missing_token', status: 401, requestId: 'req-1' },
      { type: 'request_refused', name: 'clerk', code: 'invalid_token', status: 401, reason: 'malformed', requestId: 'req-2' },
      { type: 'request_refused', name: 'clerk', code: 'invalid_request', status: 400 },
    ]);
    expect(logger.lines).toEqual([]);
  });

  it('prefers req.id (pino-http and the like) and drops request ids that are not short printable ASCII', async () => {
    const logger = capture();
    const middleware = clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger, authorizeUser: () => false });
    const setId =
      (id: unknown): RequestHandler =>
      (req, _res, next) => {
        (req as unknown as { id: unknown }).id = id;
        next();
      };
    const token = await mint(jwks.key, jwks.claims());
    await request(appWith(middleware, setId(42)))
      .get('/')
      .set('X-Request-Id', 'header-id')
      .set('Authorization', `Bearer ${token}`);
    await request(appWith(middleware, setId({ not: 'an id' })))
      .get('/')
      .set('X-Request-Id', 'header-id');
    await request(appWith(middleware)).get('/').set('X-Request-Id', 'has spaces');
    await request(appWith(middleware)).get('/').set('X-Request-Id', 'x'.repeat(201));
    expect(logger.events.map((event) => (event.type === 'request_refused' ? [event.code, event.requestId] : null))).toEqual([
      ['insufficient_scope', '42'],
      ['missing_token', 'header-id'],
      ['missing_token', undefined],
      ['missing_token', undefined],
    ]);
  });

  it('reports through the logger of a shared verifier, forwarded errors included', async () => {
    const logger = capture();
    const verifier = createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger });
    await request(appWith(clerkAuth({ verifier, forwardErrors: true }))).get('/');
    expect(logger.events).toEqual([{ type: 'request_refused', name: 'clerk', code: 'missing_token', status: 401 }]);
  });

  it('reports the refusals of a guard after clerkAuth() through the same logger', async () => {
    const logger = capture();
    const app = appWith(clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger }));
    app.get('/admin', requireRole('admin'), (_req, res) => {
      res.send('ok');
    });
    const response = await request(app)
      .get('/admin')
      .set('X-Request-Id', 'req-9')
      .set('Authorization', `Bearer ${await mint(jwks.key, jwks.claims())}`);
    expect(response.status).toBe(403);
    expect(logger.events).toEqual([{ type: 'request_refused', name: 'clerk', code: 'insufficient_scope', status: 403, requestId: 'req-9' }]);
  });

  it('ignores a logger that throws: the answer and the key set are unaffected', async () => {
    const logger: ClerkLogger = {
      warn: () => {
        throw new Error('log sink down');
      },
      event: () => {
        throw new Error('log sink down');
      },
    };
    await jwks.server.stop();
    const app = appWith(clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger, jwksCooldownInMs: 0 }));
    const token = await mint(jwks.key, jwks.claims());
    expect((await request(app).get('/').set('Authorization', `Bearer ${token}`)).status).toBe(503);
    await jwks.server.start();
    expect((await request(app).get('/').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app).get('/')).status).toBe(401);
  });

  it('a logger without event keeps working as before (warn lines only)', async () => {
    const lines: string[] = [];
    await jwks.server.stop();
    const app = appWith(clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: { warn: (line) => void lines.push(line) } }));
    expect(
      (
        await request(app)
          .get('/')
          .set('Authorization', `Bearer ${await mint(jwks.key, jwks.claims())}`)
      ).status,
    ).toBe(503);
    expect((await request(app).get('/')).status).toBe(401);
    expect(lines).toHaveLength(1);
  });
});
