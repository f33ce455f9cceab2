/**
 * Environment variables: the one each option falls back to, how messages name them, and the one
 * way every factory reads an option or, when it is unset, its variable.
 */
import { ClerkConfigError } from './errors';

/** Environment variable of each option that has one. */
export const ENV_VARS = {
  jwksUri: 'CLERK_JWKS_URI',
  publishableKey: 'CLERK_PUBLISHABLE_KEY',
  secretKey: 'CLERK_SECRET_KEY',
  machineSecretKey: 'CLERK_MACHINE_SECRET_KEY',
  jwtKey: 'CLERK_JWT_KEY',
  apiUrl: 'CLERK_API_URL',
  authorizedParties: 'CLERK_AUTHORIZED_PARTIES',
  signingSecret: 'CLERK_WEBHOOK_SIGNING_SECRET',
} as const;

/** An option that has an environment variable. */
export type EnvOption = keyof typeof ENV_VARS;

/** Environment variables, as `process.env` or the `env` option holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** How messages name an option: `jwksUri (CLERK_JWKS_URI)`, or the bare name when it has no env var. */
export function label(option: string): string {
  const envVar = (ENV_VARS as Record<string, string | undefined>)[option];
  return envVar === undefined ? option : `${option} (${envVar})`;
}

/** The `env` option: an object of environment variables, or `process.env` when undefined (never for `null`). */
export function resolveEnv(env: unknown): Env {
  if (env === undefined) return process.env;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw new ClerkConfigError('env must be an object of environment variables (or undefined for process.env).', 'env');
  }
  return env as Env;
}

/** Trims; an empty or blank value is unset. */
export function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The variable of `option` in `env`, trimmed; `undefined` when it is unset, empty or blank. */
export function readEnv(env: Env, option: EnvOption): string | undefined {
  return blankToUndefined(env[ENV_VARS[option]]);
}

/**
 * A string option, else its environment variable, trimmed; `undefined` when both are unset (an
 * empty or blank value counts as unset).
 *
 * @throws {ClerkConfigError} naming the option when it is given but not a string.
 */
export function readOptionOrEnv(given: unknown, env: Env, option: EnvOption): string | undefined {
  if (given !== undefined && typeof given !== 'string') {
    throw new ClerkConfigError(`${label(option)} must be a string.`, option);
  }
  return blankToUndefined(given) ?? readEnv(env, option);
}
