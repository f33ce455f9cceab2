/**
 * A 401 `missing_token` says what was found instead of Bearer credentials and why it does not count
 * (another scheme, an empty header, a value with no scheme), never the credential itself: through
 * `clerkAuth()` and the guards, on every supported Express, through a real server.
 */
import type { RequestHandler } from 'express';
import { clerkAuth, MissingTokenError, requireAuth, requireRole, type ClerkAuthOptions, type ClerkLogEvent } from '../../lib';
import { describeMissingBearer } from '../../lib/verification/extract-token';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, serve, type TestServer } from '../helpers/http-client';

const DEFAULT = 'Missing Authorization header: send the Clerk session token as "Authorization: Bearer <token>".';
const ONLY_BEARER = 'this API takes Bearer tokens';
const said = (description: string) => `No usable credentials: ${description}. Send the Clerk session token as "Authorization: Bearer <token>".`;
const basicCredential = Buffer.from('admin:hunter2').toString('base64');

/** Header value(s) → the description of the refusal, and what must never appear in it. */
const CASES: [string, string | string[], string | undefined, string[]][] = [
  ['no header', [], undefined, []],
  ['an empty header', '', 'the Authorization header is empty', []],
  ['a blank header', ' \t ', 'the Authorization header is empty', []],
  ['Basic credentials', `Basic ${basicCredential}`, `the Authorization header uses the Basic scheme; ${ONLY_BEARER}`, [basicCredential, 'hunter2']],
  // Named in its registered spelling, whatever case was sent.
  ['lower-case basic', `basic ${basicCredential}`, `the Authorization header uses the Basic scheme; ${ONLY_BEARER}`, [basicCredential]],
  [
    'Digest',
    'Digest username="admin", realm="x", nonce="abc", response="0123456789abcdef"',
    `the Authorization header uses the Digest scheme; ${ONLY_BEARER}`,
    ['0123456789abcdef', 'admin'],
  ],
  ['DPoP', 'DPoP eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', `the Authorization header uses the DPoP scheme; ${ONLY_BEARER}`, ['eyJ']],
  ['Token', 'Token 9f8e7d6c5b4a', `the Authorization header uses the Token scheme; ${ONLY_BEARER}`, ['9f8e7d6c5b4a']],
  ['AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830', `the Authorization header uses the AWS4-HMAC-SHA256 scheme; ${ONLY_BEARER}`, ['AKIDEXAMPLE']],
  ['a token with no scheme', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'the Authorization header holds a single value and no scheme', ['eyJ', 'c2ln']],
  ['a short secret with no scheme', 'hunter2', 'the Authorization header holds a single value and no scheme', ['hunter2']],
  // Made at run time: a literal secret-key shape must not be committed.
  ['a secret key as scheme', `${['sk', 'live', 'abcdefghijklmnopqrstuvwxyz0123'].join('_')} x`, `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['live_', 'abcdefghij']],
  ['a 21-character scheme', `${'S'.repeat(21)} abc`, `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['SSSSSSSSSSSSSSSSSSSSS']],
  ['a scheme with quotes', '"Basic" abc', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['"Basic"']],
  ['a scheme with latin-1 characters', 'B\u00e9arer abc', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['\u00e9']],
  ['a scheme starting with a digit', '1Basic abc', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['1Basic']],
  // Only schemes from a fixed list are named: a short plain word may be a credential.
  ['a short secret as the scheme', 's3cr3tk3y x', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['s3cr3tk3y']],
  ['a short password as the scheme', 'hunter2 hunter2', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['hunter2']],
  ['an API key as the scheme', 'AKIA1234 x', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['AKIA1234']],
  ['a made-up scheme', 'Custom abc', `the Authorization header uses another scheme; ${ONLY_BEARER}`, ['Custom']],
  ...(
    [
      ['Basic', 'BASIC'],
      ['Digest', 'digest'],
      ['Negotiate', 'negotiate'],
      ['NTLM', 'ntlm'],
      ['HOBA', 'hoba'],
      ['Mutual', 'MUTUAL'],
      ['SCRAM-SHA-1', 'scram-sha-1'],
      ['SCRAM-SHA-256', 'Scram-Sha-256'],
      ['vapid', 'VAPID'],
      ['DPoP', 'dpop'],
      ['GNAP', 'gnap'],
      ['Concealed', 'concealed'],
      ['PrivateToken', 'privatetoken'],
      ['OAuth', 'oauth'],
      ['Token', 'TOKEN'],
      ['ApiKey', 'apikey'],
      ['AWS4-HMAC-SHA256', 'aws4-hmac-sha256'],
    ] as const
  ).map(([canonical, sent]): [string, string, string, string[]] => [
    `the ${canonical} scheme, sent as ${sent}`,
    `${sent} c2VjcmV0LXZhbHVl`,
    `the Authorization header uses the ${canonical} scheme; ${ONLY_BEARER}`,
    ['c2VjcmV0LXZhbHVl'],
  ]),
];

