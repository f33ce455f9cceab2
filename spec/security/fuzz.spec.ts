/**
 * Property-based tests with fast-check. Run counts are modest for CI; raise them with FUZZ_RUNS,
 * e.g. `FUZZ_RUNS=20000 npx jest spec/security/fuzz.spec.ts`.
 */
import fc from 'fast-check';
import express from 'express';
import { clerkAuth, createClerkVerifier, InvalidTokenError, type ClerkVerifier } from '../../lib';
import { hasCanonicalSegments, isCanonicalCompactJws } from '../../lib/verification/signature-check';
import { MAX_HEADER_LENGTH, MAX_TOKEN_LENGTH } from '../../lib/verification/verify-token';
import { clerkAuthenticateAuthorization, clerkTokenVerdicts, clerkVerifyToken } from '../helpers/clerk-token-oracle';
import { otherSpellings } from '../helpers/token-spelling';
import { send, serve, type TestServer } from '../helpers/http-client';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server';
import { b64url, createTestKey, mint, mintRaw, sessionClaims, type TestKey } from '../helpers/keys';

// FUZZ_RUNS raises the count; anything but a positive whole number (an empty string, 0) keeps 150.
const RUNS = /^[1-9]\d*$/.test(process.env['FUZZ_RUNS'] ?? '') ? Number(process.env['FUZZ_RUNS']) : 150;
const PARTIES = ['http://localhost:3000', 'https://app.example.com'];
// Generous: the machine may be loaded, and FUZZ_RUNS scales the work.
jest.setTimeout(Math.max(60_000, RUNS * 100));

let key: TestKey;
let otherKey: TestKey;
let jwks: JwksServer;
let verifier: ClerkVerifier;
let server: TestServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  [key, otherKey] = await Promise.all([createTestKey('ins_fuzz'), createTestKey('ins_fuzz_other')]);
  jwks = await startJwksServer([key.jwk]);
  verifier = createClerkVerifier({ jwksUri: jwks.jwksUri, authorizedParties: PARTIES, env: {}, logger: false, jwksCooldownInMs: 600_000 });
  const app = express();
  app.use(clerkAuth({ verifier }));
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  server = await serve(app, { maxHeaderSize: 64 * 1024 });
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server.close();
  await jwks.close();
});
afterEach(() => expect(unhandled).toEqual([]));

// Every character Node's HTTP client lets through in a header value.
const headerChar = fc.oneof(
  fc.constantFrom('\t', ' ', '.', '-', '_', '=', '+', '/', ',', '"', 'Bearer ', 'bearer ', 'eyJ', 'Basic '),
  fc
    .integer({ min: 0x20, max: 0xff })
    .filter((code) => code !== 0x7f)
    .map((code) => String.fromCharCode(code)),
);
const headerValue = fc.array(headerChar, { maxLength: 300 }).map((parts) => parts.join(''));
const base64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 400 });

/** A header that could fool a careless verifier: Clerk-like fields with hostile values. */
const hostileHeader = fc.record(
  {
    alg: fc.constantFrom('RS256', 'rs256', 'none', 'HS256', 'RS384', 'PS256', 'ES256', '', null, 1, ['RS256']),
    kid: fc.oneof(fc.constantFrom('ins_fuzz', 'ins_fuzz_other', '../', '', null), fc.string(), fc.integer(), fc.constant({})),
    typ: fc.constantFrom('JWT', 'jwt', 'at+jwt', 'JOSE', null, 1),
    cat: fc.constantFrom('cl_B7d4PD111AAA', 'cl_B7d4PD222AAA', 'cl_B7d4PD333AAA', 'cl_I7d4PD111III', 'x', null),
    crit: fc.constantFrom([], ['b64'], ['exp'], 'b64', [1], null),
    b64: fc.constantFrom(true, false, 'false', null),
    jku: fc.constant('http://127.0.0.1:1/jwks.json'),
    jwk: fc.constant({ kty: 'oct', k: 'AAAA' }),
    x5c: fc.constantFrom(['AAAA'], 'AAAA', []),
    enc: fc.constantFrom('A256GCM', null),
    zip: fc.constantFrom('DEF', null),
  },
  { requiredKeys: [] },
);
const segment = fc.oneof(
  base64url,
  fc.jsonValue().map((value) => b64url(JSON.stringify(value) ?? 'null')),
  hostileHeader.map((header) => b64url(JSON.stringify(header))),
  fc.string({ maxLength: 80 }).map((text) => b64url(text)),
);

