/**
 * One token, one spelling (issue #11, item 2). The last base64url character of a segment can carry
 * unused bits (4 when the length is 4n+2, 2 when it is 4n+3): lenient decoders ignore them, so one
 * signed token has several spellings, and anything keyed on the token text (our cache, a deny
 * list, a rate limit) would see different tokens. Clerk's parser refuses them; so must every entry
 * of ours: the verifier, the Authorization header, the session cookie and the Mastra provider.
 */
import type { Express } from 'express';
import { clerkAuth, createClerkVerifier, createMastraAuthProvider, InvalidTokenError, type ClerkLogEvent, type ClerkVerifierOptions } from '../../lib';
import { cachedVerification } from '../../lib/verification/verify-token';
import { clerkTokenVerdicts } from '../helpers/clerk-token-oracle';
import { rejected } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, serve, type TestServer } from '../helpers/http-client';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { b64url, mint, publishableKeyFor, sessionClaims } from '../helpers/keys';
import { otherSpellings, paddedJson, signSegments as signWith } from '../helpers/token-spelling';

const PARTY = 'http://localhost:3000';
const COOKIE_HOST = 'exotic-crab-75.clerk.accounts.dev';
const jsonOfLength = (fields: Record<string, unknown>, remainder: 2 | 3) => paddedJson(fields, (length) => length % 4 === remainder);

const jwks = useJwksFixture();
const { claims } = jwks;
const options = (): ClerkVerifierOptions => ({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, authorizedParties: [PARTY] });

