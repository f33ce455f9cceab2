/**
 * A throwaway signing key for running the example with no Clerk account and no network. The
 * verifier gets the public half as `jwtKey`; `mint()` signs Clerk-shaped session tokens with the
 * private half. For local development only: the example refuses it when NODE_ENV=production.
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

export interface OfflineDevKeys {
  /** PEM public key, for `clerkAuth({ jwtKey })`. */
  jwtKey: string;
  /** Signs a session token for `sub` with extra claims, valid for `ttlSeconds`. */
  mint(sub: string, claims?: Record<string, unknown>, ttlSeconds?: number): Promise<string>;
}

export async function createOfflineDevKeys(): Promise<OfflineDevKeys> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return {
    jwtKey: await exportSPKI(publicKey),
    mint: (sub, claims = {}, ttlSeconds = 3600) =>
      new SignJWT({ sid: 'sess_offline_dev', ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'ins_offline_dev' })
        .setSubject(sub)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  };
}
