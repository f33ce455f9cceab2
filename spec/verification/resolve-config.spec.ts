import { generateKeyPairSync } from 'node:crypto';
import { resolveConfig } from '../../lib/verification/resolve-config';
import type { ClerkVerifierOptions } from '../../lib/verification/verifier-options';
import { ClerkConfigError } from '../../lib/shared/errors';
import { thrown } from '../helpers/expect-error';
import { fakeSecretKey, publishableKeyFor } from '../helpers/keys';

const FAPI = 'exotic-crab-75.clerk.accounts.dev';
const PK = publishableKeyFor(FAPI);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Resolves with an injected env (never process.env). */
const resolve = (options: ClerkVerifierOptions = {}, env: Record<string, string | undefined> = {}) => resolveConfig({ env, ...options });

const configError = (run: () => unknown) => thrown(ClerkConfigError, run);

describe('resolveConfig: where the keys come from', () => {
  it('needs at least one key source and names all four with their env vars', () => {
    const error = configError(() => resolve());
    expect(error.message).toBe(
      "No way to get Clerk's signing keys: set one of jwtKey (CLERK_JWT_KEY), jwksUri (CLERK_JWKS_URI), publishableKey (CLERK_PUBLISHABLE_KEY) or secretKey (CLERK_SECRET_KEY). Find them in the Clerk Dashboard under API Keys.",
    );
  });

  it('jwtKey: networkless, from CLERK_JWT_KEY', () => {
    const { config, keys } = resolve({}, { CLERK_JWT_KEY: PEM });
    expect(config.keySource).toBe('jwtKey');
    expect(config.jwksUri).toBeNull();
    expect(config.issuer).toBeNull();
    expect(keys.kind).toBe('static');
  });

  it('jwtKey wins over every other source; the publishable key still pins iss', () => {
    const { config } = resolve({ jwtKey: PEM, jwksUri: `https://${FAPI}/.well-known/jwks.json`, publishableKey: PK, secretKey: fakeSecretKey() });
    expect(config.keySource).toBe('jwtKey');
    expect(config.issuer).toBe(`https://${FAPI}`);
  });

  it('jwksUri: from CLERK_JWKS_URI, iss derived from a /.well-known/jwks.json URL', () => {
    const { config, keys } = resolve({}, { CLERK_JWKS_URI: `https://${FAPI}/.well-known/jwks.json` });
    expect(config.keySource).toBe('jwksUri');
    expect(config.jwksUri).toBe(`https://${FAPI}/.well-known/jwks.json`);
    expect(config.issuer).toBe(`https://${FAPI}`);
    expect(keys).toMatchObject({ kind: 'remote', headers: {} });
  });

  it('jwksUri with another path: iss cannot be derived and is not checked', () => {
    expect(resolve({ jwksUri: 'https://keys.example.com/clerk/jwks' }).config.issuer).toBeNull();
  });

  it('publishableKey: keys from the Frontend API, iss pinned to it', () => {
    const { config, keys } = resolve({}, { CLERK_PUBLISHABLE_KEY: PK });
    expect(config).toMatchObject({
      keySource: 'publishableKey',
      jwksUri: `https://${FAPI}/.well-known/jwks.json`,
      issuer: `https://${FAPI}`,
      instanceType: 'development',
      frontendApi: FAPI,
    });
    expect(keys).toMatchObject({ kind: 'remote', headers: {} });
  });

  it('publishableKey is preferred to secretKey: the secret key is then never sent', () => {
    const { config, keys } = resolve({}, { CLERK_PUBLISHABLE_KEY: PK, CLERK_SECRET_KEY: fakeSecretKey() });
    expect(config.keySource).toBe('publishableKey');
    expect(keys).toMatchObject({ headers: {} });
  });

  it('secretKey: keys from the Backend API with the key as Bearer', () => {
    const secretKey = fakeSecretKey('live');
    const { config, keys } = resolve({}, { CLERK_SECRET_KEY: secretKey });
    expect(config).toMatchObject({ keySource: 'secretKey', jwksUri: 'https://api.clerk.com/v1/jwks', issuer: null, instanceType: 'production' });
    expect(keys).toMatchObject({ kind: 'remote', headers: { authorization: `Bearer ${secretKey}` } });
  });

  it('secretKey with apiUrl or CLERK_API_URL', () => {
    const secretKey = fakeSecretKey();
    expect(resolve({ secretKey }, { CLERK_API_URL: 'https://api.clerk.dev/' }).config.jwksUri).toBe('https://api.clerk.dev/v1/jwks');
    expect(resolve({ secretKey, apiUrl: 'http://127.0.0.1:4000/proxy' }).config.jwksUri).toBe('http://127.0.0.1:4000/proxy/v1/jwks');
  });

  it('sends the secret key to a jwksUri on the Backend API, and only there', () => {
    const secretKey = fakeSecretKey();
    expect(resolve({ secretKey, jwksUri: 'https://api.clerk.com/v1/jwks' }).keys).toMatchObject({ headers: { authorization: `Bearer ${secretKey}` } });
    expect(resolve({ secretKey, jwksUri: `https://${FAPI}/.well-known/jwks.json` }).keys).toMatchObject({ headers: {} });
  });

  it('keeps secrets out of the public config', () => {
    const secretKey = fakeSecretKey();
    const { config } = resolve({ secretKey, jwtKey: PEM });
    expect(JSON.stringify(config)).not.toContain(secretKey);
    expect(JSON.stringify(config)).not.toContain('PUBLIC KEY');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.authorizedParties)).toBe(true);
  });
});

