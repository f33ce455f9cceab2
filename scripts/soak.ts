/**
 * Load and soak test: `npm run soak` (not part of `npm test`).
 *
 * The server (a real Express app with clerkAuth() and a real JWKS server) runs in a child process,
 * so its memory is measured apart from the load generator. Two phases on loopback:
 *
 * 1. soak: SOAK_CONNECTIONS (50) keep-alive connections for SOAK_SECONDS (60) of mixed traffic
 *    (valid, expired, garbage, missing, forged, unknown kid). Pass: zero socket errors, zero 5xx,
 *    every status as expected, server RSS growth after warm-up under SOAK_RSS_BOUND_MB (50) and
 *    live heap (after gc) growth under 10 MiB. Warm-up is min(10 s, a quarter of the run): runs
 *    much shorter than 60 s measure V8 still growing its heap rather than a leak.
 * 2. burst: SOAK_BURST (1000) concurrent requests, each on its own connection, against a cold
 *    verifier. Pass: every one 200, and exactly one JWKS fetch.
 *
 * Prints a short report; exits 1 when a check fails.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { clerkAuth } from '../lib';
import { startJwksServer } from '../spec/helpers/jwks-server';
import { createTestKey, mint, sessionClaims } from '../spec/helpers/keys';

const env = process.env;
const SECONDS = Number(env['SOAK_SECONDS'] ?? 60);
const CONNECTIONS = Number(env['SOAK_CONNECTIONS'] ?? 50);
const BURST = Number(env['SOAK_BURST'] ?? 1000);
const RSS_BOUND_MB = Number(env['SOAK_RSS_BOUND_MB'] ?? 50);
/** Live heap after a full gc: what a leak would grow, unlike RSS, which also holds V8's and malloc's reserves. */
const HEAP_BOUND_MB = 10;
const WARM_UP_SECONDS = Math.min(10, SECONDS / 4);

/** Messages between the load generator and the server process. */
type Kind = 'valid' | 'expired' | 'garbage' | 'missing' | 'forged' | 'unknownKid';
interface ServerReady {
  type: 'ready';
  port: number;
  tokens: Record<Exclude<Kind, 'missing'>, string>;
}
interface Stats {
  type: 'stats';
  rss: number;
  heapUsed: number;
  jwksRequests: number;
}
interface BurstReady {
  type: 'burst-ready';
  port: number;
}

const EXPECTED: Record<Kind, number> = { valid: 200, expired: 401, garbage: 401, missing: 401, forged: 401, unknownKid: 401 };
const KINDS = Object.keys(EXPECTED) as Kind[];

