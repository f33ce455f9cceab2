import { ClerkAuthError, ClerkConfigError, createClerkWebhookVerifier, WebhookVerificationError, type ClerkWebhookVerifierOptions } from '../../lib/core';
import { ReplayGuard } from '../../lib/webhooks/replay-guard';
import { thrown } from '../helpers/expect-error';
import { fakeSecretKey } from '../helpers/keys';
import { createSigningSecret, signDelivery, userCreatedEvent } from '../helpers/webhooks';

const SECRET = createSigningSecret();
const PAYLOAD = JSON.stringify(userCreatedEvent());
const verifier = (options: ClerkWebhookVerifierOptions = {}) => createClerkWebhookVerifier({ signingSecret: SECRET, env: {}, ...options });
const refused = (run: () => unknown) => thrown(WebhookVerificationError, run);
const minutes = (n: number) => new Date(Date.now() + n * 60_000);

describe('createClerkWebhookVerifier(): configuration', () => {
  it('reads the secret from CLERK_WEBHOOK_SIGNING_SECRET and says nothing of it in config', () => {
    const { config } = createClerkWebhookVerifier({ env: { CLERK_WEBHOOK_SIGNING_SECRET: SECRET } });
    expect(config).toEqual({ signingSecrets: 1, toleranceInMs: 300_000, replayProtection: false, replayCacheSize: 10_000 });
    expect(JSON.stringify(config)).not.toContain(SECRET.slice(6));
  });

  it('prefers the option to the env variable', () => {
    const other = createSigningSecret();
    const v = createClerkWebhookVerifier({ signingSecret: SECRET, env: { CLERK_WEBHOOK_SIGNING_SECRET: other } });
    expect(v.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD)).type).toBe('user.created');
    refused(() => v.verify(PAYLOAD, signDelivery(other, PAYLOAD)));
  });

  it('needs a secret, and names the option and env variable', () => {
    const error = thrown(ClerkConfigError, () => createClerkWebhookVerifier({ env: {} }));
    expect(error.option).toBe('signingSecret');
    expect(error.message).toBe(
      "No webhook signing secret: set signingSecret (CLERK_WEBHOOK_SIGNING_SECRET) to the endpoint's secret (whsec_…) from the Clerk Dashboard → Configure → Webhooks → your endpoint → Signing Secret.",
    );
    expect(thrown(ClerkConfigError, () => createClerkWebhookVerifier({ env: { CLERK_WEBHOOK_SIGNING_SECRET: '  ' } })).option).toBe('signingSecret');
  });

  it.each([
    ['no whsec_ prefix', SECRET.slice(6), 'it must start with whsec_'],
    ['not base64', 'whsec_not*base64!', 'whsec_ must be followed by base64'],
    ['truncated', SECRET.slice(0, 22), 'is too short (12 bytes once decoded'],
    ['mangled', `${SECRET.slice(0, 10)} ${SECRET.slice(10)}`, 'whsec_ must be followed by base64'],
    ['a Clerk secret key', fakeSecretKey(), 'holds a Clerk API key (sk_…)'],
  ])('refuses a malformed secret (%s) at startup without printing it', (_, secret, problem) => {
    for (const options of [{ signingSecret: secret }, { env: { CLERK_WEBHOOK_SIGNING_SECRET: secret } }]) {
      const error = thrown(ClerkConfigError, () => createClerkWebhookVerifier({ env: {}, ...options }));
      expect(error.message).toContain('signingSecret (CLERK_WEBHOOK_SIGNING_SECRET)');
      expect(error.message).toContain(problem);
      expect(error.message).not.toContain(secret.slice(8, 20));
    }
  });

  it('accepts several secrets (option array or comma-separated env) and names a bad entry', () => {
    const other = createSigningSecret();
    for (const v of [verifier({ signingSecret: [other, SECRET] }), createClerkWebhookVerifier({ env: { CLERK_WEBHOOK_SIGNING_SECRET: `${other}, ${SECRET}` } })]) {
      expect(v.config.signingSecrets).toBe(2);
      expect(v.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD)).type).toBe('user.created');
      expect(v.verify(PAYLOAD, signDelivery(other, PAYLOAD)).type).toBe('user.created');
    }
    expect(thrown(ClerkConfigError, () => verifier({ signingSecret: [SECRET, 'nope'] })).message).toContain('entry 2 of signingSecret');
    expect(thrown(ClerkConfigError, () => verifier({ signingSecret: 42 as never })).option).toBe('signingSecret');
  });

  it('checks the other options', () => {
    expect(thrown(ClerkConfigError, () => verifier({ toleranceInMs: 0 })).option).toBe('toleranceInMs');
    expect(thrown(ClerkConfigError, () => verifier({ env: 'x' as never })).option).toBe('env');
    expect(thrown(ClerkConfigError, () => verifier({ toleranceInMs: Infinity })).option).toBe('toleranceInMs');
    expect(thrown(ClerkConfigError, () => verifier({ replayProtection: 'yes' as never })).option).toBe('replayProtection');
    expect(thrown(ClerkConfigError, () => verifier({ replayCacheSize: 1.5 })).message).toBe('replayCacheSize must be a whole number of entries from 1 to 1000000; default is 10000.');
    expect(thrown(ClerkConfigError, () => verifier({ signingSecrets: SECRET } as never)).message).toContain('did you mean "signingSecret"?');
  });
});

