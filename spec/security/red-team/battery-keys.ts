/**
 * The key battery: what a key set may hold (duplicate and missing `kid`s, keys for encryption or
 * another algorithm, EC and symmetric keys, short keys, exponents 1 and 3, large keys, a thousand
 * keys), key rotation and the verified-token cache (a key removed, a `kid` reused for new key
 * material, the clock moving past `exp`, one verifier's cache never vouching for another's
 * configuration, a cached token sent in another spelling), and the work done per bad token,
 * counted rather than timed: JSON parses, signature checks and key-set fetches per request.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { b64url, makeKey, sign, signRaw, startKeySet, type Jwk, type Key, type KeySetServer } from './kit';
import type { Deps } from './harness';
import type { BatteryResult, LogSink } from './battery-types';

const NOW = 1_796_310_476_000;
const S = NOW / 1000;

type Verdict = 'accept' | `refuse ${string}` | '503' | `config ${string}`;

async function verdict(deps: Deps, verifier: { verify(token: string): Promise<unknown> }, token: string): Promise<Verdict> {
  try {
    await verifier.verify(token);
    return 'accept';
  } catch (error) {
    if (error instanceof deps.pkg.InvalidTokenError) return `refuse ${error.reason}`;
    if (error instanceof deps.pkg.JwksUnavailableError) return '503';
    throw error;
  }
}

function exponentJwk(kid: string, e: string): Jwk {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as Jwk;
  return { kty: 'RSA', n: jwk['n'], e, kid, alg: 'RS256', use: 'sig' };
}

/** A token that verifies under any RSA-2048 key with public exponent 1. */
function forgedForExponentOne(kid: string, claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(input).digest()]);
  return `${input}.${Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]).toString('base64url')}`;
}

