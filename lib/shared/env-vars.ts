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

/** How messages name an option: `jwksUri (CLERK_JWKS_URI)`, or the bare name when it has no env var. */
export function label(option: string): string {
  const envVar = (ENV_VARS as Record<string, string | undefined>)[option];
  return envVar === undefined ? option : `${option} (${envVar})`;
}
