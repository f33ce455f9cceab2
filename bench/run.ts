/**
 * `npm run bench`: the whole benchmark in one command. Starts a JWKS server on 127.0.0.1 (in this
 * process), mints the tokens, then for each variant starts its server as a separate process and
 * drives it with autocannon from another process (bench/load.ts), warm-up first. Prints a table and
 * rewrites bench/results.md.
 *
 * Environment: BENCH_DURATION (measured seconds per variant, default 10), BENCH_WARMUP (seconds,
 * default 3), BENCH_CONNECTIONS (default 50), BENCH_POOL (fresh tokens, default 4000: four times
 * the default token cache), BENCH_ROUNDS (default 1; more rounds, alternately reversed, keep the
 * median of each variant), BENCH_VARIANTS (comma-separated subset), BENCH_OUT (results file;
 * `-` to skip writing), BENCH_CPU_PROF (a directory: each variant server writes a V8 CPU profile
 * there, for Chrome DevTools or speedscope).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { HotPathRow } from './hot-path';
import type { LoadResult, LoadSettings } from './load';
import { VARIANTS, type BenchServerEnv, type Variant } from './server';

const ROOT = path.resolve(__dirname, '..');
const TS_NODE = [require.resolve('ts-node/dist/bin.js'), '--transpile-only'];

/**
 * CPU pinning: on a small machine the load generator and the server fight for the same cores, and
 * req/s then measures the scheduler. With `taskset` and at least 2 cores (and BENCH_PIN not `0`),
 * each variant server gets core 0 to itself and autocannon the others.
 */
const PIN = ((): { server: string[]; load: string[] } | null => {
  const cores = os.cpus().length;
  if (process.env['BENCH_PIN'] === '0' || cores < 2 || !existsSync('/usr/bin/taskset')) return null;
  return { server: ['/usr/bin/taskset', '-c', '0'], load: ['/usr/bin/taskset', '-c', `1-${cores - 1}`] };
})();

/** Spawns `node <args>`, under `taskset` when pinning is on. */
function spawnNode(pin: string[] | undefined, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const command = [...(pin ?? []), process.execPath, ...args];
  return spawn(command[0] as string, command.slice(1), options);
}

/**
 * What a step sends: `one` reused token, a `pool` of fresh valid tokens (round robin, never
 * cached), or bad tokens (issue #11), each answered 401: `forged` (the instance's kid, signed by
 * another key) and `oversized` (forged, with an 11 KB header of 880 members, under Node's 16 KiB
 * header limit).
 */
type TokenSet = 'one' | 'pool' | 'forged' | 'oversized';
const BAD_TOKENS: readonly TokenSet[] = ['forged', 'oversized'];

interface Row {
  variant: Variant;
  label: string;
  tokens: TokenSet;
  result: LoadResult | null;
  /** Server CPU time (user + system) per measured request, in microseconds. */
  cpuPerRequest: number | null;
  failure?: string;
  jwksFetches: number;
}

const LABELS: Record<Variant, string> = {
  bare: 'bare Express (no auth)',
  ours: 'express-clerk-jwt',
  'ours-nocache': 'express-clerk-jwt, tokenCacheSize: 0',
  'express-jwt': 'express-jwt + jwks-rsa',
  'oauth2-jwt-bearer': 'express-oauth2-jwt-bearer',
  'clerk-express': '@clerk/express (jwtKey)',
  mastra: 'Mastra approach (jsonwebtoken + jwks-rsa client per request)',
};

/** The runs, in order: each variant with the token mode it is measured in. */
const PLAN: { variant: Variant; tokens: TokenSet }[] = [
  // The ceiling gets the very same requests (the reused token's header, ignored), so that the
  // difference between the first two rows is the middleware's work and nothing else.
  { variant: 'bare', tokens: 'one' },
  { variant: 'ours', tokens: 'one' },
  { variant: 'ours', tokens: 'pool' },
  { variant: 'ours', tokens: 'forged' },
  { variant: 'ours', tokens: 'oversized' },
  { variant: 'ours-nocache', tokens: 'one' },
  { variant: 'express-jwt', tokens: 'pool' },
  { variant: 'oauth2-jwt-bearer', tokens: 'pool' },
  { variant: 'clerk-express', tokens: 'pool' },
  { variant: 'mastra', tokens: 'pool' },
];
const PEERS: readonly Variant[] = ['express-jwt', 'oauth2-jwt-bearer', 'clerk-express', 'mastra'];

function numberFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a number >= 0`);
  return parsed;
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function mintToken(privateKey: KeyObject, kid: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64url({ alg: 'RS256', kid, typ: 'JWT', ...header })}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** A JWKS endpoint that counts its requests. */
async function startJwksServer(jwk: object): Promise<{ origin: string; fetches: () => number; close: () => Promise<void> }> {
  let count = 0;
  const body = JSON.stringify({ keys: [jwk] });
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    count += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    fetches: () => count,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Starts a variant server and resolves with its port once it listens. */
function startVariant(variant: Variant, env: BenchServerEnv): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env['BENCH_CPU_PROF'];
  const flags = profile === undefined || profile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`, `--cpu-prof-name=${variant}-${Date.now()}.cpuprofile`];
  const child = spawnNode(PIN?.server, [...flags, ...TS_NODE, path.join(__dirname, 'server.ts'), variant], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\d+)/.exec(stdout);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${variant} server exited with ${code}: ${stderr.trim().slice(0, 500)}`)));
  });
}

/** Runs a bench script in its own process and parses the JSON line it prints last. */
function runScript<T>(script: string, args: string[] = [], pin?: string[]): Promise<T> {
  const child = spawnNode(pin, [...TS_NODE, path.join(__dirname, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as T);
    });
  });
}

const runLoad = (settings: LoadSettings) => runScript<LoadResult>('load.ts', [JSON.stringify(settings)], PIN?.load);

async function cpuOf(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/__cpu`);
  return ((await response.json()) as { cpu: number }).cpu;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Peer rows that answered every request with a 2xx, fastest first: the only ones fit to compare with. */
function validPeers(rows: Row[]): (Row & { result: LoadResult })[] {
  return rows
    .filter((row): row is Row & { result: LoadResult } => PEERS.includes(row.variant) && row.result !== null && row.result.non2xx === 0 && row.result.errors === 0)
    .sort((a, b) => b.result.requestsPerSecond - a.result.requestsPerSecond);
}

/** The row with the median req/s (failed runs count as the slowest). */
function median(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => (a.result?.requestsPerSecond ?? -1) - (b.result?.requestsPerSecond ?? -1));
  return sorted[Math.floor(sorted.length / 2)] as Row;
}

/** Whether a row got the answers it should: all 2xx, or all 401 for bad tokens; no errors. */
function answeredAsExpected(row: Pick<Row, 'tokens'>, result: LoadResult): boolean {
  if (result.errors > 0) return false;
  return BAD_TOKENS.includes(row.tokens) ? result.status401 === result.requests : result.non2xx === 0;
}

/** The row of a step in one round, when it answered every request as expected. */
function rowIn(round: Row[], variant: Variant, tokens: TokenSet): (Row & { result: LoadResult }) | undefined {
  const row = round.find((candidate) => candidate.variant === variant && candidate.tokens === tokens);
  return row === undefined || row.result === null || !answeredAsExpected(row, row.result) ? undefined : (row as Row & { result: LoadResult });
}

/** The result of a step in one round, when it answered every request as expected. */
function resultIn(round: Row[], variant: Variant, tokens: TokenSet): LoadResult | undefined {
  return rowIn(round, variant, tokens)?.result;
}

/**
 * The median over rounds of a figure taken within each round. A shared machine drifts (the same
 * server measured minutes apart can differ by 1.5×), so rows are only compared with rows of their
 * own round, measured next to them in time, and only then summarised.
 */
function perRound(rounds: Row[][], figure: (round: Row[]) => number | undefined): number | undefined {
  const values = rounds.map(figure).filter((value): value is number => value !== undefined && Number.isFinite(value));
  values.sort((a, b) => a - b);
  return values.length === 0 ? undefined : ((values[(values.length - 1) >> 1] as number) + (values[values.length >> 1] as number)) / 2;
}

const bareIn = (round: Row[]) => resultIn(round, 'bare', 'one');
const bestPeerIn = (round: Row[]) => validPeers(round)[0]?.result;

const TOKEN_LABELS: Record<TokenSet, (variant: Variant) => string> = {
  one: (variant) => (variant === 'bare' ? 'one (ignored)' : 'one reused'),
  pool: () => 'fresh per request',
  forged: () => 'forged signature (401)',
  oversized: () => 'forged, 11 KB header of 880 members (401)',
};