export async function keyBattery(deps: Deps, log: LogSink): Promise<BatteryResult> {
  const { pkg } = deps;
  const failures: string[] = [];
  let cases = 0;
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'user_keys', exp: S + 60, iat: S - 1, ...extra });
  const token = (key: Key, kid = key.kid, extra: Record<string, unknown> = {}) => sign(key, { alg: 'RS256', kid, typ: 'JWT' }, claims(extra));
  const expectVerdict = (label: string, got: Verdict, wanted: Verdict | readonly Verdict[]) => {
    cases += 1;
    const allowed = typeof wanted === 'string' ? [wanted] : wanted;
    if (!allowed.includes(got)) failures.push(`keys › ${label}: ${got}, expected ${allowed.join(' or ')}`);
  };
  const servers: KeySetServer[] = [];
  const keySet = async (keys: Jwk[]) => {
    const server = await startKeySet(keys);
    servers.push(server);
    return server;
  };
  const verifierOf = (server: KeySetServer, extra: Record<string, unknown> = {}) => pkg.createClerkVerifier({ jwksUri: `${server.origin}/v1/jwks`, env: {}, logger: log.logger(), ...extra });
  const real = Date.now;
  let clock = NOW;
  Date.now = () => clock;
  try {
    // --- Key set contents -------------------------------------------------------------------------
    const a = makeKey('ins_a');
    const b = makeKey('ins_a');
    {
      const server = await keySet([a.jwk, b.jwk]);
      expectVerdict('two keys under one kid, signed by the first', await verdict(deps, verifierOf(server), token(a)), 'refuse unknown_key');
      expectVerdict('two keys under one kid, signed by the second', await verdict(deps, verifierOf(server), token(b)), 'refuse unknown_key');
    }
    for (const [label, change] of [
      ['use: enc', { use: 'enc' }],
      ['alg: RS512', { alg: 'RS512' }],
      ['alg: PS256', { alg: 'PS256' }],
      ['key_ops: [encrypt]', { key_ops: ['encrypt'] }],
      ['kty: oct', { kty: 'oct', k: 'c2VjcmV0' }],
    ] as const) {
      const server = await keySet([{ ...a.jwk, ...change }]);
      expectVerdict(`the only key has ${label}`, await verdict(deps, verifierOf(server), token(a)), ['503', 'refuse unknown_key']);
    }
    {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Jwk;
      const server = await keySet([{ ...ec, kid: 'ins_ec', alg: 'ES256', use: 'sig' }, a.jwk]);
      expectVerdict('an EC key under the token kid (RS256 token)', await verdict(deps, verifierOf(server), token(a, 'ins_ec')), 'refuse unknown_key');
      expectVerdict(
        'an ES256 token for the EC key',
        await verdict(deps, verifierOf(server), signRaw(a, JSON.stringify({ alg: 'ES256', kid: 'ins_ec', typ: 'JWT' }), JSON.stringify(claims()))),
        'refuse invalid_algorithm',
      );
    }
    {
      const server = await keySet([{ kty: 'oct', k: b64url('secret'), kid: 'ins_hmac' }, a.jwk]);
      const hmacInput = `${b64url(JSON.stringify({ alg: 'HS256', kid: 'ins_hmac', typ: 'JWT' }))}.${b64url(JSON.stringify(claims()))}`;
      const hmacToken = `${hmacInput}.${nodeCrypto.createHmac('sha256', 'secret').update(hmacInput).digest('base64url')}`;
      expectVerdict('an HS256 token for a symmetric key in the key set', await verdict(deps, verifierOf(server), hmacToken), 'refuse invalid_algorithm');
    }
    {
      const short = makeKey('ins_short', 1024);
      const server = await keySet([short.jwk]);
      expectVerdict('a 1024-bit key', await verdict(deps, verifierOf(server), token(short)), '503');
    }
    {
      const server = await keySet([exponentJwk('ins_e1', 'AQ')]);
      expectVerdict('exponent 1, a forged token', await verdict(deps, verifierOf(server), forgedForExponentOne('ins_e1', claims())), '503');
      const three = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
      const threeKey: Key = { kid: 'ins_e3', privateKey: three.privateKey, jwk: { ...(three.publicKey.export({ format: 'jwk' }) as Jwk), kid: 'ins_e3', alg: 'RS256', use: 'sig' }, pem: '' };
      const server3 = await keySet([threeKey.jwk]);
      expectVerdict('exponent 3, a token it signed', await verdict(deps, verifierOf(server3), token(threeKey)), '503');
    }
    {
      const big = makeKey('ins_big', 4096);
      const server = await keySet([big.jwk]);
      expectVerdict('a 4096-bit key', await verdict(deps, verifierOf(server), token(big)), 'accept');
    }
    {
      const many = Array.from({ length: 1000 }, (_, i) => ({ ...a.jwk, kid: `ins_many_${i}` }));
      const last = makeKey('ins_many_last');
      const server = await keySet([...many, last.jwk]);
      const verifier = verifierOf(server);
      expectVerdict('a thousand keys, the token of the last', await verdict(deps, verifier, token(last)), 'accept');
      for (let i = 0; i < 50; i++) await verdict(deps, verifier, token(last, `ins_unknown_${i}`));
      expectVerdict(`50 made-up kids fetch the key set at most once more (fetches: ${server.requests})`, server.requests <= 2 ? 'accept' : 'refuse too many fetches', 'accept');
    }
    for (const [label, body] of [
      ['{}', '{}'],
      ['keys an object', '{"keys":{}}'],
      ['keys with a __proto__ member', `{"keys":[{"__proto__":${JSON.stringify(a.jwk)}}]}`],
      ['a JSON string', '"keys"'],
      ['null', 'null'],
    ] as const) {
      const server = await keySet([]);
      server.body = body;
      expectVerdict(`a key set of ${label}`, await verdict(deps, verifierOf(server), token(a)), '503');
    }

    // --- Rotation and the verified-token cache ----------------------------------------------------
    {
      const key = makeKey('ins_rot');
      const server = await keySet([key.jwk]);
      const verifier = verifierOf(server, { jwksCacheMaxAgeInMs: 60_000, jwksCooldownInMs: 10_000, jwksStaleWindowInMs: 0 });
      const cached = token(key);
      clock = NOW;
      expectVerdict('rotation: a valid token, verified and cached', await verdict(deps, verifier, cached), 'accept');
      server.keys = [makeKey('ins_rot_new').jwk];
      expectVerdict('rotation: the key removed, the key set not yet refreshed (cache within max age)', await verdict(deps, verifier, cached), 'accept');
      clock = NOW + 61_000;
      // Past max age: a refetch (the key is gone) — the cached entry must not vouch for it.
      expectVerdict(
        'rotation: the key removed, past the key set max age',
        await verdict(deps, verifier, sign(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, claims({ exp: S + 600 }))),
        'refuse unknown_key',
      );
      expectVerdict('rotation: the cached token, past the key set max age', await verdict(deps, verifier, cached), ['refuse unknown_key', 'refuse expired']);
      clock = NOW;
    }
    {
      const key = makeKey('ins_reuse');
      const successor = makeKey('ins_reuse');
      const server = await keySet([key.jwk]);
      const verifier = verifierOf(server, { jwksCacheMaxAgeInMs: 60_000, jwksCooldownInMs: 10_000, jwksStaleWindowInMs: 0 });
      const old = sign(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, claims({ exp: S + 600 }));
      clock = NOW;
      expectVerdict('kid reused: the old key verifies and caches', await verdict(deps, verifier, old), 'accept');
      server.keys = [successor.jwk];
      clock = NOW + 61_000;
      expectVerdict('kid reused for new key material: the old token is refused after the refresh', await verdict(deps, verifier, old), 'refuse invalid_signature');
      expectVerdict('kid reused: the new key verifies', await verdict(deps, verifier, sign(successor, { alg: 'RS256', kid: successor.kid, typ: 'JWT' }, claims({ exp: S + 600 }))), 'accept');
      clock = NOW;
    }
    {
      const key = makeKey('ins_exp');
      const verifier = pkg.createClerkVerifier({ jwtKey: key.pem, env: {}, logger: log.logger() });
      const short = sign(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, claims({ exp: S + 10 }));
      clock = NOW;
      expectVerdict('cache and time: a token with 10 s left', await verdict(deps, verifier, short), 'accept');
      clock = NOW + 14_000;
      expectVerdict('cache and time: 14 s later, inside the 5 s skew', await verdict(deps, verifier, short), 'accept');
      clock = NOW + 15_000;
      expectVerdict('cache and time: 15 s later, exp + skew reached', await verdict(deps, verifier, short), 'refuse expired');
      clock = NOW;
      expectVerdict('cache and time: back at the start (the entry was dropped, full check again)', await verdict(deps, verifier, short), 'accept');
      const [h, p, sig] = short.split('.') as [string, string, string];
      expectVerdict('cache: the cached token with its signature padded', await verdict(deps, verifier, `${h}.${p}.${sig}=`), 'refuse malformed');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = sig.charAt(sig.length - 1);
      expectVerdict(
        'cache: the cached token in another spelling (unused bits)',
        await verdict(deps, verifier, `${h}.${p}.${sig.slice(0, -1)}${alphabet.charAt(alphabet.indexOf(last) ^ 1)}`),
        'refuse malformed',
      );
      const strict = pkg.createClerkVerifier({ jwtKey: key.pem, env: {}, logger: log.logger(), authorizedParties: ['https://strict.example'] });
      expectVerdict("cache: another verifier's configuration is never vouched for by this one's cache", await verdict(deps, strict, short), 'refuse invalid_authorized_party');
      const shared = pkg.createClerkVerifier({ jwtKey: key.pem, env: {}, logger: log.logger(), issuer: 'https://clerk.strict.example' });
      expectVerdict('cache: nor its issuer pin', await verdict(deps, shared, short), 'refuse invalid_issuer');
    }
  } finally {
    Date.now = real;
    await Promise.all(servers.map((server) => server.close()));
  }
  return { name: 'keys', cases, requests: 0, failures, stricter: {} };
}

