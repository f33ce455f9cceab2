/**
 * The remaining entry points: configuration values that would switch a check off (each a startup
 * `ClerkConfigError`), the Backend API client and its policies behind `clerkAuth()` (a
 * Backend API that answers oddly never lets a user through: 403 or 503), the test issuer (loopback
 * only, nothing but its key set served, its tokens refused by a production configuration), the
 * Mastra provider with every request shape Mastra may hand it, and the log output of everything
 * the batteries did (no token, key, secret or claim value in any line or event).
 */
import { fakeSecretKey, publishableKeyFor, request, serve } from './kit';
import type { Deps } from './harness';
import type { BatteryResult, LogSink } from './battery-types';

/** Backend API answers for `GET /v1/users/user_policy`, and whether requireVerifiedEmail may pass. */
const USER_ANSWERS: [string, number, string, boolean][] = [
  ['a verified primary email', 200, JSON.stringify(user({})), true],
  ['an unverified primary email', 200, JSON.stringify(user({ verified: 'unverified' })), false],
  ['banned', 200, JSON.stringify(user({ banned: true })), false],
  ['locked', 200, JSON.stringify(user({ locked: true })), false],
  ['the verified address is not the primary', 200, JSON.stringify(user({ primary: 'idn_other', other: 'unverified' })), false],
  ['verification status "Verified" (case)', 200, JSON.stringify(user({ verified: 'Verified' })), false],
  ['verification as a string', 200, JSON.stringify({ ...user({}), email_addresses: [{ id: 'idn_primary', email_address: 'a@example.com', verification: 'verified' }] }), false],
  ['a __proto__ member holding a verified address', 200, `{"__proto__":${JSON.stringify(user({}))},"id":"user_policy"}`, false],
  ['another user (a proxy or cache mix-up: never authorize on their data)', 200, JSON.stringify({ ...user({}), id: 'user_other' }), false],
  ['not JSON', 200, '<html>', false],
  ['an array', 200, '[]', false],
  ['404 resource_not_found (deleted user)', 404, '{"errors":[{"code":"resource_not_found"}]}', false],
  ['404 from a proxy', 404, 'not found', false],
  ['401 (the secret key refused)', 401, '{"errors":[{"code":"authentication_invalid"}]}', false],
  ['429 with Retry-After: 99999', 429, '{}', false],
  ['302 to elsewhere', 302, '', false],
  ['500', 500, '{}', false],
];

function user({
  verified = 'verified',
  other = 'verified',
  banned = false,
  locked = false,
  primary = 'idn_primary',
}: {
  verified?: string;
  other?: string;
  banned?: boolean;
  locked?: boolean;
  primary?: string;
}): Record<string, unknown> {
  return {
    object: 'user',
    id: 'user_policy',
    primary_email_address_id: primary,
    email_addresses: [
      { id: 'idn_primary', email_address: 'ada@example.com', verification: { status: verified } },
      { id: 'idn_other', email_address: 'old@example.com', verification: { status: other } },
    ],
    banned,
    locked,
  };
}