describe('verify(): what Svix signs verifies', () => {
  it('returns the event from a Buffer, a Uint8Array or a string body', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    const v = verifier();
    expect(v.verify(Buffer.from(PAYLOAD), headers)).toEqual(userCreatedEvent());
    expect(v.verify(new TextEncoder().encode(PAYLOAD), headers)).toEqual(userCreatedEvent());
    const event = v.verify(PAYLOAD, headers);
    if (event.type === 'user.created') expect(event.data.email_addresses[0]?.email_address).toBe('ada@example.com');
    else throw new Error('narrowing failed');
  });

  it('signs the exact bytes: non-ASCII text verifies', () => {
    const payload = JSON.stringify({ ...userCreatedEvent(), data: { ...userCreatedEvent().data, first_name: 'Zoë 🚀' } });
    expect(verifier().verify(Buffer.from(payload), signDelivery(SECRET, payload)).data).toMatchObject({ first_name: 'Zoë 🚀' });
  });

  it('takes header names in any case, arrays, and a Fetch API Headers object', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    const upper = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(verifier().verify(PAYLOAD, upper).type).toBe('user.created');
    expect(verifier().verify(PAYLOAD, { ...headers, 'svix-id': [headers['svix-id'] as string] }).type).toBe('user.created');
    expect(verifier().verify(PAYLOAD, new Headers(headers)).type).toBe('user.created');
  });

  it('accepts the Standard Webhooks names (webhook-id, …) as Svix does', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    const unbranded = { 'webhook-id': headers['svix-id'], 'webhook-timestamp': headers['svix-timestamp'], 'webhook-signature': headers['svix-signature'] };
    expect(verifier().verify(PAYLOAD, unbranded).type).toBe('user.created');
  });

  it('accepts any v1 entry of the list: other versions are skipped', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    const forged = signDelivery(createSigningSecret(), PAYLOAD, { id: headers['svix-id'] })['svix-signature'];
    const signature = `v1a,c29tZXRoaW5n ${forged} ${headers['svix-signature']}`;
    expect(verifier().verify(PAYLOAD, { ...headers, 'svix-signature': signature }).type).toBe('user.created');
  });

  it('accepts both signatures of a secret rotation (Svix signs with the old and the new secret)', () => {
    const old = createSigningSecret();
    const headers = signDelivery(SECRET, PAYLOAD, { id: 'msg_rotation' });
    const both = `${signDelivery(old, PAYLOAD, { id: 'msg_rotation' })['svix-signature']} ${headers['svix-signature']}`;
    expect(verifier({ signingSecret: old }).verify(PAYLOAD, { ...headers, 'svix-signature': both }).type).toBe('user.created');
    expect(verifier().verify(PAYLOAD, { ...headers, 'svix-signature': both }).type).toBe('user.created');
  });

  it('accepts a timestamp just inside the tolerance either way', () => {
    expect(verifier().verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(-4) })).type).toBe('user.created');
    expect(verifier().verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(4) })).type).toBe('user.created');
  });

  it('signs the timestamp as a number: leading zeros verify, as with Svix', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    expect(verifier().verify(PAYLOAD, { ...headers, 'svix-timestamp': `00${headers['svix-timestamp']}` }).type).toBe('user.created');
  });
});

