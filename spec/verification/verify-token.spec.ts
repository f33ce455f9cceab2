import { createHmac, randomBytes } from 'node:crypto';
import type { ClerkVerifierOptions } from '../../lib/verification/verifier-options';
import { InvalidTokenError, JwksUnavailableError, type InvalidTokenReason } from '../../lib/shared/errors';
import { createClerkVerifier, MAX_TOKEN_LENGTH } from '../../lib/verification/verify-token';
import { captureLogger, rejected } from '../helpers/expect-error';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { startJwksServer } from '../helpers/jwks-server';
import { b64url, fakeSecretKey, mint, mintRaw } from '../helpers/keys';
import { mockClock } from '../helpers/clock';

const jwks = useJwksFixture();
afterEach(() => jest.useRealTimers());
const { claims } = jwks;

const verifierFor = (options: ClerkVerifierOptions = {}) => createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });
const refusal = (promise: Promise<unknown>) => rejected(InvalidTokenError, promise);
const reasonOf = async (promise: Promise<unknown>): Promise<InvalidTokenReason> => (await refusal(promise)).reason;
const unavailable = (promise: Promise<unknown>) => rejected(JwksUnavailableError, promise);

describe('verify: accepted tokens', () => {
  it('returns the verified claims, custom ones included', async () => {
    const token = await mint(jwks.key, claims({ org_id: 'org_1', org_role: 'org:admin', plan: 'pro' }));
    const user = await verifierFor().verify(token);
    expect(user).toMatchObject({ sub: 'user_2abc', sid: 'sess_2abc', iss: jwks.server.origin, org_role: 'org:admin', plan: 'pro' });
  });

  it('accepts v2 tokens, and pending ones only when allowed', async () => {
    const v2 = { v: 2, sts: 'active', o: { id: 'org_1', slg: 'acme', rol: 'admin', per: 'read,manage', fpm: '3' }, fea: 'o:reports' };
    expect((await verifierFor().verify(await mint(jwks.key, claims(v2)))).o).toEqual(v2.o);
    const pending = await mint(jwks.key, claims({ ...v2, sts: 'pending' }));
    expect(await reasonOf(verifierFor().verify(pending))).toBe('pending_session');
    expect((await verifierFor({ acceptPendingSessions: true }).verify(pending)).sts).toBe('pending');
  });

  it.each([
    ['no cat', undefined],
    ['the session-token category', 'cl_B7d4PD111AAA'],
    ['the "ignore" category', 'cl_I7d4PD111III'],
  ])('accepts %s', async (_, cat) => {
    await expect(verifierFor().verify(await mint(jwks.key, claims(), { cat }))).resolves.toMatchObject({ sub: 'user_2abc' });
  });

  it('accepts a token without typ', async () => {
    await expect(verifierFor().verify(await mint(jwks.key, claims(), { typ: undefined }))).resolves.toBeDefined();
  });

  it('accepts tokens just inside the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(jwks.key, claims({ exp: now - 3, nbf: now + 3, iat: now + 3 }));
    await expect(verifierFor().verify(token)).resolves.toBeDefined();
  });
});

