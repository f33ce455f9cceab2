/**
 * The Mastra side of the example: one agent with memory and one workflow, neither of which needs
 * an LLM key or the network, behind `server.auth`.
 */
import { Agent } from '@mastra/core/agent';
import { ConsoleLogger } from '@mastra/core/logger';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { createMockModel } from '@mastra/core/test-utils/llm-mock';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { Memory } from '@mastra/memory';
import { z } from 'zod';
// In your app: from 'express-clerk-jwt'. The examples use the repository's source.
import type { ClerkMastraAuthProvider, ClerkPrincipal } from '../../../lib';

/** The text the agent's offline model answers every prompt with. */
export const MODEL_ANSWER = 'Hello from the offline test model.';

const greet = createStep({
  id: 'greet',
  inputSchema: z.object({ name: z.string().min(1).max(100) }),
  outputSchema: z.object({ greeting: z.string() }),
  execute: async ({ inputData }) => ({ greeting: `Hello, ${inputData.name}` }),
});

const shout = createStep({
  id: 'shout',
  inputSchema: z.object({ greeting: z.string() }),
  outputSchema: z.object({ message: z.string() }),
  execute: async ({ inputData }) => ({ message: `${inputData.greeting.toUpperCase()}!` }),
});

/** Builds the Mastra instance; `auth` is the Clerk provider, Mastra's `server.auth`. */
export function createMastra(auth: ClerkMastraAuthProvider<ClerkPrincipal>): Mastra {
  // Threads, messages and workflow runs live in memory: they are gone when the process ends.
  const storage = new InMemoryStore();
  const assistant = new Agent({
    id: 'assistant',
    name: 'Assistant',
    instructions: 'You answer in one short sentence.',
    // A scripted model from Mastra's own test utilities: answers MODEL_ANSWER without any key or
    // network. Put a real model here, e.g. 'openai/gpt-5-mini' with OPENAI_API_KEY set.
    model: createMockModel({ mockText: MODEL_ANSWER, version: 'v2' }),
    // Threads belong to a resource: the provider's mapUserToResourceId (default: the token's sub).
    memory: new Memory({ storage, options: { lastMessages: 20 } }),
  });
  const greeting = createWorkflow({
    id: 'greeting',
    inputSchema: z.object({ name: z.string().min(1).max(100) }),
    outputSchema: z.object({ message: z.string() }),
  })
    .then(greet)
    .then(shout)
    .commit();

  return new Mastra({
    agents: { assistant },
    workflows: { greeting },
    storage,
    // Mastra 1.x reads server.auth (experimental_auth is ignored and would leave every route open).
    server: { auth },
    logger: new ConsoleLogger({ name: 'mastra', level: 'warn' }),
  });
}
