/**
 * Configuration that would silently switch a check off, of every factory: blank and whitespace
 * values, an empty list against an unset one, strings where booleans or numbers belong, duplicate
 * entries, NaN/Infinity/huge numbers, wrong types, near-miss option and environment variable
 * names. Each row is either a startup ClerkConfigError naming the option (and its environment
 * variable, when it has one) or a value accepted as documented in the README ("Configuration
 * rules"). Environment is always injected, never process.env.
 */
import {
  clerkAuth,
  clerkWebhook,
  ClerkConfigError,
  createClerkBackendClient,
  createClerkVerifier,
  createClerkWebhookVerifier,
  createMastraAuthProvider,
  requireAuth,
  requireAuthorization,
  requireFeature,
  requireOrganization,
  requireOrganizationMembership,
  requirePermission,
  requirePlan,
  requirePolicy,
  requireRole,
  requireVerifiedEmail,
  type AcceptsToken,
  type ClerkAuthOptions,
  type ClerkBackendClientOptions,
  type ClerkVerifierOptions,
  type ClerkWebhookOptions,
} from '../../lib';
import { ENV_VARS } from '../../lib/shared/env-vars';
import { createTestIssuer, type TestIssuerOptions } from '../../lib/testing';
import { fakeSecretKey, publishableKeyFor } from '../helpers/keys';
import { createSigningSecret } from '../helpers/webhooks';

const PK = publishableKeyFor('exotic-crab-75.clerk.accounts.dev');
const SECRET = createSigningSecret();
const OTHER_SECRET = createSigningSecret();
const A = 'https://a.example.com';
const B = 'http://localhost:3000';

/** Label of an option in messages: `name (ENV_VAR)` when it has one. */
const label = (option: string) => {
  const envVar = (ENV_VARS as Record<string, string | undefined>)[option];
  return envVar === undefined ? option : `${option} (${envVar})`;
};

function configError(run: () => unknown): ClerkConfigError {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error('expected a ClerkConfigError, but nothing was thrown');
  expect(error).toBeInstanceOf(ClerkConfigError);
  return error as ClerkConfigError;
}

/** A row: what is called, the option it must name (`null`: accepted), and words the message must hold. */
type Row = [name: string, run: () => unknown, option: string | null, words?: string[]];

const verifier = (options: ClerkVerifierOptions, env: Record<string, string | undefined> = {}) => createClerkVerifier({ publishableKey: PK, env, logger: false, ...options });
const parties = (options: ClerkVerifierOptions, env: Record<string, string | undefined> = {}) => verifier(options, env).config.authorizedParties;