describe('describeMissingBearer()', () => {
  it.each(CASES)('%s', (_name, header, description, hidden) => {
    const result = describeMissingBearer(header);
    expect(result).toBe(description);
    for (const secret of hidden) expect(result ?? '').not.toContain(secret);
  });

  it('says nothing without a header', () => {
    expect(describeMissingBearer(undefined)).toBeUndefined();
  });

  it('is what MissingTokenError puts in its message, and its challenge stays bare (RFC 6750)', () => {
    const error = new MissingTokenError({ realm: 'agents', description: describeMissingBearer('Basic abc') as string });
    expect(error.message).toBe(said(`the Authorization header uses the Basic scheme; ${ONLY_BEARER}`));
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="agents"');
    expect(error.code).toBe('missing_token');
  });
});

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

describe.each(EXPRESS_VERSIONS)('refusals without Bearer credentials on %s', (_, express) => {
  const events: ClerkLogEvent[] = [];
  const lines: string[] = [];
  const logger = { warn: (line: string) => void lines.push(line), event: (event: ClerkLogEvent) => void events.push(event) };
  const auth = (options: ClerkAuthOptions = {}) => clerkAuth({ env: issuer.env, logger, ...options });
  const ok: RequestHandler = (_req, res) => {
    res.json({ ok: true });
  };
  let server: TestServer;
  beforeAll(async () => {
    const app = express();
    app.get('/auth', auth(), ok);
    app.get('/optional-guard', auth({ optional: true }), requireRole('org:admin'), ok);
    app.get('/guard-alone', requireAuth(), ok);
    server = await serve(app);
  });
  afterAll(() => server.close());

  const get = (path: string, header: string | string[]) =>
    send(
      server.port,
      path,
      (Array.isArray(header) ? header : [header]).map((value): [string, string] => ['authorization', value]),
    );

  it.each(CASES)('%s: 401 missing_token saying what was found, behind clerkAuth() and behind an optional clerkAuth() + guard', async (_name, header, description, hidden) => {
    for (const path of ['/auth', '/optional-guard', '/guard-alone']) {
      const answer = await get(path, header);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toEqual({ error: 'missing_token', message: description === undefined ? DEFAULT : said(description) });
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="clerk"');
      for (const secret of hidden) expect(JSON.stringify(answer)).not.toContain(secret);
    }
  });

  it('a guard with no clerkAuth() in front says the Bearer token was not verified, not that it is missing', async () => {
    const token = await issuer.mint();
    const answer = await get('/guard-alone', `Bearer ${token}`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'missing_token', message: said('no clerkAuth() verified the Bearer token before this guard') });
    expect(answer.body).not.toContain(token.slice(0, 20));
  });

  it('a guard behind an optional clerkAuth() refuses a pending session as such, not as a missing header', async () => {
    const answer = await get('/optional-guard', `Bearer ${await issuer.mint({}, { version: 2, pending: true })}`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_token', message: 'Token verification failed: the session is pending and counts as signed out.' });
  });

  it('logs no credential, and only code, status and reason', () => {
    const logged = [...lines, ...events.map((event) => JSON.stringify(event))].join('\n');
    expect(events.length).toBeGreaterThan(CASES.length);
    for (const [, , , hidden] of CASES) for (const secret of hidden) expect(logged).not.toContain(secret);
    for (const event of events) expect(Object.keys(event).sort()).toEqual(expect.arrayContaining(['code', 'name', 'status', 'type']));
  });
});
