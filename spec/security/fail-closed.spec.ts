/**
 * Fail closed, whatever the method: no handler or guard behind `clerkAuth()` or a guard runs for a
 * request without verified credentials. Every method Node's HTTP parser accepts (CONNECT aside: Node
 * hands it to the server's `connect` event, never to the app) × every way of mounting the
 * middleware × with and without the headers of a CORS preflight × every supported Express, through
 * a real server on 127.0.0.1. Preflights are answered by CORS middleware mounted first, never by
 * letting them past authentication.
 */
import http, { type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import type { Express, RequestHandler, Router } from 'express';
import { clerkAuth, requireAuth, requireAuthorization, requireRole, type ClerkAuthOptions } from '../../lib';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { serve, type TestServer } from '../helpers/http-client';

const ORIGIN = 'http://localhost:3000';
/** Every method Node's server parses and hands to the request listener. */
const METHODS = http.METHODS.filter((method) => method !== 'CONNECT');

let issuer: TestIssuer;
let adminToken: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ authorizedParty: ORIGIN });
  adminToken = await issuer.mint({ sub: 'user_admin' }, { organization: { id: 'org_1', role: 'admin' }, expiresInSeconds: 600 });
});
afterAll(() => issuer.close());

const agent = new http.Agent({ keepAlive: false });

