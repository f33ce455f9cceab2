import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import {
  BackendApiUnavailableError,
  ClerkConfigError,
  clerkAuth,
  createClerkVerifier,
  getAuth,
  requireAuth,
  requireAuthorization,
  requireFeature,
  requireOrganization,
  requirePermission,
  requirePlan,
  requirePolicy,
  requireRole,
  type ClerkPolicy,
} from '../../lib';
import { thrown } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';

const jwks = useJwksFixture();
const token = (overrides: Record<string, unknown> = {}) => mint(jwks.key, jwks.claims(overrides));
const auth = (options: Parameters<typeof clerkAuth>[0] = {}) => clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });

const admin = { org_id: 'org_1', org_role: 'org:admin', org_slug: 'acme', org_permissions: ['org:invoices:read'] };
const v2 = { v: 2, fea: 'o:dashboard,u:reports', pla: 'u:free,o:pro', o: { id: 'org_2', slg: 'globex', rol: 'member', per: 'read,manage', fpm: '1' } };

const ok: RequestHandler = (req, res) => {
  res.json({ userId: getAuth(req)?.userId ?? null });
};

const handleErrors =
  (seen: unknown[]): ErrorRequestHandler =>
  (error, _req, res, _next) => {
    seen.push(error);
    res.status((error as { status?: number }).status ?? 500).json({ handledBy: 'app' });
  };

