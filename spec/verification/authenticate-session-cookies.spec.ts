/**
 * The framework-free cookie rules (`createSessionCookieAuthenticator`): an exhaustive sweep of
 * cookie-pair combinations compared with Clerk's own `authenticateRequest` on the same Fetch
 * request, then the forms of input other frameworks give it (Fetch `Headers`, Node header
 * objects, absolute or origin-form URLs) and the shape of its answers.
 */
import {
  ClerkConfigError,
  createClerkVerifier,
  createSessionCookieAuthenticator,
  InvalidTokenError,
  MissingTokenError,
  sessionCookieSuffix,
  type ClerkUser,
  type ClerkVerifier,
  type SessionCookieOutcome,
  type SessionCookieRequest,
} from '../../lib';
import { clerkVerdict, type ClerkVerdict } from '../helpers/clerk-cookie-oracle';
import { thrown } from '../helpers/expect-error';
import { createTestKey, mint, mintRaw, publishableKeyFor, sessionClaims, type TestKey } from '../helpers/keys';

const APP = 'http://localhost:3000';
const keys = {} as { key: TestKey; other: TestKey };
beforeAll(async () => {
  [keys.key, keys.other] = await Promise.all([createTestKey('ins_core_cookie'), createTestKey('ins_core_other')]);
});

const INSTANCES = [
  { kind: 'development', host: 'brave-lynx-9.clerk.accounts.dev', pk: publishableKeyFor('brave-lynx-9.clerk.accounts.dev') },
  { kind: 'production', host: 'clerk.store.example.com', pk: publishableKeyFor('clerk.store.example.com', 'live') },
] as const;