function table(rows: Row[], rounds: Row[][]): string {
  const lines = [
    '| variant | tokens | req/s | p50 ms | p99 ms | × bare | × best peer | server CPU µs/req | JWKS fetches | non-2xx / errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const tokens = TOKEN_LABELS[row.tokens](row.variant);
    if (row.result === null) {
      lines.push(`| ${row.label} | ${tokens} | — | — | — | — | — | — | ${row.jwksFetches} | ${row.failure ?? 'failed'} |`);
      continue;
    }
    const r = row.result;
    const ratio = (reference: (round: Row[]) => LoadResult | undefined): string => {
      if (row.variant === 'bare' || BAD_TOKENS.includes(row.tokens)) return '—';
      const value = perRound(rounds, (round) => {
        const mine = resultIn(round, row.variant, row.tokens);
        const base = reference(round);
        return mine === undefined || base === undefined || base.requestsPerSecond === 0 ? undefined : mine.requestsPerSecond / base.requestsPerSecond;
      });
      return value === undefined ? '—' : fmt(value, 2);
    };
    lines.push(
      `| ${row.label} | ${tokens} | ${fmt(r.requestsPerSecond)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${ratio(bareIn)} | ${ratio(bestPeerIn)} | ${row.cpuPerRequest === null ? '—' : fmt(row.cpuPerRequest)} | ${row.jwksFetches} | ${r.non2xx} / ${r.errors + r.timeouts} |`,
    );
  }
  return lines.join('\n');
}

/** The targets of issues #6 and #11, checked against this run: each figure is the median of its per-round values. */
function targets(rounds: Row[][], connections: number): string[] {
  const out: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const against = (tokens: TokenSet, reference: (round: Row[]) => LoadResult | undefined, figure: (mine: LoadResult, base: LoadResult) => number) =>
    perRound(rounds, (round) => {
      const mine = resultIn(round, 'ours', tokens);
      const base = reference(round);
      return mine === undefined || base === undefined ? undefined : figure(mine, base);
    });
  const reusedRatio = against('one', bareIn, (mine, base) => mine.requestsPerSecond / base.requestsPerSecond);
  const reusedP99 = against('one', bareIn, (mine, base) => mine.p99 - base.p99);
  const freshRatio = against('pool', bestPeerIn, (mine, base) => mine.requestsPerSecond / base.requestsPerSecond);
  const freshP99 = against('pool', bareIn, (mine, base) => mine.p99 - base.p99);
  if (reusedRatio !== undefined) out.push(`- reused token ≥ 0.90 × bare Express: ${fmt(reusedRatio, 2)} × (${verdict(reusedRatio >= 0.9)})`);
  if (reusedP99 !== undefined) {
    out.push(`- added p99 latency ≤ 1 ms at ${connections} connections (reused token): ${fmt(reusedP99, 1)} ms (${verdict(reusedP99 <= 1)})`);
  }
  if (freshRatio !== undefined) out.push(`- fresh tokens ≥ 1.3 × the best peer of each round: ${fmt(freshRatio, 2)} × (${verdict(freshRatio >= 1.3)})`);
  if (freshP99 !== undefined) out.push(`- added p99 latency, fresh tokens: ${fmt(freshP99, 1)} ms`);
  // Issue #11: what a bad token costs, as server CPU per request, within each round.
  const cpuRatio = (mine: TokenSet, base: TokenSet) =>
    perRound(rounds, (round) => {
      const a = rowIn(round, 'ours', mine);
      const b = rowIn(round, 'ours', base);
      return a?.cpuPerRequest == null || b?.cpuPerRequest == null || b.cpuPerRequest === 0 ? undefined : a.cpuPerRequest / b.cpuPerRequest;
    });
  const forged = cpuRatio('forged', 'pool');
  const oversized = cpuRatio('oversized', 'forged');
  if (forged !== undefined) out.push(`- forged token ≤ 1.5 × a valid uncached one (server CPU µs/req, issue #11): ${fmt(forged, 2)} × (${verdict(forged <= 1.5)})`);
  if (oversized !== undefined) out.push(`- 11 KB header ≤ 2 × a plain forged token (server CPU µs/req, issue #11): ${fmt(oversized, 2)} × (${verdict(oversized <= 2)})`);
  if (rounds.length > 1) {
    out.push('', 'Per round (in run order; every other round runs the variants backwards):', '');
    rounds.forEach((round, index) => {
      const bare = bareIn(round);
      const reused = resultIn(round, 'ours', 'one');
      const fresh = resultIn(round, 'ours', 'pool');
      const best = validPeers(round)[0];
      const cpu = (tokens: TokenSet) => rowIn(round, 'ours', tokens)?.cpuPerRequest ?? null;
      const [pool, forgedCpu, oversizedCpu] = [cpu('pool'), cpu('forged'), cpu('oversized')];
      const parts = [
        bare && reused ? `reused ${fmt(reused.requestsPerSecond / bare.requestsPerSecond, 2)} × bare` : null,
        fresh && best ? `fresh ${fmt(fresh.requestsPerSecond / best.result.requestsPerSecond, 2)} × ${best.label}` : null,
        pool && forgedCpu ? `forged ${fmt(forgedCpu / pool, 2)} × valid uncached (CPU)` : null,
        forgedCpu && oversizedCpu ? `11 KB header ${fmt(oversizedCpu / forgedCpu, 2)} × forged (CPU)` : null,
        bare ? `bare ${fmt(bare.requestsPerSecond)} req/s` : null,
      ].filter((part) => part !== null);
      out.push(`- round ${index + 1}: ${parts.join('; ')}`);
    });
  }
  return out;
}

