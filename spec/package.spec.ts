/**
 * The package as users get it: packed with `npm pack` (which builds dist/), unpacked into a
 * scratch project, then loaded with require() and import, and type-checked as a user's app.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fakeSecretKey, publishableKeyFor } from './helpers/keys';

const root = path.join(__dirname, '..');
let project: string;
let packedFiles: string[];

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'clerk-package-'));
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  ) as [{ filename: string; files: { path: string }[] }];
  packedFiles = packed.files.map((file) => file.path);
  const modules = path.join(project, 'node_modules');
  mkdirSync(path.join(modules, '@types'), { recursive: true });
  execFileSync('tar', ['-xzf', path.join(project, packed.filename), '-C', modules]);
  renameSync(path.join(modules, 'package'), path.join(modules, 'express-clerk-jwt'));
  for (const dependency of ['jose', 'express']) {
    symlinkSync(path.join(root, 'node_modules', dependency), path.join(modules, dependency), 'dir');
  }
  for (const types of readdirSync(path.join(root, 'node_modules', '@types'))) {
    symlinkSync(path.join(root, 'node_modules', '@types', types), path.join(modules, '@types', types), 'dir');
  }
}, 120_000);

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of [project, ...cleanup]) rmSync(dir, { recursive: true, force: true });
});

/** Runs a script file in the scratch project with exactly `env`; returns its stdout. */
function runNode(file: string, source: string, env: Record<string, string> = {}): string {
  writeFileSync(path.join(project, file), source);
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
}

