/**
 * Near misses: an option or environment variable name that is almost one of ours (a typo, a case,
 * another SDK's name), so that a misspelt setting is a startup error with a suggestion instead of
 * a check silently left off.
 */
import { ENV_VARS, type Env, type EnvOption } from './env-vars';

/** Variables of Clerk's own SDKs: never taken for a misspelling of one of ours. */
const CLERK_VARIABLES = new Set<string>([
  ...Object.values(ENV_VARS),
  'CLERK_API_KEY',
  'CLERK_API_VERSION',
  'CLERK_MACHINE_SECRET_KEY',
  'CLERK_ENCRYPTION_KEY',
  'CLERK_DOMAIN',
  'CLERK_PROXY_URL',
  'CLERK_IS_SATELLITE',
  'CLERK_SIGN_IN_URL',
  'CLERK_SIGN_UP_URL',
  'CLERK_FRONTEND_API',
  'CLERK_TELEMETRY_DISABLED',
  'CLERK_TELEMETRY_DEBUG',
]);

/** Other names people give our variables (Clerk's docs and other SDKs). */
const ALIASES: Readonly<Record<string, EnvOption>> = {
  CLERK_AUTHORIZED_ORIGINS: 'authorizedParties',
  CLERK_ALLOWED_ORIGINS: 'authorizedParties',
  CLERK_AUTHORIZED_PARTY: 'authorizedParties',
  CLERK_WEBHOOK_SECRET: 'signingSecret',
  CLERK_SIGNING_SECRET: 'signingSecret',
  CLERK_WEBHOOK_SIGNING_KEY: 'signingSecret',
  CLERK_JWKS_URL: 'jwksUri',
  CLERK_JWT_PUBLIC_KEY: 'jwtKey',
  CLERK_PEM_PUBLIC_KEY: 'jwtKey',
};

/**
 * A non-blank variable of `env` that looks like a misspelling of `option`'s variable (case, an
 * underscore, a letter or two, singular for plural, a common other name), for a variable that is
 * itself unset. Its value is never read into a message.
 */
export function nearMissEnvVar(env: Env, option: EnvOption): string | undefined {
  const wanted = ENV_VARS[option];
  const normal = (name: string) => name.toUpperCase().replace(/_/g, '').replace(/IES$/, 'Y');
  for (const name of Object.keys(env)) {
    if (CLERK_VARIABLES.has(name) || !/^clerk_/i.test(name) || (env[name] ?? '').trim() === '') continue;
    if (ALIASES[name.toUpperCase()] === option || isSimilarName(normal(name), normal(wanted))) return name;
  }
  return undefined;
}

/** ` Found X: did you mean Y?` when `env` has a near miss of `option`'s variable; else ''. */
export function nearMissHint(env: Env, option: EnvOption): string {
  const found = nearMissEnvVar(env, option);
  return found === undefined ? '' : ` Found ${found}: did you mean ${ENV_VARS[option]}?`;
}

/** Edit distance of at most 2, or equal ignoring case: enough to catch "authorisedParties". */
export function isSimilarName(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  if (Math.abs(a.length - b.length) > 2) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return (previous[b.length] as number) <= 2;
}
