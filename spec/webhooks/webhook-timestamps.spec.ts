/**
 * How `svix-timestamp` is read, compared with Svix's own `Webhook.verify` (svix 1.99.1, over
 * standardwebhooks) and Clerk's `verifyWebhook` (@clerk/backend, same library) for a table of
 * spellings. Both read the header with `parseInt(value, 10)` and sign over that whole number of
 * seconds. This package agrees with them on every spelling a sender produces (digits, with or
 * without a fraction) and is stricter only where the README says why (signs, exponents, trailing
 * garbage, inner whitespace, overlong values): never looser. The clock is pinned with a spy on
 * Date.now (all three read it).
 */
import { createHmac } from 'node:crypto';
import { verifyWebhook } from '@clerk/backend/webhooks';
import type { Express } from 'express';
import request from 'supertest';
import { Webhook } from 'svix';
import { clerkWebhook } from '../../lib';
import { createClerkWebhookVerifier, WebhookVerificationError } from '../../lib/core';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { createSigningSecret, userCreatedEvent } from '../helpers/webhooks';

const SECRET = createSigningSecret();
const PAYLOAD = JSON.stringify(userCreatedEvent());
const ID = 'msg_timestamps';
const NOW_S = 1_796_310_476;
// 0.9 s into the second: where comparing in milliseconds and in whole seconds differ.
const NOW_MS = NOW_S * 1000 + 900;

/** Svix's signature over `${ID}.${seconds}.${PAYLOAD}`. */
const svixSignature = (seconds: number) => new Webhook(SECRET).sign(ID, new Date(seconds * 1000), PAYLOAD);
/** A signature over the raw header text, which is NOT what Svix signs for a fraction. */
const rawSignature = (header: string) =>
  `v1,${createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64'))
    .update(`${ID}.${header}.${PAYLOAD}`)
    .digest('base64')}`;

type Verdict = 'accepted' | 'refused';

/** Spelling of svix-timestamp; the signature (Svix's over `signedAs` seconds by default); where we are stricter than Svix. */
const TABLE: { header: string; signature?: string; signedAs?: number; stricter?: string }[] = [
  { header: String(NOW_S) },
  { header: `${NOW_S}.123` },
  { header: `${NOW_S}.999999999` },
  { header: `${NOW_S}.0` },
  { header: `${NOW_S}.5`, signature: rawSignature(`${NOW_S}.5`) },
  { header: `0${NOW_S}` },
  { header: `000${NOW_S}.25` },
  { header: `${NOW_S - 300}` },
  { header: `${NOW_S - 300}.999` },
  { header: `${NOW_S - 301}` },
  { header: `${NOW_S + 300}` },
  { header: `${NOW_S + 300}.9` },
  { header: `${NOW_S + 301}` },
  { header: `${NOW_S}`, signedAs: NOW_S - 1 },
  { header: `${NOW_S}.9`, signedAs: NOW_S + 1 },
  { header: `${NOW_S}.`, stricter: 'a dot with no fraction' },
  { header: `+${NOW_S}`, stricter: 'a sign' },
  { header: `-${NOW_S}` },
  { header: `${NOW_S}abc`, stricter: 'trailing garbage' },
  { header: `${NOW_S}.12x`, stricter: 'trailing garbage' },
  { header: `${NOW_S} 1`, stricter: 'inner whitespace' },
  { header: `${NOW_S}\t9`, stricter: 'inner whitespace' },
  { header: `${NOW_S}e0`, stricter: 'an exponent' },
  { header: '1.796310476e9' },
  { header: `${NOW_S},5`, stricter: 'a decimal comma' },
  { header: `${NOW_S}.${'1'.repeat(40)}`, stricter: 'longer than 32 characters' },
  { header: `${'0'.repeat(30)}${NOW_S}`, stricter: 'longer than 32 characters' },
  { header: `.${NOW_S}` },
  { header: `0x${NOW_S.toString(16)}` },
  { header: 'NaN' },
  { header: 'Infinity' },
  { header: '17963104760000000000' },
  { header: '\u0661\u0667\u0669' },
];

