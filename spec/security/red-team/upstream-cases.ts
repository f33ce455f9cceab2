/**
 * Clerk's own upstream unit tests (github.com/clerk/javascript, `packages/backend`, `packages/shared`,
 * `packages/express`), replayed against this package: every test whose case maps onto one of our
 * entry points (the verifier, `clerkAuth()` with the Bearer header or the session cookie, the
 * cookie authenticator, the auth object and `has()`, the publishable-key and cookie-suffix helpers,
 * the Express adapter) becomes one case here, run through real Express apps (every version given)
 * with Clerk's own `@clerk/backend` judging the very same request where it can run networklessly.
 *
 * Each case records what Clerk's test asserts (`clerk`), our exact answer (`expect`) and, where
 * Clerk accepts and we refuse, the manual's phrase that says why (`stricter`). The runner checks, for
 * every case: our answer is the expected one; we never accept what Clerk's test refuses nor what
 * Clerk 3.25 itself refuses on the same request; a refusal where Clerk accepts is documented.
 *
 * PUBLIC TEST FIXTURES. The constants below (`MOCK_JWT`, `MOCK_RSA_JWK`, `SIGNED_JWT`, the public
 * PEM keys, `PK_TEST`/`PK_LIVE`) are copied verbatim from Clerk's public test fixtures
 * (`packages/backend/src/fixtures/index.ts`): fixed tokens signed years ago by keys whose private
 * halves are not here (Clerk's fixture also holds a private PEM; it is deliberately NOT copied).
 * They are expired test tokens of a test instance, usable only with a pinned clock, and they live
 * in spec/ only, never in lib/. Every other token is minted at run time with a key made at run time.
 *
 * What does not map is listed in {@link NOT_MAPPED}, with why.
 */
import { atTime, b64url, makeKey, publicKey, sign, signRaw, startKeySet, type Key, type KeySetServer } from './kit';
import { clerkVerifyToken, describeError, throughEveryExpress, throughVerifier, type ClerkOptions, type ClerkVerdict, type Deps, type Probe } from './harness';

// ---------------------------------------------------------------------------------------------
// Clerk's public test fixtures (packages/backend/src/fixtures/index.ts), verbatim.

export const MOCK_JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18yR0lvUWhiVXB5MGhYN0IyY1ZrdVRNaW5Yb0QiLCJ0eXAiOiJKV1QifQ.eyJhenAiOiJodHRwczovL2FjY291bnRzLmluc3BpcmVkLnB1bWEtNzQubGNsLmRldiIsImV4cCI6MTY2NjY0ODMxMCwiaWF0IjoxNjY2NjQ4MjUwLCJpc3MiOiJodHRwczovL2NsZXJrLmluc3BpcmVkLnB1bWEtNzQubGNsLmRldiIsIm5iZiI6MTY2NjY0ODI0MCwic2lkIjoic2Vzc18yR2JEQjRlbk5kQ2E1dlMxenBDM1h6Zzl0SzkiLCJzdWIiOiJ1c2VyXzJHSXBYT0VwVnlKdzUxcmtabjlLbW5jNlN4ciJ9.n1Usc-DLDftqA0Xb-_2w8IGs4yjCmwc5RngwbSRvwevuZOIuRoeHmE2sgCdEvjfJEa7ewL6EVGVcM557TWPW--g_J1XQPwBy8tXfz7-S73CEuyRFiR97L2AHRdvRtvGtwR-o6l8aHaFxtlmfWbQXfg4kFJz2UGe9afmh3U9-f_4JOZ5fa3mI98UMy1-bo20vjXeWQ9aGrqaxHQxjnzzC-1Kpi5LdPvhQ16H0dPB8MHRTSM5TAuLKTpPV7wqixmbtcc2-0k6b9FKYZNqRVTaIyV-lifZloBvdzlfOF8nW1VVH_fx-iW5Q3hovHFcJIULHEC1kcAYTubbxzpgeVQepGg';
const MOCK_JWT_SIGNATURE = MOCK_JWT.split('.')[2] as string;
export const MOCK_INVALID_SIGNATURE_JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18yR0lvUWhiVXB5MGhYN0IyY1ZrdVRNaW5Yb0QiLCJ0eXAiOiJKV1QifQ.eyJhenAiOiJodHRwczovL2FjY291bnRzLnRhbXBlcmVkLWRvbWFpbi5kZXYiLCJleHAiOjE2NjY2NDgzMTAsImlhdCI6MTY2NjY0ODI1MCwiaXNzIjoiaHR0cHM6Ly9jbGVyay5pbnNwaXJlZC5wdW1hLTc0LmxjbC5kZXYiLCJuYmYiOjE2NjY2NDgyNDAsInNpZCI6InNlc3NfMkdiREI0ZW5OZENhNXZTMXpwQzNYemc5dEs5Iiwic3ViIjoidXNlcl8yR0lwWE9FcFZ5Snc1MXJrWm45S21uYzZTeHIifQ.' +
  MOCK_JWT_SIGNATURE;
export const MOCK_MALFORMED_JWT = `eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18yR0lvUWhiVXB5MGhYN0IyY1ZrdVRNaW5Yb0QiLCJ0eXAiOiJKV1QifQ.eyJpYXQiOjE2NjY2NDgyNTB9.${MOCK_JWT_SIGNATURE}`;
const MOCK_JWT_HEADER = { alg: 'RS256', kid: 'ins_2GIoQhbUpy0hX7B2cVkuTMinXoD', typ: 'JWT' };
export const MOCK_JWT_PAYLOAD = {
  azp: 'https://accounts.inspired.puma-74.lcl.dev',
  exp: 1666648310,
  iat: 1666648250,
  iss: 'https://clerk.inspired.puma-74.lcl.dev',
  nbf: 1666648240,
  sid: 'sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9',
  sub: 'user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr',
};
export const MOCK_RSA_JWK = {
  use: 'sig',
  kty: 'RSA',
  kid: 'ins_2GIoQhbUpy0hX7B2cVkuTMinXoD',
  alg: 'RS256',
  n: 'u0tNUitBZmcGYMWcqvaRBaJe0XmTQ738RHYoHjhYANyeOkysuu4L_Rqr-fmTXsbebrTp7_OewIqsJXImEWB_WQ3HN9lAkOMCCGDU1udsz_sl1Kwy5JZ7x8Nr4ghXJagQzEF0Ovsj7_TPsBJGkVJ-OiZsTXCe7EAmG5gNGGPBE5Gu14Rwb-eZ5r9RCAaPfhxR1yHYTAvCrku_6i2os7RLpT6UockKtX4QQSH2CMveNwqd6LdwhV8USZrczB2VYkAImngJC745-EWek1sVExYkqheGvC3J8O7D9H4JtaKD2zaq0rJzsIU0zb_wwax5-La-uRuPYvTXlO8B8IK4jjNMCQ',
  e: 'AQAB',
};
const MOCK_PEM_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA8Z1oLQbaYkakUSIYRvjmOoeXMDFFjynGP2+gVy0mQJHYgVhgo34RsQgZoz7rSNm/EOL+l/mHTqQAhwaf9Ef8X5vsPX8vP3RNRRm3XYpbIGbOcANJaHihJZwnzG9zIGYF8ki+m55zftO7pkOoXDtIqCt+5nIUQjGJK5axFELrnWaz2qcR03A7rYKQc3F1gut2Ru1xfmiJVUlQe0tLevQO/FzfYpWu7+691q+ZRUGxWvGc0ays4ACa7JXElCIKXRv/yb3Vc1iry77HRAQ28J7Fqpj5Cb+sxfFI+Vhf1GB1bNeOLPR10nkSMJ74HB0heHi/SsM83JiGekv0CpZPCC8jcQIDAQAB';
const MOCK_PEM_JWT_KEY = `-----BEGIN PUBLIC KEY-----\n${MOCK_PEM_KEY.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PUBLIC KEY-----`;
const PEM_ENCODED_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqYy3MY8fOneEyzNDu9lp
6iGXKkNUF+u/dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsI
jy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK/oPU
Of38pVh7WnekcSBQmU5fqA+EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nN
ot0n1NE+9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV+AG8tBNiZVil415dpBldmJ/j0w
k7Ad4VFi9en3Z17oCKr+K+zuT7vKMKSb1548dk0vnmi0vj2QGXSo+61wM5yQWpk6
sQIDAQAB
-----END PUBLIC KEY-----`;
const SOME_OTHER_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5wdNEDm/HUAO6xarLs6e
cS0/J8GencMs5I6rYS825knb8jsNbfoukYfBiK81vQy1/eK5gdWrEprpXQrmIcwG
akdeUhybYlK68UhHNA5+TAmZ+ReLTJ2QDk5YU4I1NlRRq/bqtEhWsBDOCCkpVsC4
OLnUpsZKGUwpCrE/8stMSJ6Xx+TzBlDe21cV1j0gn5CWswrrXo7m8OIZ9xkRnNn4
fTNypMSCbx6BS7fgmer6Efx9HOu9UIKgXD/29q3pEpFXiHRdQRbVoAc9vEZl0QIw
PSNjILVJLKvb6MhKoQMyaP5k0c1rEkVJr9jQk5Z/6WPklCNK3oT5+gh2lgi7ZxBd
oQIDAQAB
-----END PUBLIC KEY-----`;
/** `publicJwks` of the fixtures: the public half of `pemEncodedPublicKey`, with no `kid`. */
const PUBLIC_JWKS = {
  key_ops: ['verify'],
  ext: true,
  kty: 'RSA',
  n: 'qYy3MY8fOneEyzNDu9lp6iGXKkNUF-u_dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsIjy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK_oPUOf38pVh7WnekcSBQmU5fqA-EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nNot0n1NE-9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV-AG8tBNiZVil415dpBldmJ_j0wk7Ad4VFi9en3Z17oCKr-K-zuT7vKMKSb1548dk0vnmi0vj2QGXSo-61wM5yQWpk6sQ',
  e: 'AQAB',
  alg: 'RS256',
};
/** `signedJwt` of the fixtures: `MOCK_JWT_HEADER` and `MOCK_JWT_PAYLOAD` signed by `pemEncodedPublicKey`'s private half. */
const SIGNED_JWT = `${MOCK_JWT.split('.').slice(0, 2).join('.')}.j3rB92k32WqbQDkFB093H4GoQsBVLH4HLGF6ObcwUaVGiHC8SEu6T31FuPf257SL8A5sSGtWWM1fqhQpdLohgZb_hbJswGBuYI-Clxl9BtpIRHbWFZkLBIj8yS9W9aVtD3fWBbF6PHx7BY1udio-rbGWg1YAOZNtVcxF02p-MvX-8XIK92Vwu3Un5zyfCoVIg__qo3Xntzw3tznsZ4XDe212c6kVz1R_L1d5DKjeWXpjUPAS_zFeZSIJEQLf4JNr4JCY38tfdnc3ajfDA3p36saf1XwmTdWXQKCXi75c2TJAXROs3Pgqr5Kw_5clygoFuxN5OEMhFWFSnvIBdi3M6w`;
export const PK_TEST = 'pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA';
export const PK_LIVE = 'pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA';
/** Suffixes of `PK_LIVE` and `PK_TEST` (what Clerk's authenticateContext tests name the cookies with). */
const SFX_LIVE = 'MqCvchyS';
const SFX_TEST = 'vWCgMp3A';

