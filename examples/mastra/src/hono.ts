/**
 * The same Mastra server on Mastra's Hono adapter (@mastra/hono), for the tests that check the
 * provider on both adapters. It needs Clerk keys in the environment, as `npm start` does outside
 * offline mode, and listens on HOST (default 127.0.0.1) and PORT (default 4112).
 */
import { serve } from '@hono/node-server';
import { MastraServer } from '@mastra/hono';
import { Hono } from 'hono';
// In your app: from 'express-clerk-jwt'.
import { createClerkVerifier } from '../../../lib';
import { createProvider, machineTokenOptions } from './app';
import { createMastra } from './mastra';

async function main(): Promise<void> {
  const mastra = createMastra(createProvider(createClerkVerifier(machineTokenOptions())));
  const app = new Hono();
  const server = new MastraServer({ app, mastra });
  await server.init();
  const port = Number(process.env['PORT'] ?? 4112);
  const hostname = process.env['HOST']?.trim() || '127.0.0.1';
  const listening = serve({ fetch: app.fetch, port, hostname }, (info) => console.log(`Mastra (Hono) listening on http://${hostname}:${info.port}`));
  const shutdown = () => listening.close();
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
