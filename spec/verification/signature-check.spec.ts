import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import type { ClerkVerifierOptions } from '../../lib/verification/verifier-options';
import { ClerkAuthError } from '../../lib/shared/errors';
import { createVerifier, type ClerkVerifier } from '../../lib/verification/verify-token';
import { joseSignatureCheck } from '../helpers/jose-signature-check';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { b64url, mint, mintRaw } from '../helpers/keys';

// The node:crypto fast path must never change a verdict: every token of the corpus gets the same
// answer (the same claims, or the same error class, reason and status) as with jose alone.

const jwks = useJwksFixture();
const { claims } = jwks;

type Outcome = string;

async function outcome(verifier: ClerkVerifier, token: string): Promise<Outcome> {
  try {
    const claims = await verifier.verify(token);
    try {
      return `accepted ${JSON.stringify(claims)}`;
    } catch {
      // Claims nested deeper than JSON.stringify's stack allows: their names stand for them.
      return `accepted deep ${JSON.stringify(Object.keys(claims))}`;
    }
  } catch (error) {
    if (!(error instanceof ClerkAuthError)) return `crashed ${String(error)}`;
    return `${error.name} ${error.status} ${'reason' in error ? String(error.reason) : ''} ${error.message}`;
  }
}

/** Both verifiers, without the token cache so that every token goes through the signature check. */
function verifiers(options: ClerkVerifierOptions = {}) {
  const shared: ClerkVerifierOptions = {
    jwksUri: jwks.server.jwksUri,
    env: {},
    logger: false,
    tokenCacheSize: 0,
    authorizedParties: ['http://localhost:3000'],
    ...options,
  };
  return { node: createVerifier(shared), jose: createVerifier(shared, joseSignatureCheck) };
}

async function compare(tokens: string[], options: ClerkVerifierOptions = {}): Promise<Set<Outcome>> {
  const { node, jose } = verifiers(options);
  const seen = new Set<Outcome>();
  for (const token of tokens) {
    const expected = await outcome(jose, token);
    // Agreeing on a crash is not agreeing on a verdict.
    expect(expected).not.toMatch(/^crashed/);
    expect({ token, outcome: await outcome(node, token) }).toEqual({ token, outcome: expected });
    seen.add(expected.split(' ').slice(0, 3).join(' '));
  }
  return seen;
}

