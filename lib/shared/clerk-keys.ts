/**
 * Clerk's keys and URLs, parsed and checked at startup: the publishable key (and the Frontend API
 * host it encodes), the secret key, the machine secret key, the Backend API URL and a JWKS URL.
 * Messages name the option and its variable, never the value of a secret.
 */
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

/** Clerk's Backend API. */
export const DEFAULT_API_URL = 'https://api.clerk.com';
/** Where a Frontend API serves its key set. */
export const JWKS_PATH = '/.well-known/jwks.json';
const SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9+/=_-]+$/;
const MACHINE_SECRET_KEY = /^ak_[A-Za-z0-9+/=_-]+$/;

/** Checks the shape of a secret key (never printing it); returns its instance type. */
export function checkSecretKey(secretKey: string): 'development' | 'production' {
  if (/^pk_(test|live)_/.test(secretKey)) {
    throw new ClerkConfigError(`${label('secretKey')} holds a publishable key (pk_…); the secret key starts with sk_test_ or sk_live_.`, 'secretKey');
  }
  if (MACHINE_SECRET_KEY.test(secretKey)) {
    throw new ClerkConfigError(
      `${label('secretKey')} holds a machine secret key (ak_…): put it in ${label('machineSecretKey')}; the instance secret key starts with sk_test_ or sk_live_.`,
      'secretKey',
    );
  }
  if (!SECRET_KEY.test(secretKey)) {
    throw new ClerkConfigError(`${label('secretKey')} is not a Clerk secret key: expected sk_test_… or sk_live_… followed by base64 characters (Clerk Dashboard → API Keys).`, 'secretKey');
  }
  return secretKey.startsWith('sk_live_') ? 'production' : 'development';
}

/** Checks the shape of a machine secret key (`ak_…`), never printing it. */
export function checkMachineSecretKey(machineSecretKey: string): void {
  if (SECRET_KEY.test(machineSecretKey)) {
    throw new ClerkConfigError(
      `${label('machineSecretKey')} holds an instance secret key (sk_…): put it in ${label('secretKey')}, which verifies opaque M2M tokens too; a machine secret key starts with ak_.`,
      'machineSecretKey',
    );
  }
  if (!MACHINE_SECRET_KEY.test(machineSecretKey)) {
    throw new ClerkConfigError(
      `${label('machineSecretKey')} is not a Clerk machine secret key: expected ak_ followed by base64 characters (Clerk Dashboard → Machines).`,
      'machineSecretKey',
    );
  }
}

/**
 * Parses `jwksUri`: https (or http on loopback), no credentials, a path; on the publishable key's
 * Frontend API host when there is one; not the Backend API without the secret key it needs.
 */
export function parseJwksUri(value: string, publishable: PublishableKeyInfo | null, apiUrl: URL, secretKey: string | undefined): URL {
  const expected = `https://${publishable?.frontendApi ?? '<your-frontend-api>'}${JWKS_PATH}`;
  const fail = (problem: string): ClerkConfigError => new ClerkConfigError(`Invalid JWKS URI: ${label('jwksUri')} ${problem}. Expected ${expected}`, 'jwksUri');
  const { url, problem } = parseHttpUrl(value);
  if (url === null) throw fail(problem);
  if (url.pathname === '/') throw fail('has no path: the key set is served at /.well-known/jwks.json');
  if (publishable !== null && url.hostname !== publishable.frontendApi) {
    throw fail(`points at ${url.host}, but ${label('publishableKey')} belongs to ${publishable.frontendApi}`);
  }
  if (url.origin === apiUrl.origin && secretKey === undefined) {
    throw fail(`points at the Backend API (${apiUrl.host}), which needs ${label('secretKey')}; use the public Frontend API key set instead`);
  }
  return url;
}

/** Parses `apiUrl`: https (or http on loopback), no credentials, query or fragment. */
export function parseApiUrl(value: string): URL {
  const fail = (problem: string): ClerkConfigError => new ClerkConfigError(`${label('apiUrl')} ${problem}. Expected e.g. ${DEFAULT_API_URL}`, 'apiUrl');
  const { url, problem } = parseHttpUrl(value);
  if (url === null) throw fail(problem);
  if (url.search !== '' || url.hash !== '') throw fail('must not have a query or fragment');
  return url;
}

/** A URL that keys or secrets may be fetched from: https, or http on a loopback host; no credentials. */
function parseHttpUrl(value: string): { url: URL; problem: null } | { url: null; problem: string } {
  const url = parseUrl(value);
  if (url === null) return { url, problem: 'is not a URL' };
  if (url.username !== '' || url.password !== '') return { url: null, problem: 'must not contain a user name or password' };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return { url: null, problem: 'must use https (plain http is allowed only for localhost, 127.x.x.x and ::1)' };
  }
  return { url, problem: null };
}

/** `localhost`, 127.0.0.0/8 and ::1: names that never leave the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '[::1]';
}

/** `new URL(value)`, or `null` when it is not a URL. */
export function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
