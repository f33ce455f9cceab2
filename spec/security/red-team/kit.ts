/**
 * The red team's tool kit: keys, tokens, a JWKS server, a raw HTTP client and a fixed clock, built
 * on node:crypto and node:http alone. The red-team batteries (`battery.ts`, `upstream-cases.ts`)
 * import nothing else of this repository, so that the very same files run against `lib/` in Jest
 * and against the packed tarball in acceptance/ (which copies spec/security/red-team/ into a fixture
 * project and runs it on Node 22 and 24): what the package under test is comes in as an argument.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign as signData } from 'node:crypto';
import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A public JWK as a key set serves it. */
export type Jwk = Record<string, unknown>;

/** An RSA key made at run time, with its public forms. */
export interface Key {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** Public JWK as Clerk serves it (`kid`, `alg: RS256`, `use: sig`). */
  readonly jwk: Jwk;
  /** Public key, SPKI PEM (what `jwtKey` holds). */
  readonly pem: string;
}

export function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}

/** A new RSA key (2048 bits unless said otherwise). */
export function makeKey(kid = `ins_${randomBytes(6).toString('hex')}`, modulusLength = 2048): Key {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Jwk), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A public key given as a JWK (a fixture), in the same shape as {@link makeKey}'s, with no private key. */
export function publicKey(jwk: Jwk, kid = String((jwk['kid'] as string | undefined) ?? 'local')): Omit<Key, 'privateKey'> {
  const keyObject = createPublicKey({ key: { kty: String(jwk['kty']), n: String(jwk['n']), e: String(jwk['e']) }, format: 'jwk' });
  return { kid, jwk, pem: keyObject.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Signs raw header and payload JSON text with RS256 (or `hash` for RS384/RS512), bypassing every check a JOSE library makes. */
export function signRaw(key: Pick<Key, 'privateKey'>, headerJson: string, payloadJson: string, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${input}.${signData(hash, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** Signs header and payload objects (`undefined` members removed) with RS256. */
export function sign(key: Pick<Key, 'privateKey'>, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return signRaw(key, JSON.stringify(header), JSON.stringify(payload));
}

/** A compact JWS of these parts with a signature of the right length that is not valid. */
export function forge(headerJson: string, payloadJson: string, signatureBytes = 256): string {
  return `${b64url(headerJson)}.${b64url(payloadJson)}.${b64url(
    createHash('sha512')
      .update(headerJson + payloadJson)
      .digest()
      .subarray(0, 32)
      .toString('hex')
      .padEnd(signatureBytes, '0')
      .slice(0, signatureBytes),
  )}`;
}

/** A publishable key for `host`, encoded as Clerk does (unpadded base64 of `host$`). */
export function publishableKeyFor(host: string, kind: 'test' | 'live' = 'test'): string {
  return `pk_${kind}_${Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '')}`;
}

/** A made-up secret key of the right shape; never a real one. */
export function fakeSecretKey(kind: 'test' | 'live' = 'test'): string {
  return ['sk', kind, randomBytes(20).toString('hex')].join('_');
}

/** A server on 127.0.0.1, port 0. */
export interface Served {
  readonly port: number;
  readonly origin: string;
  close(): Promise<void>;
}

export async function serve(listener: RequestListener, options: http.ServerOptions = {}): Promise<Served> {
  const server = http.createServer(options, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A key set endpoint on 127.0.0.1 that counts its requests; `keys` may be changed at any time. */
export interface KeySetServer extends Served {
  /** `<origin>/.well-known/jwks.json` (also served at `/v1/jwks`, the Backend API path). */
  readonly jwksUri: string;
  readonly requests: number;
  keys: Jwk[];
  /** Raw body to serve instead of `{"keys": …}` (e.g. `{}`), or `null`. */
  body: string | null;
}

export async function startKeySet(keys: Jwk[]): Promise<KeySetServer> {
  const state = { keys, body: null as string | null, requests: 0 };
  const served = await serve((req, res) => {
    if (req.url !== '/.well-known/jwks.json' && req.url !== '/v1/jwks') {
      res.writeHead(404).end();
      return;
    }
    state.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(state.body ?? JSON.stringify({ keys: state.keys }));
  });
  return {
    ...served,
    jwksUri: `${served.origin}/.well-known/jwks.json`,
    get requests() {
      return state.requests;
    },
    get keys() {
      return state.keys;
    },
    set keys(next: Jwk[]) {
      state.keys = next;
    },
    get body() {
      return state.body;
    },
    set body(next: string | null) {
      state.body = next;
    },
  };
}

/** What an HTTP request got back. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const agent = new http.Agent({ keepAlive: false });

/**
 * Sends a request with exactly these header lines, in order (a name may repeat). `host` is added
 * unless given.
 */
export function request(port: number, method: string, path: string, headers: readonly (readonly [string, string])[] = [], body?: string | Buffer): Promise<Answer> {
  const hasHost = headers.some(([name]) => name.toLowerCase() === 'host');
  const flat = [...(hasHost ? [] : [['host', `127.0.0.1:${port}`]]), ...headers].flat();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: flat }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Runs `work` with `Date.now()` pinned to `ms` (what both this package and `@clerk/backend` read
 * the clock with), and restores the real clock afterwards, whatever happens.
 */
export async function atTime<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return await work();
  } finally {
    Date.now = real;
  }
}

/** A small assertion helper: throws with `message` when `condition` is false. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
