/**
 * What one HTTP request costs each variant, counted in CPU instructions (callgrind) or CPU time,
 * in one process: a real Express 5 app on 127.0.0.1 and a keep-alive client sending requests one
 * at a time. The client's share is the same for every variant, so the difference between a
 * variant and bare Express is what the middleware adds, Express layer included. Instruction counts
 * do not move with the machine's load (other processes, CPU frequency), which makes them the
 * figure to iterate with on a busy machine; bench/run.mjs gives the pinned HTTP figures.
 *
 *   node bench/instructions.mjs [--package DIR] [--node BIN] [--cpu] [--counts SMALL,LARGE]
 *                               [--variants bare,reused,fresh,forged,oauth2-jwt-bearer] [--rounds N]
 *
 * --package: a folder whose node_modules holds express-clerk-jwt (default: bench/, where
 * `npm run prepare-package` installs the packed tarball), or the repository root (its dist/).
 * Default: instructions per request from `valgrind --tool=callgrind` under V8's `--predictable`,
 * the difference between a run of LARGE and one of SMALL requests divided by LARGE − SMALL (so
 * start-up does not count; default 200,1200: the garbage collector's share is then spread evenly). --cpu: process.cpuUsage() per request instead (best of --rounds).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { callgrindInstructions } from './callgrind.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const VARIANTS = ['bare', 'noop', 'reused', 'fresh', 'fresh-nocache', 'forged', 'oauth2-jwt-bearer'];
const POOL = 4000;

/** The package from `dir`: its node_modules, or the repository's dist/. */
function load(dir) {
  const require = createRequire(path.join(dir, 'noop.js'));
  if (existsSync(path.join(dir, 'node_modules', 'express-clerk-jwt'))) return require('express-clerk-jwt');
  return require(path.join(dir, 'dist', 'index.js'));
}

function makeTokens() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const mint = (key, i) => {
    const input = `${b64({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' })}.${b64({ azp: 'http://localhost:3000', exp: now + 3600, fva: [0, -1], iat: now, iss: 'https://clerk.example.com', nbf: now - 10, sid: `sess_bench${i}`, sub: `user_bench${i}` })}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
  return {
    jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'ins_bench', alg: 'RS256', use: 'sig' },
    valid: Array.from({ length: POOL }, (_, i) => mint(privateKey, i)),
    forged: Array.from({ length: 100 }, (_, i) => mint(attacker, i)),
  };
}

/** Child: serve and send `n` requests of `variant`; print CPU µs per request. */
async function child(variant, n, dir, file) {
  const { jwk, valid, forged } = JSON.parse(readFileSync(file, 'utf8'));
  // The peers and Express from bench/'s own dependencies.
  const require = createRequire(import.meta.url);
  const express = require('express');
  // The JWKS, served on loopback (fetched once, before anything is counted).
  const jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${jwksServer.address().port}/.well-known/jwks.json`;
  const app = express();
  app.disable('x-powered-by');
  let sub = () => 'anonymous';
  if (variant === 'oauth2-jwt-bearer') {
    const { auth } = require('express-oauth2-jwt-bearer');
    app.use(auth({ issuer: 'https://clerk.example.com', jwksUri, audience: 'unused', tokenSigningAlg: 'RS256', validators: { aud: false } }));
    sub = (req) => req.auth?.payload?.sub;
  } else if (variant === 'noop') {
    // The floor of any middleware: one more Express layer that only calls next().
    app.use((_req, _res, next) => next());
  } else if (variant !== 'bare') {
    app.use(
      load(dir).clerkAuth({
        jwksUri,
        jwksTimeoutInMs: 120_000,
        issuer: 'https://clerk.example.com',
        authorizedParties: ['http://localhost:3000'],
        logger: false,
        env: {},
        ...(variant === 'fresh-nocache' ? { tokenCacheSize: 0 } : {}),
      }),
    );
    sub = (req) => req.user?.sub;
  }
  app.get('/', (req, res) => {
    const who = sub(req);
    if (typeof who === 'string') res.json({ ok: true, sub: who });
    else res.status(401).json({ error: 'unauthenticated' });
  });
  app.use((error, _req, res, _next) => {
    if (process.env.BENCH_DEBUG) console.error(error);
    res.status(401).json({ error: 'unauthenticated' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const port = server.address().port;
  const tokens = variant === 'forged' ? forged : variant === 'reused' ? [valid[0]] : valid; // fresh, fresh-nocache: the pool
  const expected = variant === 'forged' ? 401 : 200;
  const request = (token) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => (res.statusCode === expected ? resolve() : reject(new Error(`${variant}: HTTP ${res.statusCode} ${body}`))));
        })
        .on('error', reject);
    });
  // Warm-up: the key set loads and the JIT settles (with --predictable V8 compiles on the main
  // thread, so a short warm-up counts compilation); fresh tokens fill the token cache (1,000
  // entries) from the end of the pool, so that the measured requests pay for evictions too.
  const warmUp = 1050;
  for (let i = 0; i < warmUp; i++) await request(tokens[(POOL - 1 - i) % tokens.length]);
  // The same heap to start from in the short and the long run: what the measured requests leave
  // to the garbage collector is theirs to pay.
  globalThis.gc?.();
  // --cpu: what the garbage collector did during the measured requests, by kind (minor: scavenges).
  const gcs = { minor: 0, major: 0, other: 0, ms: 0 };
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind;
      gcs[kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : kind === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : 'other'] += 1;
      gcs.ms += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await request(tokens[i % tokens.length]);
  const used = process.cpuUsage(start);
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  process.stdout.write(`${JSON.stringify({ variant, microseconds: (used.user + used.system) / n, gc: gcs })}\n`);
  agent.destroy();
  server.close();
  jwksServer.close();
}

