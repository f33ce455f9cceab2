/**
 * Clerk machine tokens through real HTTP (issue #13, part A): each type accepted only where
 * `acceptsToken` lists it, M2M and OAuth JWTs with the instance's keys, opaque tokens through a
 * fake Backend API on 127.0.0.1 that counts its calls, the principal in `req.user`, the guards,
 * and Clerk's own `authenticateRequest` as the floor (we never accept what it refuses).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import request from 'supertest';
import {
  clerkAuth,
  ClerkConfigError,
  createClerkBackendClient,
  createClerkVerifier,
  getAuth,
  InvalidTokenError,
  requireAuthorization,
  requireFeature,
  requireOrganization,
  requirePermission,
  requirePlan,
  requirePolicy,
  requireRole,
  requireScope,
  requireVerifiedEmail,
  toAuth,
  type AcceptsToken,
  type ClerkAuthOptions,
  type ClerkLogEvent,
  type ClerkMachineUser,
  type ClerkUser,
  type ClerkVerifier,
  type ClerkVerifierOptions,
} from '../../lib';
import { createTestBackendApi, createTestIssuer, type TestBackendApi, type TestIssuer } from '../../lib/testing';
import { opaqueTokenVerifierOf } from '../../lib/verification/verify-token';
import { clerkAuthenticateMachine, type ClerkMachineOracleOptions } from '../helpers/clerk-machine-oracle';
import { mockClock } from '../helpers/clock';
import { rejected } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';

let issuer: TestIssuer;
let api: TestBackendApi;
let pem: string;
beforeAll(async () => {
  [issuer, api] = await Promise.all([createTestIssuer(), createTestBackendApi()]);
  pem = await issuer.publicKeyPem();
});
afterAll(() => Promise.all([issuer.close(), api.close()]));
beforeEach(() => {
  api.behaviour = 'ok';
});
afterEach(() => jest.useRealTimers());

/** Events of the refusals, to read the reason of a 401 answered over HTTP. */
const events: ClerkLogEvent[] = [];
const logger = { warn: () => undefined, event: (event: ClerkLogEvent) => void events.push(event) };
beforeEach(() => {
  events.length = 0;
});
const lastReason = () => {
  const last = events.at(-1);
  return last?.type === 'request_refused' ? last.reason : undefined;
};

const env = () => ({ ...issuer.env, ...api.env });
const verifierWith = (options: ClerkVerifierOptions = {}): ClerkVerifier => createClerkVerifier({ env: env(), logger, ...options });
const oracle = (token: string, options: Partial<ClerkMachineOracleOptions> & Pick<ClerkMachineOracleOptions, 'acceptsToken'>) =>
  clerkAuthenticateMachine(token, { jwtKey: pem, apiUrl: api.apiUrl, secretKey: api.secretKey, ...options });
const reasonOf = async (promise: Promise<unknown>) => (await rejected(InvalidTokenError, promise)).reason;

type TokenKind = 'session' | 'm2m_jwt' | 'm2m_opaque' | 'api_key' | 'oauth_jwt' | 'oauth_opaque';
const TYPE_OF: Record<TokenKind, string> = {
  session: 'session_token',
  m2m_jwt: 'm2m_token',
  m2m_opaque: 'm2m_token',
  api_key: 'api_key',
  oauth_jwt: 'oauth_token',
  oauth_opaque: 'oauth_token',
};
async function tokens(): Promise<Record<TokenKind, string>> {
  return {
    session: await issuer.mint(),
    m2m_jwt: await issuer.mintM2M({ sub: 'mch_reports' }, { scopes: ['mch_billing'] }),
    m2m_opaque: api.issue('m2m_token', { subject: 'mch_reports', scopes: ['mch_billing'] }),
    api_key: api.issue('api_key', { subject: 'user_owner', scopes: ['read:invoices'] }),
    oauth_jwt: await issuer.mintOAuth({ sub: 'user_oauth' }, { scopes: ['email'] }),
    oauth_opaque: api.issue('oauth_token', { subject: 'user_oauth', scopes: ['email'] }),
  };
}

const ROUTES: [string, AcceptsToken | undefined][] = [
  ['default', undefined],
  ['session', 'session_token'],
  ['m2m', 'm2m_token'],
  ['api-key', 'api_key'],
  ['oauth', 'oauth_token'],
  ['any', 'any'],
  ['session-or-m2m', ['session_token', 'm2m_token']],
  ['machines', ['m2m_token', 'api_key', 'oauth_token']],
];
const acceptedBy = (accepts: AcceptsToken | undefined, kind: TokenKind): boolean => {
  const types = accepts === undefined ? ['session_token'] : accepts === 'any' ? ['session_token', 'm2m_token', 'api_key', 'oauth_token'] : typeof accepts === 'string' ? [accepts] : accepts;
  return (types as string[]).includes(TYPE_OF[kind]);
};