function ours(header: string, signature: string): Verdict {
  try {
    createClerkWebhookVerifier({ signingSecret: SECRET, env: {} }).verify(PAYLOAD, { 'svix-id': ID, 'svix-timestamp': header, 'svix-signature': signature });
    return 'accepted';
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    return 'refused';
  }
}

function svix(header: string, signature: string): Verdict {
  try {
    new Webhook(SECRET).verify(PAYLOAD, { 'svix-id': ID, 'svix-timestamp': header, 'svix-signature': signature });
    return 'accepted';
  } catch {
    return 'refused';
  }
}

async function clerk(header: string, signature: string): Promise<Verdict> {
  let req: Request;
  try {
    req = new Request('http://127.0.0.1/webhooks/clerk', {
      method: 'POST',
      headers: { 'svix-id': ID, 'svix-timestamp': header, 'svix-signature': signature },
      body: PAYLOAD,
    });
  } catch {
    return 'refused'; // a header value that is not a byte string never reaches Clerk's verifier
  }
  return verifyWebhook(req, { signingSecret: SECRET }).then(
    () => 'accepted',
    () => 'refused',
  );
}

describe('svix-timestamp spellings, against Svix and Clerk', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each(TABLE.map((row) => [JSON.stringify(row.header), row] as const))('%s', async (_name, { header, signature, signedAs, stricter }) => {
    const parsed = parseInt(header, 10);
    const signed = signature ?? svixSignature(signedAs ?? (Number.isFinite(parsed) ? parsed : NOW_S));
    const theirs = svix(header, signed);
    expect(await clerk(header, signed)).toBe(theirs);
    if (stricter === undefined) {
      expect(ours(header, signed)).toBe(theirs);
    } else {
      // Documented in the README (Webhooks): Svix accepts it, this package refuses it.
      expect([theirs, ours(header, signed)]).toEqual(['accepted', 'refused']);
    }
  });

  it('reads a fractional timestamp as its whole seconds (the signed value), for checkHeaders() too', () => {
    const verifier = createClerkWebhookVerifier({ signingSecret: SECRET, env: {} });
    expect(verifier.checkHeaders({ 'svix-id': ID, 'svix-timestamp': `${NOW_S}.999`, 'svix-signature': 'v1,x' })).toEqual({ id: ID, timestamp: NOW_S });
  });

  it('names the rule when it refuses a spelling, without the window arithmetic', () => {
    const verifier = createClerkWebhookVerifier({ signingSecret: SECRET, env: {} });
    let error: unknown;
    try {
      verifier.checkHeaders({ 'svix-id': ID, 'svix-timestamp': `+${NOW_S}`, 'svix-signature': 'v1,x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).code).toBe('webhook_invalid_timestamp');
    expect((error as WebhookVerificationError).message).toBe(
      'svix-timestamp is not a Unix time in seconds: expected digits, optionally with a fraction (e.g. 1796310476 or 1796310476.123), at most 32 characters.',
    );
  });
});

describe.each(EXPRESS_VERSIONS)('clerkWebhook() with a fractional svix-timestamp on %s', (_, express) => {
  let app: Express;
  beforeAll(() => {
    app = express();
    app.post('/webhooks/clerk', clerkWebhook({ signingSecret: SECRET, env: {}, logger: false }), (req, res) => {
      res.json({ type: req.webhookEvent?.type });
    });
  });

  it('accepts it as Svix does, and refuses it with trailing garbage', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const signature = new Webhook(SECRET).sign(ID, new Date(nowS * 1000), PAYLOAD);
    const post = (timestamp: string) =>
      request(app).post('/webhooks/clerk').set('content-type', 'application/json').set({ 'svix-id': ID, 'svix-timestamp': timestamp, 'svix-signature': signature }).send(PAYLOAD);
    const accepted = await post(`${nowS}.123`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ type: 'user.created' });
    const refused = await post(`${nowS}.123abc`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('webhook_invalid_timestamp');
  });
});
