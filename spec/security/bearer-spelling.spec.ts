/**
 * Spellings of `Authorization: Bearer <token>` against Clerk as the oracle. Clerk's
 * `authenticateRequest` reads the header value as Node hands it over (leading and trailing spaces
 * and tabs already stripped) with `parseAuthorizationHeader`: split on the first space; a one-word
 * value is the token; `Bearer` (exactly) + the second word is the token; any other scheme is no
 * token at all. So `bearer <valid>`, `Bearer  <valid>`, `Bearer\t<valid>` or `Bearer <valid>\u00a0`
 * never sign in with Clerk: they must never be accepted here either, and never let a request go on
 * anonymously: a 400 `invalid_request` that says how to spell it. Every row is one real HTTP
 * request to Express 4 and 5; Clerk judges the very value the app received.
 */
import type { Express, RequestHandler } from 'express';
import { clerkAuth } from '../../lib';
import { clerkAuthenticateAuthorization, type ClerkTokenVerdict } from '../helpers/clerk-token-oracle';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, serve, type TestServer } from '../helpers/http-client';
import { createTestKey, mint, sessionClaims, type TestKey } from '../helpers/keys';
import { readManual } from '../helpers/manual';

const MANUAL = readManual();
const PARTY = 'http://localhost:3000';
const ISSUER = 'https://sturdy-otter-42.clerk.accounts.dev';

type Ours = 'accept' | 'invalid_request' | 'missing_token' | 'invalid_token';

interface Row {
  /** How the header is spelled; `V` is a valid session token. */
  spelling: string;
  value(token: string): string;
  /** Our verdict, with and without `optional`. */
  ours: Ours;
  /** Whether Clerk's `authenticateRequest` signs the request in. */
  clerk: boolean;
  /** What the 400 says (in its `WWW-Authenticate` description). */
  says?: string;
  /** Where Clerk signs in and we refuse: the manual's sentence that says why. */
  stricter?: string;
}

const SPELLING = 'write the scheme as \\"Bearer\\" followed by one space and the token; Clerk reads no other spelling';
const BLANK = 'the Bearer token contains a blank character';

const ROWS: Row[] = [
  { spelling: 'Bearer V', value: (v) => `Bearer ${v}`, ours: 'accept', clerk: true },
  { spelling: 'Bearer V with spaces and tabs around it (Node strips them)', value: (v) => ` \tBearer ${v}\t `, ours: 'accept', clerk: true },
  { spelling: 'bearer V', value: (v) => `bearer ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'BEARER V', value: (v) => `BEARER ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'bEaReR V', value: (v) => `bEaReR ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer, two spaces, V', value: (v) => `Bearer  ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer, four spaces, V', value: (v) => `Bearer    ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer, a tab, V', value: (v) => `Bearer\t${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer, a space and a tab, V', value: (v) => `Bearer \t${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer, a no-break space (0xA0), V', value: (v) => `Bearer\u00a0${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer V and a no-break space (0xA0)', value: (v) => `Bearer ${v}\u00a0`, ours: 'invalid_request', clerk: false, says: BLANK },
  { spelling: 'a no-break space (0xA0), then Bearer V', value: (v) => `\u00a0Bearer ${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'Bearer,V', value: (v) => `Bearer,${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'BearerV', value: (v) => `Bearer${v}`, ours: 'invalid_request', clerk: false, says: SPELLING },
  { spelling: 'bearer alone', value: () => 'bearer', ours: 'invalid_request', clerk: false },
  { spelling: 'Basic V', value: (v) => `Basic ${v}`, ours: 'missing_token', clerk: false },
  { spelling: 'Bearer garbage', value: () => 'Bearer garbage', ours: 'invalid_token', clerk: false },
  // Stricter than Clerk, as the manual says: Clerk takes a one-word value as the token, and the
  // second word of `Bearer V x`.
  { spelling: 'V alone, no scheme', value: (v) => v, ours: 'missing_token', clerk: true, stricter: 'an `Authorization` value with no scheme is not taken as a token' },
  { spelling: 'Bearer V x', value: (v) => `Bearer ${v} x`, ours: 'invalid_request', clerk: true, stricter: '`Bearer <token> <more>` is a **400**' },
];

let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('ins_spelling');
});

describe.each(EXPRESS_VERSIONS)('Bearer spellings against Clerk on %s', (_, express) => {
  let server: TestServer;
  /** The Authorization value each request reached the app with, as Node gave it. */
  let received: string | undefined;

  beforeAll(async () => {
    const app: Express = express();
    const record: RequestHandler = (req, _res, next) => {
      received = req.headers.authorization;
      next();
    };
    const options = { jwtKey: key.pem, env: {}, logger: false as const, authorizedParties: [PARTY] };
    app.get('/required', record, clerkAuth(options), (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    app.get('/optional', record, clerkAuth({ ...options, optional: true }), (req, res) => {
      res.json({ sub: req.user?.sub ?? null });
    });
    server = await serve(app);
  });
  afterAll(() => server.close());

  async function ours(route: string, value: string): Promise<{ verdict: Ours | 'anonymous' | 'other'; description: string }> {
    const answer = await send(server.port, route, [['authorization', value]]);
    const body = JSON.parse(answer.body) as { sub?: string | null; error?: string; error_description?: string; message?: string };
    const description = String(answer.headers['www-authenticate'] ?? '');
    if (answer.status === 200) return { verdict: body.sub === null ? 'anonymous' : 'accept', description };
    if ((answer.status === 400 || answer.status === 401) && typeof body.error === 'string') return { verdict: body.error as Ours, description };
    return { verdict: 'other', description };
  }

  it.each(ROWS.map((row) => [row.spelling, row] as const))('%s', async (_spelling, row) => {
    const token = await mint(key, sessionClaims(ISSUER, { azp: PARTY }));
    const value = row.value(token);
    const required = await ours('/required', value);
    const seen = received as string;
    const optional = await ours('/optional', value);
    const clerk: ClerkTokenVerdict = await clerkAuthenticateAuthorization(seen, { jwtKey: key.pem, authorizedParties: [PARTY] });

    // The table is right about Clerk, and Clerk is the floor.
    expect({ spelling: row.spelling, clerk: clerk.accepted }).toEqual({ spelling: row.spelling, clerk: row.clerk });
    if (!clerk.accepted) {
      expect(required.verdict).not.toBe('accept');
      expect(optional.verdict).not.toBe('accept');
    } else if (row.ours !== 'accept') {
      // Stricter than Clerk: only where the manual says why.
      expect({ spelling: row.spelling, stricter: row.stricter }).toEqual({ spelling: row.spelling, stricter: expect.any(String) });
      expect(MANUAL).toContain(row.stricter);
    }
    expect(required.verdict).toBe(row.ours);
    // A botched Bearer header is never anonymity, not even on an optional route.
    expect(optional.verdict).toBe(row.ours === 'missing_token' ? 'anonymous' : row.ours);
    if (row.says !== undefined) expect(required.description).toContain(row.says);
  });
});
