/**
 * The public surface, name by name and kind by kind, for each entry point (`express-clerk-jwt`,
 * `/core`, `/testing`). A change here is a change to the package's API: it must be deliberate and
 * recorded in CHANGELOG.md. Runtime exports are checked on the loaded modules; type-only exports
 * through the TypeScript checker, so a type that disappears or turns into a value fails too.
 */
import path from 'node:path';
import ts from 'typescript';
import * as core from '../lib/core';
import * as index from '../lib/index';
import * as testing from '../lib/testing';

type Kind = 'class' | 'function' | 'const' | 'interface' | 'type';

/** `express-clerk-jwt/core`: the framework-free core. */
const coreExports: Record<string, Kind> = {
  AbsentSessionClaims: 'type',
  AcceptedTokenTypes: 'type',
  AcceptsToken: 'type',
  AuthorizeUser: 'type',
  BackendApiUnavailableError: 'class',
  ClerkAuth: 'type',
  ClerkAuthBase: 'interface',
  ClerkAuthError: 'class',
  ClerkAuthErrorBody: 'interface',
  ClerkAuthErrorCode: 'type',
  ClerkAuthErrorOptions: 'interface',
  ClerkBackendClient: 'interface',
  ClerkBackendClientOptions: 'interface',
  ClerkBackendUser: 'interface',
  ClerkBillingMoneyAmountJSON: 'interface',
  ClerkBillingPayerJSON: 'interface',
  ClerkBillingPaymentAttemptJSON: 'interface',
  ClerkBillingPlanJSON: 'interface',
  ClerkBillingSubscriptionItemJSON: 'interface',
  ClerkBillingSubscriptionJSON: 'interface',
  ClerkBillingSubscriptionStatus: 'type',
  ClerkConfig: 'interface',
  ClerkConfigError: 'class',
  ClerkDeletedObjectJSON: 'interface',
  ClerkEmailAddress: 'interface',
  ClerkEmailAddressJSON: 'interface',
  ClerkEmailJSON: 'interface',
  ClerkExternalAccountJSON: 'interface',
  ClerkHasParams: 'interface',
  ClerkKeySetEvent: 'interface',
  ClerkKeySource: 'type',
  ClerkLogEvent: 'type',
  ClerkLogger: 'interface',
  ClerkMachineAuth: 'interface',
  ClerkMachineTokenType: 'type',
  ClerkMachineUser: 'interface',
  ClerkMastraAuthProvider: 'interface',
  ClerkMastraProfile: 'interface',
  ClerkMastraUser: 'interface',
  ClerkOrganizationClaim: 'interface',
  ClerkOrganizationDomainJSON: 'interface',
  ClerkOrganizationInvitationAcceptedJSON: 'interface',
  ClerkOrganizationInvitationJSON: 'interface',
  ClerkOrganizationJSON: 'interface',
  ClerkOrganizationMembership: 'interface',
  ClerkOrganizationMembershipJSON: 'interface',
  ClerkPermissionJSON: 'interface',
  ClerkPhoneNumberJSON: 'interface',
  ClerkPolicy: 'interface',
  ClerkPrincipal: 'type',
  ClerkPrincipalOf: 'type',
  ClerkRequestRefusedEvent: 'interface',
  ClerkRoleJSON: 'interface',
  ClerkScopedNames: 'interface',
  ClerkSessionAuth: 'interface',
  ClerkSessionEventJSON: 'interface',
  ClerkSessionJSON: 'interface',
  ClerkSmsMessageJSON: 'interface',
  ClerkTokenType: 'type',
  ClerkUser: 'interface',
  ClerkUserDeletedJSON: 'interface',
  ClerkUserJSON: 'interface',
  ClerkVerificationJSON: 'interface',
  ClerkVerifier: 'interface',
  ClerkVerifierOptions: 'interface',
  ClerkVerifyOptions: 'interface',
  ClerkWaitlistEntryJSON: 'interface',
  ClerkWebhookConfig: 'interface',
  ClerkWebhookEvent: 'type',
  ClerkWebhookEventAttributes: 'interface',
  ClerkWebhookEventOf: 'interface',
  ClerkWebhookEventType: 'type',
  ClerkWebhookVerifier: 'interface',
  ClerkWebhookVerifierOptions: 'interface',
  ENV_VARS: 'const',
  InsufficientScopeError: 'class',
  InvalidRequestError: 'class',
  InvalidTokenError: 'class',
  InvalidTokenReason: 'type',
  JwksUnavailableError: 'class',
  MAX_HEADER_LENGTH: 'const',
  MAX_OPAQUE_TOKEN_LENGTH: 'const',
  MAX_TOKEN_LENGTH: 'const',
  MastraAuthProviderOptions: 'interface',
  MastraRouteMethod: 'type',
  MastraRoutePattern: 'type',
  MastraRoutePatterns: 'type',
  MissingTokenError: 'class',
  PublishableKeyInfo: 'interface',
  SessionCookieAuthenticator: 'type',
  SessionCookieHeaders: 'type',
  SessionCookieOutcome: 'type',
  SessionCookieRefusal: 'interface',
  SessionCookieRequest: 'interface',
  SessionCookieToken: 'interface',
  WebhookDelivery: 'interface',
  WebhookErrorCode: 'type',
  WebhookHeaders: 'type',
  WebhookVerificationError: 'class',
  authorize: 'function',
  createClerkBackendClient: 'function',
  createClerkVerifier: 'function',
  createClerkWebhookVerifier: 'function',
  createMastraAuthProvider: 'function',
  createSessionCookieAuthenticator: 'function',
  extractBearerToken: 'function',
  getAuth: 'function',
  isMachineUser: 'function',
  parsePublishableKey: 'function',
  requireOrganizationMembership: 'function',
  requireVerifiedEmail: 'function',
  sessionCookieSuffix: 'function',
  toAuth: 'function',
};

