/**
 * How a refusal is answered: on a real response, with Node's own methods (no Express helper, no
 * ETag), yet the same status, headers and JSON body as Express's `res.status().set().json()`;
 * on a test double that has only Express's helpers, through those helpers. On every supported
 * Express, through a real server.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import request from 'supertest';
import { clerkAuth, ClerkAuthError, InvalidTokenError, requireRole } from '../../lib';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

/** A token the issuer signed, with its signature's last characters changed: refused as `invalid_signature`. */
async function forged(): Promise<string> {
  const token = await issuer.mint();
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}A`;
}

describe.each(EXPRESS_VERSIONS)('refusals answered on %s', (_, express) => {
  const ok: RequestHandler = (_req, res) => {
    res.json({ ok: true });
  };
  // What Express's helpers send for the same error: the reference for everything but the ETag.
  const reference: ErrorRequestHandler = (error: unknown, _req: Request, res: Response, _next) => {
    const refusal = error as ClerkAuthError;
    res.status(refusal.status).set(refusal.headers).json(refusal.toJSON());
  };
  let app: ReturnType<typeof express>;
  beforeAll(() => {
    app = express();
    app.use('/cors', (_req, res, next) => {
      res.setHeader('Access-Control-Allow-Origin', 'https://app.example.com');
      next();
    });
    app.all('/cors', clerkAuth({ env: issuer.env }), ok);
    app.all('/auth', clerkAuth({ env: issuer.env }), ok);
    app.all('/guard', clerkAuth({ env: issuer.env }), requireRole('org:admin'), ok);
    app.all('/express', clerkAuth({ env: issuer.env, forwardErrors: true }), ok);
    app.all('/express-guard', clerkAuth({ env: issuer.env, forwardErrors: true }), requireRole('org:admin'), ok);
    app.use(reference);
  });

  it.each([
    ['a forged token (401)', async () => `Bearer ${await forged()}`, '', 401],
    ['no credentials (401)', async () => undefined, '', 401],
    ['a malformed header (400)', async () => 'Bearer a b', '', 400],
    ['a guard refusing (403)', async () => `Bearer ${await issuer.mint()}`, '-guard', 403],
  ])('%s: the same status, headers and body as Express would send, without an ETag', async (_name, header, suffix, status) => {
    const authorization = await header();
    const ours = request(app).get(suffix === '' ? '/auth' : '/guard');
    const theirs = request(app).get(`/express${suffix}`);
    if (authorization !== undefined) {
      ours.set('Authorization', authorization);
      theirs.set('Authorization', authorization);
    }
    const [answer, expected] = await Promise.all([ours, theirs]);
    expect(answer.status).toBe(status);
    expect(expected.status).toBe(status);
    expect(answer.text).toBe(expected.text);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['content-type']).toBe(expected.headers['content-type']);
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.text)));
    expect(answer.headers['content-length']).toBe(expected.headers['content-length']);
    expect(answer.headers['www-authenticate']).toBe(expected.headers['www-authenticate']);
    expect(answer.headers['x-powered-by']).toBe(expected.headers['x-powered-by']);
    expect(answer.headers['etag']).toBeUndefined();
    expect(expected.headers['etag']).toBeDefined();
  });

  it('a HEAD request gets the headers alone', async () => {
    const answer = await request(app)
      .head('/auth')
      .set('Authorization', `Bearer ${await forged()}`);
    expect(answer.status).toBe(401);
    expect(answer.text).toBeUndefined();
    expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
  });

  it('keeps the headers set before it (CORS)', async () => {
    const answer = await request(app)
      .get('/cors')
      .set('Authorization', `Bearer ${await forged()}`);
    expect(answer.status).toBe(401);
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(answer.body).toEqual({ error: 'invalid_token', message: 'Token verification failed: the token signature is invalid.' });
  });
});

describe('refusals answered on a test double', () => {
  it("a response with Express's helpers alone (a unit test's mock) is answered through them", async () => {
    const calls: unknown[] = [];
    const res = {
      headersSent: false,
      status(code: number) {
        calls.push(['status', code]);
        return this;
      },
      set(headers: Record<string, string>) {
        calls.push(['set', headers]);
        return this;
      },
      json(body: unknown) {
        calls.push(['json', body]);
        return this;
      },
    };
    const authorization = `Bearer ${await forged()}`;
    const req = { method: 'GET', headers: { authorization }, rawHeaders: ['Authorization', authorization] };
    const middleware = clerkAuth({ env: issuer.env });
    // The first token of a key set waits for the keys: the answer comes on a later tick.
    await new Promise<void>((resolve, reject) => {
      const next = (error?: unknown) => reject(new Error(`next(${String(error)}) was called`));
      middleware(req as unknown as Request, res as unknown as Response, next);
      const poll = () => (calls.length === 3 ? resolve() : setImmediate(poll));
      poll();
    });
    const error = new InvalidTokenError('invalid_signature', { realm: 'clerk' });
    expect(calls).toEqual([
      ['status', 401],
      ['set', error.headers],
      ['json', error.toJSON()],
    ]);
  });
});
