import type { KeyObject } from 'node:crypto';
import { ENV_VARS, label } from './env-vars';
import { ClerkConfigError } from './errors';
import { parseJwtKey } from '../verification/jwt-key';
import type { ClerkLogEvent } from './log-events';
import { parsePublishableKey, type PublishableKeyInfo } from './publishable-key';
import { DEFAULT_TOKEN_CACHE_SIZE } from '../verification/token-cache';
import type { ClerkMachineTokenType } from '../machine-tokens/accepts-token';

/**
 * Where the package writes its few operational messages (key-set outages and recoveries), and,
 * when it has an `event` method, one structured event per refused request and per key-set
 * incident. Nothing it receives ever holds a token, a key or a claim value.
 */
export interface ClerkLogger {
  /** One line per key-set incident and per recovery, never per request. */
  warn(message: string): void;
  /**
   * Optional: receives a {@link ClerkLogEvent} for every refused request (`request_refused`, with
   * `code`, `reason` and the request id) and every key-set incident. A throw here is ignored.
   */
  event?(event: ClerkLogEvent): void;
}

/**
 * Options of `createClerkVerifier()`; `clerkAuth()` takes them too. Each option with an
 * environment variable falls back to it; an empty or blank value counts as unset. A value that
 * would switch a check off (see the README's configuration rules) is a startup error. Any one of
 * `jwtKey`, `jwksUri`, `publishableKey` or `secretKey` is enough to verify tokens.
 */