describe('createClerkVerifier() / clerkAuth(): options and environment', () => {
  const ROWS: Row[] = [
    // authorizedParties: a blank entry, an empty list or a duplicate is a mistake, never "no azp check".
    ["authorizedParties: ['']", () => verifier({ authorizedParties: [''] }), 'authorizedParties', ['blank']],
    ["authorizedParties: ['  ']", () => verifier({ authorizedParties: [' \t'] }), 'authorizedParties', ['blank']],
    ["authorizedParties: [A, '']", () => verifier({ authorizedParties: [A, ''] }), 'authorizedParties', ['entry 2', 'blank']],
    ['authorizedParties: []', () => verifier({ authorizedParties: [] }), 'authorizedParties', ['empty list']],
    ['authorizedParties: [] with the env list set', () => verifier({ authorizedParties: [] }, { CLERK_AUTHORIZED_PARTIES: A }), 'authorizedParties', ['empty list']],
    ['authorizedParties: [A, A]', () => verifier({ authorizedParties: [A, A] }), 'authorizedParties', [`"${A}" is listed twice`]],
    ["authorizedParties: [A, ' A ']", () => verifier({ authorizedParties: [A, ` ${A} `] }), 'authorizedParties', ['listed twice']],
    ['authorizedParties: a string', () => verifier({ authorizedParties: A as never }), 'authorizedParties', ['array of origins']],
    ['authorizedParties: a Set', () => verifier({ authorizedParties: new Set([A]) as never }), 'authorizedParties', ['array of origins']],
    ['authorizedParties: [null]', () => verifier({ authorizedParties: [null] as never }), 'authorizedParties', ['array of origins']],
    ['authorizedParties: null', () => verifier({ authorizedParties: null as never }), 'authorizedParties', ['array of origins']],
    ['CLERK_AUTHORIZED_PARTIES with a trailing comma', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: `${A},` }), 'authorizedParties', ['entry 2', 'blank']],
    ['CLERK_AUTHORIZED_PARTIES with a leading comma', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: `,${A}` }), 'authorizedParties', ['entry 1', 'blank']],
    ['CLERK_AUTHORIZED_PARTIES with an empty entry inside', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: `${A}, ,${B}` }), 'authorizedParties', ['entry 2', 'blank']],
    ['CLERK_AUTHORIZED_PARTIES of commas only', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: ' , ' }), 'authorizedParties', ['blank']],
    ['CLERK_AUTHORIZED_PARTIES with a duplicate', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: `${A},${B}, ${A}` }), 'authorizedParties', ['listed twice']],
    ['CLERK_AUTHORIZED_PARTIES with a path', () => verifier({}, { CLERK_AUTHORIZED_PARTIES: `${A}/app` }), 'authorizedParties', ['not an origin']],
    // Near-miss environment variable names: the check they were meant to turn on would be off.
    [
      'CLERK_AUTHORISED_PARTIES (British spelling)',
      () => verifier({}, { CLERK_AUTHORISED_PARTIES: A }),
      'authorizedParties',
      ['CLERK_AUTHORISED_PARTIES', 'did you mean CLERK_AUTHORIZED_PARTIES'],
    ],
    ['CLERK_AUTHORIZED_PARTY (singular)', () => verifier({}, { CLERK_AUTHORIZED_PARTY: A }), 'authorizedParties', ['CLERK_AUTHORIZED_PARTY', 'did you mean CLERK_AUTHORIZED_PARTIES']],
    ['clerk_authorized_parties (lower case)', () => verifier({}, { clerk_authorized_parties: A }), 'authorizedParties', ['clerk_authorized_parties']],
    ['CLERK_AUTHORIZED_ORIGINS', () => verifier({}, { CLERK_AUTHORIZED_ORIGINS: A }), 'authorizedParties', ['did you mean CLERK_AUTHORIZED_PARTIES']],
    // issuer: no env var, so a blank value is a mistake (it would leave the pin to chance).
    ["issuer: ''", () => verifier({ issuer: '' }), 'issuer', ['blank']],
    ["issuer: '  '", () => verifier({ issuer: '  ' }), 'issuer', ['blank']],
    ['issuer: null', () => verifier({ issuer: null as never }), 'issuer', []],
    ['issuer: 42', () => verifier({ issuer: 42 as never }), 'issuer', []],
    // Numbers: strings, NaN, Infinity and values so large they switch a check off.
    ["clockSkewInMs: '5000'", () => verifier({ clockSkewInMs: '5000' as never }), 'clockSkewInMs', ['300000']],
    ['clockSkewInMs: NaN', () => verifier({ clockSkewInMs: Number.NaN }), 'clockSkewInMs', []],
    ['clockSkewInMs: Infinity', () => verifier({ clockSkewInMs: Infinity }), 'clockSkewInMs', []],
    ['clockSkewInMs: 1e15 (exp switched off)', () => verifier({ clockSkewInMs: 1e15 }), 'clockSkewInMs', ['from 0 to 300000']],
    ['clockSkewInMs: 300001', () => verifier({ clockSkewInMs: 300_001 }), 'clockSkewInMs', []],
    ['clockSkewInMs: -1', () => verifier({ clockSkewInMs: -1 }), 'clockSkewInMs', []],
    ['jwksCacheMaxAgeInMs: Infinity (a removed key verifies forever)', () => verifier({ jwksCacheMaxAgeInMs: Infinity }), 'jwksCacheMaxAgeInMs', ['86400000']],
    ['jwksCacheMaxAgeInMs: 86400001', () => verifier({ jwksCacheMaxAgeInMs: 86_400_001 }), 'jwksCacheMaxAgeInMs', []],
    ['jwksStaleWindowInMs: 1e16', () => verifier({ jwksStaleWindowInMs: 1e16 }), 'jwksStaleWindowInMs', ['86400000']],
    ['jwksCooldownInMs: 86400001', () => verifier({ jwksCooldownInMs: 86_400_001 }), 'jwksCooldownInMs', []],
    ["jwksTimeoutInMs: '5000'", () => verifier({ jwksTimeoutInMs: '5000' as never }), 'jwksTimeoutInMs', []],
    ["tokenCacheSize: '1000'", () => verifier({ tokenCacheSize: '1000' as never }), 'tokenCacheSize', []],
    ['tokenCacheSize: 1e7', () => verifier({ tokenCacheSize: 1e7 }), 'tokenCacheSize', []],
    // Booleans: 'false' is not false.
    ["acceptPendingSessions: 'false'", () => verifier({ acceptPendingSessions: 'false' as never }), 'acceptPendingSessions', ['true or false']],
    ['acceptPendingSessions: 0', () => verifier({ acceptPendingSessions: 0 as never }), 'acceptPendingSessions', []],
    ['acceptPendingSessions: null', () => verifier({ acceptPendingSessions: null as never }), 'acceptPendingSessions', []],
    ["acceptJwtTemplates: 'true'", () => verifier({ acceptJwtTemplates: 'true' as never }), 'acceptJwtTemplates', []],
    // Other types.
    ['logger: null', () => verifier({ logger: null as never }), 'logger', []],
    ['logger: true', () => verifier({ logger: true as never }), 'logger', []],
    ["logger: 'console'", () => verifier({ logger: 'console' as never }), 'logger', []],
    ['env: null (not process.env)', () => createClerkVerifier({ publishableKey: PK, env: null as never }), 'env', []],
    ['jwksUri: 42', () => verifier({ jwksUri: 42 as never }), 'jwksUri', [label('jwksUri')]],
    ['secretKey: 42', () => verifier({ secretKey: 42 as never }), 'secretKey', [label('secretKey')]],
    ["name: ''", () => verifier({ name: '' }), 'name', []],
    // Near-miss option names.
    ['authorisedParties', () => verifier({ authorisedParties: [A] } as never), 'authorisedParties', ['did you mean "authorizedParties"']],
    ['clockSkewInMS', () => verifier({ clockSkewInMS: 1000 } as never), 'clockSkewInMS', ['did you mean "clockSkewInMs"']],
    ['jwksURI', () => verifier({ jwksURI: 'https://x' } as never), 'jwksURI', ['did you mean "jwksUri"']],
    ['clockTolerance', () => verifier({ clockTolerance: 5 } as never), 'clockTolerance', ['unknown option']],
    ['audiance', () => verifier({ audiance: 'x' } as never), 'audiance', ['did you mean "audience"']],
    // audience: no env var, so a blank value, an empty list or a duplicate is a mistake (not "no aud check").
    ["audience: ''", () => verifier({ audience: '' }), 'audience', ['blank']],
    ["audience: [' ']", () => verifier({ audience: [' '] }), 'audience', ['blank']],
    ['audience: []', () => verifier({ audience: [] }), 'audience', ['empty list']],
    ["audience: ['a', 'a']", () => verifier({ audience: ['a', 'a'] }), 'audience', ['listed twice']],
    ["audience: [' a']", () => verifier({ audience: [' a'] }), 'audience', ['surrounding spaces']],
    ['audience: 42', () => verifier({ audience: 42 as never }), 'audience', ['string or a list of strings']],
    ['audience: null', () => verifier({ audience: null as never }), 'audience', []],
    // Machine tokens: keys of the right kind, booleans and bounds.
    ['machineSecretKey: an sk_ key', () => verifier({ machineSecretKey: fakeSecretKey() }), 'machineSecretKey', ['instance secret key', label('secretKey')]],
    ["machineSecretKey: 'x'", () => verifier({ machineSecretKey: 'x' }), 'machineSecretKey', ['ak_']],
    ['CLERK_MACHINE_SECRET_KEY malformed', () => verifier({}, { CLERK_MACHINE_SECRET_KEY: 'mch_123' }), 'machineSecretKey', ['ak_']],
    ['secretKey: an ak_ key', () => verifier({ secretKey: ['ak', 'x'.repeat(30)].join('_') }), 'secretKey', ['machine secret key', label('machineSecretKey')]],
    ["opaqueTokens: 'false'", () => verifier({ opaqueTokens: 'false' as never }), 'opaqueTokens', ['true or false']],
    ['opaqueTokenCacheTtlInMs: 300001', () => verifier({ opaqueTokenCacheTtlInMs: 300_001 }), 'opaqueTokenCacheTtlInMs', ['from 0 to 300000']],
    ['opaqueTokenCacheTtlInMs: Infinity', () => verifier({ opaqueTokenCacheTtlInMs: Infinity }), 'opaqueTokenCacheTtlInMs', []],
    ['apiTimeoutInMs: 0', () => verifier({ apiTimeoutInMs: 0 }), 'apiTimeoutInMs', []],
  ];

  it.each(ROWS)('%s', (_name, run, option, words = []) => {
    const error = configError(run);
    expect(error.option).toBe(option);
    for (const word of words) expect(error.message).toContain(word);
    const envVar = (ENV_VARS as Record<string, string | undefined>)[option as string];
    if (envVar !== undefined) expect(error.message).toContain(label(option as string));
  });

  it('accepts what a careful user means', () => {
    // A blank or empty env variable (KEY= in a .env template) is unset.
    expect(parties({}, { CLERK_AUTHORIZED_PARTIES: '' })).toEqual([]);
    expect(parties({}, { CLERK_AUTHORIZED_PARTIES: ' \t ' })).toEqual([]);
    expect(parties({}, {})).toEqual([]);
    // Entries are trimmed; the option wins over the env list.
    expect(parties({}, { CLERK_AUTHORIZED_PARTIES: ` ${A} , ${B} ` })).toEqual([A, B]);
    expect(parties({ authorizedParties: [` ${A}`] }, { CLERK_AUTHORIZED_PARTIES: B })).toEqual([A]);
    // The near-miss check does not fire when the real setting is there (option or env).
    expect(parties({ authorizedParties: [A] }, { CLERK_AUTHORISED_PARTIES: B })).toEqual([A]);
    expect(parties({}, { CLERK_AUTHORIZED_PARTIES: A, CLERK_AUTHORIZED_PARTY: B })).toEqual([A]);
    // Clerk's own variables are not near misses.
    expect(parties({}, { CLERK_API_KEY: 'x', CLERK_API_VERSION: 'v1', CLERK_ENCRYPTION_KEY: 'x', CLERK_DOMAIN: 'x' })).toEqual([]);
    // Key sources: a blank option or env variable is unset.
    expect(verifier({ jwksUri: '  ' }, { CLERK_JWKS_URI: '' }).config.keySource).toBe('publishableKey');
    // Bounds are inclusive.
    expect(verifier({ clockSkewInMs: 0 }).config.clockSkewInMs).toBe(0);
    expect(verifier({ clockSkewInMs: 300_000 }).config.clockSkewInMs).toBe(300_000);
    expect(verifier({ jwksCacheMaxAgeInMs: 86_400_000, jwksStaleWindowInMs: 86_400_000, jwksCooldownInMs: 86_400_000 }).config).toMatchObject({
      jwksCacheMaxAgeInMs: 86_400_000,
      jwksStaleWindowInMs: 86_400_000,
      jwksCooldownInMs: 86_400_000,
    });
    expect(verifier({ issuer: ' https://clerk.example.com ' }).config.issuer).toBe('https://clerk.example.com');
  });

  it('says which near-miss variable it found when no key source is set, without its value', () => {
    const error = configError(() => createClerkVerifier({ env: { CLERK_JWKS_URL: 'https://x.example.com/.well-known/jwks.json' } }));
    expect(error.message).toContain('Found CLERK_JWKS_URL: did you mean CLERK_JWKS_URI?');
    expect(error.message).not.toContain('x.example.com');
  });
});

