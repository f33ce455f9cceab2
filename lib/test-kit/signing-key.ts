/**
 * RSA signing keys for the test kit. Kept apart from the test issuer's public types: jose's types
 * are ESM-only, and the published CommonJS declarations of `express-clerk-jwt/testing` must not
 * import them.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from '../shared/jose';
import type { PublicJwk } from './public-jwk';

/** A signing key of the issuer. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public JWK as Clerk serves it (`kid`, `alg: RS256`, `use: sig`). */
  jwk: JWK & PublicJwk;
}

/** Makes an RSA key pair for RS256, with its public JWK as Clerk serves it. */
export async function createSigningKey(kid = randomKid(), modulusLength = 2048): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } as JWK & PublicJwk;
  return { kid, privateKey, publicKey, jwk };
}

function randomKid(): string {
  return `ins_test_${randomBytes(8).toString('hex')}`;
}