/** How many times each counted operation ran during `work`. */
interface Counts {
  jsonParse: number;
  signatureChecks: number;
  subtleVerifies: number;
}

/**
 * Counts JSON parses, node:crypto signature checks and WebCrypto verifications during `work`, by
 * wrapping them (the package's modules read them from their module objects at call time).
 */
async function counting(work: () => Promise<unknown>): Promise<Counts> {
  const counts: Counts = { jsonParse: 0, signatureChecks: 0, subtleVerifies: 0 };
  const parse = JSON.parse;
  // The module object itself (an `import *` may be a copy of it), whose `verify` the package calls.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- patching needs the module object require() returns
  const cryptoModule = require('node:crypto') as { verify: typeof nodeCrypto.verify };
  const verify = cryptoModule.verify;
  const subtle = globalThis.crypto.subtle;
  const subtleVerify = subtle.verify;
  type Subtle = typeof subtle;
  JSON.parse = function countedParse(this: unknown, ...args: Parameters<typeof JSON.parse>) {
    counts.jsonParse += 1;
    return parse.apply(this, args) as unknown;
  } as typeof JSON.parse;
  let patchedVerify = false;
  try {
    cryptoModule.verify = ((...args: Parameters<typeof nodeCrypto.verify>) => {
      counts.signatureChecks += 1;
      return (verify as (...a: unknown[]) => unknown)(...args);
    }) as typeof nodeCrypto.verify;
    patchedVerify = true;
  } catch {
    // A module object that cannot be patched: signature checks are then not counted.
  }
  subtle.verify = async (...args: Parameters<Subtle['verify']>) => {
    counts.subtleVerifies += 1;
    return subtleVerify.apply(subtle, args);
  };
  try {
    await work();
  } finally {
    JSON.parse = parse;
    if (patchedVerify) cryptoModule.verify = verify;
    subtle.verify = subtleVerify;
  }
  return counts;
}

