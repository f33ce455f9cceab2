import type { Express } from 'express';
import request from 'supertest';
import { ClerkConfigError, clerkAuth, createClerkVerifier, readCookie, readSessionCookie, sessionCookieNames, sessionCookieSuffix, type ClerkAuthOptions } from '../lib';
import { thrown } from './helpers/expect-error';
import { EXPRESS_VERSIONS } from './helpers/express-versions';
import { useJwksFixture } from './helpers/jwks-fixture';
import { mint, publishableKeyFor } from './helpers/keys';

describe('readCookie()', () => {
  it.each([
    ['the only cookie', '__session=abc', 'abc'],
    ['among others', 'theme=dark; __session=abc; __client_uat=1700000000', 'abc'],
    ['without spaces', 'a=1;__session=abc;b=2', 'abc'],
    ['with spaces around = and ;', ' a=1 ;  __session = abc  ; b=2', 'abc'],
    ['in double quotes', '__session="abc"', 'abc'],
    ['percent-encoded', '__session=a%2Eb', 'a.b'],
    ['with a bad escape, as sent', '__session=a%E0%A4%A', 'a%E0%A4%A'],
    ['the first of duplicates', '__session=first; __session=second', 'first'],
    ['with = inside the value', '__session=a=b', 'a=b'],
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
    ['empty quotes', '__session=""'],
  ])('finds nothing with %s', (_, header) => {
    expect(readCookie(header, '__session')).toBeNull();
  });

  it('does not treat a lone quote as quoting', () => {
    expect(readCookie('__session="', '__session')).toBe('"');
  });
});

describe('session cookie names', () => {
  const pk = publishableKeyFor('exotic-crab-75.clerk.accounts.dev');

  it('derives Clerk\'s suffix: URL-safe base64 SHA-1 of the publishable key, 8 characters', async () => {
    // Clerk's getCookieSuffix, step by step with Web Crypto and btoa.
    const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(pk));
    const clerks = btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/gi, '-').replace(/\//gi, '_').substring(0, 8);
    expect(sessionCookieSuffix(pk)).toBe(clerks);
    expect(clerks).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });

  it('reads the suffixed cookie first, then __session', () => {
    const names = sessionCookieNames(pk);
    expect(names).toEqual([`__session_${sessionCookieSuffix(pk)}`, '__session']);
    expect(readSessionCookie(`__session=plain; ${names[0]}=suffixed`, names)).toBe('suffixed');
    expect(readSessionCookie('__session=plain', names)).toBe('plain');
    expect(sessionCookieNames(null)).toEqual(['__session']);
  });
});

const jwks = useJwksFixture();
const APP = 'http://localhost:3000';