/** Clerk's `createJwt()` fixture helper: the fixture header and payload with overrides, and the fixture signature (not valid for them). */
function createJwt({ header = {}, payload = {}, signature = MOCK_JWT_SIGNATURE }: { header?: Record<string, unknown>; payload?: Record<string, unknown>; signature?: string } = {}): string {
  return [b64url(JSON.stringify({ ...MOCK_JWT_HEADER, ...header })), b64url(JSON.stringify({ ...MOCK_JWT_PAYLOAD, ...payload })), signature].join('.');
}

const AZP = MOCK_JWT_PAYLOAD.azp;
/** The fixtures' clock: `iat` of MOCK_JWT. */
const FIXTURE_NOW = MOCK_JWT_PAYLOAD.iat * 1000;
/** A clock with a fraction of a second, for Clerk's assertion tests (which use `Date.now() / 1000`). */
const FRACTIONAL_NOW = 1_796_310_476_789;

// ---------------------------------------------------------------------------------------------

/** Servers and keys shared by the cases. */
export interface UpstreamWorld {
  readonly deps: Deps;
  /** Serves `{ keys: [MOCK_RSA_JWK] }` (Clerk's `mockJwks`) at /v1/jwks and /.well-known/jwks.json. */
  readonly fixture: KeySetServer;
  /** Serves `{}` (Clerk's "JWKS fails to load" case). */
  readonly empty: KeySetServer;
  /** PEM of MOCK_RSA_JWK, for Clerk's `jwtKey`. */
  readonly fixturePem: string;
  /** A key made now, for minted tokens. */
  readonly own: Key;
}

export async function createUpstreamWorld(deps: Deps): Promise<UpstreamWorld & { close(): Promise<void> }> {
  const fixture = await startKeySet([MOCK_RSA_JWK]);
  const empty = await startKeySet([]);
  empty.body = '{}';
  return {
    deps,
    fixture,
    empty,
    fixturePem: publicKey(MOCK_RSA_JWK).pem,
    own: makeKey('ins_upstream_own'),
    close: async () => {
      await fixture.close();
      await empty.close();
    },
  };
}

/** One replayed upstream test. */
export interface UpstreamCase {
  /** The upstream test file, under github.com/clerk/javascript. */
  readonly source: string;
  /** The upstream test's title (and, after `›`, which of its assertions when it has several). */
  readonly test: string;
  /**
   * What Clerk's test asserts: the token/request is `accepted` (valid, signed in), `refused`
   * (invalid, signed out, handshake, error), or `other` for cases without a verdict (which cookie
   * pair is read, a decoded permission list…).
   */
  readonly clerk: 'accepted' | 'refused' | 'other';
  /**
   * What the installed `@clerk/backend` (3.25, this repository's oracle) answers, when it differs
   * from the (newer) upstream test: the case is then held to both.
   */
  readonly installed?: 'accepted' | 'refused';
  /** Our exact answer (see {@link Answer}). */
  readonly expect: string;
  /** Where Clerk accepts and we refuse: a phrase of the manual (README.md and docs/) that says why. */
  readonly stricter?: string;
  run(world: UpstreamWorld): Promise<Answer>;
}

/**
 * Our answer, and Clerk 3.25's own verdict on the same input when it could be asked. `detail`:
 * `accept`/`refuse <reason>` (verifier), `200`/`<status> <code> [<reason>]` (HTTP), `config
 * <option>` (a startup error), or a case-specific value.
 */
export interface Answer {
  readonly detail: string;
  readonly clerk?: ClerkVerdict | null | undefined;
  /** For HTTP answers: whether the handler ran. */
  readonly reached?: boolean | undefined;
}

const accepted = (detail: string): boolean => detail === 'accept' || detail === '200' || detail.startsWith('200 ');

/**
 * Runs one case and returns what is wrong with it (nothing when it passes). `readme` (the manual
 * text) is given where it is available (Jest), to hold each `stricter` phrase to it.
 */
