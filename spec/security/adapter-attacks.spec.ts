/**
 * The Express adapter as an attacker sees it: paths that a mount and a route might read
 * differently, every shape of Authorization header (schemes, case, whitespace, repetition, size,
 * other headers and places a token might be looked for), CORS in front, through a real server on
 * 127.0.0.1 on every supported Express. Each case must reach the handler exactly when a valid
 * Bearer token was sent, get its documented status and code otherwise, and never see the
 * credential again: not in the body, a response header or a log line. Then the webhook middleware:
 * replays re-spelt, altered bodies, mixed or bloated headers.
 */
import net from 'node:net';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { clerkAuth, clerkWebhook, requireRole, type ClerkLogEvent } from '../../lib';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, serve, type Answer, type TestServer } from '../helpers/http-client';
import { createSigningSecret, signDelivery, userCreatedEvent } from '../helpers/webhooks';

const ORIGIN = 'http://localhost:3000';

let issuer: TestIssuer;
let attacker: TestIssuer;
let valid: string;
let forged: string;
beforeAll(async () => {
  [issuer, attacker] = await Promise.all([createTestIssuer({ authorizedParty: ORIGIN }), createTestIssuer({ authorizedParty: ORIGIN })]);
  valid = await issuer.mint({ sub: 'user_victim' }, { expiresInSeconds: 600, organization: { id: 'org_1', role: 'admin' } });
  // Signed by another key under the victim's kid: a forgery that only the signature tells apart.
  forged = await attacker.mint({ sub: 'user_victim' }, { expiresInSeconds: 600, kid: issuer.kid, organization: { id: 'org_1', role: 'admin' } });
});
afterAll(async () => {
  await Promise.all([issuer.close(), attacker.close()]);
});