describe('verify: refused tokens', () => {
  it.each([
    ['garbage', 'not-a-token'],
    ['two parts', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['five parts (JWE)', 'a.b.c.d.e'],
    ['an empty signature', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['non-base64url characters', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0=.c2ln'],
    ['whitespace', 'eyJhbGciOiJSUzI1NiJ9. eyJzdWIiOiJ4In0.c2ln'],
    ['a huge token', `${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`],
  ])('refuses %s as malformed without fetching keys', async (_, token) => {
    expect(await reasonOf(verifierFor().verify(token))).toBe('malformed');
    expect(jwks.server.requests).toBe(0);
  });

  it('refuses a header or payload that is not JSON, or a payload that is not an object', async () => {
    expect(await reasonOf(verifierFor().verify(mintRaw(jwks.key, 'not json', JSON.stringify(claims()))))).toBe('malformed');
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, 'hello')))).toBe('malformed');
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, '[1,2]')))).toBe('malformed');
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, 'null')))).toBe('malformed');
  });

  it('refuses alg none and HMAC signed with the public key, before fetching keys', async () => {
    const payload = b64url(JSON.stringify(claims()));
    const none = `${b64url('{"alg":"none","typ":"JWT"}')}.${payload}.c2ln`;
    expect(await reasonOf(verifierFor().verify(none))).toBe('invalid_algorithm');
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: jwks.key.kid }));
    const mac = createHmac('sha256', jwks.key.pem).update(`${header}.${payload}`).digest('base64url');
    expect(await reasonOf(verifierFor().verify(`${header}.${payload}.${mac}`))).toBe('invalid_algorithm');
    expect(jwks.server.requests).toBe(0);
  });

  it.each(['RS384', 'RS512', 'PS256', 'ES256'])('refuses %s: Clerk signs RS256', async (alg) => {
    const token = mintRaw(jwks.key, JSON.stringify({ alg, kid: jwks.key.kid, typ: 'JWT' }), JSON.stringify(claims()));
    expect(await reasonOf(verifierFor().verify(token))).toBe('invalid_algorithm');
    expect(jwks.server.requests).toBe(0);
  });

  it.each([
    ['typ at+jwt (an OAuth access token)', { typ: 'at+jwt' }, 'token_type_mismatch'],
    ['typ application/at+jwt (an OAuth access token)', { typ: 'application/at+jwt' }, 'token_type_mismatch'],
    ['typ AT+JWT (not how Clerk spells it)', { typ: 'AT+JWT' }, 'invalid_header'],
    ['typ jwt (lower case)', { typ: 'jwt' }, 'invalid_header'],
  ])('refuses %s before fetching keys', async (_, header, reason) => {
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, claims(), header)))).toBe(reason);
    expect(jwks.server.requests).toBe(0);
  });

  it('refuses crit and b64 headers', async () => {
    const payload = JSON.stringify(claims());
    const critExp = mintRaw(jwks.key, JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, crit: ['exp'], exp: 1 }), payload);
    expect(await reasonOf(verifierFor().verify(critExp))).toBe('invalid_header');
    const b64 = mintRaw(jwks.key, JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, b64: true, crit: ['b64'] }), payload);
    expect(await reasonOf(verifierFor().verify(b64))).toBe('invalid_header');
  });

  it.each([
    ['JWT template', 'cl_B7d4PD222AAA', 'unsupported_category'],
    ['machine (M2M)', 'cl_B7d4PD333AAA', 'token_type_mismatch'],
    ['unknown', 'cl_something', 'unsupported_category'],
    ['non-string', 7, 'unsupported_category'],
  ])('refuses the %s category', async (_, cat, reason) => {
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, claims(), { cat })))).toBe(reason);
  });

  it('refuses a kid the key set does not hold', async () => {
    const error = await refusal(verifierFor().verify(await mint(jwks.otherKey, claims())));
    expect(error.reason).toBe('unknown_key');
    expect(error.status).toBe(401);
  });

  it('refuses a token without kid when the key set holds several keys', async () => {
    jwks.server.keys = [jwks.key.jwk, jwks.otherKey.jwk];
    const error = await refusal(verifierFor().verify(await mint(jwks.key, claims(), { kid: undefined })));
    expect(error.reason).toBe('unknown_key');
    expect(error.message).toBe('Token verification failed: the token has no kid, and keys from a key set are chosen by kid.');
  });

  it('refuses a token signed by another key under the right kid, or tampered with', async () => {
    expect(await reasonOf(verifierFor().verify(await mint(jwks.otherKey, claims(), { kid: jwks.key.kid })))).toBe('invalid_signature');
    const [header, , signature] = (await mint(jwks.key, claims())).split('.');
    const forged = `${header}.${b64url(JSON.stringify(claims({ sub: 'user_admin' })))}.${signature}`;
    expect(await reasonOf(verifierFor().verify(forged))).toBe('invalid_signature');
  });

  it('checks the signature before any claim', async () => {
    const expiredAndForged = await mint(jwks.otherKey, claims({ exp: 1 }), { kid: jwks.key.kid });
    expect(await reasonOf(verifierFor().verify(expiredAndForged))).toBe('invalid_signature');
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 10 }],
    ['not_yet_valid', { nbf: Math.floor(Date.now() / 1000) + 60 }],
    ['issued_in_future', { iat: Math.floor(Date.now() / 1000) + 60 }],
    ['invalid_issuer', { iss: 'https://evil.clerk.accounts.dev' }],
    ['invalid_claims', { sub: undefined }],
    ['invalid_claims', { exp: undefined }],
  ])('refuses with %s', async (reason, overrides) => {
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, claims(overrides))))).toBe(reason);
  });

  it('applies authorizedParties and clockSkewInMs', async () => {
    const verifier = verifierFor({ authorizedParties: ['https://app.example.com'], clockSkewInMs: 0 });
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims())))).toBe('invalid_authorized_party');
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims({ azp: undefined }))))).toBe('invalid_authorized_party');
    const now = Math.floor(Date.now() / 1000);
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims({ azp: 'https://app.example.com', exp: now - 1 }))))).toBe('expired');
    await expect(verifier.verify(await mint(jwks.key, claims({ azp: 'https://app.example.com' })))).resolves.toBeDefined();
  });

  it('uses its name as the realm of its errors', async () => {
    const error = await refusal(verifierFor({ name: 'agents' }).verify('x.y.z'));
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="agents", error="invalid_token"/);
  });
});