describe.each(EXPRESS_VERSIONS)('%s: machine tokens over HTTP', (_version, express) => {
  function appWith(verifier: ClerkVerifier, extra: (app: ReturnType<typeof express>) => void = () => undefined) {
    const app = express();
    for (const [path, acceptsToken] of ROUTES) {
      app.get(`/${path}`, clerkAuth({ verifier, ...(acceptsToken === undefined ? {} : { acceptsToken }) }), (req, res) => {
        const auth = getAuth(req);
        res.json({ user: req.user, tokenType: auth?.tokenType, scopes: auth?.scopes });
      });
    }
    extra(app);
    return app;
  }
  const get = (app: Parameters<typeof request>[0], path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);

  it('accepts each token type only on routes that list it; the others get 401 token_type_mismatch, opaque ones without a Backend API call', async () => {
    const app = appWith(verifierWith());
    const all = await tokens();
    for (const [path, acceptsToken] of ROUTES) {
      for (const [kind, token] of Object.entries(all) as [TokenKind, string][]) {
        const before = api.requests;
        const response = await get(app, `/${path}`, token);
        if (acceptedBy(acceptsToken, kind)) {
          expect({ path, kind, status: response.status }).toEqual({ path, kind, status: 200 });
          expect(response.body.tokenType).toBe(TYPE_OF[kind]);
        } else {
          expect({ path, kind, status: response.status, error: response.body.error, reason: lastReason() }).toEqual({
            path,
            kind,
            status: 401,
            error: 'invalid_token',
            reason: 'token_type_mismatch',
          });
          expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
          // Session-only routes keep their message; the others name the type found and those accepted.
          expect(response.body.message).toMatch(/this API accepts .* only|is not of a type this API accepts|is a Clerk machine token .*, not a session token/);
          expect(response.body.message).not.toContain(token);
          if (kind.endsWith('opaque') || kind === 'api_key') expect(api.requests).toBe(before);
        }
      }
    }
  });

  it('puts the principal in req.user: session claims unchanged, machines as their own shape', async () => {
    const app = appWith(verifierWith());
    const all = await tokens();
    const session = await get(app, '/any', all.session);
    const { exp, iat, nbf } = session.body.user as Record<string, number>;
    expect(session.body).toEqual({
      user: { azp: 'http://localhost:3000', exp, fva: [0, -1], iat, iss: issuer.issuer, nbf, sid: 'sess_test', sub: 'user_test' },
      tokenType: 'session_token',
      scopes: [],
    });
    const m2m = await get(app, '/any', all.m2m_jwt);
    expect(m2m.body.user).toEqual({
      tokenType: 'm2m_token',
      sub: 'mch_reports',
      id: expect.stringMatching(/^mt_/),
      scopes: ['mch_billing'],
      claims: { scopes: 'mch_billing' },
      expiration: expect.any(Number),
    });
    expect(m2m.body.scopes).toEqual(['mch_billing']);
    const key = await get(app, '/any', all.api_key);
    expect(key.body.user).toEqual({
      tokenType: 'api_key',
      sub: 'user_owner',
      id: expect.stringMatching(/^ak_id_/),
      scopes: ['read:invoices'],
      claims: {},
      expiration: expect.any(Number),
      name: 'test-key',
    });
    const oauth = await get(app, '/any', all.oauth_jwt);
    expect(oauth.body.user).toMatchObject({ tokenType: 'oauth_token', sub: 'user_oauth', scopes: ['email'], clientId: 'client_test' });
    const oauthOpaque = await get(app, '/any', all.oauth_opaque);
    expect(oauthOpaque.body.user).toMatchObject({ tokenType: 'oauth_token', sub: 'user_oauth', scopes: ['email'], clientId: 'client_test', claims: {} });
  });

  it('role, permission, organization, feature and plan guards answer 403 for machine tokens; requireScope reads their scopes', async () => {
    const client = createClerkBackendClient({ secretKey: api.secretKey, apiUrl: api.apiUrl, env: {} });
    const verifier = verifierWith();
    const app = appWith(verifier, (a) => {
      const any = clerkAuth({ verifier, acceptsToken: 'any' });
      a.get('/g/role', any, requireRole('admin'), (_req, res) => void res.json({ ok: true }));
      a.get('/g/permission', any, requirePermission('org:invoices:read'), (_req, res) => void res.json({ ok: true }));
      a.get('/g/org', any, requireOrganization(), (_req, res) => void res.json({ ok: true }));
      a.get('/g/feature', any, requireFeature('reports'), (_req, res) => void res.json({ ok: true }));
      a.get('/g/plan', any, requirePlan('pro'), (_req, res) => void res.json({ ok: true }));
      a.get('/g/policy', any, requirePolicy(requireVerifiedEmail(client)), (_req, res) => void res.json({ ok: true }));
      a.get('/g/scope', any, requireScope('read:invoices'), (_req, res) => void res.json({ ok: true }));
      a.get(
        '/g/check',
        any,
        requireAuthorization((auth) => auth.tokenType === 'api_key' && auth.machine?.name === 'test-key'),
        (_req, res) => void res.json({ ok: true }),
      );
    });
    const key = api.issue('api_key', { subject: 'org_acme', scopes: ['read:invoices'] });
    const bare = api.issue('api_key', { subject: 'user_1' });
    const orgSession = await issuer.mint({}, { organization: { id: 'org_acme', role: 'admin', permissions: ['org:invoices:read'] } });
    for (const guard of ['role', 'permission', 'org', 'feature', 'plan', 'policy']) {
      const response = await get(app, `/g/${guard}`, key);
      expect({ guard, status: response.status, error: response.body.error }).toEqual({ guard, status: 403, error: 'insufficient_scope' });
    }
    expect((await get(app, '/g/role', orgSession)).status).toBe(200);
    expect((await get(app, '/g/scope', key)).status).toBe(200);
    const noScope = await get(app, '/g/scope', bare);
    expect(noScope.status).toBe(403);
    expect(noScope.body.message).toBe('Access denied: the scope "read:invoices" is required.');
    expect((await get(app, '/g/scope', orgSession)).status).toBe(403);
    expect((await get(app, '/g/check', key)).status).toBe(200);
    expect((await get(app, '/g/check', orgSession)).status).toBe(403);
  });

  it('hands authorizeUser the machine principal; without one, every accepted type goes through', async () => {
    const verifier = verifierWith();
    const app = express();
    app.get(
      '/machines-only',
      clerkAuth({ verifier, acceptsToken: ['session_token', 'm2m_token'], authorizeUser: (user) => user.tokenType === 'm2m_token' && user.scopes.includes('mch_billing') }),
      (_req, res) => void res.json({ ok: true }),
    );
    app.get('/default', clerkAuth({ verifier, acceptsToken: ['session_token', 'm2m_token'] }), (_req, res) => void res.json({ ok: true }));
    const all = await tokens();
    expect((await get(app, '/machines-only', all.m2m_jwt)).status).toBe(200);
    expect((await get(app, '/machines-only', all.m2m_opaque)).status).toBe(200);
    expect((await get(app, '/machines-only', all.session)).status).toBe(403);
    expect((await get(app, '/default', all.session)).status).toBe(200);
    expect((await get(app, '/default', all.m2m_jwt)).status).toBe(200);
  });

  it('answers every Backend API outage with 503 backend_api_unavailable and Retry-After, never 401 or 200, and recovers by itself', async () => {
    const app = appWith(verifierWith({ apiTimeoutInMs: 200 }));
    api.slowMs = 5000;
    for (const behaviour of ['error', 'rate-limited', 'slow', 'garbage', 'html', 'redirect', 'unauthorized', 'down'] as const) {
      for (const type of ['m2m_token', 'api_key', 'oauth_token'] as const) {
        const token = api.issue(type);
        if (behaviour === 'down') await api.stop();
        else api.behaviour = behaviour;
        const response = await get(app, '/any', token);
        expect({ behaviour, type, status: response.status, body: response.body }).toEqual({
          behaviour,
          type,
          status: 503,
          body: { error: 'backend_api_unavailable', message: "Could not verify the token with Clerk's Backend API. Try again shortly." },
        });
        expect(response.headers['retry-after']).toBe(behaviour === 'rate-limited' ? '7' : '5');
        // An outage is never remembered: the same token works as soon as Clerk answers again.
        if (behaviour === 'down') await api.start();
        api.behaviour = 'ok';
        expect((await get(app, '/any', token)).status).toBe(200);
      }
    }
  });
});