export interface ClerkVerifierOptions {
  /**
   * URL of the instance's JSON Web Key Set, `https://<frontend-api>/.well-known/jwks.json`.
   * Plain `http` is accepted only for loopback hosts (local development). Default is
   * `CLERK_JWKS_URI`.
   */
  jwksUri?: string | undefined;
  /**
   * Publishable key, `pk_test_…` or `pk_live_…`. Encodes the Frontend API host: the keys are read
   * from `https://<frontend-api>/.well-known/jwks.json` and `iss` is pinned to
   * `https://<frontend-api>`. Default is `CLERK_PUBLISHABLE_KEY`.
   */
  publishableKey?: string | undefined;
  /**
   * Secret key, `sk_test_…` or `sk_live_…`. When it is the only key source, the keys are read from
   * `<apiUrl>/v1/jwks` with `Authorization: Bearer <secretKey>`. Never printed. Default is
   * `CLERK_SECRET_KEY`.
   */
  secretKey?: string | undefined;
  /**
   * The instance's PEM public key ("JWT public key" in the Clerk Dashboard). When set it wins over
   * every other key source and verification needs no network. Default is `CLERK_JWT_KEY`.
   */
  jwtKey?: string | undefined;
  /** Backend API base URL, used with `secretKey`. Default is `CLERK_API_URL`, else `https://api.clerk.com`. */
  apiUrl?: string | undefined;
  /**
   * Origins allowed in the `azp` claim, e.g. `['https://app.example.com']`. When set, a token
   * without `azp` or with another origin is refused. Default is `CLERK_AUTHORIZED_PARTIES`
   * (comma-separated; unset or blank means none). An empty array, a blank entry or a duplicate is
   * a startup error. Without either, `azp` is not checked (not recommended in production).
   */
  authorizedParties?: readonly string[] | undefined;
  /**
   * Expected `iss` claim. Default is derived: `https://<frontend-api>` from the publishable key, or
   * a `jwksUri` ending in `/.well-known/jwks.json` without that suffix; when neither is available
   * `iss` is not checked (as in Clerk's SDK) and the signature alone ties the token to the instance.
   */
  issuer?: string | undefined;
  /**
   * Allowed clock difference, in milliseconds, for `exp`, `nbf` and `iat`, from 0 to 300000 (a
   * larger one would keep 60-second tokens valid for too long). Default is 5000 (5 seconds).
   */
  clockSkewInMs?: number | undefined;
  /** Provider name: the `WWW-Authenticate` realm and the label of log lines. Default is `clerk`. */
  name?: string | undefined;
  /**
   * Whether a v2 token with `sts: "pending"` (a session with unfinished tasks) counts as signed in.
   * Default is false, as in Clerk's SDK.
   */
  acceptPendingSessions?: boolean | undefined;
  /**
   * Whether tokens made from a JWT template (header `cat: cl_B7d4PD222AAA`, from
   * `getToken({ template })`) are accepted besides session tokens, for custom claims such as
   * `email_verified`. Machine (M2M) tokens are refused either way. Default is false, as in Clerk's SDK.
   */
  acceptJwtTemplates?: boolean | undefined;
  /** Timeout of one JWKS request, in milliseconds. Default is 5000 (5 seconds). */
  jwksTimeoutInMs?: number | undefined;
  /**
   * Minimum time between two JWKS requests caused by tokens with an unknown `kid`, in
   * milliseconds, counted from the last request whatever its outcome. After a failed request, new
   * ones wait the smaller of this and 5 seconds. At most 86400000 (24 hours). Default is 30000
   * (30 seconds).
   */
  jwksCooldownInMs?: number | undefined;
  /**
   * Maximum age of the cached JWKS before it is fetched again, in milliseconds; it bounds how long
   * a key removed from the JWKS keeps verifying. From 1 to 86400000 (24 hours). Default is 600000
   * (10 minutes).
   */
  jwksCacheMaxAgeInMs?: number | undefined;
  /**
   * How long past `jwksCacheMaxAgeInMs` the keys fetched earlier keep verifying while the JWKS
   * cannot be refreshed (unreachable, failing), in milliseconds, so that a short Clerk outage does
   * not lock every user out; after it, requests get 503. 0 turns it off. A refresh that succeeds
   * replaces the keys at once, so a key removed from the JWKS stops verifying then. At most
   * 86400000 (24 hours). Default is 3600000 (1 hour).
   */
  jwksStaleWindowInMs?: number | undefined;
  /**
   * How many verified tokens to remember, so that a token sent again skips the signature check
   * until it expires (its claims are still checked against the clock on every request, and an entry
   * is dropped once its key leaves the key set). `0` turns the cache off. Default is 1000.
   */
  tokenCacheSize?: number | undefined;
  /**
   * Receives one line when the key set cannot be loaded and one when it loads again (never per
   * request, never a secret); its optional `event` method gets structured events. `false`
   * silences it. Default is `console`.
   */
  logger?: ClerkLogger | false | undefined;
  /**
   * Accepted audiences (`aud`), for Clerk OAuth access tokens above all: when set, an OAuth access
   * token must carry an `aud` naming one of them, and any other token that carries an `aud` (a
   * session token, a JWT-template token, an M2M JWT) must name one too, as in Clerk's SDK. A
   * string or a non-empty list of strings; a blank value, an empty list or a duplicate is a startup
   * error. Default is none (`aud` is not checked).
   */
  audience?: string | readonly string[] | undefined;
  /**
   * A machine secret key (`ak_…`, Clerk Dashboard → Machines), to verify opaque M2M tokens
   * (`mt_…`) with the Backend API when `secretKey` is not set (`secretKey` can verify them too).
   * Never printed. Default is `CLERK_MACHINE_SECRET_KEY`.
   */
  machineSecretKey?: string | undefined;
  /**
   * Whether opaque machine tokens (`mt_…`, `ak_…`, `oat_…`) are verified through Clerk's Backend
   * API (`apiUrl`; `secretKey`, or `machineSecretKey` for M2M tokens). Set false when your machines
   * and OAuth clients send JWTs only: then accepting `m2m_token` or `oauth_token` needs no key, and
   * opaque tokens are refused (401 `token_type_mismatch`) without any request. Default is true.
   */
  opaqueTokens?: boolean | undefined;
  /**
   * How long a Backend API answer about an opaque machine token is reused, in milliseconds, from 0
   * (every request asks Clerk; concurrent requests with the same token still share one call) to
   * 300000 (5 minutes). Never past the token's expiration; it bounds how long a revoked token keeps
   * working. Default is 10000 (10 seconds).
   */
  opaqueTokenCacheTtlInMs?: number | undefined;
  /** Timeout of one Backend API request for an opaque machine token, in milliseconds. Default is 5000 (5 seconds). */
  apiTimeoutInMs?: number | undefined;
  /**
   * Where environment variables are read (an unset, empty or blank variable is unset). Default is
   * `process.env`, read once at factory time.
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Where the verifier gets its keys; see {@link ClerkVerifierOptions}. */
export type ClerkKeySource = 'jwtKey' | 'jwksUri' | 'publishableKey' | 'secretKey';

/** The resolved configuration of a verifier. Holds no secret: safe to log. */
export interface ClerkConfig {
  readonly name: string;
  readonly keySource: ClerkKeySource;
  /** URL the keys are fetched from; `null` with `jwtKey`. */
  readonly jwksUri: string | null;
  /** Expected `iss`; `null` when it is not checked. */
  readonly issuer: string | null;
  readonly authorizedParties: readonly string[];
  readonly clockSkewInMs: number;
  readonly acceptPendingSessions: boolean;
  readonly acceptJwtTemplates: boolean;
  /** The publishable key (public); `null` without one. */
  readonly publishableKey: string | null;
  /** From the publishable or secret key; `null` when neither is set. */
  readonly instanceType: 'development' | 'production' | null;
  /** Frontend API host from the publishable key; `null` without one. */
  readonly frontendApi: string | null;
  readonly jwksTimeoutInMs: number;
  readonly jwksCooldownInMs: number;
  readonly jwksCacheMaxAgeInMs: number;
  readonly jwksStaleWindowInMs: number;
  /** Verified tokens remembered; 0 when the cache is off. */
  readonly tokenCacheSize: number;
  /** Backend API base URL (no credentials), without a trailing slash. */
  readonly apiUrl: string;
  /** Accepted `aud` values; empty when `aud` is not checked. */
  readonly audience: readonly string[];
  /** Whether opaque machine tokens may be verified through the Backend API. */
  readonly opaqueTokens: boolean;
  /**
   * The machine token types whose opaque form this verifier has a key for (`m2m_token` with
   * `machineSecretKey` or `secretKey`; `api_key` and `oauth_token` with `secretKey`); empty with
   * `opaqueTokens: false`.
   */
  readonly opaqueTokenTypes: readonly ClerkMachineTokenType[];
  readonly opaqueTokenCacheTtlInMs: number;
  readonly apiTimeoutInMs: number;
}

/** Key material. Internal: the remote headers may hold the secret key. */
export type KeyMaterial =
  | { readonly kind: 'static'; readonly key: KeyObject }
  | { readonly kind: 'remote'; readonly url: URL; readonly headers: Readonly<Record<string, string>> };

/** Keys for the Backend API's opaque-token endpoints. Internal: never in config, messages or logs. */
export interface OpaqueTokenKeys {
  readonly secretKey: string | null;
  readonly machineSecretKey: string | null;
}

export interface ResolvedConfig {
  readonly config: ClerkConfig;
  readonly keys: KeyMaterial;
  readonly opaqueTokenKeys: OpaqueTokenKeys;
  /** `null` when logging is off. */
  readonly logger: ClerkLogger | null;
}

type StringOption = Exclude<keyof typeof ENV_VARS, 'authorizedParties' | 'signingSecret'>;

// A record, so that the compiler insists on every option being listed.
const VERIFIER_OPTION_SET: Record<keyof ClerkVerifierOptions, true> = {
  jwksUri: true,
  publishableKey: true,
  secretKey: true,
  jwtKey: true,
  apiUrl: true,
  authorizedParties: true,
  issuer: true,
  clockSkewInMs: true,
  name: true,
  acceptPendingSessions: true,
  acceptJwtTemplates: true,
  jwksTimeoutInMs: true,
  jwksCooldownInMs: true,
  jwksCacheMaxAgeInMs: true,
  jwksStaleWindowInMs: true,
  tokenCacheSize: true,
  logger: true,
  audience: true,
  machineSecretKey: true,
  opaqueTokens: true,
  opaqueTokenCacheTtlInMs: true,
  apiTimeoutInMs: true,
  env: true,
};

/** Names of every option of {@link ClerkVerifierOptions}. */
export const VERIFIER_OPTIONS = Object.keys(VERIFIER_OPTION_SET) as (keyof ClerkVerifierOptions)[];

/** Clerk's Backend API. */
export const DEFAULT_API_URL = 'https://api.clerk.com';
const JWKS_PATH = '/.well-known/jwks.json';
const SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9+/=_-]+$/;
const MACHINE_SECRET_KEY = /^ak_[A-Za-z0-9+/=_-]+$/;
/** Largest `opaqueTokenCacheTtlInMs`: 5 minutes, how long a revoked opaque token may keep working at most. */
export const MAX_OPAQUE_TOKEN_CACHE_TTL_MS = 300_000;
const REALM = /^[\x20-\x7e]{1,100}$/;
// setTimeout (and so AbortSignal.timeout) cannot wait longer.
export const MAX_TIMER_MS = 2 ** 31 - 1;
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
 * Throws a {@link ClerkConfigError} for any key of `options` not in `known`, with a suggestion
 * when the name is close to a known one. A misspelt security option must not be silently ignored.
 */
