import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createOfflineDevKeys, type OfflineDevKeys } from '../examples/offline-dev-keys';
import { createApp } from '../examples/server';
import { startJwksServer } from './helpers/jwks-server';
import { createTestKey, mint, sessionClaims } from './helpers/keys';

let dev: OfflineDevKeys;
beforeAll(async () => {
  dev = await createOfflineDevKeys();
});

describe('examples/server.ts: createApp()', () => {
  const app = () => createApp({ jwtKey: dev.jwtKey, env: {} });

  it('serves /health without a token', async () => {
    expect((await request(app()).get('/health')).body).toEqual({ ok: true });
  });

  it('guards every agent route', async () => {
    const bearer = `Bearer ${await dev.mint('user_1')}`;
    const list = await request(app()).get('/api/agents').set('Authorization', bearer);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ agents: ['weather', 'research'], userId: 'user_1' });
    const generate = await request(app()).post('/api/agents/weather/generate').set('Authorization', bearer).send({ prompt: 'hi' });
    expect(generate.body).toEqual({ agentId: 'weather', userId: 'user_1', text: 'Hello from weather' });
    expect((await request(app()).get('/api/agents')).status).toBe(401);
    expect((await request(app()).post('/api/agents/weather/generate')).status).toBe(401);
    expect((await request(app()).get('/api/agents').set('Authorization', 'Bearer nope')).status).toBe(401);
  });

  it('lets only organization admins read /api/reports', async () => {
    const admin = await dev.mint('user_1', { org_id: 'org_1', org_role: 'org:admin' });
    const member = await dev.mint('user_2', { org_id: 'org_1', org_role: 'org:member' });
    const allowed = await request(app()).get('/api/reports').set('Authorization', `Bearer ${admin}`);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ report: 'usage', orgId: 'org_1' });
    expect((await request(app()).get('/api/reports').set('Authorization', `Bearer ${member}`)).status).toBe(403);
    expect((await request(app()).get('/api/reports')).status).toBe(401);
  });

  it('shares one verifier between its guards: one key set fetch', async () => {
    const key = await createTestKey();
    const server = await startJwksServer([key.jwk]);
    try {
      const shared = createApp({ jwksUri: server.jwksUri, env: {} });
      const bearer = `Bearer ${await mint(key, sessionClaims(server.origin))}`;
      expect((await request(shared).get('/api/agents').set('Authorization', bearer)).status).toBe(200);
      expect((await request(shared).get('/api/reports').set('Authorization', bearer)).status).toBe(403);
      expect(server.requests).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('examples/server.ts run directly (what npm start runs)', () => {
  const script = path.join(__dirname, '..', 'examples', 'server.ts');
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'clerk-example-')); // no .env here
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  /** Starts the example with exactly `env`; resolves when `until` appears on stdout or it exits. */
  function run(env: Record<string, string>, until = /Then try:/) {
    const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), script], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json'), PORT: '0', ...env },
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

  it('runs offline with no Clerk keys and prints a token that works', async () => {
    const { child, done } = run({});
    try {
      const { stdout } = await done;
      expect(stdout).toContain('*** OFFLINE DEVELOPMENT MODE ***');
      const base = /listening on (http:\/\/localhost:\d+)/.exec(stdout)?.[1] as string;
      const token = /export TOKEN=(\S+)/.exec(stdout)?.[1] as string;
      expect((await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${base}/api/agents`)).status).toBe(401);
      expect((await fetch(`${base}/api/reports`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    } finally {
      child.kill();
    }
  }, 20_000);

  it('refuses to start in production without keys', async () => {
    const { code, stderr } = await run({ NODE_ENV: 'production' }).done;
    expect(code).toBe(1);
    expect(stderr).toContain('Refusing to start: NODE_ENV=production and none of CLERK_JWT_KEY, CLERK_JWKS_URI, CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY is set.');
  }, 20_000);

  it('uses the Clerk keys it is given, and stops on a bad one with the package\'s message', async () => {
    const { code, stderr, stdout } = await run({ CLERK_JWKS_URI: 'http://example.com/.well-known/jwks.json' }).done;
    expect(code).toBe(1);
    expect(stdout).not.toContain('OFFLINE');
    expect(stderr).toContain('Invalid JWKS URI: jwksUri (CLERK_JWKS_URI) must use https');
  }, 20_000);
});
