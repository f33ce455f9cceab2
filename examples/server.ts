/**
 * An agent API protected by express-clerk-jwt.
 *
 *   GET  /health                          public
 *   GET  /api/agents                      any signed-in user     (app.use guard)
 *   POST /api/agents/:agentId/generate    any signed-in user     (app.use guard)
 *   GET  /api/admin/usage                 organization admins    (per-route guard)
 *   POST /webhooks/clerk                  Clerk webhooks, when CLERK_WEBHOOK_SIGNING_SECRET is set
 *
 * Browsers may call it from the client origins in CORS_ORIGIN (comma-separated; default
 * http://localhost:5173, the React client's dev server), preflight included.
 *
 * `npm start` runs it. With Clerk keys in the environment (or .env) it verifies real Clerk session
 * tokens; with none, outside production, it starts a local test issuer in-process (offline
 * development mode), listens on 127.0.0.1 only, and prints tokens to try (valid 10 minutes; Enter
 * prints new ones). Tests import createApp() and drive it with supertest.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import cors from 'cors';
import express, { type Express } from 'express';
// In your app: from 'express-clerk-jwt' and 'express-clerk-jwt/testing'. The examples use the
// source, as Express's own examples do.
import { clerkAuth, createClerkVerifier, ENV_VARS, getAuth, requireRole, type ClerkVerifierOptions, type ClerkWebhookOptions } from '../lib';
import { createTestIssuer } from '../lib/testing';
import { createWebhookRouter, describeWebhooks, WEBHOOK_PATH } from './webhooks';

/** Options of {@link createApp}: the verifier's, plus the browser origins allowed by CORS. */
export interface ExampleAppOptions extends ClerkVerifierOptions {
  /** Origins of the web clients allowed to call the API. Default is `http://localhost:5173`. */
  corsOrigins?: readonly string[] | undefined;
}

/** The React client's dev server (Vite). */
export const DEFAULT_CORS_ORIGIN = 'http://localhost:5173';
export const AGENTS = ['weather', 'research'] as const;

export function createApp(options: ExampleAppOptions = {}, webhookOptions: ClerkWebhookOptions = {}): Express {
  const { corsOrigins = [DEFAULT_CORS_ORIGIN], ...verifierOptions } = options;
  // One verifier, shared by every guard, so the signing keys are fetched and cached once.
  const verifier = createClerkVerifier(verifierOptions);
  const generations = new Map<string, number>();
  const app = express();
  // CORS first: it answers preflights itself (they carry no credentials, and clerkAuth() refuses
  // every request without them, OPTIONS included) and adds CORS headers to every answer, 401s
  // included, so the browser can read them.
  app.use(cors({ origin: [...corsOrigins], allowedHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  // The webhook route verifies the raw body: no JSON parser may run before it (the agent route
  // parses its own body).
  const webhooks = createWebhookRouter(webhookOptions);
  if (webhooks !== null) app.use(WEBHOOK_PATH, webhooks);

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  app.use('/api/agents', clerkAuth({ verifier }));
  app.get('/api/agents', (req, res) => {
    res.json({ agents: AGENTS, userId: req.user?.sub });
  });
  app.post('/api/agents/:agentId/generate', express.json(), (req, res) => {
    const agentId = String(req.params.agentId);
    if (!(AGENTS as readonly string[]).includes(agentId)) {
      res.status(404).json({ error: 'unknown_agent', message: `No agent named ${JSON.stringify(agentId)}.` });
      return;
    }
    // getAuth() reads the active organization from v1 (org_id) and v2 (o.id) claims alike.
    const organization = getAuth(req)?.orgId ?? null;
    if (organization !== null) generations.set(organization, (generations.get(organization) ?? 0) + 1);
    const said = (req.body as { prompt?: unknown } | undefined)?.prompt;
    const prompt = typeof said === 'string' ? said : '';
    res.json({ agentId, userId: req.user?.sub, text: `Hello from ${agentId}${prompt === '' ? '' : `: you said ${JSON.stringify(prompt)}`}` });
  });

  // A per-route guard: org_role (v1) or o.rol (v2) must be admin.
  app.get('/api/admin/usage', clerkAuth({ verifier }), requireRole('org:admin'), (req, res) => {
    const organization = getAuth(req)?.orgId ?? null;
    res.json({ orgId: organization, generations: organization === null ? 0 : (generations.get(organization) ?? 0) });
  });
  return app;
}

const KEY_VARIABLES = [ENV_VARS.jwtKey, ENV_VARS.jwksUri, ENV_VARS.publishableKey, ENV_VARS.secretKey];
/** Lifetime of the tokens offline mode prints: long enough to try the curl lines, short enough to leak little. */
export const OFFLINE_TOKEN_SECONDS = 600;
/** Offline mode listens here only: its issuer signs whatever it is asked. */
const LOOPBACK = '127.0.0.1';
const DEFAULT_PORT = 3000;

type Env = Readonly<Record<string, string | undefined>>;

/** `NODE_ENV` is production, however it is spelt (`Production`, ` production`): offline mode never runs then. */
export function isProductionEnv(env: Env = process.env): boolean {
  return (env['NODE_ENV'] ?? '').trim().toLowerCase() === 'production';
}

/** `PORT`: a port number; unset or blank (`PORT=` in a .env template) is 3000. */
export function readPort(env: Env = process.env): number {
  const value = (env['PORT'] ?? '').trim();
  if (value === '') return DEFAULT_PORT;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`PORT must be a port number (0 to 65535), not ${JSON.stringify(value)}.`);
  return port;
}

/**
 * `CORS_ORIGIN`: comma-separated origins; unset or blank is http://localhost:5173. A blank entry or
 * one that is not an exact origin (the cors package compares strings, so `https://a.example.com/`
 * would never match) stops the server rather than silently allowing less, or nothing.
 */
export function readCorsOrigins(env: Env = process.env): string[] {
  const value = (env['CORS_ORIGIN'] ?? '').trim();
  if (value === '') return [DEFAULT_CORS_ORIGIN];
  return value.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: string | null = null;
    try {
      parsed = new URL(origin).origin;
    } catch {
      // not a URL: refused below
    }
    if (origin === '' || parsed !== origin) {
      throw new Error(
        `CORS_ORIGIN entry ${JSON.stringify(origin)} is not an origin: expected comma-separated scheme://host[:port], e.g. http://localhost:5173, with no blank entry, path or trailing slash.`,
      );
    }
    return origin;
  });
}

