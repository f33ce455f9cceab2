/**
 * The token battery: a few hundred hostile and edge-case tokens (encodings, JSON edge cases,
 * header contents, claim types, time edges, machine tokens), each sent through every entry that
 * takes a session token — `createClerkVerifier().verify()`, `clerkAuth()` behind
 * `Authorization: Bearer` on every Express, the Mastra provider's `authenticateToken()` — and
 * judged by Clerk's own `verifyToken` and `authenticateRequest`. Every entry must agree; an accept
 * where Clerk refuses is a failure; a refusal where Clerk accepts must name the manual's phrase that
 * says why; an accepted token must come out as exactly its payload (no prototype tricks), and no
 * answer may be a 5xx or a crash.
 */
import { createHmac, sign as signData } from 'node:crypto';
import { b64url, fakeSecretKey, makeKey, request, serve, sign, signRaw, startKeySet, type Key } from './kit';
import { clerkVerdict, clerkVerifyToken, type ClerkOptions, type Deps } from './harness';
import type { BatteryResult, LogSink } from './battery-types';

export const ISS = 'https://clerk.battery.example';
export const AZP = 'https://app.battery.example';
/** The battery's clock: a whole second (the skew edges are exact). */
export const NOW = 1_796_310_476_000;
const S = NOW / 1000;
/** A unique claim value that must never reach a log line. */
export const CLAIM_MARKER = 'claim-marker-7f3a9c';

/** One token to try. */
export interface TokenCase {
  readonly name: string;
  readonly token: string;
  /** Where Clerk accepts and we refuse: the manual's phrase that says why. */
  readonly stricter?: string;
  /** A sanity expectation, when the case is meant to be accepted or refused. */
  readonly expect?: 'accept' | 'refuse';
}

const STRICTER = {
  iss: 'equals the pinned issuer',
  sub: '`sub` is a non-empty string',
  time: 'compared as a number',
  iat: '`iat: 1e13`',
  duplicate: 'a header or payload repeating a member name is refused',
  crit: 'no `crit` header',
  utf8: 'a header that is not strict UTF-8',
  padding: 'no padding on any segment',
  length: 'a header segment of at most 512 characters',
  size: 'a token at most 16 KiB',
  rs256: 'Only RS256 is accepted',
  kid: '`kid`, when present, is a string',
} as const;

export function baseClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { azp: AZP, exp: S + 60, iat: S - 1, iss: ISS, nbf: S - 10, sid: 'sess_battery', sub: 'user_battery', marker: CLAIM_MARKER, ...overrides };
}

/**
 * The token cases, for `key` (the instance's) and `attacker` (another key). `keys`: how the
 * verifiers get the key (with a key set the `kid` chooses it; with `jwtKey` it is ignored, as in
 * Clerk's SDK).
 */
