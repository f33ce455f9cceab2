/**
 * Key-set faults, end to end: a real JWKS server misbehaving in every way we know, behind a real
 * Express app. Outages answer 503 (a kid the loaded set lacks stays a 401), log one line per
 * incident, and heal without a restart; keys loaded earlier bridge an outage for the stale window.
 */
import express from 'express';
import request from 'supertest';
import { clerkAuth, type ClerkAuthOptions, type ClerkLogEvent } from '../../lib';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { startJwksServer, type JwksBehaviour } from '../helpers/jwks-server';
import { mint } from '../helpers/keys';
import { mockClock } from '../helpers/clock';

// Cache ages, cooldowns and the stale window pass on a mocked clock: on a loaded machine two
// requests can be 300 ms apart, so time moves only when the test says so (fetch time-outs stay real).
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});
const jwks = useJwksFixture();

function logged() {
  const lines: string[] = [];
  const events: ClerkLogEvent[] = [];
  return { lines, events, warn: (line: string) => void lines.push(line), event: (event: ClerkLogEvent) => void events.push(event) };
}

function appWith(options: ClerkAuthOptions) {
  const app = express();
  app.use('/api', clerkAuth({ jwksUri: jwks.server.jwksUri, env: {}, ...options }));
  app.get('/api/me', (req, res) => {
    res.json({ sub: req.user?.sub });
  });
  return app;
}

const get = (app: express.Express, token: string) => request(app).get('/api/me').set('Authorization', `Bearer ${token}`);
const keyEvents = (events: ClerkLogEvent[]) => events.filter((event) => event.type !== 'request_refused').map((event) => event.type);

interface Fault {
  name: string;
  break: () => Promise<void>;
  heal: () => Promise<void>;
  problem: string;
}
// Only the slow fault needs a short fetch timeout; the others keep the default (5 s), so that a
// loaded machine cannot turn a refused connection or the recovery fetch into a time-out.
const SLOW_TIMEOUT_MS = 1000;
const behaviour = (name: string, value: JwksBehaviour, problem: string): Fault => ({
  name,
  break: async () => {
    jwks.server.behaviour = value;
  },
  heal: async () => {
    jwks.server.behaviour = 'ok';
  },
  problem,
});

const FAULTS: Fault[] = [
  {
    name: 'down',
    break: () => jwks.server.stop(),
    heal: () => jwks.server.start(),
    problem: 'the JWKS endpoint could not be reached (ECONNREFUSED)',
  },
  behaviour('slow past the timeout', 'slow', `the JWKS request timed out after ${SLOW_TIMEOUT_MS} ms`),
  behaviour('answering 500', 'error500', 'the JWKS endpoint answered HTTP 500'),
  behaviour('answering HTML', 'html', 'the JWKS response is not valid JSON'),
  behaviour('answering an empty key set', 'empty-set', 'the JWKS holds no RS256 signing key'),
  behaviour('answering keys for encryption', 'wrong-use', 'the JWKS holds no RS256 signing key'),
  behaviour('answering RS384 keys', 'wrong-alg', 'the JWKS holds no RS256 signing key'),
  behaviour('redirecting', 'redirect', 'the JWKS endpoint answered HTTP 302 (a redirect, which is not followed: configure the final URL)'),
  behaviour('dropping the connection mid-body', 'drop-mid-body', 'the JWKS response is not valid JSON'),
  behaviour('answering JSON that is not a key set', 'not-jwks', 'the JWKS response is not a JSON Web Key Set'),
];

describe('a key set that fails from the start', () => {
  it.each(FAULTS.map((fault) => [fault.name, fault] as const))(
    '%s: 503s with one log line, then recovers without a restart',
    async (_, fault) => {
      await jwks.server.close();
      jwks.server = await startJwksServer([jwks.key.jwk], { slowMs: 10 * SLOW_TIMEOUT_MS });
      await fault.break();
      const clock = mockClock();
      const log = logged();
      // A short cooldown makes the failure back-off short: several failed fetches, one incident.
      const app = appWith({ logger: log, jwksCooldownInMs: 100, ...(fault.name.startsWith('slow') ? { jwksTimeoutInMs: SLOW_TIMEOUT_MS } : {}) });
      const token = await mint(jwks.key, jwks.claims());
      const first = await Promise.all(Array.from({ length: 10 }, () => get(app, token)));
      for (let i = 0; i < 3; i++) {
        clock.advance(120);
        first.push(await get(app, token));
      }
      for (const response of first) {
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ error: 'jwks_unavailable', message: "Could not load Clerk's signing keys (JWKS). Try again shortly." });
        expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // Several failed fetches (a stopped server counts none), yet one incident.
      if (fault.name === 'down') expect(jwks.server.requests).toBe(0);
      else expect(jwks.server.requests).toBeGreaterThan(1);
      expect(log.lines).toEqual([`[clerk] Could not load Clerk's signing keys from ${jwks.server.jwksUri}: ${fault.problem}. Requests that need them get 503 until they load.`]);
      expect(keyEvents(log.events)).toEqual(['jwks_failed']);
      expect(log.events.find((event) => event.type === 'jwks_failed')).toEqual({
        type: 'jwks_failed',
        name: 'clerk',
        code: 'jwks_unavailable',
        jwksUri: jwks.server.jwksUri,
        problem: fault.problem,
      });

      await fault.heal();
      clock.advance(150);
      expect((await get(app, token)).status).toBe(200);
      expect(log.lines[1]).toBe(`[clerk] Clerk's signing keys loaded again from ${jwks.server.jwksUri}.`);
      expect(keyEvents(log.events)).toEqual(['jwks_failed', 'jwks_recovered']);
    },
    30_000,
  );
});

