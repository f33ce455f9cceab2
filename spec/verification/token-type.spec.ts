/**
 * Machine tokens are not session tokens (issue #11, item 6). Clerk's authenticateRequest answers
 * token-type-mismatch on a session-token route for M2M JWTs (`sub` starting `mch_`, or header `cat`
 * of the M2M category), OAuth access-token JWTs (header `typ` `at+jwt` / `application/at+jwt`) and
 * opaque machine tokens (`mt_…`, `oat_…`, `ak_…`). So does the verifier, with a reason of its own:
 * the header ones before any key is fetched, the `sub` one only after the signature holds.
 */
import type { Express } from 'express';
import { clerkAuth, createClerkVerifier, createMastraAuthProvider, InvalidTokenError, type ClerkLogEvent, type ClerkVerifierOptions } from '../../lib';
import { tokenTypeOf } from '../../lib/verification/claims';
import { clerkTokenVerdicts } from '../helpers/clerk-token-oracle';
import { rejected } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, serve, type TestServer } from '../helpers/http-client';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';

const PARTY = 'http://localhost:3000';
const jwks = useJwksFixture();
const { claims } = jwks;
const options = (overrides: ClerkVerifierOptions = {}): ClerkVerifierOptions => ({
  jwksUri: jwks.server.jwksUri,
  env: {},
  logger: false,
  authorizedParties: [PARTY],
  ...overrides,
});
const reasonOf = async (promise: Promise<unknown>) => (await rejected(InvalidTokenError, promise)).reason;
const m2mClaims = (overrides: Record<string, unknown> = {}) => claims({ sub: 'mch_2xyz', sid: undefined, jti: 'mt_2abc', scopes: 'mch_1 mch_2', ...overrides });

// Opaque machine tokens are random text after their prefix; made at run time.
const opaque = (prefix: string) => `${prefix}${Buffer.from(`${Math.random()}`).toString('hex')}`;