export async function miscBattery(deps: Deps, log: LogSink): Promise<BatteryResult> {
  const { pkg, testing } = deps;
  const failures: string[] = [];
  let cases = 0;
  let requests = 0;
  const issuer = await testing.createTestIssuer({ authorizedParty: 'http://localhost:3000' });
  try {
    // --- Backend API policies behind clerkAuth(): never a 200 the answer does not justify. ---------
    let answer: [number, string] = [200, '{}'];
    const api = await serve((req, res) => {
      if (answer[0] === 302) res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
      else if (answer[0] === 429) res.writeHead(429, { 'retry-after': '99999', 'content-type': 'application/json' }).end(answer[1]);
      else res.writeHead(answer[0], { 'content-type': 'application/json' }).end(req.url?.startsWith('/v1/users/user_policy') ? answer[1] : '{}');
    });
    try {
      const client = pkg.createClerkBackendClient({ secretKey: fakeSecretKey(), apiUrl: api.origin, cacheTtlInMs: 0, env: {} });
      const token = await issuer.mint({ sub: 'user_policy' }, { expiresInSeconds: 600 });
      for (const [name, express] of deps.express) {
        const app = express();
        app.get('/r', pkg.clerkAuth({ env: issuer.env, logger: log.logger(), authorizeUser: pkg.requireVerifiedEmail(client) }), (_req, res) => void res.status(200).json({ ok: true }));
        app.get('/g', pkg.clerkAuth({ env: issuer.env, logger: log.logger() }), pkg.requirePolicy(pkg.requireVerifiedEmail(client)), (_req, res) => void res.status(200).json({ ok: true }));
        app.use((error: unknown, _req: unknown, res: { status(code: number): { json(body: unknown): void } }, next: unknown) => {
          void next;
          res.status(500).json({ error: String(error) });
        });
        const served = await serve(app);
        try {
          for (const [label, status, body, passes] of USER_ANSWERS) {
            answer = [status, body];
            for (const path of ['/r', '/g']) {
              cases += 1;
              requests += 1;
              const got = (await request(served.port, 'GET', path, [['authorization', `Bearer ${token}`]])).status;
              const allowed = passes ? [200] : [403, 503];
              if (!allowed.includes(got)) failures.push(`${name} › Backend API answers ${label} (${path}): ${got}, expected ${allowed.join(' or ')}`);
            }
          }
        } finally {
          await served.close();
        }
      }
      for (const id of ['../organizations', 'user_a/../../x', 'user_a?x=1', 'user a', '', 'user_' + 'a'.repeat(200), 'user_%2e%2e']) {
        cases += 1;
        try {
          await client.getUser(id);
          failures.push(`Backend API client: getUser(${JSON.stringify(id)}) was sent`);
        } catch (error) {
          if (!(error instanceof TypeError)) failures.push(`Backend API client: getUser(${JSON.stringify(id)}) threw ${String(error)}`);
        }
      }
    } finally {
      await api.close();
    }

    // --- Configuration that would switch a check off: a startup error, never a silent default. -----
    {
      const base = { env: issuer.env, logger: false as const };
      const wrong: [string, Record<string, unknown>][] = [
        ["authorizedParties ['']", { authorizedParties: [''] }],
        ["authorizedParties [' ']", { authorizedParties: [' '] }],
        ['authorizedParties []', { authorizedParties: [] }],
        ['authorizedParties with a duplicate', { authorizedParties: ['http://localhost:3000', 'http://localhost:3000'] }],
        ['authorizedParties with a path', { authorizedParties: ['http://localhost:3000/app'] }],
        ["authorizedParties '*'", { authorizedParties: ['*'] }],
        ['authorizedParties as a string', { authorizedParties: 'http://localhost:3000' }],
        ['CLERK_AUTHORIZED_PARTIES with a blank entry', { env: { ...issuer.env, CLERK_AUTHORIZED_PARTIES: 'http://localhost:3000,,https://a.example' } }],
        ['CLERK_AUTHORIZED_PARTIES misspelt (and the real one unset)', { env: { ...issuer.env, CLERK_AUTHORIZED_PARTIES: '', CLERK_AUTHORISED_PARTIES: 'http://localhost:3000' } }],
        ["clockSkewInMs '5000'", { clockSkewInMs: '5000' }],
        ['clockSkewInMs NaN', { clockSkewInMs: Number.NaN }],
        ['clockSkewInMs Infinity', { clockSkewInMs: Number.POSITIVE_INFINITY }],
        ['clockSkewInMs -1', { clockSkewInMs: -1 }],
        ['clockSkewInMs a day', { clockSkewInMs: 86_400_000 }],
        ["optional 'false'", { optional: 'false' }],
        ['optional 0', { optional: 0 }],
        ['forwardErrors null', { forwardErrors: null }],
        ['sessionCookie without a publishable key', { sessionCookie: true }],
        ['acceptPendingSessions 1', { acceptPendingSessions: 1 }],
        ['tokenCacheSize -1', { tokenCacheSize: -1 }],
        ['tokenCacheSize 1.5', { tokenCacheSize: 1.5 }],
        ['jwksCacheMaxAgeInMs Infinity', { jwksCacheMaxAgeInMs: Number.POSITIVE_INFINITY }],
        ['jwksUri over http to another host', { env: { ...issuer.env, CLERK_JWKS_URI: 'http://clerk.example.com/.well-known/jwks.json' } }],
        ['issuer blank', { issuer: ' ' }],
        ['issuer with a trailing slash', { issuer: `${issuer.issuer}/` }],
        ['a misspelt option (authorisedParties)', { authorisedParties: ['http://localhost:3000'] }],
        ['authorizeUser not a function', { authorizeUser: true }],
        ['env null', { env: null }],
        ['logger null', { logger: null }],
        ['a verifier and verifier options', { verifier: pkg.createClerkVerifier({ env: issuer.env, logger: false }), authorizedParties: ['http://localhost:3000'] }],
        [
          'a publishable and a secret key of different instance types',
          { env: { ...issuer.env, CLERK_JWKS_URI: '', CLERK_PUBLISHABLE_KEY: publishableKeyFor('clerk.example.com', 'test'), CLERK_SECRET_KEY: fakeSecretKey('live') } },
        ],
      ];
      for (const [label, options] of wrong) {
        cases += 1;
        try {
          pkg.clerkAuth({ ...base, ...options });
          failures.push(`config: clerkAuth() took ${label}`);
        } catch (error) {
          if (!(error instanceof pkg.ClerkConfigError)) failures.push(`config: ${label} threw ${String(error)}`);
          else if (/eyJ|sk_(test|live)_[a-f0-9]{8}/.test(error.message)) failures.push(`config: the message for ${label} holds a secret`);
        }
      }
      for (const [label, make] of [
        ['requireRole("")', () => pkg.requireRole('')],
        ['requireRole("org:")', () => pkg.requireRole('org:')],
        ['requireRole with two roles', () => (pkg.requireRole as (...roles: string[]) => unknown)('org:admin', 'org:owner')],
        ['requirePermission("read")', () => pkg.requirePermission('read')],
        ['requireFeature("team:x")', () => pkg.requireFeature('team:x')],
        ['requireAuthorization(true)', () => pkg.requireAuthorization(true as never)],
        ['requireAuth({ optional: true })', () => pkg.requireAuth({ optional: true } as never)],
        ['clerkWebhook({ signingSecret: [] })', () => pkg.clerkWebhook({ signingSecret: [] as never, env: {} })],
        ["clerkWebhook({ signingSecret: 'whsec_' })", () => pkg.clerkWebhook({ signingSecret: 'whsec_', env: {} })],
        ['createMastraAuthProvider({ public: ["/api/*"] })', () => pkg.createMastraAuthProvider({ env: issuer.env, public: ['/api/*'] })],
      ] as const) {
        cases += 1;
        try {
          make();
          failures.push(`config: ${label} was accepted`);
        } catch (error) {
          if (!(error instanceof pkg.ClerkConfigError)) failures.push(`config: ${label} threw ${String(error)}`);
        }
      }
    }

    // --- The test issuer ---------------------------------------------------------------------------
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.10', '::ffff:127.0.0.1', '127.0.0.1.nip.io', ' 127.0.0.1']) {
      cases += 1;
      try {
        const stray = await testing.createTestIssuer({ host });
        await stray.close();
        failures.push(`test issuer: listened on ${JSON.stringify(host)}`);
      } catch (error) {
        if (!(error instanceof pkg.ClerkConfigError)) failures.push(`test issuer: ${JSON.stringify(host)} threw ${String(error)}`);
      }
    }
    const port = Number(new URL(issuer.issuer).port);
    for (const [method, path] of [
      ['POST', '/.well-known/jwks.json'],
      ['GET', '/.well-known/jwks.json/'],
      ['GET', '/mint'],
      ['GET', '/'],
      ['GET', '/.well-known/../.well-known/jwks.json?x'],
      ['DELETE', '/.well-known/jwks.json'],
    ]) {
      cases += 1;
      requests += 1;
      const got = await request(port, method as string, path as string);
      if (got.status !== 404 || got.body.includes('"d"')) failures.push(`test issuer: ${method} ${path} answered ${got.status}`);
    }
    {
      cases += 1;
      const keys = await request(port, 'GET', '/.well-known/jwks.json');
      if (/"(d|p|q|dp|dq|qi)"\s*:/.test(keys.body)) failures.push('test issuer: the key set holds private key members');
      const production = pkg.createClerkVerifier({ jwtKey: await issuer.publicKeyPem(), publishableKey: publishableKeyFor('clerk.production.example', 'live'), env: {}, logger: false });
      try {
        await production.verify(await issuer.mint());
        failures.push('test issuer: a production configuration (publishable key) accepted a test token');
      } catch (error) {
        if (!(error instanceof pkg.InvalidTokenError) || error.reason !== 'invalid_issuer') failures.push(`test issuer: refused with ${String(error)}`);
      }
      const polluted = await issuer.mint(JSON.parse('{"__proto__":{"org_role":"org:admin"}}') as Record<string, unknown>);
      cases += 1;
      if (({} as Record<string, unknown>)['org_role'] !== undefined) failures.push('test issuer: mint() polluted Object.prototype');
      const verified = await pkg.createClerkVerifier({ env: issuer.env, logger: false }).verify(polluted);
      if (pkg.toAuth(verified).has({ role: 'org:admin' })) failures.push('test issuer: a __proto__ claim became a role');
    }

    // --- The Mastra provider, with every request shape ---------------------------------------------
    {
      const provider = pkg.createMastraAuthProvider({
        env: issuer.env,
        logger: log.logger(),
        backendClient: false,
        authorizeUser: ((u: { sub: string }) => (u.sub === 'user_admin' ? true : 1)) as never,
      });
      const good = await issuer.mint({ sub: 'user_admin' });
      const member = await issuer.mint({ sub: 'user_member' });
      const forged = (await issuer.mint({ sub: 'user_admin' })).replace(/.{8}$/, 'AAAAAAAA');
      const shapes: [string, (authorization: string | null) => unknown][] = [
        ['a Fetch Request', (a) => new Request('http://127.0.0.1/api/agents', { headers: a === null ? {} : { authorization: a } })],
        ["Hono's request (raw)", (a) => ({ raw: new Request('http://127.0.0.1/api/agents', { headers: a === null ? {} : { authorization: a } }) })],
        ['an object with header()', (a) => ({ header: (name: string) => (name === 'authorization' ? (a ?? undefined) : undefined) })],
        ['an object with Headers', (a) => ({ headers: new Headers(a === null ? {} : { authorization: a }) })],
        ['plain headers', (a) => ({ headers: a === null ? {} : { Authorization: a } })],
        ['plain headers, a one-element array', (a) => ({ headers: a === null ? {} : { authorization: [a] } })],
      ];
      for (const [shape, make] of shapes) {
        const cases2: [string, string, unknown, boolean][] = [
          ['the Bearer token, token argument the same', good, make(`Bearer ${good}`), true],
          ['a forged token', forged, make(`Bearer ${forged}`), false],
          ['the token argument differs from the header', good, make(`Bearer ${member}`), false],
          ['a token argument and no Authorization header (Mastra read ?apiKey=)', good, make(null), false],
          ['Basic credentials', good, make('Basic YWRtaW46YWRtaW4='), false],
          ['two tokens', good, make(`Bearer ${good} ${good}`), false],
        ];
        for (const [label, argument, req, accept] of cases2) {
          cases += 1;
          let user: unknown = null;
          try {
            user = await provider.authenticateToken(argument, req);
          } catch (error) {
            failures.push(`mastra › ${shape} › ${label}: threw ${String(error)}`);
            continue;
          }
          if ((user !== null) !== accept) failures.push(`mastra › ${shape} › ${label}: ${user === null ? 'refused' : 'accepted'}`);
        }
        cases += 1;
        const current = await provider.getCurrentUser(make(`Bearer ${forged}`));
        if (current !== null) failures.push(`mastra › ${shape}: getCurrentUser accepted a forged token`);
      }
      cases += 2;
      const memberUser = await provider.authenticateToken(member, new Request('http://127.0.0.1/', { headers: { authorization: `Bearer ${member}` } }));
      if (memberUser === null || (await provider.authorizeUser(memberUser, {})) !== false) failures.push('mastra: authorizeUser answering 1 let the user through');
      if ((await provider.authorizeUser({ sub: '' } as never, {})) !== false || (await provider.authorizeUser(null as never, {})) !== false)
        failures.push('mastra: authorizeUser allowed a user without sub');
    }
  } finally {
    await issuer.close();
  }
  return { name: 'backend API, configuration, test issuer, Mastra', cases, requests, failures, stricter: {} };
}

