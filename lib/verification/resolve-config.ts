/**
 * The verifier's configuration: options and environment resolved into a frozen {@link ClerkConfig}
 * and the key material, everything validated once, at startup.
 */
import { ENV_VARS, label, readEnv, readOptionOrEnv, resolveEnv, type Env, type EnvOption } from '../shared/env-vars';
import { ClerkConfigError } from '../shared/errors';
import { checkMachineSecretKey, checkSecretKey, DEFAULT_API_URL, JWKS_PATH, parseApiUrl, parseJwksUri, parsePublishableKey, parseUrl, type PublishableKeyInfo } from '../shared/clerk-keys';
import { resolveLogger } from '../shared/logger';
import { nearMissEnvVar, nearMissHint } from '../shared/near-miss';
import { assertKnownOptions, checkBoolean, checkCount, checkNumber, MAX_TIMER_MS } from '../shared/option-checks';
import type { ClerkMachineTokenType } from '../machine-tokens/machine-principal';
import { parseJwtKey } from './jwt-key';
import { DEFAULT_TOKEN_CACHE_SIZE } from './token-cache';
import { VERIFIER_OPTIONS, type ClerkConfig, type ClerkKeySource, type ClerkVerifierOptions, type KeyMaterial, type ResolvedConfig } from './verifier-options';

/** The options read as a string or, when unset, from their environment variable (the lists are parsed apart). */
type StringOption = Exclude<EnvOption, 'authorizedParties' | 'signingSecret'>;

/** Largest `opaqueTokenCacheTtlInMs`: 5 minutes, how long a revoked opaque token may keep working at most. */
export const MAX_OPAQUE_TOKEN_CACHE_TTL_MS = 300_000;
const REALM = /^[\x20-\x7e]{1,100}$/;
// Each entry holds a token and its payload (a few KiB at most): this bounds the memory.
const MAX_TOKEN_CACHE_SIZE = 1_000_000;
/**
 * Largest `clockSkewInMs`: 5 minutes. A session token lives 60 seconds; a skew of minutes already
 * keeps it valid several times longer, and a huge one would switch `exp`, `nbf` and `iat` off.
 */
export const MAX_CLOCK_SKEW_MS = 300_000;
/**
 * Largest `jwksCacheMaxAgeInMs`, `jwksStaleWindowInMs` and `jwksCooldownInMs`: 24 hours. Each
 * bounds how long a key removed from the JWKS (rotated out after a leak) may keep verifying.
 */
export const MAX_KEY_SET_MS = 86_400_000;

/**
 * Resolves options and environment into a frozen configuration, validating everything once.
 *
 * @throws {ClerkConfigError} naming the option and its environment variable.
 */