describe('verify(): refusals', () => {
  const headers = () => signDelivery(SECRET, PAYLOAD);

  it('is a 400 ClerkAuthError with a stable code and a JSON body', () => {
    const error = refused(() => verifier().verify(`${PAYLOAD} `, headers()));
    expect(error).toBeInstanceOf(ClerkAuthError);
    expect(error).toMatchObject({ code: 'webhook_invalid_signature', status: 400, statusCode: 400, expose: true, headers: {} });
    expect(error.toJSON()).toEqual({
      error: 'webhook_invalid_signature',
      message: 'No signature matches: the body was altered on the way, or it was signed with another secret (each webhook endpoint has its own whsec_ signing secret).',
    });
  });

  it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('refuses a delivery without %s', (name) => {
    const without = headers();
    delete without[name];
    const error = refused(() => verifier().verify(PAYLOAD, without));
    expect(error.code).toBe('webhook_missing_headers');
    expect(error.message).toBe(`Missing webhook header: ${name}. Clerk signs every delivery with svix-id, svix-timestamp and svix-signature.`);
    expect(refused(() => verifier().verify(PAYLOAD, { ...headers(), [name]: '  ' })).code).toBe('webhook_missing_headers');
  });

  it('names every missing header', () => {
    expect(refused(() => verifier().verify(PAYLOAD, {})).message).toBe(
      'Missing webhook headers: svix-id, svix-timestamp, svix-signature. Clerk signs every delivery with svix-id, svix-timestamp and svix-signature.',
    );
  });

  it('refuses a tampered body', () => {
    const tampered = PAYLOAD.replace('ada@example.com', 'eve@example.com');
    expect(refused(() => verifier().verify(tampered, headers())).code).toBe('webhook_invalid_signature');
  });

  it('refuses a tampered id or timestamp (both are signed)', () => {
    expect(refused(() => verifier().verify(PAYLOAD, { ...headers(), 'svix-id': 'msg_other' })).code).toBe('webhook_invalid_signature');
    const h = headers();
    const shifted = { ...h, 'svix-timestamp': String(Number(h['svix-timestamp']) - 1) };
    expect(refused(() => verifier().verify(PAYLOAD, shifted)).code).toBe('webhook_invalid_signature');
  });

  it('refuses a signature made with another secret', () => {
    expect(refused(() => verifier().verify(PAYLOAD, signDelivery(createSigningSecret(), PAYLOAD))).code).toBe('webhook_invalid_signature');
  });

  it.each([
    ['no v1 entry', 'v2,abc', 'svix-signature holds no v1 signature.'],
    ['a bare signature', 'abc', 'svix-signature holds no v1 signature.'],
    ['a truncated v1 signature', 'v1,abc', undefined],
    ['an empty v1 signature', 'v1,', undefined],
  ])('refuses %s', (_, signature, message) => {
    const error = refused(() => verifier().verify(PAYLOAD, { ...headers(), 'svix-signature': signature }));
    expect(error.code).toBe('webhook_invalid_signature');
    if (message !== undefined) expect(error.message).toBe(message);
  });

  it('refuses a timestamp older or newer than the tolerance', () => {
    const old = refused(() => verifier().verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(-6) })));
    expect(old.code).toBe('webhook_invalid_timestamp');
    expect(old.message).toMatch(/^The delivery is too old: svix-timestamp is 3[56]\d s behind the server clock \(tolerance 300 s\)\.$/);
    const future = refused(() => verifier().verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(6) })));
    expect(future.code).toBe('webhook_invalid_timestamp');
    expect(future.message).toContain('from the future');
  });

  it('follows toleranceInMs', () => {
    const tight = verifier({ toleranceInMs: 60_000 });
    expect(refused(() => tight.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(-2) }))).code).toBe('webhook_invalid_timestamp');
    const loose = verifier({ toleranceInMs: 900_000 });
    expect(loose.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { timestamp: minutes(-10) })).type).toBe('user.created');
  });

  it.each(['', 'soon', '1.7e9', '-1', '17000000000000000', '0x10'])('refuses the timestamp %j', (timestamp) => {
    const error = refused(() => verifier().verify(PAYLOAD, { ...headers(), 'svix-timestamp': timestamp }));
    expect(error.code).toBe(timestamp === '' ? 'webhook_missing_headers' : 'webhook_invalid_timestamp');
  });

  it.each([
    ['not JSON', 'hello', 'The webhook body is not JSON.'],
    ['empty', '', 'The webhook body is not JSON.'],
    ['a JSON array', '[1]', undefined],
    ['JSON without type', '{"data":{}}', undefined],
    ['JSON without data', '{"type":"user.created"}', undefined],
    ['data that is not an object', '{"type":"user.created","data":"x"}', undefined],
  ])('refuses a signed body that is %s', (_, body, message) => {
    const error = refused(() => verifier().verify(body, signDelivery(SECRET, body)));
    expect(error.code).toBe('webhook_invalid_payload');
    expect(error.status).toBe(400);
    if (message !== undefined) expect(error.message).toBe(message);
  });

  it('delivers event types the union does not list', () => {
    const body = JSON.stringify({ type: 'subscription.created', object: 'event', data: { id: 'csub_1' } });
    expect(verifier().verify(body, signDelivery(SECRET, body)).type).toBe('subscription.created');
  });
});

