/**
 * An Express app with a Mastra server in it. One Clerk verifier serves both guards:
 *
 *   GET  /health                 public
 *   GET  /me                     any signed-in user        clerkAuth()               (the app's own route)
 *   GET  /admin/overview         organization admins       clerkAuth() + requireRole (the app's own route)
 *   /api/*                       any signed-in user        the Mastra provider (agents, workflows, memory)
 *
 * Memory threads and workflow runs belong to the user who made them (the provider's default
 * mapUserToResourceId is the user id): Mastra answers 403 to anyone else.
 */
import type { Mastra } from '@mastra/core/mastra';
import { MastraServer } from '@mastra/express';
import express, { type Express } from 'express';
// In your app: from 'express-clerk-jwt'. The examples use the repository's source.
import { clerkAuth, createClerkVerifier, createMastraAuthProvider, getAuth, requireRole, type ClerkVerifierOptions } from '../../../lib';
import { createMastra } from './mastra';

export interface MastraExample {
  readonly app: Express;
  readonly mastra: Mastra;
}

export async function createApp(options: ClerkVerifierOptions = {}): Promise<MastraExample> {
  // One verifier: the signing keys are fetched and cached once for both guards.
  const verifier = createClerkVerifier(options);
  const mastra = createMastra(createMastraAuthProvider({ verifier }));
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  // The app's own routes, guarded by clerkAuth().
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