describe('M2M JWTs: categories and claims, against Clerk', () => {
  const verifier = () => verifierWith({ tokenCacheSize: 0 });
  const check = async (token: string, acceptsToken: AcceptsToken = 'm2m_token', options: ClerkVerifierOptions = {}) => {
    const ours = await verifierWith({ tokenCacheSize: 0, ...options })
      .verify(token, { acceptsToken })
      .then(
        () => 'accepted',
        (error: unknown) => (error instanceof InvalidTokenError ? error.reason : String(error)),
      );
    const clerk = await oracle(token, {
      acceptsToken: acceptsToken as ClerkMachineOracleOptions['acceptsToken'],
      ...(options.audience === undefined ? {} : { audience: options.audience as string }),
    });
    return { ours, clerk: clerk.accepted ? 'accepted' : 'refused' };
  };
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ['cat M2M (the default)', () => issuer.mintM2M(), 'accepted'],
    ['cat absent', () => issuer.mintM2M({}, { category: null }), 'accepted'],
    ['scopes and aud, no audience configured', () => issuer.mintM2M({}, { scopes: ['mch_a'], audience: ['mch_a', 'mch_b'] }), 'accepted'],
    ['exp within the clock skew', () => issuer.mintM2M({ exp: now() - 2 }), 'accepted'],
    // A session category on an M2M-only route: a session token by its header, refused before any key is fetched.
    ['the session category with a machine sub', () => issuer.mintM2M({}, { category: 'cl_B7d4PD111AAA' }), 'token_type_mismatch'],
    ["Clerk's ignore category with a machine sub", () => issuer.mintM2M({}, { category: 'cl_I7d4PD111III' }), 'token_type_mismatch'],
    ['the JWT-template category with a machine sub', () => issuer.mintM2M({}, { category: 'cl_B7d4PD222AAA' }), 'token_type_mismatch'],
    ['an unknown category', () => issuer.mintM2M({}, { category: 'cl_Z9z9ZZ999ZZZ' }), 'unsupported_category'],
    ['cat M2M with a user sub', () => issuer.mintM2M({ sub: 'user_1' }), 'invalid_claims'],
    ['typ at+jwt with a machine sub', () => issuer.mintOAuth({ sub: 'mch_1' }), 'token_type_mismatch'],
    ['expired', () => issuer.mintM2M({}, { expiresInSeconds: -10 }), 'expired'],
    ['no exp', () => issuer.mintM2M({ exp: undefined }), 'invalid_claims'],
    ['exp a string', () => issuer.mintM2M({ exp: String(now() + 60) }), 'invalid_claims'],
    ['nbf in the future', () => issuer.mintM2M({ nbf: now() + 60 }), 'not_yet_valid'],
    ['iat in the future', () => issuer.mintM2M({ iat: now() + 60 }), 'issued_in_future'],
    ['a kid the key set lacks', () => issuer.mintM2M({}, { kid: 'ins_unknown' }), 'unknown_key'],
  ])('%s: %s', async (_name, make, expected) => {
    const verdicts = await check(await make());
    expect(verdicts.ours).toBe(expected);
    // Clerk is the floor: never accept what it refuses.
    if (verdicts.ours === 'accepted') expect(verdicts.clerk).toBe('accepted');
    else if (expected !== 'unknown_key') expect(verdicts.clerk).toBe('refused');
  });

  it('refuses a machine sub with a session or unknown category on routes that accept both, as Clerk does', async () => {
    const both: AcceptsToken = ['session_token', 'm2m_token'];
    for (const category of ['cl_B7d4PD111AAA', 'cl_I7d4PD111III', 'cl_Z9z9ZZ999ZZZ']) {
      const verdicts = await check(await issuer.mintM2M({}, { category }), both);
      expect({ category, ...verdicts }).toEqual({ category, ours: 'unsupported_category', clerk: 'refused' });
    }
    // A template category with a machine sub: refused, with or without acceptJwtTemplates.
    expect((await check(await issuer.mintM2M({}, { category: 'cl_B7d4PD222AAA' }), both)).ours).toBe('unsupported_category');
    expect((await check(await issuer.mintM2M({}, { category: 'cl_B7d4PD222AAA' }), both, { acceptJwtTemplates: true })).ours).toBe('unsupported_category');
  });

  it('is told from a session token by its sub once the signature holds, on routes that accept both', async () => {
    const both: AcceptsToken = ['session_token', 'm2m_token'];
    await expect(verifier().verify(await issuer.mintM2M({}, { category: null }), { acceptsToken: both })).resolves.toMatchObject({ tokenType: 'm2m_token' });
    await expect(verifier().verify(await issuer.mint(), { acceptsToken: both })).resolves.toMatchObject({ sub: 'user_test', sid: 'sess_test' });
    // A session token carrying a tokenType claim would blur the two: refused.
    expect(await reasonOf(verifier().verify(await issuer.mint({ tokenType: 'm2m_token' }), { acceptsToken: both }))).toBe('invalid_claims');
    expect(await reasonOf(verifier().verify(await issuer.mint({ tokenType: 'x' })))).toBe('invalid_claims');
  });

  it('checks aud against audience when the M2M JWT has one, as Clerk does; stricter on malformed aud', async () => {
    const audience = 'https://api.example.com';
    expect(await check(await issuer.mintM2M({}, { audience: 'https://other.example.com' }), 'm2m_token', { audience })).toEqual({ ours: 'invalid_audience', clerk: 'refused' });
    expect(await check(await issuer.mintM2M({}, { audience: [audience, 'x'] }), 'm2m_token', { audience })).toEqual({ ours: 'accepted', clerk: 'accepted' });
    expect(await check(await issuer.mintM2M(), 'm2m_token', { audience })).toEqual({ ours: 'accepted', clerk: 'accepted' });
    // Clerk ignores an aud that is neither a string nor a list of strings; we refuse it.
    expect((await check(await issuer.mintM2M({ aud: 42 }), 'm2m_token', { audience })).ours).toBe('invalid_audience');
  });

  it('checks neither iss nor azp on machine JWTs, as Clerk: they come from no browser, and the signature ties them to the instance', async () => {
    expect(await check(await issuer.mintM2M({ iss: 'https://elsewhere.example.com', azp: 'https://evil.example.com' }))).toEqual({ ours: 'accepted', clerk: 'accepted' });
    // The iss pin and azp check stay on for session tokens on the same route.
    const both: AcceptsToken = ['session_token', 'm2m_token'];
    expect(await reasonOf(verifier().verify(await issuer.mint({ iss: 'https://elsewhere.example.com' }), { acceptsToken: both }))).toBe('invalid_issuer');
    expect(await reasonOf(verifier().verify(await issuer.mint({ azp: 'https://evil.example.com' }), { acceptsToken: both }))).toBe('invalid_authorized_party');
  });

  it('keeps a "__proto__" claim a claim, never the prototype of the principal\'s claims', async () => {
    const user = (await verifier().verify(await issuer.mintM2M(JSON.parse('{"__proto__": {"admin": true}, "team": "x"}') as Record<string, unknown>), {
      acceptsToken: 'm2m_token',
    })) as ClerkMachineUser;
    expect(Object.getPrototypeOf(user.claims)).toBe(Object.prototype);
    expect((user.claims as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.hasOwn(user.claims, '__proto__')).toBe(true);
    expect(user.claims['team']).toBe('x');
  });

  it('refuses a machine JWT before fetching keys when its header already shows a type the route refuses', async () => {
    const fresh = verifierWith({ tokenCacheSize: 0 });
    const jwksBefore = issuer.jwksRequests;
    expect(await reasonOf(fresh.verify(await issuer.mintOAuth(), { acceptsToken: 'm2m_token' }))).toBe('token_type_mismatch');
    expect(await reasonOf(fresh.verify(await issuer.mintM2M(), { acceptsToken: 'oauth_token' }))).toBe('token_type_mismatch');
    expect(await reasonOf(fresh.verify(await issuer.mint(), { acceptsToken: 'oauth_token' }))).toBe('token_type_mismatch');
    expect(issuer.jwksRequests).toBe(jwksBefore);
  });

  it('keeps verified machine JWTs apart from session tokens in its cache, and re-checks their claims on every hit', async () => {
    const shared = verifierWith();
    const m2m = await issuer.mintM2M({}, { expiresInSeconds: 30 });
    await expect(shared.verify(m2m, { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ tokenType: 'm2m_token' });
    // The session path never answers with it, even though it was verified before.
    expect(await reasonOf(shared.verify(m2m))).toBe('token_type_mismatch');
    expect(await reasonOf(shared.verify(m2m, { acceptsToken: 'oauth_token' }))).toBe('token_type_mismatch');
    mockClock(Date.now() + 40_000);
    expect(await reasonOf(shared.verify(m2m, { acceptsToken: 'm2m_token' }))).toBe('expired');
  });
});