/**
 * Work per bad token, counted: each kind of token is sent 20 times through `clerkAuth()` on one
 * Express (and the verifier alone), and the counts per request must stay within the bounds that
 * "bounded work per bad request" promises: at most one signature check, a header parsed at most
 * once, a payload never parsed before its signature holds, no key-set fetch per made-up `kid`.
 */
export async function workBattery(deps: Deps, log: LogSink): Promise<BatteryResult> {
  const { pkg } = deps;
  const key = makeKey('ins_work');
  const attacker = makeKey('ins_work_attacker');
  const server = await startKeySet([key.jwk]);
  const failures: string[] = [];
  const notes: Record<string, string> = {};
  let cases = 0;
  const real = Date.now;
  Date.now = () => NOW;
  try {
    const header = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
    const claims = { sub: 'user_work', exp: S + 600, iat: S - 1, iss: server.origin };
    const oversized: Record<string, unknown> = { ...header };
    for (let m = 0; m < 880; m++) oversized[`m${String(m).padStart(3, '0')}`] = 0;
    const atCap: Record<string, unknown> = { ...header };
    for (let m = 0; ; m++) {
      atCap[m.toString(36)] = 0;
      if (b64url(JSON.stringify(atCap)).length > 512) {
        delete atCap[m.toString(36)];
        break;
      }
    }
    // kind → [token maker, bounds per request: parses, signature checks]
    const kinds: [string, (i: number) => string, number, number][] = [
      ['valid, uncached (a new token each time)', (i) => sign(key, header, { ...claims, jti: `w${i}` }), 2, 1],
      ['valid, cached', () => sign(key, header, claims), 2, 1],
      ['forged (another key)', (i) => sign(attacker, header, { ...claims, jti: `f${i}` }), 1, 1],
      ['forged, 16 KiB payload', (i) => sign(attacker, header, { ...claims, pad: 'x'.repeat(11_500), jti: `p${i}` }), 1, 1],
      ['forged, header of 880 members (11 KB)', (i) => sign(attacker, oversized, { ...claims, jti: `o${i}` }), 0, 0],
      ['forged, header at the 512-character cap', (i) => sign(attacker, atCap, { ...claims, jti: `c${i}` }), 1, 1],
      ['alg none', (i) => `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify({ ...claims, jti: `n${i}` }))}.`, 1, 0],
      ['HS256', (i) => signRaw(key, JSON.stringify({ ...header, alg: 'HS256' }), JSON.stringify({ ...claims, jti: `h${i}` })), 1, 0],
      ['a repeated header member', (i) => signRaw(attacker, JSON.stringify(header).replace('{', '{"alg":"RS256",'), JSON.stringify({ ...claims, jti: `d${i}` })), 1, 0],
      ['another spelling (padded signature)', (i) => `${sign(attacker, header, { ...claims, jti: `s${i}` })}=`, 0, 0],
      ['a made-up kid each time', (i) => sign(attacker, { ...header, kid: `ins_made_up_${i}` }, claims), 1, 0],
      ['an opaque machine token', (i) => `mt_${i}`, 0, 0],
      ['garbage of 16 KiB', () => 'a'.repeat(16 * 1024), 0, 0],
    ];
    for (const [name, make, maxParses, maxChecks] of kinds) {
      const verifier = pkg.createClerkVerifier({ jwksUri: server.jwksUri, env: {}, logger: log.logger() });
      await verifier.verify(sign(key, header, { ...claims, jti: 'warm-up' })); // keys loaded
      const fetchesBefore = server.requests;
      const tokens = Array.from({ length: 20 }, (_, i) => make(i));
      if (name === 'valid, cached') await verifier.verify(tokens[0] as string);
      const counts = await counting(async () => {
        for (const token of tokens) await verifier.verify(token).catch(() => undefined);
      });
      cases += 1;
      const perRequest = (n: number) => n / tokens.length;
      const parses = perRequest(counts.jsonParse);
      const checks = perRequest(counts.signatureChecks + counts.subtleVerifies);
      notes[name] = `${parses} parses, ${checks} signature checks, ${server.requests - fetchesBefore} key-set fetches per 20`;
      if (parses > maxParses) failures.push(`work › ${name}: ${parses} JSON parses per token (bound ${maxParses})`);
      if (checks > maxChecks) failures.push(`work › ${name}: ${checks} signature checks per token (bound ${maxChecks})`);
      if (name === 'valid, cached' && checks !== 0) failures.push(`work › ${name}: a cached token was checked again`);
      if (server.requests - fetchesBefore > 1) failures.push(`work › ${name}: ${server.requests - fetchesBefore} key-set fetches for 20 tokens`);
    }
  } finally {
    Date.now = real;
    await server.close();
  }
  return { name: 'work per bad token', cases, requests: 0, failures, stricter: {}, notes };
}