export function assertKnownOptions(options: unknown, known: readonly string[], factory: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ClerkConfigError(`${factory}() options must be an object.`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const near = known.find((candidate) => similar(candidate, name));
    throw new ClerkConfigError(
      `${factory}() got an unknown option "${name}"${near === undefined ? '' : ` (did you mean "${near}"?)`}. Known options: ${known.join(', ')}.`,
      name,
    );
  }
}

/**
 * Resolves options and environment into a frozen configuration, validating everything once.
 *
 * @throws {ClerkConfigError} naming the option and its environment variable.
 */
export function resolveConfig(options: ClerkVerifierOptions = {}): ResolvedConfig {
  assertKnownOptions(options, VERIFIER_OPTIONS, 'createClerkVerifier');
  const env = resolveEnv(options.env);
  const read = (option: StringOption): string | undefined => {
    const given = options[option];
    if (given !== undefined && typeof given !== 'string') {
      throw new ClerkConfigError(`${label(option)} must be a string.`, option);
    }
    return blankToUndefined(given) ?? blankToUndefined(env[ENV_VARS[option]]);
  };

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

/** Reads an optional boolean option. */
export function checkBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ClerkConfigError(`${option} must be true or false.`, option);
  return value;
}

/** Bounds of a number option. */
export interface NumberRule {
  min: number;
  max?: number;
  integer?: boolean;
  /** Unit named in the message. Default is `milliseconds`. */
  unit?: string;
}

