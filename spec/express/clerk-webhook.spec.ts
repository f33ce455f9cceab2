import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import { ClerkAuthError, ClerkConfigError, clerkWebhook, type ClerkWebhookOptions } from '../../lib';
import { captureLogger, thrown } from '../helpers/expect-error';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { createSigningSecret, signDelivery, userCreatedEvent } from '../helpers/webhooks';
import { sleep } from '../helpers/clock';

const SECRET = createSigningSecret();
const PAYLOAD = JSON.stringify(userCreatedEvent());
const PATH = '/webhooks/clerk';
const webhook = (options: ClerkWebhookOptions = {}) => clerkWebhook({ signingSecret: SECRET, env: {}, logger: false, ...options });

/** Answers with what the middleware left on the request. */
const received: RequestHandler = (req, res) => {
  const event = req.webhookEvent;
  res.json({ type: event?.type, userId: event?.type === 'user.created' ? event.data.id : null, bodyIsEvent: req.body === event });
};

const errorHandler =
  (seen: unknown[]): ErrorRequestHandler =>
  (error, _req, res, _next) => {
    seen.push(error);
    res.status(error instanceof ClerkAuthError ? error.status : 500).json({ handledBy: 'app' });
  };

function deliver(app: Express, payload = PAYLOAD, headers: Record<string, string> = signDelivery(SECRET, payload)) {
  return request(app).post(PATH).set('Content-Type', 'application/json').set(headers).send(payload);
}

describe('clerkWebhook(): configuration', () => {
  it('throws at startup without a secret, naming the option and env variable', () => {
    const error = thrown(ClerkConfigError, () => clerkWebhook({ env: {} }));
    expect(error.message).toContain('signingSecret (CLERK_WEBHOOK_SIGNING_SECRET)');
  });

  it('checks its own options', () => {
    expect(thrown(ClerkConfigError, () => webhook({ bodyLimitInBytes: 0 })).message).toBe('bodyLimitInBytes must be a whole number of bytes from 1 to 2147483647; default is 1048576.');
    expect(thrown(ClerkConfigError, () => webhook({ forwardErrors: 1 as never })).option).toBe('forwardErrors');
    expect(thrown(ClerkConfigError, () => webhook({ logger: {} as never })).option).toBe('logger');
    expect(thrown(ClerkConfigError, () => webhook({ authorizeUser: () => true } as never)).message).toContain('clerkWebhook() got an unknown option "authorizeUser"');
  });
});