/** Sends `method path` with `headers`; resolves with the status. */
function call(port: number, method: string, path: string, headers: OutgoingHttpHeaders = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The shapes of a request without credentials. */
const UNCREDENTIALED: [string, OutgoingHttpHeaders][] = [
  ['no headers', {}],
  ['preflight headers', { origin: ORIGIN, 'access-control-request-method': 'DELETE' }],
  ['preflight headers asking for Authorization', { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }],
  ['an Origin only', { origin: ORIGIN }],
  ['Basic credentials and preflight headers', { authorization: 'Basic YWRtaW46YWRtaW4=', origin: ORIGIN, 'access-control-request-method': 'POST' }],
];

describe.each(EXPRESS_VERSIONS)('fail closed on %s', (_, express) => {
  interface Mounting {
    name: string;
    /** Methods for which the protected handler is routed at all. */
    routed: readonly string[];
    build(handler: RequestHandler): Express;
    /** No clerkAuth() in front: even valid credentials are never verified, so never reach the handler. */
    unverified?: true;
  }
  const auth = (options: ClerkAuthOptions = {}) => clerkAuth({ env: issuer.env, logger: false, ...options });
  const withApp = (mount: (app: Express) => void): Express => {
    const app = express();
    mount(app);
    return app;
  };
  const route = (app: Express | Router, method: string) => (app as unknown as Record<string, (path: string, ...handlers: RequestHandler[]) => void>)[method.toLowerCase()];

  const MOUNTINGS: Mounting[] = [
    {
      name: 'app.use(clerkAuth()) then app.all()',
      routed: METHODS,
      build: (h) =>
        withApp((app) => {
          app.use(auth());
          app.all('/p', h);
        }),
    },
    { name: "app.use('/p', clerkAuth(), handler)", routed: METHODS, build: (h) => withApp((app) => app.use('/p', auth(), h)) },
    {
      name: 'app.all(path, clerkAuth(), requireRole(), handler)',
      routed: METHODS,
      build: (h) => withApp((app) => app.all('/p', auth(), requireRole('org:admin'), h)),
    },
    { name: 'app.options(path, requireAuth(options), handler)', routed: ['OPTIONS'], build: (h) => withApp((app) => app.options('/p', requireAuth({ env: issuer.env, logger: false }), h)) },
    { name: 'app.options(path, clerkAuth(), requireAuth(), handler)', routed: ['OPTIONS'], build: (h) => withApp((app) => app.options('/p', auth(), requireAuth(), h)) },
    {
      name: 'router.use(clerkAuth()) then router.all(), under app.use()',
      routed: METHODS,
      build: (h) =>
        withApp((app) => {
          const router = express.Router();
          router.use(auth());
          router.all('/p', h);
          app.use('/r', router);
        }),
    },
    {
      name: 'a route per method: app[method](path, clerkAuth(), handler)',
      routed: METHODS,
      build: (h) =>
        withApp((app) => {
          for (const method of METHODS) {
            const register = route(app, method);
            if (typeof register === 'function') register.call(app, '/p', auth(), h);
          }
        }),
    },
    {
      name: 'guards alone, no clerkAuth(): app.all(path, requireAuth(), requireAuthorization(), handler)',
      routed: METHODS,
      build: (h) =>
        withApp((app) =>
          app.all(
            '/p',
            requireAuth(),
            requireAuthorization(() => true),
            h,
          ),
        ),
      unverified: true,
    },
    {
      name: 'clerkAuth({ optional: true }) with a guard: app.all(path, optional, requireRole(), handler)',
      routed: METHODS,
      build: (h) => withApp((app) => app.all('/p', auth({ optional: true }), requireRole('org:admin'), h)),
    },
  ];

  /** Path of the protected route in a mounting. */
  const pathOf = (mounting: Mounting) => (mounting.name.startsWith('router') ? '/r/p' : '/p');

  describe.each(MOUNTINGS.map((mounting) => [mounting.name, mounting] as const))('%s', (_name, mounting) => {
    let server: TestServer;
    const reached: string[] = [];
    beforeAll(async () => {
      server = await serve(
        mounting.build((req, res) => {
          reached.push(`${req.method} user=${req.user?.sub ?? 'none'}`);
          res.status(200).json({ reached: true });
        }),
      );
    });
    afterAll(() => server.close());
    beforeEach(() => {
      reached.length = 0;
    });

    it.each(UNCREDENTIALED)('never runs the handler for any method with %s', async (_shape, headers) => {
      const answers: string[] = [];
      for (const method of METHODS) answers.push(`${method} ${await call(server.port, method, pathOf(mounting), headers)}`);
      expect(reached).toEqual([]);
      // Routed methods are refused as unauthenticated; the others never match the route.
      const expected = METHODS.map((method) => `${method} ${mounting.routed.includes(method) || (method === 'HEAD' && mounting.routed.includes('GET')) ? 401 : 404}`);
      expect(answers).toEqual(expected);
    });

    it(mounting.unverified ? 'refuses even valid credentials: no clerkAuth() verified them' : 'runs the handler for every routed method once the credentials verify', async () => {
      const answers: string[] = [];
      for (const method of mounting.routed) {
        const headers = { authorization: `Bearer ${adminToken}`, origin: ORIGIN, 'access-control-request-method': 'GET' };
        answers.push(`${method} ${await call(server.port, method, pathOf(mounting), headers)}`);
      }
      expect(answers).toEqual(mounting.routed.map((method) => `${method} ${mounting.unverified ? 401 : 200}`));
      expect(reached).toEqual(mounting.unverified ? [] : mounting.routed.map((method) => `${method} user=user_admin`));
    });
  });

  it('with clerkAuth({ optional: true }) alone, runs the handler without req.user for a preflight-shaped request', async () => {
    const seen: unknown[] = [];
    const app = express();
    app.all('/p', auth({ optional: true }), (req, res) => {
      seen.push(req.user);
      res.sendStatus(204);
    });
    const server = await serve(app);
    try {
      for (const method of ['OPTIONS', 'GET', 'DELETE']) {
        expect(await call(server.port, method, '/p', { origin: ORIGIN, 'access-control-request-method': 'DELETE' })).toBe(204);
      }
      expect(seen).toEqual([undefined, undefined, undefined]);
    } finally {
      await server.close();
    }
  });

  it('leaves preflights to CORS middleware mounted first, which answers them before any handler', async () => {
    const reached: string[] = [];
    const app = express();
    // A minimal CORS middleware: answers every preflight itself and never calls next() for it.
    app.use((req, res, next) => {
      res.set('Access-Control-Allow-Origin', ORIGIN);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.set('Access-Control-Allow-Headers', 'Authorization').sendStatus(204);
        return;
      }
      next();
    });
    app.all('/p', auth(), requireRole('org:admin'), (req, res) => {
      reached.push(req.method);
      res.json({ ok: true });
    });
    const server = await serve(app);
    try {
      expect(await call(server.port, 'OPTIONS', '/p', { origin: ORIGIN, 'access-control-request-method': 'DELETE' })).toBe(204);
      expect(await call(server.port, 'DELETE', '/p', { origin: ORIGIN })).toBe(401);
      expect(await call(server.port, 'DELETE', '/p', { origin: ORIGIN, authorization: `Bearer ${adminToken}` })).toBe(200);
      expect(reached).toEqual(['DELETE']);
    } finally {
      await server.close();
    }
  });
});

describe('methods Node does not parse never reach the app', () => {
  it.each(['FOO', 'get', 'BREW', 'OPTIONS2', 'M-SEARCHX'])("%s gets Node's 400", async (method) => {
    const express = EXPRESS_VERSIONS[EXPRESS_VERSIONS.length - 1]?.[1] as (typeof EXPRESS_VERSIONS)[number][1];
    const reached: string[] = [];
    const app = express();
    app.use((req, res) => {
      reached.push(req.method);
      res.sendStatus(200);
    });
    const server = await serve(app);
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1');
        let received = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (received += chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(received));
        socket.end(`${method} /p HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ORIGIN}\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n`);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(reached).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