async function main(): Promise<void> {
  (await import('dotenv')).config({ quiet: true });
  const port = readPort();
  const corsOrigins = readCorsOrigins();
  const configured = KEY_VARIABLES.some((name) => (process.env[name] ?? '').trim() !== '');

  if (configured) {
    const app = createApp({ corsOrigins });
    listen(
      app,
      port,
      undefined,
      [],
      (base) => `express-clerk-jwt example listening on ${base} (Clerk keys from the environment; CORS for ${corsOrigins.join(', ')})
${describeWebhooks()}`,
    );
    return;
  }
  if (isProductionEnv()) {
    throw new Error(
      `Refusing to start: NODE_ENV=production and none of ${KEY_VARIABLES.join(', ')} is set. Set your Clerk keys (Clerk Dashboard → API Keys); offline development mode never runs in production.`,
    );
  }

  // Offline development mode: a local test issuer stands in for Clerk. Tokens carry azp = the
  // first client origin, which issuer.env makes the only authorized party.
  const issuer = await createTestIssuer({ authorizedParty: corsOrigins[0] ?? DEFAULT_CORS_ORIGIN });
  let app: Express;
  try {
    app = createApp({ env: issuer.env, corsOrigins, logger: false });
  } catch (error) {
    await issuer.close(); // or its listening server keeps the process alive after the error
    throw error;
  }
  const mintTokens = async () => {
    const lifetime = { expiresInSeconds: OFFLINE_TOKEN_SECONDS };
    const token = await issuer.mint({ sub: 'user_offline_dev' }, { ...lifetime, organization: { id: 'org_offline_dev', role: 'member' } });
    const adminToken = await issuer.mint({ sub: 'user_offline_admin' }, { ...lifetime, organization: { id: 'org_offline_dev', role: 'admin' } });
    return `  export TOKEN=${token}\n  export ADMIN_TOKEN=${adminToken}\n`;
  };
  const validity = `valid for ${OFFLINE_TOKEN_SECONDS / 60} minutes`;
  const tokens = await mintTokens();
  // Enter prints new tokens: nothing on the network hands them out.
  const input = createInterface({ input: process.stdin });
  input.on('line', () => {
    void mintTokens().then((fresh) => console.log(`\n  New session tokens, ${validity}:\n\n${fresh}`));
  });
  listen(
    app,
    port,
    LOOPBACK,
    [issuer, { close: () => Promise.resolve(input.close()) }],
    (base) => `express-clerk-jwt example listening on ${base} (loopback only)

  *** OFFLINE DEVELOPMENT MODE: NOT CONNECTED TO CLERK ***
  No Clerk keys are set (${KEY_VARIABLES.join(', ')}),
  so a local test issuer (express-clerk-jwt/testing, ${issuer.issuer}) signs tokens in place
  of your Clerk instance. It listens on ${LOOPBACK} only: other machines cannot reach it.
  Never use this mode in production; set your Clerk keys in .env to leave it.

  ${describeWebhooks()}

  Session tokens ${validity}: TOKEN for an organization member, ADMIN_TOKEN for an admin.
  Press Enter in this terminal for new ones (or restart npm start).

${tokens}
  Then try:
    curl -H "Authorization: Bearer $TOKEN" ${base}/api/agents                # 200
    curl -i ${base}/api/agents                                               # 401 missing_token
    curl -i -H "Authorization: Bearer $TOKEN" ${base}/api/admin/usage        # 403 insufficient_scope
    curl -H "Authorization: Bearer $ADMIN_TOKEN" ${base}/api/admin/usage     # 200
`,
  );
}

/** Something to close on shutdown or when listening fails. */
interface Closable {
  close(): Promise<void>;
}

/** Listens on `host` (every interface when undefined), prints `banner`, and closes `resources` on SIGINT/SIGTERM. */
function listen(app: Express, port: number, host: string | undefined, resources: Closable[], banner: (base: string) => string): Server {
  const onListening = () => console.log(banner(`http://${host ?? 'localhost'}:${(server.address() as AddressInfo).port}`));
  const server = host === undefined ? app.listen(port, onListening) : app.listen(port, host, onListening);
  server.on('error', (error) => {
    console.error(`Cannot listen on port ${port}: ${error.message}. Set PORT to a free port.`);
    process.exitCode = 1;
    void Promise.all(resources.map((resource) => resource.close()));
  });
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    void Promise.all(resources.map((resource) => resource.close()));
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  return server;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
