/**
 * The Mastra example (examples/mastra) end to end: a real Mastra 1.x server, on @mastra/express
 * (`npm start`) and on @mastra/hono (src/hono.ts), run as child processes and driven through real
 * HTTP with session, forged, expired, missing and machine tokens, across two users' threads and
 * workflow runs.
 *
 * The example has its own dependencies. Skipped where examples/mastra/node_modules is missing
 * (run `cd examples/mastra && npm ci`), except in CI (CI=true), where that fails: .ci/run installs
 * them. The example runs on the Node running the tests, or on MASTRA_EXAMPLE_NODE (a node binary)
 * when set; see examples/mastra/README.md on Node versions.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server';
import { createTestKey, mint, sessionClaims, type TestKey } from '../helpers/keys';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'mastra');
const installed = existsSync(path.join(EXAMPLE, 'node_modules', '@mastra', 'express', 'package.json'));
const inCi = process.env['CI'] === 'true';
const NODE = process.env['MASTRA_EXAMPLE_NODE'] ?? process.execPath;
// Loading Mastra and compiling the example takes a few seconds, more on a loaded machine.
const START_TIMEOUT_MS = 90_000;
const MAPPING_WARNING = 'server.auth is configured without mapUserToResourceId';

if (!installed && !inCi) {
  console.warn('spec/acceptance/example-mastra.spec.ts skipped: examples/mastra/node_modules is missing. Run `cd examples/mastra && npm ci` to run the Mastra end-to-end tests.');
}

interface Example {
  readonly base: string;
  readonly output: () => string;
  stop(): Promise<number | null>;
}

/**
 * Runs an entry of the example with exactly `env` (plus PATH), until it prints where it listens.
 * Rejects with its output when it exits first or takes too long.
 */
async function startExample(entry: string, env: Record<string, string>): Promise<Example> {
  const child: ChildProcessWithoutNullStreams = spawn(NODE, [path.join(EXAMPLE, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--transpile-only', entry], {
    cwd: EXAMPLE,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', MASTRA_TELEMETRY_DISABLED: '1', MASTRA_OFFLINE: '1', ...env },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with code ${code} before listening:\n${output}`));
    });
  });
  return {
    base,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of Mastra's or the app's answer, as sent: each assertion reads the fields it expects
  body: any;
}

async function call(base: string, route: string, init: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${route}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body };
}