if (process.argv[2] === 'server') {
  void runServer();
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// Server process

async function runServer(): Promise<void> {
  const [key, otherKey] = await Promise.all([createTestKey('ins_soak'), createTestKey('ins_soak_other')]);
  const jwks = await startJwksServer([key.jwk]);
  const hour = Math.floor(Date.now() / 1000) + 3600;
  const claims = (overrides: Record<string, unknown> = {}) => sessionClaims(jwks.origin, { exp: hour, ...overrides });

  const listen = (app: http.RequestListener) =>
    new Promise<number>((resolve) => {
      const server = http.createServer({ keepAliveTimeout: 30_000 }, app);
      server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve((server.address() as AddressInfo).port));
    });
  const appWithColdVerifier = () => {
    const app = express();
    app.use('/api', clerkAuth({ jwksUri: jwks.jwksUri, env: {}, authorizedParties: ['http://localhost:3000'], logger: false }));
    app.get('/api/me', (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    return app;
  };

  const tokens = {
    valid: await mint(key, claims()),
    expired: await mint(key, claims({ exp: Math.floor(Date.now() / 1000) - 60 })),
    garbage: 'not.a.token',
    forged: await mint(otherKey, claims(), { kid: key.kid }),
    unknownKid: await mint(otherKey, claims()),
  };
  const send = (message: ServerReady | Stats | BurstReady) => process.send?.(message);
  send({ type: 'ready', port: await listen(appWithColdVerifier()), tokens });

  process.on('message', (message: { type: string }) => {
    if (message.type === 'stats') {
      global.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'stats', rss, heapUsed, jwksRequests: jwks.requests });
    } else if (message.type === 'burst') {
      void listen(appWithColdVerifier()).then((port) => send({ type: 'burst-ready', port }));
    } else if (message.type === 'exit') {
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Load generator

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: T) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

function get(agent: http.Agent, port: number, authorization: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    const req = http.request({ host: '127.0.0.1', port, path: '/api/me', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

async function main(): Promise<void> {
  const child = fork(__filename, ['server'], { execArgv: ['-r', 'ts-node/register/transpile-only', '--expose-gc'], stdio: 'inherit' });
  const stats = async () => {
    child.send({ type: 'stats' });
    return nextMessage<Stats>(child, 'stats');
  };
  const { port, tokens } = await nextMessage<ServerReady>(child, 'ready');
  const authorizationFor = (kind: Kind) => (kind === 'missing' ? undefined : `Bearer ${tokens[kind]}`);
  const checks: [string, boolean][] = [];

  // Phase 1: soak
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let unexpected = 0;
  let socketErrors = 0;
  let requests = 0;
  let warmStats: Stats | null = null;
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const warmUpAt = started + WARM_UP_SECONDS * 1000;
  const warmUp = new Promise<void>((resolve) => {
    setTimeout(() => {
      void stats().then((value) => {
        warmStats = value;
        resolve();
      });
    }, warmUpAt - Date.now());
  });

  async function worker(offset: number): Promise<void> {
    for (let i = offset; Date.now() < deadline; i++) {
      const kind = KINDS[i % KINDS.length] as Kind;
      const before = performance.now();
      try {
        const status = await get(agent, port, authorizationFor(kind));
        latencies.push(performance.now() - before);
        requests += 1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== EXPECTED[kind]) unexpected += 1;
      } catch {
        socketErrors += 1;
      }
    }
  }
  const soakStats = await stats();
  await Promise.all([...Array.from({ length: CONNECTIONS }, (_, i) => worker(i)), warmUp]);
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  const endStats = await stats();
  const warm = warmStats ?? soakStats;
  const growth = endStats.rss - warm.rss;
  const fiveHundreds = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
  latencies.sort((a, b) => a - b);

  checks.push(['zero socket errors', socketErrors === 0], ['zero 5xx', fiveHundreds === 0], ['every status as expected', unexpected === 0]);
  checks.push([`server RSS growth after warm-up under ${RSS_BOUND_MB} MiB`, growth < RSS_BOUND_MB * 1024 * 1024]);
  checks.push([`server live heap growth after warm-up under ${HEAP_BOUND_MB} MiB`, endStats.heapUsed - warm.heapUsed < HEAP_BOUND_MB * 1024 * 1024]);

  // Phase 2: burst of cold requests, one connection each
  const before = (await stats()).jwksRequests;
  child.send({ type: 'burst' });
  const { port: burstPort } = await nextMessage<BurstReady>(child, 'burst-ready');
  const burstAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const burstStarted = performance.now();
  const burst = await Promise.all(
    Array.from({ length: BURST }, () =>
      get(burstAgent, burstPort, authorizationFor('valid')).then(
        (status) => status,
        () => 0,
      ),
    ),
  );
  const burstMs = performance.now() - burstStarted;
  const burstFetches = (await stats()).jwksRequests - before;
  const burstOk = burst.filter((status) => status === 200).length;
  checks.push([`burst: all ${BURST} answered 200`, burstOk === BURST], ['burst: one JWKS fetch', burstFetches === 1]);

  child.send({ type: 'exit' });

  const lines = [
    '',
    `soak: ${CONNECTIONS} connections, ${elapsed.toFixed(0)} s, mixed traffic (${KINDS.join(', ')}) on loopback`,
    `  requests        ${requests} (${(requests / elapsed).toFixed(0)}/s)`,
    `  statuses        ${[...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ')}`,
    `  unexpected      ${unexpected}   5xx: ${fiveHundreds}   socket errors: ${socketErrors}`,
    `  latency         p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies[latencies.length - 1] ?? 0).toFixed(1)} ms`,
    `  server RSS      start ${mb(soakStats.rss)}, after ${WARM_UP_SECONDS} s warm-up ${mb(warm.rss)}, end ${mb(endStats.rss)}: growth ${growth >= 0 ? '+' : ''}${mb(growth)} (bound ${RSS_BOUND_MB} MiB)`,
    `  server heap     after warm-up ${mb(warm.heapUsed)}, end ${mb(endStats.heapUsed)} (after gc)`,
    `  JWKS fetches    ${endStats.jwksRequests - soakStats.jwksRequests} during the soak, the first included (unknown kids refetch at most once per 30 s cooldown)`,
    `burst: ${BURST} concurrent cold requests in ${burstMs.toFixed(0)} ms: ${burstOk} × 200, ${burst.filter((status) => status === 0).length} socket errors; JWKS fetches ${burstFetches}`,
    '',
    ...checks.map(([name, ok]) => `  ${ok ? 'PASS' : 'FAIL'}  ${name}`),
    '',
  ];
  console.log(lines.join('\n'));
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
}
