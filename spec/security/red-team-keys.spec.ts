/**
 * Red team: what the key set and the configured key may hold, against Clerk's own verifier fed
 * the same keys over HTTP (`verifyToken` with `secretKey` + `apiUrl`, networkless but for the
 * loopback key-set server).
 *
 * - A token without `kid`, with keys from a key set: Clerk looks the key up by `kid` and refuses
 *   it (`jwk-kid-mismatch`); so must we (it was accepted when the set held one signing key).
 * - An RSA key whose public exponent is 1 makes every "signature" forgeable (the signature is the
 *   padded hash itself). Clerk's `jwtKey` can only express exponent 65537 (it rebuilds the JWK
 *   with `e: AQAB`) and so refuses every token under such a PEM: our `jwtKey` must not accept
 *   forgeries either (a startup error). In a key set, such a key is unusable (503), never a
 *   verifier that says yes to anyone.
 * - Two keys under one `kid`: neither verifies (401 `unknown_key`), whatever the order.
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { verifyToken } from '@clerk/backend';
import express from 'express';
import request from 'supertest';
import { clerkAuth, ClerkConfigError, createClerkVerifier, createMastraAuthProvider, InvalidTokenError, JwksUnavailableError } from '../../lib';
import { b64url, makeKey, sign, startKeySet, type Jwk, type KeySetServer } from './red-team/kit';
import { readManualNormalised } from '../helpers/manual';

const MANUAL = readManualNormalised();
/** The phrases of `phrases` the manual lacks (a short failure message, not the whole manual). */
const undocumented = (...phrases: string[]): string[] => phrases.filter((phrase) => !MANUAL.includes(phrase));
const now = () => Math.floor(Date.now() / 1000);
const fakeSecret = () => ['sk', 'test', 'f'.repeat(40)].join('_');

/** Clerk's verdict with its keys from `server` (the Backend API path, `/v1/jwks`). */
async function clerkRemote(token: string, server: KeySetServer): Promise<string> {
  const result = (await verifyToken(token, { secretKey: fakeSecret(), apiUrl: server.origin, skipJwksCache: true }).catch((error: unknown) => ({ errors: [error] }))) as {
    errors?: { reason?: string }[];
  };
  return result.errors === undefined ? 'accept' : `refuse ${result.errors[0]?.reason ?? '?'}`;
}

async function ours(token: string, options: Parameters<typeof createClerkVerifier>[0]): Promise<string> {
  try {
    await createClerkVerifier({ env: {}, logger: false, ...options }).verify(token);
    return 'accept';
  } catch (error) {
    if (error instanceof InvalidTokenError) return `refuse ${error.reason}`;
    if (error instanceof JwksUnavailableError) return '503';
    throw error;
  }
}

/** A token whose "signature" is the EMSA-PKCS1-v1_5 encoding of its hash: valid under any RSA-2048 key with e = 1. */
function forgedForExponentOne(claims: Record<string, unknown>, kid: string): string {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(input).digest()]);
  const encoded = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]);
  return `${input}.${encoded.toString('base64url')}`;
}

function exponentOneKey(kid: string): Jwk {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
  return { kty: 'RSA', n: jwk['n'], e: 'AQ', kid, alg: 'RS256', use: 'sig' };
}

