import type { Express } from 'express';
import request from 'supertest';
import { ClerkConfigError, clerkAuth, createClerkVerifier, sessionCookieSuffix, type ClerkAuthOptions } from '../../lib';
import { readCookie } from '../../lib/verification/session-cookie';
import { parseCookieHeader } from '../../lib/verification/session-cookie';
import { thrown } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { createTestKey, mint, publishableKeyFor, sessionClaims, type TestKey } from '../helpers/keys';

describe("readCookie(): Clerk's cookie parsing (cookie 1.1)", () => {
  it.each([
    ['the only cookie', '__session=abc', 'abc'],
    ['among others', 'theme=dark; __session=abc; __client_uat=1700000000', 'abc'],
    ['without spaces', 'a=1;__session=abc;b=2', 'abc'],
    ['with spaces around = and ;', ' a=1 ;  __session = abc  ; b=2', 'abc'],
    ['with tabs around it', '\t__session\t=\tabc\t', 'abc'],
    ['in double quotes, quotes kept', '__session="abc"', '"abc"'],
    ['percent-encoded', '__session=a%2Eb', 'a.b'],
    ['with a bad escape, as sent', '__session=a%E0%A4%A', 'a%E0%A4%A'],
    ['the first of duplicates', '__session=first; __session=second', 'first'],
    ['with = inside the value', '__session=a=b', 'a=b'],
    ['after a pair without =', 'junk; __session=abc', 'abc'],
    ['with a non-breaking space kept', '__session=\u00a0abc', '\u00a0abc'],
  ])('reads %s', (_, header, expected) => {
    expect(readCookie(header, '__session')).toBe(expected);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another cookie only', '__session_abc=x; session=y'],
    ['a name that only ends with it', 'my__session=x'],
    ['a pair without =', '__session; a=1'],
    ['an empty value', '__session='],
    ['an empty first duplicate (the first wins, and empty is absent)', '__session=; __session=second'],
    ['a differently cased name', '__Session=abc'],
  ])('finds nothing with %s', (_, header) => {
    expect(readCookie(header, '__session')).toBeNull();
  });

  it('keeps a lone quote', () => {
    expect(readCookie('__session="', '__session')).toBe('"');
  });

  it('parses a header once into first occurrences, values still encoded', () => {
    expect([...parseCookieHeader('a=1; b=%31; a=2;c;d = 4 ')]).toEqual([
      ['a', '1'],
      ['b', '%31'],
      ['d', '4'],
    ]);
  });
});

describe('session cookie suffix', () => {
  it("derives Clerk's suffix: URL-safe base64 SHA-1 of the publishable key, 8 characters", async () => {
    const pk = publishableKeyFor('exotic-crab-75.clerk.accounts.dev');
    // Clerk's getCookieSuffix, step by step with Web Crypto and btoa.
    const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(pk));
    const clerks = btoa(String.fromCharCode(...new Uint8Array(digest)))
      .replace(/\+/gi, '-')
      .replace(/\//gi, '_')
      .substring(0, 8);
    expect(sessionCookieSuffix(pk)).toBe(clerks);
    expect(clerks).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });
});

const APP = 'http://localhost:3000';
const HOST = 'exotic-crab-75.clerk.accounts.dev';
const PK = publishableKeyFor(HOST);
const PK_LIVE = publishableKeyFor('clerk.shop.example.com', 'live');
const keys = {} as { key: TestKey };
beforeAll(async () => {
  keys.key = await createTestKey('ins_session_cookie');
});