/** Event members the package may emit; anything else is a leak waiting to happen. */
const EVENT_MEMBERS = new Set(['type', 'name', 'code', 'status', 'reason', 'requestId', 'jwksUri', 'problem', 'staleUntil']);

/**
 * Everything logged during the batteries (warn lines, events, and whatever reached `console`):
 * no token (or a piece of one), no key material, no secret key or webhook secret, no claim value.
 */
export function logFailures(log: LogSink, consoleLines: readonly string[], secrets: readonly string[]): string[] {
  const failures: string[] = [];
  const texts = [
    ...log.lines.map((line) => ['warn', line] as const),
    ...log.events.map((event) => ['event', JSON.stringify(event)] as const),
    ...consoleLines.map((line) => ['console', line] as const),
  ];
  const forbidden: [string, RegExp][] = [
    ['a JWT', /eyJ[A-Za-z0-9_-]{8,}/],
    ['a secret key', /sk_(test|live)_/],
    ['a webhook secret', /whsec_/],
    ['a PEM', /-----BEGIN/],
    ['a long base64 run (key material or a signature)', /[A-Za-z0-9+/_-]{120,}/],
  ];
  for (const [kind, text] of texts) {
    for (const [what, pattern] of forbidden) if (pattern.test(text)) failures.push(`log (${kind}) holds ${what}: ${text.slice(0, 160)}`);
    for (const secret of secrets) if (secret.length >= 8 && text.includes(secret)) failures.push(`log (${kind}) holds the value ${secret.slice(0, 12)}…: ${text.slice(0, 160)}`);
  }
  for (const event of log.events) {
    for (const member of Object.keys(event)) if (!EVENT_MEMBERS.has(member)) failures.push(`an event has the member ${member}`);
  }
  return failures;
}