/** Reads an optional number option within `rule`; `fallback` when it is undefined. */
export function checkNumber(value: unknown, option: string, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const max = rule.max ?? Number.MAX_VALUE;
  const ok =
    typeof value === 'number' && value >= rule.min && value <= max && (rule.integer === true ? Number.isInteger(value) : Number.isFinite(value));
  if (!ok) {
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    const unit = rule.unit ?? 'milliseconds';
    const kind = rule.integer === true ? `a whole number of ${unit}` : `a number of ${unit}`;
    throw new ClerkConfigError(`${option} must be ${kind} ${range}; default is ${fallback}.`, option);
  }
  return value;
}

function checkCount(value: unknown, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ClerkConfigError(`${option} must be a whole number from 0 (off) to ${max}; default is ${fallback}.`, option);
  }
  return value;
}

/** `console` by default, `null` for `false`, else an object with `warn()`. */
export function resolveLogger(logger: unknown): ClerkLogger | null {
  if (logger === undefined) return console;
  if (logger === false) return null;
  if (typeof logger !== 'object' || logger === null || typeof (logger as ClerkLogger).warn !== 'function') {
    throw new ClerkConfigError('logger must be an object with a warn(message) method, such as console, or false.', 'logger');
  }
  const event: unknown = (logger as { event?: unknown }).event;
  if (event !== undefined && typeof event !== 'function') {
    throw new ClerkConfigError('logger.event must be a function (event) => void when it is set.', 'logger');
  }
  return logger as ClerkLogger;
}

