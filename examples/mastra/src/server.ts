/**
 * `npm start`. With Clerk keys in the environment (CLERK_JWT_KEY, CLERK_JWKS_URI,
 * CLERK_PUBLISHABLE_KEY or CLERK_SECRET_KEY) it verifies real Clerk tokens. With none, outside
 * production, it runs offline: a local test issuer (express-clerk-jwt/testing) signs tokens in
 * place of Clerk, a local fake of Clerk's Backend API judges opaque machine tokens, the server
 * listens on 127.0.0.1 only, and it prints short-lived tokens and curl lines to try.
 *
 * PORT (default 4111; 0 picks a free port) and, with Clerk keys, HOST (default: all interfaces).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// In your app: from 'express-clerk-jwt' and 'express-clerk-jwt/testing'.
import { ENV_VARS } from '../../../lib';
import { createTestBackendApi, createTestIssuer } from '../../../lib/testing';
import { createApp } from './app';

const KEY_VARIABLES = [ENV_VARS.jwtKey, ENV_VARS.jwksUri, ENV_VARS.publishableKey, ENV_VARS.secretKey];
const OFFLINE_HOST = '127.0.0.1';
const OFFLINE_TOKEN_SECONDS = 10 * 60;

async function main(): Promise<void> {
  const port = Number(process.env['PORT'] ?? 4111);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number (0 to 65535).');
  const configured = KEY_VARIABLES.some((name) => (process.env[name] ?? '').trim() !== '');

  if (configured) {
    const { app } = await createApp();
    const host = process.env['HOST']?.trim() || undefined;
    listen(app, port, host, [], (base) => `Mastra example listening on ${base} (Clerk keys from the environment)`);
    return;
  }
  if (process.env['NODE_ENV'] === 'production') {
    throw new Error(`Refusing to start: NODE_ENV=production and none of ${KEY_VARIABLES.join(', ')} is set. Offline mode never runs in production.`);
  }

  // Offline: no network at all, so Mastra's usage telemetry and model-registry refresh are off.
  process.env['MASTRA_TELEMETRY_DISABLED'] ??= '1';
  process.env['MASTRA_OFFLINE'] ??= '1';
  const issuer = await createTestIssuer();
  const backendApi = await createTestBackendApi();
  const resources = [issuer, backendApi];
  let created: Awaited<ReturnType<typeof createApp>>;
  try {
    // The issuer's key set verifies JWTs; the fake Backend API judges opaque machine tokens (mt_…).
    created = await createApp({ env: { ...issuer.env, ...backendApi.env }, logger: false });
  } catch (error) {
    await Promise.all(resources.map((resource) => resource.close())); // or their servers keep the process alive after the error
    throw error;
  }
  const lifetime = { expiresInSeconds: OFFLINE_TOKEN_SECONDS };
  const userToken = await issuer.mint({ sub: 'user_offline_alice' }, { ...lifetime, organization: { id: 'org_offline', role: 'member' } });
  const adminToken = await issuer.mint({ sub: 'user_offline_admin' }, { ...lifetime, organization: { id: 'org_offline', role: 'admin' } });
  // Clerk's M2M tokens, for agents and services: a JWT (sub mch_…, header cat cl_B7d4PD333AAA), and an opaque mt_… token.
  const m2mToken = await issuer.mintM2M({ sub: 'mch_offline_agent' }, { ...lifetime, scopes: ['mch_offline_mastra'] });
  const m2mOpaqueToken = backendApi.issue('m2m_token', { subject: 'mch_offline_worker', scopes: ['mch_offline_mastra'], expiresInSeconds: OFFLINE_TOKEN_SECONDS });

  listen(
    created.app,
    port,
    OFFLINE_HOST,
    resources,
    (base) => `Mastra example listening on ${base}

  *** OFFLINE DEVELOPMENT MODE: NOT CONNECTED TO CLERK ***
  None of ${KEY_VARIABLES.join(', ')} is set, so a local test issuer
  (express-clerk-jwt/testing, ${issuer.issuer}) signs tokens in place of your Clerk instance,
  and a local fake of Clerk's Backend API (${backendApi.apiUrl}) judges opaque machine tokens.
  Never use this mode in production: set your Clerk keys to leave it.

  Tokens valid for ${OFFLINE_TOKEN_SECONDS / 60} minutes: TOKEN (Alice, organization member), ADMIN_TOKEN
  (organization admin), M2M_TOKEN (a machine, JWT) and M2M_OPAQUE_TOKEN (another machine, mt_…).

  export TOKEN=${userToken}
  export ADMIN_TOKEN=${adminToken}
  export M2M_TOKEN=${m2mToken}
  export M2M_OPAQUE_TOKEN=${m2mOpaqueToken}

  The app's own routes (clerkAuth):
    curl -H "Authorization: Bearer $TOKEN" ${base}/me                          # 200
    curl -i ${base}/me                                                          # 401 missing_token
    curl -i -H "Authorization: Bearer $TOKEN" ${base}/admin/overview            # 403 insufficient_scope
    curl -H "Authorization: Bearer $ADMIN_TOKEN" ${base}/admin/overview         # 200

  Mastra's routes (createMastraAuthProvider):
    curl -i ${base}/api/agents                                                  # 401
    curl -H "Authorization: Bearer $TOKEN" ${base}/api/agents                   # 200
    curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
      -d '{"messages":"Hi","memory":{"thread":"alice-1"}}' ${base}/api/agents/assistant/generate   # 200
    curl -H "Authorization: Bearer $TOKEN" "${base}/api/memory/threads/alice-1/messages?agentId=assistant"       # 200, Alice's thread
    curl -i -H "Authorization: Bearer $ADMIN_TOKEN" "${base}/api/memory/threads/alice-1/messages?agentId=assistant"  # 403, not the admin's
    curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
      -d '{"inputData":{"name":"Alice"}}' "${base}/api/workflows/greeting/start-async"   # 200, HELLO, ALICE!

  Machine tokens (Mastra's routes accept session and M2M tokens; the app's own routes session tokens only):
    curl -H "Authorization: Bearer $M2M_TOKEN" ${base}/api/agents               # 200, the machine mch_offline_agent
    curl -H "Authorization: Bearer $M2M_OPAQUE_TOKEN" ${base}/api/agents        # 200, verified by the (fake) Backend API
    curl -H "Authorization: Bearer $M2M_TOKEN" -H "Content-Type: application/json" \\
      -d '{"messages":"Hi","memory":{"thread":"agent-1"}}' ${base}/api/agents/assistant/generate   # 200, a thread of mch_offline_agent
    curl -i -H "Authorization: Bearer $M2M_TOKEN" ${base}/me                    # 401 invalid_token (token_type_mismatch)
`,
  );
}

function listen(app: import('express').Express, port: number, host: string | undefined, resources: { close(): Promise<void> }[], banner: (base: string) => string): Server {
  const onListening = () => {
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? (address.address === '::' ? 'localhost' : `[${address.address}]`) : address.address === '0.0.0.0' ? 'localhost' : address.address;
    console.log(banner(`http://${shown}:${address.port}`));
  };
  const server = host === undefined ? app.listen(port, onListening) : app.listen(port, host, onListening);
  const closeResources = () => void Promise.all(resources.map((resource) => resource.close()));
  server.on('error', (error) => {
    console.error(`Cannot listen on port ${port}: ${error.message}. Set PORT to a free port.`);
    process.exitCode = 1;
    closeResources();
  });
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    closeResources();
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  return server;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
