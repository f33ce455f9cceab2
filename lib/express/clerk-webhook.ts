import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { resolveLogger, type ClerkLogger } from '../shared/logger';
import { assertKnownOptions, checkBoolean, checkNumber, optionNames } from '../shared/option-checks';
import { WebhookVerificationError } from '../shared/errors';
import { createClerkWebhookVerifier, WEBHOOK_VERIFIER_OPTIONS, type ClerkWebhookVerifier, type ClerkWebhookVerifierOptions } from '../webhooks/verify-webhook';
import type { ClerkWebhookEvent } from '../webhooks/webhook-events';

declare global {
  namespace Express {
    interface Request {
      /** The verified Clerk webhook event, set by `clerkWebhook()`. */
      webhookEvent?: ClerkWebhookEvent | undefined;
    }
  }
}

/** Options of {@link clerkWebhook}: those of the verifier plus how the middleware behaves. */
export interface ClerkWebhookOptions extends ClerkWebhookVerifierOptions {
  /** Largest body accepted, in bytes; a larger one is answered 413. Default is 1048576 (1 MiB). */
  bodyLimitInBytes?: number | undefined;
  /**
   * When true, errors go to `next(err)` for your error handler instead of being answered here.
   * They carry `status`, `statusCode`, `code` and `headers`. Default is false.
   */
  forwardErrors?: boolean | undefined;
  /**
   * Gets one `warn` line the first time the raw body turns out to be unavailable (a body parser
   * ran first), with the fix; never a secret. `false` silences it. Default is `console`.
   */
  logger?: ClerkLogger | false | undefined;
}

const ADAPTER_OPTIONS = optionNames<Omit<ClerkWebhookOptions, keyof ClerkWebhookVerifierOptions>>({ bodyLimitInBytes: true, forwardErrors: true, logger: true });
const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** The client went away before its body arrived: there is no one to answer. */
class ClientGone extends Error {}

/**
 * Express middleware that verifies a Clerk webhook delivery (Svix signature) from the raw request
 * body, sets `req.webhookEvent` (and `req.body`) to the event and calls `next()`. A refused
 * delivery is answered with the status and JSON body of its {@link WebhookVerificationError}.
 *
 * Mount it on the webhook route **before** any JSON body parser reaches that route:
 * `app.post('/webhooks/clerk', clerkWebhook(), handler)` above `app.use(express.json())`.
 *
 * @throws {ClerkConfigError} when the signing secret is missing or malformed, or an option is wrong.
 */
export function clerkWebhook(options: ClerkWebhookOptions = {}): RequestHandler {
  assertKnownOptions(options, [...WEBHOOK_VERIFIER_OPTIONS, ...ADAPTER_OPTIONS], 'clerkWebhook');
  const { bodyLimitInBytes, forwardErrors: forwardOption, logger: loggerOption, ...verifierOptions } = options;
  const bodyLimit = checkNumber(bodyLimitInBytes, 'bodyLimitInBytes', DEFAULT_BODY_LIMIT, { min: 1, max: 2 ** 31 - 1, integer: true, unit: 'bytes' });
  const forwardErrors = checkBoolean(forwardOption, 'forwardErrors');
  let logger = resolveLogger(loggerOption);
  const verifier = createClerkWebhookVerifier(verifierOptions);

  function fail(error: unknown, res: Response, next: NextFunction): void {
    if (error instanceof ClientGone) return;
    if (error instanceof WebhookVerificationError && error.code === 'webhook_body_unavailable' && logger !== null && !forwardErrors) {
      const once = logger;
      logger = null; // once: the set-up will not change until a restart
      try {
        once.warn(`[clerkWebhook] ${error.message}`);
      } catch {
        // A logger that throws must not change how the request ends (as for clerkAuth()).
      }
    }
    if (error instanceof WebhookVerificationError && !forwardErrors && !res.headersSent) {
      res.status(error.status).set(error.headers).json(error.toJSON());
      return;
    }
    next(error);
  }

  return function clerkWebhookMiddleware(req: Request, res: Response, next: NextFunction): void {
    receive(req, verifier, bodyLimit)
      .then(
        ({ event, id }) => {
          if (verifier.config.replayProtection) releaseUnlessHandled(res, verifier, id);
          req.webhookEvent = event;
          req.body = event;
          next();
        },
        (error: unknown) => fail(error, res, next),
      )
      .catch((error: unknown) => {
        // Only reachable if next() or the response itself throws, which Express's never do; the
        // process must not die of an unhandled rejection all the same.
        // eslint-disable-next-line no-console -- last resort for what next() or the response threw: never swallowed silently
        console.error(error);
        res.destroy();
      });
  };
}

async function receive(req: Request, verifier: ClerkWebhookVerifier, bodyLimit: number): Promise<{ event: ClerkWebhookEvent; id: string }> {
  const parsed = parsedBody(req);
  // Headers and timestamp first: a delivery without them is refused before its body is read.
  const { id } = verifier.checkHeaders(req.headers);
  const body = parsed ?? (await readBody(req, bodyLimit));
  if (body.length > bodyLimit) throw tooLarge(bodyLimit);
  return { event: verifier.verify(body, req.headers), id };
}

/**
 * `null` when the body is still unread; the bytes when `express.raw()` (or another raw parser)
 * left them in `req.body`.
 *
 * @throws {WebhookVerificationError} `webhook_body_unavailable` when a parser consumed the stream
 * and kept only its own reading of it (`express.json()`, `express.text()`, …).
 */
function parsedBody(req: Request): Buffer | null {
  if (!req.readableDidRead && !req.readableEnded) return null;
  if (Buffer.isBuffer(req.body)) return req.body;
  throw new WebhookVerificationError(
    'webhook_body_unavailable',
    'clerkWebhook() cannot verify the delivery: a body parser such as express.json() read the request body before it, and the signature covers the exact raw bytes. ' +
      "Mount the webhook route before the parser, e.g. app.post('/webhooks/clerk', clerkWebhook(), handler) above app.use(express.json()), " +
      "or apply express.json() only to your other routes (app.use('/api', express.json())).",
  );
}

/** Reads the raw body, up to `limit` bytes; a larger one is read off and refused with a 413. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length']) > limit) {
    // Nothing read yet: Node discards the rest of the body once the 413 is sent.
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (data: Buffer | string): void => {
      // After a req.setEncoding() the stream yields strings: back to the bytes that were signed.
      const chunk = typeof data === 'string' ? Buffer.from(data, req.readableEncoding ?? 'utf8') : data;
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    };
    const onEnd = (): void => {
      cleanup();
      if (size > limit) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new ClientGone());
    };
    const cleanup = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
    };
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

function tooLarge(limit: number): WebhookVerificationError {
  return new WebhookVerificationError('webhook_body_too_large', `The webhook body is larger than ${limit} bytes (bodyLimitInBytes).`);
}

/** A delivery that was not answered with a 2xx was not handled: Svix's retry must be accepted. */
function releaseUnlessHandled(res: Response, verifier: ClerkWebhookVerifier, id: string): void {
  res.once('close', () => {
    if (!res.writableFinished || res.statusCode < 200 || res.statusCode >= 300) verifier.release(id);
  });
}