describe('clerkAuth() and the Mastra provider: their own options', () => {
  const auth = (options: ClerkAuthOptions<AcceptsToken>) => clerkAuth({ publishableKey: PK, env: {}, logger: false, ...options });
  const ROWS: Row[] = [
    ["optional: 'false'", () => auth({ optional: 'false' as never }), 'optional', ['true or false']],
    ['forwardErrors: 1', () => auth({ forwardErrors: 1 as never }), 'forwardErrors', []],
    ["sessionCookie: 'true'", () => auth({ sessionCookie: 'true' as never }), 'sessionCookie', []],
    ["acceptsToken: 'm2m'", () => auth({ acceptsToken: 'm2m' as never }), 'acceptsToken', ['not a Clerk token type']],
    ['acceptsToken: []', () => auth({ acceptsToken: [] as never }), 'acceptsToken', ['empty list']],
    ["acceptsToken: ['m2m_token', 'm2m_token']", () => auth({ acceptsToken: ['m2m_token', 'm2m_token'], opaqueTokens: false }), 'acceptsToken', ['twice']],
    ["acceptsToken: ['any']", () => auth({ acceptsToken: ['any'] as never }), 'acceptsToken', ["'any' stands alone"]],
    ['acceptsToken: null', () => auth({ acceptsToken: null as never }), 'acceptsToken', []],
    ["acceptsToken: 'api_key' without a secret key", () => auth({ acceptsToken: 'api_key' }), 'secretKey', [label('secretKey')]],
    ["acceptsToken: 'any' without a secret key", () => auth({ acceptsToken: 'any' }), 'secretKey', [label('secretKey')]],
    ["acceptsToken: 'm2m_token' without a key for opaque tokens", () => auth({ acceptsToken: 'm2m_token' }), 'machineSecretKey', [label('machineSecretKey'), 'opaqueTokens: false']],
    ["acceptsToken: 'oauth_token' without a secret key", () => auth({ acceptsToken: 'oauth_token' }), 'secretKey', ['opaqueTokens: false']],
    ["acceptsToken: 'api_key' with opaqueTokens: false", () => auth({ acceptsToken: 'api_key', secretKey: fakeSecretKey(), opaqueTokens: false }), 'opaqueTokens', []],
    [
      "sessionCookie with acceptsToken: 'm2m_token'",
      () => auth({ acceptsToken: 'm2m_token', opaqueTokens: false, sessionCookie: true, authorizedParties: [A] }),
      'sessionCookie',
      ['session_token'],
    ],
    ["Mastra: acceptsToken: 'api_key' without a secret key", () => createMastraAuthProvider({ publishableKey: PK, env: {}, acceptsToken: 'api_key' }), 'secretKey', []],
    ["Mastra: sessionCookie: 'yes'", () => createMastraAuthProvider({ publishableKey: PK, env: {}, sessionCookie: 'yes' as never }), 'sessionCookie', []],
    ['Mastra: sessionCookie without authorizedParties', () => createMastraAuthProvider({ publishableKey: PK, env: {}, sessionCookie: true }), 'sessionCookie', ['authorizedParties']],
    ["authorizeUser: 'admin'", () => auth({ authorizeUser: 'admin' as never }), 'authorizeUser', []],
    ['authorizeUser: null', () => auth({ authorizeUser: null as never }), 'authorizeUser', []],
    ['verifier: null', () => clerkAuth({ verifier: null as never }), 'verifier', []],
    ['verifier and authorizedParties', () => clerkAuth({ verifier: verifier({}), authorizedParties: [A] }), 'verifier', ['authorizedParties']],
    ['optinal', () => auth({ optinal: true } as never), 'optinal', ['did you mean "optional"']],
    ['clerkAuth(null)', () => clerkAuth(null as never), null, ['must be an object']],
    ['Mastra: authorizeUser: true', () => createMastraAuthProvider({ publishableKey: PK, env: {}, authorizeUser: true as never }), 'authorizeUser', []],
    ['Mastra: verifier: null', () => createMastraAuthProvider({ verifier: null as never }), 'verifier', []],
    ["Mastra: authorizedParties: ['']", () => createMastraAuthProvider({ publishableKey: PK, env: {}, authorizedParties: [''] }), 'authorizedParties', [label('authorizedParties')]],
    ['Mastra: authorizeuser', () => createMastraAuthProvider({ publishableKey: PK, env: {}, authorizeuser: () => true } as never), 'authorizeuser', ['did you mean "authorizeUser"']],
  ];

  it.each(ROWS)('%s', (_name, run, option, words = []) => {
    const error = configError(run);
    expect(error.option).toBe(option);
    for (const word of words) expect(error.message).toContain(word);
  });
});