/** Our verdict, as clerkAuth() forms it: the cookie outcome, then verify() and check(). */
async function ours(verifier: ClerkVerifier, outcome: SessionCookieOutcome): Promise<string> {
  if (outcome.token === null) return outcome.error instanceof InvalidTokenError ? outcome.error.reason : 'missing_token';
  let claims;
  try {
    claims = await verifier.verify(outcome.token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
  const refusal = outcome.check(claims);
  return refusal === null ? `signed-in ${claims.sub}` : refusal.reason;
}

const verdictText = (verdict: ClerkVerdict): string => (verdict.status === 'signed-in' ? `signed-in ${verdict.userId}` : verdict.status);

describe.each(INSTANCES)('the suffixed/unsuffixed pair sweep against Clerk, $kind instance', ({ kind, host, pk }) => {
  const suffix = sessionCookieSuffix(pk);
  const devBrowser = kind === 'development' ? ['__clerk_db_jwt=dvb_1', `__clerk_db_jwt_${suffix}=dvb_1`] : [];

  it('reads the pair Clerk reads, and accepts exactly when Clerk signs in (900 combinations)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issuer = `https://${host}`;
    const claims = (sub: string, overrides: Record<string, unknown> = {}) => sessionClaims(issuer, { sub, iat: now, nbf: now - 10, exp: now + 60, ...overrides });
    const variants = async (sub: string): Promise<[string, string | null][]> => [
      ['absent', null],
      ['fresh', await mint(keys.key, claims(sub))],
      ['older', await mint(keys.key, claims(sub, { iat: now - 30 }))],
      ['expired', await mint(keys.key, claims(sub, { iat: now - 120, nbf: now - 130, exp: now - 60 }))],
      ['other instance', await mint(keys.other, sessionClaims('https://other.clerk.accounts.dev', { sub, iat: now }))],
      ['garbage', 'garbage'],
    ];
    const uats: [string, string | null][] = [
      ['absent', null],
      ['0', '0'],
      ['older', String(now - 30)],
      ['equal', String(now)],
      ['newer', String(now + 10)],
    ];
    const verifier = createClerkVerifier({ jwtKey: keys.key.pem, publishableKey: pk, authorizedParties: [APP], env: {}, logger: false });
    const read = createSessionCookieAuthenticator(verifier);
    const [plain, suffixed] = await Promise.all([variants('user_plain'), variants('user_suffixed')]);
    const mismatches: string[] = [];
    const seen = new Set<string>();
    for (const [sessionName, session] of plain) {
      for (const [suffixedName, suffixedSession] of suffixed) {
        for (const [uatName, uat] of uats) {
          for (const [suffixedUatName, suffixedUat] of uats) {
            const cookie = [
              session === null ? null : `__session=${session}`,
              uat === null ? null : `__client_uat=${uat}`,
              suffixedSession === null ? null : `__session_${suffix}=${suffixedSession}`,
              suffixedUat === null ? null : `__client_uat_${suffix}=${suffixedUat}`,
              ...devBrowser,
            ]
              .filter((pair) => pair !== null)
              .join('; ');
            const url = `${APP}/me`;
            const clerk = verdictText(await clerkVerdict(new Request(url, { headers: { cookie } }), { publishableKey: pk, jwtKey: keys.key.pem, authorizedParties: [APP] }));
            const mine = await ours(verifier, read({ method: 'GET', url, headers: new Headers({ cookie }) }));
            seen.add(clerk.startsWith('signed-in') ? clerk : 'refused');
            // Clerk signs in ⇔ we accept, with the same user (so the same cookie was read).
            if (clerk.startsWith('signed-in') !== mine.startsWith('signed-in') || (clerk.startsWith('signed-in') && clerk !== mine)) {
              mismatches.push(
                `__session ${sessionName}, __client_uat ${uatName}, suffixed __session ${suffixedName}, suffixed __client_uat ${suffixedUatName}: Clerk ${clerk}, ours ${mine}`,
              );
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The sweep is not vacuous: Clerk signs in with either pair, and refuses too.
    expect([...seen].sort()).toEqual(['refused', 'signed-in user_plain', 'signed-in user_suffixed']);
  });
});

describe('createSessionCookieAuthenticator()', () => {
  const PK = INSTANCES[1].pk;
  const ISSUER = `https://${INSTANCES[1].host}`;
  const build = () => createSessionCookieAuthenticator(createClerkVerifier({ jwtKey: keys.key.pem, publishableKey: PK, authorizedParties: [APP], env: {}, logger: false }));
  const fresh = async (overrides: Record<string, unknown> = {}) => {
    const claims = sessionClaims(ISSUER, overrides);
    return { token: await mint(keys.key, claims), iat: claims['iat'] as number };
  };

  it('needs authorizedParties and a publishable key, checked once at creation', () => {
    const noParties = createClerkVerifier({ publishableKey: PK, env: {} });
    expect(thrown(ClerkConfigError, () => createSessionCookieAuthenticator(noParties)).message).toContain('authorizedParties');
    const noKey = createClerkVerifier({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', authorizedParties: [APP], env: {} });
    expect(thrown(ClerkConfigError, () => createSessionCookieAuthenticator(noKey)).message).toContain('publishableKey (CLERK_PUBLISHABLE_KEY)');
  });

  it('takes Node header objects, Fetch Headers and get() functions alike', async () => {
    const read = build();
    const { token, iat } = await fresh();
    const cookie = `__session=${token}; __client_uat=${iat}`;
    const forms: SessionCookieRequest['headers'][] = [
      { cookie, host: 'localhost:3000' },
      new Headers({ cookie }),
      { get: (name: string) => (name === 'cookie' ? cookie : undefined) },
      // Node joins repeated Cookie lines with "; "; a hand-made array is joined the same way.
      { cookie: [`__session=${token}`, `__client_uat=${iat}`] },
    ];
    for (const headers of forms) {
      const outcome = read({ method: 'GET', url: '/me', headers });
      expect(outcome.token).toBe(token);
    }
  });

  it('answers refusals with the error to send and whether an optional route may go on anonymously', async () => {
    const read = build();
    const { token, iat } = await fresh();
    const cases: [string, string, unknown, boolean][] = [
      ['', 'missing_token', MissingTokenError, true],
      [`__session=${token}; __client_uat=0`, 'signed_out', InvalidTokenError, true],
      [`__client_uat=${iat}`, 'session_refresh_required', InvalidTokenError, true],
      [`__session=${token}; __client_uat=1.5`, 'session_refresh_required', InvalidTokenError, false],
      [`__session=${token}; __client_uat=${iat}; __clerk_handshake=x`, 'session_refresh_required', InvalidTokenError, false],
      [`__session=${mintRaw(keys.key, '{"alg":"RS256"}', 'null')}; __client_uat=${iat}`, 'malformed', InvalidTokenError, false],
    ];
    for (const [cookie, reason, type, signedOut] of cases) {
      const outcome = read({ method: 'GET', url: '/me', headers: { cookie } });
      if (outcome.token !== null) throw new Error(`expected a refusal for ${cookie}`);
      expect(outcome.error).toBeInstanceOf(type);
      expect(outcome.error instanceof InvalidTokenError ? outcome.error.reason : 'missing_token').toBe(reason);
      expect(outcome.signedOut).toBe(signedOut);
      expect(outcome.error.status).toBe(401);
      // Never the cookie's value in what the client sees.
      expect(`${outcome.error.message} ${JSON.stringify(outcome.error.headers)}`).not.toContain(token);
    }
  });

  it('reads the handshake parameters from the query of an absolute or origin-form URL', async () => {
    const read = build();
    const { token, iat } = await fresh();
    const headers = { cookie: `__session=${token}; __client_uat=${iat}` };
    for (const url of ['/me?__clerk_handshake=x', `${APP}/me?a=1&__clerk_handshake_nonce=y#frag`, '/me?%5F%5Fclerk_handshake=x']) {
      const outcome = read({ method: 'GET', url, headers });
      expect(outcome.token === null && outcome.error instanceof InvalidTokenError ? outcome.error.reason : outcome.token).toBe('session_refresh_required');
    }
    for (const url of ['/me', '/me?__clerk_handshake=', '/me#__clerk_handshake=x', '/me?x=__clerk_handshake']) {
      expect(read({ method: 'GET', url, headers }).token).toBe(token);
    }
  });

  describe('navigations from another origin (checked on the verified claims)', () => {
    async function verdict(request: Omit<SessionCookieRequest, 'headers'> & { headers: Record<string, string> }): Promise<string> {
      const read = build();
      const { token, iat } = await fresh();
      const outcome = read({ ...request, headers: { cookie: `__session=${token}; __client_uat=${iat}`, 'sec-fetch-dest': 'document', ...request.headers } });
      if (outcome.token === null) throw new Error('expected a token');
      return outcome.check(sessionClaims(ISSUER, { iat }) as unknown as ClerkUser) === null ? 'accept' : 'refuse';
    }

    it.each([
      ['a same-origin Referer by Host', { method: 'GET', url: '/me', headers: { host: 'localhost:3000', referer: `${APP}/x` } }, 'accept'],
      ['a Referer of another origin', { method: 'GET', url: '/me', headers: { host: 'localhost:3000', referer: 'https://elsewhere.example/' } }, 'refuse'],
      ['another origin, but not a GET', { method: 'POST', url: '/me', headers: { host: 'localhost:3000', referer: 'https://elsewhere.example/' } }, 'accept'],
      ['another origin, not a document', { method: 'GET', url: '/me', headers: { host: 'localhost:3000', referer: 'https://elsewhere.example/', 'sec-fetch-dest': 'empty' } }, 'accept'],
      ['X-Forwarded-Host first value', { method: 'GET', url: '/me', headers: { host: 'internal:8080', 'x-forwarded-host': 'localhost:3000, proxy', referer: `${APP}/` } }, 'accept'],
      ['X-Forwarded-Proto https', { method: 'GET', url: '/me', headers: { host: 'localhost:3000', 'x-forwarded-proto': 'https', referer: `${APP}/` } }, 'refuse'],
      ['a TLS connection', { method: 'GET', url: '/me', secure: true, headers: { host: 'localhost:3000', referer: 'https://localhost:3000/' } }, 'accept'],
      ['no Host with an origin-form URL: the origin is unknown', { method: 'GET', url: '/me', headers: { referer: `${APP}/` } }, 'refuse'],
      [
        'an empty X-Forwarded-Host (Clerk keeps its placeholder origin)',
        { method: 'GET', url: '/me', headers: { host: 'localhost:3000', 'x-forwarded-host': '', referer: `${APP}/` } },
        'refuse',
      ],
      ['an absolute URL without Host', { method: 'GET', url: `${APP}/me`, headers: { referer: `${APP}/` } }, 'accept'],
      ['an unparsable Referer', { method: 'GET', url: '/me', headers: { host: 'localhost:3000', referer: '::' } }, 'accept'],
    ] as const)('%s', async (_, request, expected) => {
      expect(await verdict(request as never)).toBe(expected);
    });
  });
});
