/**
 * Clerk webhooks for the example server: POST /webhooks/clerk keeps a small user directory in
 * step with Clerk (user.created, user.updated, user.deleted).
 *
 * Mount the router BEFORE app.use(express.json()): clerkWebhook() reads the raw body itself,
 * because the signature covers the exact bytes Clerk sent.
 */
import { Router } from 'express';
// In your app: from 'express-clerk-jwt'.
import { clerkWebhook, ENV_VARS, type ClerkUserJSON, type ClerkWebhookOptions } from '../lib';

export const WEBHOOK_PATH = '/webhooks/clerk';

/** What the example keeps of a user; your app would write to its database instead. */
export interface DirectoryEntry {
  id: string;
  email: string | null;
  name: string;
}

/**
 * The webhook router, or `null` when no signing secret is configured (`signingSecret` or
 * `CLERK_WEBHOOK_SIGNING_SECRET` in `options.env`), so that the example runs without one.
 *
 * @throws {ClerkConfigError} when a secret is set but malformed.
 */
export function createWebhookRouter(options: ClerkWebhookOptions = {}, directory = new Map<string, DirectoryEntry>()): Router | null {
  const env = options.env ?? process.env;
  if (options.signingSecret === undefined && (env[ENV_VARS.signingSecret] ?? '').trim() === '') return null;

  const router = Router();
  router.post('/', clerkWebhook(options), (req, res) => {
    const event = req.webhookEvent!;
    switch (event.type) {
      case 'user.created':
      case 'user.updated':
        directory.set(event.data.id, toEntry(event.data));
        break;
      case 'user.deleted':
        if (event.data.id !== undefined) directory.delete(event.data.id);
        break;
      default:
        // Answer 2xx to events you do not handle, or Clerk retries them.
        break;
    }
    res.json({ received: event.type });
  });
  return router;
}

/** One line for the start-up banner: where webhooks are received, or how to turn them on. */
export function describeWebhooks(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (env[ENV_VARS.signingSecret] ?? '').trim() === ''
    ? `Webhooks: off (set ${ENV_VARS.signingSecret} to receive Clerk events at POST ${WEBHOOK_PATH})`
    : `Webhooks: POST ${WEBHOOK_PATH} (signatures checked with ${ENV_VARS.signingSecret})`;
}

function toEntry(user: ClerkUserJSON): DirectoryEntry {
  const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
  return {
    id: user.id,
    email: primary?.email_address ?? null,
    name: [user.first_name, user.last_name].filter((part) => part !== null && part !== '').join(' '),
  };
}
