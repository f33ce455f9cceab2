import { label } from './env-vars';
import { ClerkConfigError } from './errors';

/** What a Clerk publishable key encodes. */
export interface PublishableKeyInfo {
  /** `development` for `pk_test_…`, `production` for `pk_live_…`. */
  instanceType: 'development' | 'production';
  /** Host of the instance's Frontend API, e.g. `exotic-crab-75.clerk.accounts.dev`. */
  frontendApi: string;
}

const BASE64 = /^[A-Za-z0-9+/-]+={0,2}$/;
// One or more DNS labels separated by dots; at least one dot.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * Decodes a Clerk publishable key, `pk_test_<b64>` or `pk_live_<b64>` where `<b64>` is base64 of
 * `"<frontend-api-host>$"`, with the same rules as Clerk's SDK plus a hostname check.
 *
 * @param name How to name the value in an error message.
 * @throws {ClerkConfigError} naming `name` when the key is malformed; the message never contains
 *   the value.
 */
export function parsePublishableKey(key: string, name = label('publishableKey')): PublishableKeyInfo {
  const fail: (problem: string) => never = (problem) => {
    throw new ClerkConfigError(`${name} ${problem}`, 'publishableKey');
  };
  if (typeof key !== 'string') fail('must be a string');
  if (/^sk_(test|live)_/.test(key)) {
    fail('holds a secret key (sk_…). Use the publishable key (pk_test_… or pk_live_…) here and keep the secret key out of anything shared.');
  }
  const parts = key.split('_');
  if (parts.length !== 3 || parts[0] !== 'pk' || (parts[1] !== 'test' && parts[1] !== 'live')) {
    fail('is not a Clerk publishable key: expected pk_test_… or pk_live_… (Clerk Dashboard → API Keys).');
  }
  const encoded = parts[2] as string;
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    fail('is malformed: the part after pk_test_/pk_live_ is not base64.');
  }
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  if (!decoded.endsWith('$') || decoded.indexOf('$') !== decoded.length - 1) {
    fail('is malformed: it does not encode a Frontend API host followed by "$".');
  }
  const frontendApi = decoded.slice(0, -1).toLowerCase();
  if (!HOSTNAME.test(frontendApi)) {
    fail('is malformed: it does not encode a valid Frontend API host.');
  }
  return { instanceType: parts[1] === 'live' ? 'production' : 'development', frontendApi };
}