describe('OAuth access-token JWTs: typ and audience, against Clerk', () => {
  const audience = 'https://api.example.com';
  const check = async (token: string, options: ClerkVerifierOptions = {}) => {
    const ours = await verifierWith({ tokenCacheSize: 0, ...options })
      .verify(token, { acceptsToken: 'oauth_token' })
      .then(
        () => 'accepted',
        (error: unknown) => (error instanceof InvalidTokenError ? error.reason : String(error)),
      );
    const clerk = await oracle(token, { acceptsToken: 'oauth_token', ...(options.audience === undefined ? {} : { audience: options.audience as string | string[] }) });
    return { ours, clerk: clerk.accepted ? 'accepted' : 'refused' };
  };

  it.each([
    ['typ at+jwt, no audience configured', () => issuer.mintOAuth({}, { audience: 'https://whatever.example.com' }), {}, 'accepted'],
    ['typ application/at+jwt', () => issuer.mintOAuth({}, { type: 'application/at+jwt' }), {}, 'accepted'],
    ['aud equal to audience', () => issuer.mintOAuth({}, { audience }), { audience }, 'accepted'],
    ['aud a list holding audience', () => issuer.mintOAuth({}, { audience: ['x', audience] }), { audience }, 'accepted'],
    ['aud one of a list of audiences', () => issuer.mintOAuth({}, { audience: 'https://b.example.com' }), { audience: [audience, 'https://b.example.com'] }, 'accepted'],
    ['aud another API', () => issuer.mintOAuth({}, { audience: 'https://other.example.com' }), { audience }, 'invalid_audience'],
    ['no aud while audience is set', () => issuer.mintOAuth(), { audience }, 'invalid_audience'],
    ['aud []', () => issuer.mintOAuth({ aud: [] }), { audience }, 'invalid_audience'],
    ["aud ['']", () => issuer.mintOAuth({ aud: [''] }), { audience }, 'invalid_audience'],
    ['aud 42', () => issuer.mintOAuth({ aud: 42 }), { audience }, 'invalid_audience'],
    ['expired', () => issuer.mintOAuth({}, { expiresInSeconds: -10 }), {}, 'expired'],
    ['sub missing', () => issuer.mintOAuth({ sub: undefined }), {}, 'invalid_claims'],
  ] as [string, () => Promise<string>, ClerkVerifierOptions, string][])('%s', async (_name, make, options, expected) => {
    const verdicts = await check(await make(), options);
    expect(verdicts.ours).toBe(expected);
    if (verdicts.ours === 'accepted') expect(verdicts.clerk).toBe('accepted');
    else expect(verdicts.clerk).toBe('refused');
  });

  it('checks the aud of an opaque OAuth token the same way, from the Backend API answer', async () => {
    const verifier = verifierWith({ audience });
    expect(await reasonOf(verifier.verify(api.issue('oauth_token'), { acceptsToken: 'oauth_token' }))).toBe('invalid_audience');
    expect(await reasonOf(verifier.verify(api.issue('oauth_token', { audience: 'https://other.example.com' }), { acceptsToken: 'oauth_token' }))).toBe('invalid_audience');
    await expect(verifier.verify(api.issue('oauth_token', { audience: [audience] }), { acceptsToken: 'oauth_token' })).resolves.toMatchObject({ tokenType: 'oauth_token' });
  });
});