/** Checks the shape of a secret key (never printing it); returns its instance type. */
export function checkSecretKey(secretKey: string): 'development' | 'production' {
  if (/^pk_(test|live)_/.test(secretKey)) {
    throw new ClerkConfigError(`${label('secretKey')} holds a publishable key (pk_…); the secret key starts with sk_test_ or sk_live_.`, 'secretKey');
  }
  if (MACHINE_SECRET_KEY.test(secretKey)) {
    throw new ClerkConfigError(`${label('secretKey')} holds a machine secret key (ak_…): put it in ${label('machineSecretKey')}; the instance secret key starts with sk_test_ or sk_live_.`, 'secretKey');
  }
  if (!SECRET_KEY.test(secretKey)) {
    throw new ClerkConfigError(`${label('secretKey')} is not a Clerk secret key: expected sk_test_… or sk_live_… followed by base64 characters (Clerk Dashboard → API Keys).`, 'secretKey');
  }
  return secretKey.startsWith('sk_live_') ? 'production' : 'development';
}

/** Checks the shape of a machine secret key (`ak_…`), never printing it. */
function checkMachineSecretKey(machineSecretKey: string): void {
  if (SECRET_KEY.test(machineSecretKey)) {
    throw new ClerkConfigError(
      `${label('machineSecretKey')} holds an instance secret key (sk_…): put it in ${label('secretKey')}, which verifies opaque M2M tokens too; a machine secret key starts with ak_.`,
      'machineSecretKey',
    );
  }
  if (!MACHINE_SECRET_KEY.test(machineSecretKey)) {
    throw new ClerkConfigError(`${label('machineSecretKey')} is not a Clerk machine secret key: expected ak_ followed by base64 characters (Clerk Dashboard → Machines).`, 'machineSecretKey');
  }
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
    throw new ClerkConfigError(`${option} is an empty list, which would accept no OAuth access token at all: list the audiences of this API, or leave the option undefined (then aud is not checked).`, option);
  }
  const audience: string[] = [];
  entries.forEach((entry: string, index) => {
    if (entry.trim() === '') throw new ClerkConfigError(`${option} ${entries.length === 1 ? 'is' : `entry ${index + 1} is`} blank: put the audience of this API there, or leave the option undefined.`, option);
    if (entry.trim() !== entry || entry.length > 500) throw new ClerkConfigError(`${option} entry ${index + 1} has surrounding spaces or is over 500 characters: aud is compared exactly.`, option);
    if (audience.includes(entry)) throw new ClerkConfigError(`${option}: "${entry}" is listed twice. List each audience once.`, option);
    audience.push(entry);
  });
  return Object.freeze(audience);
}

function parseJwksUri(value: string, publishable: PublishableKeyInfo | null, apiUrl: URL, secretKey: string | undefined): URL {
  const expected = `https://${publishable?.frontendApi ?? '<your-frontend-api>'}${JWKS_PATH}`;
  const fail = (problem: string): ClerkConfigError =>
    new ClerkConfigError(`Invalid JWKS URI: ${label('jwksUri')} ${problem}. Expected ${expected}`, 'jwksUri');
  const { url, problem } = parseHttpUrl(value);
  if (url === null) throw fail(problem);
  if (url.pathname === '/') throw fail('has no path: the key set is served at /.well-known/jwks.json');
  if (publishable !== null && url.hostname !== publishable.frontendApi) {
    throw fail(`points at ${url.host}, but ${label('publishableKey')} belongs to ${publishable.frontendApi}`);
  }
  if (url.origin === apiUrl.origin && secretKey === undefined) {
    throw fail(`points at the Backend API (${apiUrl.host}), which needs ${label('secretKey')}; use the public Frontend API key set instead`);
  }
  return url;
}