export function resolveConfig(options: ClerkVerifierOptions = {}): ResolvedConfig {
  assertKnownOptions(options, VERIFIER_OPTIONS, 'createClerkVerifier');
  const env = resolveEnv(options.env);
  const read = (option: StringOption): string | undefined => readOptionOrEnv(options[option], env, option);

  const name = options.name ?? 'clerk';
  if (typeof name !== 'string' || !REALM.test(name) || name.trim() !== name) {
    throw new ClerkConfigError('name must be 1 to 100 printable ASCII characters without surrounding spaces (it is the WWW-Authenticate realm).', 'name');
  }

  const publishableKeyValue = read('publishableKey');
  const publishable = publishableKeyValue === undefined ? null : parsePublishableKey(publishableKeyValue);
  const secretKey = read('secretKey');
  const secretKeyType = secretKey === undefined ? null : checkSecretKey(secretKey);
  if (publishable !== null && secretKeyType !== null && publishable.instanceType !== secretKeyType) {
    throw new ClerkConfigError(
      `${label('publishableKey')} is a ${publishable.instanceType} key but ${label('secretKey')} is a ${secretKeyType} key: both must come from the same Clerk instance (Clerk Dashboard → API Keys).`,
      null,
    );
  }

  const machineSecretKey = read('machineSecretKey');
  if (machineSecretKey !== undefined) checkMachineSecretKey(machineSecretKey);
  const apiUrl = parseApiUrl(read('apiUrl') ?? DEFAULT_API_URL);
  const jwksUriValue = read('jwksUri');
  const jwksUri = jwksUriValue === undefined ? null : parseJwksUri(jwksUriValue, publishable, apiUrl, secretKey);
  const jwtKeyValue = read('jwtKey');
  const jwtKey = jwtKeyValue === undefined ? null : parseJwtKey(jwtKeyValue);

  let keySource: ClerkKeySource;
  let keys: KeyMaterial;
  if (jwtKey !== null) {
    keySource = 'jwtKey';
    keys = { kind: 'static', key: jwtKey };
  } else if (jwksUri !== null) {
    keySource = 'jwksUri';
    const sendSecret = secretKey !== undefined && jwksUri.origin === apiUrl.origin;
    keys = { kind: 'remote', url: jwksUri, headers: sendSecret ? { authorization: `Bearer ${secretKey}` } : {} };
  } else if (publishable !== null) {
    keySource = 'publishableKey';
    keys = { kind: 'remote', url: new URL(`https://${publishable.frontendApi}${JWKS_PATH}`), headers: {} };
  } else if (secretKey !== undefined) {
    keySource = 'secretKey';
    keys = { kind: 'remote', url: new URL(`${apiUrl.href.replace(/\/$/, '')}/v1/jwks`), headers: { authorization: `Bearer ${secretKey}` } };
  } else {
    const hints = (['jwtKey', 'jwksUri', 'publishableKey', 'secretKey'] as const).map((option) => nearMissHint(env, option)).join('');
    throw new ClerkConfigError(
      `No way to get Clerk's signing keys: set one of ${label('jwtKey')}, ${label('jwksUri')}, ${label('publishableKey')} or ${label('secretKey')}. Find them in the Clerk Dashboard under API Keys.${hints}`,
      null,
    );
  }

  // The opaque forms each key can verify (Clerk's Backend API: M2M with either key, the others with the secret key).
  const opaqueTokens = options.opaqueTokens === undefined ? true : checkBoolean(options.opaqueTokens, 'opaqueTokens');
  const opaqueTokenTypes: ClerkMachineTokenType[] = !opaqueTokens
    ? []
    : secretKey !== undefined
      ? ['m2m_token', 'api_key', 'oauth_token']
      : machineSecretKey !== undefined
        ? ['m2m_token']
        : [];

  const config: ClerkConfig = Object.freeze({
    name,
    keySource,
    jwksUri: keys.kind === 'remote' ? keys.url.href : null,
    issuer: resolveIssuer(options.issuer, publishable, jwksUri),
    authorizedParties: Object.freeze(resolveAuthorizedParties(options.authorizedParties, env)),
    clockSkewInMs: checkNumber(options.clockSkewInMs, 'clockSkewInMs', 5000, { min: 0, max: MAX_CLOCK_SKEW_MS }),
    acceptPendingSessions: checkBoolean(options.acceptPendingSessions, 'acceptPendingSessions'),
    acceptJwtTemplates: checkBoolean(options.acceptJwtTemplates, 'acceptJwtTemplates'),
    publishableKey: publishable === null ? null : (publishableKeyValue as string),
    instanceType: publishable?.instanceType ?? secretKeyType,
    frontendApi: publishable?.frontendApi ?? null,
    jwksTimeoutInMs: checkNumber(options.jwksTimeoutInMs, 'jwksTimeoutInMs', 5000, { min: 1, max: MAX_TIMER_MS, integer: true }),
    jwksCooldownInMs: checkNumber(options.jwksCooldownInMs, 'jwksCooldownInMs', 30_000, { min: 0, max: MAX_KEY_SET_MS }),
    jwksCacheMaxAgeInMs: checkNumber(options.jwksCacheMaxAgeInMs, 'jwksCacheMaxAgeInMs', 600_000, { min: 1, max: MAX_KEY_SET_MS }),
    jwksStaleWindowInMs: checkNumber(options.jwksStaleWindowInMs, 'jwksStaleWindowInMs', 3_600_000, { min: 0, max: MAX_KEY_SET_MS }),
    tokenCacheSize: checkCount(options.tokenCacheSize, 'tokenCacheSize', DEFAULT_TOKEN_CACHE_SIZE, MAX_TOKEN_CACHE_SIZE),
    apiUrl: apiUrl.href.replace(/\/$/, ''),
    audience: resolveAudience(options.audience),
    opaqueTokens,
    opaqueTokenTypes: Object.freeze(opaqueTokenTypes),
    opaqueTokenCacheTtlInMs: checkNumber(options.opaqueTokenCacheTtlInMs, 'opaqueTokenCacheTtlInMs', 10_000, { min: 0, max: MAX_OPAQUE_TOKEN_CACHE_TTL_MS, integer: true }),
    apiTimeoutInMs: checkNumber(options.apiTimeoutInMs, 'apiTimeoutInMs', 5000, { min: 1, max: MAX_TIMER_MS, integer: true }),
  });
  const opaqueTokenKeys = Object.freeze({ secretKey: secretKey ?? null, machineSecretKey: machineSecretKey ?? null });
  return Object.freeze({ config, keys: Object.freeze(keys), opaqueTokenKeys, logger: resolveLogger(options.logger) });
}

/**
 * `audience`: a string or a non-empty list of strings, none blank, with surrounding spaces or
 * listed twice. No environment variable: a blank value is a mistake, not "no audience".
 */
