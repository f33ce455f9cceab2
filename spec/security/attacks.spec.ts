/**
 * The attack battery: every case is a request through a real Express app on 127.0.0.1, verifying
 * against a real JWKS server, and must get its documented status and code (never a 200, never a
 * 5xx). The logger captures everything said during the battery; the last test checks that none of
 * it holds a token, a key or the secret key.
 */
import { createHmac } from 'node:crypto';
import type { Express } from 'express';
import { clerkAuth, createClerkVerifier, InvalidTokenError, type ClerkLogEvent, type InvalidTokenReason } from '../../lib';
import { clerkTokenVerdicts, type ClerkTokenVerdict } from '../helpers/clerk-token-oracle';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { send, sendRaw, serve, type TestServer } from '../helpers/http-client';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server';
import { b64url, createTestKey, fakeSecretKey, mint, mintRaw, sessionClaims, type TestKey } from '../helpers/keys';
import { otherSpellings, paddedJson, signBytes, signSegments } from '../helpers/token-spelling';
import { readManual } from '../helpers/manual';

const PARTY = 'http://localhost:3000';
const SKEW_MS = 5000;

interface World {
  key: TestKey;
  attacker: TestKey;
  jwks: JwksServer;
  /** Serves the attacker's key; nothing may ever fetch it. */
  evil: JwksServer;
  /** A Backend API that refuses the secret key. */
  refusing: JwksServer;
  secretKey: string;
}
const world = {} as World;
const nowS = () => Math.floor(Date.now() / 1000);
const claims = (overrides: Record<string, unknown> = {}) => sessionClaims(world.jwks.origin, overrides);
const header = (overrides: Record<string, unknown> = {}) => JSON.stringify({ alg: 'RS256', kid: world.key.kid, typ: 'JWT', ...overrides });
const signed = (headerJson: string, payloadJson: string, key = world.key) => mintRaw(key, headerJson, payloadJson);
const valid = () => mint(world.key, claims());
const hmac = (secret: string | Buffer, headerJson = JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: world.key.kid })) => {
  const input = `${b64url(headerJson)}.${b64url(JSON.stringify(claims()))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
const swapSegment = (token: string, index: number, value: string) =>
  token
    .split('.')
    .map((part, i) => (i === index ? value : part))
    .join('.');
/** A JSON object's text from its members' text: `members('"a":1', …)`. */
const body = () => JSON.stringify(claims()).slice(1, -1);
const headerBody = () => header().slice(1, -1);
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
const opaque = (prefix: string) => `${prefix}${Buffer.from(`${Math.random()}`).toString('hex')}`;
/** A valid token, each segment re-spelled by `spell` (which must return canonical text for the others). */
const nonCanonical = (fields: Record<string, unknown>, segment: 0 | 1, remainder: 2 | 3) => {
  const h = b64url(segment === 0 ? paddedJson(JSON.parse(header()) as Record<string, unknown>, (n) => n % 4 === remainder) : header());
  const p = b64url(segment === 1 ? paddedJson(claims(fields), (n) => n % 4 === remainder) : JSON.stringify(claims(fields)));
  return segment === 0 ? signSegments(world.key, otherSpellings(h)[0] as string, p) : signSegments(world.key, h, otherSpellings(p)[0] as string);
};
/** An 11 KB header of 880 members (issue #11), under Node's 16 KiB header limit. */
const oversizedHeader = () => {
  const fields: Record<string, unknown> = JSON.parse(header()) as Record<string, unknown>;
  for (let m = 0; m < 880; m++) fields[`m${String(m).padStart(3, '0')}`] = 0;
  return JSON.stringify(fields);
};

beforeAll(async () => {
  [world.key, world.attacker] = await Promise.all([createTestKey('ins_battery'), createTestKey('ins_attacker')]);
  world.jwks = await startJwksServer([world.key.jwk]);
  world.evil = await startJwksServer([world.attacker.jwk]);
  world.refusing = await startJwksServer([]);
  world.refusing.behaviour = 'unauthorized';
  world.secretKey = fakeSecretKey();
});
afterAll(async () => {
  await world.jwks.close();
  await world.evil.close();
  await world.refusing.close();
});

/** A case: the Authorization value(s) to send, and what must come back. */
interface Attack {
  name: string;
  authorization: string | string[] | (() => Promise<string | string[]> | string | string[]);
  /** The token alone, for cases that send one token: what Clerk's verdict is compared on. */
  token?: () => Promise<string> | string;
  status: 400 | 401 | 431;
  code?: 'invalid_request' | 'missing_token' | 'invalid_token';
  reason?: InvalidTokenReason;
}

const bearer = (token: () => Promise<string> | string) => async () => `Bearer ${await token()}`;
const refused = (name: string, token: () => Promise<string> | string, reason: InvalidTokenReason): Attack => ({
  name,
  token,
  authorization: bearer(token),
  status: 401,
  code: 'invalid_token',
  reason,
});

const ATTACKS: Attack[] = [
  // Algorithms
  refused('alg none without a signature', () => `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims()))}.`, 'malformed'),
  refused('alg none with a signature', () => `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims()))}.c2lnbmF0dXJl`, 'invalid_algorithm'),
  refused('alg NONE', () => `${b64url('{"alg":"NONE"}')}.${b64url(JSON.stringify(claims()))}.c2ln`, 'invalid_algorithm'),
  refused('alg missing', () => signed(JSON.stringify({ kid: world.key.kid }), JSON.stringify(claims())), 'malformed'),
  refused('alg not a string', () => signed(header({ alg: ['RS256'] }), JSON.stringify(claims())), 'malformed'),
  refused('HS256 keyed with the PEM public key', () => hmac(world.key.pem), 'invalid_algorithm'),
  refused('HS256 keyed with the PEM public key, no kid', () => hmac(world.key.pem, '{"alg":"HS256","typ":"JWT"}'), 'invalid_algorithm'),
  refused('HS256 keyed with the JWK public key (JSON)', () => hmac(JSON.stringify(world.key.jwk)), 'invalid_algorithm'),
  refused('HS256 keyed with the JWK modulus', () => hmac(Buffer.from(world.key.jwk.n as string, 'base64url')), 'invalid_algorithm'),
  refused('RS384 by the right key', () => signed(header({ alg: 'RS384' }), JSON.stringify(claims())), 'invalid_algorithm'),
  // Tampering
  refused('a tampered payload', async () => swapSegment(await valid(), 1, b64url(JSON.stringify(claims({ sub: 'user_admin' })))), 'invalid_signature'),
  refused('a tampered header', async () => swapSegment(await valid(), 0, b64url(header({ typ: undefined, x: 1 }))), 'invalid_signature'),
  refused('a truncated signature', async () => (await valid()).slice(0, -6), 'invalid_signature'),
  refused('a truncated signature ending in unused bits set', async () => `${(await valid()).slice(0, -9)}B`, 'malformed'),
  refused('a signature cut to one character', async () => `${(await valid()).split('.').slice(0, 2).join('.')}.A`, 'malformed'),
  refused('a signature cut to two characters', async () => `${(await valid()).split('.').slice(0, 2).join('.')}.AA`, 'invalid_signature'),
  refused('an extended signature', async () => `${await valid()}AAAA`, 'invalid_signature'),
  refused('a signature from another token', async () => swapSegment(await valid(), 2, (await mint(world.key, claims({ sub: 'user_other' }))).split('.')[2] as string), 'invalid_signature'),
  // Keys and kid
  refused('another key under the right kid', () => mint(world.attacker, claims(), { kid: world.key.kid }), 'invalid_signature'),
  refused('a kid that points at nothing', () => mint(world.attacker, claims(), { kid: 'ins_nothing' }), 'unknown_key'),
  refused('a kid with ../', () => mint(world.attacker, claims(), { kid: '../../../../etc/passwd' }), 'unknown_key'),
  refused('a 4 KiB kid (a header over 512 characters)', () => mint(world.attacker, claims(), { kid: 'k'.repeat(4096) }), 'malformed'),
  refused('a 300-character kid (a header within 512 characters)', () => mint(world.attacker, claims(), { kid: 'k'.repeat(300) }), 'unknown_key'),
  refused('a numeric kid', () => signed(header({ kid: 7 }), JSON.stringify(claims()), world.attacker), 'invalid_header'),
  refused('an object kid', () => signed(header({ kid: { $ne: null } }), JSON.stringify(claims()), world.attacker), 'invalid_header'),
  refused('a null kid', () => signed(header({ kid: null }), JSON.stringify(claims()), world.attacker), 'invalid_header'),
  refused('jku at the attacker', () => mint(world.attacker, claims(), { kid: world.attacker.kid, jku: world.evil.jwksUri }), 'unknown_key'),
  refused('jku at the attacker under the right kid', () => mint(world.attacker, claims(), { kid: world.key.kid, jku: world.evil.jwksUri }), 'invalid_signature'),
  refused('x5u at the attacker', () => mint(world.attacker, claims(), { kid: world.attacker.kid, x5u: world.evil.jwksUri }), 'unknown_key'),
  refused('an embedded RSA jwk (a header over 512 characters)', () => mint(world.attacker, claims(), { kid: world.attacker.kid, jwk: world.attacker.jwk }), 'malformed'),
  refused('an embedded RSA jwk under the right kid', () => mint(world.attacker, claims(), { kid: world.key.kid, jwk: { ...world.attacker.jwk, kid: world.key.kid } }), 'malformed'),
  refused('an embedded jwk within 512 characters', () => mint(world.attacker, claims(), { kid: world.attacker.kid, jwk: { kty: 'oct', k: b64url('attacker secret') } }), 'unknown_key'),
  refused(
    'an embedded jwk within 512 characters, under the right kid',
    () => mint(world.attacker, claims(), { kid: world.key.kid, jwk: { kty: 'oct', k: b64url('attacker secret') } }),
    'invalid_signature',
  ),
  refused('an x5c chain', () => signed(header({ x5c: [b64url('not a certificate')] }), JSON.stringify(claims()), world.attacker), 'invalid_signature'),
  refused('crit naming exp', () => signed(header({ crit: ['exp'], exp: 1 }), JSON.stringify(claims())), 'invalid_header'),
  refused('crit naming b64 with b64 false', () => signed(header({ crit: ['b64'], b64: false }), JSON.stringify(claims())), 'invalid_header'),
  refused('crit naming an unknown extension', () => signed(header({ crit: ['urn:evil'], 'urn:evil': true }), JSON.stringify(claims())), 'invalid_header'),
  refused('an empty crit', () => signed(header({ crit: [] }), JSON.stringify(claims())), 'malformed'),
  refused('typ at+jwt (an OAuth access token)', () => mint(world.key, claims(), { typ: 'at+jwt' }), 'token_type_mismatch'),
  // Claims
  refused('expired beyond the skew', () => mint(world.key, claims({ exp: nowS() - 10 })), 'expired'),
  refused('nbf beyond the skew', () => mint(world.key, claims({ nbf: nowS() + 30 })), 'not_yet_valid'),
  refused('iat beyond the skew', () => mint(world.key, claims({ iat: nowS() + 30 })), 'issued_in_future'),
  refused('exp as a string', () => mint(world.key, claims({ exp: String(nowS() + 60) })), 'invalid_claims'),
  refused('no exp', () => mint(world.key, claims({ exp: undefined })), 'invalid_claims'),
  refused('a wrong iss', () => mint(world.key, claims({ iss: 'https://evil.clerk.accounts.dev' })), 'invalid_issuer'),
  refused('iss with a trailing slash', () => mint(world.key, claims({ iss: `${world.jwks.origin}/` })), 'invalid_issuer'),
  refused('no iss', () => mint(world.key, claims({ iss: undefined })), 'invalid_issuer'),
  refused('no azp', () => mint(world.key, claims({ azp: undefined })), 'invalid_authorized_party'),
  refused('a wrong azp', () => mint(world.key, claims({ azp: 'https://evil.example.com' })), 'invalid_authorized_party'),
  refused('azp as an array', () => mint(world.key, claims({ azp: [PARTY] })), 'invalid_authorized_party'),
  refused('no sub', () => mint(world.key, claims({ sub: undefined })), 'invalid_claims'),
  refused('an empty sub', () => mint(world.key, claims({ sub: '' })), 'invalid_claims'),
  refused('a numeric sub', () => mint(world.key, claims({ sub: 42 })), 'invalid_claims'),
  refused('an object sub', () => mint(world.key, claims({ sub: { id: 'user_2abc' } })), 'invalid_claims'),
  refused('a pending session', () => mint(world.key, claims({ v: 2, sts: 'pending' })), 'pending_session'),
  refused('a JWT-template token', () => mint(world.key, claims(), { cat: 'cl_B7d4PD222AAA' }), 'unsupported_category'),
  refused('a machine token', () => mint(world.key, claims(), { cat: 'cl_B7d4PD333AAA' }), 'token_type_mismatch'),
  // Parsing
  refused('a payload repeating sub', () => signed(header(), JSON.stringify(claims()).replace(/}$/, ',"sub":"user_admin"}')), 'malformed'),
  refused('a payload repeating sub (escaped name)', () => signed(header(), JSON.stringify(claims()).replace(/}$/, ',"s\\u0075b":"user_admin"}')), 'malformed'),
  refused('a nested object repeating a name', () => signed(header(), JSON.stringify(claims({ o: { id: 'org_1' } })).replace('"id":"org_1"', '"id":"org_1","id":"org_2"')), 'malformed'),
  refused('a header repeating alg', () => signed(`{"alg":"none","kid":"${world.key.kid}","alg":"RS256"}`, JSON.stringify(claims())), 'malformed'),
  refused('a payload that is not JSON', () => signed(header(), 'sub=user_admin'), 'malformed'),
  refused('a payload that is an array', () => signed(header(), '[{"sub":"user_admin"}]'), 'malformed'),
  refused('a payload that is a string', () => signed(header(), '"user_admin"'), 'malformed'),
  refused('a payload that is null', () => signed(header(), 'null'), 'malformed'),
  refused('a header that is not JSON', () => signed('alg=RS256', JSON.stringify(claims())), 'malformed'),
  refused('a header that is an array', () => signed('["RS256"]', JSON.stringify(claims())), 'malformed'),
  refused('a payload over 16 KiB', () => signed(header(), JSON.stringify(claims({ pad: 'x'.repeat(13_000) }))), 'malformed'),
  refused(
    'base64 (not base64url) characters',
    async () =>
      (await valid())
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .replace(/\.([^.]*)$/, '.$1+/=='),
    'malformed',
  ),
  refused('padding', async () => swapSegment(await valid(), 1, `${(await valid()).split('.')[1] as string}==`), 'malformed'),
  refused('a percent-encoded token', async () => encodeURIComponent(`${await valid()}=`), 'malformed'),
  refused('latin-1 characters', async () => `${await valid()}é`, 'malformed'),
  refused('no dots', () => 'eyJhbGciOiJSUzI1NiJ9', 'malformed'),
  refused('one dot', async () => (await valid()).split('.').slice(0, 2).join('.'), 'malformed'),
  refused('an empty payload', async () => swapSegment(await valid(), 1, ''), 'malformed'),
  refused('four parts', async () => `${await valid()}.AAAA`, 'malformed'),
  refused('five parts (JWE)', () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.ZW5j.aXY.Y2lwaGVy.dGFn', 'malformed'),
  refused('six dots', async () => `${await valid()}...`, 'malformed'),
  refused('a leading dot', async () => `.${await valid()}`, 'malformed'),
  refused('a trailing dot', async () => `${await valid()}.`, 'malformed'),
  refused('only dots', () => '..', 'malformed'),
  refused('empty segments around a payload', async () => `.${(await valid()).split('.')[1] as string}.`, 'malformed'),
  // One spelling per token (issue #11): the bits a last character carries beyond the bytes are zero.
  refused('the signature with its unused bits set', async () => swapSegment(await valid(), 2, otherSpellings((await valid()).split('.')[2] as string)[0] as string), 'malformed'),
  refused('the signature with its last unused bit set', async () => swapSegment(await valid(), 2, otherSpellings((await valid()).split('.')[2] as string)[14] as string), 'malformed'),
  refused('a payload (4n+2) with unused bits set, signed as sent', () => nonCanonical({}, 1, 2), 'malformed'),
  refused('a payload (4n+3) with unused bits set, signed as sent', () => nonCanonical({}, 1, 3), 'malformed'),
  refused('a header (4n+2) with unused bits set, signed as sent', () => nonCanonical({}, 0, 2), 'malformed'),
  refused('a header (4n+3) with unused bits set, signed as sent', () => nonCanonical({}, 0, 3), 'malformed'),
  refused('a padded signature', async () => `${await valid()}==`, 'malformed'),
  refused('a signature of length 4n+1', async () => `${await valid()}AAA`, 'malformed'),
  // Machine tokens on a session route (issue #11): Clerk's token-type-mismatch.
  refused('an opaque M2M token (mt_)', () => opaque('mt_'), 'token_type_mismatch'),
  refused('an opaque OAuth access token (oat_)', () => opaque('oat_'), 'token_type_mismatch'),
  refused('an API key (ak_)', () => opaque('ak_'), 'token_type_mismatch'),
  refused('an M2M JWT (sub mch_…) signed by the instance', () => mint(world.key, claims({ sub: 'mch_2xyz', sid: undefined })), 'token_type_mismatch'),
  refused('an M2M JWT whose sub is spelled with escapes', () => signed(header(), `{${body().replace('"sub":"user_2abc"', '"s\\u0075b":"\\u006dch_2xyz"')}}`), 'token_type_mismatch'),
  refused('a forged M2M JWT (its sub is not read)', () => mint(world.attacker, claims({ sub: 'mch_2xyz' }), { kid: world.key.kid }), 'invalid_signature'),
  refused('an OAuth JWT (typ application/at+jwt)', () => mint(world.key, claims(), { typ: 'application/at+jwt' }), 'token_type_mismatch'),
  // Bounded work (issue #11): the header segment is capped before it is decoded.
  refused(
    'a header of 513 to 516 characters, signed by the instance',
    () => signSegments(world.key, b64url(paddedJson(JSON.parse(header()) as Record<string, unknown>, (n) => n > 512 && n % 4 !== 1)), b64url(JSON.stringify(claims()))),
    'malformed',
  ),
  refused('an 11 KB header of 880 members (forged)', () => signed(oversizedHeader(), JSON.stringify(claims()), world.attacker), 'malformed'),
  // JSON and UTF-8 edge cases in the header
  refused('a header that is not strict UTF-8 (overlong NUL)', () => signBytes(world.key, bytes(`{${headerBody()},"x":"`, [0xc0, 0x80], '"}'), bytes(JSON.stringify(claims()))), 'malformed'),
  refused('a header with an encoded surrogate (CESU-8)', () => signBytes(world.key, bytes(`{${headerBody()},"x":"`, [0xed, 0xa0, 0x80], '"}'), bytes(JSON.stringify(claims()))), 'malformed'),
  refused('a header with a raw NUL byte in a string', () => signBytes(world.key, bytes(`{${headerBody()},"x":"`, [0], '"}'), bytes(JSON.stringify(claims()))), 'malformed'),
  refused('a header with trailing text', () => signed(`${header()}x`, JSON.stringify(claims())), 'malformed'),
  refused('a header with a trailing comma', () => signed(`{${headerBody()},}`, JSON.stringify(claims())), 'malformed'),
  refused('a header in single quotes', () => signed(header().replace(/"/g, "'"), JSON.stringify(claims())), 'malformed'),
  refused('a header whose alg is hidden under __proto__', () => signed(`{"kid":"${world.key.kid}","__proto__":{"alg":"RS256"}}`, JSON.stringify(claims())), 'malformed'),
  refused('a header repeating kid', () => signed(`{${headerBody()},"kid":"ins_nothing"}`, JSON.stringify(claims())), 'malformed'),
  refused('a header repeating cat (machine, then session)', () => signed(`{${headerBody()},"cat":"cl_B7d4PD333AAA","cat":"cl_B7d4PD111AAA"}`, JSON.stringify(claims())), 'malformed'),
  // JSON and UTF-8 edge cases in the payload
  refused(
    'a payload whose sub hides under __proto__',
    () => signed(header(), JSON.stringify(claims({ sub: undefined })).replace(/}$/, ',"__proto__":{"sub":"user_admin"}}')),
    'invalid_claims',
  ),
  refused('a payload with exp 1e400 (Infinity)', () => signed(header(), JSON.stringify(claims({ exp: undefined })).replace(/}$/, ',"exp":1e400}')), 'invalid_claims'),
  refused('a payload with exp -1e400', () => signed(header(), JSON.stringify(claims({ exp: undefined })).replace(/}$/, ',"exp":-1e400}')), 'invalid_claims'),
  refused('a payload with trailing text', () => signed(header(), `${JSON.stringify(claims())}x`), 'malformed'),
  refused('a payload with a raw NUL byte in a string', () => signBytes(world.key, bytes(header()), bytes(`{${body()},"x":"`, [0], '"}')), 'malformed'),
  refused('a payload with a trailing comma', () => signed(header(), `{${body()},}`), 'malformed'),
  refused('a payload repeating exp (the last one expired)', () => signed(header(), `{${body()},"exp":1}`), 'malformed'),
  // kid edge cases (signed by the attacker: only the instance's key may ever verify)
  refused('an empty kid', () => mint(world.attacker, claims(), { kid: '' }), 'unknown_key'),
  refused('a kid of __proto__', () => mint(world.attacker, claims(), { kid: '__proto__' }), 'unknown_key'),
  refused('a kid of constructor', () => mint(world.attacker, claims(), { kid: 'constructor' }), 'unknown_key'),
  refused('a kid with a NUL', () => mint(world.attacker, claims(), { kid: `${world.key.kid}\u0000` }), 'unknown_key'),
  refused('a kid that is a lone surrogate', () => mint(world.attacker, claims(), { kid: '\ud800' }), 'unknown_key'),
  refused('the right kid with a different case', () => mint(world.attacker, claims(), { kid: world.key.kid.toUpperCase() }), 'unknown_key'),
  refused(
    'the right kid spelled with escapes, another key',
    () => signed(header().replace(world.key.kid, world.key.kid.replace('b', '\\u0062')), JSON.stringify(claims()), world.attacker),
    'invalid_signature',
  ),
  // The Authorization header itself
  {
    name: 'a repeated Authorization header (valid then forged)',
    authorization: async () => [`Bearer ${await valid()}`, `Bearer ${await mint(world.attacker, claims())}`],
    status: 400,
    code: 'invalid_request',
  },
  { name: 'a repeated Authorization header (both valid)', authorization: async () => [`Bearer ${await valid()}`, `Bearer ${await valid()}`], status: 400, code: 'invalid_request' },
  { name: 'Bearer twice', authorization: async () => `Bearer Bearer ${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'two tokens', authorization: async () => `Bearer ${await valid()} ${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'a comma after Bearer', authorization: async () => `Bearer,${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'Bearer without a token', authorization: 'Bearer   ', status: 400, code: 'invalid_request' },
  { name: 'a tab inside the token', authorization: async () => `Bearer ${(await valid()).replace('.', '.\t')}`, status: 400, code: 'invalid_request' },
  { name: 'a no-break space after Bearer', authorization: async () => `Bearer\u00a0${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'a lower-case scheme with a valid token', authorization: async () => `bearer ${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'an upper-case scheme with a valid token', authorization: async () => `BEARER ${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'two spaces after Bearer, a valid token', authorization: async () => `Bearer  ${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'a tab after Bearer, a valid token', authorization: async () => `Bearer\t${await valid()}`, status: 400, code: 'invalid_request' },
  { name: 'a valid token and a no-break space (0xA0)', authorization: async () => `Bearer ${await valid()}\u00a0`, status: 400, code: 'invalid_request' },
  {
    name: 'a lower-case scheme with a forged token',
    authorization: async () => `bearer ${await mint(world.attacker, claims(), { kid: world.key.kid })}`,
    status: 400,
    code: 'invalid_request',
  },
  { name: 'a lower-case scheme with garbage', authorization: 'bearer garbage', status: 400, code: 'invalid_request' },
  {
    name: 'tabs around a forged token',
    authorization: async () => `\tBearer ${await mint(world.attacker, claims(), { kid: world.key.kid })}\t`,
    status: 401,
    code: 'invalid_token',
    reason: 'invalid_signature',
  },
  { name: 'Basic credentials', authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`, status: 401, code: 'missing_token' },
  { name: 'a token without a scheme', authorization: async () => valid(), status: 401, code: 'missing_token' },
  { name: 'an empty header', authorization: '', status: 401, code: 'missing_token' },
  { name: 'a 16 KiB token of garbage (past MAX_TOKEN_LENGTH)', authorization: `Bearer ${'a'.repeat(16 * 1024 + 1)}`, status: 401, code: 'invalid_token', reason: 'malformed' },
  { name: 'a 16 KiB token-shaped value', authorization: `Bearer ${'a'.repeat(8000)}.${'b'.repeat(8000)}.${'c'.repeat(384)}`, status: 401, code: 'invalid_token', reason: 'malformed' },
];

/** Header bytes Node's client will not send: they go over a raw socket, and Node's parser answers. */
const RAW_ATTACKS: { name: string; lines: () => Promise<string>; status: number }[] = [
  { name: 'a NUL byte in the token', lines: async () => `Authorization: Bearer ${(await valid()).replace('.', '.\0')}\r\n`, status: 400 },
  { name: 'a carriage return splitting the header', lines: async () => `Authorization: Bearer ${(await valid()).replace('.', '.\r')}\r\n`, status: 400 },
  { name: 'a vertical tab in the token', lines: async () => `Authorization: Bearer ${(await valid()).replace('.', '.\x0b')}\r\n`, status: 400 },
  { name: 'an escape character', lines: async () => `Authorization: Bearer \x1b[31m${await valid()}\r\n`, status: 400 },
  { name: 'a DEL character', lines: async () => `Authorization: Bearer ${await valid()}\x7f\r\n`, status: 400 },
  { name: 'obsolete line folding', lines: async () => `Authorization: Bearer\r\n ${await valid()}\r\n`, status: 400 },
  { name: 'a lower-case header name, then the same header again', lines: async () => `authorization: Bearer ${await valid()}\r\nAUTHORIZATION: Bearer forged.x.y\r\n`, status: 400 },
];

/**
 * Edge cases that are valid tokens (signed by the instance, Clerk accepts them): accepted, with the
 * claims the token holds and no other (a `__proto__` member stays an ordinary claim).
 */
const ACCEPTED: { name: string; token: () => Promise<string> | string }[] = [
  { name: 'a header with a UTF-8 BOM', token: () => signBytes(world.key, bytes([0xef, 0xbb, 0xbf], header()), bytes(JSON.stringify(claims()))) },
  { name: 'a payload with a UTF-8 BOM', token: () => signBytes(world.key, bytes(header()), bytes([0xef, 0xbb, 0xbf], JSON.stringify(claims()))) },
  { name: 'whitespace around and inside the header and payload', token: () => signed(`\n\t{ ${headerBody().replace(/,/g, ' ,\r\n ')} } `, ` { ${body().replace(/,/g, ' , ')} }\n`) },
  { name: 'a header with a __proto__ member holding alg none', token: () => signed(`{${headerBody()},"__proto__":{"alg":"none","kid":"x"}}`, JSON.stringify(claims())) },
  { name: 'a header with huge numbers', token: () => signed(`{${headerBody()},"n":1e400,"m":123456789012345678901234567890}`, JSON.stringify(claims())) },
  { name: 'a header nested 100 deep', token: () => signed(`{${headerBody()},"x":${'['.repeat(100)}${']'.repeat(100)}}`, JSON.stringify(claims())) },
  { name: 'a header with a lone surrogate and a NUL escape', token: () => signed(`{${headerBody()},"x":"\\ud800\\u0000"}`, JSON.stringify(claims())) },
  {
    name: 'member names and values spelled with escapes',
    token: () => signed(`{"\\u0061lg":"RS\\u0032\\u0035\\u0036","kid":"${world.key.kid.replace('b', '\\u0062')}"}`, `{${body().replace('"sub"', '"\\u0073ub"')}}`),
  },
  {
    name: 'a header of exactly 512 characters',
    token: () => signSegments(world.key, b64url(paddedJson(JSON.parse(header()) as Record<string, unknown>, (n) => n === 512)), b64url(JSON.stringify(claims()))),
  },
  { name: 'a payload with a __proto__ member holding sub and org_role', token: () => signed(header(), `{${body()},"__proto__":{"sub":"user_admin","org_role":"org:admin"}}`) },
  { name: 'a payload nested 5000 deep', token: () => signed(header(), `{${body()},"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`) },
  { name: 'a payload with lone surrogates and NUL escapes in claims', token: () => signed(header(), `{${body()},"s":"\\udfff\\ud800","nul":"a\\u0000b","\\u0000":1}`) },
  {
    name: 'a payload with bytes that are not UTF-8 in a claim (read leniently, as Clerk does)',
    token: () => signBytes(world.key, bytes(header()), bytes(`{${body()},"x":"`, [0xff, 0xc0, 0x80], '"}')),
  },
  { name: 'a payload with huge numbers in claims', token: () => signed(header(), `{${body()},"n":1e400,"big":123456789012345678901234567890}`) },
  {
    name: 'a token of exactly 16 KiB',
    token: () => {
      // base64url lengths skip 4n+1: try a few header lengths until the payload can fill the rest.
      for (let extra = 0; extra < 4; extra++) {
        const h = b64url(header(extra === 0 ? {} : { x: 'x'.repeat(extra) }));
        const wanted = 16 * 1024 - h.length - 344;
        if (wanted % 4 === 1) continue;
        const from = Math.floor((wanted * 3) / 4) - JSON.stringify(claims()).length - 20;
        return signSegments(world.key, h, b64url(paddedJson(claims(), (n) => n === wanted, from)));
      }
      throw new Error('no 16 KiB token');
    },
  },
];

/**
 * Where this package refuses a token Clerk's SDK accepts on both entries (`verifyToken` and
 * `authenticateRequest`): each case, and the words of the manual (docs/security.md, "Stricter than Clerk") that say why.
 */
const STRICTER_THAN_CLERK: Record<string, string> = {
  'crit naming exp': 'no `crit`',
  'crit naming b64 with b64 false': 'no `crit`',
  'crit naming an unknown extension': 'no `crit`',
  'an empty crit': 'no `crit`',
  'a wrong iss': '`iss` equals the pinned issuer',
  'iss with a trailing slash': '`iss` equals the pinned issuer',
  'no iss': '`iss` equals the pinned issuer',
  'an empty sub': '`sub` is a non-empty string',
  'a pending session': '`sts: "pending"`',
  'a payload repeating sub': 'repeating a member name',
  'a payload repeating sub (escaped name)': 'repeating a member name',
  'a nested object repeating a name': 'repeating a member name',
  'a header repeating alg': 'repeating a member name',
  'a header repeating kid': 'repeating a member name',
  'a header repeating cat (machine, then session)': 'repeating a member name',
  'a payload over 16 KiB': 'at most 16 KiB',
  'a padded signature': 'no padding',
  'a header of 513 to 516 characters, signed by the instance': 'a header segment of at most 512 characters',
  'a header that is not strict UTF-8 (overlong NUL)': 'strict UTF-8',
  'a header with an encoded surrogate (CESU-8)': 'strict UTF-8',
  'a payload with exp 1e400 (Infinity)': 'every time claim is a finite number',
  'a payload with exp -1e400': 'every time claim is a finite number',
};

describe.each(EXPRESS_VERSIONS)('attack battery on %s', (_, express) => {
  const warnings: string[] = [];
  const events: ClerkLogEvent[] = [];
  const sent: string[] = [];
  let server: TestServer;
  let defaultServer: TestServer;
  let outage: TestServer;
  let requestNumber = 0;
  let fetchesBefore = 0;

  function appWith(options: Parameters<typeof clerkAuth>[0]): Express {
    const app = express();
    app.use('/api', clerkAuth({ env: {}, authorizedParties: [PARTY], logger: { warn: (line) => void warnings.push(line), event: (event) => void events.push(event) }, ...options }));
    app.get('/api/me', (req, res) => {
      res.json({ sub: req.user?.sub });
    });
    return app;
  }

  beforeAll(async () => {
    fetchesBefore = world.jwks.requests;
    // The secret key is sent to the key set (Backend API mode), so it is in the process to leak.
    const app = appWith({ secretKey: world.secretKey, apiUrl: world.jwks.origin, issuer: world.jwks.origin, jwksCooldownInMs: 60_000 });
    server = await serve(app, { maxHeaderSize: 64 * 1024 });
    defaultServer = await serve(app);
    // A second app whose key set refuses the secret key: 503s and warn lines for the log check.
    outage = await serve(appWith({ secretKey: world.secretKey, apiUrl: world.refusing.origin, issuer: world.jwks.origin }));
  });
  afterAll(async () => {
    await Promise.all([server.close(), defaultServer.close(), outage.close()]);
  });

  async function attack(authorization: string | string[], port = server.port) {
    const requestId = `battery-${++requestNumber}`;
    const values = Array.isArray(authorization) ? authorization : [authorization];
    sent.push(...values);
    const answer = await send(port, '/api/me', [['x-request-id', requestId], ...values.map((value): [string, string] => ['authorization', value])]);
    const event = events.find((candidate) => candidate.type === 'request_refused' && candidate.requestId === requestId);
    return { ...answer, event };
  }

  it.each(ATTACKS.map((attackCase) => [attackCase.name, attackCase] as const))('refuses %s', async (_name, { authorization, status, code, reason }) => {
    const value = typeof authorization === 'function' ? await authorization() : authorization;
    const answer = await attack(value);
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body) as { error: string };
    expect(body.error).toBe(code);
    expect(answer.event).toMatchObject({ type: 'request_refused', name: 'clerk', code, status });
    expect(answer.event?.type === 'request_refused' ? answer.event.reason : undefined).toBe(reason);
  });

  it.each(ACCEPTED.map((edge) => [edge.name, edge] as const))('accepts %s, with its own claims', async (_name, { token }) => {
    const answer = await attack(`Bearer ${await token()}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ sub: 'user_2abc' });
  });

  it.each(RAW_ATTACKS.map((raw) => [raw.name, raw] as const))('refuses %s (Node answers before the app)', async (_name, { lines, status }) => {
    const text = await lines();
    sent.push(text);
    expect(await sendRaw(server.port, '/api/me', text)).toBe(status);
  });

  it('never fetched a key from a header, and fetched the key set once', () => {
    expect(world.evil.requests).toBe(0);
    // Made-up kids within the cooldown cost no fetch: one per verifier.
    expect(world.jwks.requests - fetchesBefore).toBe(1);
  });

  it('lets Node answer 431 to a 16 KiB Authorization header on a default server', async () => {
    const value = `Bearer ${'a'.repeat(16 * 1024)}`;
    sent.push(value);
    expect((await send(defaultServer.port, '/api/me', [['authorization', value]])).status).toBe(431);
  });

  it('accepts exp, nbf and iat just inside the skew, and the documented spellings of the header', async () => {
    const now = Date.now();
    // 2 s inside a 5 s skew: generous on a loaded machine.
    const edge = Math.floor((now - SKEW_MS + 2000) / 1000);
    const future = Math.floor((now + SKEW_MS - 2000) / 1000);
    for (const overrides of [{ exp: edge }, { nbf: future }, { iat: future }]) {
      const token = await mint(world.key, claims(overrides));
      expect((await attack(`Bearer ${token}`)).status).toBe(200);
    }
    const token = await valid();
    // Node strips the spaces and tabs around a header value; Clerk reads nothing else.
    for (const value of [`\tBearer ${token}\t`, `  Bearer ${token}  `]) {
      expect((await attack(value)).status).toBe(200);
    }
  });

  it('answers 503 (never 401) while the key set refuses the secret key, with one warn line', async () => {
    for (let i = 0; i < 5; i++) expect((await attack(`Bearer ${await valid()}`, outage.port)).status).toBe(503);
    expect(warnings.filter((line) => line.includes(world.refusing.origin))).toHaveLength(1);
    expect(events.filter((event) => event.type === 'jwks_failed')).toHaveLength(1);
  });

  it('never put a token, a key or the secret key in a log line or event', () => {
    const logged = [...warnings, ...events.map((event) => JSON.stringify(event))].join('\n');
    expect(events.length).toBeGreaterThan(ATTACKS.length);
    const secrets = [
      world.secretKey,
      world.secretKey.slice('sk_test_'.length),
      world.key.jwk.n as string,
      (world.key.jwk.n as string).slice(0, 40),
      world.attacker.jwk.n as string,
      ...world.key.pem.split('\n').filter((line) => line.length > 40),
    ];
    for (const value of sent) {
      const token = value.replace(/^\s*bearer\s*/i, '').trim();
      if (token.length >= 16) secrets.push(token);
      for (const segment of token.split('.')) if (segment.length >= 16) secrets.push(segment);
    }
    for (const secret of secrets) expect(logged).not.toContain(secret);
    expect(logged).not.toMatch(/eyJ/);
  });
});

describe('the battery against Clerk (verifyToken and authenticateRequest, networkless with jwtKey)', () => {
  // Clerk's SDK ignores kid with jwtKey: so does ours, so that the comparison is of the rules alone.
  const ours = () => createClerkVerifier({ env: {}, logger: false, authorizedParties: [PARTY], jwtKey: world.key.pem, issuer: world.jwks.origin, tokenCacheSize: 0 });
  const oracle = () => ({ jwtKey: world.key.pem, authorizedParties: [PARTY] });
  const verdict = (outcome: ClerkTokenVerdict) => (outcome.accepted ? 'accepted' : outcome.reason);

  it('accepts no token Clerk refuses', async () => {
    const verifier = ours();
    for (const { name, token: make } of ACCEPTED) {
      const token = await make();
      const clerk = await clerkTokenVerdicts(token, oracle());
      expect({ name, ours: await verifier.verify(token).then(() => 'accepted'), clerk: [verdict(clerk.verifyToken), verdict(clerk.authenticateRequest)] }).toEqual({
        name,
        ours: 'accepted',
        clerk: ['accepted', 'accepted'],
      });
    }
  });

  it('refuses a token Clerk accepts only where the manual says why', async () => {
    const verifier = ours();
    const readme = readManual();
    const stricter: string[] = [];
    for (const { name, token: make } of ATTACKS) {
      if (make === undefined) continue;
      const token = await make();
      const outcome = await verifier.verify(token).then(
        () => 'accepted',
        (error: unknown) => (error instanceof InvalidTokenError ? error.reason : String(error)),
      );
      const clerk = await clerkTokenVerdicts(token, oracle());
      // Clerk refuses on either entry: we must refuse too (the battery checks the reason over HTTP).
      if (!clerk.verifyToken.accepted || !clerk.authenticateRequest.accepted) {
        expect({ name, outcome }).not.toEqual({ name, outcome: 'accepted' });
        continue;
      }
      stricter.push(name);
      expect({ name, outcome }).not.toEqual({ name, outcome: 'accepted' });
      expect({ name, documented: STRICTER_THAN_CLERK[name] !== undefined && readme.includes(STRICTER_THAN_CLERK[name]) }).toEqual({ name, documented: true });
    }
    // The list holds nothing Clerk refuses anyway: each entry is a real difference.
    expect(stricter.sort()).toEqual(Object.keys(STRICTER_THAN_CLERK).sort());
  });
});