export function tokenCases(key: Key, attacker: Key, keys: 'jwtKey' | 'key set' = 'jwtKey'): TokenCase[] {
  const byKid = keys === 'key set';
  const header = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...extra });
  const good = (claims: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string => sign(key, strip(header(extra)), strip(baseClaims(claims)));
  const raw = (headerJson: string, payloadJson: string): string => signRaw(key, headerJson, payloadJson);
  const rawPayload = (payloadJson: string): string => raw(JSON.stringify(header()), payloadJson);
  const rawHeader = (headerJson: string): string => raw(headerJson, JSON.stringify(baseClaims()));
  const valid = good();
  const [h, p, sig] = valid.split('.') as [string, string, string];
  const cases: TokenCase[] = [];
  const add = (name: string, token: string, extra: Omit<TokenCase, 'name' | 'token'> = {}): void => void cases.push({ name, token, ...extra });

  // The reference token and its neighbours.
  add('a valid session token', valid, { expect: 'accept' });
  add('signed by another key under the right kid', sign(attacker, header(), baseClaims()), { expect: 'refuse' });
  add('signed by another key under its own kid', sign(attacker, { alg: 'RS256', kid: attacker.kid, typ: 'JWT' }, baseClaims()), { expect: 'refuse' });
  add('the payload of another token under this signature', `${h}.${b64url(JSON.stringify(baseClaims({ sub: 'user_admin' })))}.${sig}`, { expect: 'refuse' });
  add('the signature truncated by one character', `${h}.${p}.${sig.slice(0, -1)}`, { expect: 'refuse' });
  add('the signature with one byte flipped', `${h}.${p}.${flip(sig, 10)}`, { expect: 'refuse' });
  add('an empty signature', `${h}.${p}.`, { expect: 'refuse' });
  add('no signature segment', `${h}.${p}`, { expect: 'refuse' });
  add('four segments', `${valid}.${sig}`, { expect: 'refuse' });
  add('a trailing dot', `${valid}.`, { expect: 'refuse' });
  add('a leading dot', `.${valid}`, { expect: 'refuse' });
  add('the signature doubled', `${h}.${p}.${sig}${sig}`, { expect: 'refuse' });
  add('a 512-byte signature of zeros', `${h}.${p}.${b64url(Buffer.alloc(512))}`, { expect: 'refuse' });

  // Encodings: one spelling per token.
  for (const [label, index] of [
    ['header', 0],
    ['payload', 1],
    ['signature', 2],
  ] as const) {
    const parts = [h, p, sig];
    const segment = parts[index] as string;
    const respell = (next: string): string => parts.map((part, i) => (i === index ? next : part)).join('.');
    // Clerk's parser skips a trailing `=`; on the header or payload it changes what was signed.
    const padded = index === 2 ? { stricter: STRICTER.padding } : { expect: 'refuse' as const };
    add(`the ${label} padded with =`, respell(`${segment}${'='.repeat((4 - (segment.length % 4)) % 4 || 1)}`), padded);
    add(`the ${label} in standard base64 (+ and /)`, respell(segment.replace(/-/g, '+').replace(/_/g, '/')), segment.includes('-') || segment.includes('_') ? { expect: 'refuse' } : {});
    add(`the ${label} with a space inside`, respell(`${segment.slice(0, 5)} ${segment.slice(5)}`), { expect: 'refuse' });
    add(`the ${label} percent-encoded`, respell(`%${segment.charCodeAt(0).toString(16).toUpperCase()}${segment.slice(1)}`), { expect: 'refuse' });
    add(`the ${label} with a trailing =`, respell(`${segment}=`), padded);
    add(`the ${label} with an extra character (length 4n+1)`, respell(`${segment}A`), { expect: 'refuse' });
    add(`the ${label} empty`, respell(''), { expect: 'refuse' });
    add(`the ${label} with a NUL character`, respell(`${segment}\u0000`), { expect: 'refuse' });
    add(`the ${label} with a non-ASCII letter`, respell(`${segment.slice(0, -1)}é`), { expect: 'refuse' });
    add(`the ${label} in full-width characters`, respell([...segment.slice(0, 4)].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('') + segment.slice(4)), {
      expect: 'refuse',
    });
  }
  for (let bits = 1; bits < 16; bits++) {
    // The 256-byte signature ends on a 4n+2 segment: its last character carries 4 unused bits.
    const last = sig.charAt(sig.length - 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const other = alphabet.charAt(alphabet.indexOf(last) ^ bits);
    add(`another spelling of the signature (unused bits ${bits.toString(2).padStart(4, '0')})`, `${h}.${p}.${sig.slice(0, -1)}${other}`, { expect: 'refuse' });
  }

  // JSON edge cases in the payload.
  add('a payload repeating sub', rawPayload(JSON.stringify(baseClaims()).replace('{', '{"sub":"user_admin",')), { stricter: STRICTER.duplicate });
  add('a payload repeating sub, spelt with an escape', rawPayload(JSON.stringify(baseClaims()).replace('{', '{"\\u0073ub":"user_admin",')), { stricter: STRICTER.duplicate });
  add('a payload repeating azp in a nested object only', rawPayload(JSON.stringify(baseClaims({ o: { id: 'org_1' } })).replace('{"id":"org_1"}', '{"id":"org_1","id":"org_2"}')), {
    stricter: STRICTER.duplicate,
  });
  add('a payload repeating exp (a far one last)', rawPayload(JSON.stringify(baseClaims({ exp: S - 3600 })).replace('{', `{"exp":${S + 3600},`)), { expect: 'refuse' });
  add(
    'a payload with __proto__ holding org claims',
    rawPayload(
      JSON.stringify(baseClaims()).replace(
        '{',
        '{"__proto__":{"org_id":"org_evil","org_role":"org:admin","org_slug":"evil","org_permissions":["org:sys:manage"],"o":{"id":"org_evil","rol":"admin"},"v":2},',
      ),
    ),
    { expect: 'accept' },
  );
  add(
    'a payload with constructor and prototype members',
    rawPayload(JSON.stringify(baseClaims({ constructor: { prototype: { org_role: 'org:admin' } }, prototype: { org_role: 'org:admin' } }))),
    { expect: 'accept' },
  );
  add('a payload with toString and hasOwnProperty members', rawPayload(JSON.stringify(baseClaims({ toString: 'x', hasOwnProperty: 1, valueOf: null }))), { expect: 'accept' });
  add('a payload nested 1000 deep', rawPayload(JSON.stringify(baseClaims()).replace('{', `{"deep":${'['.repeat(1000)}${']'.repeat(1000)},`)), { expect: 'accept' });
  add('a payload nested 5000 deep (arrays)', rawPayload(JSON.stringify(baseClaims()).replace('{', `{"deep":${'['.repeat(5000)}${']'.repeat(5000)},`)), { expect: 'accept' });
  add('a payload nested 2500 objects deep (over 16 KiB of token)', rawPayload(JSON.stringify(baseClaims()).replace('{', `{"deep":${'{"a":'.repeat(2500)}0${'}'.repeat(2500)},`)), {
    stricter: STRICTER.size,
  });
  add('a payload of 1000 members', rawPayload(JSON.stringify(baseClaims(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`c${i}`, i]))))), { expect: 'accept' });
  add('a payload with a 10 KB string claim', good({ pad: 'x'.repeat(10_000) }), { expect: 'accept' });
  add('a payload just over 16 KiB of token', good({ pad: 'x'.repeat(12_500) }), { stricter: STRICTER.size });
  add('a payload with a byte-order mark', rawPayload(`\ufeff${JSON.stringify(baseClaims())}`), {});
  add('a payload with surrounding whitespace', rawPayload(` \n${JSON.stringify(baseClaims())}\t `), { expect: 'accept' });
  add('a payload with trailing text', rawPayload(`${JSON.stringify(baseClaims())}garbage`), { expect: 'refuse' });
  add('a payload with a trailing comma', rawPayload(JSON.stringify(baseClaims()).replace(/}$/, ',}')), { expect: 'refuse' });
  add('a payload with a comment', rawPayload(JSON.stringify(baseClaims()).replace('{', '{/*x*/')), { expect: 'refuse' });
  add('a payload in single quotes', rawPayload(JSON.stringify(baseClaims()).replace(/"/g, "'")), { expect: 'refuse' });
  add('a payload with NaN', rawPayload(JSON.stringify(baseClaims()).replace('{', '{"n":NaN,')), { expect: 'refuse' });
  add('a payload that is an array', rawPayload(JSON.stringify([baseClaims()])), { expect: 'refuse' });
  add('a payload that is a string', rawPayload(JSON.stringify(JSON.stringify(baseClaims()))), { expect: 'refuse' });
  add('a payload that is null', rawPayload('null'), { expect: 'refuse' });
  add('a payload that is a number', rawPayload(String(S + 60)), { expect: 'refuse' });
  add('a payload that is empty', rawPayload(''), { expect: 'refuse' });
  add(
    'a payload of invalid UTF-8 in a claim',
    signBytes(
      key,
      Buffer.from(JSON.stringify(header())),
      Buffer.concat([Buffer.from(JSON.stringify(baseClaims()).slice(0, -1)), Buffer.from(',"bad":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    ),
    {},
  );
  add('a payload with a lone surrogate escape', rawPayload(JSON.stringify(baseClaims()).replace('{', '{"s":"\\ud800",')), { expect: 'accept' });
  add('a payload with NUL in a claim', good({ nul: 'a\u0000b' }), { expect: 'accept' });
  add(
    'a payload with overlong UTF-8 for "/"',
    signBytes(
      key,
      Buffer.from(JSON.stringify(header())),
      Buffer.concat([Buffer.from(JSON.stringify(baseClaims()).slice(0, -1)), Buffer.from(',"p":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    ),
    {},
  );

  // Claim types.
  for (const [label, sub, stricter] of [
    ['sub empty', '', STRICTER.sub],
    ['sub a number', 42, undefined],
    ['sub an array', ['user_battery'], undefined],
    ['sub an object', { id: 'user_battery' }, undefined],
    ['sub null', null, undefined],
    ['sub missing', undefined, undefined],
    ['sub a space', ' ', undefined],
    ['sub of a machine (mch_)', 'mch_battery', undefined],
    ['sub with a NUL', 'user_battery\u0000admin', undefined],
  ] as const) {
    add(label, good({ sub }), stricter === undefined ? (label === 'sub a space' || label === 'sub with a NUL' ? {} : { expect: 'refuse' }) : { stricter });
  }
  for (const [label, azp] of [
    ['azp missing', undefined],
    ['azp empty', ''],
    ['azp another origin', 'https://evil.example'],
    ['azp with a trailing slash', `${AZP}/`],
    ['azp upper case', AZP.toUpperCase()],
    ['azp an array holding the party', [AZP]],
    ['azp a number', 1],
    ['azp the party with a path', `${AZP}/x`],
    ['azp with a NUL after the party', `${AZP}\u0000`],
  ] as const) {
    add(label, good({ azp }), { expect: 'refuse' });
  }
  for (const [label, iss] of [
    ['iss missing', undefined],
    ['iss another instance', 'https://clerk.evil.example'],
    ['iss with a trailing slash', `${ISS}/`],
    ['iss an array holding the issuer', [ISS]],
    ['iss http', ISS.replace('https', 'http')],
    ['iss upper case', ISS.toUpperCase()],
  ] as const) {
    add(label, good({ iss }), { stricter: STRICTER.iss });
  }

  // Time: exp, nbf, iat at and around the 5 s skew (the clock is a whole second).
  const times: [string, Record<string, unknown>, TokenCase['expect'] | 'time' | 'iat', string?][] = [
    ['exp exactly now - skew', { exp: S - 5 }, 'refuse'],
    ['exp one second inside the skew', { exp: S - 4 }, 'accept'],
    ['exp now', { exp: S }, 'accept'],
    ['exp fractional, truncated onto the edge', { exp: S - 4.999 }, 'refuse'],
    ['exp fractional, truncated inside', { exp: S - 3.5 }, 'accept'],
    ['exp fractional, just outside', { exp: S - 5.001 }, 'refuse'],
    ['exp -0', { exp: -0 }, 'refuse'],
    ['exp 0', { exp: 0 }, 'refuse'],
    ['exp negative', { exp: -1 }, 'refuse'],
    ['exp as a string', { exp: String(S + 60) }, 'refuse'],
    ['exp as a boolean', { exp: true }, 'refuse'],
    ['exp null', { exp: null }, 'refuse'],
    ['exp missing', { exp: undefined }, 'refuse'],
    ['exp an array', { exp: [S + 60] }, 'refuse'],
    ['exp far future (year 9999)', { exp: 253_402_300_799 }, 'accept'],
    ['exp beyond a Date (1e13)', { exp: 1e13 }, 'accept'],
    ['exp 1e300', { exp: 1e300 }, 'accept'],
    ['nbf exactly now + skew', { nbf: S + 5 }, 'accept'],
    ['nbf one second past the skew', { nbf: S + 6 }, 'refuse'],
    ['nbf fractional past the skew', { nbf: S + 5.5 }, 'accept'],
    ['nbf as a string', { nbf: String(S) }, 'refuse'],
    ['nbf null', { nbf: null }, 'refuse'],
    ['nbf beyond a Date (1e13)', { nbf: 1e13 }, 'time'],
    ['nbf -1e300', { nbf: -1e300 }, 'accept'],
    ['iat exactly now + skew', { iat: S + 5 }, 'accept'],
    ['iat one second past the skew', { iat: S + 6 }, 'refuse'],
    ['iat as a string', { iat: String(S) }, 'refuse'],
    ['iat beyond a Date (1e13)', { iat: 1e13 }, 'iat'],
    ['iat -1e300', { iat: -1e300 }, 'accept'],
    ['iat missing', { iat: undefined }, 'accept'],
    ['nbf missing', { nbf: undefined }, 'accept'],
  ];
  for (const [label, claims, expectation] of times) {
    const extra: Omit<TokenCase, 'name' | 'token'> =
      expectation === 'time' ? { stricter: STRICTER.time } : expectation === 'iat' ? { stricter: STRICTER.iat } : expectation === undefined ? {} : { expect: expectation };
    add(label, good(claims), extra);
  }
  // Exponent forms and huge literals, written by hand (JSON.stringify would normalise them).
  for (const [label, literal, extra] of [
    ['exp in exponent form (1.79631e9 + 60)', `${(S + 60) / 1e9}e9`, { expect: 'accept' }],
    ['exp with a plus sign exponent', `${(S + 60) / 1e9}E+9`, { expect: 'accept' }],
    ['exp with trailing zeros', `${S + 60}.000`, { expect: 'accept' }],
    ['exp 1e400 (Infinity)', '1e400', { stricter: STRICTER.time }],
    ['exp -1e400 (-Infinity)', '-1e400', { stricter: STRICTER.time }],
    ['exp with a leading zero', `0${S + 60}`, { expect: 'refuse' }],
    ['exp hexadecimal', `0x${(S + 60).toString(16)}`, { expect: 'refuse' }],
    ['exp with a leading plus', `+${S + 60}`, { expect: 'refuse' }],
  ] as const) {
    add(label, rawPayload(JSON.stringify(baseClaims({ exp: 0 })).replace('"exp":0', `"exp":${literal}`)), extra);
  }

  // Pending sessions and v2 claims.
  add('a pending session (sts pending)', good({ v: 2, sts: 'pending' }), { expect: 'refuse' });
  add('sts PENDING upper case', good({ v: 2, sts: 'PENDING' }), { expect: 'accept' });
  add('sts an array holding pending', good({ v: 2, sts: ['pending'] }), { expect: 'accept' });
  add('a v2 token with an active org', good({ v: 2, sts: 'active', o: { id: 'org_1', rol: 'admin', slg: 'acme', per: 'read', fpm: '1' }, fea: 'o:reports' }), { expect: 'accept' });

  // Header contents.
  // With jwtKey the kid chooses nothing (Clerk's jwtKey ignores it too); with a key set it must name the key.
  const kidOnly = byKid ? 'refuse' : 'accept';
  const kidType = byKid ? 'refuse' : STRICTER.kid;
  for (const [label, extra, expectation] of [
    ['no kid', { kid: undefined }, kidOnly],
    ['kid empty', { kid: '' }, kidOnly],
    ['kid of another instance', { kid: 'ins_other' }, kidOnly],
    ['kid "undefined"', { kid: 'undefined' }, kidOnly],
    ["kid of the key set's other key", { kid: 'ins_battery_second' }, byKid ? 'refuse' : 'accept'],
    ['kid upper case', { kid: key.kid.toUpperCase() }, kidOnly],
    ['kid with a trailing space', { kid: `${key.kid} ` }, kidOnly],
    ['kid a number', { kid: 1 }, kidType],
    ['kid null', { kid: null }, kidType],
    // Clerk's cache is a plain object: an array kid is read as its string, the key's own kid.
    ['kid an array', { kid: [key.kid] }, STRICTER.kid],
    ['kid an object', { kid: { toString: key.kid } }, 'refuse'],
    ['kid with a path', { kid: '../../etc/passwd' }, kidOnly],
    ['kid __proto__', { kid: '__proto__' }, kidOnly],
    ['kid constructor', { kid: 'constructor' }, kidOnly],
    ['typ missing', { typ: undefined }, 'accept'],
    ['typ jwt lower case', { typ: 'jwt' }, 'refuse'],
    ['typ JWS', { typ: 'JWS' }, 'refuse'],
    ['typ at+jwt (OAuth access token)', { typ: 'at+jwt' }, 'refuse'],
    ['typ application/at+jwt', { typ: 'application/at+jwt' }, 'refuse'],
    ['typ at+JWT', { typ: 'at+JWT' }, 'refuse'],
    ['typ a number', { typ: 1 }, 'refuse'],
    ['cat session', { cat: 'cl_B7d4PD111AAA' }, 'accept'],
    ['cat ignore', { cat: 'cl_I7d4PD111III' }, 'accept'],
    ['cat JWT template', { cat: 'cl_B7d4PD222AAA' }, 'refuse'],
    ['cat M2M', { cat: 'cl_B7d4PD333AAA' }, 'refuse'],
    ['cat unknown', { cat: 'cl_future' }, 'refuse'],
    ['cat null', { cat: null }, 'refuse'],
    ['cat empty', { cat: '' }, 'refuse'],
    ['crit b64', { crit: ['b64'], b64: true }, STRICTER.crit],
    ['crit exp', { crit: ['exp'] }, STRICTER.crit],
    ['crit empty', { crit: [] }, STRICTER.crit],
    ['b64 false without crit', { b64: false }, STRICTER.crit],
    ['jku pointing elsewhere', { jku: 'https://evil.example/jwks.json' }, 'accept'],
    ['x5u pointing elsewhere', { x5u: 'https://evil.example/cert.pem' }, 'accept'],
    ['an embedded jwk (the attacker key: over the 512-character cap)', { jwk: attacker.jwk }, STRICTER.length],
    ['an embedded small jwk', { jwk: { kty: 'oct', k: 'AAAA' } }, 'accept'],
    ['zip DEF', { zip: 'DEF' }, 'accept'],
    ['enc (a JWE header)', { enc: 'A256GCM' }, 'accept'],
    ['__proto__ in the header', undefined, 'accept'],
  ] as const) {
    const headerJson = extra === undefined ? JSON.stringify(header()).replace('{', '{"__proto__":{"alg":"none"},') : JSON.stringify(strip(header(extra)));
    const extraCase: Omit<TokenCase, 'name' | 'token'> = expectation === 'accept' || expectation === 'refuse' ? { expect: expectation } : { stricter: expectation };
    add(`header: ${label}`, rawHeader(headerJson), extraCase);
  }
  add('header: kid repeated (first the instance key, last another)', rawHeader(JSON.stringify(header()).replace('{', '{"kid":"ins_other",')), { stricter: STRICTER.duplicate });
  add(
    'header: alg repeated (none last)',
    rawHeader(JSON.stringify(header()).replace('{', '{"alg":"none",').replace('"alg":"RS256"', '"alg":"RS256","x":1').replace('"x":1', '"alg":"none"')),
    { expect: 'refuse' },
  );
  add('header: a byte-order mark', rawHeader(`\ufeff${JSON.stringify(header())}`), {});
  add(
    'header: invalid UTF-8 in a member',
    signBytes(
      key,
      Buffer.concat([Buffer.from(JSON.stringify(header()).slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xff]), Buffer.from('"}')]),
      Buffer.from(JSON.stringify(baseClaims())),
    ),
    { stricter: STRICTER.utf8 },
  );
  add('header: not JSON', rawHeader('alg=RS256'), { expect: 'refuse' });
  add('header: an array', rawHeader(JSON.stringify([header()])), { expect: 'refuse' });
  add('header: null', rawHeader('null'), { expect: 'refuse' });
  add('header: 56 extra members (at the 512-character cap)', rawHeader(JSON.stringify(atCap(header()))), { expect: 'accept' });
  add('header: one member past the 512-character cap', rawHeader(JSON.stringify({ ...atCap(header()), zz: 'zzzzzz' })), { stricter: STRICTER.length });
  add('header: 880 members (11 KB)', rawHeader(JSON.stringify(Object.assign(header(), Object.fromEntries(Array.from({ length: 880 }, (_, m) => [`m${m}`, 0]))))), {
    stricter: STRICTER.length,
  });
  for (const alg of ['none', 'None', 'NONE', 'HS256', 'RS384', 'RS512', 'PS256', 'ES256', 'EdDSA', 'rs256', 'RS256 ', '', 'dir']) {
    const token =
      alg === 'RS384' || alg === 'RS512'
        ? signRaw(key, JSON.stringify(header({ alg })), JSON.stringify(baseClaims()), alg === 'RS384' ? 'sha384' : 'sha512')
        : rawHeader(JSON.stringify(header({ alg })));
    add(`header: alg ${JSON.stringify(alg)}`, token, alg === 'RS384' || alg === 'RS512' ? {} : { expect: 'refuse' });
  }
  add('alg none with no signature', `${b64url(JSON.stringify(header({ alg: 'none' })))}.${p}.`, { expect: 'refuse' });
  add('HS256 keyed with the PEM public key', hmac(JSON.stringify(header({ alg: 'HS256' })), JSON.stringify(baseClaims()), key.pem), { expect: 'refuse' });
  add('HS256 keyed with the JWK n', hmac(JSON.stringify(header({ alg: 'HS256' })), JSON.stringify(baseClaims()), String(key.jwk['n'])), { expect: 'refuse' });

  // Opaque machine tokens, JWEs and other strings shaped like tokens.
  for (const token of [
    'mt_battery',
    'oat_battery',
    'ak_battery',
    'mt_',
    `mt_${valid}`,
    'sk_test_not_a_token',
    'null',
    'undefined',
    '[object Object]',
    'a.b.c',
    'eyJ.eyJ.eyJ',
    `${h}.${p}.${sig}.${sig}.${sig}`,
    'x'.repeat(16 * 1024 + 1),
  ]) {
    add(`the string ${JSON.stringify(token.length > 40 ? `${token.slice(0, 20)}…(${token.length})` : token)}`, token, { expect: 'refuse' });
  }
  return cases;
}

/** A header of ours plus as many 0-valued members as fit within 512 base64url characters. */
function atCap(header: Record<string, unknown>): Record<string, unknown> {
  const result = { ...header };
  for (let m = 0; ; m++) {
    const name = m.toString(36);
    result[name] = 0;
    if (b64url(JSON.stringify(result)).length > 512) {
      delete result[name];
      return result;
    }
  }
}

function strip(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function flip(segment: string, index: number): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return bytes.toString('base64url');
}

function signBytes(key: Key, headerBytes: Buffer, payloadBytes: Buffer): string {
  const input = `${headerBytes.toString('base64url')}.${payloadBytes.toString('base64url')}`;
  return `${input}.${signData('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function hmac(headerJson: string, payloadJson: string, secret: string): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Whether Node's HTTP client can send `value` as a header value. */
function sendable(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) && value.length < 15_000;
}

/**
 * Runs the token battery: every case through the verifier, every Express (Bearer header) and the
 * Mastra provider, against Clerk's verifyToken and authenticateRequest.
 */
export async function tokenBattery(deps: Deps, log: LogSink, keys: 'jwtKey' | 'key set' = 'jwtKey'): Promise<BatteryResult> {
  const { pkg } = deps;
  const key = makeKey('ins_battery');
  const attacker = makeKey('ins_attacker');
  const cases = tokenCases(key, attacker, keys);
  // With a key set, ours reads it at jwksUri and Clerk at <apiUrl>/v1/jwks of the same server.
  const keySet = keys === 'key set' ? await startKeySet([key.jwk, { ...makeKey('ins_battery_second').jwk }]) : null;
  const source = keySet === null ? { jwtKey: key.pem } : { jwksUri: `${keySet.origin}/v1/jwks` };
  const options = { ...source, issuer: ISS, authorizedParties: [AZP], env: {}, logger: log.logger() };
  const clerk: ClerkOptions =
    keySet === null ? { jwtKey: key.pem, authorizedParties: [AZP] } : { jwtKey: null, remote: { apiUrl: keySet.origin, secretKey: fakeSecretKey() }, authorizedParties: [AZP] };
  const verifier = pkg.createClerkVerifier(options);
  const mastra = pkg.createMastraAuthProvider({ verifier, backendClient: false });
  const failures: string[] = [];
  const stricter: Record<string, number> = {};
  let requests = 0;

  // One app per Express: the handler answers with req.user as JSON.
  const servers = await Promise.all(
    deps.express.map(async ([name, express]) => {
      const app = express();
      app.use(pkg.clerkAuth({ verifier }));
      app.use((req, res) => {
        const proto = Object.getPrototypeOf(req.user ?? {}) === Object.prototype;
        let body: string;
        try {
          body = JSON.stringify({ user: req.user ?? null, proto });
        } catch {
          // JSON.parse reads nesting that JSON.stringify cannot write back (5000-deep arrays).
          body = JSON.stringify({ user: null, proto, unserializable: true });
        }
        res.status(200).type('application/json').send(body);
      });
      app.use((error: unknown, _req: unknown, res: { status(code: number): { json(body: unknown): void } }, next: unknown) => {
        void next;
        res.status(500).json({ error: String(error) });
      });
      return { name, served: await serve(app, { maxHeaderSize: 64 * 1024 }) };
    }),
  );
  const real = Date.now;
  Date.now = () => NOW;
  try {
    for (const testCase of cases) {
      const where = `token "${testCase.name}"`;
      const verdicts: string[] = [];
      let ours: boolean | null = null;
      const agree = (entry: string, accepted: boolean): void => {
        verdicts.push(`${entry}=${accepted ? 'accept' : 'refuse'}`);
        if (ours === null) ours = accepted;
        else if (ours !== accepted) failures.push(`${where}: the entries disagree (${verdicts.join(', ')})`);
      };
      let claims: unknown = null;
      try {
        claims = await verifier.verify(testCase.token);
        agree('verify()', true);
      } catch (error) {
        if (!(error instanceof pkg.InvalidTokenError)) failures.push(`${where}: verify() threw ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`);
        agree('verify()', false);
      }
      try {
        const user = await mastra.authenticateToken(testCase.token, { headers: { authorization: `Bearer ${testCase.token}` } });
        agree('mastra', user !== null);
      } catch (error) {
        failures.push(`${where}: the Mastra provider threw ${String(error)}`);
      }
      if (sendable(testCase.token)) {
        for (const { name, served } of servers) {
          requests += 1;
          let answer;
          try {
            answer = await request(served.port, 'GET', '/api/me', [['authorization', `Bearer ${testCase.token}`]]);
          } catch (error) {
            failures.push(`${where}: ${name}: no HTTP answer (${String(error)})`);
            continue;
          }
          if (answer.status >= 500 || ![200, 400, 401].includes(answer.status)) failures.push(`${where}: ${name} answered ${answer.status}`);
          agree(name, answer.status === 200);
          if (answer.status === 200) {
            const body = JSON.parse(Buffer.from(answer.body, 'latin1').toString('utf8')) as { user: unknown; proto: boolean; unserializable?: true };
            if (!body.proto) failures.push(`${where}: ${name}: req.user does not have Object.prototype`);
            if (body.unserializable !== true && JSON.stringify(body.user) !== JSON.stringify(claims)) failures.push(`${where}: ${name}: req.user is not the verified claims`);
          }
        }
      }
      const accepted = ours === true;
      const byVerifyToken = await clerkVerifyToken(deps.clerk, testCase.token, clerk);
      const byRequest = sendable(testCase.token)
        ? await clerkVerdict(deps.clerk, new Request('http://localhost:3000/api/me', { headers: { authorization: `Bearer ${testCase.token}` } }), clerk)
        : byVerifyToken;
      const clerkAccepts = byVerifyToken.signedIn && byRequest.signedIn;
      if (accepted && !clerkAccepts) failures.push(`${where}: accepted, Clerk refuses (verifyToken: ${byVerifyToken.state}; authenticateRequest: ${byRequest.state})`);
      if (!accepted && clerkAccepts) {
        if (testCase.stricter === undefined) failures.push(`${where}: refused, Clerk accepts, and no phrase of the manual says why`);
        else stricter[testCase.stricter] = (stricter[testCase.stricter] ?? 0) + 1;
      }
      if (testCase.stricter !== undefined && (accepted || !clerkAccepts)) failures.push(`${where}: marked stricter, but ours=${accepted} Clerk=${clerkAccepts}`);
      if (testCase.expect !== undefined && (testCase.expect === 'accept') !== accepted) failures.push(`${where}: expected ${testCase.expect}, got ${accepted ? 'accept' : 'refuse'}`);
      if (accepted && claims !== null && typeof claims === 'object') {
        // Verified claims are a plain object with exactly the payload's own members.
        if (Object.getPrototypeOf(claims) !== Object.prototype) failures.push(`${where}: the claims do not have Object.prototype`);
        const auth = pkg.toAuth(claims as never);
        if (auth.orgId === 'org_evil' || (auth.has({ role: 'org:admin' }) && !JSON.stringify(claims).includes('"o":{"id":"org_1"'))) {
          failures.push(`${where}: the auth object sees an organization the token does not hold at top level`);
        }
      }
    }
    if (({} as Record<string, unknown>)['org_role'] !== undefined || ({} as Record<string, unknown>)['alg'] !== undefined) failures.push('Object.prototype was polluted');
  } finally {
    Date.now = real;
    await Promise.all(servers.map(({ served }) => served.close()));
    await keySet?.close();
  }
  return { name: `tokens (${keys})`, cases: cases.length, requests, failures, stricter };
}