describe('resolveConfig: options and environment', () => {
  it('prefers an option to its env var', () => {
    const { config } = resolve({ jwksUri: 'https://a.example.com/.well-known/jwks.json' }, { CLERK_JWKS_URI: 'https://b.example.com/.well-known/jwks.json' });
    expect(config.jwksUri).toBe('https://a.example.com/.well-known/jwks.json');
  });

  it('treats blank values as unset and trims the rest', () => {
    const { config } = resolve({ jwksUri: '  ' }, { CLERK_JWKS_URI: '', CLERK_PUBLISHABLE_KEY: `  ${PK}\n` });
    expect(config.keySource).toBe('publishableKey');
  });

  it('has documented defaults', () => {
    expect(resolve({ publishableKey: PK }).config).toMatchObject({
      name: 'clerk',
      authorizedParties: [],
      clockSkewInMs: 5000,
      acceptPendingSessions: false,
      jwksTimeoutInMs: 5000,
      jwksCooldownInMs: 30_000,
      jwksCacheMaxAgeInMs: 600_000,
      jwksStaleWindowInMs: 3_600_000,
      tokenCacheSize: 1000,
    });
  });

  it('logs to console unless given a logger or false', () => {
    expect(resolve({ publishableKey: PK }).logger).toBe(console);
    expect(resolve({ publishableKey: PK, logger: false }).logger).toBeNull();
    const logger = { warn: () => undefined };
    expect(resolve({ publishableKey: PK, logger }).logger).toBe(logger);
  });

  it('takes every tuning option', () => {
    const tuning = {
      name: 'agents-api',
      clockSkewInMs: 0,
      acceptPendingSessions: true,
      jwksTimeoutInMs: 250,
      jwksCooldownInMs: 0,
      jwksCacheMaxAgeInMs: 86_400_000,
      jwksStaleWindowInMs: 0,
      tokenCacheSize: 0,
      issuer: 'https://clerk.example.com',
    };
    expect(resolve({ publishableKey: PK, ...tuning }).config).toMatchObject(tuning);
  });

  it('reads authorizedParties from an array or from CLERK_AUTHORIZED_PARTIES', () => {
    expect(resolve({ publishableKey: PK, authorizedParties: ['https://app.example.com'] }).config.authorizedParties).toEqual(['https://app.example.com']);
    expect(resolve({ publishableKey: PK }, { CLERK_AUTHORIZED_PARTIES: ' http://localhost:3000 ,https://app.example.com,chrome-extension://abcdef ' }).config.authorizedParties).toEqual([
      'http://localhost:3000',
      'https://app.example.com',
      'chrome-extension://abcdef',
    ]);
    // An empty list would switch the azp check off (the env's list included): an error, not "unset".
    expect(configError(() => resolve({ publishableKey: PK, authorizedParties: [] }, { CLERK_AUTHORIZED_PARTIES: 'https://x.example.com' })).option).toBe('authorizedParties');
    expect(resolve({ publishableKey: PK, authorizedParties: [' https://a.example.com '] }).config.authorizedParties).toEqual(['https://a.example.com']);
  });

  it('accepts plain http for loopback JWKS hosts only', () => {
    for (const host of ['localhost:3000', '127.0.0.1:8080', '127.1.2.3', '[::1]:9000']) {
      expect(resolve({ jwksUri: `http://${host}/.well-known/jwks.json` }).config.issuer).toBe(`http://${host}`);
    }
    // *.localhost names go through DNS in Node: not guaranteed to stay on the machine.
    for (const host of ['dev.localhost', '10.0.0.1', '128.0.0.1', 'localhost.example.com']) {
      expect(configError(() => resolve({ jwksUri: `http://${host}/.well-known/jwks.json` })).option).toBe('jwksUri');
    }
  });

  it('derives iss from a jwksUri behind a proxy path', () => {
    expect(resolve({ jwksUri: 'https://example.com/__clerk/.well-known/jwks.json' }).config.issuer).toBe('https://example.com/__clerk');
  });
});