describe('verify: key sources', () => {
  it('jwtKey verifies with no network and whatever the kid', async () => {
    await jwks.server.close();
    const verifier = createClerkVerifier({ jwtKey: jwks.key.pem, env: {} });
    await expect(verifier.verify(await mint(jwks.key, claims(), { kid: 'anything' }))).resolves.toMatchObject({ sub: 'user_2abc' });
    expect(await reasonOf(verifier.verify(await mint(jwks.otherKey, claims())))).toBe('invalid_signature');
  });

  it('secretKey reads the Backend API key set with the key as Bearer', async () => {
    const secretKey = fakeSecretKey();
    const verifier = createClerkVerifier({ env: { CLERK_SECRET_KEY: secretKey, CLERK_API_URL: jwks.server.origin } });
    expect(verifier.config.jwksUri).toBe(`${jwks.server.origin}/v1/jwks`);
    await expect(verifier.verify(await mint(jwks.key, claims()))).resolves.toBeDefined();
    expect(jwks.server.lastHeaders?.authorization).toBe(`Bearer ${secretKey}`);
    expect(jwks.server.lastHeaders?.['user-agent']).toBe('express-clerk-jwt');
  });

  it('says when the Backend API refuses the secret key, without printing it', async () => {
    jwks.server.behaviour = 'unauthorized';
    const secretKey = fakeSecretKey();
    const logger = captureLogger();
    const verifier = createClerkVerifier({ secretKey, apiUrl: jwks.server.origin, env: {}, logger });
    const error = await unavailable(verifier.verify(await mint(jwks.key, claims())));
    expect(error.message).toBe(
      "Could not load Clerk's signing keys (JWKS): the Backend API refused secretKey (CLERK_SECRET_KEY) with HTTP 401; check that the key is current and belongs to this instance.",
    );
    expect(JSON.stringify(error.toJSON())).not.toContain('secretKey');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('the Backend API refused secretKey (CLERK_SECRET_KEY) with HTTP 401');
    expect([error.message, ...logger.lines].join('\n')).not.toContain(secretKey.slice(8));
  });

  it('never sends the secret key to a Frontend API key set', async () => {
    const verifier = verifierFor({ secretKey: fakeSecretKey() });
    await verifier.verify(await mint(jwks.key, claims()));
    expect(jwks.server.lastHeaders?.authorization).toBeUndefined();
  });

  it('ignores keys that are not RS256 signing keys', async () => {
    jwks.server.keys = [{ ...jwks.key.jwk, use: 'enc' }, jwks.otherKey.jwk];
    expect(await reasonOf(verifierFor().verify(await mint(jwks.key, claims())))).toBe('unknown_key');
  });
});