describe('a token without kid, with keys from a key set', () => {
  const key = makeKey('ins_nokid');
  let server: KeySetServer;
  beforeAll(async () => {
    server = await startKeySet([key.jwk]);
  });
  afterAll(() => server.close());

  const token = () => sign(key, { alg: 'RS256', typ: 'JWT' }, { sub: 'user_1', exp: now() + 60, iat: now(), iss: server.origin });

  it('is refused as Clerk refuses it (jwk-kid-mismatch), with no key-set request beyond the first', async () => {
    expect(await clerkRemote(token(), server)).toBe('refuse jwk-kid-mismatch');
    expect(await ours(token(), { jwksUri: server.jwksUri })).toBe('refuse unknown_key');
  });

  it('is refused through clerkAuth() and the Mastra provider', async () => {
    const app = express();
    app.use(clerkAuth({ jwksUri: server.jwksUri, env: {}, logger: false }), (_req, res) => void res.json({ reached: true }));
    const answer = await request(app).get('/').set('authorization', `Bearer ${token()}`);
    expect(answer.status).toBe(401);
    const provider = createMastraAuthProvider({ jwksUri: server.jwksUri, env: {}, logger: false, backendClient: false });
    expect(await provider.authenticateToken(token(), { headers: { authorization: `Bearer ${token()}` } })).toBeNull();
  });

  it('is still accepted with jwtKey (Clerk ignores kid there too), and a token with the kid is accepted from the key set', async () => {
    expect(await ours(token(), { jwtKey: key.pem })).toBe('accept');
    const withKid = sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, { sub: 'user_1', exp: now() + 60, iat: now(), iss: server.origin });
    expect(await ours(withKid, { jwksUri: server.jwksUri })).toBe('accept');
    expect(await clerkRemote(withKid, server)).toBe('accept');
  });

  it('is refused when the key set holds a single key without kid, where Clerk accepts (documented)', async () => {
    const { kid: _kid, ...kidless } = key.jwk;
    void _kid;
    const kidlessServer = await startKeySet([kidless]);
    try {
      const kidlessToken = sign(key, { alg: 'RS256', typ: 'JWT' }, { sub: 'user_1', exp: now() + 60, iat: now(), iss: kidlessServer.origin });
      expect(await clerkRemote(kidlessToken, kidlessServer)).toBe('accept');
      expect(await ours(kidlessToken, { jwksUri: kidlessServer.jwksUri })).toBe('refuse unknown_key');
      expect(undocumented('a token must carry a `kid`')).toEqual([]);
    } finally {
      await kidlessServer.close();
    }
  });
});

describe('an RSA key whose public exponent is 1', () => {
  const claims = () => ({ sub: 'user_admin', exp: now() + 60, iat: now() });

  it('in a key set: a forged token is never accepted (503: the key cannot be used)', async () => {
    const jwk = exponentOneKey('ins_e1');
    const server = await startKeySet([jwk]);
    try {
      const token = forgedForExponentOne({ ...claims(), iss: server.origin }, 'ins_e1');
      // Clerk would accept it: the key set is trusted as it is.
      expect(await clerkRemote(token, server)).toBe('accept');
      expect(await ours(token, { jwksUri: server.jwksUri })).toBe('503');
      expect(undocumented('public exponent is not 65537')).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('as jwtKey: a startup error (Clerk rebuilds the key with exponent 65537 and refuses every token)', async () => {
    const jwk = exponentOneKey('ins_e1_pem');
    const pem = createPublicKey({ key: { kty: 'RSA', n: String(jwk['n']), e: 'AQ' }, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const token = forgedForExponentOne(claims(), 'ins_e1_pem');
    const clerk = (await verifyToken(token, { jwtKey: pem }).catch((error: unknown) => ({ errors: [error] }))) as { errors?: unknown[] };
    expect(clerk.errors).toBeDefined();
    expect(() => createClerkVerifier({ jwtKey: pem, env: {}, logger: false })).toThrow(ClerkConfigError);
  });

  it('exponent 3 is refused the same way, and the usual 65537 works', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createClerkVerifier({ jwtKey: pem, env: {}, logger: false })).toThrow(/exponent/);
    expect(() => createClerkVerifier({ jwtKey: makeKey().pem, env: {}, logger: false })).not.toThrow();
  });
});

describe('two keys under one kid', () => {
  it('neither verifies (401 unknown_key), whichever is listed first', async () => {
    const first = makeKey('ins_dup');
    const second = makeKey('ins_dup');
    const server = await startKeySet([first.jwk, second.jwk]);
    try {
      for (const signer of [first, second]) {
        const token = sign(signer, { alg: 'RS256', typ: 'JWT', kid: 'ins_dup' }, { sub: 'user_1', exp: now() + 60, iat: now() });
        expect(await ours(token, { jwksUri: server.jwksUri })).toBe('refuse unknown_key');
      }
      expect(undocumented('two keys under one `kid`')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