describe('a key set that goes down later', () => {
  it('keeps the loaded keys for the stale window, then 503s, then recovers; one line per stage', async () => {
    const clock = mockClock();
    const log = logged();
    const maxAge = 500;
    const staleWindow = 1500;
    const app = appWith({ logger: log, jwksCacheMaxAgeInMs: maxAge, jwksStaleWindowInMs: staleWindow, jwksCooldownInMs: 100 });
    const token = await mint(jwks.key, jwks.claims({ exp: Math.floor(Date.now() / 1000) + 120 }));
    const stranger = await mint(jwks.otherKey, jwks.claims());
    const loadedAround = Date.now();
    expect((await get(app, token)).status).toBe(200);
    await jwks.server.stop();

    // Past the max age, inside the stale window: the old keys still verify; a kid they lack may be a
    // key published during the outage, so it is a 503, not a 401.
    clock.advance(maxAge + 100);
    for (let i = 0; i < 5; i++) expect((await get(app, token)).status).toBe(200);
    expect((await get(app, stranger)).status).toBe(503);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(
      /^\[clerk\] Could not load Clerk's signing keys from .*: the JWKS endpoint could not be reached \(ECONNREFUSED\)\. The keys loaded earlier stay in use until \d{4}-\d\d-\d\dT[\d:.]+Z \(jwksStaleWindowInMs\); then requests that need them get 503\.$/,
    );
    const failed = log.events.find((event) => event.type === 'jwks_failed');
    const staleUntil = Date.parse((failed as { staleUntil: string }).staleUntil);
    expect(staleUntil).toBeGreaterThanOrEqual(loadedAround + maxAge + staleWindow);
    expect(staleUntil).toBeLessThanOrEqual(Date.now() + staleWindow);

    // Past the stale window: 503, and one more line saying so.
    clock.advance(Math.max(0, staleUntil - Date.now()) + 100);
    for (let i = 0; i < 5; i++) expect((await get(app, token)).status).toBe(503);
    expect((await get(app, stranger)).status).toBe(503);
    expect(log.lines).toHaveLength(2);
    expect(log.lines[1]).toMatch(
      /are now too old to use \(jwksStaleWindowInMs has passed\) and still cannot be refreshed: the JWKS endpoint could not be reached \(ECONNREFUSED\)\. Requests that need them get 503 until they load\.$/,
    );

    await jwks.server.start();
    clock.advance(150);
    expect((await get(app, token)).status).toBe(200);
    // Loaded again: a kid the fresh set lacks is the token's fault once more.
    expect((await get(app, stranger)).status).toBe(401);
    expect(log.lines).toHaveLength(3);
    expect(keyEvents(log.events)).toEqual(['jwks_failed', 'jwks_stale_expired', 'jwks_recovered']);
  });

  it('503s as soon as the cache is too old when the stale window is 0', async () => {
    const clock = mockClock();
    const app = appWith({ logger: false, jwksCacheMaxAgeInMs: 300, jwksStaleWindowInMs: 0 });
    const token = await mint(jwks.key, jwks.claims());
    expect((await get(app, token)).status).toBe(200);
    jwks.server.behaviour = 'error500';
    expect((await get(app, token)).status).toBe(200);
    clock.advance(350);
    expect((await get(app, token)).status).toBe(503);
  });

  it('bridges a key set that answers garbage as it bridges one that is down', async () => {
    const clock = mockClock();
    const app = appWith({ logger: false, jwksCacheMaxAgeInMs: 300, jwksCooldownInMs: 50 });
    const token = await mint(jwks.key, jwks.claims());
    expect((await get(app, token)).status).toBe(200);
    for (const fault of ['empty-set', 'html', 'wrong-use', 'redirect'] as const) {
      jwks.server.behaviour = fault;
      clock.advance(350);
      expect((await get(app, token)).status).toBe(200);
    }
  });
});

describe('key rotation through the adapter', () => {
  it('stops accepting a key removed from the key set after the next refresh, stale window or not', async () => {
    const clock = mockClock();
    jwks.server.keys = [jwks.key.jwk, jwks.otherKey.jwk];
    const app = appWith({ logger: false, jwksCacheMaxAgeInMs: 300 });
    const token = await mint(jwks.otherKey, jwks.claims());
    expect((await get(app, token)).status).toBe(200);
    jwks.server.keys = [jwks.key.jwk];
    expect((await get(app, token)).status).toBe(200);
    clock.advance(350);
    const refused = await get(app, token);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('no signing key of this Clerk instance matches the token kid');
    expect(jwks.server.requests).toBe(2);
  });

  it('fetches the key set once for 200 concurrent cold requests', async () => {
    const app = appWith({ logger: false });
    const token = await mint(jwks.key, jwks.claims());
    const server = app.listen(0, '127.0.0.1');
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, () => request(server).get('/api/me').set('Authorization', `Bearer ${token}`)));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(jwks.server.requests).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000); // 200 requests and RSA verifications: seconds on a loaded machine
});