describe('verify: the key cache', () => {
  it('fetches the key set once for 200 concurrent cold requests', async () => {
    const verifier = verifierFor();
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => mint(jwks.key, claims({ sub: `user_${i}` }))));
    const users = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(users.map((user) => user.sub)).toEqual(tokens.map((_, i) => `user_${i}`));
    expect(jwks.server.requests).toBe(1);
    await verifier.verify(tokens[0] as string);
    expect(jwks.server.requests).toBe(1);
  });

  it('refetches for 1000 random kids at most once per cooldown', async () => {
    const verifier = verifierFor({ jwksCooldownInMs: 1000 });
    // Well-formed tokens under made-up kids: refused at key lookup, before any signature check.
    const [, payload, signature] = (await mint(jwks.otherKey, claims())).split('.');
    const unknown = Array.from({ length: 1000 }, () => `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: `ins_${randomBytes(8).toString('hex')}` }))}.${payload}.${signature}`);
    // The clock stands still during each flood, however long a loaded machine takes over it.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      await verifier.verify(await mint(jwks.key, claims()));
      expect(jwks.server.requests).toBe(1);
      const flood = async () => {
        const reasons = await Promise.all(unknown.map((token) => reasonOf(verifier.verify(token))));
        expect(new Set(reasons)).toEqual(new Set(['unknown_key']));
        for (const token of unknown) expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
      };
      await flood();
      expect(jwks.server.requests).toBe(1);
      clock.mockReturnValue(now + 1000);
      await flood();
      expect(jwks.server.requests).toBe(2);
    } finally {
      clock.mockRestore();
    }
  });

  it('picks up a rotated key without a restart', async () => {
    const clock = mockClock();
    const verifier = verifierFor({ jwksCooldownInMs: 100 });
    await verifier.verify(await mint(jwks.key, claims()));
    jwks.server.keys = [jwks.key.jwk, jwks.otherKey.jwk];
    clock.advance(150);
    await expect(verifier.verify(await mint(jwks.otherKey, claims()))).resolves.toBeDefined();
    expect(jwks.server.requests).toBe(2);
  });

  it('stops trusting a key removed from the key set once the cache is refreshed', async () => {
    const clock = mockClock();
    const verifier = verifierFor({ jwksCacheMaxAgeInMs: 1000 });
    const token = await mint(jwks.key, claims());
    await verifier.verify(token);
    jwks.server.keys = [jwks.otherKey.jwk];
    await expect(verifier.verify(token)).resolves.toBeDefined();
    clock.advance(1050);
    expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
  });
});

