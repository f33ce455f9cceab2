import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { createApp, isProductionEnv, OFFLINE_TOKEN_SECONDS, readCorsOrigins, readPort, type ExampleAppOptions } from '../../examples/server';
import { createTestIssuer, type MintOptions, type TestIssuer } from '../../lib/testing';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

describe('examples/server.ts: createApp()', () => {
  const app = (options: ExampleAppOptions = {}) => createApp({ env: issuer.env, logger: false, ...options });
  const bearer = async (claims: Record<string, unknown> = {}, options: MintOptions = {}) => `Bearer ${await issuer.mint(claims, options)}`;
  const admin = { organization: { id: 'org_1', role: 'admin' } };
  const member = { organization: { id: 'org_1', role: 'member' } };

  it('serves /health without a token', async () => {
    const response = await request(app()).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  it('guards every agent route: 200 with a token, 401 without or with a bad one', async () => {
    const auth = await bearer({ sub: 'user_1' });
    const list = await request(app()).get('/api/agents').set('Authorization', auth);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ agents: ['weather', 'research'], userId: 'user_1' });
    const generate = await request(app()).post('/api/agents/weather/generate').set('Authorization', auth).send({ prompt: 'hi' });
    expect(generate.status).toBe(200);
    expect(generate.body).toEqual({ agentId: 'weather', userId: 'user_1', text: 'Hello from weather: you said "hi"' });
    const unknown = await request(app()).post('/api/agents/nope/generate').set('Authorization', auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('unknown_agent');

    for (const test of [request(app()).get('/api/agents'), request(app()).post('/api/agents/weather/generate').send({ prompt: 'hi' }), request(app()).post('/api/agents/nope/generate')]) {
      const refused = await test;
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('missing_token');
    }
    const expired = await request(app())
      .get('/api/agents')
      .set('Authorization', await bearer({}, { expiresInSeconds: -60 }));
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_token');
    expect((await request(app()).get('/api/agents').set('Authorization', 'Bearer nope')).status).toBe(401);
  });

  it.each([1, 2] as const)('lets only organization admins read /api/admin/usage (v%i tokens)', async (version) => {
    const shared = app();
    const allowed = await request(shared)
      .get('/api/admin/usage')
      .set('Authorization', await bearer({}, { version, ...admin }));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ orgId: 'org_1', generations: 0 });
    const memberAuth = await bearer({}, { version, ...member });
    await request(shared).post('/api/agents/research/generate').set('Authorization', memberAuth).expect(200);
    const counted = await request(shared)
      .get('/api/admin/usage')
      .set('Authorization', await bearer({}, { version, ...admin }));
    expect(counted.body).toEqual({ orgId: 'org_1', generations: 1 });

    for (const auth of [memberAuth, await bearer({}, { version })]) {
      const refused = await request(shared).get('/api/admin/usage').set('Authorization', auth);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('insufficient_scope');
    }
    expect((await request(shared).get('/api/admin/usage')).status).toBe(401);
  });

  it('answers the CORS preflight of the client origin, and puts CORS headers on refusals too', async () => {
    const preflight = await request(app())
      .options('/api/agents')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(preflight.headers['access-control-allow-headers']).toBe('Authorization,Content-Type');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');

    const refused = await request(app()).get('/api/agents').set('Origin', 'http://localhost:5173');
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('gives other origins no CORS permission, and takes its origins from corsOrigins', async () => {
    const other = await request(app()).options('/api/agents').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const configured = await request(app({ corsOrigins: ['https://app.example.com'] }))
      .options('/api/agents')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(configured.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('shares one verifier between its guards: one key set fetch', async () => {
    const own = await createTestIssuer();
    try {
      const shared = createApp({ env: own.env });
      const auth = `Bearer ${await own.mint()}`;
      expect((await request(shared).get('/api/agents').set('Authorization', auth)).status).toBe(200);
      expect((await request(shared).get('/api/admin/usage').set('Authorization', auth)).status).toBe(403);
      expect(own.jwksRequests).toBe(1);
    } finally {
      await own.close();
    }
  });
});

describe('examples/server.ts run directly (what npm start runs)', () => {
  const script = path.join(__dirname, '..', '..', 'examples', 'server.ts');
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'clerk-example-')); // no .env here
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  /** Starts the example with exactly `env`; resolves when `until` appears on stdout or it exits. */
  function run(env: Record<string, string>, until = /Then try:[^]*ADMIN_TOKEN[^]*\n$/) {
    const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), script], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json'), PORT: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (until.test(stdout)) resolve({ code: null, stdout, stderr });
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    return { child, done };
  }

  const get = (url: string, token?: string) => fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  /** The claims of a printed token (not verified: only to read its lifetime). */
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { exp: number; iat: number; sub: string };
  /** Whether something accepts TCP connections at host:port. */
  const reachable = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it('runs offline with no Clerk keys, on loopback only, and prints short-lived tokens and curl lines that do what they say', async () => {
    const { child, done } = run({});
    try {
      const { stdout } = await done;
      expect(stdout).toContain('*** OFFLINE DEVELOPMENT MODE: NOT CONNECTED TO CLERK ***');
      expect(stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(loopback only\)/);
      expect(stdout).toContain('It listens on 127.0.0.1 only: other machines cannot reach it.');
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] as string;
      const port = Number(new URL(base).port);
      const token = /export TOKEN=(\S+)/.exec(stdout)?.[1] as string;
      const adminToken = /export ADMIN_TOKEN=(\S+)/.exec(stdout)?.[1] as string;
      expect(stdout).toContain(`curl -H "Authorization: Bearer $TOKEN" ${base}/api/agents`);
      expect(stdout).toContain('Session tokens valid for 10 minutes');
      expect(stdout).toContain('Press Enter in this terminal for new ones (or restart npm start).');
      for (const printed of [token, adminToken]) {
        const { exp, iat } = claimsOf(printed);
        expect(exp - iat).toBe(OFFLINE_TOKEN_SECONDS);
      }
      expect(OFFLINE_TOKEN_SECONDS).toBeLessThanOrEqual(600);

      // Each curl line answers as labelled.
      const agents = await get(`${base}/api/agents`, token);
      expect(agents.status).toBe(200);
      expect(await agents.json()).toEqual({ agents: ['weather', 'research'], userId: 'user_offline_dev' });
      expect((await get(`${base}/api/agents`)).status).toBe(401);
      expect((await get(`${base}/api/admin/usage`, token)).status).toBe(403);
      expect((await get(`${base}/api/admin/usage`, adminToken)).status).toBe(200);
      const preflight = await fetch(`${base}/api/agents`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');

      // Not on any other interface of this machine.
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4');
      for (const address of others) expect(await reachable(address!.address, port)).toBe(false);
      expect(await reachable('127.0.0.1', port)).toBe(true);

      // Enter prints new tokens, which work.
      const before = stdout.length;
      const renewed = new Promise<string>((resolve) => {
        let more = '';
        child.stdout.on('data', (chunk: Buffer) => {
          more += chunk.toString();
          if (/export ADMIN_TOKEN=\S+\n/.test(more)) resolve(more);
        });
      });
      child.stdin.write('\n');
      const fresh = await renewed;
      expect(before).toBeGreaterThan(0);
      expect(fresh).toContain('New session tokens, valid for 10 minutes');
      const newToken = /export TOKEN=(\S+)/.exec(fresh)?.[1] as string;
      const newAdmin = /export ADMIN_TOKEN=(\S+)/.exec(fresh)?.[1] as string;
      // Minted now (identical to the first ones when still in the same second: RS256 is deterministic).
      expect(claimsOf(newToken).exp).toBeGreaterThanOrEqual(claimsOf(token).exp);
      expect(claimsOf(newToken).exp - claimsOf(newToken).iat).toBe(OFFLINE_TOKEN_SECONDS);
      expect((await get(`${base}/api/agents`, newToken)).status).toBe(200);
      expect((await get(`${base}/api/admin/usage`, newAdmin)).status).toBe(200);
    } finally {
      child.kill();
    }
  }, 30_000);

  it('exits on SIGTERM in offline mode (stdin, server and issuer all let go)', async () => {
    const { child, done } = run({});
    await done;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 15_000)));
    try {
      expect(await Promise.race([exited, hung])).not.toBe('hung');
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
  }, 30_000);

  it.each(['Production', ' production', 'PRODUCTION\t'])(
    'refuses offline mode when NODE_ENV is %j',
    async (nodeEnv) => {
      const { code, stderr, stdout } = await run({ NODE_ENV: nodeEnv }).done;
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain('Refusing to start: NODE_ENV=production and none of');
    },
    30_000,
  );

  it('refuses to start in production without keys', async () => {
    const { code, stderr, stdout } = await run({ NODE_ENV: 'production' }).done;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('Refusing to start: NODE_ENV=production and none of CLERK_JWT_KEY, CLERK_JWKS_URI, CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY is set.');
  }, 30_000);

  it('reads NODE_ENV, PORT and CORS_ORIGIN as a careful user expects', () => {
    for (const value of ['production', 'Production', ' PRODUCTION ', '\tproduction\n']) expect(isProductionEnv({ NODE_ENV: value })).toBe(true);
    for (const value of [undefined, '', 'development', 'test', 'productions', 'pre-production']) expect(isProductionEnv({ NODE_ENV: value })).toBe(false);

    expect(readPort({})).toBe(3000);
    expect(readPort({ PORT: '' })).toBe(3000); // PORT= in a .env template is unset
    expect(readPort({ PORT: ' 8080 ' })).toBe(8080);
    expect(readPort({ PORT: '0' })).toBe(0);
    for (const value of ['abc', '80.5', '1e3', '-1', '65536', '0x50', '80 80']) {
      expect(() => readPort({ PORT: value })).toThrow('PORT must be a port number (0 to 65535)');
    }

    expect(readCorsOrigins({})).toEqual(['http://localhost:5173']);
    expect(readCorsOrigins({ CORS_ORIGIN: '  ' })).toEqual(['http://localhost:5173']);
    expect(readCorsOrigins({ CORS_ORIGIN: 'https://a.example.com, http://localhost:3000' })).toEqual(['https://a.example.com', 'http://localhost:3000']);
    for (const value of ['https://a.example.com,', ',https://a.example.com', 'https://a.example.com,,http://localhost:3000', 'https://a.example.com/', 'a.example.com', '*']) {
      expect(() => readCorsOrigins({ CORS_ORIGIN: value })).toThrow(/^CORS_ORIGIN /);
    }
  });

  it('uses the Clerk keys it is given and never starts the dev issuer', async () => {
    const { child, done } = run({ CLERK_JWKS_URI: issuer.jwksUri, CORS_ORIGIN: 'https://app.example.com' }, /listening on .*\n/);
    try {
      const { stdout } = await done;
      expect(stdout).toContain('(Clerk keys from the environment; CORS for https://app.example.com)');
      expect(stdout).not.toContain('OFFLINE');
      expect(stdout).not.toContain('TOKEN');
      const base = /listening on (http:\/\/localhost:\d+)/.exec(stdout)?.[1] as string;
      expect((await get(`${base}/api/agents`, await issuer.mint())).status).toBe(200);
      expect((await get(`${base}/api/agents`)).status).toBe(401);
    } finally {
      child.kill();
    }
  }, 30_000);

  it('exits (does not hang on its test issuer) when the app cannot be built in offline mode', async () => {
    const { child, done } = run({ CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_not base64' });
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)));
    try {
      const result = await Promise.race([done, hung]);
      expect(result).not.toBe('hung');
      const { code, stderr } = result as Awaited<typeof done>;
      expect(code).toBe(1);
      expect(stderr).toContain('CLERK_WEBHOOK_SIGNING_SECRET) is malformed');
    } finally {
      clearTimeout(timer);
      child.kill();
    }
  }, 30_000);

  it("stops on a bad Clerk key with the package's message", async () => {
    const { code, stderr, stdout } = await run({ CLERK_JWKS_URI: 'http://example.com/.well-known/jwks.json' }).done;
    expect(code).toBe(1);
    expect(stdout).not.toContain('OFFLINE');
    expect(stderr).toContain('Invalid JWKS URI: jwksUri (CLERK_JWKS_URI) must use https');
  }, 30_000);
});