describe('the other spellings of a valid token', () => {
  it('exist: a 256-byte signature ends in a character with 4 unused bits, so 15 others', async () => {
    const token = await mint(jwks.key, claims());
    const signature = token.split('.')[2] as string;
    expect(signature.length % 4).toBe(2);
    expect(new Set(otherSpellings(signature).map((s) => Buffer.from(s, 'base64url').toString('hex')))).toEqual(new Set([Buffer.from(signature, 'base64url').toString('hex')]));
    expect(otherSpellings(signature)).toHaveLength(15);
  });

  it('are refused by Clerk (verifyToken and authenticateRequest), which accept the canonical one', async () => {
    const token = await mint(jwks.key, claims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const oracle = { jwtKey: jwks.key.pem, authorizedParties: [PARTY] };
    const canonical = await clerkTokenVerdicts(token, oracle);
    expect([canonical.verifyToken.accepted, canonical.authenticateRequest.accepted]).toEqual([true, true]);
    for (const spelling of otherSpellings(signature)) {
      const verdicts = await clerkTokenVerdicts(`${header}.${payload}.${spelling}`, oracle);
      expect([verdicts.verifyToken.accepted, verdicts.authenticateRequest.accepted]).toEqual([false, false]);
    }
  });

  it('are refused as malformed by the verifier, even right after the canonical token was verified (and cached)', async () => {
    const verifier = createClerkVerifier(options());
    // Nothing verified while the key set loads is cached: load it first.
    await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
    const token = await mint(jwks.key, claims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user_2abc' });
    const peek = cachedVerification(verifier);
    expect(peek(token)).toMatchObject({ sub: 'user_2abc' });
    for (const spelling of otherSpellings(signature)) {
      const other = `${header}.${payload}.${spelling}`;
      expect(peek(other)).toBeUndefined();
      expect((await rejected(InvalidTokenError, verifier.verify(other))).reason).toBe('malformed');
    }
    // And before anything was cached.
    const cold = createClerkVerifier({ ...options(), tokenCacheSize: 0 });
    for (const spelling of otherSpellings(signature)) {
      expect((await rejected(InvalidTokenError, cold.verify(`${header}.${payload}.${spelling}`))).reason).toBe('malformed');
    }
  });

  it('are refused by the Mastra provider', async () => {
    const provider = createMastraAuthProvider(options());
    const token = await mint(jwks.key, claims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    await expect(provider.authenticateToken(token)).resolves.toMatchObject({ sub: 'user_2abc' });
    for (const spelling of otherSpellings(signature)) {
      await expect(provider.authenticateToken(`Bearer ${header}.${payload}.${spelling}`)).resolves.toBeNull();
    }
  });
});

describe('non-canonical header and payload segments, signed by the right key', () => {
  const header = (remainder: 2 | 3) => b64url(jsonOfLength({ alg: 'RS256', kid: jwks.key.kid, typ: 'JWT' }, remainder));
  const payload = (remainder: 2 | 3) => b64url(jsonOfLength(claims(), remainder));

  it.each([2, 3] as const)('refuses every other spelling of a payload of length 4n+%i', async (remainder) => {
    const verifier = createClerkVerifier({ ...options(), tokenCacheSize: 0 });
    const h = header(2);
    const p = payload(remainder);
    await expect(verifier.verify(signWith(jwks.key, h, p))).resolves.toMatchObject({ sub: 'user_2abc' });
    const spellings = otherSpellings(p);
    expect(spellings).toHaveLength(remainder === 2 ? 15 : 3);
    for (const spelling of spellings) {
      const token = signWith(jwks.key, h, spelling);
      expect((await clerkTokenVerdicts(token, { jwtKey: jwks.key.pem })).verifyToken.accepted).toBe(false);
      expect((await rejected(InvalidTokenError, verifier.verify(token))).reason).toBe('malformed');
    }
  });

  it.each([2, 3] as const)('refuses every other spelling of a header of length 4n+%i', async (remainder) => {
    const verifier = createClerkVerifier({ ...options(), tokenCacheSize: 0 });
    const h = header(remainder);
    const p = payload(2);
    await expect(verifier.verify(signWith(jwks.key, h, p))).resolves.toMatchObject({ sub: 'user_2abc' });
    for (const spelling of otherSpellings(h)) {
      const token = signWith(jwks.key, spelling, p);
      expect((await clerkTokenVerdicts(token, { jwtKey: jwks.key.pem })).verifyToken.accepted).toBe(false);
      expect((await rejected(InvalidTokenError, verifier.verify(token))).reason).toBe('malformed');
    }
  });

  it('refuses a segment of length 4n+1, padding, and base64 (not base64url) characters', async () => {
    const verifier = createClerkVerifier({ ...options(), tokenCacheSize: 0 });
    const token = await mint(jwks.key, claims());
    const parts = token.split('.');
    const change = (index: number, value: (segment: string) => string) => parts.map((part, i) => (i === index ? value(part) : part)).join('.');
    const lengthOneMod4 = (segment: string): string => (segment.length % 4 === 1 ? segment : lengthOneMod4(`${segment}A`));
    const bad = [0, 1, 2].flatMap((index) => [
      change(index, lengthOneMod4),
      change(index, (segment) => `${segment}=`),
      change(index, (segment) => `${segment}==`),
      change(index, (segment) => `+/${segment}`),
    ]);
    for (const token of bad) expect((await rejected(InvalidTokenError, verifier.verify(token))).reason).toBe('malformed');
  });
});

describe.each(EXPRESS_VERSIONS)('other spellings over HTTP on %s', (_, express) => {
  const events: ClerkLogEvent[] = [];
  let server: TestServer;

  beforeEach(async () => {
    events.length = 0;
    const app: Express = express();
    const logger = { warn: () => undefined, event: (event: ClerkLogEvent) => void events.push(event) };
    app.get('/me', clerkAuth({ ...options(), logger }), (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    // Cookie mode needs the publishable key (instance type, cookie names): a made-up development
    // instance, verified networkless with the same key.
    const cookieOptions = { jwtKey: jwks.key.pem, publishableKey: publishableKeyFor(COOKIE_HOST), env: {}, logger, authorizedParties: [PARTY], sessionCookie: true };
    app.get('/cookie', clerkAuth(cookieOptions), (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    server = await serve(app);
  });
  afterEach(() => server.close());

  const reasons = () => events.map((event) => (event.type === 'request_refused' ? (event.reason ?? event.code) : event.type));

  it('refuses each of the 15 in the Authorization header, after the canonical one was accepted', async () => {
    const token = await mint(jwks.key, claims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    expect((await send(server.port, '/me', [['authorization', `Bearer ${token}`]])).status).toBe(200);
    for (const spelling of otherSpellings(signature)) {
      expect((await send(server.port, '/me', [['authorization', `Bearer ${header}.${payload}.${spelling}`]])).status).toBe(401);
    }
    expect(reasons()).toEqual(Array(15).fill('malformed'));
  });

  it('refuses each of the 15 in the session cookie, after the canonical one was accepted', async () => {
    const token = await mint(jwks.key, sessionClaims(`https://${COOKIE_HOST}`));
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const uat = `__client_uat=${Math.floor(Date.now() / 1000) - 30}; __clerk_db_jwt=dvb_1`;
    expect((await send(server.port, '/cookie', [['cookie', `__session=${token}; ${uat}`]])).status).toBe(200);
    for (const spelling of otherSpellings(signature)) {
      expect((await send(server.port, '/cookie', [['cookie', `__session=${header}.${payload}.${spelling}; ${uat}`]])).status).toBe(401);
    }
    expect(reasons()).toEqual(Array(15).fill('malformed'));
  });
});