describe('verify: key set outages are 503s, never 401s', () => {
  const bodyOf503 = { error: 'jwks_unavailable', message: "Could not load Clerk's signing keys (JWKS). Try again shortly." };

  it('answers 503 while the key set is down, logs the incident once, then recovers by itself', async () => {
    await jwks.server.stop();
    const clock = mockClock();
    const logger = captureLogger();
    const verifier = verifierFor({ jwksCooldownInMs: 200, logger });
    const token = await mint(jwks.key, claims());
    const error = await unavailable(verifier.verify(token));
    expect(error.status).toBe(503);
    expect(error.problem).toBe('the JWKS endpoint could not be reached (ECONNREFUSED)');
    expect(error.message).toBe("Could not load Clerk's signing keys (JWKS): the JWKS endpoint could not be reached (ECONNREFUSED).");
    expect(error.toJSON()).toEqual(bodyOf503);
    expect(error.headers['Retry-After']).toBe('1');
    for (let i = 0; i < 5; i++) await unavailable(verifier.verify(token));
    expect(logger.lines).toEqual([
      `[clerk] Could not load Clerk's signing keys from ${jwks.server.jwksUri}: the JWKS endpoint could not be reached (ECONNREFUSED). Requests that need them get 503 until they load.`,
    ]);
    await jwks.server.start();
    clock.advance(250);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(logger.lines[1]).toBe(`[clerk] Clerk's signing keys loaded again from ${jwks.server.jwksUri}.`);
  });

  it('does not fetch a failing key set again before the back-off (5 s by default)', async () => {
    jwks.server.behaviour = 'error500';
    const verifier = verifierFor();
    const token = await mint(jwks.key, claims());
    const errors = await Promise.all(Array.from({ length: 20 }, () => unavailable(verifier.verify(token))));
    for (let i = 0; i < 20; i++) errors.push(await unavailable(verifier.verify(token)));
    expect(jwks.server.requests).toBe(1);
    expect(errors.every((error) => Number(error.headers['Retry-After']) >= 1 && Number(error.headers['Retry-After']) <= 5)).toBe(true);
  });

  it('refetches for made-up kids at most once per cooldown while the endpoint fails, and answers them 503: the kid may be a new key', async () => {
    const clock = mockClock();
    const verifier = verifierFor({ jwksCooldownInMs: 500 });
    const valid = await mint(jwks.key, claims());
    const madeUp = await Promise.all(Array.from({ length: 10 }, (_, i) => mint(jwks.otherKey, claims(), { kid: `ins_fake_${i}` })));
    await verifier.verify(valid);
    jwks.server.behaviour = 'error500';
    clock.advance(550);
    for (const token of madeUp) await unavailable(verifier.verify(token));
    expect(jwks.server.requests).toBe(2);
    await expect(verifier.verify(valid)).resolves.toBeDefined();
  });

  it('keeps verifying with the cached keys when the key set goes down within jwksCacheMaxAgeInMs', async () => {
    const verifier = verifierFor();
    const token = await mint(jwks.key, claims());
    await verifier.verify(token);
    await jwks.server.stop();
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('answers 503 once the cached keys are older than jwksCacheMaxAgeInMs and cannot be refreshed, without a stale window', async () => {
    const clock = mockClock();
    const verifier = verifierFor({ jwksCacheMaxAgeInMs: 300, jwksStaleWindowInMs: 0 });
    const token = await mint(jwks.key, claims());
    await verifier.verify(token);
    await jwks.server.stop();
    clock.advance(350);
    await unavailable(verifier.verify(token));
  });

  it.each([
    ['error500', 'the JWKS endpoint answered HTTP 500'],
    ['html', 'the JWKS response is not valid JSON'],
    ['not-jwks', 'the JWKS response is not a JSON Web Key Set'],
    ['redirect', 'the JWKS endpoint answered HTTP 302 (a redirect, which is not followed: configure the final URL)'],
    ['drop-mid-body', 'the JWKS response is not valid JSON'],
  ] as const)('answers 503 when the key set server answers %s', async (behaviour, problem) => {
    jwks.server.behaviour = behaviour;
    const error = await unavailable(verifierFor().verify(await mint(jwks.key, claims())));
    expect(error.problem).toBe(problem);
    expect(error.toJSON()).toEqual(bodyOf503);
  });

  it.each([
    ['empty', () => []],
    [
      'without an RS256 signing key',
      () => [
        { ...jwks.key.jwk, use: 'enc' },
        { ...jwks.key.jwk, kid: 'ins_ops', key_ops: ['encrypt'] },
        { ...jwks.key.jwk, kid: 'ins_384', alg: 'RS384' },
      ],
    ],
  ])("answers 503 when the key set is %s: no token could pass, so the fault is not the token's", async (_, keys) => {
    jwks.server.keys = keys();
    const error = await unavailable(verifierFor().verify(await mint(jwks.key, claims())));
    expect(error.problem).toBe('the JWKS holds no RS256 signing key');
  });

  it('answers 503 when a matching key cannot be imported', async () => {
    jwks.server.keys = [{ ...jwks.key.jwk, n: 'AAAA' }];
    const error = await unavailable(verifierFor().verify(await mint(jwks.key, claims())));
    expect(error.problem).toBe('a key of the JWKS could not be used');
  });

  it('answers 503 when the key set is slower than the timeout', async () => {
    await jwks.server.close();
    jwks.server = await startJwksServer([jwks.key.jwk], { slowMs: 1000 });
    jwks.server.behaviour = 'slow';
    const error = await unavailable(verifierFor({ jwksTimeoutInMs: 100 }).verify(await mint(jwks.key, claims())));
    expect(error.problem).toBe('the JWKS request timed out after 100 ms');
  });
});