describe("tokenTypeOf(): Clerk's token types", () => {
  it.each([
    [{ text: opaque('mt_') }, 'm2m_token'],
    [{ text: opaque('oat_') }, 'oauth_token'],
    [{ text: opaque('ak_') }, 'api_key'],
    [{ text: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' }, 'session_token'],
    [{ header: { alg: 'RS256', cat: 'cl_B7d4PD333AAA' } }, 'm2m_token'],
    [{ header: { alg: 'RS256', typ: 'at+jwt' } }, 'oauth_token'],
    [{ header: { alg: 'RS256', typ: 'application/at+jwt' } }, 'oauth_token'],
    [{ header: { alg: 'RS256', typ: 'AT+JWT' } }, 'session_token'],
    [{ header: { alg: 'RS256', typ: 'JWT', cat: 'cl_B7d4PD111AAA' } }, 'session_token'],
    [{ header: { alg: 'RS256', cat: 'cl_B7d4PD222AAA' } }, 'session_token'],
    [{ header: { alg: 'RS256' }, claims: { sub: 'mch_1' } }, 'm2m_token'],
    // M2M wins over OAuth, as in Clerk's getMachineTokenType.
    [{ header: { alg: 'RS256', typ: 'at+jwt' }, claims: { sub: 'mch_1' } }, 'm2m_token'],
    [{ header: { alg: 'RS256' }, claims: { sub: 'user_mch_1' } }, 'session_token'],
    [{ header: { alg: 'RS256' }, claims: { sub: ['mch_1'] } }, 'session_token'],
  ] as const)('%j is a %s', (evidence, type) => {
    expect(tokenTypeOf(evidence)).toBe(type);
  });
});

describe('a session-token verifier refuses machine tokens: token_type_mismatch', () => {
  it.each(['mt_', 'oat_', 'ak_'])('an opaque %s… token, without fetching keys', async (prefix) => {
    expect(await reasonOf(createClerkVerifier(options()).verify(opaque(prefix)))).toBe('token_type_mismatch');
    expect(jwks.server.requests).toBe(0);
  });

  it.each([
    ['header cat of the M2M category', { cat: 'cl_B7d4PD333AAA' }],
    ['header typ at+jwt', { typ: 'at+jwt' }],
    ['header typ application/at+jwt', { typ: 'application/at+jwt' }],
  ])('a JWT with %s, without fetching keys', async (_, header) => {
    expect(await reasonOf(createClerkVerifier(options()).verify(await mint(jwks.key, claims(), header)))).toBe('token_type_mismatch');
    expect(jwks.server.requests).toBe(0);
  });

  it('an M2M JWT (sub mch_…) signed by the instance', async () => {
    const verifier = createClerkVerifier(options());
    expect(await reasonOf(verifier.verify(await mint(jwks.key, m2mClaims())))).toBe('token_type_mismatch');
    expect(await reasonOf(verifier.verify(await mint(jwks.key, m2mClaims(), { cat: 'cl_B7d4PD333AAA' })))).toBe('token_type_mismatch');
    // Whatever its claims: the type decides first, as in Clerk's authenticateRequest.
    expect(await reasonOf(verifier.verify(await mint(jwks.key, m2mClaims({ exp: Math.floor(Date.now() / 1000) - 60, azp: undefined }))))).toBe('token_type_mismatch');
  });

  it('reads sub only after the signature: a forged M2M JWT is an invalid signature', async () => {
    const verifier = createClerkVerifier(options());
    expect(await reasonOf(verifier.verify(await mint(jwks.otherKey, m2mClaims(), { kid: jwks.key.kid })))).toBe('invalid_signature');
  });

  it('with acceptJwtTemplates too, and a template token whose sub is mch_… is a machine token', async () => {
    const verifier = createClerkVerifier(options({ acceptJwtTemplates: true }));
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims(), { cat: 'cl_B7d4PD333AAA' })))).toBe('token_type_mismatch');
    expect(await reasonOf(verifier.verify(await mint(jwks.key, m2mClaims(), { cat: 'cl_B7d4PD222AAA' })))).toBe('token_type_mismatch');
    await expect(verifier.verify(await mint(jwks.key, claims(), { cat: 'cl_B7d4PD222AAA' }))).resolves.toMatchObject({ sub: 'user_2abc' });
  });

  it('keeps the template category as it was: unsupported_category without acceptJwtTemplates', async () => {
    expect(await reasonOf(createClerkVerifier(options()).verify(await mint(jwks.key, claims(), { cat: 'cl_B7d4PD222AAA' })))).toBe('unsupported_category');
  });

  it('through the Mastra provider: null', async () => {
    const provider = createMastraAuthProvider(options());
    for (const token of [opaque('mt_'), await mint(jwks.key, m2mClaims()), await mint(jwks.key, claims(), { typ: 'at+jwt' })]) {
      await expect(provider.authenticateToken(`Bearer ${token}`)).resolves.toBeNull();
    }
    await expect(provider.authenticateToken(await mint(jwks.key, claims()))).resolves.toMatchObject({ sub: 'user_2abc' });
  });

  it("as Clerk's authenticateRequest does (token-type-mismatch on a session route)", async () => {
    const oracle = { jwtKey: jwks.key.pem, authorizedParties: [PARTY] };
    for (const token of [
      await mint(jwks.key, m2mClaims()),
      await mint(jwks.key, claims(), { cat: 'cl_B7d4PD333AAA' }),
      await mint(jwks.key, claims(), { typ: 'at+jwt' }),
      await mint(jwks.key, claims(), { typ: 'application/at+jwt' }),
    ]) {
      expect((await clerkTokenVerdicts(token, oracle)).authenticateRequest).toEqual({ accepted: false, reason: 'token-type-mismatch' });
      expect(await reasonOf(createClerkVerifier(options()).verify(token))).toBe('token_type_mismatch');
    }
    // Opaque tokens Clerk's session route refuses as invalid (it cannot decode them); so do we, with a precise reason.
    expect((await clerkTokenVerdicts(opaque('mt_'), oracle)).authenticateRequest.accepted).toBe(false);
  });
});

describe.each(EXPRESS_VERSIONS)('machine tokens over HTTP on %s', (_, express) => {
  const events: ClerkLogEvent[] = [];
  let server: TestServer;

  beforeEach(async () => {
    events.length = 0;
    const app: Express = express();
    const logger = { warn: () => undefined, event: (event: ClerkLogEvent) => void events.push(event) };
    app.get('/me', clerkAuth({ ...options(), logger }), (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    app.get('/maybe', clerkAuth({ ...options(), logger, optional: true }), (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    server = await serve(app);
  });
  afterEach(() => server.close());

  it('answers 401 invalid_token, reason token_type_mismatch, with or without optional', async () => {
    const tokens = [opaque('mt_'), opaque('oat_'), opaque('ak_'), await mint(jwks.key, m2mClaims()), await mint(jwks.key, claims(), { typ: 'application/at+jwt' })];
    for (const path of ['/me', '/maybe']) {
      for (const token of tokens) {
        const answer = await send(server.port, path, [['authorization', `Bearer ${token}`]]);
        expect(answer.status).toBe(401);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_token' });
        expect(answer.headers['www-authenticate']).toContain('machine token');
      }
    }
    expect(events.map((event) => (event.type === 'request_refused' ? event.reason : event.type))).toEqual(Array(10).fill('token_type_mismatch'));
  });
});
