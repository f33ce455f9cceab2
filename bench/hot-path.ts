/**
 * In-process timings of the hot path, one operation at a time, as CPU microseconds per operation:
 * steadier than req/s on a busy machine, since other processes' load barely moves them. Run by
 * bench/run.ts in its own process; prints one JSON line of `{ name, microseconds }` rows.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { clerkAuth, extractBearerToken } from '../lib';
import { createVerifier } from '../lib/verify-token';

export interface HotPathRow {
  name: string;
  microseconds: number;
}

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwtKey = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const now = Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const mint = (i: number) => {
  const input = `${b64url({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' })}.${b64url({ azp: 'http://localhost:3000', exp: now + 3600, fva: [0, -1], iat: now, iss: 'https://clerk.example.com', nbf: now - 10, sid: `sess_${i}`, sub: `user_${i}` })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
};
const POOL = 2000;
const tokens = Array.from({ length: POOL }, (_, i) => mint(i));
const options = { jwtKey, env: {}, logger: false as const, authorizedParties: ['http://localhost:3000'] };

/** CPU microseconds per call of `operation`, the best of three rounds after a warm-up round. */
async function time(iterations: number, operation: (i: number) => unknown): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 4; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await operation(i);
    const used = process.cpuUsage(start);
    if (round > 0) best = Math.min(best, (used.user + used.system) / iterations);
  }
  return best;
}

async function main(): Promise<void> {
  const rows: HotPathRow[] = [];
  const add = async (name: string, iterations: number, operation: (i: number) => unknown) => rows.push({ name, microseconds: await time(iterations, operation) });

  const cached = createVerifier(options, 'node');
  const uncachedNode = createVerifier({ ...options, tokenCacheSize: 0 }, 'node');
  const uncachedJose = createVerifier({ ...options, tokenCacheSize: 0 }, 'jose');
  const token = tokens[0] as string;
  await add('verify(), cache hit', 50_000, () => cached.verify(token));
  await add('verify(), cache miss (node:crypto signature check)', POOL, (i) => cached.verify(tokens[i % POOL] as string));
  await add('verify(), no cache, node:crypto', POOL, (i) => uncachedNode.verify(tokens[i % POOL] as string));
  await add('verify(), no cache, jose alone (WebCrypto)', POOL, (i) => uncachedJose.verify(tokens[i % POOL] as string));
  await add('extractBearerToken()', 100_000, () => extractBearerToken(`Bearer ${token}`));

  // The whole middleware on a minimal request, up to next(): what it adds to a request.
  const middleware = clerkAuth(options);
  const headers = { authorization: `Bearer ${token}` };
  const rawHeaders = ['Authorization', headers.authorization];
  const request = () => ({ method: 'GET', headers, rawHeaders, headersDistinct: { authorization: [headers.authorization] } }) as unknown as Request;
  const response = {} as Response;
  await add('clerkAuth() middleware, cache hit', 50_000, () => new Promise<void>((resolve) => middleware(request(), response, resolve as NextFunction)));
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
