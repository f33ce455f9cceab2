import * as nodeVerify from '../../lib/verification/signature-check';
import type { ClerkVerifierOptions } from '../../lib/verification/verifier-options';
import { InvalidTokenError, type InvalidTokenReason } from '../../lib/shared/errors';
import { TokenCache, type KeyIdentity } from '../../lib/verification/token-cache';
import { createClerkVerifier } from '../../lib/verification/verify-token';
import { rejected } from '../helpers/expect-error';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { b64url, mint } from '../helpers/keys';
import { mockClock } from '../helpers/clock';

const jwks = useJwksFixture();
const { claims } = jwks;

const verifierFor = (options: ClerkVerifierOptions = {}) => createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });
const reasonOf = async (promise: Promise<unknown>): Promise<InvalidTokenReason> => (await rejected(InvalidTokenError, promise)).reason;

/**
 * A verifier whose key set is loaded. Nothing verified while the key set loads is cached (the key
 * may be from the set being replaced), so the first verification of a cold verifier never is.
 */
async function warmVerifier(options: ClerkVerifierOptions = {}) {
  const verifier = verifierFor(options);
  await verifier.verify(await mint(jwks.key, claims({ sub: 'user_warm_up' })));
  signatureChecks = 0;
  return verifier;
}

// Counts the signature checks of the verifiers created while it is installed: a cache hit makes none.
let signatureChecks = 0;
beforeEach(() => {
  signatureChecks = 0;
  const original = nodeVerify.createSignatureCheck;
  jest.spyOn(nodeVerify, 'createSignatureCheck').mockImplementation((...args) => {
    const check = original(...args);
    return (token: string) => {
      signatureChecks += 1;
      return check(token);
    };
  });
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('verified-token cache', () => {
  it('checks the signature of a token once, and hands each request its own copy of the claims', async () => {
    const verifier = await warmVerifier();
    const token = await mint(jwks.key, claims({ org_permissions: ['org:a:read'] }));
    const first = await verifier.verify(token);
    first.sub = 'user_mutated';
    first.org_permissions?.push('org:admin');
    const second = await verifier.verify(token);
    expect(second).toMatchObject({ sub: 'user_2abc', org_permissions: ['org:a:read'] });
    expect(second).not.toBe(first);
    expect(signatureChecks).toBe(1);
    expect(jwks.server.requests).toBe(1);
  });

  it('is off with tokenCacheSize: 0', async () => {
    const verifier = verifierFor({ tokenCacheSize: 0 });
    const token = await mint(jwks.key, claims());
    for (let i = 0; i < 3; i++) await verifier.verify(token);
    expect(signatureChecks).toBe(3);
  });

  it('is keyed by the whole token: a different token never uses the entry of a cached one', async () => {
    const verifier = await warmVerifier();
    const token = await mint(jwks.key, claims());
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${b64url(JSON.stringify(claims({ sub: 'user_admin' })))}.${signature}`;
    expect(await reasonOf(verifier.verify(forged))).toBe('invalid_signature');
    const otherSignature = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    expect(await reasonOf(verifier.verify(otherSignature))).toBe('invalid_signature');
    expect(signatureChecks).toBe(3);
  });

  it("looks a kid's key up again once the key set changes: a new token signed by the old key under that kid is refused", async () => {
    const verifier = await warmVerifier({ tokenCacheSize: 0, jwksCooldownInMs: 0 });
    expect((await verifier.verify(await mint(jwks.key, claims()))).sub).toBe('user_2abc');
    // The kid now names other key material; a token with a new kid makes the verifier fetch again.
    jwks.server.keys = [
      { ...jwks.otherKey.jwk, kid: jwks.key.kid },
      { ...jwks.otherKey.jwk, kid: 'ins_next' },
    ];
    await verifier.verify(await mint(jwks.otherKey, claims(), { kid: 'ins_next' }));
    expect(jwks.server.requests).toBe(2);
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims({ sid: 'sess_new' }))))).toBe('invalid_signature');
    expect((await verifier.verify(await mint(jwks.otherKey, claims(), { kid: jwks.key.kid }))).sub).toBe('user_2abc');
  });

  it("looks a kid's key up again once the key set is due for a refresh", async () => {
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
    const verifier = await warmVerifier({ tokenCacheSize: 0, jwksCacheMaxAgeInMs: 60_000 });
    await verifier.verify(await mint(jwks.key, claims()));
    expect(jwks.server.requests).toBe(1);
    jwks.server.keys = [jwks.otherKey.jwk];
    clock.mockReturnValue(start + 60_000);
    expect(await reasonOf(verifier.verify(await mint(jwks.key, claims({ sid: 'sess_new' }))))).toBe('unknown_key');
    expect(jwks.server.requests).toBe(2);
  });

  it('is never filled by a failed verification', async () => {
    const verifier = verifierFor({ authorizedParties: ['https://app.example.com'] });
    const wrongParty = await mint(jwks.key, claims());
    const unknownKey = await mint(jwks.otherKey, claims());
    for (let i = 0; i < 2; i++) {
      expect(await reasonOf(verifier.verify(wrongParty))).toBe('invalid_authorized_party');
      expect(await reasonOf(verifier.verify(unknownKey))).toBe('unknown_key');
    }
    expect(signatureChecks).toBe(4);
  });

  describe('uses an entry only while the token would still verify', () => {
    const start = Date.UTC(2026, 0, 1, 12);
    const seconds = Math.floor(start / 1000);
    const at = (ms: number) => jest.spyOn(Date, 'now').mockReturnValue(ms);

    it('until exp + clock skew', async () => {
      at(start);
      const verifier = await warmVerifier({ clockSkewInMs: 5000 });
      const token = await mint(jwks.key, claims({ iat: seconds, nbf: seconds, exp: seconds + 60 }));
      await verifier.verify(token);
      at(start + 65_000 - 1);
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user_2abc' });
      expect(signatureChecks).toBe(1);
      at(start + 65_000);
      expect(await reasonOf(verifier.verify(token))).toBe('expired');
      at(start);
      await verifier.verify(token);
      expect(signatureChecks).toBe(3);
    });

    it('from nbf − clock skew, even if the clock goes back', async () => {
      at(start);
      const verifier = await warmVerifier({ clockSkewInMs: 5000 });
      const token = await mint(jwks.key, claims({ iat: seconds, nbf: seconds + 30, exp: seconds + 60 }));
      expect(await reasonOf(verifier.verify(token))).toBe('not_yet_valid');
      at(start + 25_000);
      await verifier.verify(token);
      await verifier.verify(token);
      expect(signatureChecks).toBe(2);
      at(start + 25_000 - 1);
      expect(await reasonOf(verifier.verify(token))).toBe('not_yet_valid');
      expect(signatureChecks).toBe(3);
    });
  });

  describe('drops an entry once the key that verified it leaves the key set', () => {
    /** A warm verifier and a token it has cached (its second verification checked no signature). */
    async function cachedToken(options: ClerkVerifierOptions) {
      const verifier = await warmVerifier(options);
      const token = await mint(jwks.key, claims());
      await verifier.verify(token);
      await verifier.verify(token);
      expect(signatureChecks).toBe(1);
      return { verifier, token };
    }

    it('when a refresh removes its kid', async () => {
      const { verifier, token } = await cachedToken({ jwksCooldownInMs: 0 });
      jwks.server.keys = [jwks.otherKey.jwk];
      // A token with another kid makes the verifier fetch the key set again.
      await verifier.verify(await mint(jwks.otherKey, claims()));
      expect(jwks.server.requests).toBe(2);
      expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
    });

    it('when a refresh serves other key material under its kid', async () => {
      const { verifier, token } = await cachedToken({ jwksCooldownInMs: 0 });
      jwks.server.keys = [
        { ...jwks.otherKey.jwk, kid: jwks.key.kid },
        { ...jwks.otherKey.jwk, kid: 'ins_next' },
      ];
      await verifier.verify(await mint(jwks.otherKey, claims(), { kid: 'ins_next' }));
      expect(await reasonOf(verifier.verify(token))).toBe('invalid_signature');
    });

    it('when the key set is due for a refresh (jwksCacheMaxAgeInMs)', async () => {
      const clock = mockClock();
      const { verifier, token } = await cachedToken({ jwksCacheMaxAgeInMs: 1000 });
      jwks.server.keys = [jwks.otherKey.jwk];
      clock.advance(1050);
      expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
    });

    it('but keeps it when a refresh still serves the key', async () => {
      const verifier = await warmVerifier({ jwksCooldownInMs: 0 });
      const token = await mint(jwks.key, claims());
      await verifier.verify(token);
      jwks.server.keys = [jwks.key.jwk, jwks.otherKey.jwk];
      await verifier.verify(await mint(jwks.otherKey, claims()));
      expect(jwks.server.requests).toBe(2);
      await verifier.verify(token);
      // The token itself, then the one with the new kid: the cached token was not checked again.
      expect(signatureChecks).toBe(2);
    });
  });

  it('with jwtKey, keeps entries for the life of the token', async () => {
    const verifier = createClerkVerifier({ jwtKey: jwks.key.pem, env: {}, logger: false });
    const token = await mint(jwks.key, claims());
    for (let i = 0; i < 3; i++) await verifier.verify(token);
    expect(signatureChecks).toBe(1);
  });
});

describe('TokenCache', () => {
  const keySet = (initial: Record<string, string>) => {
    const state = { generation: 1, ids: new Map(Object.entries(initial)) };
    const identity: KeyIdentity = { generation: () => state.generation, keyId: (kid) => state.ids.get(kid ?? '') ?? null, fresh: () => true };
    return { state, identity };
  };

  it('holds at most its size, dropping the least recently used', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(2, identity);
    cache.set('a', '{"n":1}', 'k', 1);
    cache.set('b', '{"n":2}', 'k', 1);
    expect(cache.getClaims('a')).toEqual({ n: 1 });
    // Full: a new token displaces the least recently used on its second verification only.
    cache.set('c', '{"n":3}', 'k', 1);
    expect(cache.getClaims('c')).toBeUndefined();
    expect(cache.getClaims('b')).toEqual({ n: 2 });
    expect(cache.getClaims('a')).toEqual({ n: 1 });
    cache.set('c', '{"n":3}', 'k', 1);
    expect(cache.length).toBe(2);
    expect(cache.getClaims('b')).toBeUndefined();
    expect(cache.getClaims('a')).toEqual({ n: 1 });
    expect(cache.getClaims('c')).toEqual({ n: 3 });
  });

  it('once full, is not flushed by a stream of tokens each verified once', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(3, identity);
    for (const token of ['a', 'b', 'c']) cache.set(token, `{"t":"${token}"}`, 'k', 1);
    for (let i = 0; i < 100; i++) cache.set(`one-off-${i}`, '{}', 'k', 1);
    expect(cache.length).toBe(3);
    expect(['a', 'b', 'c'].map((token) => cache.getClaims(token))).toEqual([{ t: 'a' }, { t: 'b' }, { t: 'c' }]);
    // The doorkeeper forgets what it saw once it has seen `size` tokens: no unbounded memory.
    cache.set('one-off-0', '{}', 'k', 1);
    expect(cache.getClaims('one-off-0')).toBeUndefined();
    cache.set('one-off-99', '{}', 'k', 1);
    expect(cache.getClaims('one-off-99')).toEqual({});
  });

  it('serves an entry only inside its validity window, and drops it outside', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(10, identity);
    cache.set('a', '{"n":1}', 'k', 1, { from: 1000, until: 2000 });
    expect(cache.getClaims('a', 999)).toBeUndefined();
    cache.set('a', '{"n":1}', 'k', 1, { from: 1000, until: 2000 });
    expect(cache.getClaims('a', 1000)).toEqual({ n: 1 });
    expect(cache.getClaims('a', 1999)).toEqual({ n: 1 });
    expect(cache.getClaims('a', 2000)).toBeUndefined();
    expect(cache.getClaims('a', 1500)).toBeUndefined();
    expect(cache.length).toBe(0);
  });

  it('copies nested claims on every hit, and keeps an own __proto__ member an own member', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(10, identity);
    cache.set('a', '{"o":{"id":"org_1","x":[1,{"y":2}]},"fva":[0,-1],"__proto__":{"admin":true},"s":"t"}', 'k', 1);
    const hits = [cache.getClaims('a'), cache.getClaims('a'), cache.getClaims('a')] as Record<string, unknown>[];
    for (const claims of hits) {
      expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
      expect(Object.keys(claims)).toEqual(['o', 'fva', '__proto__', 's']);
      expect((claims as { admin?: unknown }).admin).toBeUndefined();
      expect(JSON.parse(JSON.stringify(claims))).toEqual(JSON.parse('{"o":{"id":"org_1","x":[1,{"y":2}]},"fva":[0,-1],"__proto__":{"admin":true},"s":"t"}'));
    }
    const [first, second, third] = hits as [Record<string, { x: unknown[] }>, Record<string, { x: unknown[] }>, Record<string, { x: unknown[] }>];
    (first['o'] as { x: unknown[] }).x.push('mutated');
    expect(second['o']).not.toBe(third['o']);
    expect(second['o']?.x).not.toBe(third['o']?.x);
    expect(third['o']?.x).toEqual([1, { y: 2 }]);
    expect((cache.getClaims('a') as Record<string, { x: unknown[] }>)['o']?.x).toEqual([1, { y: 2 }]);
  });

  it('never serves a token for another that ends alike (entries are found by the end of the token)', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(10, identity);
    const end = 'x'.repeat(64);
    cache.set(`a.${end}`, '{"n":1}', 'k', 1, { from: 0, until: 10 });
    expect(cache.getClaims(`b.${end}`)).toBeUndefined();
    expect(cache.getClaims(`b.${end}`)).toBeUndefined();
    // A look-up that would drop an entry outside its window drops none for a token ending alike.
    expect(cache.getClaims(`b.${end}`, 100)).toBeUndefined();
    expect(cache.getClaims(`a.${end}`, 5)).toEqual({ n: 1 });
    expect(cache.getClaims(`a.${end}`)).toEqual({ n: 1 });
    cache.set(`b.${end}`, '{"n":2}', 'k', 1);
    expect(cache.getClaims(`a.${end}`)).toBeUndefined();
    expect(cache.getClaims(`b.${end}`)).toEqual({ n: 2 });
  });

  it('hands out claims as a new deep copy on every hit, __proto__ members included as own data', () => {
    const { identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(10, identity);
    const payload = '{"sub":"user_1","o":{"id":"org_1","per":["a"]},"__proto__":{"admin":true},"1":0}';
    cache.set('t', payload, 'k', 1);
    const copies = [cache.getClaims('t'), cache.getClaims('t'), cache.getClaims('t')] as Record<string, unknown>[];
    for (const copy of copies) {
      expect(copy).toEqual(JSON.parse(payload));
      expect(Object.keys(copy)).toEqual(Object.keys(JSON.parse(payload)));
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect((copy as { admin?: unknown }).admin).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ admin: true });
    }
    (copies[1] as { o: { per: string[] } }).o.per.push('b');
    (copies[1] as Record<string, unknown>)['sub'] = 'user_2';
    expect(cache.getClaims('t')).toEqual(JSON.parse(payload));
    // Deeper than a recursive copy can go: still a copy.
    const deep = `{"sub":"u","d":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    cache.set('deep', deep, 'k', 1);
    const first = cache.getClaims('deep') as { d: unknown };
    const second = cache.getClaims('deep') as { d: unknown };
    expect(second.d).not.toBe(first.d);
    let depth = 0;
    for (let node: unknown = second.d; Array.isArray(node); node = node[0]) depth += 1;
    expect(depth).toBe(20_000);
  });

  it('remembers nothing verified under a key set that has since been replaced', () => {
    const { state, identity } = keySet({ k: 'k-material' });
    const cache = new TokenCache(10, identity);
    state.generation = 2;
    cache.set('a', '{}', 'k', 1);
    expect(cache.getClaims('a')).toBeUndefined();
  });

  it('carries an entry over a new key set only while its kid maps to the same key', () => {
    const { state, identity } = keySet({ k: 'k-material', j: 'j-material' });
    const cache = new TokenCache(10, identity);
    cache.set('a', '{}', 'k', 1);
    cache.set('b', '{}', 'j', 1);
    cache.set('none', '{}', undefined, 1);
    state.generation = 2;
    state.ids = new Map([
      ['k', 'k-material'],
      ['j', 'rotated'],
    ]);
    expect(cache.getClaims('a')).toEqual({});
    expect(cache.getClaims('b')).toBeUndefined();
    expect(cache.getClaims('none')).toBeUndefined();
    expect(cache.length).toBe(1);
  });

  it('serves nothing while the key set is due for a refresh', () => {
    const identity: KeyIdentity = { generation: () => 1, keyId: () => 'k', fresh: () => false };
    const cache = new TokenCache(10, identity);
    cache.set('a', '{}', 'k', 1);
    expect(cache.getClaims('a')).toBeUndefined();
  });
});