/** Token-shaped strings: three parts, each garbage, arbitrary JSON or a hostile header; signed by the right key, another, or nobody. */
const tokenShaped = fc.oneof(
  fc.tuple(segment, segment, base64url).map((parts) => parts.join('.')),
  fc.tuple(hostileHeader, fc.jsonValue()).map(([header, payload]) => mintRaw(key, JSON.stringify(header), JSON.stringify(payload) ?? 'null')),
  fc.tuple(hostileHeader, fc.jsonValue()).map(([header, payload]) => mintRaw(otherKey, JSON.stringify(header), JSON.stringify(payload) ?? 'null')),
  fc
    .tuple(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.jsonValue())
    .map(([extra, payload]) => mintRaw(key, JSON.stringify({ ...extra, alg: 'RS256', kid: 'ins_fuzz' }), JSON.stringify(payload) ?? 'null')),
  fc.array(base64url, { minLength: 0, maxLength: 7 }).map((parts) => parts.join('.')),
);

describe('fuzzing the Authorization header through Express', () => {
  it('answers every arbitrary header value with a 400 or 401 and a JSON error, never 200 or 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(headerValue, async (value) => {
        const answer = await send(server.port, '/', [['authorization', value]]);
        expect([400, 401]).toContain(answer.status);
        expect(['invalid_request', 'missing_token', 'invalid_token']).toContain((JSON.parse(answer.body) as { error: string }).error);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers every token-shaped value with a 400 or 401, never 200 or 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(tokenShaped, async (token) => {
        const answer = await send(server.port, '/', [['authorization', `Bearer ${token}`]]);
        expect([400, 401]).toContain(answer.status);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzzing the spelling of a Bearer header around a valid token', () => {
  // Blanks Node keeps (0xA0) or strips (space, tab, at either end), commas, cases of the scheme.
  const blank = fc.constantFrom(' ', '\t', '\u00a0', ',');
  const spelling = fc.record({
    before: fc.array(fc.constantFrom(' ', '\t', '\u00a0'), { maxLength: 2 }).map((parts) => parts.join('')),
    scheme: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Bearer'),
    between: fc.array(blank, { minLength: 0, maxLength: 3 }).map((parts) => parts.join('')),
    after: fc.constantFrom('', ' ', '\t', '\u00a0', ' x', '\tx'),
  });

  it("accepts a valid token only where Clerk's authenticateRequest does, and answers every other spelling of Bearer with a 400", async () => {
    const token = await mint(key, sessionClaims(jwks.origin, { azp: PARTIES[0] }), { kid: key.kid });
    const oracle = { jwtKey: key.pem, authorizedParties: PARTIES };
    await fc.assert(
      fc.asyncProperty(spelling, async ({ before, scheme, between, after }) => {
        const value = `${before}${scheme}${between}${token}${after}`;
        const answer = await send(server.port, '/', [['authorization', value]]);
        // Clerk judges the value as Node hands it to the app: spaces and tabs around it stripped.
        const clerk = await clerkAuthenticateAuthorization(value.replace(/^[ \t]+|[ \t]+$/g, ''), oracle);
        if (answer.status === 200) expect(clerk.accepted).toBe(true);
        // Clerk's spelling with exactly the token: 200; with something glued to it (`Bearer ,<token>`):
        // the token is malformed, 401; any other spelling: 400.
        const spelled = /^Bearer (\S+)$/.exec(value.replace(/^[ \t]+|[ \t]+$/g, ''));
        const expected = spelled === null ? 400 : spelled[1] === token ? 200 : 401;
        expect({ value, status: answer.status }).toEqual({ value, status: expected });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzzing the verifier with token-shaped strings', () => {
  it('refuses each with an InvalidTokenError (401), never a 503 and never a throw of anything else', async () => {
    await fc.assert(
      fc.asyncProperty(tokenShaped, async (token) => {
        const outcome = await verifier.verify(token).then(
          () => null,
          (error: unknown) => error,
        );
        expect(outcome).toBeInstanceOf(InvalidTokenError);
      }),
      { numRuns: RUNS * 4 },
    );
    // Made-up kids never made the verifier fetch again inside the cooldown.
    expect(jwks.requests).toBe(1);
  });
});

describe('fuzzing the one-spelling rule', () => {
  /** The rule written the slow way: decode each segment and encode it again; the text must come back. */
  function reencodes(token: string): boolean {
    const parts = token.split('.');
    if (token.length > MAX_TOKEN_LENGTH || parts.length !== 3 || (parts[0] as string).length > MAX_HEADER_LENGTH) return false;
    return parts.every((part) => part !== '' && /^[\w-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part);
  }
  const segmentOf = (max: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.'), maxLength: max });

  it('isCanonicalCompactJws() agrees with decoding and re-encoding, on arbitrary strings', () => {
    fc.assert(
      fc.property(segmentOf(40), segmentOf(40), segmentOf(40), fc.constantFrom('.', '..', ''), (a, b, c, dots) => {
        const token = `${a}.${b}${dots}${c}`;
        expect(isCanonicalCompactJws(token)).toBe(reencodes(token));
        // The cache's check skips the characters: the same answer whenever they are base64url.
        if (/^[\w.-]*$/.test(token)) expect(hasCanonicalSegments(token)).toBe(reencodes(token));
        else if (hasCanonicalSegments(token) === false) expect(isCanonicalCompactJws(token)).toBe(false);
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('agrees at the header cap', () => {
    for (let length = MAX_HEADER_LENGTH - 8; length <= MAX_HEADER_LENGTH + 8; length++) {
      for (const last of ['A', 'B', 'Q', 'w']) {
        const token = `${'e'.repeat(length - 1)}${last}.e30.AAAA`;
        expect({ length, last, canonical: isCanonicalCompactJws(token) }).toEqual({ length, last, canonical: reencodes(token) });
      }
    }
  });

  it('refuses every other spelling of any segment of a valid token', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 2 }), async (extra, index) => {
        const token = await mint(key, sessionClaims(jwks.origin, { x: extra }), { x: extra });
        const parts = token.split('.');
        for (const spelling of otherSpellings(parts[index] as string)) {
          const other = parts.map((part, i) => (i === index ? spelling : part)).join('.');
          expect(isCanonicalCompactJws(other)).toBe(false);
          expect(
            await verifier.verify(other).then(
              () => 'accepted',
              (error: InvalidTokenError) => error.reason,
            ),
          ).toBe('malformed');
        }
      }),
      { numRuns: RUNS },
    );
  });
});

/** Headers that are often acceptable: Clerk's fields with good and bad values, plus arbitrary members and the hostile ones. */
const plausibleHeader = fc
  .record({
    typ: fc.constantFrom(undefined, 'JWT', 'JWT', 'at+jwt', 'application/at+jwt', 'jwt'),
    cat: fc.constantFrom(undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III', 'cl_B7d4PD222AAA', 'cl_B7d4PD333AAA'),
    crit: fc.constantFrom(undefined, undefined, undefined, ['b64'], []),
    kid: fc.constantFrom('ins_fuzz', 'ins_fuzz', 'ins_fuzz', 'ins_fuzz_other', ''),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    hostile: hostileHeader,
  })
  .map(({ typ, cat, crit, kid, extra, hostile }) => ({ ...extra, jku: hostile.jku, jwk: hostile.jwk, x5c: hostile.x5c, alg: 'RS256', kid, typ, cat, crit }));

describe('fuzzing hostile headers against Clerk', () => {
  it('accepts a token signed by the instance only when Clerk does (verifyToken and authenticateRequest)', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(plausibleHeader, async (fields) => {
        const token = mintRaw(key, JSON.stringify(fields), JSON.stringify(sessionClaims(jwks.origin)));
        const ours = await verifier.verify(token).then(
          () => true,
          () => false,
        );
        if (!ours) return;
        accepted += 1;
        const clerk = await clerkTokenVerdicts(token, { jwtKey: key.pem, authorizedParties: PARTIES });
        expect({ fields, clerk: [clerk.verifyToken.accepted, clerk.authenticateRequest.accepted] }).toEqual({ fields, clerk: [true, true] });
      }),
      { numRuns: RUNS * 2 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('fuzzing claim sets signed with the right key', () => {
  const NOW = 1_800_000_000_500; // a fixed clock, half a second past a whole second
  const SKEW = 5000;
  const ISSUER = 'https://clerk.fuzz.example.com';
  const nowS = Math.floor(NOW / 1000);
  let strict: ClerkVerifier;
  let lenient: ClerkVerifier;

  beforeAll(() => {
    const options = { jwtKey: key.pem, issuer: ISSUER, authorizedParties: PARTIES, clockSkewInMs: SKEW, env: {}, logger: false as const };
    strict = createClerkVerifier(options);
    lenient = createClerkVerifier({ ...options, acceptPendingSessions: true });
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });
  afterAll(() => jest.restoreAllMocks());

  const absent = fc.constant(undefined);
  /** Mostly the good value, sometimes one of the bad ones: every rule gets exercised on both sides. */
  const mostly = (good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]) =>
    fc.oneof({ arbitrary: good, weight: 4 * bad.length }, ...bad.map((arbitrary) => ({ arbitrary, weight: 1 })));
  // Around now, where the skew decides: whole and fractional seconds.
  const nearNow = fc.oneof(
    fc.integer({ min: -15, max: 15 }).map((delta) => nowS + delta),
    fc.double({ min: -15, max: 15, noNaN: true }).map((delta) => nowS + delta),
  );
  const time = fc.oneof(absent, nearNow, fc.constantFrom(0, -1, 1e12, 1e300, -1e300, Number.MAX_VALUE), fc.constantFrom(String(nowS + 60), null, true, [nowS + 60], {}));
  const claimSet = fc.record({
    sub: mostly(fc.constant('user_2abc'), absent, fc.constantFrom('', 'x'), fc.string({ maxLength: 10 }), fc.integer(), fc.constantFrom(null, ['user_2abc'])),
    iss: mostly(fc.constant(ISSUER), absent, fc.constantFrom(`${ISSUER}/`, 'https://evil.example.com', ISSUER.toUpperCase()), fc.integer()),
    azp: mostly(fc.constantFrom(...PARTIES), absent, fc.constantFrom(`${PARTIES[0] as string}/`, 'https://evil.example.com', ''), fc.constant(PARTIES), fc.integer()),
    exp: mostly(fc.integer({ min: nowS + 10, max: nowS + 3600 }), time),
    nbf: mostly(fc.oneof(absent, fc.integer({ min: nowS - 3600, max: nowS })), time),
    iat: mostly(fc.oneof(absent, fc.integer({ min: nowS - 3600, max: nowS })), time),
    sts: mostly(fc.oneof(absent, fc.constant('active')), fc.constantFrom('pending', 'PENDING', ''), fc.integer()),
    v: fc.oneof(absent, fc.constant(2)),
    extra: fc.dictionary(
      fc.string({ maxLength: 6 }).map((name) => `x_${name}`),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 3 },
    ),
  });

  /** The documented rules (README, "What is checked"), written independently of lib/verification/claims.ts. */
  function oracle(claims: Record<string, unknown>, acceptPending: boolean): boolean {
    const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
    const ms = (seconds: number) => Math.trunc(seconds) * 1000; // fractions of a second are dropped, as in Clerk's SDK
    const { sub, iss, azp, exp, nbf, iat, sts } = claims;
    if (typeof sub !== 'string' || sub.length === 0) return false;
    if (iss !== ISSUER) return false;
    if (typeof azp !== 'string' || !PARTIES.includes(azp)) return false;
    if (!isTime(exp) || !(ms(exp) > NOW - SKEW)) return false;
    if (nbf !== undefined && (!isTime(nbf) || ms(nbf) > NOW + SKEW)) return false;
    if (iat !== undefined && (!isTime(iat) || ms(iat) > NOW + SKEW)) return false;
    if (sts === 'pending' && !acceptPending) return false;
    return true;
  }

  /**
   * The README's "Stricter than Clerk's SDK" rules that apply to claims. Clerk compares times as
   * Dates: a time outside a Date's range (±8.64e12 s) is an invalid Date, which passes every check.
   */
  function stricterThanClerk(claims: Record<string, unknown>, acceptPending: boolean): boolean {
    const { sub, iss, exp, nbf, iat, sts } = claims;
    const notADate = (value: unknown) => typeof value === 'number' && !(Math.abs(Math.trunc(value) * 1000) <= 8.64e15);
    return sub === '' || iss !== ISSUER || notADate(exp) || notADate(nbf) || notADate(iat) || (sts === 'pending' && !acceptPending);
  }

  it('accepts a claim set exactly when the documented rules do', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(claimSet, fc.boolean(), async ({ extra, ...named }, acceptPending) => {
        // JSON drops undefined members: absent claims stay absent.
        const claims = JSON.parse(JSON.stringify({ ...extra, ...named })) as Record<string, unknown>;
        const token = await mint(key, claims);
        const outcome = await (acceptPending ? lenient : strict).verify(token).then(
          (user) => ({ user }),
          (error: unknown) => ({ error }),
        );
        const expected = oracle(claims, acceptPending);
        if ('error' in outcome) expect(outcome.error).toBeInstanceOf(InvalidTokenError);
        expect('user' in outcome).toBe(expected);
        // Clerk is the floor: what we accept, Clerk accepts; what Clerk accepts and we do not is
        // one of the README's stricter rules (iss pin, non-empty sub, finite times, pending).
        const clerk = await clerkVerifyToken(token, { jwtKey: key.pem, authorizedParties: PARTIES, clockSkewInMs: SKEW });
        if ('user' in outcome) expect({ claims, clerk: clerk.accepted }).toEqual({ claims, clerk: true });
        else if (clerk.accepted) expect({ claims, stricter: stricterThanClerk(claims, acceptPending) }).toEqual({ claims, stricter: true });
        if (expected) accepted += 1;
        else refused += 1;
      }),
      { numRuns: RUNS * 2 },
    );
    // The generator must reach both sides of the rules, or the property proves little.
    expect(Math.min(accepted, refused)).toBeGreaterThan(RUNS / 20);
  });

  it('accepts the Clerk-shaped claims of the fixtures (the oracle is not vacuous)', async () => {
    const claims = sessionClaims(ISSUER, { exp: nowS + 60, iat: nowS, nbf: nowS - 10 });
    expect(oracle(claims, false)).toBe(true);
    await expect(strict.verify(await mint(key, claims))).resolves.toMatchObject({ sub: 'user_2abc' });
  });
});