export async function checkUpstreamCase(testCase: UpstreamCase, world: UpstreamWorld, readme?: string): Promise<string[]> {
  const problems: string[] = [];
  const answer = await testCase.run(world);
  const ours = accepted(answer.detail);
  if (answer.detail !== testCase.expect) problems.push(`answered "${answer.detail}", expected "${testCase.expect}"`);
  if (ours && testCase.clerk === 'refused') problems.push("accepted what Clerk's test refuses");
  if (ours && answer.clerk != null && !answer.clerk.signedIn) problems.push(`accepted what Clerk 3.25 refuses on the same input (${answer.clerk.state})`);
  const installed = testCase.installed ?? testCase.clerk;
  if (answer.clerk != null && installed !== 'other' && answer.clerk.signedIn !== (installed === 'accepted')) {
    // The port itself is checked: @clerk/backend 3.25 must agree with its own test on our input.
    problems.push(`Clerk 3.25 says ${answer.clerk.state} where ${testCase.installed === undefined ? 'its test says' : 'the case expects'} ${installed}: the port is wrong`);
  }
  if (answer.reached === true && !ours) problems.push('the handler ran on a refused request');
  if (answer.reached === false && ours && answer.detail !== 'accept') problems.push('accepted but the handler never ran');
  if (testCase.clerk === 'accepted' && !ours && !answer.detail.startsWith('token ') && testCase.stricter === undefined) {
    problems.push("refused what Clerk's test accepts, and no phrase of the manual says why");
  }
  if (testCase.stricter !== undefined && readme !== undefined && !readme.includes(testCase.stricter)) {
    problems.push(`the manual does not say "${testCase.stricter}"`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// How cases reach the package.

type VerifierOptions = Parameters<Deps['pkg']['createClerkVerifier']>[0];
type AuthOptions = Parameters<Deps['pkg']['clerkAuth']>[0];

/**
 * The fixture instance as most users configure it: its PEM key (a jwksUri must belong to the
 * publishable key's host, which does not resolve here), `iss` pinned by PK_TEST, azp checked.
 */
function fixtureOptions(world: UpstreamWorld, extra: AuthOptions = {}): AuthOptions {
  return { jwtKey: world.fixturePem, publishableKey: PK_TEST, authorizedParties: [AZP], env: {}, ...extra };
}

/** The fixture instance with its keys fetched from the fixture key set (Clerk's `mockJwks`), `iss` pinned explicitly. */
function fixtureJwks(world: UpstreamWorld, extra: AuthOptions = {}): AuthOptions {
  return { jwksUri: `${world.fixture.origin}/v1/jwks`, issuer: MOCK_JWT_PAYLOAD.iss, authorizedParties: [AZP], env: {}, ...extra };
}

/** Our own key, networkless (`jwtKey`): `iss` is not pinned (as in Clerk's SDK with jwtKey alone). */
function ownOptions(world: UpstreamWorld, extra: AuthOptions = {}): AuthOptions {
  return { jwtKey: world.own.pem, env: {}, ...extra };
}

function fixtureClerk(world: UpstreamWorld, extra: Partial<ClerkOptions> = {}): ClerkOptions {
  return { jwtKey: world.fixturePem, publishableKey: PK_TEST, authorizedParties: [AZP], ...extra };
}

/** A token through the verifier, and through Clerk's verifyToken, at `now`. */
function viaVerifier(
  options: (world: UpstreamWorld) => VerifierOptions,
  token: (world: UpstreamWorld) => string,
  now: number,
  clerk?: (world: UpstreamWorld) => ClerkOptions,
): UpstreamCase['run'] {
  return (world) =>
    atTime(now, async () => ({
      detail: await throughVerifier(world.deps.pkg, options(world), token(world)),
      clerk: clerk === undefined ? null : await clerkVerifyToken(world.deps.clerk, token(world), clerk(world)),
    }));
}

/** A request through `clerkAuth(options)` on every Express, with Clerk judging it first, at `now`. */
function viaHttp(options: (world: UpstreamWorld) => AuthOptions, probe: (world: UpstreamWorld) => Probe, now: number, clerk?: (world: UpstreamWorld) => ClerkOptions): UpstreamCase['run'] {
  return (world) =>
    atTime(now, async () => {
      const outcome = await throughEveryExpress(world.deps, options(world), probe(world), clerk?.(world));
      return { detail: outcome.detail, clerk: outcome.clerk, reached: outcome.reached };
    });
}

const bearer = (token: string): Probe => ({ headers: [['authorization', `Bearer ${token}`]] });
const cookies = (pairs: Record<string, string>, headers: [string, string][] = [], extra: Omit<Probe, 'headers'> = {}): Probe => ({
  ...extra,
  headers: [
    [
      'cookie',
      Object.entries(pairs)
        .map(([name, value]) => `${name}=${value}`)
        .join('; '),
    ],
    ...headers,
  ],
});

/** The cookie authenticator alone: which token it would verify, or why it refuses. */
function viaCookieAuthenticator(publishableKey: string, cookieHeader: string, now = FIXTURE_NOW): UpstreamCase['run'] {
  return (world) =>
    atTime(now, async () => {
      const { pkg } = world.deps;
      const verifier = pkg.createClerkVerifier({ jwtKey: world.fixturePem, publishableKey, authorizedParties: [AZP], env: {}, logger: false });
      const outcome = pkg.createSessionCookieAuthenticator(verifier)({ method: 'GET', url: '/', headers: { cookie: cookieHeader } });
      if (outcome.token !== null) return { detail: `token ${NAMES.get(outcome.token) ?? outcome.token.slice(0, 12)}` };
      const { error } = outcome;
      return { detail: `refuse ${error.code}${error instanceof pkg.InvalidTokenError ? ` ${error.reason}` : ''}` };
    });
}

// Tokens of Clerk's authenticateContext tests, named so that a case can say which one is read.
const SUFFIXED_SESSION = createJwt({ header: {}, payload: { sid: 'sess_suffixed' } });
const SESSION = createJwt();
const SESSION_WITH_INVALID_ISSUER = createJwt({ payload: { iss: 'http:whatever' } });
const NEW_SESSION = createJwt({ payload: { iat: MOCK_JWT_PAYLOAD.iat + 60 } });
const BLAH_SESSION = createJwt({ payload: { iss: 'http://blah' } });
const FOO_SESSION = createJwt({ payload: { iss: 'http://foo' } });
const NON_STRING_ISSUER_SESSION = createJwt({ payload: { iss: 123 } });
const NAMES = new Map<string, string>([
  [SUFFIXED_SESSION, 'suffixedSession'],
  [SESSION, 'session'],
  [NEW_SESSION, 'newSession'],
  [SESSION_WITH_INVALID_ISSUER, 'sessionWithInvalidIssuer'],
]);
const cookieHeader = (pairs: Record<string, string>): string =>
  Object.entries(pairs)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

/** A session token of our own key, valid at `now` (seconds may be fractional, as in Clerk's assertion tests). */
function ownToken(world: UpstreamWorld, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  return sign(world.own, { alg: 'RS256', kid: world.own.kid, typ: 'JWT', ...header }, { sub: 'user_upstream', ...payload });
}

const nowS = FRACTIONAL_NOW / 1000;

/** Clerk's verifyToken with its keys from a key set (`secretKey` + `apiUrl` → `<apiUrl>/v1/jwks`). */
async function clerkVerifyTokenRemote(world: UpstreamWorld, token: string, apiUrl: string): Promise<ClerkVerdict> {
  try {
    await world.deps.clerk.verifyToken(token, { secretKey: ['sk', 'test', 'deadbeef'.repeat(5)].join('_'), apiUrl, skipJwksCache: true });
    return { signedIn: true, state: 'valid' };
  } catch (error) {
    return { signedIn: false, state: `invalid ${String((error as { reason?: unknown }).reason ?? error)}` };
  }
}
const FAR = Math.floor(nowS) + 3600;

// ---------------------------------------------------------------------------------------------
// The cases.

const VERIFY_JWT = 'packages/backend/src/jwt/__tests__/verifyJwt.test.ts';
const ASSERTIONS = 'packages/backend/src/jwt/__tests__/assertions.test.ts';
const VERIFY = 'packages/backend/src/tokens/__tests__/verify.test.ts';
const REQUEST = 'packages/backend/src/tokens/__tests__/request.test.ts';
const CONTEXT = 'packages/backend/src/tokens/__tests__/authenticateContext.test.ts';
const KEYS = 'packages/backend/src/tokens/__tests__/keys.test.ts';
const SHARED_KEYS = 'packages/shared/src/__tests__/keys.spec.ts';
const PAYLOAD_PARSER = 'packages/shared/src/__tests__/jwtPayloadParser.spec.ts';
const AUTHORIZATION = 'packages/shared/src/__tests__/authorization.spec.ts';
const EXPRESS = 'packages/express/src/__tests__/clerkMiddleware.test.ts';
const REQUIRE_AUTH = 'packages/express/src/__tests__/requireAuth.test.ts';

const STRICTER = {
  rs256: 'Only RS256 is accepted',
  sub: '`sub` is a non-empty string',
  blankParty: 'a blank entry in a list',
  emptyParties: '`authorizedParties: []`',
  skew: '`NaN`, `Infinity`',
  origin: 'Each entry must be an origin',
  navigation: 'navigation from another origin',
} as const;

export const UPSTREAM_CASES: readonly UpstreamCase[] = [
  // --- verifyJwt.test.ts: hasValidSignature, decodeJwt, verifyJwt ---------------------------------
  {
    source: VERIFY_JWT,
    test: 'hasValidSignature › verifies the signature with a PEM formatted key',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      () => ({ jwtKey: PEM_ENCODED_PUBLIC_KEY, env: {} }),
      () => SIGNED_JWT,
      FIXTURE_NOW,
      () => ({ jwtKey: PEM_ENCODED_PUBLIC_KEY }),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'hasValidSignature › verifies the signature with a JWK formatted key (publicJwks has no kid: a key set serving it matches no kid)',
    clerk: 'refused',
    expect: 'refuse unknown_key',
    run: async (world) => {
      const server = await startKeySet([PUBLIC_JWKS]);
      try {
        return await atTime(FIXTURE_NOW, async () => ({ detail: await throughVerifier(world.deps.pkg, { jwksUri: `${server.origin}/v1/jwks`, env: {} }, SIGNED_JWT) }));
      } finally {
        await server.close();
      }
    },
  },
  {
    source: VERIFY_JWT,
    test: 'hasValidSignature › returns false if the key is not correct',
    clerk: 'refused',
    expect: 'refuse invalid_signature',
    run: viaVerifier(
      () => ({ jwtKey: SOME_OTHER_PUBLIC_KEY, env: {} }),
      () => SIGNED_JWT,
      FIXTURE_NOW,
      () => ({ jwtKey: SOME_OTHER_PUBLIC_KEY }),
    ),
  },
  ...(['null', 'undefined', 'whatever', '42', 'aaa.bbb.ccc', 'YWJj.YWJj.YWJj', 'invalid-jwt'] as const).map((token): UpstreamCase => ({
    source: VERIFY_JWT,
    test: `decodeJwt / verifyJwt › returns an error for ${JSON.stringify(token)}`,
    clerk: 'refused',
    expect: 'refuse malformed',
    run: viaVerifier(
      (world) => fixtureOptions(world),
      () => token,
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  })),
  {
    source: VERIFY_JWT,
    test: 'decodeJwt › returns an error if empty string is given as jwt (as a Bearer header: nothing after Bearer)',
    clerk: 'refused',
    expect: '400 invalid_request',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => ({ headers: [['authorization', 'Bearer ']] }),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › returns the valid JWT payload if valid key & issuer & azp is given',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => fixtureOptions(world),
      () => MOCK_JWT,
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › … and the claims returned are exactly the payload',
    clerk: 'other',
    expect: 'equal',
    run: (world) =>
      atTime(FIXTURE_NOW, async () => {
        const claims = await world.deps.pkg.createClerkVerifier({ ...fixtureOptions(world), logger: false }).verify(MOCK_JWT);
        return { detail: JSON.stringify(claims) === JSON.stringify(MOCK_JWT_PAYLOAD) ? 'equal' : `differ: ${JSON.stringify(claims)}` };
      }),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › returns the valid JWT payload if valid key & issuer method & azp is given (our issuer is a string: the exact iss; keys from mockJwks)',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => fixtureJwks(world),
      () => MOCK_JWT,
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › returns the valid JWT payload if valid key & issuer & list of azp (with empty string) is given',
    clerk: 'accepted',
    expect: 'config authorizedParties',
    stricter: STRICTER.blankParty,
    run: viaVerifier(
      (world) => fixtureOptions(world, { authorizedParties: ['', AZP] }),
      () => MOCK_JWT,
      FIXTURE_NOW,
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › verifies JWT with default headerType (JWT), through the Bearer header',
    clerk: 'accepted',
    expect: '200',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › rejects JWT when headerType does not match (an OAuth access token, typ at+jwt, on a session route)',
    clerk: 'refused',
    expect: '401 invalid_token token_type_mismatch',
    run: viaHttp(
      (world) => ownOptions(world),
      (world) => bearer(ownToken(world, { exp: FAR, iat: Math.floor(nowS) }, { typ: 'at+jwt' })),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › (session route) accepts a JWT with no typ when no headerType is configured',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => ownOptions(world),
      (world) => ownToken(world, { exp: FAR }, { typ: undefined }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › rejects JWT when headerType array does not include the token type (typ custom-type)',
    clerk: 'refused',
    expect: 'refuse invalid_header',
    run: viaVerifier(
      (world) => ownOptions(world),
      (world) => ownToken(world, { exp: FAR }, { typ: 'custom-type' }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },
  ...(
    [
      ['an array holding it', ['https://other-resource.example.com', 'https://my-resource.example.com']],
      ['an attacker audience', ['https://attacker.example.com']],
    ] as const
  ).map(([label, aud]): UpstreamCase => ({
    source: VERIFY_JWT,
    test: `verifyJwt › aud as ${label}, no audience configured (a session token: aud is not checked, as in Clerk without audience)`,
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => ownOptions(world),
      (world) => ownToken(world, { exp: FAR, aud }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  })),
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › rejects an expired JWT when clockSkewInMs is explicitly 0',
    clerk: 'refused',
    expect: 'refuse expired',
    run: viaVerifier(
      (world) => fixtureOptions(world, { clockSkewInMs: 0 }),
      () => MOCK_JWT,
      (MOCK_JWT_PAYLOAD.exp + 1) * 1000,
      (world) => fixtureClerk(world, { clockSkewInMs: 0 }),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › accepts a recently expired JWT within the default clock skew when clockSkewInMs is undefined',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => fixtureOptions(world),
      () => MOCK_JWT,
      (MOCK_JWT_PAYLOAD.exp + 1) * 1000,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › falls back to the default clock skew when clockSkewInMs is NaN',
    clerk: 'accepted',
    expect: 'config clockSkewInMs',
    stricter: STRICTER.skew,
    run: viaVerifier(
      (world) => fixtureOptions(world, { clockSkewInMs: Number.NaN }),
      () => MOCK_JWT,
      (MOCK_JWT_PAYLOAD.exp + 1) * 1000,
    ),
  },
  {
    source: VERIFY_JWT,
    test: 'verifyJwt › falls back to the default clock skew when clockSkewInMs is Infinity',
    clerk: 'refused',
    expect: 'config clockSkewInMs',
    run: viaVerifier(
      (world) => fixtureOptions(world, { clockSkewInMs: Number.POSITIVE_INFINITY }),
      () => MOCK_JWT,
      (MOCK_JWT_PAYLOAD.exp + 3600) * 1000,
    ),
  },

  // --- assertions.test.ts, through the verifier with tokens minted now ---------------------------
  ...(
    [
      ['assertExpirationClaim › throws err if exp is in the past', { exp: nowS - 5 }, 0, 'refused', 'refuse expired'],
      ['assertExpirationClaim › does not throw error if exp is in the past but less than clock skew', { exp: nowS - 5 }, 6000, 'accepted', 'accept'],
      ['assertExpirationClaim › throws err if exp is in now', { exp: nowS }, 0, 'refused', 'refuse expired'],
      ['assertExpirationClaim › does not throw error if exp is now but there is clock skew', { exp: nowS }, 1000, 'accepted', 'accept'],
      ['assertExpirationClaim › does not throw error if exp is in the future', { exp: nowS + 5 }, 0, 'accepted', 'accept'],
      ['assertExpirationClaim › does not throw error if exp is in the future (skew 6000)', { exp: nowS + 5 }, 6000, 'accepted', 'accept'],
      ['assertActivationClaim › does not throw error if nbf is undefined', { exp: FAR, nbf: undefined }, 0, 'accepted', 'accept'],
      ['assertActivationClaim › does not throw error if nbf is in the past', { exp: FAR, nbf: nowS - 5 }, 0, 'accepted', 'accept'],
      ['assertActivationClaim › does not throw err if nbf is in the past but less than clock skew', { exp: FAR, nbf: nowS - 5 }, 6000, 'accepted', 'accept'],
      ['assertActivationClaim › does not throw error if nbf is now', { exp: FAR, nbf: nowS }, 0, 'accepted', 'accept'],
      ['assertActivationClaim › does not throw error if nbf is now and there is clock skew', { exp: FAR, nbf: nowS }, 1, 'accepted', 'accept'],
      ['assertActivationClaim › throws error if nbf is in the future', { exp: FAR, nbf: nowS + 5 }, 0, 'refused', 'refuse not_yet_valid'],
      ['assertActivationClaim › does not throw error if nbf is in the future but less than clock skew', { exp: FAR, nbf: nowS + 5 }, 6000, 'accepted', 'accept'],
      ['assertIssuedAtClaim › does not throw error if iat is undefined', { exp: FAR, iat: undefined }, 0, 'accepted', 'accept'],
      ['assertIssuedAtClaim › does not throw error if iat is in the past', { exp: FAR, iat: nowS - 5 }, 0, 'accepted', 'accept'],
      ['assertIssuedAtClaim › does not throw err if iat is in the past but less than clock skew', { exp: FAR, iat: nowS - 5 }, 6000, 'accepted', 'accept'],
      ['assertIssuedAtClaim › does not throw error if iat is now', { exp: FAR, iat: nowS }, 0, 'accepted', 'accept'],
      ['assertIssuedAtClaim › does not throw error if iat is now and there is clock skew', { exp: FAR, iat: nowS }, 1, 'accepted', 'accept'],
      ['assertIssuedAtClaim › throws error if iat is in the future', { exp: FAR, iat: nowS + 5 }, 0, 'refused', 'refuse issued_in_future'],
      ['assertIssuedAtClaim › does not throw error if iat is in the future but less than clock skew', { exp: FAR, iat: nowS + 5 }, 6000, 'accepted', 'accept'],
      ['assertSubClaim › throws error if sub is missing', { exp: FAR, sub: undefined }, 0, 'refused', 'refuse invalid_claims'],
      ['assertAuthorizedPartiesClaim › does not throw if azp missing (no authorizedParties)', { exp: FAR, azp: undefined }, 0, 'accepted', 'accept'],
      ['assertAuthorizedPartiesClaim › does not throw if azp empty (no authorizedParties)', { exp: FAR, azp: '' }, 0, 'accepted', 'accept'],
      ['assertAuthorizedPartiesClaim › does not throw if authorizedParties missing', { exp: FAR, azp: 'azp' }, 0, 'accepted', 'accept'],
    ] as const
  ).map(([test, claims, clockSkewInMs, clerk, expect]): UpstreamCase => ({
    source: ASSERTIONS,
    test,
    clerk,
    expect,
    run: viaVerifier(
      (world) => ownOptions(world, { clockSkewInMs }),
      (world) => ownToken(world, claims),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem, clockSkewInMs }),
    ),
  })),
  {
    source: ASSERTIONS,
    test: "assertSubClaim › does not throw if sub exists ('')",
    clerk: 'accepted',
    expect: 'refuse invalid_claims',
    stricter: STRICTER.sub,
    run: viaVerifier(
      (world) => ownOptions(world),
      (world) => ownToken(world, { exp: FAR, sub: '' }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },
  {
    source: ASSERTIONS,
    test: "assertAuthorizedPartiesClaim › throws error if azp is not included in authorizedParties (['azp-1'], as an origin)",
    clerk: 'refused',
    expect: 'refuse invalid_authorized_party',
    run: viaVerifier(
      (world) => ownOptions(world, { authorizedParties: ['https://azp-1.example'] }),
      (world) => ownToken(world, { exp: FAR, azp: 'https://azp.example' }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem, authorizedParties: ['https://azp-1.example'] }),
    ),
  },
  {
    source: ASSERTIONS,
    test: "assertAuthorizedPartiesClaim › throws error if azp is not included in authorizedParties ([''])",
    clerk: 'refused',
    expect: 'config authorizedParties',
    run: viaVerifier(
      (world) => ownOptions(world, { authorizedParties: [''] }),
      (world) => ownToken(world, { exp: FAR, azp: 'azp' }),
      FRACTIONAL_NOW,
    ),
  },
  {
    source: ASSERTIONS,
    test: 'assertAuthorizedPartiesClaim › does not throw if authorizedParties empty ([])',
    clerk: 'accepted',
    expect: 'config authorizedParties',
    stricter: STRICTER.emptyParties,
    run: viaVerifier(
      (world) => ownOptions(world, { authorizedParties: [] }),
      (world) => ownToken(world, { exp: FAR, azp: 'azp' }),
      FRACTIONAL_NOW,
    ),
  },
  {
    source: ASSERTIONS,
    test: 'assertAuthorizedPartiesClaim › does not throw if azp is included in authorizedParties',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => ownOptions(world, { authorizedParties: ['https://azp.example'] }),
      (world) => ownToken(world, { exp: FAR, azp: 'https://azp.example' }),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem, authorizedParties: ['https://azp.example'] }),
    ),
  },
  ...(['RS384', 'RS512'] as const).map((alg): UpstreamCase => ({
    source: ASSERTIONS,
    test: `assertHeaderAlgorithm › does not throw if algorithm is supported (${alg}; the key served without alg, as Clerk would import it)`,
    clerk: 'accepted',
    expect: 'refuse invalid_algorithm',
    stricter: STRICTER.rs256,
    run: async (world) => {
      const { alg: _alg, ...jwk } = world.own.jwk;
      void _alg;
      const server = await startKeySet([jwk]);
      try {
        const token = signRaw(world.own, JSON.stringify({ alg, kid: world.own.kid, typ: 'JWT' }), JSON.stringify({ sub: 'user_upstream', exp: FAR }), alg === 'RS384' ? 'sha384' : 'sha512');
        return await atTime(FRACTIONAL_NOW, async () => ({
          detail: await throughVerifier(world.deps.pkg, { jwksUri: `${server.origin}/v1/jwks`, env: {} }, token),
          clerk: await clerkVerifyTokenRemote(world, token, server.origin),
        }));
      } finally {
        await server.close();
      }
    },
  })),
  ...(['', 'ES256', 'ES384', 'ES512', 'PS512', 'Aloha', 'none', 'HS256'] as const).map((alg): UpstreamCase => ({
    source: ASSERTIONS,
    test: `assertHeaderAlgorithm › throws error if algorithm is ${JSON.stringify(alg)}`,
    clerk: 'refused',
    expect: alg === '' ? 'refuse malformed' : 'refuse invalid_algorithm',
    run: viaVerifier(
      (world) => ownOptions(world),
      (world) => signRaw(world.own, JSON.stringify({ alg, kid: world.own.kid, typ: 'JWT' }), JSON.stringify({ sub: 'user_upstream', exp: FAR })),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  })),
  ...(
    [
      ['', 'refused', '401 invalid_token invalid_header'],
      ['Aloha', 'refused', '401 invalid_token invalid_header'],
      ['JWT', 'accepted', '200'],
      ['at+jwt', 'refused', '401 invalid_token token_type_mismatch'],
      ['application/at+jwt', 'refused', '401 invalid_token token_type_mismatch'],
    ] as const
  ).map(([typ, clerk, expect]): UpstreamCase => ({
    source: ASSERTIONS,
    test: `assertHeaderType › typ ${JSON.stringify(typ)} with the default allowed type (JWT)`,
    clerk,
    expect,
    run: viaHttp(
      (world) => ownOptions(world),
      (world) => bearer(ownToken(world, { exp: FAR }, { typ })),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  })),

  // --- verify.test.ts (session-token parts) ------------------------------------------------------
  {
    source: VERIFY,
    test: 'verifies the token by fetching the JWKs from Backend API when secretKey is provided (apiUrl)',
    clerk: 'accepted',
    expect: 'accept',
    run: viaVerifier(
      (world) => ({ secretKey: ['sk', 'test', 'deadbeef'.repeat(5)].join('_'), apiUrl: world.fixture.origin, authorizedParties: [AZP], env: {} }),
      () => MOCK_JWT,
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY,
    test: 'returns signature error before claims error when both are invalid',
    clerk: 'refused',
    expect: 'refuse invalid_signature',
    run: viaVerifier(
      (world) => fixtureOptions(world),
      () => createJwt({ payload: { exp: MOCK_JWT_PAYLOAD.iat - 100 } }),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: VERIFY,
    test: 'rejects a JWT tagged with the M2M category before key resolution (no key-set request made)',
    clerk: 'refused',
    expect: 'refuse token_type_mismatch; key-set requests: 0',
    run: async (world) => {
      const server = await startKeySet([world.own.jwk]);
      try {
        const token = ownToken(world, { exp: FAR, sub: MOCK_JWT_PAYLOAD.sub }, { cat: 'cl_B7d4PD333AAA' });
        const detail = await atTime(FRACTIONAL_NOW, () => throughVerifier(world.deps.pkg, { jwksUri: `${server.origin}/v1/jwks`, env: {} }, token));
        return { detail: `${detail}; key-set requests: ${server.requests}` };
      } finally {
        await server.close();
      }
    },
  },
  ...(
    [
      ['a missing', undefined],
      ['a null', null],
      ['a numeric', 123],
      ['an object', {}],
    ] as const
  ).map(([label, sub]): UpstreamCase => ({
    source: VERIFY,
    test: `verifyOAuthToken with JWT › an at+jwt token with ${label} sub, on a session route, is refused without a crash`,
    clerk: 'refused',
    expect: '401 invalid_token token_type_mismatch',
    run: viaHttp(
      (world) => ownOptions(world),
      (world) => bearer(ownToken(world, { exp: FAR, sub }, { typ: 'at+jwt' })),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  })),
  {
    source: VERIFY,
    test: 'verifyOAuthToken with JWT › rejects JWT with alg: none (an empty signature: not a compact JWS of three parts)',
    clerk: 'refused',
    expect: '401 invalid_token malformed',
    run: viaHttp(
      (world) => ownOptions(world),
      (world) => bearer(`${b64url(JSON.stringify({ typ: 'at+jwt', alg: 'none', kid: world.own.kid }))}.${b64url(JSON.stringify({ sub: 'user_upstream', exp: FAR }))}.`),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },
  ...(
    [
      ['a valid M2M JWT (cat M2M)', { cat: 'cl_B7d4PD333AAA' }],
      ['an M2M JWT with no cat header (rollout window)', {}],
      ['an M2M JWT masquerading with the session cat', { cat: 'cl_B7d4PD111AAA' }],
      ['an M2M JWT with the jwt-template cat', { cat: 'cl_B7d4PD222AAA' }],
      ['an M2M JWT with an unknown cat', { cat: 'cl_some_future_unknown_cat' }],
    ] as const
  ).map(([label, header]): UpstreamCase => ({
    source: VERIFY,
    test: `verifyM2MToken with JWT › ${label}, sent to a session route`,
    clerk: 'refused',
    expect: label.includes('unknown') || label.includes('template') ? '401 invalid_token unsupported_category' : '401 invalid_token token_type_mismatch',
    run: viaHttp(
      (world) => ownOptions(world),
      (world) => bearer(ownToken(world, { exp: FAR, sub: 'mch_2vYVtestTESTtestTESTtestTESTtest', jti: 'mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE' }, header)),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  })),
  ...(
    [
      'ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=',
      'mt_8XOIucKvqHVr5tYP123456789abcdefghij',
      'oat_8XOIucKvqHVr5tYP123456789abcdefghij',
      'ak_invalid_token',
      'mt_invalid_token',
      'oat_invalid_token',
    ] as const
  ).map((token): UpstreamCase => ({
    source: VERIFY,
    test: `verifyMachineAuthToken › the opaque machine token ${token.slice(0, 4)}… sent to a session route`,
    clerk: 'refused',
    expect: '401 invalid_token token_type_mismatch',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer(token),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  })),
  {
    source: VERIFY,
    test: 'verifyOAuthToken with JWT › handles invalid JWT format (invalid.jwt.token)',
    clerk: 'refused',
    expect: '401 invalid_token malformed',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer('invalid.jwt.token'),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },

  // --- request.test.ts: the Authorization header --------------------------------------------------
  {
    source: REQUEST,
    test: 'does not throw error with missing auth scheme from Authorization header',
    clerk: 'refused',
    expect: '401 missing_token',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => ({ headers: [['authorization', MOCK_INVALID_SIGNATURE_JWT]] }),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'does not throw error with missing auth scheme from Authorization header (a valid token without a scheme)',
    clerk: 'accepted',
    expect: '401 missing_token',
    stricter: 'from `Authorization: Bearer <token>`, and nowhere else',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => ({ headers: [['authorization', MOCK_JWT]] }),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'does not throw error with Basic auth scheme from Authorization header',
    clerk: 'refused',
    expect: '401 missing_token',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => ({ headers: [['authorization', 'Basic dXNlcjpwYXNzd29yZA==']] }),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'returns signed out state if jwk fails to load from remote (a 503 here: an outage is not a bad token)',
    clerk: 'refused',
    expect: '503 jwks_unavailable',
    run: viaHttp(
      (world) => fixtureJwks(world, { jwksUri: `${world.empty.origin}/v1/jwks` }),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns signed in state when a valid token [1y.2y]',
    clerk: 'accepted',
    expect: '200',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns signed in state when a valid token [1y.2y] (keys from mockJwks over HTTP)',
    clerk: 'accepted',
    expect: '200',
    run: viaHttp(
      (world) => fixtureJwks(world),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: "headerToken: returns signed out state when a token with invalid authorizedParties [1y.2n] (['whatever'])",
    clerk: 'refused',
    expect: 'config authorizedParties',
    run: viaHttp(
      (world) => fixtureOptions(world, { authorizedParties: ['whatever'] }),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns signed out state when a token with invalid authorizedParties [1y.2n] (an origin)',
    clerk: 'refused',
    expect: '401 invalid_token invalid_authorized_party',
    run: viaHttp(
      (world) => fixtureOptions(world, { authorizedParties: ['https://whatever.example'] }),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
      (world) => fixtureClerk(world, { authorizedParties: ['https://whatever.example'] }),
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns handshake state when token expired [1y.2n]',
    clerk: 'refused',
    expect: '401 invalid_token expired',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW + 3600 * 1000,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns signed out state when invalid signature [1y.2n]',
    clerk: 'refused',
    expect: '401 invalid_token invalid_signature',
    run: viaHttp(
      (world) => fixtureOptions(world, { authorizedParties: ['https://accounts.tampered-domain.dev', AZP] }),
      () => bearer(MOCK_INVALID_SIGNATURE_JWT),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'headerToken: returns signed out state when an malformed token [1y.1n]',
    clerk: 'refused',
    expect: '401 invalid_token malformed',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => bearer('test_header_token'),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUEST,
    test: 'Token Type Mismatch › rejects OAuth JWT token when acceptsToken is session_token',
    clerk: 'refused',
    expect: '401 invalid_token token_type_mismatch',
    run: viaHttp(
      (world) => ownOptions(world),
      (world) =>
        bearer(ownToken(world, { exp: FAR, client_id: 'client_2VTWUzvGC5UhdJCNx6xG1D98edc', jti: 'oat_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE', scope: 'read:foo write:bar' }, { typ: 'at+jwt' })),
      FRACTIONAL_NOW,
      (world) => ({ jwtKey: world.own.pem }),
    ),
  },

  // --- request.test.ts: the session cookie --------------------------------------------------------
  ...cookieCases(),

  // --- authenticateContext.test.ts: which cookie pair is read -------------------------------------
  {
    source: CONTEXT,
    test: 'use un-suffixed cookies › request with un-suffixed cookies',
    clerk: 'other',
    expect: 'token session',
    run: viaCookieAuthenticator(PK_LIVE, cookieHeader({ __client_uat: '1717490192', __session: SESSION })),
  },
  {
    source: CONTEXT,
    test: 'use un-suffixed cookies › request with suffixed and valid newer un-suffixed cookies - case of ClerkJS downgrade',
    clerk: 'other',
    expect: 'token newSession',
    run: viaCookieAuthenticator(
      PK_LIVE,
      cookieHeader({
        __client_uat: '1717490192',
        [`__client_uat_${SFX_LIVE}`]: '1717490193',
        __session: NEW_SESSION,
        [`__session_${SFX_LIVE}`]: SUFFIXED_SESSION,
        __clerk_db_jwt: '__clerk_db_jwt',
        [`__clerk_db_jwt_${SFX_LIVE}`]: '__clerk_db_jwt-suffixed',
      }),
    ),
  },
  {
    source: CONTEXT,
    test: 'use un-suffixed cookies › request with suffixed client_uat as signed-out and un-suffixed client_uat as signed-in - case of ClerkJS downgrade',
    clerk: 'other',
    expect: 'token session',
    run: viaCookieAuthenticator(PK_TEST, cookieHeader({ __client_uat: '1717490192', [`__client_uat_${SFX_TEST}`]: '0', __session: SESSION, __clerk_db_jwt: '__clerk_db_jwt' })),
  },
  {
    source: CONTEXT,
    test: 'use un-suffixed cookies › prod: request with suffixed session and signed-out suffixed client_uat (suffixed pair, signed out)',
    clerk: 'refused',
    expect: 'refuse invalid_token signed_out',
    run: viaCookieAuthenticator(PK_LIVE, cookieHeader({ __client_uat: '0', [`__client_uat_${SFX_LIVE}`]: '0', __session: SESSION, [`__session_${SFX_LIVE}`]: SUFFIXED_SESSION })),
  },
  {
    source: CONTEXT,
    test: 'use suffixed cookies › prod: request with valid suffixed and un-suffixed cookies',
    clerk: 'other',
    expect: 'token suffixedSession',
    run: viaCookieAuthenticator(
      PK_LIVE,
      cookieHeader({ __client_uat: '1717490192', [`__client_uat_${SFX_LIVE}`]: '1717490193', __session: SESSION, [`__session_${SFX_LIVE}`]: SUFFIXED_SESSION }),
    ),
  },
  {
    source: CONTEXT,
    test: 'use suffixed cookies › prod: request with invalid issuer un-suffixed and valid suffixed cookies - case of multiple apps on same eTLD+1 domain',
    clerk: 'other',
    expect: 'token suffixedSession',
    run: viaCookieAuthenticator(
      PK_LIVE,
      cookieHeader({ __client_uat: '1717490192', [`__client_uat_${SFX_LIVE}`]: '1717490193', __session: SESSION_WITH_INVALID_ISSUER, [`__session_${SFX_LIVE}`]: SUFFIXED_SESSION }),
    ),
  },
  {
    source: CONTEXT,
    test: 'use suffixed cookies › dev: request with invalid issuer un-suffixed and valid multiple suffixed cookies - case of multiple apps on localhost (suffixed pair, signed out)',
    clerk: 'refused',
    expect: 'refuse invalid_token signed_out',
    run: viaCookieAuthenticator(
      PK_TEST,
      cookieHeader({
        __client_uat: '0',
        [`__client_uat_${SFX_TEST}`]: '0',
        __client_uat_8HKF1r6W: '1717490193',
        __client_uat_Rmi8c5i8: '1717490194',
        __session: SESSION,
        [`__session_${SFX_TEST}`]: SUFFIXED_SESSION,
        __session_8HKF1r6W: BLAH_SESSION,
        __session_Rmi8c5i8: FOO_SESSION,
        __clerk_db_jwt: '__clerk_db_jwt',
        [`__clerk_db_jwt_${SFX_TEST}`]: '__clerk_db_jwt-suffixed',
        __clerk_db_jwt_8HKF1r6W: '__clerk_db_jwt-suffixed-blah',
        __clerk_db_jwt_Rmi8c5i8: '__clerk_db_jwt-suffixed-foo',
      }),
    ),
  },
  {
    source: CONTEXT,
    test: 'use suffixed cookies › dev: request with suffixed session and signed-out suffixed client_uat (signed out)',
    clerk: 'refused',
    expect: 'refuse invalid_token signed_out',
    run: viaCookieAuthenticator(
      PK_TEST,
      cookieHeader({
        __client_uat: '0',
        [`__client_uat_${SFX_TEST}`]: '0',
        __session: SESSION,
        [`__session_${SFX_TEST}`]: SUFFIXED_SESSION,
        __clerk_db_jwt: '__clerk_db_jwt',
        [`__clerk_db_jwt_${SFX_TEST}`]: '__clerk_db_jwt-suffixed',
      }),
    ),
  },
  {
    source: CONTEXT,
    test: 'use suffixed cookies › prod: request without suffixed session and signed-out suffixed client_uat (no session in the suffixed pair)',
    clerk: 'refused',
    expect: 'refuse missing_token',
    run: viaCookieAuthenticator(PK_LIVE, cookieHeader({ __client_uat: '0', [`__client_uat_${SFX_LIVE}`]: '0', __session: SESSION })),
  },
  {
    source: CONTEXT,
    test: 'malformed un-suffixed session token › falls back to suffixed cookies when the token has a non-string issuer',
    clerk: 'other',
    expect: 'token suffixedSession',
    run: viaCookieAuthenticator(PK_LIVE, cookieHeader({ __session: NON_STRING_ISSUER_SESSION, [`__client_uat_${SFX_LIVE}`]: '1717490193', [`__session_${SFX_LIVE}`]: SUFFIXED_SESSION })),
  },
  ...(
    [
      ['pk_live_Y2xlcmsuY2xlcmsuZGV2JA', '1Z8AzTQD', CONTEXT],
      ['pk_test_Y2xlcmsuY2xlcmsuZGV2JA', 'QvfNY2dr', CONTEXT],
      ['pk_test_ZW5vdWdoLWFscGFjYS04Mi5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k', 'jtYvyt_H', CONTEXT],
      ['pk_test_eHh4eHh4LXhhYWFhYS1hYS5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k', 'tZJdb-5s', CONTEXT],
      ['pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ=', 'qReyu04C', SHARED_KEYS],
      [PK_LIVE, SFX_LIVE, REQUEST],
      [PK_TEST, SFX_TEST, CONTEXT],
    ] as const
  ).map(([key, suffix, source]): UpstreamCase => ({
    source,
    test: `getCookieSuffix › given ${key} returns ${suffix}`,
    clerk: 'other',
    expect: suffix,
    run: async (world) => ({ detail: world.deps.pkg.sessionCookieSuffix(key) }),
  })),

  // --- packages/shared keys.spec.ts: parsePublishableKey ------------------------------------------
  ...(
    [
      ['', null],
      ['whatever', null],
      ['pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ=', 'production fake-clerk-test.clerk.accounts.dev'],
      ['pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk', 'development foo-bar-13.clerk.accounts.dev'],
      ['pk_test_Y2xlcmsuY2xlcmsuZGV2JA==', 'development clerk.clerk.dev'],
      ['pk_live_ZmFrZS1jbGVyay1tYWxmb3JtZWQuY2xlcmsuYWNjb3VudHMuZGV2JGV4dHJh', null],
      ['pk_live_ZmFrZS1jbGVyay1tdWx0aXBsZS5jbGVyay5hY2NvdW50cy5kZXYkJA==', null],
      ['pk_live_JGZha2UtY2xlcmstcHJlZml4LmNsZXJrLmFjY291bnRzLmRldiQ=', null],
      ['pk_live_aW52YWxpZGtleSQ=', null],
      ['pk_live_invalid!@#$', null],
      ['fake_pk', null],
      ['pk_live', null],
      ['pk_live_', null],
      ['pk_live_invalid', null],
      ['pk_test_Y2xlcmsuY2xlcmsuZGV2JGV4dHJh', null],
    ] as const
  ).map(([key, parsed]): UpstreamCase => ({
    source: SHARED_KEYS,
    test: `parsePublishableKey / isPublishableKey › ${JSON.stringify(key)}`,
    clerk: 'other',
    expect: parsed ?? 'config publishableKey',
    run: async (world) => {
      try {
        const info = world.deps.pkg.parsePublishableKey(key);
        return { detail: `${info.instanceType} ${info.frontendApi}` };
      } catch (error) {
        return { detail: describeError(world.deps.pkg, error) };
      }
    },
  })),

  // --- keys.test.ts: the local key ----------------------------------------------------------------
  ...(
    [
      ['loads the local key (bare base64 body)', MOCK_PEM_KEY],
      ['loads the local key in PEM format', MOCK_PEM_JWT_KEY],
    ] as const
  ).map(([test, jwtKey]): UpstreamCase => ({
    source: KEYS,
    test: `loadClerkJWKFromLocal › ${test}`,
    clerk: 'other',
    expect: 'loaded',
    run: async (world) => {
      try {
        world.deps.pkg.createClerkVerifier({ jwtKey, env: {}, logger: false });
        return { detail: 'loaded' };
      } catch (error) {
        return { detail: describeError(world.deps.pkg, error) };
      }
    },
  })),
  {
    source: KEYS,
    test: 'loadClerkJWKFromLocal › throws an error if no key has been provided (no key source at all: a startup error)',
    clerk: 'refused',
    expect: 'config ?',
    run: async (world) => {
      try {
        world.deps.pkg.createClerkVerifier({ env: {}, logger: false });
        return { detail: 'created' };
      } catch (error) {
        return { detail: describeError(world.deps.pkg, error) };
      }
    },
  },
  {
    source: KEYS,
    test: 'loadClerkJWKFromRemote › throws an error when no JWK matches the provided kid',
    clerk: 'refused',
    expect: 'refuse unknown_key',
    run: viaVerifier(
      (world) => fixtureJwks(world),
      () => createJwt({ header: { kid: 'ins_whatever' } }),
      FIXTURE_NOW,
    ),
  },

  // --- jwtPayloadParser.spec.ts and authorization.spec.ts: the auth object and has() --------------
  ...payloadParserCases(),

  // --- packages/express ---------------------------------------------------------------------------
  {
    source: EXPRESS,
    test: 'supports usage without invocation: app.use(clerkMiddleware) — here app.use(clerkAuth) fails closed',
    clerk: 'other',
    expect: '500 invalid_config',
    run: (world) =>
      atTime(FIXTURE_NOW, async () => {
        const outcome = await throughEveryExpress(world.deps, fixtureOptions(world), bearer(MOCK_JWT), undefined, (app, _auth, handler) => {
          app.use(world.deps.pkg.clerkAuth as never);
          app.use(handler);
        });
        return { detail: outcome.detail, reached: outcome.reached };
      }),
  },
  {
    source: REQUIRE_AUTH,
    test: 'requireAuth used without invocation: app.use(requireAuth) fails closed',
    clerk: 'other',
    expect: '500 invalid_config',
    run: (world) =>
      atTime(FIXTURE_NOW, async () => {
        const outcome = await throughEveryExpress(world.deps, fixtureOptions(world), bearer(MOCK_JWT), undefined, (app, _auth, handler) => {
          app.use(world.deps.pkg.requireAuth as never);
          app.use(handler);
        });
        return { detail: outcome.detail, reached: outcome.reached };
      }),
  },
  {
    source: EXPRESS,
    test: 'throws error if secretKey/publishableKey is not passed (no key source: a startup error)',
    clerk: 'refused',
    expect: 'config ?',
    run: viaHttp(
      () => ({ env: {} }),
      () => bearer(MOCK_JWT),
      FIXTURE_NOW,
    ),
  },
  {
    source: EXPRESS,
    test: 'handshake flow supported by default (__client_uat, Sec-Fetch-Dest: document, no token): a 401 for an API',
    clerk: 'refused',
    expect: '401 invalid_token session_refresh_required',
    run: viaHttp(
      (world) => fixtureOptions(world, { sessionCookie: true }),
      () => cookies({ __client_uat: '1711618859' }, [['sec-fetch-dest', 'document']]),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: EXPRESS,
    test: 'handshake flow supported by default, on a Bearer-only route',
    clerk: 'refused',
    expect: '401 missing_token',
    run: viaHttp(
      (world) => fixtureOptions(world),
      () => cookies({ __client_uat: '1711618859' }, [['sec-fetch-dest', 'document']]),
      FIXTURE_NOW,
      (world) => fixtureClerk(world),
    ),
  },
  {
    source: REQUIRE_AUTH,
    test: 'should redirect to sign-in page when user is not authenticated (a 401 for an API)',
    clerk: 'refused',
    expect: '401 missing_token',
    run: (world) =>
      atTime(FIXTURE_NOW, async () => {
        const outcome = await throughEveryExpress(world.deps, fixtureOptions(world, { optional: true }), {}, undefined, (app, auth, handler) => {
          app.use(auth);
          app.use(world.deps.pkg.requireAuth(), handler);
        });
        return { detail: outcome.detail, reached: outcome.reached };
      }),
  },
  {
    source: REQUIRE_AUTH,
    test: 'should call next() when user is authenticated',
    clerk: 'accepted',
    expect: '200',
    run: (world) =>
      atTime(FIXTURE_NOW, async () => {
        const outcome = await throughEveryExpress(world.deps, fixtureOptions(world, { optional: true }), bearer(MOCK_JWT), fixtureClerk(world), (app, auth, handler) => {
          app.use(auth);
          app.use(world.deps.pkg.requireAuth(), handler);
        });
        return { detail: outcome.detail, reached: outcome.reached, clerk: outcome.clerk };
      }),
  },
];

/** request.test.ts, cookie cases. */
function cookieCases(): UpstreamCase[] {
  const live = (world: UpstreamWorld, extra: AuthOptions = {}): AuthOptions => fixtureOptions(world, { publishableKey: PK_LIVE, sessionCookie: true, ...extra });
  const test = (world: UpstreamWorld, extra: AuthOptions = {}): AuthOptions => fixtureOptions(world, { sessionCookie: true, ...extra });
  const liveClerk = (world: UpstreamWorld, extra: Partial<ClerkOptions> = {}): ClerkOptions => fixtureClerk(world, { publishableKey: PK_LIVE, ...extra });
  const iat = MOCK_JWT_PAYLOAD.iat;
  const primary = (extra: [string, string][]): [string, string][] => [['host', 'primary.com'], ['x-forwarded-proto', 'https'], ...extra];
  const parties = [AZP, 'https://primary.com'];
  // Clerk's exception for referrers on its own pages (accounts portal, Frontend API) is newer than 3.25.
  const newer = { installed: 'refused' } as const;
  const cases: [string, UpstreamCase['clerk'], string, UpstreamCase['run'], string?, { installed?: 'accepted' | 'refused' }?][] = [
    [
      'cookieToken: returns signed out when no cookieToken and no clientUat in production [4y]',
      'refused',
      '401 missing_token',
      viaHttp(
        (w) => live(w),
        () => cookies({}),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when no dev browser in development',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () => cookies({ __session: MOCK_JWT }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when no clientUat in development [5y]',
      'refused',
      '401 invalid_token signed_out',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __session: MOCK_JWT }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when no cookies in development [5y]',
      'refused',
      '401 missing_token',
      viaHttp(
        (w) => test(w),
        () => cookies({}),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when clientUat > 0 and no cookieToken [8y]',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () => cookies({ __client_uat: '12345' }),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'cookieToken: returns signed out when clientUat = 0 and no cookieToken [9y]',
      'refused',
      '401 missing_token',
      viaHttp(
        (w) => live(w),
        () => cookies({ __client_uat: '0' }),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when clientUat > cookieToken.iat [10n]',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __client_uat: `${iat + 10}`, __session: MOCK_JWT }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns signed out when cookieToken.iat >= clientUat and malformed token [10y.1n]',
      'refused',
      '401 invalid_token invalid_signature',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __client_uat: `${iat - 10}`, __session: MOCK_MALFORMED_JWT }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns signed in when cookieToken.iat >= clientUat and valid token [10y.2y]',
      'accepted',
      '200',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __client_uat: `${iat - 10}`, __session: MOCK_JWT }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when cookieToken.iat >= clientUat and expired token [10y.2n.1n]',
      'refused',
      '401 invalid_token expired',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __client_uat: `${iat - 10}`, __session: MOCK_JWT }),
        FIXTURE_NOW + 3600 * 1000,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns signed in for Amazon Cloudfront userAgent',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w),
        () => cookies({ __client_uat: '12345', __session: MOCK_JWT }, [['user-agent', 'Amazon CloudFront']]),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when app is not satellite and responds to syncing on dev instances[12y]',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () =>
          cookies({ __client_uat: '12345', __session: MOCK_JWT, __clerk_db_jwt: 'deadbeef' }, [['sec-fetch-dest', 'document']], {
            path: `/r?${new URLSearchParams({ __clerk_redirect_url: 'http://localhost:3000' }).toString()}`,
          }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: primary responds to syncing takes precedence over dev-browser-sync in multi-domain flow',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () =>
          cookies({ __client_uat: '12345', __session: MOCK_JWT, __clerk_db_jwt: MOCK_JWT }, [['sec-fetch-dest', 'document']], {
            path: `/r?${new URLSearchParams({ __clerk_redirect_url: 'http://localhost:3001/dashboard', __clerk_db_jwt: MOCK_JWT }).toString()}`,
          }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: returns handshake when app is satellite, returns from primary and is dev instance [13y] (__clerk_db_jwt in the query)',
      'refused',
      '401 missing_token',
      viaHttp(
        (w) => test(w),
        () => cookies({}, [], { path: `/r?__clerk_synced=true&__clerk_db_jwt=${MOCK_JWT}` }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'cookieToken: __clerk_db_jwt in the query of a dev instance with a session cookie (dev-browser sync)',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () => cookies({ __client_uat: '12345', __session: MOCK_JWT, __clerk_db_jwt: 'deadbeef' }, [], { path: `/r?__clerk_db_jwt=${MOCK_JWT}` }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'Cross-origin sync › triggers handshake for cross-origin document request on primary domain',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://satellite.com/signin'],
              ['sec-fetch-dest', 'document'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › triggers handshake for cross-site document request on primary domain',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://satellite.com/signin'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is same origin',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://primary.com/signin'],
              ['sec-fetch-dest', 'document'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is same origin (localhost, development)',
      'accepted',
      '200',
      viaHttp(
        (w) => test(w),
        () =>
          cookies(
            { __clerk_db_jwt: MOCK_JWT, __session: MOCK_JWT, __client_uat: '12345' },
            [
              ['host', 'localhost:3000'],
              ['referer', 'http://localhost:3000'],
              ['sec-fetch-dest', 'document'],
            ],
            { path: '/' },
          ),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when no referer header',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['sec-fetch-dest', 'document'],
              ['origin', 'https://primary.com'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake for cross-origin POST document request on primary domain',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://satellite.com/form'],
              ['sec-fetch-dest', 'document'],
            ]),
            { method: 'POST', path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake for non-document requests',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://satellite.com/signin'],
              ['sec-fetch-dest', 'empty'],
              ['origin', 'https://primary.com'],
            ]),
            { path: '/api/data' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer header contains invalid URL format',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w, { authorizedParties: parties }),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'invalid-url-format'],
              ['sec-fetch-dest', 'document'],
              ['origin', 'https://primary.com'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w, { authorizedParties: parties }),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is from production accounts portal',
      'accepted',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://accounts.example.com/sign-in'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
      STRICTER.navigation,
      newer,
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is from dev accounts portal (current format)',
      'accepted',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://foo-bar-13.accounts.dev/sign-in'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
      STRICTER.navigation,
      newer,
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is from dev accounts portal (legacy format)',
      'accepted',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://accounts.foo-bar-13.lcl.dev/sign-in'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
      STRICTER.navigation,
      newer,
    ],
    [
      'Cross-origin sync › does not trigger handshake when referer is from FAPI domain (development, no dev-browser cookie)',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://clerk.inspired.puma-74.lcl.dev/v1/client/sign_ins/12345/attempt_first_factor'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'Cross-origin sync › still triggers handshake for legitimate cross-origin requests from non-accounts domains',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://satellite.com/sign-in'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'Cross-origin sync › does not trigger handshake when referrer matches current origin despite sec-fetch-site cross-site (redirect chain)',
      'accepted',
      '200',
      viaHttp(
        (w) => live(w),
        () =>
          cookies(
            { __session: MOCK_JWT, __client_uat: '12345' },
            primary([
              ['referer', 'https://primary.com/some-page'],
              ['sec-fetch-dest', 'document'],
              ['sec-fetch-site', 'cross-site'],
            ]),
            { path: '/dashboard' },
          ),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'POST requests with sec-fetch-dest: document › returns signed out instead of handshake when clientUat > 0 and no cookieToken',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => live(w),
        () => cookies({ __client_uat: '12345' }, [['sec-fetch-dest', 'document']], { method: 'POST' }),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'POST requests with sec-fetch-dest: document › returns signed out instead of handshake when clientUat > cookieToken.iat',
      'refused',
      '401 invalid_token session_refresh_required',
      viaHttp(
        (w) => test(w),
        () => cookies({ __clerk_db_jwt: 'deadbeef', __client_uat: `${iat + 10}`, __session: MOCK_JWT }, [['sec-fetch-dest', 'document']], { method: 'POST' }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
    [
      'Token Location Validation › a machine token (mt_…) in the __session cookie of a session route',
      'refused',
      '401 invalid_token token_type_mismatch',
      viaHttp(
        (w) => live(w),
        () => cookies({ __session: 'mt_8XOIucKvqHVr5tYP123456789abcdefghij', __client_uat: '12345' }),
        FIXTURE_NOW,
        (w) => liveClerk(w),
      ),
    ],
    [
      'Array of Accepted Token Types › a session token in the __session cookie (session route, development, uat older than iat)',
      'accepted',
      '200',
      viaHttp(
        (w) => test(w),
        () => cookies({ __session: MOCK_JWT, __client_uat: '12345', __clerk_db_jwt: 'deadbeef' }),
        FIXTURE_NOW,
        (w) => fixtureClerk(w),
      ),
    ],
  ];
  return cases.map(([name, clerk, expect, run, stricter, extra]) => ({ source: REQUEST, test: name, clerk, expect, run, ...(stricter === undefined ? {} : { stricter }), ...extra }));
}

/** jwtPayloadParser.spec.ts and authorization.spec.ts, through toAuth() and has(). */
function payloadParserCases(): UpstreamCase[] {
  const base = { exp: 1234567890, iat: 1234567890, iss: 'https://api.clerk.com', sub: 'sub', sid: 'sid', azp: 'azp', nbf: 1234567890 };
  const permissions =
    (claims: Record<string, unknown>) =>
    async (world: UpstreamWorld): Promise<Answer> => {
      const auth = world.deps.pkg.toAuth({ ...base, ...claims } as never);
      return { detail: JSON.stringify(auth.orgPermissions === null ? null : [...auth.orgPermissions].sort()) };
    };
  const sorted = (list: string[]): string => JSON.stringify([...list].sort());
  const org = (extra: Record<string, unknown>) => ({ id: 'org_id', rol: 'admin', slg: 'org_slug', ...extra });
  const cases: UpstreamCase[] = [
    {
      source: PAYLOAD_PARSER,
      test: 'auth object with JWT v2 does not produce anything org related if there is no org active',
      clerk: 'other',
      expect: 'same',
      run: async (world) => {
        const view = (claims: Record<string, unknown>) => {
          const auth = world.deps.pkg.toAuth({ ...base, ...claims } as never);
          return JSON.stringify([auth.orgId, auth.orgRole, auth.orgSlug, auth.orgPermissions]);
        };
        const v1 = view({});
        const v2 = view({ v: 2, fea: 'u:impersonation,u:memberships' });
        return { detail: v1 === v2 && v1 === JSON.stringify([null, null, null, null]) ? 'same' : `v1 ${v1} v2 ${v2}` };
      },
    },
    {
      source: PAYLOAD_PARSER,
      test: 'produced auth object is the same for v1 and v2',
      clerk: 'other',
      expect: 'same',
      run: async (world) => {
        const view = (claims: Record<string, unknown>) => {
          const auth = world.deps.pkg.toAuth({ ...base, ...claims } as never);
          return JSON.stringify([auth.orgId, auth.orgRole, auth.orgSlug, auth.orgPermissions === null ? null : [...auth.orgPermissions].sort()]);
        };
        const v2 = view({ v: 2, fea: 'o:impersonation', o: { id: 'org_xxxxxxx', rol: 'admin', slg: 'org_test', per: 'read,manage', fpm: '3' } });
        const v1 = view({ org_id: 'org_xxxxxxx', org_role: 'org:admin', org_slug: 'org_test', org_permissions: ['org:impersonation:read', 'org:impersonation:manage'] });
        return { detail: v1 === v2 ? 'same' : `v1 ${v1} v2 ${v2}` };
      },
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are generated correctly when fea, per, and fpm are present',
      clerk: 'other',
      expect: sorted(['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage']),
      run: permissions({ v: 2, fea: 'o:impersonation,o:memberships', o: org({ per: 'read,manage', fpm: '1,3' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'if a feature is not mapped to any permissions it is added as is to the orgPermissions array',
      clerk: 'other',
      expect: sorted(['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage']),
      run: permissions({ v: 2, fea: 'o:impersonation,o:memberships,o:feature3', o: org({ per: 'read,manage', fpm: '1,3' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'includes both org and user scoped features',
      clerk: 'other',
      expect: sorted(['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage', 'org:feature3:read']),
      run: permissions({ v: 2, fea: 'uo:impersonation,o:memberships,uo:feature3', o: org({ per: 'read,manage', fpm: '1,3,1' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'if there is no o.fpm and o.per org permissions should be empty array',
      clerk: 'other',
      expect: '[]',
      run: permissions({ v: 2, fea: 'u:impersonation,u:memberships,u:feature3', o: org({}) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org role is prefixed with org:',
      clerk: 'other',
      expect: 'org:admin',
      run: async (world) => ({ detail: String(world.deps.pkg.toAuth({ ...base, v: 2, fea: 'u:impersonation', o: org({}) } as never).orgRole) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are constructed correctly',
      clerk: 'other',
      expect: sorted(['org:memberships:read', 'org:memberships:manage']),
      run: permissions({ v: 2, fea: 'ou:memberships,u:impersonation', o: org({ per: 'read,manage', fpm: '3' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are constructed correctly case 2',
      clerk: 'other',
      expect: sorted([
        'org:billing:manage',
        'org:billing:read',
        'org:email:manage',
        'org:email:read',
        'org:fraud:manage',
        'org:fraud:read',
        'org:instance:manage',
        'org:instance:read',
        'org:staging_plans:manage',
      ]),
      run: permissions({ v: 2, fea: 'o:billing,o:email,o:fraud,o:instance,o:staging_plans', o: org({ per: 'manage,read', fpm: '3,3,3,3,1' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are constructed correctly case 3',
      clerk: 'other',
      expect: sorted(['org:repositories:read', 'org:repositories:create', 'org:repositories:update', 'org:projects:read', 'org:projects:update', 'org:projects:revoke']),
      run: permissions({ v: 2, fea: 'o:repositories,o:projects', o: org({ per: 'read,create,update,delete,revoke', fpm: '7,21' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are constructed correctly case 4',
      clerk: 'other',
      expect: sorted(['org:repositories:read', 'org:projects:manage', 'org:webhooks:read', 'org:webhooks:manage']),
      run: permissions({ v: 2, fea: 'o:repositories,o:projects,o:webhooks,o:impersonation', o: org({ per: 'read,manage', fpm: '1,2,3' }) }),
    },
    {
      source: PAYLOAD_PARSER,
      test: 'org permissions are constructed correctly case 5',
      clerk: 'other',
      expect: sorted(['org:repositories:read', 'org:repositories:create', 'org:repositories:update', 'org:projects:read', 'org:projects:update', 'org:projects:revoke']),
      run: permissions({ v: 2, fea: 'o:repositories,uo:projects,u:goldprofileborder', o: org({ per: 'read,create,update,delete,revoke', fpm: '7,21' }) }),
    },
  ];
  // authorization.spec.ts: has({ feature }) over `fea: 'o:reservations,u:dashboard'` (Clerk throws on an unknown scope; false here).
  const features: [string, string][] = [
    ['o:reservations', 'true'],
    ['org:reservations', 'true'],
    ['organization:reservations', 'true'],
    ['reservations', 'true'],
    ['u:dashboard', 'true'],
    ['user:dashboard', 'true'],
    ['dashboard', 'true'],
    ['lol:dashboard', 'false'],
    ['o:dashboard', 'false'],
    ['u:reservations', 'false'],
  ];
  for (const [feature, expect] of features) {
    cases.push({
      source: AUTHORIZATION,
      test: `createCheckAuthorization › correctly parses features: has({ feature: ${JSON.stringify(feature)} })`,
      clerk: 'other',
      expect,
      run: async (world) => ({
        detail: String(
          world.deps.pkg
            .toAuth({ ...base, v: 2, fea: 'o:reservations,u:dashboard', pla: 'u:free_user,u:plus_user', o: org({ rol: 'admin', per: 'read', fpm: '1' }) } as never)
            .has({ feature }),
        ),
      }),
    });
  }
  cases.push({
    source: AUTHORIZATION,
    test: 'splitByScope › throws an error if the claim element is missing a colon (here: grants nothing)',
    clerk: 'other',
    expect: 'false false',
    run: async (world) => {
      const auth = world.deps.pkg.toAuth({ ...base, v: 2, fea: 'reservations,dashboard' } as never);
      return { detail: `${auth.has({ feature: 'reservations' })} ${auth.has({ feature: 'dashboard' })}` };
    },
  });
  return cases;
}

/** Upstream tests that do not map onto this package, and why. */
export const NOT_MAPPED: readonly { source: string; tests: string; why: string }[] = [
  {
    source: VERIFY_JWT,
    tests: 'verifyJwt with headerType / audience options; OAuth JWT accepted with headerType [at+jwt]',
    why: 'machine-token verification (acceptsToken) is a separate feature; on a session route every such token is refused, which the cases above check',
  },
  {
    source: VERIFY,
    tests: 'verifyMachineAuthToken: API keys, M2M and OAuth tokens accepted through the Backend API; audience checks of OAuth tokens',
    why: 'machine tokens on machine routes are not this package’s session verifier (see acceptsToken in its own issue)',
  },
  { source: REQUEST, tests: 'getOrganizationSyncTarget, organizationSyncOptions', why: 'organization sync is a handshake (browser redirect) feature; an API answers 401 instead' },
  {
    source: REQUEST,
    tests: 'satellite apps (isSatellite, domain, signInUrl, satelliteAutoSync, __clerk_synced)',
    why: 'no satellite mode: a satellite’s tokens carry another iss; set `issuer` (docs/configuration.md, The issuer pin)',
  },
  {
    source: REQUEST,
    tests: 'refreshToken (refresh cookie, apiClient.sessions.refreshSession)',
    why: 'an API cannot refresh a browser session: an expired cookie token is a 401 and ClerkJS refreshes it',
  },
  {
    source: REQUEST,
    tests: 'Machine authentication with acceptsToken api_key / m2m_token / oauth_token / any / arrays',
    why: 'acceptsToken is a separate feature; session routes refuse every machine token (cases above)',
  },
  { source: CONTEXT, tests: 'relative proxyUrl resolution; auto-proxy for eligible hosts (Vercel)', why: 'no Frontend API proxy here; behind a proxy path, set jwksUri (and issuer)' },
  {
    source: KEYS,
    tests: 'loadClerkJWKFromRemote retries five times with exponential back-off',
    why: 'by design one fetch per attempt, a 503 with Retry-After on failure, and a stale-key window (docs/configuration.md, Where the keys come from)',
  },
  {
    source: EXPRESS,
    tests: 'Frontend API proxy handling; options callback; apiUrl/apiVersion client construction; getAuth before clerkMiddleware throws',
    why: 'no proxy and no per-request options; getAuth() without clerkAuth() returns null (no user) instead of throwing',
  },
];

/** Runs every case (for runners without Jest): the failures, and counts. */
export async function runUpstreamCases(deps: Deps, readme?: string): Promise<{ total: number; failures: string[]; byVerdict: Record<string, number>; stricter: number }> {
  const world = await createUpstreamWorld(deps);
  const failures: string[] = [];
  const byVerdict: Record<string, number> = {};
  let stricter = 0;
  try {
    for (const testCase of UPSTREAM_CASES) {
      byVerdict[testCase.clerk] = (byVerdict[testCase.clerk] ?? 0) + 1;
      if (testCase.stricter !== undefined) stricter += 1;
      let problems: string[];
      try {
        problems = await checkUpstreamCase(testCase, world, readme);
      } catch (error) {
        problems = [`threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`];
      }
      for (const problem of problems) failures.push(`${testCase.source} › ${testCase.test}: ${problem}`);
    }
  } finally {
    await world.close();
  }
  return { total: UPSTREAM_CASES.length, failures, byVerdict, stricter };
}