describe('guards and their arguments', () => {
  const client = createClerkBackendClient({ secretKey: fakeSecretKey(), env: {} });
  const ROWS: Row[] = [
    ["requireRole('')", () => requireRole(''), 'role', []],
    ["requireRole('  ')", () => requireRole('  '), 'role', []],
    ["requireRole('org:')", () => requireRole('org:'), 'role', ['org:admin']],
    ["requireRole('org:admin:x')", () => requireRole('org:admin:x'), 'role', []],
    ['requireRole(undefined)', () => requireRole(undefined as never), 'role', []],
    ["requireRole(['org:admin'])", () => requireRole(['org:admin'] as never), 'role', []],
    ["requireRole('org:admin', 'org:owner') (either? both?)", () => (requireRole as (...roles: string[]) => unknown)('org:admin', 'org:owner'), 'role', ['one role', 'requireAuthorization']],
    ["requirePermission('read')", () => requirePermission('read'), 'permission', ['org:invoices:read']],
    ["requirePermission('org:invoices:')", () => requirePermission('org:invoices:'), 'permission', []],
    ["requirePermission('org:a:b:c')", () => requirePermission('org:a:b:c'), 'permission', []],
    ["requirePermission('a', 'b')", () => (requirePermission as (...names: string[]) => unknown)('org:a:read', 'org:b:read'), 'permission', ['one permission']],
    ["requireFeature('org:')", () => requireFeature('org:'), 'feature', []],
    ["requireFeature('team:dashboard') (unknown scope)", () => requireFeature('team:dashboard'), 'feature', ['org:', 'user:']],
    ["requireFeature('a:b:c')", () => requireFeature('o:b:c'), 'feature', []],
    ["requirePlan('u:')", () => requirePlan('u:'), 'plan', []],
    ["requirePlan('pro', 'team')", () => (requirePlan as (...names: string[]) => unknown)('pro', 'team'), 'plan', ['one plan']],
    ["requireOrganization('')", () => requireOrganization(''), 'idOrSlug', []],
    ['requireOrganization(null)', () => requireOrganization(null as never), 'idOrSlug', []],
    ["requireOrganization(' acme')", () => requireOrganization(' acme'), 'idOrSlug', []],
    ['requireAuth(null)', () => requireAuth(null as never), null, ['must be an object']],
    ['requireAuth({ optional: true })', () => requireAuth({ optional: true } as never), 'optional', []],
    ["requireAuth({ optional: 'true' })", () => requireAuth({ publishableKey: PK, env: {}, optional: 'true' } as never), 'optional', []],
    ["requireAuthorization('admin')", () => requireAuthorization('admin' as never), 'check', []],
    ['requireAuthorization(check, null)', () => requireAuthorization(() => true, null as never), null, ['must be an object']],
    ['requireAuthorization(check, { requirment })', () => requireAuthorization(() => true, { requirment: 'x' } as never), 'requirment', ['did you mean "requirement"']],
    ["requirement: ''", () => requireAuthorization(() => true, { requirement: '' }), 'requirement', []],
    ["requirement: '   '", () => requireAuthorization(() => true, { requirement: '   ' }), 'requirement', ['blank']],
    ['requirePolicy({})', () => requirePolicy({} as never), 'policy', []],
    ['requireVerifiedEmail(null)', () => requireVerifiedEmail(null as never), 'client', []],
    ["requireOrganizationMembership(client, '')", () => requireOrganizationMembership(client, ''), 'idOrSlug', []],
    ["requireOrganizationMembership(client, '  ')", () => requireOrganizationMembership(client, '  '), 'idOrSlug', []],
  ];

  it.each(ROWS)('%s', (_name, run, option, words = []) => {
    const error = configError(run);
    expect(error.option).toBe(option);
    for (const word of words) expect(error.message).toContain(word);
  });

  it('accepts every documented spelling', () => {
    for (const make of [
      () => requireRole('admin'),
      () => requireRole('org:admin'),
      () => requireRole('org:billing_manager'),
      () => requirePermission('invoices:read'),
      () => requirePermission('org:sys_memberships:manage'),
      () => requireFeature('dashboard'),
      () => requireFeature('org:dashboard'),
      () => requireFeature('o:dashboard'),
      () => requireFeature('organization:dashboard'),
      () => requireFeature('user:dashboard'),
      () => requireFeature('u:dashboard'),
      () => requirePlan('pro'),
      () => requirePlan('user:free'),
      () => requireOrganization(),
      () => requireOrganization('org_123'),
      () => requireAuthorization(() => true, {}),
      () => requireAuthorization(() => true, { requirement: 'an invoice of the organization' }),
      () => requireOrganizationMembership(client),
    ]) {
      expect(typeof make()).toBe('function');
    }
  });
});

