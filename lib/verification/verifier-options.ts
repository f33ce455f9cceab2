/**
 * The verifier's options (`createClerkVerifier()`, and so `clerkAuth()` and the Mastra provider)
 * and what they resolve to: the public option types, the resolved configuration, and the list of
 * option names.
 */
import type { KeyObject } from 'node:crypto';
import type { ClerkMachineTokenType } from '../machine-tokens/machine-principal';
import type { ClerkLogger } from '../shared/logger';
import { optionNames } from '../shared/option-checks';

/**
 * Options of `createClerkVerifier()`; `clerkAuth()` takes them too. Each option with an
 * environment variable falls back to it; an empty or blank value counts as unset. A value that
 * would switch a check off (docs/configuration.md) is a startup error. Any one of
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
   * is dropped once its key leaves the key set). Once the cache is full, a new token displaces the
   * least recently used one only when it is verified a second time, so one-off tokens cannot flush
   * the tokens in use. `0` turns the cache off. Default is 1000.
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
export type KeyMaterial = { readonly kind: 'static'; readonly key: KeyObject } | { readonly kind: 'remote'; readonly url: URL; readonly headers: Readonly<Record<string, string>> };

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

/** Names of every option of {@link ClerkVerifierOptions}. */
export const VERIFIER_OPTIONS = optionNames<ClerkVerifierOptions>({
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
});