function resolveAudience(given: unknown): readonly string[] {
  const option = 'audience';
  if (given === undefined) return Object.freeze([]);
  const entries = typeof given === 'string' ? [given] : given;
  if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === 'string')) {
    throw new ClerkConfigError(`${option} must be a string or a list of strings, e.g. 'https://api.example.com'.`, option);
  }
  if (entries.length === 0) {
    throw new ClerkConfigError(
      `${option} is an empty list, which would accept no OAuth access token at all: list the audiences of this API, or leave the option undefined (then aud is not checked).`,
      option,
    );
  }
  const audience: string[] = [];
  entries.forEach((entry: string, index) => {
    if (entry.trim() === '')
      throw new ClerkConfigError(`${option} ${entries.length === 1 ? 'is' : `entry ${index + 1} is`} blank: put the audience of this API there, or leave the option undefined.`, option);
    if (entry.trim() !== entry || entry.length > 500)
      throw new ClerkConfigError(`${option} entry ${index + 1} has surrounding spaces or is over 500 characters: aud is compared exactly.`, option);
    if (audience.includes(entry)) throw new ClerkConfigError(`${option}: "${entry}" is listed twice. List each audience once.`, option);
    audience.push(entry);
  });
  return Object.freeze(audience);
}

function resolveIssuer(given: unknown, publishable: PublishableKeyInfo | null, jwksUri: URL | null): string | null {
  if (typeof given === 'string' && given.trim() === '') {
    // No environment variable to fall back on: a blank value is a mistake, not "derive it".
    throw new ClerkConfigError(
      'issuer is blank: leave it undefined to derive it (from the publishable key or jwksUri), or set the exact iss of your tokens, e.g. https://clerk.example.com.',
      'issuer',
    );
  }
  if (given !== undefined) {
    const issuer = typeof given === 'string' ? given.trim() : '';
    if (parseUrl(issuer) === null) {
      throw new ClerkConfigError('issuer must be a URL, e.g. https://clerk.example.com.', 'issuer');
    }
    if (issuer.endsWith('/')) {
      throw new ClerkConfigError(`issuer must not end with "/": Clerk tokens carry iss without one, e.g. ${issuer.replace(/\/+$/, '')}.`, 'issuer');
    }
    return issuer;
  }
  if (publishable !== null) return `https://${publishable.frontendApi}`;
  // https://<frontend-api>/.well-known/jwks.json → https://<frontend-api>; a proxy's path prefix stays.
  if (jwksUri?.pathname.endsWith(JWKS_PATH)) return `${jwksUri.origin}${jwksUri.pathname.slice(0, -JWKS_PATH.length)}`;
  return null;
}

/**
 * `authorizedParties`, else the comma list in `CLERK_AUTHORIZED_PARTIES`. Anything that would leave
 * fewer parties than written, or none, is an error: an empty list given as the option, a blank
 * entry (`['']`, `a,,b`, a trailing comma), an entry listed twice, a misspelt variable name. Only
 * an unset or entirely blank variable (`CLERK_AUTHORIZED_PARTIES=` in a .env template) means "no
 * azp check".
 */
function resolveAuthorizedParties(given: unknown, env: Env): string[] {
  const option = 'authorizedParties';
  let entries: readonly string[];
  if (given !== undefined) {
    if (!Array.isArray(given) || !given.every((entry) => typeof entry === 'string')) {
      throw new ClerkConfigError(`${label(option)} must be an array of origins, e.g. ['https://app.example.com'].`, option);
    }
    if (given.length === 0) {
      throw new ClerkConfigError(
        `${label(option)} is an empty list, which would switch the azp check off: list the origins of your frontends, e.g. ['https://app.example.com'], or leave the option undefined (then ${ENV_VARS.authorizedParties} applies).`,
        option,
      );
    }
    entries = given;
  } else {
    const value = readEnv(env, option);
    if (value === undefined) {
      const nearMiss = nearMissEnvVar(env, option);
      if (nearMiss !== undefined) {
        throw new ClerkConfigError(
          `${label(option)} is not set, but the environment has ${nearMiss}: did you mean ${ENV_VARS.authorizedParties}? This package does not read ${nearMiss}, so no azp check would be made. Rename it.`,
          option,
        );
      }
      return [];
    }
    entries = value.split(',');
  }
  const parties: string[] = [];
  entries.forEach((entry, index) => {
    const party = entry.trim();
    if (party === '') {
      throw new ClerkConfigError(`${label(option)} entry ${index + 1} is blank: remove it (a trailing or doubled comma?) or put an origin there, e.g. https://app.example.com.`, option);
    }
    const url = parseUrl(party);
    const isWeb = url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
    if (!party.includes('://') || url === null || (isWeb && url.origin !== party)) {
      const hint = isWeb ? `"${url.origin}"` : 'scheme://host[:port], e.g. "http://localhost:3000"';
      throw new ClerkConfigError(`${label(option)} entry "${party}" is not an origin: expected ${hint}, with no path or trailing slash.`, option);
    }
    if (parties.includes(party)) {
      throw new ClerkConfigError(`${label(option)}: "${party}" is listed twice. Was another origin meant (staging, a port)? List each origin once.`, option);
    }
    parties.push(party);
  });
  return parties;
}
