import { label, readEnv } from '../shared/env-vars';
import { nearMissHint } from '../shared/near-miss';
import { ClerkConfigError } from '../shared/errors';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// Svix makes 24-byte secrets; anything much shorter is a truncated copy.
const MIN_SECRET_BYTES = 16;
const WHERE = 'Clerk Dashboard → Configure → Webhooks → your endpoint → Signing Secret';

/**
 * The HMAC keys of `signingSecret` (or `CLERK_WEBHOOK_SIGNING_SECRET`): one per secret, several
 * while you move to a new endpoint secret. The env variable may hold several, comma-separated. A
 * blank option or variable is unset; an empty list, a blank entry or a secret listed twice is an
 * error (a list that is not what it looks like).
 *
 * @throws {ClerkConfigError} naming the option and env variable, never the secret.
 */
export function resolveWebhookSigningSecrets(given: unknown, env: Readonly<Record<string, string | undefined>>): Buffer[] {
  const option = 'signingSecret';
  let secrets: readonly string[];
  if (given === undefined || (typeof given === 'string' && given.trim() === '')) {
    const value = readEnv(env, option);
    if (value === undefined) {
      throw new ClerkConfigError(`No webhook signing secret: set ${label(option)} to the endpoint's secret (whsec_…) from the ${WHERE}.${nearMissHint(env, option)}`, option);
    }
    secrets = value.split(',');
  } else if (typeof given === 'string') {
    secrets = [given];
  } else if (Array.isArray(given) && given.every((entry) => typeof entry === 'string')) {
    if (given.length === 0) {
      throw new ClerkConfigError(`${label(option)} is an empty list: give the endpoint's secret (whsec_…) from the ${WHERE}.`, option);
    }
    secrets = given;
  } else {
    throw new ClerkConfigError(`${label(option)} must be a string (or an array of strings while rotating secrets).`, option);
  }
  const several = secrets.length > 1;
  const keys = secrets.map((entry, index) => {
    const secret = entry.trim();
    const name = several ? `entry ${index + 1} of ${label(option)}` : label(option);
    if (secret === '') throw new ClerkConfigError(`${name} is blank: remove it (a trailing or doubled comma?) or put a whsec_ secret there.`, option);
    return parseWebhookSigningSecret(secret, name);
  });
  keys.forEach((key, index) => {
    const first = keys.findIndex((other) => other.equals(key));
    if (first !== index) {
      throw new ClerkConfigError(`${label(option)}: entries ${first + 1} and ${index + 1} are the same secret. While rotating, list the old and the new secret once each.`, option);
    }
  });
  return keys;
}

/**
 * Decodes one `whsec_<base64>` secret into its HMAC key, as Svix does.
 *
 * @param name How messages name the setting.
 * @throws {ClerkConfigError} without the secret in the message.
 */
export function parseWebhookSigningSecret(secret: string, name = label('signingSecret')): Buffer {
  const fail = (problem: string): ClerkConfigError => new ClerkConfigError(`${name} ${problem}. Copy it from the ${WHERE}.`, 'signingSecret');
  if (/^(sk|pk)_(test|live)_/.test(secret)) {
    throw fail(`holds a Clerk API key (${secret.slice(0, 3)}…), not a webhook signing secret; the signing secret starts with whsec_`);
  }
  if (!secret.startsWith(PREFIX)) throw fail('is not a webhook signing secret: it must start with whsec_');
  const body = secret.slice(PREFIX.length);
  const key = Buffer.from(body, 'base64');
  // Buffer skips characters that are not base64; re-encoding catches a mangled copy.
  if (!BASE64.test(body) || key.toString('base64').replace(/=+$/, '') !== body.replace(/=+$/, '')) {
    throw fail('is malformed: whsec_ must be followed by base64');
  }
  if (key.length < MIN_SECRET_BYTES) throw fail(`is too short (${key.length} bytes once decoded; at least ${MIN_SECRET_BYTES} expected): was it copied whole?`);
  return key;
}