describe.each(EXPRESS_VERSIONS)('clerkAuth({ sessionCookie: true }) on %s', (_, express) => {
  const auth = (options: ClerkAuthOptions = {}) => clerkAuth({ jwtKey: keys.key.pem, publishableKey: PK, env: {}, logger: false, authorizedParties: [APP], sessionCookie: true, ...options });
  const now = () => Math.floor(Date.now() / 1000);
  /** A __client_uat older than any token minted in the test, whatever the clock did in between. */
  const earlier = () => now() - 60;
  const token = (overrides: Record<string, unknown> = {}) => mint(keys.key, sessionClaims(`https://${HOST}`, overrides));
  /** The cookies of a development browser: the token, __client_uat and the dev-browser cookie. */
  const cookies = async (overrides: Record<string, unknown> = {}, uat?: number) => {
    const claims = sessionClaims(`https://${HOST}`, overrides);
    return `theme=dark; __session=${await mint(keys.key, claims)}; __client_uat=${uat ?? (claims['iat'] as number)}; __clerk_db_jwt=dvb_1`;
  };

  function appWith(middleware = auth()): Express {
    const app = express();
    app.all('/me', middleware, (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    return app;
  }

  it('accepts the token from the __session cookie with a current __client_uat', async () => {
    const response = await request(appWith())
      .get('/me')
      .set('Cookie', await cookies());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: 'user_2abc' });
  });

  it('reads the __session_<suffix> pair when it is the current one', async () => {
    const sfx = sessionCookieSuffix(PK);
    const good = await token();
    const response = await request(appWith()).get('/me').set('Cookie', `__session_${sfx}=${good}; __client_uat_${sfx}=${earlier()}; __clerk_db_jwt_${sfx}=dvb_1`);
    expect(response.body).toEqual({ sub: 'user_2abc' });
  });

  it('a Bearer header always wins over the cookie', async () => {
    const response = await request(appWith())
      .get('/me')
      .set('Authorization', `Bearer ${await token({ sub: 'user_header' })}`)
      .set('Cookie', await cookies({ sub: 'user_cookie' }));
    expect(response.body).toEqual({ sub: 'user_header' });
    const bad = await request(appWith())
      .get('/me')
      .set('Authorization', 'Bearer not-a-jwt')
      .set('Cookie', await cookies());
    expect(bad.status).toBe(401);
    const malformed = await request(appWith())
      .get('/me')
      .set('Authorization', 'Bearer')
      .set('Cookie', await cookies());
    expect(malformed.status).toBe(400);
  });

  it('refuses a cookie token issued to another origin (azp), and one without azp', async () => {
    for (const azp of ['https://evil.example.com', undefined]) {
      const response = await request(appWith())
        .get('/me')
        .set('Cookie', await cookies({ azp }));
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('does not let a page of another origin ride the cookie, and says so (never echoing the cookie)', async () => {
    // A sibling subdomain is same-site: SameSite=Lax still sends the cookie with its POSTs, and the
    // token inside is the victim's own, with a valid azp. Only the request's Origin tells them apart.
    const cookie = await cookies();
    for (const origin of ['https://evil.example.com', 'null', '']) {
      const response = await request(appWith()).post('/me').set('Origin', origin).set('Cookie', cookie);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('missing_token');
      expect(response.body.message).toContain('a Clerk session cookie was sent, but the request Origin is not one of authorizedParties');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="clerk"');
      expect(JSON.stringify(response.body)).not.toContain(cookie.split('__session=')[1]?.split(';')[0]);
    }
    expect(
      (
        await request(appWith(auth({ optional: true })))
          .post('/me')
          .set('Origin', 'https://evil.example.com')
          .set('Cookie', cookie)
      ).body,
    ).toEqual({ sub: null });
    // The app's own pages, and requests without an Origin (same-origin GET), keep working.
    expect((await request(appWith()).post('/me').set('Origin', APP).set('Cookie', cookie)).body).toEqual({ sub: 'user_2abc' });
    expect((await request(appWith()).get('/me').set('Cookie', cookie)).body).toEqual({ sub: 'user_2abc' });
    // A Bearer header is not sent by the browser on its own: the Origin does not matter for it.
    const bearer = await request(appWith())
      .post('/me')
      .set('Origin', 'https://evil.example.com')
      .set('Authorization', `Bearer ${await token()}`);
    expect(bearer.body).toEqual({ sub: 'user_2abc' });
  });

  it('says what was missing when no credentials came at all', async () => {
    const none = await request(appWith()).get('/me').set('Cookie', 'theme=dark');
    expect(none.body).toEqual({ error: 'missing_token', message: expect.stringContaining('no Bearer token and no Clerk session cookie (__session) were sent') });
    const basic = await request(appWith()).get('/me').set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(basic.body.message).toContain('the Authorization header is not Bearer credentials, and no Clerk session cookie (__session) was sent');
    const bare = await request(appWith())
      .get('/me')
      .set('Authorization', 'Basic')
      .set('Cookie', await cookies());
    expect(bare.body.message).toContain('the Authorization header holds a single value that is not "Bearer <token>"');
  });

  it('an invalid cookie token is a 401 even in optional mode', async () => {
    const response = await request(appWith(auth({ optional: true })))
      .get('/me')
      .set('Cookie', `__session=a%ZZ; __client_uat=${now()}; __clerk_db_jwt=dvb_1`);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
  });

  it('goes anonymous without a cookie, and when the user signed out, in optional mode', async () => {
    expect((await request(appWith(auth({ optional: true }))).get('/me')).body).toEqual({ sub: null });
    expect(
      (
        await request(appWith(auth({ optional: true })))
          .get('/me')
          .set('Cookie', await cookies({}, 0))
      ).body,
    ).toEqual({ sub: null });
  });

  it('refuses a signed-out browser (__client_uat 0 or missing) with signed_out', async () => {
    for (const cookie of [await cookies({}, 0), (await cookies()).replace(/__client_uat=\d+; /, '')]) {
      const response = await request(appWith()).get('/me').set('Cookie', cookie);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="clerk", error="invalid_token", error_description="the __session cookie came without an active __client_uat cookie: the user signed out in this browser"',
      );
    }
  });

  it('refuses a token minted before __client_uat, with a description that says to refresh', async () => {
    const response = await request(appWith())
      .get('/me')
      .set('Cookie', await cookies({}, now() + 30));
    expect(response.status).toBe(401);
    expect(response.body.message).toBe(
      'Token verification failed: the token was minted before the session last changed (its iat is older than __client_uat): get a fresh token (ClerkJS getToken({ skipCache: true })) and retry.',
    );
  });

  it('keeps the freshness rule for a token answered from the cache (synchronous path)', async () => {
    const iat = now();
    const good = await token({ iat });
    const app = appWith();
    const base = `__session=${good}; __clerk_db_jwt=dvb_1`;
    expect((await request(app).get('/me').set('Cookie', `${base}; __client_uat=${iat}`)).body).toEqual({ sub: 'user_2abc' });
    // Cached now; the session changes (sign-out elsewhere, switch): the same token must be refused.
    const stale = await request(app)
      .get('/me')
      .set('Cookie', `${base}; __client_uat=${iat + 1}`);
    expect(stale.status).toBe(401);
    expect(stale.body.message).toContain('older than __client_uat');
    const signedOut = await request(app).get('/me').set('Cookie', `${base}; __client_uat=0`);
    expect(signedOut.status).toBe(401);
    // …and a machine token is refused on both paths (the verifier answers token_type_mismatch).
    const machine = await token({ sub: 'mch_2xyz' });
    const bearer = await request(app).get('/me').set('Authorization', `Bearer ${machine}`);
    expect(bearer.status).toBe(401);
    expect(bearer.headers['www-authenticate']).toContain('machine token');
    const cookie = await request(app).get('/me').set('Cookie', `__session=${machine}; __client_uat=${earlier()}; __clerk_db_jwt=dvb_1`);
    expect(cookie.status).toBe(401);
    expect(cookie.body.error).toBe('invalid_token');
  });

  it('refuses a JWT template in the cookie even with acceptJwtTemplates', async () => {
    const template = await mint(keys.key, sessionClaims(`https://${HOST}`), { cat: 'cl_B7d4PD222AAA' });
    const app = appWith(auth({ acceptJwtTemplates: true }));
    expect((await request(app).get('/me').set('Authorization', `Bearer ${template}`)).status).toBe(200);
    const response = await request(app).get('/me').set('Cookie', `__session=${template}; __client_uat=${earlier()}; __clerk_db_jwt=dvb_1`);
    expect(response.status).toBe(401);
    expect(response.body.message).toContain('JWT-template token');
  });

  it('needs the dev-browser cookie on a development instance only', async () => {
    const bare = (await cookies()).replace('; __clerk_db_jwt=dvb_1', '');
    const dev = await request(appWith()).get('/me').set('Cookie', bare);
    expect(dev.status).toBe(401);
    expect(dev.body.message).toContain('__clerk_db_jwt is missing');
    const live = clerkAuth({ jwtKey: keys.key.pem, publishableKey: PK_LIVE, env: {}, logger: false, authorizedParties: [APP], sessionCookie: true });
    const liveToken = await mint(keys.key, sessionClaims('https://clerk.shop.example.com'));
    const production = await request(appWith(live)).get('/me').set('Cookie', `__session=${liveToken}; __client_uat=${earlier()}`);
    expect(production.body).toEqual({ sub: 'user_2abc' });
  });

  it('is off by default: the cookie is ignored', async () => {
    const response = await request(appWith(auth({ sessionCookie: undefined })))
      .get('/me')
      .set('Cookie', await cookies());
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('missing_token');
  });
});

describe('sessionCookie configuration', () => {
  const JWKS = 'https://a.clerk.accounts.dev/.well-known/jwks.json';

  it('is refused at startup without authorizedParties (CSRF / sibling subdomains)', () => {
    const error = thrown(ClerkConfigError, () => clerkAuth({ publishableKey: PK, env: {}, sessionCookie: true }));
    expect(error.option).toBe('sessionCookie');
    expect(error.message).toContain('authorizedParties (CLERK_AUTHORIZED_PARTIES)');
  });

  it.each([
    ['a JWKS URI', { jwksUri: JWKS }],
    ['a PEM key', { jwtKey: 'pem' }],
    ['a secret key', { secretKey: 'sk' }],
  ])('is refused at startup without a publishable key, even with %s (the instance type and cookie names come from it)', async (_, source) => {
    const extra = 'jwtKey' in source ? { jwtKey: (await createTestKey()).pem } : 'secretKey' in source ? { secretKey: `sk_test_${'a'.repeat(30)}` } : source;
    const error = thrown(ClerkConfigError, () => clerkAuth({ ...extra, env: {}, authorizedParties: [APP], sessionCookie: true }));
    expect(error.option).toBe('sessionCookie');
    expect(error.message).toContain('publishableKey (CLERK_PUBLISHABLE_KEY)');
  });

  it('takes authorizedParties and the publishable key from the environment', () => {
    expect(() => clerkAuth({ env: { CLERK_AUTHORIZED_PARTIES: APP, CLERK_PUBLISHABLE_KEY: PK }, sessionCookie: true })).not.toThrow();
  });

  it('must be a boolean', () => {
    const options = { publishableKey: PK, env: {}, authorizedParties: [APP], sessionCookie: 'yes' as never };
    expect(thrown(ClerkConfigError, () => clerkAuth(options)).option).toBe('sessionCookie');
  });

  it('works with a shared verifier that has both', () => {
    const verifier = createClerkVerifier({ publishableKey: PK, authorizedParties: [APP], env: {} });
    expect(() => clerkAuth({ verifier, sessionCookie: true })).not.toThrow();
    const bare = createClerkVerifier({ jwksUri: JWKS, authorizedParties: [APP], env: {} });
    expect(thrown(ClerkConfigError, () => clerkAuth({ verifier: bare, sessionCookie: true })).option).toBe('sessionCookie');
  });
});