/** Parses `apiUrl`: https (or http on loopback), no credentials, query or fragment. */
export function parseApiUrl(value: string): URL {
  const fail = (problem: string): ClerkConfigError => new ClerkConfigError(`${label('apiUrl')} ${problem}. Expected e.g. ${DEFAULT_API_URL}`, 'apiUrl');
  const { url, problem } = parseHttpUrl(value);
  if (url === null) throw fail(problem);
  if (url.search !== '' || url.hash !== '') throw fail('must not have a query or fragment');
  return url;
}

/** A URL that keys or secrets may be fetched from: https, or http on a loopback host; no credentials. */
function parseHttpUrl(value: string): { url: URL; problem: null } | { url: null; problem: string } {
  const url = parseUrl(value);
  if (url === null) return { url, problem: 'is not a URL' };
  if (url.username !== '' || url.password !== '') return { url: null, problem: 'must not contain a user name or password' };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return { url: null, problem: 'must use https (plain http is allowed only for localhost, 127.x.x.x and ::1)' };
  }
  return { url, problem: null };
}

function resolveIssuer(given: unknown, publishable: PublishableKeyInfo | null, jwksUri: URL | null): string | null {
  if (typeof given === 'string' && given.trim() === '') {
    // No environment variable to fall back on: a blank value is a mistake, not "derive it".
    throw new ClerkConfigError('issuer is blank: leave it undefined to derive it (from the publishable key or jwksUri), or set the exact iss of your tokens, e.g. https://clerk.example.com.', 'issuer');
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
function resolveAuthorizedParties(given: unknown, env: Readonly<Record<string, string | undefined>>): string[] {
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
    const value = env[ENV_VARS.authorizedParties];
    if (value === undefined || value.trim() === '') {
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
      throw new ClerkConfigError(
        `${label(option)} entry ${index + 1} is blank: remove it (a trailing or doubled comma?) or put an origin there, e.g. https://app.example.com.`,
        option,
      );
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

/** `localhost`, 127.0.0.0/8 and ::1: names that never leave the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '[::1]';
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Trims; an empty or blank value is unset. */
export function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The `env` option: an object of environment variables, or `process.env` when undefined (never for `null`). */
export function resolveEnv(env: unknown): Readonly<Record<string, string | undefined>> {
  if (env === undefined) return process.env;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw new ClerkConfigError('env must be an object of environment variables (or undefined for process.env).', 'env');
  }
  return env as Readonly<Record<string, string | undefined>>;
}

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
const ALIASES: Readonly<Record<string, keyof typeof ENV_VARS>> = {
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
export function nearMissEnvVar(env: Readonly<Record<string, string | undefined>>, option: keyof typeof ENV_VARS): string | undefined {
  const wanted = ENV_VARS[option];
  const normal = (name: string) => name.toUpperCase().replace(/_/g, '').replace(/IES$/, 'Y');
  for (const name of Object.keys(env)) {
    if (CLERK_VARIABLES.has(name) || !/^clerk_/i.test(name) || (env[name] ?? '').trim() === '') continue;
    if (ALIASES[name.toUpperCase()] === option || similar(normal(name), normal(wanted))) return name;
  }
  return undefined;
}

/** ` Found X: did you mean Y?` when `env` has a near miss of `option`'s variable; else ''. */
export function nearMissHint(env: Readonly<Record<string, string | undefined>>, option: keyof typeof ENV_VARS): string {
  const found = nearMissEnvVar(env, option);
  return found === undefined ? '' : ` Found ${found}: did you mean ${ENV_VARS[option]}?`;
}

// Edit distance of at most 2, or equal ignoring case: enough to catch "authorisedParties".
function similar(a: string, b: string): boolean {
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
