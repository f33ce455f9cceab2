import express from 'express';
import request from 'supertest';
import { ClerkConfigError } from '../../lib';
import { createApp } from '../../examples/server';
import { createWebhookRouter, describeWebhooks, type DirectoryEntry } from '../../examples/webhooks';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { thrown } from '../helpers/expect-error';
import { createSigningSecret, signDelivery, userCreatedEvent } from '../helpers/webhooks';

const SECRET = createSigningSecret();

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

function deliver(app: express.Express, event: object) {
  const payload = JSON.stringify(event);
  return request(app).post('/webhooks/clerk').set('Content-Type', 'application/json').set(signDelivery(SECRET, payload)).send(payload);
}

describe('examples/webhooks.ts', () => {
  it('is mounted by the example server, before its express.json()', async () => {
    const app = createApp({ env: issuer.env }, { signingSecret: SECRET, env: {}, logger: false });
    const response = await deliver(app, userCreatedEvent());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: 'user.created' });
    const unsigned = await request(app).post('/webhooks/clerk').send(userCreatedEvent());
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.error).toBe('webhook_missing_headers');
    // The JSON API beside it still parses bodies.
    const generate = await request(app)
      .post('/api/agents/weather/generate')
      .set('Authorization', `Bearer ${await issuer.mint({ sub: 'user_1' })}`)
      .send({ prompt: 'hi' });
    expect(generate.status).toBe(200);
  });

  it('is not mounted without a signing secret, so the example runs without one', async () => {
    const app = createApp({ env: issuer.env }, { env: {} });
    expect((await deliver(app, userCreatedEvent())).status).toBe(404);
    expect(describeWebhooks({})).toBe('Webhooks: off (set CLERK_WEBHOOK_SIGNING_SECRET to receive Clerk events at POST /webhooks/clerk)');
    expect(describeWebhooks({ CLERK_WEBHOOK_SIGNING_SECRET: SECRET })).toBe('Webhooks: POST /webhooks/clerk (signatures checked with CLERK_WEBHOOK_SIGNING_SECRET)');
  });

  it('stops the example at startup on a malformed secret', () => {
    const error = thrown(ClerkConfigError, () => createApp({ env: issuer.env }, { env: { CLERK_WEBHOOK_SIGNING_SECRET: 'sk_test_oops' } }));
    expect(error.message).toContain('signingSecret (CLERK_WEBHOOK_SIGNING_SECRET) holds a Clerk API key');
  });

  it('keeps its user directory in step with user.created, user.updated and user.deleted', async () => {
    const directory = new Map<string, DirectoryEntry>();
    const app = express();
    app.use('/webhooks/clerk', createWebhookRouter({ signingSecret: SECRET, env: {}, logger: false }, directory)!);
    const created = userCreatedEvent('user_1');
    await deliver(app, created);
    expect([...directory.values()]).toEqual([{ id: 'user_1', email: 'ada@example.com', name: 'Ada Lovelace' }]);
    await deliver(app, { ...created, type: 'user.updated', data: { ...created.data, first_name: 'Augusta', last_name: null } });
    expect(directory.get('user_1')?.name).toBe('Augusta');
    const other = await deliver(app, { type: 'session.created', object: 'event', data: { id: 'sess_1' }, event_attributes: {} });
    expect(other.body).toEqual({ received: 'session.created' });
    await deliver(app, { type: 'user.deleted', object: 'event', data: { object: 'user', id: 'user_1', deleted: true }, event_attributes: {} });
    expect(directory.size).toBe(0);
  });
});
