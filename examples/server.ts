/**
 * An agent API protected by express-clerk-jwt.
 *
 *   GET  /health                          public
 *   GET  /api/agents                      any signed-in user   (app.use guard)
 *   POST /api/agents/:agentId/generate    any signed-in user   (app.use guard)
 *   GET  /api/reports                     organization admins  (per-route guard)
 *   POST /webhooks/clerk                  Clerk webhooks, when CLERK_WEBHOOK_SIGNING_SECRET is set
 *
 * `npm start` runs it. With Clerk keys in the environment (or .env) it verifies real Clerk
 * session tokens; with none, outside production, it runs in offline development mode and prints a
 * token to try. Tests import createApp() and drive it with supertest.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
// In your app: from 'express-clerk-jwt'. The examples use the source, as Express's own examples do.
import { clerkAuth, createClerkVerifier, ENV_VARS, type ClerkVerifierOptions, type ClerkWebhookOptions } from '../lib';
import { createOfflineDevKeys } from './offline-dev-keys';
import { createWebhookRouter, describeWebhooks, WEBHOOK_PATH } from './webhooks';

export function createApp(options: ClerkVerifierOptions = {}, webhookOptions: ClerkWebhookOptions = {}): Express {
  // One verifier, shared by every guard, so the signing keys are fetched and cached once.
  const verifier = createClerkVerifier(options);
  const app = express();
  // Before express.json(): the webhook route verifies the raw body.
  const webhooks = createWebhookRouter(webhookOptions);
  if (webhooks !== null) app.use(WEBHOOK_PATH, webhooks);
  app.use(express.json());

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  app.use('/api/agents', clerkAuth({ verifier }));
  app.get('/api/agents', (req, res) => {
    res.json({ agents: ['weather', 'research'], userId: req.user?.sub });
  });
  app.post('/api/agents/:agentId/generate', (req, res) => {
    res.json({ agentId: req.params.agentId, userId: req.user?.sub, text: `Hello from ${req.params.agentId}` });
  });

  app.get(
    '/api/reports',
    clerkAuth({ verifier, authorizeUser: (user) => user.org_role === 'org:admin' }),
    (req, res) => {
      res.json({ report: 'usage', orgId: req.user?.org_id });
    },
  );
  return app;
}

const KEY_VARIABLES = [ENV_VARS.jwtKey, ENV_VARS.jwksUri, ENV_VARS.publishableKey, ENV_VARS.secretKey];

async function main(): Promise<void> {
  (await import('dotenv')).config({ quiet: true });
  const port = Number(process.env['PORT'] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number (0 to 65535).');
  const configured = KEY_VARIABLES.some((name) => (process.env[name] ?? '').trim() !== '');
  console.log(describeWebhooks());

  if (configured) {
    listen(createApp(), port, (base) => `express-clerk-jwt example listening on ${base} (Clerk keys from the environment)`);
    return;
  }
  if (process.env['NODE_ENV'] === 'production') {
    throw new Error(`Refusing to start: NODE_ENV=production and none of ${KEY_VARIABLES.join(', ')} is set.`);
  }

  const dev = await createOfflineDevKeys();
  const app = createApp({ jwtKey: dev.jwtKey, env: {} });
  const token = await dev.mint('user_offline_dev');
  listen(app, port, (base) => `express-clerk-jwt example listening on ${base}

  *** OFFLINE DEVELOPMENT MODE ***
  No Clerk keys are set (${KEY_VARIABLES.join(', ')}),
  so this server trusts a throwaway key made at startup instead of your Clerk instance.
  Never use this mode in production; set your Clerk keys in .env to leave it.

  A session token for user_offline_dev, valid for 1 hour:

  export TOKEN=${token}

  Then try:
    curl -H "Authorization: Bearer $TOKEN" ${base}/api/agents       # 200
    curl -i ${base}/api/agents                                      # 401 missing_token
    curl -i -H "Authorization: Bearer $TOKEN" ${base}/api/reports   # 403 insufficient_scope (not an org admin)
`);
}

function listen(app: Express, port: number, banner: (base: string) => string): Server {
  const server = app.listen(port, () => console.log(banner(`http://localhost:${(server.address() as AddressInfo).port}`)));
  server.on('error', (error) => {
    console.error(`Cannot listen on port ${port}: ${error.message}. Set PORT to a free port.`);
    process.exitCode = 1;
  });
  return server;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