const NODE_FLAGS = ['--predictable', '--expose-gc'];

/** Instructions counted by callgrind for one child run (callgrind.mjs). */
function instructions(node, variant, n, dir, file) {
  return callgrindInstructions({ node, flags: NODE_FLAGS, script: fileURLToPath(import.meta.url), step: variant, n, dir, file });
}

function cpu(node, variant, n, dir, file) {
  const output = execFileSync(node, [fileURLToPath(import.meta.url), '--child', variant, '--n', String(n), '--package', dir, '--tokens', file], { encoding: 'utf8' });
  const result = JSON.parse(output.trim().split('\n').pop());
  const { minor, major, ms } = result.gc;
  process.stderr.write(
    `    ${variant}: ${result.microseconds.toFixed(1)} µs/request; garbage collector: ${minor} scavenges, ${major} mark-compacts, ${ms.toFixed(1)} ms over ${n} requests\n`,
  );
  return result.microseconds;
}

async function main() {
  if (args.includes('--child')) {
    await child(option('--child'), Number(option('--n')), path.resolve(option('--package')), option('--tokens'));
    return;
  }
  const dir = path.resolve(option('--package', here));
  const node = option('--node', process.execPath);
  const useCpu = args.includes('--cpu');
  const variants = option('--variants', VARIANTS.join(',')).split(',');
  for (const variant of variants) if (!VARIANTS.includes(variant)) throw new Error(`--variants: one of ${VARIANTS.join(', ')}`);
  const [small, large] = option('--counts', useCpu ? '0,2000' : '200,1200')
    .split(',')
    .map(Number);
  const rounds = Number(option('--rounds', useCpu ? '3' : '1'));
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-instructions-'));
  const file = path.join(scratch, 'tokens.json');
  writeFileSync(file, JSON.stringify(makeTokens()));
  const cost = {};
  try {
    for (const variant of variants) {
      const values = [];
      for (let round = 0; round < rounds; round++) {
        values.push(useCpu ? cpu(node, variant, large, dir, file) : (instructions(node, variant, large, dir, file) - instructions(node, variant, small, dir, file)) / (large - small));
      }
      values.sort((a, b) => a - b);
      cost[variant] = useCpu ? values[0] : values[Math.floor(values.length / 2)];
      process.stderr.write(`  ${variant}: ${values.map((v) => v.toFixed(useCpu ? 1 : 0)).join(', ')}\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const unit = useCpu ? 'CPU µs per request (server and client in one process)' : `instructions per request (callgrind --predictable, ${large} − ${small} requests)`;
  console.log(`${unit}, ${dir}, Node ${node === process.execPath ? process.version : node}:`);
  for (const variant of variants) {
    const added = cost.bare === undefined || variant === 'bare' ? '' : `  (+${(cost[variant] - cost.bare).toFixed(useCpu ? 1 : 0)} over bare, ×${(cost[variant] / cost.bare).toFixed(3)})`;
    console.log(`  ${variant.padEnd(18)} ${cost[variant].toFixed(useCpu ? 1 : 0)}${added}`);
  }
}

await main();
