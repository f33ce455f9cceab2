/**
 * In-process timings of the hot path of the packed package (BENCH_PACKAGE_DIR, set by run.mjs),
 * one operation at a time, as CPU microseconds per operation, without HTTP. Prints one JSON line of
 * `{ name, microseconds }` rows.
 */
import crypto, { generateKeyPairSync, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

// node:crypto's signature checks, counted (as in server.mjs): a "cache miss" row must check every token.
const verifyOnce = crypto.verify;
let signatureChecks = 0;
crypto.verify = function countedVerify(algorithm, data, key, signature, callback) {
  signatureChecks += 1;
  return verifyOnce(algorithm, data, key, signature, callback);
};

const { clerkAuth, createClerkVerifier } = createRequire(path.join(process.env.BENCH_PACKAGE_DIR ?? '.', 'noop.js'))('express-clerk-jwt');

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwtKey = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const now = Math.floor(Date.now() / 1000);
const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const mint = (key, i, header = {}) => {
  const input = `${b64url({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT', ...header })}.${b64url({ azp: 'http://localhost:3000', exp: now + 36_000, fva: [0, -1], iat: now, iss: 'https://clerk.example.com', nbf: now - 10, sid: `sess_${i}`, sub: `user_${i}` })}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
};
const POOL = 2000;
const tokens = Array.from({ length: POOL }, (_, i) => mint(privateKey, i));
// Verified first, so that the measured tokens find a full cache of other tokens (the steady state
// of fresh tokens); none of them is seen twice within the doorkeeper's memory, so none is admitted.
const fillers = Array.from({ length: 1000 }, (_, i) => mint(privateKey, POOL + i));
const forged = Array.from({ length: 100 }, (_, i) => mint(attacker, i));
const big = {};
for (let m = 0; m < 880; m++) big[`m${String(m).padStart(3, '0')}`] = 0;
const oversized = Array.from({ length: 100 }, (_, i) => mint(attacker, i, big));
const options = { jwtKey, env: {}, logger: false, authorizedParties: ['http://localhost:3000'] };

/** CPU microseconds per call, the best of three rounds after a warm-up round. */
async function time(iterations, operation) {
  let best = Infinity;
  for (let round = 0; round < 4; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await operation(i);
    const used = process.cpuUsage(start);
    if (round > 0) best = Math.min(best, (used.user + used.system) / iterations);
  }
  return best;
}

const rows = [];
const add = async (name, iterations, operation) => rows.push({ name, microseconds: await time(iterations, operation) });
const cached = createClerkVerifier(options);
const uncached = createClerkVerifier({ ...options, tokenCacheSize: 0 });
for (const filler of fillers) await cached.verify(filler);
const token = fillers[0];
const refused = (verifier, t) =>
  verifier.verify(t).then(
    () => {
      throw new Error('a bad token was accepted');
    },
    () => undefined,
  );
await add('verify(), cache hit', 50_000, () => cached.verify(token));
const checksBefore = signatureChecks;
await add('verify(), cache miss (fresh token, 1,000-entry cache full)', POOL, (i) => cached.verify(tokens[i % POOL]));
if (signatureChecks - checksBefore !== 4 * POOL) throw new Error(`the cache-miss row checked ${signatureChecks - checksBefore} signatures for ${4 * POOL} tokens: some hit the cache`);
await add('verify(), no cache', POOL, (i) => uncached.verify(tokens[i % POOL]));
await add('verify(), forged signature (right kid, another key)', POOL, (i) => refused(cached, forged[i % forged.length]));
await add('verify(), forged, 11 KB header (880 members)', POOL, (i) => refused(cached, oversized[i % oversized.length]));

// The whole middleware on a minimal request, up to next(): what it adds to a request.
const middleware = clerkAuth(options);
const authorization = `Bearer ${token}`;
const rawHeaders = ['Authorization', authorization];
const request = () => ({ method: 'GET', headers: { authorization }, rawHeaders });
await add('clerkAuth() middleware, cache hit', 50_000, () => new Promise((resolve) => middleware(request(), {}, resolve)));
process.stdout.write(`${JSON.stringify(rows)}\n`);