describe('verify(): replay protection', () => {
  it('is off by default: the same delivery verifies twice', () => {
    const headers = signDelivery(SECRET, PAYLOAD);
    const v = verifier();
    v.verify(PAYLOAD, headers);
    expect(v.verify(PAYLOAD, headers).type).toBe('user.created');
  });

  it('refuses a second delivery with the same svix-id (409), after a valid signature only', () => {
    const v = verifier({ replayProtection: true });
    const headers = signDelivery(SECRET, PAYLOAD);
    // A forged delivery with the id does not block the real one.
    refused(() => v.verify(PAYLOAD, { ...headers, 'svix-signature': 'v1,AAAA' }));
    v.verify(PAYLOAD, headers);
    const error = refused(() => v.verify(PAYLOAD, headers));
    expect(error).toMatchObject({ code: 'webhook_replayed', status: 409 });
    // Even re-signed with a new timestamp, as an attacker cannot but a Svix retry would.
    expect(refused(() => v.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD, { id: headers['svix-id'] }))).code).toBe('webhook_replayed');
    // Other ids still pass.
    expect(v.verify(PAYLOAD, signDelivery(SECRET, PAYLOAD)).type).toBe('user.created');
  });

  it('release() lets the retry of an unhandled delivery through', () => {
    const v = verifier({ replayProtection: true });
    const headers = signDelivery(SECRET, PAYLOAD);
    v.verify(PAYLOAD, headers);
    v.release(headers['svix-id'] as string);
    expect(v.verify(PAYLOAD, headers).type).toBe('user.created');
  });

  it('checkHeaders() checks headers and timestamp without the body', () => {
    const headers = signDelivery(SECRET, PAYLOAD, { id: 'msg_1' });
    expect(verifier().checkHeaders(headers)).toEqual({ id: 'msg_1', timestamp: Number(headers['svix-timestamp']) });
    expect(refused(() => verifier().checkHeaders({})).code).toBe('webhook_missing_headers');
  });
});

describe('ReplayGuard', () => {
  it('forgets an id once it expires', () => {
    const guard = new ReplayGuard(10);
    guard.add('a', 1000, 0);
    expect(guard.has('a', 1000)).toBe(true);
    expect(guard.has('a', 1001)).toBe(false);
    expect(guard.size).toBe(0);
  });

  it('stays within its bound: expired entries go first, then the oldest', () => {
    const guard = new ReplayGuard(3);
    guard.add('a', 100, 0);
    guard.add('b', 5000, 0);
    guard.add('c', 5000, 0);
    guard.add('d', 5000, 200); // a has expired
    expect(['a', 'b', 'c', 'd'].map((id) => guard.has(id, 200))).toEqual([false, true, true, true]);
    guard.add('e', 5000, 200); // full: b, the oldest, goes
    expect(['b', 'c', 'd', 'e'].map((id) => guard.has(id, 200))).toEqual([false, true, true, true]);
    expect(guard.size).toBe(3);
    for (let i = 0; i < 100; i++) guard.add(`x${i}`, 5000, 300);
    expect(guard.size).toBe(3);
  });
});
