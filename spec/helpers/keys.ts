import { KeyObject, randomBytes, sign } from 'node:crypto';
import { CompactSign, exportSPKI, type CryptoKey, type JWK } from 'jose';
import { createSigningKey } from '../../lib/test-kit/signing-key';
import { buildSessionClaims } from '../../lib/test-kit/test-tokens';

/** An RSA signing key made at test time, with its public forms. */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK as Clerk serves it (`kid`, `alg: RS256`, `use: sig`). */
  jwk: JWK;
  /** Public key, SPKI PEM (what CLERK_JWT_KEY holds). */
  pem: string;
}

export async function createTestKey(kid = `ins_${randomBytes(6).toString('hex')}`, modulusLength = 2048): Promise<TestKey> {
  const { privateKey, publicKey, jwk } = await createSigningKey(kid, modulusLength);
  return { kid, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

/**
 * A Clerk-shaped v1 session token payload, valid for 60 s: the test kit's claim builder
 * (`buildSessionClaims`, what `createTestIssuer().mint()` signs) with the user `user_2abc`, session
 * `sess_2abc` and party `http://localhost:3000`; `overrides` win (undefined removes).
 */
export function sessionClaims(issuer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return buildSessionClaims({ issuer, authorizedParty: 'http://localhost:3000' }, { sid: 'sess_2abc', sub: 'user_2abc', ...overrides });
}

/**
 * Signs `payload` (an object, or raw JSON text) with jose. The header defaults to
 * `{ alg: RS256, kid, typ: JWT }`; `header` wins (undefined removes).
 */
export async function mint(key: TestKey, payload: Record<string, unknown> | string, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT', ...header };
  for (const [name, value] of Object.entries(protectedHeader)) if (value === undefined) delete protectedHeader[name];
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new CompactSign(new TextEncoder().encode(text)).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

/**
 * Signs raw header and payload text with node:crypto (RS256), bypassing every check jose makes
 * when signing: for hostile headers such as `crit` or duplicate JSON keys.
 */
export function mintRaw(key: TestKey, headerJson: string, payloadJson: string): string {
  const signingInput = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), KeyObject.from(key.privateKey)).toString('base64url')}`;
}

export function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A publishable key for `host`, encoded as Clerk does (unpadded base64 of `host$`). */
export function publishableKeyFor(host: string, kind: 'test' | 'live' = 'test'): string {
  return `pk_${kind}_${Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '')}`;
}

/** A made-up secret key of the right shape; never a real one. */
export function fakeSecretKey(kind: 'test' | 'live' = 'test'): string {
  return `sk_${kind}_${randomBytes(20).toString('hex')}`;
}