describe('createClerkBackendClient()', () => {
  const backend = (options: ClerkBackendClientOptions, env: Record<string, string | undefined> = {}) => createClerkBackendClient({ secretKey: fakeSecretKey(), env, ...options });
  const ROWS: Row[] = [
    ['no secret key', () => createClerkBackendClient({ env: {} }), 'secretKey', [label('secretKey')]],
    ['a blank secret key and CLERK_SECRET_KEY=', () => createClerkBackendClient({ secretKey: '  ', env: { CLERK_SECRET_KEY: '' } }), 'secretKey', [label('secretKey')]],
    ['secretKey: 42', () => backend({ secretKey: 42 as never }), 'secretKey', [label('secretKey')]],
    ["apiUrl: 'http://api.clerk.com'", () => backend({ apiUrl: 'http://api.clerk.com' }), 'apiUrl', [label('apiUrl')]],
    ["cacheTtlInMs: '10000'", () => backend({ cacheTtlInMs: '10000' as never }), 'cacheTtlInMs', []],
    ['cacheTtlInMs: Infinity', () => backend({ cacheTtlInMs: Infinity }), 'cacheTtlInMs', []],
    ['cacheTtlInMs: 3600001 (a ban not seen for hours)', () => backend({ cacheTtlInMs: 3_600_001 }), 'cacheTtlInMs', ['3600000']],
    ['cacheTtlInMs: -1', () => backend({ cacheTtlInMs: -1 }), 'cacheTtlInMs', []],
    ['timeoutInMs: 0', () => backend({ timeoutInMs: 0 }), 'timeoutInMs', []],
    ['env: null', () => createClerkBackendClient({ secretKey: fakeSecretKey(), env: null as never }), 'env', []],
    ["env: 'x'", () => createClerkBackendClient({ secretKey: fakeSecretKey(), env: 'x' as never }), 'env', []],
    ['cacheTTL', () => backend({ cacheTTL: 5 } as never), 'cacheTTL', ['unknown option']],
    ['options: null', () => createClerkBackendClient(null as never), null, ['must be an object']],
  ];

  it.each(ROWS)('%s', (_name, run, option, words = []) => {
    const error = configError(run);
    expect(error.option).toBe(option);
    for (const word of words) expect(error.message).toContain(word);
  });

  it('takes a blank option as unset, and the bounds inclusive', () => {
    expect(() => createClerkBackendClient({ secretKey: '', env: { CLERK_SECRET_KEY: fakeSecretKey() } })).not.toThrow();
    expect(() => backend({ cacheTtlInMs: 0 })).not.toThrow();
    expect(() => backend({ cacheTtlInMs: 3_600_000 })).not.toThrow();
  });
});