function machine(loadBefore: number[], loadAfter: number[]): string {
  const cpus = os.cpus();
  const versions = ['express', 'jose', 'autocannon', 'express-jwt', 'jwks-rsa', 'express-oauth2-jwt-bearer', '@clerk/express', 'jsonwebtoken']
    .map((name) => `${name} ${(JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version}`)
    .join(', ');
  return [
    `- CPU: ${cpus.length} × ${cpus[0]?.model ?? 'unknown'}; memory ${fmt(os.totalmem() / 2 ** 30, 1)} GiB`,
    `- ${PIN === null ? 'no CPU pinning' : `pinned with taskset: each server on core 0, autocannon on ${cpus.length === 2 ? 'core 1' : `cores 1-${cpus.length - 1}`}`}`,
    `- load average (1/5/15 min) before: ${loadBefore.map((v) => fmt(v, 2)).join(' / ')}; after: ${loadAfter.map((v) => fmt(v, 2)).join(' / ')}`,
    `- Node ${process.version} on ${os.platform()} ${os.release()}; ${versions}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const duration = numberFromEnv('BENCH_DURATION', 10);
  const warmup = numberFromEnv('BENCH_WARMUP', 3);
  const connections = numberFromEnv('BENCH_CONNECTIONS', 50);
  const poolSize = Math.max(1, Math.round(numberFromEnv('BENCH_POOL', 4000)));
  const rounds = Math.max(1, Math.round(numberFromEnv('BENCH_ROUNDS', 1)));
  const only = (process.env['BENCH_VARIANTS'] ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  for (const name of only) if (!VARIANTS.includes(name as Variant)) throw new Error(`BENCH_VARIANTS: unknown variant ${name}; one of ${VARIANTS.join(', ')}`);
  const out = process.env['BENCH_OUT'] ?? path.join(__dirname, 'results.md');
  const plan = PLAN.filter((step) => only.length === 0 || only.includes(step.variant));
  const loadBefore = os.loadavg();
  const started = new Date();

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `ins_bench_${randomBytes(4).toString('hex')}`;
  const jwks = await startJwksServer({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });
  const authorizedParty = 'http://localhost:3000';
  const host = 'bench.clerk.accounts.invalid';
  const env: BenchServerEnv = {
    JWKS_URI: `${jwks.origin}/.well-known/jwks.json`,
    ISSUER: jwks.origin,
    JWT_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    AUTHORIZED_PARTY: authorizedParty,
    PUBLISHABLE_KEY: `pk_test_${Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '')}`,
    SECRET_KEY: `sk_test_${randomBytes(20).toString('hex')}`,
  };

  // Clerk-shaped v1 session tokens, valid for the whole run (real ones live 60 s and are refreshed).
  process.stdout.write(`Minting ${poolSize} tokens… `);
  const now = Math.floor(Date.now() / 1000);
  const tokens = Array.from({ length: poolSize }, (_, i) =>
    mintToken(privateKey, kid, {
      azp: authorizedParty,
      exp: now + 3600,
      fva: [0, -1],
      iat: now,
      iss: jwks.origin,
      nbf: now - 10,
      sid: `sess_bench${i}`,
      sub: `user_bench${i}`,
    }),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'express-clerk-jwt-bench-'));
  const tokensFile = path.join(dir, 'tokens.txt');
  writeFileSync(tokensFile, tokens.join('\n'));
  // Bad tokens (issue #11): the instance's kid, Clerk-shaped claims, signed by another key.
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const oversizedHeader: Record<string, unknown> = {};
  for (let m = 0; m < 880; m++) oversizedHeader[`m${String(m).padStart(3, '0')}`] = 0;
  const forgedClaims = (i: number) => ({ azp: authorizedParty, exp: now + 3600, iat: now, iss: jwks.origin, nbf: now - 10, sid: `sess_forged${i}`, sub: 'user_admin' });
  const tokenFiles: Record<TokenSet, string> = {
    one: tokensFile,
    pool: tokensFile,
    forged: path.join(dir, 'forged.txt'),
    oversized: path.join(dir, 'oversized.txt'),
  };
  writeFileSync(tokenFiles.forged, Array.from({ length: 100 }, (_, i) => mintToken(attacker, kid, forgedClaims(i))).join('\n'));
  writeFileSync(tokenFiles.oversized, Array.from({ length: 100 }, (_, i) => mintToken(attacker, kid, forgedClaims(i), oversizedHeader)).join('\n'));
  process.stdout.write(`done.\n${connections} connections, ${warmup} s warm-up + ${duration} s measured per variant.\n`);

  // Each round measures every step once; a step's row is the round with its median req/s.
  const measured: Row[][] = plan.map(() => []);
  try {
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) process.stdout.write(`Round ${round} of ${rounds}\n`);
      // Every other round runs backwards, so that no variant always follows the same one.
      const order = plan.map((_, index) => index);
      if (round % 2 === 0) order.reverse();
      for (const index of order) (measured[index] as Row[]).push(await measure(plan[index] as (typeof plan)[number]));
    }
  } finally {
    await jwks.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = measured.map(median);
  // Round r of every step, in plan order: the rows measured next to each other in time.
  const byRound = Array.from({ length: rounds }, (_, r) => measured.map((steps) => steps[r] as Row));

  async function measure(step: (typeof plan)[number]): Promise<Row> {
    const label = LABELS[step.variant];
    process.stdout.write(`${label} (${step.tokens})… `);
    const fetchesBefore = jwks.fetches();
    const row: Row = { variant: step.variant, label, tokens: step.tokens, result: null, cpuPerRequest: null, jwksFetches: 0 };
    let server: { child: ChildProcess; port: number } | null = null;
    try {
      server = await startVariant(step.variant, env);
      const settings: Omit<LoadSettings, 'durationSeconds'> = {
        url: `http://127.0.0.1:${server.port}/`,
        tokensFile: tokenFiles[step.tokens],
        mode: step.tokens === 'one' ? 'one' : 'pool',
        connections,
      };
      if (warmup > 0) await runLoad({ ...settings, durationSeconds: warmup });
      const cpuBefore = await cpuOf(server.port);
      row.result = await runLoad({ ...settings, durationSeconds: duration });
      row.cpuPerRequest = (await cpuOf(server.port)) - cpuBefore;
      if (row.result.requests > 0) row.cpuPerRequest /= row.result.requests;
      process.stdout.write(`${fmt(row.result.requestsPerSecond)} req/s, ${fmt(row.cpuPerRequest)} µs CPU/request\n`);
    } catch (error) {
      row.failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
      process.stdout.write(`failed: ${row.failure}\n`);
    } finally {
      if (server !== null) await stop(server.child);
    }
    row.jwksFetches = jwks.fetches() - fetchesBefore;
    return row;
  }

  process.stdout.write('Hot path, in process… ');
  const hotPath = await runScript<HotPathRow[]>('hot-path.ts');
  process.stdout.write('done.\n');

  const report = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${started.toISOString()}. ${connections} connections, ${warmup} s warm-up, ${duration} s measured per variant${rounds > 1 ? `, median of ${rounds} rounds` : ''}; ${poolSize} fresh tokens in the pool.`,
    '',
    table(rows, byRound),
    '',
    '## Targets (issues #6 and #11)',
    '',
    ...targets(byRound, connections),
    '',
    '## Hot path, in process (CPU µs per operation, best of 3 rounds)',
    '',
    '| operation | µs |',
    '| --- | ---: |',
    ...hotPath.map((row) => `| ${row.name} | ${fmt(row.microseconds, 1)} |`),
    '',
    '## Machine',
    '',
    machine(loadBefore, os.loadavg()),
    '',
  ].join('\n');
  process.stdout.write(`\n${report}`);
  if (out !== '-') {
    const notesFile = path.join(__dirname, 'notes.md');
    const notes = readFileSync(notesFile, 'utf8');
    writeFileSync(out, `${report}\n${notes}`);
    process.stdout.write(`\nWritten to ${path.relative(process.cwd(), out)}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
