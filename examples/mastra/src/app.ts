/**
 * An Express app with a Mastra server in it. One Clerk verifier serves both guards:
 *
 *   GET  /health                 public
 *   GET  /me                     any signed-in user        clerkAuth()               (the app's own route)
 *   GET  /admin/overview         organization admins       clerkAuth() + requireRole (the app's own route)
 *   /api/*                       any signed-in user,       the Mastra provider (agents, workflows, memory),
 *                                or a machine (M2M token)  with acceptsToken ['session_token', 'm2m_token']
 *
 * Memory threads and workflow runs belong to whoever made them (the provider's default
 * mapUserToResourceId is the token's sub: the user id, or the machine id mch_…): Mastra answers
 * 403 to anyone else.
 */
import type { Mastra } from '@mastra/core/mastra';
import { MastraServer } from '@mastra/express';
import express, { type Express } from 'express';
// In your app: from 'express-clerk-jwt'. The examples use the repository's source.
import { clerkAuth, createClerkVerifier, createMastraAuthProvider, ENV_VARS, getAuth, requireRole, type ClerkVerifier, type ClerkVerifierOptions } from '../../../lib';
import { createMastra } from './mastra';

/** Mastra's routes take session tokens (people, Studio) and M2M tokens (agents, services, scripts). */
export const MASTRA_ACCEPTS = ['session_token', 'm2m_token'] as const;

/**
 * Opaque M2M tokens (mt_…) are verified by Clerk's Backend API, which needs CLERK_MACHINE_SECRET_KEY
 * or CLERK_SECRET_KEY. Without either, say so explicitly (opaqueTokens: false): M2M JWTs, which
 * the instance's keys verify, are then the only M2M tokens accepted.
 */
export function machineTokenOptions(options: ClerkVerifierOptions = {}): ClerkVerifierOptions {
  const env = options.env ?? process.env;
  const values = [options.secretKey, options.machineSecretKey, env[ENV_VARS.secretKey], env[ENV_VARS.machineSecretKey]];
  return values.some((value) => (value ?? '').trim() !== '') ? options : { opaqueTokens: false, ...options };
}

/** The provider Mastra's server.auth gets: the shared verifier, and machine tokens let in. */
export function createProvider(verifier: ClerkVerifier) {
  return createMastraAuthProvider({ verifier, acceptsToken: MASTRA_ACCEPTS });
}

export interface MastraExample {
  readonly app: Express;
  readonly mastra: Mastra;
}

export async function createApp(options: ClerkVerifierOptions = {}): Promise<MastraExample> {
  // One verifier: the signing keys are fetched and cached once for both guards.
  const verifier = createClerkVerifier(machineTokenOptions(options));
  const mastra = createMastra(createProvider(verifier));
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  // The app's own routes, guarded by clerkAuth(): session tokens only (the default acceptsToken),
  // so an M2M token gets 401 token_type_mismatch here.
  app.get('/me', clerkAuth({ verifier }), (req, res) => {
    const auth = getAuth(req);
    res.json({ userId: auth?.userId, orgId: auth?.orgId ?? null, orgRole: auth?.orgRole ?? null });
  });
  app.get('/admin/overview', clerkAuth({ verifier }), requireRole('org:admin'), (req, res) => {
    res.json({ orgId: getAuth(req)?.orgId ?? null, agents: Object.keys(mastra.listAgents()), workflows: Object.keys(mastra.listWorkflows()) });
  });

  // Mastra's routes under /api, guarded by the provider (server.auth). Mastra reads parsed JSON.
  app.use('/api', express.json({ limit: '1mb' }));
  const server = new MastraServer({ app, mastra });
  await server.init();
  return { app, mastra };
}