/** A deterministic pseudo-random sequence (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('node:crypto signature check: same verdicts as jose on a token corpus', () => {
  it('hand-made tokens: valid, refused for every reason, and hostile', async () => {
    const key = jwks.key;
    const now = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify(claims());
    const header = (fields: Record<string, unknown>) => JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...fields });
    const valid = await mint(key, claims());
    const [h, p, s] = valid.split('.') as [string, string, string];
    const tokens = [
      valid,
      await mint(key, claims({ v: 2, sts: 'active', o: { id: 'org_1', rol: 'admin' } })),
      await mint(key, claims({ v: 2, sts: 'pending' })),
      await mint(key, claims(), { typ: undefined }),
      await mint(key, claims(), { cat: 'cl_B7d4PD111AAA' }),
      await mint(key, claims(), { cat: 'cl_B7d4PD222AAA' }),
      await mint(key, claims(), { cat: 7 }),
      await mint(key, claims(), { kid: undefined }),
      mintRaw(key, header({ kid: '' }), payload),
      mintRaw(key, header({ kid: 0 }), payload),
      mintRaw(key, header({ kid: null }), payload),
      mintRaw(key, header({ kid: 42 }), payload),
      await mint(jwks.otherKey, claims()),
      await mint(jwks.otherKey, claims(), { kid: key.kid }),
      await mint(key, claims({ exp: now - 10 })),
      await mint(key, claims({ exp: now - 3 })),
      await mint(key, claims({ nbf: now + 30 })),
      await mint(key, claims({ iat: now + 30 })),
      await mint(key, claims({ exp: undefined })),
      await mint(key, claims({ exp: String(now + 60) })),
      await mint(key, claims({ sub: undefined })),
      await mint(key, claims({ sub: '' })),
      await mint(key, claims({ azp: 'https://evil.example' })),
      await mint(key, claims({ azp: undefined })),
      await mint(key, claims({ iss: 'https://evil.example' })),
      mintRaw(key, header({ alg: 'none' }), payload),
      mintRaw(key, header({ alg: 'RS384' }), payload),
      mintRaw(key, header({ alg: 'PS256' }), payload),
      mintRaw(key, header({ alg: 'rs256' }), payload),
      mintRaw(key, header({ alg: undefined }), payload),
      mintRaw(key, header({ alg: 256 }), payload),
      mintRaw(key, header({ typ: 'at+jwt' }), payload),
      mintRaw(key, header({ typ: 'jwt' }), payload),
      mintRaw(key, header({ crit: ['exp'], exp: 1 }), payload),
      mintRaw(key, header({ crit: 'exp' }), payload),
      mintRaw(key, header({ crit: [] }), payload),
      mintRaw(key, header({ b64: true, crit: ['b64'] }), payload),
      mintRaw(key, header({ b64: false, crit: ['b64'] }), payload),
      mintRaw(key, header({ b64: 'no' }), payload),
      mintRaw(key, header({ jwk: jwks.otherKey.jwk }), payload),
      mintRaw(key, `{"alg":"none","kid":"${key.kid}","alg":"RS256"}`, payload),
      mintRaw(key, `{"alg":"RS256","kid":"${key.kid}","alg":"none"}`, payload),
      mintRaw(key, ` { "alg" : "RS256" , "kid" : "${key.kid}" } `, payload),
      mintRaw(key, '[]', payload),
      mintRaw(key, 'null', payload),
      mintRaw(key, '"RS256"', payload),
      mintRaw(key, 'not json', payload),
      signedBytes(key, Buffer.from(`{"alg":"RS256","kid":"ins\xffmain"}`, 'latin1'), Buffer.from(payload)),
      mintRaw(key, header({}), payload.replace('{', '{"sub":"user_admin",')),
      mintRaw(key, header({}), 'not json'),
      mintRaw(key, header({}), '[1,2]'),
      mintRaw(key, header({}), 'null'),
      mintRaw(key, header({}), '"user_2abc"'),
      mintRaw(key, header({}), JSON.stringify(claims({ sub: 'user_\u00e9\u{1F600}' }))),
      mintRaw(key, header({}), `\ufeff${payload}`),
      signedBytes(key, Buffer.from(header({})), Buffer.concat([Buffer.from(payload.slice(0, -1)), Buffer.from([0xff, 0xfe]), Buffer.from(',"x":1}')])),
      `${h}.${b64url(JSON.stringify(claims({ sub: 'user_admin' })))}.${s}`,
      `${h}.${p}.${s.slice(0, -1)}`,
      `${h}.${p}.${s}A`,
      `${h}.${p}.${s}AA`,
      `${h}.${p}.${s}AAA`,
      `${h}.${p}.${s}AAAA`,
      `${h}.${p}.${s.slice(0, -1)}${flipLowBits(s.slice(-1))}`,
      `${h}A.${p}.${s}`,
      `${h}.${p}A.${s}`,
      `${h}.${p}.AAAA`,
      `${h}.${p}.${Buffer.alloc(256).toString('base64url')}`,
    ];
    const seen = await compare(tokens);
    expect([...seen].filter((o) => o.startsWith('accepted')).length).toBeGreaterThan(0);
    // The corpus reaches many distinct refusals, not one repeated.
    expect([...seen].filter((o) => o.startsWith('InvalidTokenError')).length).toBeGreaterThanOrEqual(10);
  });

  it("headers that reach every JOSE rule in jose's order (crit, b64, alg, repeated names, kid, typ, cat)", async () => {
    const key = jwks.key;
    const payload = JSON.stringify(claims());
    const kid = JSON.stringify(key.kid);
    const headers = [
      { crit: ['b64'] },
      { crit: ['b64'], b64: 'x' },
      { crit: ['b64'], b64: null },
      { crit: ['b64'], b64: true },
      { crit: ['b64'], b64: false },
      { crit: ['x', 'b64'], b64: true },
      { crit: ['b64', 'x'], b64: true },
      { crit: ['b64', 'b64'], b64: true },
      { crit: ['b64'], b64: true, alg: 'none' },
      { crit: [''] },
      { crit: [1] },
      { crit: {} },
      { crit: null },
      { crit: 'b64' },
      { b64: true },
      { b64: false },
      { alg: '' },
      { alg: null },
      { alg: 'RS256 ' },
      { alg: 'none', kid: 7 },
      { alg: 'HS256', typ: 'at+jwt' },
      { typ: 'at+jwt', kid: 7 },
      { typ: 'application/at+jwt' },
      { typ: 'AT+JWT' },
      { typ: 'JWT ' },
      { typ: null },
      { typ: 'at+jwt', cat: 'cl_B7d4PD333AAA' },
      { cat: 'cl_B7d4PD333AAA', kid: [] },
      { cat: 'cl_B7d4PD333AAA', crit: ['b64'], b64: true },
      { cat: null },
      { kid: '' },
      { kid: [] },
      { kid: {} },
      { kid: 'k'.repeat(300) },
      { kid: 'ins_\u0000' },
      { kid: '\ud800' },
      { kid: '__proto__' },
    ];
    const tokens = headers.map((fields) => mintRaw(key, JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...fields }), payload));
    const raw = [
      `{"alg":"RS256","kid":${kid},"__proto__":{"alg":"none"}}`,
      `{"alg":"RS256","kid":${kid},"__proto__":{"alg":"none"},"__proto__":1}`,
      `{"alg":"RS256","kid":${kid},"crit":["b64"],"b64":true,"b64":false}`,
      `{"alg":"RS256","alg":"RS256","kid":${kid}}`,
      `{"alg":"RS256","kid":${kid},"kid":"ins_nothing"}`,
      `{"alg":"RS256","kid":"ins_nothing","kid":${kid}}`,
      `{"alg":"RS256","kid":${kid},"typ":"JWT","typ":"at+jwt"}`,
      `{"alg":"RS256","kid":${kid},"cat":"cl_B7d4PD333AAA","cat":"cl_B7d4PD111AAA"}`,
      `{"alg":"RS256","kid":${kid},"x":{"a":1,"a":2}}`,
      `{"alg":"RS256","kid":${kid},"x":[{"a":1},{"a":2}]}`,
      `{"alg":"R\u0053256","kid":${kid}}`,
      `{"\u0061lg":"RS256","kid":${kid}}`,
      `{"alg":"RS256","kid":${kid},"\u0061lg":"none"}`,
      `\ufeff{"alg":"RS256","kid":${kid}}`,
      `\n\t {"alg":"RS256","kid":${kid}} \r\n`,
      `{"alg":"RS256","kid":${kid},"n":1e400}`,
      `{"alg":"RS256","kid":${kid},"n":${'['.repeat(200)}${']'.repeat(200)}}`,
      `{"alg":"RS256","kid":${kid},"s":"\ud800"}`,
      `{"alg":"RS256","kid":${kid}}x`,
      `{"alg":"RS256","kid":${kid}`,
      `{"alg":"RS256","kid":${kid},}`,
      `{'alg':'RS256'}`,
      '{}',
      '',
    ].map((header) => mintRaw(key, header, payload));
    const bytes = [
      Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(`{"alg":"RS256","kid":${kid}}`)]),
      Buffer.from([...Buffer.from(`{"alg":"RS256","kid":${kid},"x":"`), 0xc0, 0x80, ...Buffer.from('"}')]),
      Buffer.from([...Buffer.from(`{"alg":"RS256","kid":${kid},"x":"`), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
      Buffer.from([...Buffer.from(`{"alg":"RS256","kid":${kid},"x":"`), 0x00, ...Buffer.from('"}')]),
    ].map((header) => signedBytes(key, header, Buffer.from(payload)));
    const seen = await compare([...tokens, ...raw, ...bytes]);
    expect([...seen].filter((o) => o.startsWith('accepted')).length).toBeGreaterThan(0);
    for (const reason of ['malformed', 'invalid_algorithm', 'invalid_header', 'unsupported_category', 'unknown_key', 'token_type_mismatch']) {
      expect([...seen].some((o) => o.startsWith(`InvalidTokenError 401 ${reason}`))).toBe(true);
    }
  });

  it('payloads: JSON edge cases, signed by the right key', async () => {
    const key = jwks.key;
    const header = JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
    const body = JSON.stringify(claims()).slice(1, -1);
    const payloads = [
      `{${body},"__proto__":{"sub":"user_admin","org_role":"org:admin"}}`,
      `{${body},"o":{"__proto__":{"rol":"admin"}}}`,
      `{${body},"n":1e400,"m":-1e400,"z":-0,"big":123456789012345678901234567890}`,
      `{${body},"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{${body},"deep":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
      `{${body},"s":"\ud800","t":"\udfff\ud800"}`,
      `{${body},"nul":"a\u0000b"}`,
      `{${body},"\u0000":1}`,
      `{${body},"":1}`,
      `\ufeff{${body}}`,
      `  {${body}}  `,
      `{${body},"exp":1e400}`,
      `{${body},"sub":"mch_1"}`,
      `{${body.replace('"sub":"user_2abc"', '"sub":"mch_2xyz"')}}`,
      `{${body.replace('"sub":"user_2abc"', '"s\u0075b":"mch_2xyz"')}}`,
      `{${body}}\u0000`,
      `{${body},}`,
    ];
    const tokens = payloads.map((payload) => mintRaw(key, header, payload));
    tokens.push(signedBytes(key, Buffer.from(header), Buffer.from([...Buffer.from(`{${body},"x":"`), 0x00, ...Buffer.from('"}')])));
    tokens.push(signedBytes(key, Buffer.from(header), Buffer.from([...Buffer.from(`{${body},"x":"`), 0xed, 0xa0, 0x80, ...Buffer.from('"}')])));
    const seen = await compare(tokens);
    expect([...seen].some((o) => o.startsWith('accepted'))).toBe(true);
    expect([...seen].some((o) => o.startsWith('InvalidTokenError 401 malformed'))).toBe(true);
  });

  it('arbitrary headers signed by the right key (fast-check)', async () => {
    const { node, jose } = verifiers();
    const value = fc.oneof(
      fc.constantFrom('RS256', 'JWT', 'at+jwt', 'application/at+jwt', 'b64', 'cl_B7d4PD111AAA', 'cl_B7d4PD333AAA', 'ins_main', '', null, true, false, 0, 7),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const header = fc.dictionary(fc.constantFrom('alg', 'kid', 'typ', 'cat', 'crit', 'b64', 'jku', 'jwk', 'x5c', 'zip', 'x'), value, { maxKeys: 6 });
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(header, fc.boolean(), fc.boolean(), async (fields, alg, kid) => {
        const all = { ...(alg ? { alg: 'RS256' } : {}), ...(kid ? { kid: jwks.key.kid } : {}), ...fields };
        const token = mintRaw(jwks.key, JSON.stringify(all), JSON.stringify(claims()));
        const expected = await outcome(jose, token);
        expect(expected).not.toMatch(/^crashed/);
        expect({ token: all, outcome: await outcome(node, token) }).toEqual({ token: all, outcome: expected });
        outcomes.add(expected.split(' ').slice(0, 3).join(' '));
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(outcomes.size).toBeGreaterThanOrEqual(6);
  });

  it.each([6, 7, 8])('400 random mutations of valid tokens (seed %i)', async (seed) => {
    const next = random(seed);
    const originals = [await mint(jwks.key, claims()), await mint(jwks.key, claims({ v: 2, sts: 'active' }))];
    const tokens: string[] = [];
    for (let i = 0; i < 400; i++) {
      const chars = [...(originals[i % 2] as string)];
      const at = Math.floor(next() * chars.length);
      const char = ALPHABET[Math.floor(next() * ALPHABET.length)] as string;
      const kind = next();
      if (kind < 0.6) chars[at] = char;
      else if (kind < 0.8) chars.splice(at, 1);
      else chars.splice(at, 0, char);
      tokens.push(chars.join(''));
    }
    const seen = await compare(tokens);
    expect([...seen].some((o) => o.startsWith('InvalidTokenError'))).toBe(true);
  });

  it('keys jose refuses: an RSA key shorter than 2048 bits in the key set', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    jwks.server.keys = [{ ...publicKey.export({ format: 'jwk' }), kid: 'ins_short', alg: 'RS256', use: 'sig' }, jwks.key.jwk];
    const input = `${b64url(JSON.stringify({ alg: 'RS256', kid: 'ins_short', typ: 'JWT' }))}.${b64url(JSON.stringify(claims()))}`;
    const short = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const seen = await compare([short, await mint(jwks.key, claims())]);
    expect([...seen].some((o) => o.startsWith('JwksUnavailableError 503'))).toBe(true);
  });

  it('with JWT templates accepted', async () => {
    const tokens = [await mint(jwks.key, claims(), { cat: 'cl_B7d4PD222AAA' }), await mint(jwks.key, claims(), { cat: 'cl_B7d4PD333AAA' })];
    const seen = await compare(tokens, { acceptJwtTemplates: true });
    expect([...seen].some((o) => o.startsWith('accepted'))).toBe(true);
  });

  it('with jwtKey', async () => {
    const tokens = [await mint(jwks.key, claims()), await mint(jwks.otherKey, claims()), await mint(jwks.key, claims(), { kid: 'anything' })];
    const seen = await compare(tokens, { jwksUri: undefined, jwtKey: jwks.key.pem });
    expect([...seen].some((o) => o.startsWith('accepted'))).toBe(true);
    expect([...seen].some((o) => o.startsWith('InvalidTokenError 401 invalid_signature'))).toBe(true);
  });
});

/** The outcomes of {@link compare}, with every acceptance as one kind. */
function kinds(seen: Set<Outcome>): Set<string> {
  return new Set([...seen].map((outcome) => (outcome.startsWith('accepted') ? 'accepted' : outcome)));
}