describe('clerkWebhook() / createClerkWebhookVerifier()', () => {
  const webhook = (options: ClerkWebhookOptions, env: Record<string, string | undefined> = {}) => clerkWebhook({ env, logger: false, ...options });
  const webhookVerifier = (options: ClerkWebhookOptions, env: Record<string, string | undefined> = {}) => createClerkWebhookVerifier({ env, ...options });
  const ROWS: Row[] = [
    ['no secret', () => webhookVerifier({}), 'signingSecret', [label('signingSecret')]],
    ["signingSecret: ''", () => webhookVerifier({ signingSecret: '' }), 'signingSecret', [label('signingSecret')]],
    ['signingSecret: []', () => webhookVerifier({ signingSecret: [] }), 'signingSecret', ['empty list']],
    ["signingSecret: [SECRET, '']", () => webhookVerifier({ signingSecret: [SECRET, ''] }), 'signingSecret', ['entry 2', 'blank']],
    ['signingSecret: [SECRET, SECRET]', () => webhookVerifier({ signingSecret: [SECRET, ` ${SECRET}`] }), 'signingSecret', ['entries 1 and 2 are the same secret']],
    ['signingSecret: 42', () => webhookVerifier({ signingSecret: 42 as never }), 'signingSecret', []],
    ['CLERK_WEBHOOK_SIGNING_SECRET with a trailing comma', () => webhookVerifier({}, { CLERK_WEBHOOK_SIGNING_SECRET: `${SECRET},` }), 'signingSecret', ['entry 2', 'blank']],
    ['CLERK_WEBHOOK_SIGNING_SECRET with a leading comma', () => webhookVerifier({}, { CLERK_WEBHOOK_SIGNING_SECRET: `,${SECRET}` }), 'signingSecret', ['entry 1', 'blank']],
    [
      'CLERK_WEBHOOK_SIGNING_SECRET with a duplicate',
      () => webhookVerifier({}, { CLERK_WEBHOOK_SIGNING_SECRET: `${SECRET},${OTHER_SECRET},${SECRET}` }),
      'signingSecret',
      ['entries 1 and 3 are the same secret'],
    ],
    [
      'CLERK_WEBHOOK_SECRET (another name)',
      () => webhookVerifier({}, { CLERK_WEBHOOK_SECRET: SECRET }),
      'signingSecret',
      ['Found CLERK_WEBHOOK_SECRET: did you mean CLERK_WEBHOOK_SIGNING_SECRET?'],
    ],
    ["toleranceInMs: '300000'", () => webhookVerifier({ signingSecret: SECRET, toleranceInMs: '300000' as never }), 'toleranceInMs', []],
    ['toleranceInMs: Infinity', () => webhookVerifier({ signingSecret: SECRET, toleranceInMs: Infinity }), 'toleranceInMs', []],
    ['toleranceInMs: 3600001', () => webhookVerifier({ signingSecret: SECRET, toleranceInMs: 3_600_001 }), 'toleranceInMs', []],
    ["replayProtection: 'false'", () => webhookVerifier({ signingSecret: SECRET, replayProtection: 'false' as never }), 'replayProtection', []],
    ['replayCacheSize: 0', () => webhookVerifier({ signingSecret: SECRET, replayCacheSize: 0 }), 'replayCacheSize', []],
    ["replayCacheSize: '100'", () => webhookVerifier({ signingSecret: SECRET, replayCacheSize: '100' as never }), 'replayCacheSize', []],
    ['env: null', () => createClerkWebhookVerifier({ signingSecret: SECRET, env: null as never }), 'env', []],
    ['bodyLimitInBytes: 0', () => webhook({ signingSecret: SECRET, bodyLimitInBytes: 0 }), 'bodyLimitInBytes', []],
    ["bodyLimitInBytes: '1mb'", () => webhook({ signingSecret: SECRET, bodyLimitInBytes: '1mb' as never }), 'bodyLimitInBytes', []],
    ["forwardErrors: 'false'", () => webhook({ signingSecret: SECRET, forwardErrors: 'false' as never }), 'forwardErrors', []],
    ['logger: null', () => webhook({ signingSecret: SECRET, logger: null as never }), 'logger', []],
    ['signingSecrets', () => webhookVerifier({ signingSecrets: [SECRET] } as never), 'signingSecrets', ['did you mean "signingSecret"']],
    ['tolerance', () => webhook({ signingSecret: SECRET, tolerance: 5 } as never), 'tolerance', ['unknown option']],
  ];

  it.each(ROWS)('%s', (_name, run, option, words = []) => {
    const error = configError(run);
    expect(error.option).toBe(option);
    for (const word of words) expect(error.message).toContain(word);
    expect(error.message).not.toContain(SECRET.slice(6, 20));
  });

  it('takes a blank option as unset (the env secret), and several secrets from the env list', () => {
    expect(webhookVerifier({ signingSecret: '  ' }, { CLERK_WEBHOOK_SIGNING_SECRET: SECRET }).config.signingSecrets).toBe(1);
    expect(webhookVerifier({}, { CLERK_WEBHOOK_SIGNING_SECRET: ` ${SECRET} , ${OTHER_SECRET} ` }).config.signingSecrets).toBe(2);
    expect(webhookVerifier({ signingSecret: [SECRET, OTHER_SECRET] }).config.signingSecrets).toBe(2);
  });
});

