import { createPublicKey, type KeyObject } from 'node:crypto';
import { label } from '../shared/env-vars';
import { ClerkConfigError } from '../shared/errors';

const PEM_ARMOUR = /-----(BEGIN|END) PUBLIC KEY-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Turns the instance's "JWKS Public Key" (Clerk Dashboard → API Keys → Show JWT public key → PEM)
 * into a key object, once, at factory time. Accepts the PEM with real or `\n`-escaped line breaks
 * (as env files often hold it) or its bare base64 body, as Clerk's SDK does. The key must be an RSA
 * public key of at least 2048 bits with public exponent 65537.
 *
 * @throws {ClerkConfigError} naming `jwtKey (CLERK_JWT_KEY)`; the message never contains the key.
 */
export function parseJwtKey(value: string): KeyObject {
  const fail = (problem: string): ClerkConfigError => new ClerkConfigError(`${label('jwtKey')} ${problem}`, 'jwtKey');
  const text = value.replace(/\\n/g, '\n');
  if (text.includes('PRIVATE KEY')) {
    throw fail("holds a private key. Paste the instance's public key (Clerk Dashboard → API Keys → JWT public key, PEM).");
  }
  if (text.includes('-----BEGIN') && !text.includes('-----BEGIN PUBLIC KEY-----')) {
    throw fail('is not a PEM public key: expected "-----BEGIN PUBLIC KEY-----".');
  }
  const body = text.replace(PEM_ARMOUR, '').replace(/\s+/g, '');
  if (!BASE64_BODY.test(body)) {
    throw fail('is not a PEM public key: its body is not base64.');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(body, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw fail('is not a PEM public key: it could not be read as an SPKI public key.');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw fail(`is not an RSA key (it is ${key.asymmetricKeyType ?? 'unknown'}); Clerk signs session tokens with RS256, which needs an RSA key.`);
  }
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw fail('is an RSA key shorter than 2048 bits, which RS256 does not accept.');
  }
  // Clerk's keys use exponent 65537, and Clerk's SDK rebuilds a jwtKey with it (so it refuses every
  // token under any other); with exponent 1 anyone could sign.
  if (key.asymmetricKeyDetails?.publicExponent !== 65537n) {
    throw fail("is an RSA key whose public exponent is not 65537: it is not a Clerk instance's key.");
  }
  return key;
}
