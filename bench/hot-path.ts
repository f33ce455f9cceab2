/**
 * In-process timings of the hot path, one operation at a time, as CPU microseconds per operation:
 * steadier than req/s on a busy machine, since other processes' load barely moves them. Run by
 * bench/run.ts in its own process; prints one JSON line of `{ name, microseconds }` rows.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { clerkAuth, extractBearerToken } from '../lib';
import { MAX_HEADER_LENGTH } from '../lib/verification/verify-token';
import { createTestBackendApi } from '../lib/testing';
import { createVerifier } from '../lib/verification/verify-token';

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
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
/** A forged token: Clerk-shaped, the instance's kid, signed by another key. */
const forge = (header: object, i: number) => {
  const input = `${b64url(header)}.${b64url({ azp: 'http://localhost:3000', exp: now + 3600, iat: now, iss: 'https://clerk.example.com', nbf: now - 10, sid: `sess_${i}`, sub: 'user_admin' })}`;
  return `${input}.${sign('sha256', Buffer.from(input), attacker).toString('base64url')}`;
};
/** The header of issue #11: about 11 KB encoded, 880 members, under Node's 16 KiB header limit. */
export const oversizedHeader = (): Record<string, unknown> => {
  const header: Record<string, unknown> = { alg: 'RS256', kid: 'ins_bench', typ: 'JWT' };
  for (let m = 0; m < 880; m++) header[`m${String(m).padStart(3, '0')}`] = 0;
  return header;
};
/** The most members a header can hold within MAX_HEADER_LENGTH: the worst header that gets parsed. */
const headerAtTheCap = (): Record<string, unknown> => {
  const header: Record<string, unknown> = { alg: 'RS256', kid: 'ins_bench', typ: 'JWT' };
  for (let m = 0; ; m++) {
    const name = m.toString(36);
    header[name] = 0;
    if (Buffer.from(JSON.stringify(header)).toString('base64url').length > MAX_HEADER_LENGTH) {
      delete header[name];
      return header;
    }
  }
};
const forged = Array.from({ length: 100 }, (_, i) => forge({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' }, i));
const atTheCap = Array.from({ length: 100 }, (_, i) => forge(headerAtTheCap(), i));
/** A forged token of nearly 16 KiB (MAX_TOKEN_LENGTH): the payload is hashed, never parsed, before the signature fails. */
const longest = Array.from({ length: 100 }, (_, i) => {
  const input = `${b64url({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' })}.${b64url({ sub: 'user_admin', exp: now + 3600, pad: 'x'.repeat(11_700 + i) })}`;
  return `${input}.${sign('sha256', Buffer.from(input), attacker).toString('base64url')}`;
});
const oversized = Array.from({ length: 100 }, (_, i) => forge(oversizedHeader(), i));
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
  // Bad tokens (issue #11): what an attacker makes each request cost. Never cached.
  const refused = (token: string) => cached.verify(token).then(
    () => {
      throw new Error('a bad token was accepted');
    },
    () => undefined,
  );
  await add('verify(), forged signature (right kid, another key)', POOL, (i) => refused(forged[i % forged.length] as string));
  await add(`verify(), forged, ${(oversized[0] as string).split('.')[0]?.length ?? 0}-char header (880 members)`, POOL, (i) => refused(oversized[i % oversized.length] as string));
  await add(
    `verify(), forged, ${(atTheCap[0] as string).split('.')[0]?.length ?? 0}-char header (${Object.keys(headerAtTheCap()).length} members, at the cap)`,
    POOL,
    (i) => refused(atTheCap[i % atTheCap.length] as string),
  );
  await add(`verify(), forged, ${(longest[0] as string).length}-character token`, POOL, (i) => refused(longest[i % longest.length] as string));
  await add('extractBearerToken()', 100_000, () => extractBearerToken(`Bearer ${token}`));

  // Machine tokens (issue #13): M2M JWTs through the same signature step, opaque tokens through a
  // fake Backend API on 127.0.0.1 (a hit is answered from the hash-keyed cache, without a call).
  const both = { acceptsToken: ['session_token', 'm2m_token'] } as const;
  const m2m = Array.from({ length: POOL }, (_, i) => {
    const input = `${b64url({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT', cat: 'cl_B7d4PD333AAA' })}.${b64url({ iss: 'https://clerk.example.com', sub: `mch_${i}`, jti: `mt_${i}`, exp: now + 3600, iat: now, nbf: now - 10, scopes: 'mch_a mch_b' })}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  });
  const backendApi = await createTestBackendApi();
  const machines = createVerifier({ ...options, secretKey: backendApi.secretKey, apiUrl: backendApi.apiUrl }, 'node');
  await add('verify(session token, acceptsToken [session, m2m]), cache hit', 50_000, () => machines.verify(token, both));
  await add('verify(M2M JWT, acceptsToken [session, m2m]), cache hit', 50_000, () => machines.verify(m2m[0] as string, both));
  await add('verify(M2M JWT, acceptsToken [session, m2m]), cache miss', POOL, (i) => machines.verify(m2m[i % POOL] as string, both));
  const apiKey = backendApi.issue('api_key');
  await machines.verify(apiKey, { acceptsToken: 'api_key' });
  await add('verify(opaque API key), cache hit (SHA-256 + LRU)', 50_000, () => machines.verify(apiKey, { acceptsToken: 'api_key' }));
  const junk = `ak_${'x'.repeat(600)}`;
  await add('verify(opaque junk over 512 chars), refused, no call', 50_000, () => machines.verify(junk, { acceptsToken: 'api_key' }).catch(() => undefined));
  await backendApi.close();

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