describe('createTestIssuer()', () => {
  const ROWS: [string, TestIssuerOptions, string][] = [
    ['host: localhost (a name, not a loopback address)', { host: 'localhost' }, 'host'],
    ['host: 0.0.0.0', { host: '0.0.0.0' }, 'host'],
    ['host: null', { host: null as never }, 'host'],
    ["port: '0'", { port: '0' as never }, 'port'],
    ['port: null', { port: null as never }, 'port'],
    ["kid: ''", { kid: '' }, 'kid'],
    ["kid: '  '", { kid: '  ' }, 'kid'],
    ["authorizedParty: ''", { authorizedParty: '' }, 'authorizedParty'],
    ['authorizedParty: null', { authorizedParty: null as never }, 'authorizedParty'],
    ["authorizedParty: 'http://localhost:3000/'", { authorizedParty: 'http://localhost:3000/' }, 'authorizedParty'],
    ["version: '2'", { version: '2' as never }, 'version'],
    ['version: null', { version: null as never }, 'version'],
    ['authorizedParties', { authorizedParties: [B] } as never, 'authorizedParties'],
  ];

  it.each(ROWS)('%s', async (_name, options, option) => {
    const outcome = await createTestIssuer(options).then(
      async (issuer) => {
        await issuer.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ClerkConfigError);
    expect((outcome as ClerkConfigError).option).toBe(option);
  });

  it("checks mint() and rotateKey() options too: 'true' is not true", async () => {
    const issuer = await createTestIssuer();
    try {
      const refusals = await Promise.all([
        issuer.mint({}, { version: 2, pending: 'yes' as never }).then(
          () => null,
          (error: unknown) => error,
        ),
        issuer.mint({}, { kid: '' }).then(
          () => null,
          (error: unknown) => error,
        ),
        issuer.rotateKey({ keepPrevious: 'yes' as never }).then(
          () => null,
          (error: unknown) => error,
        ),
      ]);
      expect(refusals.map((error) => (error instanceof ClerkConfigError ? error.option : error))).toEqual(['pending', 'kid', 'keepPrevious']);
    } finally {
      await issuer.close();
    }
  });
});