describe.each(EXPRESS_VERSIONS)('clerkWebhook() on %s', (_, express) => {
  /** The documented mounting: the webhook route before express.json(), which serves the API. */
  function appWith(middleware: RequestHandler = webhook(), handler: RequestHandler = received, seen: unknown[] = []): Express {
    const app = express();
    app.post(PATH, middleware, handler);
    app.use(express.json());
    app.post('/api/echo', (req, res) => {
      res.json(req.body);
    });
    app.use(errorHandler(seen));
    return app;
  }

  it('verifies a delivery signed by svix and hands the typed event on', async () => {
    const response = await deliver(appWith());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ type: 'user.created', userId: 'user_29w83sxmDNGwOuEthce5gg56FcC', bodyIsEvent: true });
  });

  it('leaves express.json() working for the other routes', async () => {
    const app = appWith();
    expect((await deliver(app)).status).toBe(200);
    expect((await request(app).post('/api/echo').send({ hello: 'world' })).body).toEqual({ hello: 'world' });
  });

  it('works below express.json() applied to other routes only', async () => {
    const app = express();
    app.use('/api', express.json());
    app.post(PATH, webhook(), received);
    expect((await deliver(app)).body.type).toBe('user.created');
  });

  it('takes the bytes express.raw() left in req.body', async () => {
    const app = express();
    app.use(express.raw({ type: 'application/json' }));
    app.post(PATH, webhook(), received);
    expect((await deliver(app)).body.type).toBe('user.created');
  });

  describe('refusals: status and JSON body', () => {
    it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('400 webhook_missing_headers without %s', async (name) => {
      const headers = signDelivery(SECRET, PAYLOAD);
      delete headers[name];
      const response = await deliver(appWith(), PAYLOAD, headers);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        error: 'webhook_missing_headers',
        message: `Missing webhook header: ${name}. Clerk signs every delivery with svix-id, svix-timestamp and svix-signature.`,
      });
    });

    it('400 webhook_invalid_signature for a tampered body or another secret', async () => {
      const tampered = await deliver(appWith(), PAYLOAD.replace('Ada', 'Eve'), signDelivery(SECRET, PAYLOAD));
      expect(tampered.status).toBe(400);
      expect(tampered.body.error).toBe('webhook_invalid_signature');
      const foreign = await deliver(appWith(), PAYLOAD, signDelivery(createSigningSecret(), PAYLOAD));
      expect(foreign.body.error).toBe('webhook_invalid_signature');
    });

    it('400 webhook_invalid_timestamp for an old or a future delivery', async () => {
      for (const offset of [-10 * 60_000, 10 * 60_000]) {
        const response = await deliver(appWith(), PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: new Date(Date.now() + offset) }));
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('webhook_invalid_timestamp');
      }
    });

    it('400 webhook_invalid_payload for a signed body that is not JSON', async () => {
      const response = await deliver(appWith(), 'not json', signDelivery(SECRET, 'not json'));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'webhook_invalid_payload', message: 'The webhook body is not JSON.' });
    });

    it('413 webhook_body_too_large for a huge body, declared or streamed', async () => {
      const huge = JSON.stringify({ ...userCreatedEvent(), padding: 'x'.repeat(1024 * 1024) });
      const declared = await deliver(appWith(), huge, signDelivery(SECRET, huge));
      expect(declared.status).toBe(413);
      expect(declared.body).toEqual({ error: 'webhook_body_too_large', message: 'The webhook body is larger than 1048576 bytes (bodyLimitInBytes).' });

      const streamed = await postChunked(appWith(webhook({ bodyLimitInBytes: 1000 })), [PAYLOAD.slice(0, 600), PAYLOAD.slice(600)], signDelivery(SECRET, PAYLOAD));
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body).error).toBe('webhook_body_too_large');
    });

    it('accepts a body of exactly bodyLimitInBytes, streamed', async () => {
      const response = await postChunked(appWith(webhook({ bodyLimitInBytes: Buffer.byteLength(PAYLOAD) })), [PAYLOAD.slice(0, 600), PAYLOAD.slice(600)], signDelivery(SECRET, PAYLOAD));
      expect(response.status).toBe(200);
    });

    it('hands errors to the app with forwardErrors', async () => {
      const seen: unknown[] = [];
      const response = await deliver(appWith(webhook({ forwardErrors: true }), received, seen), PAYLOAD, {});
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ handledBy: 'app' });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ code: 'webhook_missing_headers', status: 400 });
    });
  });

  describe('a body parser mounted before it', () => {
    function misMounted(options: ClerkWebhookOptions = {}, seen: unknown[] = []): Express {
      const app = express();
      app.use(express.json());
      app.post(PATH, webhook(options), received);
      app.use(errorHandler(seen));
      return app;
    }

    it('500 webhook_body_unavailable, not a signature mismatch; the log says how to mount it, once', async () => {
      const logger = captureLogger();
      const app = misMounted({ logger });
      for (let i = 0; i < 2; i++) {
        const response = await deliver(app);
        expect(response.status).toBe(500);
        expect(response.body).toEqual({
          error: 'webhook_body_unavailable',
          message: 'The webhook endpoint is misconfigured and cannot verify deliveries; see the server log.',
        });
      }
      expect(logger.lines).toEqual([
        "[clerkWebhook] clerkWebhook() cannot verify the delivery: a body parser such as express.json() read the request body before it, and the signature covers the exact raw bytes. Mount the webhook route before the parser, e.g. app.post('/webhooks/clerk', clerkWebhook(), handler) above app.use(express.json()), or apply express.json() only to your other routes (app.use('/api', express.json())).",
      ]);
      expect(logger.lines.join()).not.toContain(SECRET.slice(6));
    });

    it('still answers the 500 when the logger throws', async () => {
      const logger = {
        warn: () => {
          throw new Error('log sink down');
        },
      };
      const response = await deliver(misMounted({ logger }));
      expect(response.status).toBe(500);
      expect(response.body.error).toBe('webhook_body_unavailable');
    });

    it('says so even to a delivery without headers', async () => {
      expect((await deliver(misMounted(), PAYLOAD, {})).body.error).toBe('webhook_body_unavailable');
    });

    it('forwards the error, with the fix in its message, under forwardErrors', async () => {
      const seen: unknown[] = [];
      expect((await deliver(misMounted({ forwardErrors: true }, seen))).status).toBe(500);
      expect(seen[0]).toMatchObject({ code: 'webhook_body_unavailable', status: 500, expose: false });
      expect((seen[0] as Error).message).toContain('Mount the webhook route before the parser');
    });

    it('is harmless when the parser skipped the request (another content type)', async () => {
      const response = await deliver(misMounted(), PAYLOAD).set('Content-Type', 'text/plain');
      expect(response.status).toBe(200);
      expect(response.body.type).toBe('user.created');
    });
  });

  describe('replay protection', () => {
    it('answers 409 webhook_replayed to the same delivery twice', async () => {
      const app = appWith(webhook({ replayProtection: true }));
      const headers = signDelivery(SECRET, PAYLOAD);
      expect((await deliver(app, PAYLOAD, headers)).status).toBe(200);
      const replay = await deliver(app, PAYLOAD, headers);
      expect(replay.status).toBe(409);
      expect(replay.body.error).toBe('webhook_replayed');
    });

    it('accepts the retry of a delivery the handler failed (non-2xx)', async () => {
      let failures = 1;
      const flaky: RequestHandler = (req, res, next) => (failures-- > 0 ? next(new Error('database down')) : received(req, res, next));
      const app = appWith(webhook({ replayProtection: true }), flaky);
      const headers = signDelivery(SECRET, PAYLOAD);
      expect((await deliver(app, PAYLOAD, headers)).status).toBe(500);
      const retry = await deliver(app, PAYLOAD, signDelivery(SECRET, PAYLOAD, { id: headers['svix-id'] }));
      expect(retry.status).toBe(200);
      expect((await deliver(app, PAYLOAD, headers)).status).toBe(409);
    });
  });

  it('reads the exact bytes after a req.setEncoding() upstream, instead of throwing from the stream', async () => {
    for (const encoding of ['utf8', 'latin1'] as const) {
      const app = express();
      app.post(
        PATH,
        (req, _res, next) => {
          req.setEncoding(encoding);
          next();
        },
        webhook(),
        received,
      );
      const response = await deliver(app, JSON.stringify(userCreatedEvent('user_ünïcode')));
      expect(response.status).toBe(200);
      expect(response.body.userId).toBe('user_ünïcode');
    }
  });

  it('stays up when the client goes away mid-body: no answer, no handler', async () => {
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    let handled = false;
    const app = express();
    app.post(
      PATH,
      (req, _res, next) => {
        req.once('close', closed);
        next();
      },
      webhook(),
      () => {
        handled = true;
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = http.request({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers: { ...signDelivery(SECRET, PAYLOAD), 'content-length': String(PAYLOAD.length) } });
      client.on('error', () => undefined);
      client.write(PAYLOAD.slice(0, 100));
      await sleep(50); // the first bytes on their way
      client.destroy();
      await gone;
      await new Promise((resolve) => setImmediate(resolve));
      expect(handled).toBe(false);
    } finally {
      server.close();
    }
  });
});

/** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length) to a listening `app`. */
async function postChunked(app: Express, chunks: string[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const client = http.request(
        { host: '127.0.0.1', port, path: PATH, method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (response) => {
          let body = '';
          response
            .setEncoding('utf8')
            .on('data', (chunk: string) => (body += chunk))
            .on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      client.on('error', reject);
      for (const chunk of chunks) client.write(chunk);
      client.end();
    });
  } finally {
    server.close();
  }
}