(installed || inCi ? describe : describe.skip)('examples/mastra: a real Mastra server behind the provider', () => {
  jest.setTimeout(2 * START_TIMEOUT_MS);
  beforeAll(() => {
    if (!installed) throw new Error('CI=true but examples/mastra/node_modules is missing: .ci/run must run `npm ci` in examples/mastra.');
  });

  // A stand-in Clerk instance the spec controls completely: its key signs any header and claims.
  let key: TestKey;
  let otherKey: TestKey;
  let jwks: JwksServer;
  const now = () => Math.floor(Date.now() / 1000);
  const tokenFor = (sub: string, overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    mint(key, sessionClaims(jwks.origin, { sub, sid: `sess_${sub}`, ...overrides }), { cat: 'cl_B7d4PD111AAA', ...header });
  const clerkEnv = () => ({ CLERK_JWKS_URI: jwks.jwksUri, CLERK_AUTHORIZED_PARTIES: 'http://localhost:3000', HOST: '127.0.0.1' });
  beforeAll(async () => {
    [key, otherKey] = await Promise.all([createTestKey('ins_mastra_e2e'), createTestKey('ins_other')]);
    jwks = await startJwksServer([key.jwk]);
  });
  // One running example per entry with Clerk keys, shared by the describe blocks that use it.
  const running = new Map<string, Promise<Example>>();
  const withClerkKeys = (entry: string): Promise<Example> => {
    if (!running.has(entry)) running.set(entry, startExample(entry, clerkEnv()));
    return running.get(entry) as Promise<Example>;
  };
  afterAll(async () => {
    await Promise.all([...running.values()].map(async (started) => (await started.catch(() => null))?.stop()));
    await jwks?.close();
  });

  describe.each([
    ['@mastra/express (npm start, with Clerk keys)', 'src/server.ts'],
    ['@mastra/hono', 'src/hono.ts'],
  ])('on %s', (_, entry) => {
    let example: Example;
    beforeAll(async () => {
      example = await withClerkKeys(entry);
    });

    it("starts without Mastra's warning that users could read each other's threads", () => {
      expect(example.output()).not.toContain(MAPPING_WARNING);
      expect(example.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    });

    it('answers 200 to a session token and 401 to missing, forged, expired and malformed ones', async () => {
      const ok = await call(example.base, '/api/agents', { token: await tokenFor('user_alice') });
      expect(ok.status).toBe(200);
      expect(Object.keys(ok.body)).toEqual(['assistant']);
      const refusals: [string, Promise<Answer>][] = [
        ['missing', call(example.base, '/api/agents')],
        ['forged (another key, same kid)', call(example.base, '/api/agents', { token: await mint(otherKey, sessionClaims(jwks.origin), { kid: key.kid }) })],
        ['expired', call(example.base, '/api/agents', { token: await tokenFor('user_alice', { exp: now() - 60 }) })],
        ['another azp', call(example.base, '/api/agents', { token: await tokenFor('user_alice', { azp: 'https://evil.example' }) })],
        [
          'alg none',
          call(example.base, '/api/agents', {
            token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(sessionClaims(jwks.origin))).toString('base64url')}.`,
          }),
        ],
        ['not a JWT', call(example.base, '/api/agents', { token: 'nope' })],
        ['Basic credentials', call(example.base, '/api/agents', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })],
        ['a JWT-template token', call(example.base, '/api/agents', { token: await tokenFor('user_alice', {}, { cat: 'cl_B7d4PD222AAA' }) })],
        ['a pending session', call(example.base, '/api/agents', { token: await tokenFor('user_alice', { v: 2, sts: 'pending' }) })],
      ];
      for (const [name, answer] of refusals) {
        expect({ name, status: (await answer).status }).toEqual({ name, status: 401 });
      }
    });

    it('refuses a valid token sent in the URL (?apiKey=, which Mastra itself accepts)', async () => {
      const token = await tokenFor('user_alice');
      expect((await call(example.base, `/api/agents?apiKey=${token}`)).status).toBe(401);
    });

    it('refuses a request that only claims to come from Studio or the dev playground', async () => {
      const answer = await call(example.base, '/api/agents', { headers: { 'x-mastra-client-type': 'studio', 'x-mastra-dev-playground': 'true' } });
      expect(answer.status).toBe(401);
    });

    it("accepts an M2M JWT on Mastra's routes (acceptsToken), and keeps the machine's threads to itself", async () => {
      const m2mFor = (sub: string, header: Record<string, unknown> = { cat: 'cl_B7d4PD333AAA' }) =>
        mint(key, { iss: jwks.origin, sub, jti: `mt_${sub}`, iat: now(), nbf: now() - 10, exp: now() + 600, scopes: 'mch_mastra' }, header);
      const agent = await m2mFor('mch_agent');
      expect((await call(example.base, '/api/agents', { token: agent })).status).toBe(200);
      expect((await call(example.base, '/api/agents', { token: await m2mFor('mch_agent', {}) })).status).toBe(200); // cat absent
      const thread = `agent-${entry.replace(/\W/g, '')}`;
      expect((await call(example.base, '/api/agents/assistant/generate', { token: agent, body: { messages: 'Hi from a machine', memory: { thread } } })).status).toBe(200);
      const own = await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant`, { token: agent });
      expect(own.body.messages.map((message: { resourceId: string }) => message.resourceId)).toEqual(['mch_agent', 'mch_agent']);
      expect((await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant`, { token: await m2mFor('mch_other') })).status).toBe(403);
      expect((await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant`, { token: await tokenFor('user_alice') })).status).toBe(403);
      // Refused as Clerk refuses them: another category with a machine sub, an expired one, an opaque one without a key to verify it.
      expect((await call(example.base, '/api/agents', { token: await m2mFor('mch_agent', { cat: 'cl_B7d4PD222AAA' }) })).status).toBe(401);
      expect(
        (await call(example.base, '/api/agents', { token: await mint(key, { iss: jwks.origin, sub: 'mch_agent', iat: now() - 120, exp: now() - 60 }, { cat: 'cl_B7d4PD333AAA' }) })).status,
      ).toBe(401);
      expect((await call(example.base, '/api/agents', { token: `mt_${'a'.repeat(32)}` })).status).toBe(401);
      expect((await call(example.base, '/api/auth/me', { token: agent })).body).toMatchObject({ id: 'mch_agent' });
    });

    it("keeps each user's threads to themselves (mapUserToResourceId defaults to the user id)", async () => {
      const alice = await tokenFor('user_alice');
      const bob = await tokenFor('user_bob');
      const thread = `alice-${entry.replace(/\W/g, '')}`;
      // Alice writes to her thread without naming a resource: the provider's mapping supplies it.
      const generated = await call(example.base, '/api/agents/assistant/generate', { token: alice, body: { messages: 'Hello, agent', memory: { thread } } });
      expect(generated.status).toBe(200);
      expect(generated.body.text).toBe('Hello from the offline test model.');

      const own = await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant`, { token: alice });
      expect(own.status).toBe(200);
      expect(own.body.messages.map((message: { resourceId: string }) => message.resourceId)).toEqual(['user_alice', 'user_alice']);
      expect(JSON.stringify(own.body.messages)).toContain('Hello, agent');

      // Bob cannot read, list, write to or delete it, whatever resource he names.
      const read = await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant&resourceId=user_alice`, { token: bob });
      expect(read.status).toBe(403);
      expect((await call(example.base, `/api/memory/threads/${thread}?agentId=assistant`, { token: bob })).status).toBe(403);
      const listed = await call(example.base, '/api/memory/threads?agentId=assistant&resourceId=user_alice', { token: bob });
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(thread);
      const written = await call(example.base, '/api/agents/assistant/generate', { token: bob, body: { messages: 'hijack', memory: { thread, resource: 'user_alice' } } });
      expect(written.status).toBe(403);
      expect((await call(example.base, `/api/memory/threads/${thread}?agentId=assistant`, { token: bob, method: 'DELETE' })).status).toBe(403);

      const after = await call(example.base, `/api/memory/threads/${thread}/messages?agentId=assistant`, { token: alice });
      expect(after.body.messages).toHaveLength(2);
      expect(JSON.stringify(after.body.messages)).not.toContain('hijack');
    });

    it('runs the workflow, and keeps each run to the user who started it', async () => {
      const alice = await tokenFor('user_alice');
      const bob = await tokenFor('user_bob');
      const created = await call(example.base, '/api/workflows/greeting/create-run', { token: alice, body: {} });
      expect(created.status).toBe(200);
      const runId = created.body.runId as string;
      const started = await call(example.base, `/api/workflows/greeting/start-async?runId=${runId}`, { token: alice, body: { inputData: { name: 'Alice' } } });
      expect(started.status).toBe(200);
      expect(started.body.result).toEqual({ message: 'HELLO, ALICE!' });
      expect((await call(example.base, `/api/workflows/greeting/runs/${runId}`, { token: alice })).status).toBe(200);
      expect((await call(example.base, `/api/workflows/greeting/runs/${runId}`, { token: bob })).status).toBe(403);
    });

    it('tells Studio who is signed in (GET /api/auth/me), and nobody without a token', async () => {
      const me = await call(example.base, '/api/auth/me', { token: await tokenFor('user_alice', { org_id: 'org_acme', org_role: 'org:admin' }) });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: 'user_alice' });
      const nobody = await call(example.base, '/api/auth/me');
      expect(nobody.status).toBe(200);
      expect(nobody.body).toBeNull();
    });
  });

  describe("@mastra/express: the app's own routes (clerkAuth) next to Mastra's", () => {
    let example: Example;
    beforeAll(async () => {
      example = await withClerkKeys('src/server.ts');
    });

    it('serves /health without a token', async () => {
      expect(await call(example.base, '/health')).toEqual({ status: 200, body: { ok: true } });
    });

    it('answers /me 200 with a session token and 401 with none or a forged one', async () => {
      expect(await call(example.base, '/me', { token: await tokenFor('user_alice') })).toEqual({ status: 200, body: { userId: 'user_alice', orgId: null, orgRole: null } });
      expect((await call(example.base, '/me')).body.error).toBe('missing_token');
      const forged = await call(example.base, '/me', { token: await mint(otherKey, sessionClaims(jwks.origin), { kid: key.kid }) });
      expect([forged.status, forged.body.error]).toEqual([401, 'invalid_token']);
    });

    it('lets only organization admins read /admin/overview', async () => {
      const admin = await call(example.base, '/admin/overview', { token: await tokenFor('user_admin', { org_id: 'org_acme', org_role: 'org:admin', org_permissions: [] }) });
      expect(admin).toEqual({ status: 200, body: { orgId: 'org_acme', agents: ['assistant'], workflows: ['greeting'] } });
      const member = await call(example.base, '/admin/overview', { token: await tokenFor('user_alice', { org_id: 'org_acme', org_role: 'org:member', org_permissions: [] }) });
      expect([member.status, member.body.error]).toEqual([403, 'insufficient_scope']);
    });

    it('refuses a machine (M2M) JWT on the app routes too', async () => {
      const m2m = await mint(key, sessionClaims(jwks.origin, { sub: 'mch_agent', sid: undefined }), { cat: 'cl_B7d4PD333AAA' });
      const answer = await call(example.base, '/me', { token: m2m });
      expect([answer.status, answer.body.error]).toEqual([401, 'invalid_token']);
    });

    it('refuses a session-category JWT with an mch_ sub, as Clerk does: a type mismatch on /me, a wrong M2M category on /api', async () => {
      // Clerk classifies any JWT whose sub starts with mch_ as an M2M token, whatever its cat.
      const machineSub = await tokenFor('mch_agent', { sid: undefined });
      expect((await call(example.base, '/me', { token: machineSub })).status).toBe(401);
      expect((await call(example.base, '/api/agents', { token: machineSub })).status).toBe(401);
    });
  });

  describe('npm start without Clerk keys (offline mode)', () => {
    let example: Example;
    const printed = (name: string) => {
      const match = new RegExp(`export ${name}=(\\S+)`).exec(example.output());
      if (match === null) throw new Error(`no ${name} in the output:\n${example.output()}`);
      return match[1] as string;
    };
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, number | string>;
    beforeAll(async () => {
      example = await startExample('src/server.ts', {});
      // The banner is one console.log: once the URL is there, so are the tokens.
    });
    afterAll(() => example?.stop());

    it('listens on 127.0.0.1 only and prints short-lived user, admin and M2M tokens (a JWT and an opaque one)', () => {
      expect(example.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(example.output()).toContain('OFFLINE DEVELOPMENT MODE');
      expect(example.output()).not.toContain(MAPPING_WARNING);
      for (const name of ['TOKEN', 'ADMIN_TOKEN', 'M2M_TOKEN']) {
        const claims = claimsOf(printed(name));
        expect((claims['exp'] as number) - (claims['iat'] as number)).toBeLessThanOrEqual(10 * 60);
      }
      expect(claimsOf(printed('M2M_TOKEN'))['sub']).toMatch(/^mch_/);
      expect(printed('M2M_OPAQUE_TOKEN')).toMatch(/^mt_/);
      expect(example.output()).toContain('curl -H "Authorization: Bearer $M2M_TOKEN"');
    });

    it('answers the printed curl lines as the banner says', async () => {
      const token = printed('TOKEN');
      const admin = printed('ADMIN_TOKEN');
      expect((await call(example.base, '/me', { token })).status).toBe(200);
      expect((await call(example.base, '/me')).status).toBe(401);
      expect((await call(example.base, '/admin/overview', { token })).status).toBe(403);
      expect((await call(example.base, '/admin/overview', { token: admin })).status).toBe(200);
      expect((await call(example.base, '/api/agents')).status).toBe(401);
      expect((await call(example.base, '/api/agents', { token })).status).toBe(200);
      expect((await call(example.base, '/api/agents/assistant/generate', { token, body: { messages: 'Hi', memory: { thread: 'alice-1' } } })).status).toBe(200);
      expect((await call(example.base, '/api/memory/threads/alice-1/messages?agentId=assistant', { token })).status).toBe(200);
      expect((await call(example.base, '/api/memory/threads/alice-1/messages?agentId=assistant', { token: admin })).status).toBe(403);
      const run = await call(example.base, '/api/workflows/greeting/start-async', { token, body: { inputData: { name: 'Alice' } } });
      expect([run.status, run.body.result]).toEqual([200, { message: 'HELLO, ALICE!' }]);
      // The machines: both M2M tokens on Mastra's routes, neither on the app's session-only /me.
      const m2m = printed('M2M_TOKEN');
      const opaque = printed('M2M_OPAQUE_TOKEN');
      expect((await call(example.base, '/api/agents', { token: m2m })).status).toBe(200);
      expect((await call(example.base, '/api/agents', { token: opaque })).status).toBe(200);
      expect((await call(example.base, '/api/agents/assistant/generate', { token: m2m, body: { messages: 'Hi', memory: { thread: 'agent-1' } } })).status).toBe(200);
      const me = await call(example.base, '/me', { token: m2m });
      expect([me.status, me.body.error]).toEqual([401, 'invalid_token']);
      expect((await call(example.base, '/me', { token: opaque })).status).toBe(401);
    });

    it('refuses to start offline with NODE_ENV=production', async () => {
      await expect(startExample('src/server.ts', { NODE_ENV: 'production' })).rejects.toThrow(/exited with code 1[^]*Refusing to start/);
    });
  });
});