const expected: Record<'index' | 'core' | 'testing', Record<string, Kind>> = {
  core: coreExports,
  // The main entry point: all of the core, plus the Express adapter.
  index: {
    ...coreExports,
    AuthorizationCheck: 'type',
    ClerkAuthOptions: 'interface',
    ClerkWebhookOptions: 'interface',
    RequireAuthorizationOptions: 'interface',
    clerkAuth: 'function',
    clerkWebhook: 'function',
    requireAuth: 'function',
    requireAuthorization: 'function',
    requireFeature: 'function',
    requireOrganization: 'function',
    requirePermission: 'function',
    requirePlan: 'function',
    requirePolicy: 'function',
    requireRole: 'function',
    requireScope: 'function',
  },
  testing: {
    MachineMintOptions: 'interface',
    MintOptions: 'interface',
    PublicJwk: 'interface',
    TestBackendApi: 'interface',
    TestBackendApiBehaviour: 'type',
    TestBackendApiOptions: 'interface',
    TestIssuer: 'interface',
    TestIssuerOptions: 'interface',
    TestMachineTokenOptions: 'interface',
    TestOrganization: 'interface',
    createTestBackendApi: 'function',
    createTestIssuer: 'function',
  },
};

const modules: Record<keyof typeof expected, Record<string, unknown>> = { index, core, testing };

const runtimeKinds = new Set<Kind>(['class', 'function', 'const']);

function runtimeKind(value: unknown): Kind {
  if (typeof value === 'function') return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  return 'const';
}

const entryFile = (entry: string): string => path.join(__dirname, '..', 'lib', `${entry}.ts`);
let program: ts.Program | undefined;

function declaredExports(entry: string): Record<string, Kind> {
  const file = entryFile(entry);
  // One program for the three entry points: they share most of lib/, checked once.
  program ??= ts.createProgram(Object.keys(expected).map(entryFile), { strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`no module symbol for ${file}`);
  const kinds: Record<string, Kind> = {};
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const flags = target.flags;
    kinds[symbol.name] =
      flags & ts.SymbolFlags.Class
        ? 'class'
        : flags & ts.SymbolFlags.Function
          ? 'function'
          : flags & ts.SymbolFlags.Variable
            ? 'const'
            : flags & ts.SymbolFlags.Interface
              ? 'interface'
              : 'type';
  }
  return kinds;
}

const sorted = (record: Record<string, Kind>): [string, Kind][] => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe.each(Object.keys(expected) as (keyof typeof expected)[])('the %s entry point', (entry) => {
  it('exports exactly these values, each of the kind listed', () => {
    const loaded = modules[entry];
    const actual = Object.fromEntries(
      Object.keys(loaded)
        .filter((name) => name !== '__esModule')
        .map((name) => [name, runtimeKind(loaded[name])]),
    );
    const values = Object.fromEntries(sorted(expected[entry]).filter(([, kind]) => runtimeKinds.has(kind)));
    expect(sorted(actual)).toEqual(sorted(values));
  });

  it('declares exactly these names, types included, each of the kind listed', () => {
    expect(sorted(declaredExports(entry))).toEqual(sorted(expected[entry]));
  });
});