describe('opaque tokens and the Backend API', () => {
  it('verifies each type at its endpoint with the right key: the machine secret key for M2M when set, else the secret key', async () => {
    const both = verifierWith({ machineSecretKey: api.machineSecretKey });
    const before = api.requestsByKey;
    await both.verify(api.issue('m2m_token'), { acceptsToken: 'm2m_token' });
    await both.verify(api.issue('api_key'), { acceptsToken: 'api_key' });
    await both.verify(api.issue('oauth_token'), { acceptsToken: 'oauth_token' });
    const after = api.requestsByKey;
    expect({ machine: after.machineSecretKey - before.machineSecretKey, secret: after.secretKey - before.secretKey, none: after.none - before.none }).toEqual({
      machine: 1,
      secret: 2,
      none: 0,
    });
    // The machine secret key alone verifies M2M tokens, and nothing else can be accepted with it.
    const machineOnly = createClerkVerifier({ env: { ...issuer.env, CLERK_API_URL: api.apiUrl, CLERK_MACHINE_SECRET_KEY: api.machineSecretKey }, logger: false });
    await expect(machineOnly.verify(api.issue('m2m_token', { subject: 'mch_x' }), { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ sub: 'mch_x' });
    await expect(machineOnly.verify(api.issue('api_key'), { acceptsToken: 'api_key' })).rejects.toBeInstanceOf(ClerkConfigError);
    expect(() => clerkAuth({ verifier: machineOnly, acceptsToken: ['m2m_token', 'api_key'] })).toThrow(ClerkConfigError);
  });

  it('answers 401 for a token Clerk does not know (404), a revoked one and an expired one, each with its reason', async () => {
    const verifier = verifierWith();
    const unknown = `ak_${'A'.repeat(40)}`;
    expect(await reasonOf(verifier.verify(unknown, { acceptsToken: 'api_key' }))).toBe('token_not_found');
    const revoked = api.issue('api_key');
    api.revoke(revoked);
    expect(await reasonOf(verifier.verify(revoked, { acceptsToken: 'api_key' }))).toBe('token_revoked');
    const expired = api.issue('m2m_token');
    api.expire(expired);
    expect(await reasonOf(verifier.verify(expired, { acceptsToken: 'm2m_token' }))).toBe('expired');
    const lapsed = api.issue('oauth_token', { expiresInSeconds: -5 });
    expect(await reasonOf(verifier.verify(lapsed, { acceptsToken: 'oauth_token' }))).toBe('expired');
    // Clerk refuses the unknown one too. Its SDK takes any 200 as valid, revoked or not: stricter here on purpose.
    expect((await oracle(unknown, { acceptsToken: 'api_key' })).accepted).toBe(false);
    expect((await oracle(revoked, { acceptsToken: 'api_key' })).accepted).toBe(true);
  });

  it('never accepts what Clerk refuses, and agrees on the principal of a valid token', async () => {
    const verifier = verifierWith();
    for (const type of ['m2m_token', 'api_key', 'oauth_token'] as const) {
      const token = api.issue(type, { scopes: ['a', 'b'] });
      const ours = (await verifier.verify(token, { acceptsToken: 'any' })) as ClerkMachineUser;
      const clerk = await oracle(token, { acceptsToken: 'any' });
      expect(clerk).toEqual({ accepted: true, tokenType: type, subject: ours.sub, scopes: [...ours.scopes] });
    }
  });

  it('refuses a malformed body field by field as an outage (503), never as a verdict', async () => {
    // A stand-in that answers 200 with exactly this body.
    let body: unknown = {};
    const stub = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const { port } = stub.address() as { port: number };
    try {
      const verifier = createClerkVerifier({ env: { ...issuer.env, CLERK_SECRET_KEY: api.secretKey, CLERK_API_URL: `http://127.0.0.1:${port}` }, logger: false, opaqueTokenCacheTtlInMs: 0 });
      const good = { id: 'ak_id_1', subject: 'user_1', scopes: ['a'], claims: null, revoked: false, expired: false, expiration: null };
      const verdict = async (next: unknown) => {
        body = next;
        return verifier.verify(`ak_${'B'.repeat(40)}`, { acceptsToken: 'api_key' }).then(
          (user) => (user as ClerkMachineUser).sub,
          (error: unknown) => (error instanceof InvalidTokenError ? error.reason : (error as { code?: string }).code),
        );
      };
      expect(await verdict(good)).toBe('user_1');
      expect(await verdict({ ...good, expiration: Date.now() - 1 })).toBe('expired'); // by expiration alone
      expect(await verdict({ ...good, expiration: Date.now() + 60_000 })).toBe('user_1');
      for (const broken of [
        null,
        [],
        'ok',
        { ...good, id: undefined },
        { ...good, subject: '' },
        { ...good, subject: 'user 1' },
        { ...good, subject: 'u'.repeat(300) },
        { ...good, scopes: 'a' },
        { ...good, scopes: [1] },
        { ...good, claims: [] },
        { ...good, revoked: 'false' },
        { ...good, expired: 0 },
        { ...good, expiration: '2030-01-01' },
      ]) {
        expect({ broken, verdict: await verdict(broken) }).toEqual({ broken, verdict: 'backend_api_unavailable' });
      }
    } finally {
      await new Promise((resolve) => stub.close(resolve));
    }
  });

  it('costs no Backend API call for junk: too short, too long, outside the token alphabet', async () => {
    const verifier = verifierWith();
    const before = api.requests;
    for (const junk of ['mt_', 'mt_short', `ak_${'x'.repeat(600)}`, `oat_${'é'.repeat(20)}`, `mt_${'a'.repeat(20)}"`, `ak_${'a'.repeat(20)}=x`, `mt_${'a'.repeat(20)}\u0000`]) {
      expect({ junk, reason: await reasonOf(verifier.verify(junk, { acceptsToken: 'any' })) }).toEqual({ junk, reason: 'malformed' });
    }
    expect(api.requests).toBe(before);
  });
});

describe('the opaque-token cache', () => {
  it('reuses a verdict for opaqueTokenCacheTtlInMs (10 s by default), then asks again', async () => {
    const clock = mockClock();
    const verifier = verifierWith();
    const token = api.issue('api_key');
    const before = api.requests;
    await verifier.verify(token, { acceptsToken: 'api_key' });
    await verifier.verify(token, { acceptsToken: 'api_key' });
    expect(api.requests - before).toBe(1);
    clock.advance(9_999);
    await verifier.verify(token, { acceptsToken: 'api_key' });
    expect(api.requests - before).toBe(1);
    // A revocation is seen once the entry lapses.
    api.revoke(token);
    clock.advance(2);
    expect(await reasonOf(verifier.verify(token, { acceptsToken: 'api_key' }))).toBe('token_revoked');
    expect(api.requests - before).toBe(2);
  });

  it('never keeps a token past its expiration, whatever the TTL', async () => {
    const clock = mockClock();
    const verifier = verifierWith({ opaqueTokenCacheTtlInMs: 300_000 });
    const token = api.issue('m2m_token', { expiresInSeconds: 3 });
    await expect(verifier.verify(token, { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ expiration: Date.now() + 3000 });
    clock.advance(2_999);
    await expect(verifier.verify(token, { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ tokenType: 'm2m_token' });
    clock.advance(1);
    expect(await reasonOf(verifier.verify(token, { acceptsToken: 'm2m_token' }))).toBe('expired');
  });

  it('is keyed by the SHA-256 of the token: no token, not even its secret part, is kept', async () => {
    const verifier = verifierWith();
    const issued = [api.issue('m2m_token'), api.issue('api_key'), api.issue('oauth_token')];
    for (const token of issued) await verifier.verify(token, { acceptsToken: 'any' });
    const keys = opaqueTokenVerifierOf(verifier)?.cacheKeys() ?? [];
    expect(keys.sort()).toEqual(issued.map((token) => createHash('sha256').update(token).digest('base64url')).sort());
    const dump = JSON.stringify(keys);
    for (const token of issued) expect(dump).not.toContain(token.slice(token.indexOf('_') + 1, token.indexOf('_') + 17));
  });

  it('shares one Backend API call among concurrent requests with one token', async () => {
    const verifier = verifierWith();
    const token = api.issue('oauth_token');
    const before = api.requests;
    const users = await Promise.all(Array.from({ length: 25 }, () => verifier.verify(token, { acceptsToken: 'oauth_token' })));
    expect(api.requests - before).toBe(1);
    expect(new Set(users).size).toBe(25); // a fresh object per request
    expect(users.every((user) => (user as ClerkMachineUser).sub === 'user_test')).toBe(true);
  });

  it('remembers a 404 as long as a verdict (one call per period for a flood of one bad token), but never an outage', async () => {
    mockClock();
    const verifier = verifierWith();
    const unknown = `mt_${'C'.repeat(40)}`;
    const before = api.requests;
    for (let i = 0; i < 5; i++) expect(await reasonOf(verifier.verify(unknown, { acceptsToken: 'm2m_token' }))).toBe('token_not_found');
    expect(api.requests - before).toBe(1);
    const token = api.issue('m2m_token');
    api.behaviour = 'error';
    await expect(verifier.verify(token, { acceptsToken: 'm2m_token' })).rejects.toMatchObject({ code: 'backend_api_unavailable', status: 503 });
    api.behaviour = 'ok';
    await expect(verifier.verify(token, { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ tokenType: 'm2m_token' });
    expect(api.requests - before).toBe(3);
  });

  it('asks every time with opaqueTokenCacheTtlInMs: 0, and is bounded by tokenCacheSize', async () => {
    const uncached = verifierWith({ opaqueTokenCacheTtlInMs: 0 });
    const token = api.issue('api_key');
    let before = api.requests;
    await uncached.verify(token, { acceptsToken: 'api_key' });
    await uncached.verify(token, { acceptsToken: 'api_key' });
    expect(api.requests - before).toBe(2);
    const small = verifierWith({ tokenCacheSize: 2 });
    const [a, b, c] = [api.issue('api_key'), api.issue('api_key'), api.issue('api_key')];
    for (const t of [a, b, c]) await small.verify(t, { acceptsToken: 'api_key' });
    before = api.requests;
    await small.verify(c, { acceptsToken: 'api_key' });
    await small.verify(b, { acceptsToken: 'api_key' });
    expect(api.requests - before).toBe(0);
    await small.verify(a, { acceptsToken: 'api_key' }); // the least recently used, dropped
    expect(api.requests - before).toBe(1);
  });
});

describe('configuration', () => {
  it('accepts JWT-only machine routes without any key when opaqueTokens is false, and refuses opaque tokens there without a call', async () => {
    const jwtOnly = createClerkVerifier({ env: issuer.env, logger: false, opaqueTokens: false });
    expect(() => clerkAuth({ verifier: jwtOnly, acceptsToken: ['m2m_token', 'oauth_token'] })).not.toThrow();
    await expect(jwtOnly.verify(await issuer.mintM2M(), { acceptsToken: 'm2m_token' })).resolves.toMatchObject({ tokenType: 'm2m_token' });
    const before = api.requests;
    const error = await rejected(InvalidTokenError, jwtOnly.verify(api.issue('m2m_token'), { acceptsToken: 'm2m_token' }));
    expect(error.reason).toBe('token_type_mismatch');
    expect(error.message).toContain('accepts JWTs only');
    expect(api.requests).toBe(before);
    // Even with keys, opaqueTokens: false means no Backend API call.
    const withKeys = verifierWith({ opaqueTokens: false });
    expect(await reasonOf(withKeys.verify(api.issue('oauth_token'), { acceptsToken: 'oauth_token' }))).toBe('token_type_mismatch');
    expect(api.requests).toBe(before);
  });

  it('exposes the resolved machine-token settings, never a key', () => {
    const { config } = verifierWith({ machineSecretKey: api.machineSecretKey, audience: ['a', 'b'] });
    expect(config).toMatchObject({
      apiUrl: api.apiUrl,
      audience: ['a', 'b'],
      opaqueTokens: true,
      opaqueTokenTypes: ['m2m_token', 'api_key', 'oauth_token'],
      opaqueTokenCacheTtlInMs: 10_000,
      apiTimeoutInMs: 5000,
    });
    const text = JSON.stringify(config);
    expect(text).not.toContain(api.secretKey);
    expect(text).not.toContain(api.machineSecretKey);
  });

  it('types req.user and authorizeUser by acceptsToken', () => {
    // Compile-time checks: each line below must type-check as written.
    const sessionOnly: ClerkAuthOptions = { authorizeUser: (user: ClerkUser) => user.sub.startsWith('user_') };
    const mixed: ClerkAuthOptions<['session_token', 'm2m_token']> = {
      acceptsToken: ['session_token', 'm2m_token'],
      authorizeUser: (user) => (user.tokenType === 'm2m_token' ? user.scopes.includes('mch_x') : toAuth(user).has({ role: 'admin' })),
    };
    const fromReq = (req: { user?: Express.User | ClerkMachineUser | undefined }) => [req.user?.sub, req.user?.org_id, req.user?.tokenType];
    expect([typeof sessionOnly.authorizeUser, typeof mixed.authorizeUser, typeof fromReq]).toEqual(['function', 'function', 'function']);
  });
});

describe('secrets stay out of messages, logs and events', () => {
  it('holds for refusals and outages alike', async () => {
    const lines: string[] = [];
    const seen: ClerkLogEvent[] = [];
    const log = { warn: (line: string) => void lines.push(line), event: (event: ClerkLogEvent) => void seen.push(event) };
    const verifier = createClerkVerifier({ env: env(), machineSecretKey: api.machineSecretKey, logger: log, apiTimeoutInMs: 200, opaqueTokenCacheTtlInMs: 0 });
    const express = EXPRESS_VERSIONS[0]?.[1] as (typeof EXPRESS_VERSIONS)[number][1];
    const app = express();
    const errors: unknown[] = [];
    app.get('/x', clerkAuth({ verifier, acceptsToken: 'any', forwardErrors: true }), (_req, res) => void res.json({ ok: true }));
    app.use((error: { status?: number }, _req: unknown, res: { status(code: number): { json(body: unknown): void } }, _next: unknown) => {
      errors.push(error);
      res.status(error.status ?? 500).json({ error: 'x' });
    });
    const sent: string[] = [];
    const texts: string[] = [];
    const tokensSent = [api.issue('m2m_token'), api.issue('api_key'), api.issue('oauth_token'), `ak_${'D'.repeat(40)}`, await issuer.mintM2M({}, { expiresInSeconds: -1 })];
    for (const behaviour of ['ok', 'error', 'unauthorized', 'slow', 'garbage'] as const) {
      api.behaviour = behaviour;
      api.slowMs = 2000;
      for (const token of tokensSent) {
        sent.push(token);
        const response = await request(app).get('/x').set('Authorization', `Bearer ${token}`);
        texts.push(JSON.stringify(response.body), JSON.stringify(response.headers));
      }
    }
    for (const error of errors) {
      texts.push(String((error as Error).message), String((error as { cause?: unknown }).cause), JSON.stringify(error));
    }
    texts.push(...lines, JSON.stringify(seen));
    expect(errors.length).toBeGreaterThan(10);
    const all = texts.join('\n');
    for (const secret of [api.secretKey, api.machineSecretKey, ...sent]) expect(all).not.toContain(secret);
    expect(all).toContain("Clerk's Backend API could not answer"); // the messages were there to read
  });
});