describe.each(EXPRESS_VERSIONS)('route guards on %s', (_, express) => {
  /** An app with `guard` behind clerkAuth() on a router, and on a single route. */
  function appWith(guard: RequestHandler, options: Parameters<typeof clerkAuth>[0] = {}, seen: unknown[] = []): Express {
    const app = express();
    const router = express.Router();
    router.use(auth(options), guard);
    router.get('/thing', ok);
    app.use('/router', router);
    app.get('/route', auth(options), guard, ok);
    app.use(handleErrors(seen));
    return app;
  }

  async function get(app: Express, claims: Record<string, unknown> | null, path = '/route') {
    const call = request(app).get(path);
    return claims === null ? call : call.set('Authorization', `Bearer ${await token(claims)}`);
  }

  const guards: [string, RequestHandler, Record<string, unknown>, Record<string, unknown>, string][] = [
    ['requireOrganization()', requireOrganization(), admin, {}, 'an active organization is required'],
    ['requireOrganization(id)', requireOrganization('org_1'), admin, { ...admin, org_id: 'org_9' }, 'the active organization must be \\"org_1\\"'],
    ['requireOrganization(slug)', requireOrganization('acme'), admin, { ...admin, org_slug: 'other' }, 'the active organization must be \\"acme\\"'],
    ['requireRole(admin)', requireRole('admin'), admin, { ...admin, org_role: 'org:member' }, 'the organization role \\"org:admin\\" is required'],
    ['requireRole on v2', requireRole('org:member'), v2, admin, 'the organization role \\"org:member\\" is required'],
    ['requirePermission', requirePermission('org:invoices:read'), admin, { ...admin, org_permissions: [] }, 'the organization permission \\"org:invoices:read\\" is required'],
    ['requirePermission on v2', requirePermission('dashboard:read'), v2, { ...v2, o: { ...v2.o, fpm: '2' } }, 'the organization permission \\"org:dashboard:read\\" is required'],
    ['requireFeature', requireFeature('reports'), v2, admin, 'the feature \\"reports\\" is required'],
    ['requirePlan', requirePlan('org:pro'), v2, { ...v2, pla: 'u:pro' }, 'the plan \\"org:pro\\" is required'],
    ['requireAuthorization', requireAuthorization((a) => a.orgSlug === 'acme', { requirement: 'the acme workspace' }), admin, {}, 'the acme workspace'],
  ];

  describe.each(guards)('%s', (_name, guard, allowed, refused, description) => {
    it('lets a user who meets it through, on a router and on a single route', async () => {
      for (const path of ['/route', '/router/thing']) {
        const response = await get(appWith(guard), allowed, path);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ userId: 'user_2abc' });
      }
    });

    it('answers 403 insufficient_scope naming the requirement, not the claims', async () => {
      const response = await get(appWith(guard), refused);
      expect(response.status).toBe(403);
      expect(response.body.error).toBe('insufficient_scope');
      expect(response.headers['www-authenticate']).toBe(`Bearer realm="clerk", error="insufficient_scope", error_description="${description}"`);
      const everything = JSON.stringify([response.headers['www-authenticate'], response.body]);
      const claimValues = ['user_2abc', 'sess_2abc', ...Object.values(refused).filter((value): value is string => typeof value === 'string')];
      for (const value of claimValues.filter((claim) => !description.includes(claim))) expect(everything).not.toContain(value);
    });

    it('answers 401 without a verified user (behind optional auth), never 403 or 500', async () => {
      const response = await get(appWith(guard, { optional: true }), null);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('missing_token');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk"');
    });
  });

  it('answers 401 when used with no clerkAuth() at all', async () => {
    const app = express();
    app.get('/x', requireRole('admin'), ok);
    const response = await request(app).get('/x');
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('missing_token');
  });

  it('answers 401 to a req.user that another middleware set without a sub', async () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as { user?: unknown }).user = { id: 'someone', org_role: 'org:admin', org_id: 'org_1', org_permissions: [] };
      next();
    });
    app.get('/x', requireRole('admin'), ok);
    expect((await request(app).get('/x')).status).toBe(401);
  });

  it('answers 401 to claims that no clerkAuth() verified, even with a sub (another auth middleware, a decoded token)', async () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as { user?: unknown }).user = { sub: 'user_forged', exp: 0, org_id: 'org_1', org_role: 'org:admin', org_permissions: ['org:invoices:read'] };
      next();
    });
    app.get('/role', requireRole('admin'), ok);
    app.get('/auth', requireAuth(), ok);
    app.get(
      '/check',
      requireAuthorization(() => true),
      ok,
    );
    for (const path of ['/role', '/auth', '/check']) {
      const response = await request(app).get(path);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('missing_token');
    }
  });

  it('decides on the claims clerkAuth() verified, not on what a later middleware put in req.user', async () => {
    const app = express();
    app.get(
      '/x',
      auth(),
      (req, _res, next) => {
        req.user = { ...(req.user as Express.User), org_role: 'org:admin', org_id: 'org_1', org_permissions: [] };
        next();
      },
      requireRole('admin'),
      ok,
    );
    expect((await get(app, {}, '/x')).status).toBe(403);
    expect((await get(app, admin, '/x')).status).toBe(200);
  });

  it('uses the realm and forwardErrors of the clerkAuth() in front of it', async () => {
    const answered = await get(appWith(requireRole('admin'), { name: 'agents' }), {});
    expect(answered.headers['www-authenticate']).toMatch(/^Bearer realm="agents", error="insufficient_scope"/);
    const seen: unknown[] = [];
    const forwarded = await get(appWith(requireRole('admin'), { forwardErrors: true }, seen), {});
    expect(forwarded.status).toBe(403);
    expect(forwarded.body).toEqual({ handledBy: 'app' });
    expect(seen).toHaveLength(1);
  });

  it('composes: several guards must all pass', async () => {
    const app = appWith(requireAuthorization(() => true));
    app.get('/both', auth(), requireRole('admin'), requirePermission('invoices:read'), ok);
    expect((await get(app, admin, '/both')).status).toBe(200);
    expect((await get(app, { ...admin, org_permissions: ['org:invoices:write'] }, '/both')).status).toBe(403);
  });

  it('refuses CORS preflights like any request without verified credentials', async () => {
    const reached: string[] = [];
    const app = express();
    app.options('/x', requireRole('admin'), (req, res) => {
      reached.push(req.method);
      res.sendStatus(204);
    });
    const response = await request(app).options('/x').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST');
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('missing_token');
    expect(reached).toEqual([]);
  });

  describe('requireAuthorization()', () => {
    it('gets the auth view and the request, and may be async', async () => {
      const check = jest.fn(async (a: { orgRole: string | null }, req: { method: string }) => a.orgRole === 'org:admin' && req.method === 'GET');
      const response = await get(appWith(requireAuthorization(check)), admin);
      expect(response.status).toBe(200);
      expect(check).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['false', false],
      ['a truthy non-boolean', 'yes'],
      ['undefined', undefined],
    ])('refuses when the check returns %s, with a generic description', async (_, value) => {
      const response = await get(appWith(requireAuthorization(() => value as boolean)), admin);
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toContain('error_description="the user is not allowed to access this resource"');
    });

    it('hands a throw to the app error handler (500), not 401/403', async () => {
      const seen: unknown[] = [];
      const boom = new Error('database down');
      const response = await get(
        appWith(
          requireAuthorization(async () => Promise.reject(boom)),
          {},
          seen,
        ),
        admin,
      );
      expect(response.status).toBe(500);
      expect(seen).toEqual([boom]);
    });

    it('wraps a thrown non-Error so the request cannot slip through', async () => {
      const seen: unknown[] = [];
      const response = await get(
        appWith(
          requireAuthorization(() => {
            throw 'route';
          }),
          {},
          seen,
        ),
        admin,
      );
      expect(response.status).toBe(500);
      expect(seen[0]).toBeInstanceOf(Error);
    });

    it('answers a Backend API outage as 503, never 401/403', async () => {
      const response = await get(appWith(requireAuthorization(async () => Promise.reject(new BackendApiUnavailableError('it answered HTTP 500')))), admin);
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: 'backend_api_unavailable', message: "Could not check the user with Clerk's Backend API. Try again shortly." });
      expect(response.headers['retry-after']).toBe('5');
    });
  });

  describe('requirePolicy()', () => {
    const policy = (answer: boolean): ClerkPolicy => Object.assign(async () => answer, { requirement: 'a verified primary email address is required' });

    it('runs the policy with the claims; 403 names its requirement', async () => {
      expect((await get(appWith(requirePolicy(policy(true))), admin)).status).toBe(200);
      const response = await get(appWith(requirePolicy(policy(false))), admin);
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toContain('error_description="a verified primary email address is required"');
    });
  });

  describe('requireAuth()', () => {
    it('without options: 401 behind optional auth without a session, through with one', async () => {
      const app = appWith(requireAuth(), { optional: true });
      expect((await get(app, null)).status).toBe(401);
      expect((await get(app, {})).status).toBe(200);
    });

    it('with options: the required mode of clerkAuth()', async () => {
      const app = express();
      const verifier = createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false });
      app.get('/x', requireAuth({ verifier }), ok);
      expect((await request(app).get('/x')).status).toBe(401);
      expect(
        (
          await request(app)
            .get('/x')
            .set('Authorization', `Bearer ${await token()}`)
        ).body,
      ).toEqual({ userId: 'user_2abc' });
    });
  });
});

describe('guard configuration', () => {
  it.each([
    ['requireRole', () => requireRole(''), 'role'],
    ['requireRole', () => requireRole('org admin'), 'role'],
    ['requireRole', () => requireRole(undefined as unknown as string), 'role'],
    ['requirePermission', () => requirePermission('org:a\r\nX-Evil: 1'), 'permission'],
    ['requireFeature', () => requireFeature(7 as unknown as string), 'feature'],
    ['requirePlan', () => requirePlan('pro\u00e9'), 'plan'],
    ['requireOrganization', () => requireOrganization(''), 'idOrSlug'],
    ['requireAuthorization', () => requireAuthorization('yes' as never), 'check'],
    ['requireAuthorization', () => requireAuthorization(() => true, { requirement: 'line\nbreak' }), 'requirement'],
    ['requirePolicy', () => requirePolicy((async () => true) as never), 'policy'],
    ['requireAuth', () => requireAuth({ optional: true } as never), 'optional'],
  ])('%s refuses bad arguments at startup', (_, make, option) => {
    expect(thrown(ClerkConfigError, make).option).toBe(option);
  });
});