/** Runs tsc in `dir`; its exit status and what it printed (the errors, if any). */
function typeCheck(dir: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Signs a token with node:crypto and verifies it with the packed package: jose must load too.
const roundTrip = `
const { generateKeyPairSync, sign } = require('node:crypto');
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const input = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64({ sub: 'user_1', exp: now + 60 });
const token = input + '.' + sign('sha256', Buffer.from(input), privateKey).toString('base64url');
const verifier = pkg.createClerkVerifier({ jwtKey: publicKey.export({ type: 'spki', format: 'pem' }), env: {} });
verifier.verify(token).then((user) => console.log(JSON.stringify({
  exports: Object.keys(pkg).filter((name) => name !== 'default' && name !== '__esModule').sort(),
  sub: user.sub,
  errorIsClass: new pkg.InvalidTokenError('expired') instanceof pkg.ClerkAuthError,
})));
`;

describe('the published package', () => {
  it('ships the build, types, README and LICENSE, and nothing of the sources or specs', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/express.d.ts', 'dist/testing.js', 'dist/testing.d.ts', 'README.md', 'LICENSE', 'package.json']));
    expect(packedFiles.filter((file) => !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file))).toEqual([]);
  });

  it('loads with require() and with import, with the same exports, and verifies a token', () => {
    const required = JSON.parse(runNode('check.cjs', `const pkg = require('express-clerk-jwt');${roundTrip}`));
    const imported = JSON.parse(runNode('check.mjs', `import * as pkg from 'express-clerk-jwt'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);${roundTrip}`));
    expect(required).toEqual(imported);
    expect(required.sub).toBe('user_1');
    expect(required.errorIsClass).toBe(true);
    expect(required.exports).toEqual(expect.arrayContaining(['clerkAuth', 'createClerkVerifier', 'ClerkAuthError', 'ClerkConfigError', 'InvalidTokenError', 'clerkWebhook', 'createClerkWebhookVerifier', 'WebhookVerificationError']));
    const named = runNode('named.mjs', `import { clerkAuth, createClerkVerifier } from 'express-clerk-jwt'; console.log(typeof clerkAuth, typeof createClerkVerifier);`);
    expect(named.trim()).toBe('function function');
  });

  it('offers the test kit as express-clerk-jwt/testing, for require() and import alike, and not from the main entry', () => {
    const check = `
(async () => {
  const issuer = await kit.createTestIssuer();
  try {
    const user = await pkg.createClerkVerifier({ env: issuer.env, logger: false }).verify(await issuer.mint({ sub: 'user_kit' }));
    console.log(JSON.stringify({
      exports: Object.keys(kit).filter((name) => name !== 'default' && name !== '__esModule').sort(),
      sub: user.sub,
      inMain: Object.keys(pkg).includes('createTestIssuer'),
    }));
  } finally {
    await issuer.close();
  }
})();
`;
    const required = JSON.parse(runNode('kit.cjs', `const pkg = require('express-clerk-jwt'); const kit = require('express-clerk-jwt/testing');${check}`));
    const imported = JSON.parse(runNode('kit.mjs', `import * as pkg from 'express-clerk-jwt'; import * as kit from 'express-clerk-jwt/testing';${check}`));
    expect(required).toEqual(imported);
    expect(required).toEqual({ exports: ['createTestIssuer'], sub: 'user_kit', inMain: false });
  });

  it('offers the framework-free core alone, usable without Express or its types', () => {
    // Outside the scratch project: TypeScript would otherwise find its @types/express up the tree.
    const core = mkdtempSync(path.join(tmpdir(), 'clerk-core-'));
    cleanup.push(core);
    mkdirSync(path.join(core, 'node_modules', '@types'), { recursive: true });
    for (const dependency of ['jose', 'typescript']) symlinkSync(path.join(root, 'node_modules', dependency), path.join(core, 'node_modules', dependency), 'dir');
    cpSync(path.join(project, 'node_modules', 'express-clerk-jwt'), path.join(core, 'node_modules', 'express-clerk-jwt'), { recursive: true });
    symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(core, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(
      path.join(core, 'worker.ts'),
      `import { createClerkVerifier, createClerkWebhookVerifier, extractBearerToken, toAuth, type ClerkUser, type ClerkWebhookEvent } from 'express-clerk-jwt/core';
const verifier = createClerkVerifier({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {} });
export async function authenticate(header: string | undefined): Promise<ClerkUser | null> {
  const token = extractBearerToken(header);
  return token === null ? null : verifier.verify(token);
}
export const isAdmin = (user: ClerkUser): boolean => toAuth(user).has({ role: 'admin' });
export function receive(body: Uint8Array, headers: Headers): string | null {
  const event: ClerkWebhookEvent = createClerkWebhookVerifier({ env: {} }).verify(body, headers);
  return event.type === 'user.deleted' ? (event.data.id ?? null) : null;
}
console.log(verifier.config.keySource);
`,
    );
    writeFileSync(
      path.join(core, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'node16', target: 'es2022', outDir: 'out', types: ['node'] }, files: ['worker.ts'] }),
    );
    expect(typeCheck(core)).toEqual({ status: 0, output: '' });
    const out = execFileSync(process.execPath, ['out/worker.js'], { cwd: core, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    expect(out.trim()).toBe('jwksUri');
  }, 60_000);

  it('reads process.env by default', () => {
    const env = { CLERK_PUBLISHABLE_KEY: publishableKeyFor('exotic-crab-75.clerk.accounts.dev'), CLERK_SECRET_KEY: fakeSecretKey() };
    const out = runNode('env.cjs', `console.log(JSON.stringify(require('express-clerk-jwt').createClerkVerifier().config));`, env);
    expect(JSON.parse(out)).toMatchObject({ keySource: 'publishableKey', issuer: 'https://exotic-crab-75.clerk.accounts.dev' });
    expect(out).not.toContain(env.CLERK_SECRET_KEY);
  });

  it.each([
    ['@types/express 5', {}],
    ['@types/express 4', { express: ['./node_modules/@types/express4'] }],
  ])('type-checks a user\'s Express app with %s, req.user typed', (_, paths) => {
    writeFileSync(
      path.join(project, 'app.ts'),
      `import express from 'express';
import { clerkAuth, clerkWebhook, getAuth, requireAuthorization, requireRole, type ClerkUser } from 'express-clerk-jwt';
import { createTestIssuer, type MintOptions } from 'express-clerk-jwt/testing';

const app = express();
app.post('/webhooks/clerk', clerkWebhook(), (req, res) => {
  const event = req.webhookEvent;
  const email: string | undefined = event?.type === 'user.created' ? event.data.email_addresses[0]?.email_address : undefined;
  res.json({ email });
});
app.use('/api/agents', clerkAuth());
app.get('/api/admin', clerkAuth(), requireRole('admin'), requireAuthorization((auth, req) => auth.has({ permission: 'org:a:read' }) && req.method === 'GET'), (req, res) => {
  const orgId: string | null | undefined = getAuth(req)?.orgId;
  res.json({ orgId });
});
app.get('/api/reports', clerkAuth({
  authorizeUser: async (user, req) => user.org_role === 'org:admin' && req.path.length > 0,
}), (req, res) => {
  const user: ClerkUser | undefined = req.user;
  const sub: string | undefined = req.user?.sub;
  res.json({ sub, org: user?.org_id });
});
export default app;
export async function adminToken(options: MintOptions = {}): Promise<string> {
  const issuer = await createTestIssuer({ version: 2 });
  try {
    return await issuer.mint({ sub: 'user_1' }, { ...options, organization: { id: 'org_1', role: 'admin' } });
  } finally {
    await issuer.close();
  }
}
`,
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'node16', target: 'es2022', esModuleInterop: true, noEmit: true, types: ['node'], paths },
        files: ['app.ts'],
      }),
    );
    expect(typeCheck(project)).toEqual({ status: 0, output: '' });
  }, 60_000);
});