describe('node:crypto signature check: what it remembers and reuses', () => {
  // A header seen on a verified token is remembered by its text; scratch buffers hold the signing
  // input and decoded bytes. Neither may carry anything from one token to the next.
  it('a remembered header decides nothing about the next token with the same header', async () => {
    const header = { alg: 'RS256', kid: jwks.key.kid, typ: 'JWT' };
    const headerJson = JSON.stringify(header);
    const valid = mintRaw(jwks.key, headerJson, JSON.stringify(claims()));
    const [input, signature] = [valid.slice(0, valid.lastIndexOf('.')), valid.slice(valid.lastIndexOf('.') + 1)];
    // The first token loads the key set, the second has its key remembered for the kid (the first
    // saw the key set replaced under it), the third is checked synchronously and its header remembered.
    const tokens = [
      valid,
      valid,
      valid,
      // The same header: another key's signature, a signature from another token, a payload repeating a name, not JSON, not an object.
      mintRaw(jwks.otherKey, headerJson, JSON.stringify(claims())),
      `${input.slice(0, input.indexOf('.'))}.${b64url(JSON.stringify(claims({ sub: 'user_other' })))}.${signature}`,
      mintRaw(jwks.key, headerJson, `{"sub":"user_1","sub":"user_2",${JSON.stringify(claims()).slice(1)}`),
      mintRaw(jwks.key, headerJson, '{"sub":'),
      mintRaw(jwks.key, headerJson, '[1]'),
      valid,
      // The header with a member of another value, then with one that is refused, after the remembered one.
      mintRaw(jwks.key, JSON.stringify({ ...header, typ: 'JWT', x: 1 }), JSON.stringify(claims())),
      mintRaw(jwks.key, JSON.stringify({ ...header, crit: ['b64'], b64: true }), JSON.stringify(claims())),
      mintRaw(jwks.key, JSON.stringify({ ...header, alg: 'RS512' }), JSON.stringify(claims())),
    ];
    const seen = kinds(await compare(tokens));
    expect(seen).toEqual(
      new Set(['accepted', 'InvalidTokenError 401 invalid_signature', 'InvalidTokenError 401 malformed', 'InvalidTokenError 401 invalid_header', 'InvalidTokenError 401 invalid_algorithm']),
    );
  });

  it('a remembered header is not parsed again; one never verified is parsed every time', async () => {
    const { node } = verifiers();
    const headerJson = JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, typ: 'JWT' });
    const valid = mintRaw(jwks.key, headerJson, JSON.stringify(claims()));
    // As above: the third verification is the synchronous one that remembers the header.
    for (let i = 0; i < 3; i++) expect(await outcome(node, valid)).toMatch(/^accepted/);
    const forgedSameHeader = mintRaw(jwks.otherKey, headerJson, JSON.stringify(claims()));
    const unseenHeader = mintRaw(jwks.otherKey, JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, typ: 'JWT', z: 1 }), JSON.stringify(claims()));
    const parse = jest.spyOn(JSON, 'parse');
    try {
      // A forged signature fails before the payload is parsed: the remembered header costs no parse at all.
      expect(await outcome(node, forgedSameHeader)).toMatch(/^InvalidTokenError 401 invalid_signature/);
      expect(parse).not.toHaveBeenCalled();
      expect(await outcome(node, unseenHeader)).toMatch(/^InvalidTokenError 401 invalid_signature/);
      expect(await outcome(node, unseenHeader)).toMatch(/^InvalidTokenError 401 invalid_signature/);
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });

  it('a header of a token refused for its signature is not remembered for a valid one, and the reverse', async () => {
    const headerJson = JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, typ: 'JWT', z: 'forged first' });
    const tokens = [
      mintRaw(jwks.otherKey, headerJson, JSON.stringify(claims())),
      mintRaw(jwks.key, headerJson, JSON.stringify(claims())),
      mintRaw(jwks.otherKey, headerJson, JSON.stringify(claims())),
    ];
    const { node } = verifiers();
    expect(await outcome(node, tokens[0] as string)).toMatch(/^InvalidTokenError 401 invalid_signature/);
    expect(await outcome(node, tokens[1] as string)).toMatch(/^accepted/);
    expect(await outcome(node, tokens[2] as string)).toMatch(/^InvalidTokenError 401 invalid_signature/);
  });

  it('headers with object members (never remembered) and many distinct headers give the same verdicts as jose', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 40; i++) {
      const header = { alg: 'RS256', kid: jwks.key.kid, typ: 'JWT', n: i, ...(i % 3 === 0 ? { x: { i } } : {}) };
      tokens.push(mintRaw(i % 4 === 1 ? jwks.otherKey : jwks.key, JSON.stringify(header), JSON.stringify(claims({ sid: `sess_${i}` }))));
    }
    tokens.push(...tokens.slice(0, 10));
    const seen = kinds(await compare(tokens));
    expect(seen).toEqual(new Set(['accepted', 'InvalidTokenError 401 invalid_signature']));
  });

  it('tokens of every size up to the limit, long and short in turn, verify on their own bytes alone', async () => {
    // 16,384 characters at most: a payload of about 11,900 bytes is the longest that fits.
    const sizes = [0, 11_800, 10, 6_000, 1, 11_800, 300];
    const tokens = sizes.map((size) => mintRaw(jwks.key, JSON.stringify({ alg: 'RS256', kid: jwks.key.kid, typ: 'JWT' }), JSON.stringify(claims({ pad: 'p'.repeat(size) }))));
    expect(Math.max(...tokens.map((token) => token.length))).toBeGreaterThan(16_000);
    expect(Math.max(...tokens.map((token) => token.length))).toBeLessThanOrEqual(16 * 1024);
    // A short token after a long one: the long one's bytes are still in the scratch buffers, and must not count.
    const short = tokens[2] as string;
    const truncated = `${short.slice(0, short.lastIndexOf('.'))}.${(tokens[1] as string).slice((tokens[1] as string).lastIndexOf('.') + 1)}`;
    const seen = kinds(await compare([...tokens, truncated, tokens[1] as string, truncated]));
    expect(seen).toEqual(new Set(['accepted', 'InvalidTokenError 401 invalid_signature']));
  });
});

/** Signs a raw header and payload (bytes that need not be UTF-8), RS256. */
function signedBytes(key: typeof jwks.key, header: Buffer, payload: Buffer): string {
  const input = `${header.toString('base64url')}.${payload.toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), KeyObject.from(key.privateKey)).toString('base64url')}`;
}

/** The last base64url character of a 256-byte signature carries 4 unused bits: change them. */
function flipLowBits(char: string): string {
  const index = ALPHABET.indexOf(char);
  return ALPHABET[(index & ~0b1111) | (~index & 0b1111)] as string;
}