describe.each(EXPRESS_VERSIONS)('clerkAuth({ sessionCookie: true }) on %s', (_, express) => {
  const auth = (options: ClerkAuthOptions = {}) =>
    clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, authorizedParties: [APP], sessionCookie: true, ...options });
  const token = (overrides: Record<string, unknown> = {}) => mint(jwks.key, jwks.claims(overrides));

  function appWith(middleware = auth()): Express {
    const app = express();
    app.get('/me', middleware, (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    return app;
  }

  it('accepts the token from the __session cookie', async () => {
    const response = await request(appWith()).get('/me').set('Cookie', `theme=dark; __session=${await token()}; __client_uat=1`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: 'user_2abc' });
  });

  it('reads __session_<suffix> of the configured publishable key first', async () => {
    const host = new URL(jwks.server.origin).host;
    const pk = publishableKeyFor('exotic-crab-75.clerk.accounts.dev');
    const verifier = createClerkVerifier({ jwtKey: jwks.key.pem, publishableKey: pk, issuer: `http://${host}`, authorizedParties: [APP], env: {} });
    const app = appWith(clerkAuth({ verifier, sessionCookie: true }));
    const good = await token();
    const response = await request(app).get('/me').set('Cookie', `__session=garbage; __session_${sessionCookieSuffix(pk)}=${good}`);
    expect(response.body).toEqual({ sub: 'user_2abc' });
  });

  it('a Bearer header always wins over the cookie', async () => {
    const response = await request(appWith())
      .get('/me')
      .set('Authorization', `Bearer ${await token({ sub: 'user_header' })}`)
      .set('Cookie', `__session=${await token({ sub: 'user_cookie' })}`);
    expect(response.body).toEqual({ sub: 'user_header' });
    const bad = await request(appWith()).get('/me').set('Authorization', 'Bearer not-a-jwt').set('Cookie', `__session=${await token()}`);
    expect(bad.status).toBe(401);
    const malformed = await request(appWith()).get('/me').set('Authorization', 'Bearer').set('Cookie', `__session=${await token()}`);
    expect(malformed.status).toBe(400);
  });

  it('refuses a cookie token issued to another origin (azp), and one without azp', async () => {
    for (const azp of ['https://evil.example.com', undefined]) {
      const response = await request(appWith()).get('/me').set('Cookie', `__session=${await token({ azp })}`);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('does not let a page of another origin ride the cookie: its Origin must be an authorized party', async () => {
    // A sibling subdomain is same-site: SameSite=Lax still sends the cookie with its POSTs, and the
    // token inside is the victim's own, with a valid azp. Only the request's Origin tells them apart.
    const cookie = `__session=${await token()}`;
    const app = express();
    app.post('/me', auth(), (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    for (const origin of ['https://evil.example.com', 'null']) {
      const response = await request(app).post('/me').set('Origin', origin).set('Cookie', cookie);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('missing_token');
    }
    const anonymous = express();
    anonymous.post('/me', auth({ optional: true }), (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    expect((await request(anonymous).post('/me').set('Origin', 'https://evil.example.com').set('Cookie', cookie)).body).toEqual({ sub: null });
    // The app's own pages, and requests without an Origin (same-origin GET), keep working.
    expect((await request(app).post('/me').set('Origin', APP).set('Cookie', cookie)).body).toEqual({ sub: 'user_2abc' });
    expect((await request(appWith()).get('/me').set('Cookie', cookie)).body).toEqual({ sub: 'user_2abc' });
    // A Bearer header is not sent by the browser on its own: the Origin does not matter for it.
    const bearer = await request(app).post('/me').set('Origin', 'https://evil.example.com').set('Authorization', `Bearer ${await token()}`);
    expect(bearer.body).toEqual({ sub: 'user_2abc' });
  });

  it('answers 401 missing_token with neither header nor cookie, and an invalid cookie token is a 401', async () => {
    expect((await request(appWith()).get('/me').set('Cookie', 'theme=dark')).body.error).toBe('missing_token');
    expect((await request(appWith()).get('/me').set('Cookie', '__session=a%ZZ')).body.error).toBe('invalid_token');
  });

  it('goes anonymous without a cookie in optional mode', async () => {
    expect((await request(appWith(auth({ optional: true }))).get('/me')).body).toEqual({ sub: null });
  });

  it('is off by default: the cookie is ignored', async () => {
    const response = await request(appWith(auth({ sessionCookie: undefined }))).get('/me').set('Cookie', `__session=${await token()}`);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('missing_token');
  });
});

describe('sessionCookie configuration', () => {
  it('is refused at startup without authorizedParties (CSRF / sibling subdomains)', () => {
    const error = thrown(ClerkConfigError, () => clerkAuth({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {}, sessionCookie: true }));
    expect(error.option).toBe('sessionCookie');
    expect(error.message).toContain('authorizedParties (CLERK_AUTHORIZED_PARTIES)');
  });

  it('accepts authorizedParties from the environment', () => {
    expect(() =>
      clerkAuth({ jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: { CLERK_AUTHORIZED_PARTIES: APP }, sessionCookie: true }),
    ).not.toThrow();
  });

  it('must be a boolean', () => {
    const options = { jwksUri: 'https://a.clerk.accounts.dev/.well-known/jwks.json', env: {}, authorizedParties: [APP], sessionCookie: 'yes' as never };
    expect(thrown(ClerkConfigError, () => clerkAuth(options)).option).toBe('sessionCookie');
  });
});