describe('resolveConfig: startup errors name the option and its env var', () => {
  const jwksError = (jwksUri: string, extra: ClerkVerifierOptions = {}) => configError(() => resolve({ jwksUri, ...extra }));

  it.each([
    ['not-a-url', 'is not a URL'],
    [PK, 'is not a URL'],
    ['http://exotic-crab-75.clerk.accounts.dev/.well-known/jwks.json', 'must use https (plain http is allowed only for localhost, 127.x.x.x and ::1)'],
    ['ftp://exotic-crab-75.clerk.accounts.dev/.well-known/jwks.json', 'must use https (plain http is allowed only for localhost, 127.x.x.x and ::1)'],
    ['https://user:pass@exotic-crab-75.clerk.accounts.dev/.well-known/jwks.json', 'must not contain a user name or password'],
    ['https://exotic-crab-75.clerk.accounts.dev', 'has no path: the key set is served at /.well-known/jwks.json'],
  ])('Invalid JWKS URI: %s', (uri, problem) => {
    const error = jwksError(uri);
    expect(error.option).toBe('jwksUri');
    expect(error.message).toBe(`Invalid JWKS URI: jwksUri (CLERK_JWKS_URI) ${problem}. Expected https://<your-frontend-api>/.well-known/jwks.json`);
    expect(error.message).not.toContain('user:pass');
  });

  it("Invalid JWKS URI: another host than the publishable key's shows the URI it expected", () => {
    expect(jwksError('https://other-app-12.clerk.accounts.dev/.well-known/jwks.json', { publishableKey: PK }).message).toBe(
      `Invalid JWKS URI: jwksUri (CLERK_JWKS_URI) points at other-app-12.clerk.accounts.dev, but publishableKey (CLERK_PUBLISHABLE_KEY) belongs to ${FAPI}. Expected https://${FAPI}/.well-known/jwks.json`,
    );
  });

  it('Invalid JWKS URI: the Backend API key set without a secret key', () => {
    expect(jwksError('https://api.clerk.com/v1/jwks').message).toBe(
      'Invalid JWKS URI: jwksUri (CLERK_JWKS_URI) points at the Backend API (api.clerk.com), which needs secretKey (CLERK_SECRET_KEY); use the public Frontend API key set instead. Expected https://<your-frontend-api>/.well-known/jwks.json',
    );
  });

  it('refuses a secret key that is not one, without printing it', () => {
    const notSecret = 'sk_test_not a key!';
    const error = configError(() => resolve({}, { CLERK_SECRET_KEY: notSecret }));
    expect(error.option).toBe('secretKey');
    expect(error.message).toBe('secretKey (CLERK_SECRET_KEY) is not a Clerk secret key: expected sk_test_… or sk_live_… followed by base64 characters (Clerk Dashboard → API Keys).');
    expect(configError(() => resolve({ secretKey: 'mysecret123' })).message).not.toContain('mysecret123');
  });

  it('spots a publishable key in the secret key slot', () => {
    expect(configError(() => resolve({ secretKey: PK })).message).toBe('secretKey (CLERK_SECRET_KEY) holds a publishable key (pk_…); the secret key starts with sk_test_ or sk_live_.');
  });

  it('refuses keys of two different instance types', () => {
    const secretKey = fakeSecretKey('live');
    const error = configError(() => resolve({ publishableKey: PK, secretKey }));
    expect(error.message).toBe(
      'publishableKey (CLERK_PUBLISHABLE_KEY) is a development key but secretKey (CLERK_SECRET_KEY) is a production key: both must come from the same Clerk instance (Clerk Dashboard → API Keys).',
    );
    expect(error.message).not.toContain(secretKey.slice(8));
  });

  it('refuses a malformed publishable key from the environment', () => {
    const error = configError(() => resolve({}, { CLERK_PUBLISHABLE_KEY: 'pk_test_...' }));
    expect(error.message).toMatch(/^publishableKey \(CLERK_PUBLISHABLE_KEY\) is malformed/);
  });

  describe('jwtKey', () => {
    it('accepts the PEM with escaped newlines, or its bare base64 body', () => {
      expect(resolve({}, { CLERK_JWT_KEY: PEM.replace(/\n/g, '\\n') }).config.keySource).toBe('jwtKey');
      const body = PEM.replace(/-----(BEGIN|END) PUBLIC KEY-----|\s/g, '');
      expect(resolve({ jwtKey: body }).config.keySource).toBe('jwtKey');
    });

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    it.each([
      ['a private key', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'holds a private key'],
      ['a PKCS#1 public key', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'is not a PEM public key: expected "-----BEGIN PUBLIC KEY-----".'],
      ['not base64', '-----BEGIN PUBLIC KEY-----\nnot*base64\n-----END PUBLIC KEY-----', 'is not a PEM public key: its body is not base64.'],
      ['base64 of nothing useful', 'aGVsbG8gd29ybGQ=', 'is not a PEM public key: it could not be read as an SPKI public key.'],
      ['an EC key', ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'is not an RSA key (it is ec); Clerk signs session tokens with RS256, which needs an RSA key.'],
      ['a 1024-bit RSA key', small.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'is an RSA key shorter than 2048 bits'],
    ])('refuses %s', (_, jwtKey, problem) => {
      const error = configError(() => resolve({ jwtKey }));
      expect(error.option).toBe('jwtKey');
      expect(error.message.startsWith(`jwtKey (CLERK_JWT_KEY) ${problem}`)).toBe(true);
      expect(error.message).not.toContain('MII');
    });
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['http://api.clerk.com', 'must use https (plain http is allowed only for localhost, 127.x.x.x and ::1)'],
    ['https://api.clerk.com/?x=1', 'must not have a query or fragment'],
  ])('refuses apiUrl %j', (apiUrl, problem) => {
    const error = configError(() => resolve({ secretKey: fakeSecretKey() }, { CLERK_API_URL: apiUrl }));
    expect(error.message).toBe(`apiUrl (CLERK_API_URL) ${problem}. Expected e.g. https://api.clerk.com`);
  });

  it.each([
    ['http://localhost:3000/', 'entry "http://localhost:3000/" is not an origin: expected "http://localhost:3000", with no path or trailing slash.'],
    ['https://app.example.com/app', 'entry "https://app.example.com/app" is not an origin: expected "https://app.example.com", with no path or trailing slash.'],
    ['localhost:3000', 'entry "localhost:3000" is not an origin: expected scheme://host[:port], e.g. "http://localhost:3000", with no path or trailing slash.'],
  ])('refuses authorized party %j', (party, problem) => {
    const fromEnv = configError(() => resolve({ publishableKey: PK }, { CLERK_AUTHORIZED_PARTIES: `https://ok.example.com,${party}` }));
    expect(fromEnv.message).toBe(`authorizedParties (CLERK_AUTHORIZED_PARTIES) ${problem}`);
    expect(configError(() => resolve({ publishableKey: PK, authorizedParties: [party] })).option).toBe('authorizedParties');
  });

  it('refuses authorizedParties that is not an array of strings', () => {
    for (const authorizedParties of ['https://app.example.com', [42]] as unknown[]) {
      expect(configError(() => resolve({ publishableKey: PK, authorizedParties: authorizedParties as string[] })).message).toBe(
        "authorizedParties (CLERK_AUTHORIZED_PARTIES) must be an array of origins, e.g. ['https://app.example.com'].",
      );
    }
  });

  it('refuses an issuer that is not a URL, ends with a slash or is blank', () => {
    expect(configError(() => resolve({ publishableKey: PK, issuer: 'clerk' })).message).toBe('issuer must be a URL, e.g. https://clerk.example.com.');
    expect(configError(() => resolve({ publishableKey: PK, issuer: 'https://clerk.example.com/' })).message).toBe(
      'issuer must not end with "/": Clerk tokens carry iss without one, e.g. https://clerk.example.com.',
    );
    expect(configError(() => resolve({ publishableKey: PK, issuer: ' ' })).message).toMatch(/^issuer is blank: leave it undefined to derive it/);
    expect(resolve({ publishableKey: PK, issuer: ' https://clerk.example.com ' }).config.issuer).toBe('https://clerk.example.com');
  });

  it.each([
    ['clockSkewInMs', -1, 'clockSkewInMs must be a number of milliseconds from 0 to 300000; default is 5000.'],
    ['clockSkewInMs', Number.NaN, 'clockSkewInMs must be a number of milliseconds from 0 to 300000; default is 5000.'],
    ['clockSkewInMs', Infinity, 'clockSkewInMs must be a number of milliseconds from 0 to 300000; default is 5000.'],
    ['clockSkewInMs', '5000', 'clockSkewInMs must be a number of milliseconds from 0 to 300000; default is 5000.'],
    ['jwksTimeoutInMs', 0, 'jwksTimeoutInMs must be a whole number of milliseconds from 1 to 2147483647; default is 5000.'],
    ['jwksTimeoutInMs', 1500.5, 'jwksTimeoutInMs must be a whole number of milliseconds from 1 to 2147483647; default is 5000.'],
    ['jwksTimeoutInMs', 2 ** 31, 'jwksTimeoutInMs must be a whole number of milliseconds from 1 to 2147483647; default is 5000.'],
    ['logger', {}, 'logger must be an object with a warn(message) method, such as console, or false.'],
    ['logger', true, 'logger must be an object with a warn(message) method, such as console, or false.'],
    ['jwksCooldownInMs', -5, 'jwksCooldownInMs must be a number of milliseconds from 0 to 86400000; default is 30000.'],
    ['jwksCacheMaxAgeInMs', 0, 'jwksCacheMaxAgeInMs must be a number of milliseconds from 1 to 86400000; default is 600000.'],
    ['jwksStaleWindowInMs', -1, 'jwksStaleWindowInMs must be a number of milliseconds from 0 to 86400000; default is 3600000.'],
    ['jwksStaleWindowInMs', Infinity, 'jwksStaleWindowInMs must be a number of milliseconds from 0 to 86400000; default is 3600000.'],
    ['logger', { warn: () => undefined, event: 'yes' }, 'logger.event must be a function (event) => void when it is set.'],
    ['tokenCacheSize', -1, 'tokenCacheSize must be a whole number from 0 (off) to 1000000; default is 1000.'],
    ['tokenCacheSize', 10.5, 'tokenCacheSize must be a whole number from 0 (off) to 1000000; default is 1000.'],
    ['tokenCacheSize', Infinity, 'tokenCacheSize must be a whole number from 0 (off) to 1000000; default is 1000.'],
    ['tokenCacheSize', '1000', 'tokenCacheSize must be a whole number from 0 (off) to 1000000; default is 1000.'],
    ['acceptPendingSessions', 'yes', 'acceptPendingSessions must be true or false.'],
    ['name', '', 'name must be 1 to 100 printable ASCII characters without surrounding spaces (it is the WWW-Authenticate realm).'],
    ['name', 'bad\r\nSet-Cookie: x=1', 'name must be 1 to 100 printable ASCII characters without surrounding spaces (it is the WWW-Authenticate realm).'],
    ['name', ' clerk', 'name must be 1 to 100 printable ASCII characters without surrounding spaces (it is the WWW-Authenticate realm).'],
    ['name', 'ключ', 'name must be 1 to 100 printable ASCII characters without surrounding spaces (it is the WWW-Authenticate realm).'],
    ['jwksUri', 42, 'jwksUri (CLERK_JWKS_URI) must be a string.'],
    ['env', 'CLERK_JWKS_URI=x', 'env must be an object of environment variables (or undefined for process.env).'],
  ])('refuses %s = %j', (option, value, message) => {
    const error = configError(() => resolveConfig({ publishableKey: PK, env: {}, [option]: value }));
    expect(error.message).toBe(message);
    expect(error.option).toBe(option);
  });

  it('refuses unknown options, suggesting the one meant', () => {
    const error = configError(() => resolveConfig({ publishableKey: PK, authorisedParties: ['https://a.example.com'] } as ClerkVerifierOptions));
    expect(error.message).toMatch(/^createClerkVerifier\(\) got an unknown option "authorisedParties" \(did you mean "authorizedParties"\?\)\. Known options: jwksUri, /);
    expect(configError(() => resolveConfig({ publishableKey: PK, jwks_uri: 'x' } as ClerkVerifierOptions)).message).toMatch(/unknown option "jwks_uri" \(did you mean "jwksUri"\?\)/);
  });

  it('refuses options that are not an object', () => {
    expect(configError(() => resolveConfig('pk_test_x' as ClerkVerifierOptions)).message).toBe('createClerkVerifier() options must be an object.');
  });
});