/** Sends raw bytes and returns the whole answer as text (for bytes Node's client will not send). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.end(request, 'latin1');
  });
}

describe.each(EXPRESS_VERSIONS)('the Express adapter under attack on %s', (_, express) => {
  const events: ClerkLogEvent[] = [];
  const warnings: string[] = [];
  const reached: string[] = [];
  const sent: string[] = [];
  let server: TestServer;
  const logger = { warn: (line: string) => void warnings.push(line), event: (event: ClerkLogEvent) => void events.push(event) };

  beforeAll(async () => {
    const app = express();
    app.use(cors({ origin: [ORIGIN], allowedHeaders: ['Authorization'] }));
    const handler: RequestHandler = (req, res) => {
      reached.push(`${req.method} ${req.originalUrl}`);
      res.json({ sub: req.user?.sub ?? null });
    };
    app.use('/api', clerkAuth({ env: issuer.env, logger }));
    app.get('/api/me', handler);
    app.all('/api/admin/purge', requireRole('org:admin'), handler);
    const router = express.Router();
    router.use(clerkAuth({ env: issuer.env, logger }));
    router.get('/me', handler);
    app.use('/r', router);
    server = await serve(app, { maxHeaderSize: 64 * 1024 });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    reached.length = 0;
  });

  /** GET `path` with these Authorization values (one header line each). */
  const get = (path: string, authorization: string[] = [], extra: [string, string][] = []): Promise<Answer> => {
    sent.push(...authorization);
    return send(server.port, path, [...authorization.map((value): [string, string] => ['authorization', value]), ...extra]);
  };
  const codeOf = (answer: Answer): string | undefined => (answer.body === '' ? undefined : (JSON.parse(answer.body) as { error?: string }).error);

  describe('paths that a mount and a route might read differently', () => {
    const PATHS = [
      '/api/me',
      '/API/me',
      '/Api/Me',
      '/api/me/',
      '/api/me?x=1',
      '/api/me;x=1',
      '/api//me',
      '//api/me',
      '/api/./me',
      '/api/x/../me',
      '/%61pi/me',
      '/api/%6de',
      '/api/me%2f',
      '/api%2fme',
      '/api/me%00',
      '/api/me#frag',
      '/r/me',
      '/R/me/',
      '/r//me',
      '/api/admin/purge',
      '/API/ADMIN/PURGE',
      '/api/admin/purge/',
      '/api/admin/purge?role=org:admin',
    ];

    it('never runs a handler for any of them without credentials', async () => {
      const answers: string[] = [];
      for (const path of PATHS) {
        for (const authorization of [[], ['Basic YWRtaW46YWRtaW4='], [`Bearer ${forged}`]]) {
          const answer = await get(path, authorization);
          answers.push(`${path} ${answer.status}`);
          expect([400, 401, 404]).toContain(answer.status);
        }
      }
      expect(reached).toEqual([]);
    });

    it('runs it for the same paths with a valid token, wherever the route matches', async () => {
      for (const path of PATHS) {
        const answer = await get(path, [`Bearer ${valid}`]);
        expect([200, 400, 404]).toContain(answer.status);
        if (answer.status === 200) expect(JSON.parse(answer.body)).toEqual({ sub: 'user_victim' });
      }
      expect(reached.length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('Authorization header shapes', () => {
    /** [name, header values, status, code] — values are built once the tokens exist. */
    const SHAPES: [string, () => string[], number, string | undefined][] = [
      ['Bearer, the canonical spelling', () => [`Bearer ${valid}`], 200, undefined],
      ['tabs around the value (Node strips them)', () => [`\tBearer ${valid}\t`], 200, undefined],
      // Clerk reads `Bearer` + one space only: every other spelling is a 400, never a 200.
      ['bearer in lower case', () => [`bearer ${valid}`], 400, 'invalid_request'],
      ['BEARER in upper case', () => [`BEARER ${valid}`], 400, 'invalid_request'],
      ['bEaReR in mixed case', () => [`bEaReR ${valid}`], 400, 'invalid_request'],
      ['a tab between the scheme and token', () => [`\tBearer\t${valid}\t`], 400, 'invalid_request'],
      ['several spaces after Bearer', () => [`Bearer    ${valid}`], 400, 'invalid_request'],
      ['a no-break space (0xA0) after the token', () => [`Bearer ${valid}\u00a0`], 400, 'invalid_request'],
      ['a forged token', () => [`Bearer ${forged}`], 401, 'invalid_token'],
      ['a forged token, lower-case scheme', () => [`bearer ${forged}`], 400, 'invalid_request'],
      ['a valid token in Basic', () => [`Basic ${valid}`], 401, 'missing_token'],
      ['a valid token as user:password in Basic', () => [`Basic ${Buffer.from(`user:${valid}`).toString('base64')}`], 401, 'missing_token'],
      ['a valid token in a Token scheme', () => [`Token ${valid}`], 401, 'missing_token'],
      ['a valid token in DPoP', () => [`DPoP ${valid}`], 401, 'missing_token'],
      ['a valid token with no scheme', () => [valid], 401, 'missing_token'],
      ['Bearer and a second credential after a comma', () => [`Bearer ${valid}, Basic YTpi`], 400, 'invalid_request'],
      ['a valid token followed by a comma', () => [`Bearer ${valid},`], 401, 'invalid_token'],
      ['a valid token in quotes', () => [`Bearer "${valid}"`], 401, 'invalid_token'],
      ['Bearer= and the token', () => [`Bearer=${valid}`], 400, 'invalid_request'],
      ['Bearer: and the token', () => [`Bearer: ${valid}`], 400, 'invalid_request'],
      ['Bearer twice', () => [`Bearer Bearer ${valid}`], 400, 'invalid_request'],
      ['the header twice: empty, then valid', () => ['', `Bearer ${valid}`], 400, 'invalid_request'],
      ['the header twice: Basic, then valid', () => ['Basic YTpi', `Bearer ${valid}`], 400, 'invalid_request'],
      ['the header twice: valid, then forged', () => [`Bearer ${valid}`, `Bearer ${forged}`], 400, 'invalid_request'],
      ['an empty header', () => [''], 401, 'missing_token'],
      ['a 15 KiB Basic credential', () => [`Basic ${'QUJD'.repeat(3840)}`], 401, 'missing_token'],
      ['a 15 KiB scheme name', () => [`${'S'.repeat(15 * 1024)} x`], 401, 'missing_token'],
      ['a 15 KiB value with no scheme', () => ['x'.repeat(15 * 1024)], 401, 'missing_token'],
      ['a 40 KiB Bearer token', () => [`Bearer ${'a'.repeat(40 * 1024)}`], 401, 'invalid_token'],
    ];

    it.each(SHAPES)('%s', async (_name, values, status, code) => {
      const authorization = values();
      const answer = await get('/api/me', authorization);
      expect(answer.status).toBe(status);
      expect(codeOf(answer)).toBe(code);
      expect(reached).toEqual(status === 200 ? ['GET /api/me'] : []);
      if (status !== 200) {
        // The credential never comes back: not in the body, not in a header.
        const echoed = `${answer.body}\n${JSON.stringify(answer.headers)}`;
        for (const value of authorization) {
          for (const piece of value.split(/[\s,]+/)) if (piece.length >= 12) expect(echoed).not.toContain(piece.slice(0, 40));
        }
        expect(answer.body.length).toBeLessThan(400);
      }
    });

    it.each([
      ['AUTHORIZATION', 200],
      ['authorization', 200],
      ['aUtHoRiZaTiOn', 200],
    ])('reads the header name %s whatever its case', async (name, status) => {
      const answer = await raw(server.port, `GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${name}: Bearer ${valid}\r\n\r\n`);
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    });

    it.each([
      ['two header lines differing only in case', () => `authorization: Bearer ${valid}\r\nAUTHORIZATION: Bearer ${forged}\r\n`],
      ['an obs-folded header', () => `Authorization: Bearer\r\n ${valid}\r\n`],
      ['a space before the colon', () => `Authorization : Bearer ${valid}\r\n`],
      ['a vertical tab after Bearer', () => `Authorization: Bearer\x0b${valid}\r\n`],
      ['a NUL inside the token', () => `Authorization: Bearer ${valid.replace('.', '.\0')}\r\n`],
      ['a bare CR inside the value', () => `Authorization: Bearer ${valid.replace('.', '.\r')}\r\n`],
    ])('never runs the handler for %s', async (_name, lines) => {
      const answer = await raw(server.port, `GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines()}\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 40[01] /);
      expect(answer).not.toContain(valid.slice(0, 40));
      expect(reached).toEqual([]);
    });

    it('takes the token from the Authorization header only: not another header, the query string or the body', async () => {
      const elsewhere: Answer[] = [
        await get('/api/me', [], [['proxy-authorization', `Bearer ${valid}`]]),
        await get('/api/me', [], [['x-authorization', `Bearer ${valid}`]]),
        await get('/api/me', [], [['authentication', `Bearer ${valid}`]]),
        await get('/api/me', [], [['x-clerk-auth-token', valid]]),
        await get(`/api/me?access_token=${valid}`),
        await get(`/api/me?authorization=Bearer%20${valid}`),
      ];
      const form = await raw(
        server.port,
        `POST /api/admin/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${13 + valid.length}\r\n\r\naccess_token=${valid}`,
      );
      for (const answer of elsewhere) {
        expect(answer.status).toBe(401);
        expect(codeOf(answer)).toBe('missing_token');
      }
      expect(form).toMatch(/^HTTP\/1\.1 401 /);
      expect(reached).toEqual([]);
    });

    it('answers HEAD with the status and challenge, and no body', async () => {
      const answer = await raw(server.port, `HEAD /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic YTpi\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer).toMatch(/\r\nWWW-Authenticate: Bearer realm="clerk"\r\n/i);
      expect(answer.endsWith('\r\n\r\n')).toBe(true);
      expect(reached).toEqual([]);
    });
  });

  describe('CORS in front', () => {
    it('answers the preflight of any method itself; the request that follows is authenticated', async () => {
      for (const method of ['GET', 'DELETE', 'POST', 'PUT', 'PATCH']) {
        const preflight = await raw(
          server.port,
          `OPTIONS /api/admin/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: ${ORIGIN}\r\nAccess-Control-Request-Method: ${method}\r\nAccess-Control-Request-Headers: authorization\r\n\r\n`,
        );
        expect(preflight).toMatch(/^HTTP\/1\.1 204 /);
        expect(preflight).toMatch(new RegExp(`Access-Control-Allow-Origin: ${ORIGIN}`, 'i'));
        const unauthenticated = await raw(server.port, `${method} /api/admin/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: ${ORIGIN}\r\nContent-Length: 0\r\n\r\n`);
        expect(unauthenticated).toMatch(/^HTTP\/1\.1 401 /);
        expect(unauthenticated).toMatch(new RegExp(`Access-Control-Allow-Origin: ${ORIGIN}`, 'i'));
      }
      expect(reached).toEqual([]);
    });

    it('gives a foreign origin no CORS permission, and still no handler', async () => {
      const answer = await raw(
        server.port,
        `OPTIONS /api/admin/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: DELETE\r\n\r\n`,
      );
      expect(answer).not.toMatch(/Access-Control-Allow-Origin/i);
      expect(reached).toEqual([]);
    });
  });

  it('does not log an X-Request-Id that is a token (a client that put its token in the wrong header)', async () => {
    const short = `${valid.split('.')[0] as string}.e30.c2ln`; // JWT-shaped and under 200 characters
    for (const id of [short, `Bearer ${short}`.replace(' ', '_')]) {
      const answer = await get('/api/me', [], [['x-request-id', id]]);
      expect(answer.status).toBe(401);
      const event = events.at(-1);
      expect(event?.type === 'request_refused' ? event.requestId : 'not refused').toBeUndefined();
    }
    await get('/api/me', [], [['x-request-id', 'req-42']]);
    const last = events.at(-1);
    expect(last?.type === 'request_refused' ? last.requestId : undefined).toBe('req-42');
  });

  it('never logged a credential: only codes, statuses and reasons', () => {
    expect(warnings).toEqual([]);
    expect(events.length).toBeGreaterThan(20);
    const logged = events.map((event) => JSON.stringify(event)).join('\n');
    for (const secret of [valid, forged, ...valid.split('.'), ...forged.split('.'), 'YWRtaW46YWRtaW4=', 'QUJDQUJD', 'SSSSSSSSSSSS']) {
      expect(logged).not.toContain(secret.slice(0, 40));
    }
    expect(logged).not.toMatch(/eyJ/);
    for (const event of events) expect(['request_refused']).toContain(event.type);
    expect(sent.length).toBeGreaterThan(0);
  });
});

describe.each(EXPRESS_VERSIONS)('clerkWebhook() under attack on %s', (_, express) => {
  const SECRET = createSigningSecret();
  const PAYLOAD = JSON.stringify(userCreatedEvent());
  const handled: string[] = [];
  const warnings: string[] = [];
  let server: TestServer;
  beforeAll(async () => {
    const app = express();
    app.post('/webhooks/clerk', clerkWebhook({ signingSecret: SECRET, env: {}, replayProtection: true, logger: { warn: (line) => void warnings.push(line) } }), (req, res) => {
      handled.push(req.webhookEvent?.type ?? '?');
      res.sendStatus(204);
    });
    server = await serve(app);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    handled.length = 0;
  });

  /** Posts `body` with these header lines (names may repeat), over a raw socket. */
  const post = (lines: [string, string][], body = PAYLOAD) =>
    raw(
      server.port,
      `POST /webhooks/clerk HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${lines
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n${body}`,
    );
  const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const codeOf = (answer: string) => (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4) || '{}') as { error?: string }).error;
  const signed = (id?: string) => Object.entries<string>(signDelivery(SECRET, PAYLOAD, id === undefined ? {} : { id }));

  it('accepts a delivery once, then refuses its replay however its headers are re-spelt', async () => {
    const headers = signed();
    const [[, id], [, timestamp], [, signature]] = headers as [[string, string], [string, string], [string, string]];
    expect(statusOf(await post(headers))).toBe(204);
    const replays: [string, [string, string][]][] = [
      ['as it was', headers],
      ['with upper-case header names', headers.map(([name, value]) => [name.toUpperCase(), value])],
      [
        'with the id upper-cased',
        [
          ['svix-id', id.toUpperCase()],
          ['svix-timestamp', timestamp],
          ['svix-signature', signature],
        ],
      ],
      ['with a second svix-id', [...headers, ['svix-id', 'msg_fresh']]],
      ['with a second svix-timestamp', [...headers, ['svix-timestamp', timestamp]]],
      [
        'with the timestamp as a fraction',
        [
          ['svix-id', id],
          ['svix-timestamp', `${timestamp}.5`],
          ['svix-signature', signature],
        ],
      ],
      [
        'with the timestamp zero-padded',
        [
          ['svix-id', id],
          ['svix-timestamp', `0${timestamp}`],
          ['svix-signature', signature],
        ],
      ],
      [
        'under the Standard Webhooks names',
        [
          ['webhook-id', id],
          ['webhook-timestamp', timestamp],
          ['webhook-signature', signature],
        ],
      ],
    ];
    const verdicts: string[] = [];
    for (const [name, lines] of replays) {
      const answer = await post(lines);
      verdicts.push(`${name}: ${statusOf(answer)} ${codeOf(answer)}`);
    }
    expect(verdicts).toEqual([
      'as it was: 409 webhook_replayed',
      'with upper-case header names: 409 webhook_replayed',
      'with the id upper-cased: 400 webhook_invalid_signature',
      'with a second svix-id: 400 webhook_invalid_signature',
      'with a second svix-timestamp: 400 webhook_invalid_timestamp',
      'with the timestamp as a fraction: 409 webhook_replayed',
      'with the timestamp zero-padded: 409 webhook_replayed',
      'under the Standard Webhooks names: 409 webhook_replayed',
    ]);
    expect(handled).toEqual(['user.created']);
  });

  it('refuses altered bodies, mixed header families and bloated signature lists', async () => {
    const cases: [string, [string, string][], string][] = [];
    const headers = signed();
    cases.push(['a trailing newline in the body', headers, `${PAYLOAD}\n`]);
    cases.push(['a byte-order mark', headers, `\ufeff${PAYLOAD}`]);
    cases.push(['the body re-serialised with spaces', headers, JSON.stringify(JSON.parse(PAYLOAD), null, 1)]);
    const [[, id], [, timestamp], [, signature]] = signed() as [[string, string], [string, string], [string, string]];
    cases.push([
      'svix-id with webhook-timestamp and webhook-signature',
      [
        ['svix-id', id],
        ['webhook-timestamp', timestamp],
        ['webhook-signature', signature],
      ],
      PAYLOAD,
    ]);
    cases.push([
      '2000 bogus v1 entries',
      [
        ['svix-id', id],
        ['svix-timestamp', timestamp],
        ['svix-signature', Array.from({ length: 2000 }, () => 'v1,AAAA').join(' ')],
      ],
      PAYLOAD,
    ]);
    cases.push([
      'the signature as v2',
      [
        ['svix-id', id],
        ['svix-timestamp', timestamp],
        ['svix-signature', signature.replace(/^v1,/, 'v2,')],
      ],
      PAYLOAD,
    ]);
    cases.push([
      'the signature without its version',
      [
        ['svix-id', id],
        ['svix-timestamp', timestamp],
        ['svix-signature', signature.replace(/^v1,/, '')],
      ],
      PAYLOAD,
    ]);
    for (const [name, lines, body] of cases) {
      const answer = await post(lines, body);
      expect(`${name}: ${statusOf(answer)}`).toBe(`${name}: 400`);
      expect(answer).not.toContain(SECRET.slice(6, 26));
    }
    expect(handled).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
