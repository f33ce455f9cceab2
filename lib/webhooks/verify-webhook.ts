import { createHmac, timingSafeEqual } from 'node:crypto';
import { resolveEnv } from '../shared/env-vars';
import { assertKnownOptions, checkBoolean, checkNumber, optionNames } from '../shared/option-checks';
import { WebhookVerificationError } from '../shared/errors';
import type { ClerkWebhookEvent } from './webhook-events';
import { ReplayGuard } from './replay-guard';
import { resolveWebhookSigningSecrets } from './signing-secrets';

/**
 * Options of `createClerkWebhookVerifier()`; `clerkWebhook()` takes them too. Checked once, when
 * the verifier is created.
 */
export interface ClerkWebhookVerifierOptions {
  /**
   * The endpoint's signing secret, `whsec_…` (Clerk Dashboard → Configure → Webhooks → your
   * endpoint → Signing Secret), or several: a delivery signed with any of them is accepted.
   * Never printed. Default is `CLERK_WEBHOOK_SIGNING_SECRET` (several may be comma-separated). A
   * blank value is unset; an empty array, a blank entry or a duplicate is a startup error.
   */
  signingSecret?: string | readonly string[] | undefined;
  /**
   * Largest allowed difference between `svix-timestamp` and the server clock, in milliseconds,
   * either way. From 1000 to 3600000. Default is 300000 (5 minutes), as in Svix.
   */
  toleranceInMs?: number | undefined;
  /**
   * When true, a `svix-id` accepted within the tolerance window is refused the second time (409
   * `webhook_replayed`). In memory, per process. Default is false.
   */
  replayProtection?: boolean | undefined;
  /** Most delivery ids replay protection remembers; the oldest go first. Default is 10000. */
  replayCacheSize?: number | undefined;
  /** Where `CLERK_WEBHOOK_SIGNING_SECRET` is read (once). Default is `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Resolved configuration of a webhook verifier. Holds no secret: safe to log. */
export interface ClerkWebhookConfig {
  /** How many signing secrets are accepted. */
  readonly signingSecrets: number;
  readonly toleranceInMs: number;
  readonly replayProtection: boolean;
  readonly replayCacheSize: number;
}

/**
 * Request headers: Node's `req.headers` (names in lower case), any object of header names (any
 * case), or a Fetch API `Headers`.
 */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the headers of a delivery say, before its body is checked. */
export interface WebhookDelivery {
  /** `svix-id`: the same for every retry of one message. */
  readonly id: string;
  /** `svix-timestamp`, in whole seconds since the epoch (a fraction is dropped, as Svix does). */
  readonly timestamp: number;
}

/** Verifies Clerk webhook deliveries; from {@link createClerkWebhookVerifier}. */
export interface ClerkWebhookVerifier {
  readonly config: ClerkWebhookConfig;
  /**
   * Checks that the three headers are present and the timestamp is within the tolerance, without
   * the body: lets an adapter refuse a delivery before reading it.
   *
   * @throws {WebhookVerificationError} `webhook_missing_headers` or `webhook_invalid_timestamp`.
   */
  checkHeaders(headers: WebhookHeaders): WebhookDelivery;
  /**
   * Verifies one delivery: headers, timestamp, HMAC-SHA256 signature over
   * `${svix-id}.${svix-timestamp}.${rawBody}`, JSON event; with replay protection, also records
   * its `svix-id`. `rawBody` must be the exact bytes received.
   *
   * @throws {WebhookVerificationError} with a 400 (or 409) code.
   */
  verify(rawBody: Uint8Array | string, headers: WebhookHeaders): ClerkWebhookEvent;
  /**
   * Forgets a `svix-id` recorded by replay protection, so that Svix's retry of a delivery you
   * failed to process is accepted. `clerkWebhook()` calls it when the response is not a 2xx.
   */
  release(id: string): void;
}

const ID = 'svix-id';
const TIMESTAMP = 'svix-timestamp';
const SIGNATURE = 'svix-signature';
// Standard Webhooks names of the same headers, accepted as Svix does.
const UNBRANDED = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
// Whole seconds, optionally with a fraction, as Svix's and Clerk's verifiers read them; the header
// is capped so that a parse never costs more than a real timestamp.
const UNIX_SECONDS = /^(\d+)(?:\.\d+)?$/;
const MAX_TIMESTAMP_LENGTH = 32;

/** Names of every option of {@link ClerkWebhookVerifierOptions}. */
export const WEBHOOK_VERIFIER_OPTIONS = optionNames<ClerkWebhookVerifierOptions>({
  signingSecret: true,
  toleranceInMs: true,
  replayProtection: true,
  replayCacheSize: true,
  env: true,
});

/**
 * Creates a verifier of Clerk (Svix, Standard Webhooks) webhook deliveries, for any framework.
 * Node's crypto only; no network.
 *
 * @throws {ClerkConfigError} when the signing secret is missing or malformed, or an option is wrong.
 */
export function createClerkWebhookVerifier(options: ClerkWebhookVerifierOptions = {}): ClerkWebhookVerifier {
  assertKnownOptions(options, WEBHOOK_VERIFIER_OPTIONS, 'createClerkWebhookVerifier');
  const env = resolveEnv(options.env);
  const keys = resolveWebhookSigningSecrets(options.signingSecret, env);
  const config: ClerkWebhookConfig = Object.freeze({
    signingSecrets: keys.length,
    toleranceInMs: checkNumber(options.toleranceInMs, 'toleranceInMs', 300_000, { min: 1000, max: 3_600_000 }),
    replayProtection: checkBoolean(options.replayProtection, 'replayProtection'),
    replayCacheSize: checkNumber(options.replayCacheSize, 'replayCacheSize', 10_000, { min: 1, max: 1_000_000, integer: true, unit: 'entries' }),
  });
  const replays = config.replayProtection ? new ReplayGuard(config.replayCacheSize) : null;

  function checkHeaders(headers: WebhookHeaders): WebhookDelivery & { signatures: string } {
    const { id, timestamp, signatures } = readHeaders(headers);
    const seconds = parseTimestamp(timestamp);
    // In whole seconds of the server clock, as Svix compares: `now - timestamp > tolerance`.
    const skew = Math.floor(Date.now() / 1000) - seconds;
    if (Math.abs(skew) * 1000 > config.toleranceInMs) {
      const direction = skew > 0 ? 'behind' : 'ahead of';
      throw new WebhookVerificationError(
        'webhook_invalid_timestamp',
        `The delivery is ${skew > 0 ? 'too old' : 'from the future'}: ${TIMESTAMP} is ${Math.abs(skew)} s ${direction} the server clock (tolerance ${config.toleranceInMs / 1000} s).`,
      );
    }
    return { id, timestamp: seconds, signatures };
  }

  return Object.freeze({
    config,
    checkHeaders(headers: WebhookHeaders): WebhookDelivery {
      const { id, timestamp } = checkHeaders(headers);
      return { id, timestamp };
    },
    verify(rawBody: Uint8Array | string, headers: WebhookHeaders): ClerkWebhookEvent {
      const delivery = checkHeaders(headers);
      const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
      checkSignature(keys, delivery, body);
      const event = parseEvent(body);
      if (replays !== null) {
        const now = Date.now();
        if (replays.has(delivery.id, now)) {
          throw new WebhookVerificationError('webhook_replayed', `This delivery (${ID} ${delivery.id}) was already accepted: a replay, or a retry while the first is still being handled.`);
        }
        replays.add(delivery.id, delivery.timestamp * 1000 + config.toleranceInMs, now);
      }
      return event;
    },
    release(id: string): void {
      replays?.delete(id);
    },
  });
}

function readHeaders(headers: WebhookHeaders): { id: string; timestamp: string; signatures: string } {
  const get = headerReader(headers);
  const [id, timestamp, signatures] = [get(ID), get(TIMESTAMP), get(SIGNATURE)];
  if (id !== '' && timestamp !== '' && signatures !== '') return { id, timestamp, signatures };
  const unbranded = UNBRANDED.map(get);
  if (unbranded.every((value) => value !== '')) {
    const [uid, utimestamp, usignatures] = unbranded as [string, string, string];
    return { id: uid, timestamp: utimestamp, signatures: usignatures };
  }
  const missing = [ID, TIMESTAMP, SIGNATURE].filter((_, index) => [id, timestamp, signatures][index] === '');
  throw new WebhookVerificationError(
    'webhook_missing_headers',
    `Missing webhook header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. Clerk signs every delivery with ${ID}, ${TIMESTAMP} and ${SIGNATURE}.`,
  );
}

/** Reads a header by lower-case name as a trimmed string; '' when absent. */
function headerReader(headers: WebhookHeaders): (name: string) => string {
  if (typeof (headers as Headers).get === 'function') {
    return (name) => ((headers as Headers).get(name) ?? '').trim();
  }
  const byName = new Map<string, string | readonly string[] | undefined>();
  for (const [name, value] of Object.entries(headers as Exclude<WebhookHeaders, Headers>)) byName.set(name.toLowerCase(), value);
  return (name) => {
    const value = byName.get(name);
    return (typeof value === 'string' ? value : (value ?? []).join(', ')).trim();
  };
}

/**
 * The whole seconds of `svix-timestamp`: what Svix signs and compares with the clock. A fraction
 * (`1796310476.123`) is dropped, as Svix's and Clerk's verifiers (`parseInt`) drop it. Stricter
 * than `parseInt` on purpose: a sign, an exponent, inner whitespace or anything after the digits
 * is refused, since nothing of it is signed and no sender produces it.
 */
function parseTimestamp(value: string): number {
  const match = value.length <= MAX_TIMESTAMP_LENGTH ? UNIX_SECONDS.exec(value) : null;
  if (match === null) {
    throw new WebhookVerificationError(
      'webhook_invalid_timestamp',
      `${TIMESTAMP} is not a Unix time in seconds: expected digits, optionally with a fraction (e.g. 1796310476 or 1796310476.123), at most ${MAX_TIMESTAMP_LENGTH} characters.`,
    );
  }
  return Number(match[1]);
}

function checkSignature(keys: readonly Buffer[], delivery: WebhookDelivery & { signatures: string }, body: Buffer): void {
  const candidates = delivery.signatures
    .split(/\s+/)
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3)));
  if (candidates.length === 0) {
    throw new WebhookVerificationError('webhook_invalid_signature', `${SIGNATURE} holds no v1 signature.`);
  }
  // The timestamp as Svix signs it: the parsed whole seconds, so "0170…", "170…" and "170….5" agree.
  const signed = `${delivery.id}.${delivery.timestamp}.`;
  for (const key of keys) {
    const expected = Buffer.from(createHmac('sha256', key).update(signed).update(body).digest('base64'));
    // Compared as base64 text, as Svix does; only equal lengths can match.
    if (candidates.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) return;
  }
  throw new WebhookVerificationError(
    'webhook_invalid_signature',
    'No signature matches: the body was altered on the way, or it was signed with another secret (each webhook endpoint has its own whsec_ signing secret).',
  );
}

function parseEvent(body: Buffer): ClerkWebhookEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('webhook_invalid_payload', 'The webhook body is not JSON.');
  }
  const event = payload as { type?: unknown; data?: unknown } | null;
  if (
    typeof event !== 'object' ||
    event === null ||
    Array.isArray(event) ||
    typeof event.type !== 'string' ||
    event.type === '' ||
    typeof event.data !== 'object' ||
    event.data === null ||
    Array.isArray(event.data)
  ) {
    throw new WebhookVerificationError('webhook_invalid_payload', 'The webhook body is not a Clerk event: expected a JSON object with a "type" string and a "data" object.');
  }
  return payload as ClerkWebhookEvent;
}
