/**
 * Cookie sessions against Clerk as the oracle. Every scenario is one real HTTP request to an
 * Express app (4.17 and 5.x) in which Clerk's own `authenticateRequest` (`@clerk/backend`) judges
 * the very request first, then `clerkAuth({ sessionCookie: true })` does. Whenever Clerk does not
 * sign the request in, we must not accept it (required or optional); where Clerk signs in and we
 * refuse, the scenario names the manual's entry (docs/security.md) that says why. Each scenario also pins our exact
 * answer (status, code, reason), with and without `optional`.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { clerkAuth, sessionCookieSuffix, type ClerkAuthOptions, type ClerkLogEvent, type InvalidTokenReason } from '../../lib';
import { clerkVerdictMiddleware, verdictOf, type ClerkOracleOptions } from '../helpers/clerk-cookie-oracle';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import { createTestKey, mint, mintRaw, publishableKeyFor, sessionClaims, type TestKey } from '../helpers/keys';
import { readManual } from '../helpers/manual';

const APP = 'http://localhost:3000';
const MANUAL = readManual();

interface Instance {
  kind: 'development' | 'production';
  host: string;
  publishableKey: string;
  suffix: string;
}

function instance(kind: Instance['kind'], host: string): Instance {
  const publishableKey = publishableKeyFor(host, kind === 'production' ? 'live' : 'test');
  return { kind, host, publishableKey, suffix: sessionCookieSuffix(publishableKey) };
}

const INSTANCES: Instance[] = [instance('development', 'sturdy-otter-42.clerk.accounts.dev'), instance('production', 'clerk.shop.example.com')];

const keys = {} as { key: TestKey; other: TestKey };
beforeAll(async () => {
  [keys.key, keys.other] = await Promise.all([createTestKey('ins_cookie'), createTestKey('ins_cookie_other')]);
});

// Clerk reports a handshake token it cannot verify on console.error, then goes on: expected here.
const consoleError = console.error;
beforeAll(() => {
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Clerk: unable to resolve handshake')) return;
    consoleError(...args);
  });
});
afterAll(() => jest.restoreAllMocks());

/** What a scenario builds its request with. */
interface Context {
  readonly instance: Instance;
  readonly dev: boolean;
  /** `iat` of the tokens {@link token} mints by default (seconds). */
  readonly iat: number;
  /** A session token of this instance (fresh unless overridden). */
  token(overrides?: Record<string, unknown>, header?: Record<string, unknown>, key?: TestKey): Promise<string>;
  /** Cookie names of this instance: `sfx('__session')` → `__session_<suffix>`. */
  sfx(name: string): string;
  /** The dev-browser cookies a development browser holds (both names), nothing in production. */
  devBrowser(): string[];
}

type Outcome = 'accept' | 'missing_token' | InvalidTokenReason | 'bad_request';

interface Scenario {
  name: string;
  only?: Instance['kind'];
  method?: 'GET' | 'POST';
  path?: string;
  /** Request headers; `cookie` is a list of `name=value` pairs joined with `; ` (or a raw string). */
  headers(context: Context): Promise<Record<string, string | string[]>>;
  /** Our answer without `optional`. */
  expect: Outcome | ((context: Context) => Outcome);
  /** With `optional: true`: anonymous (200, no user), or the same refusal. Default: anonymous for `missing_token` and `signed_out`. */
  optional?: 'anonymous' | 'refused';
  /**
   * Set when Clerk may sign the request in while we refuse: the manual's bullet (under "Stricter
   * than Clerk") that says why.
   */
  stricter?: string;
}

const S = '__session';
const U = '__client_uat';
const DB = '__clerk_db_jwt';
const cookie = (...pairs: (string | string[])[]): string => pairs.flat().join('; ');

/** The usual browser: fresh token, `__client_uat` = its iat, the dev-browser cookie in development. */
async function browser(c: Context, token?: string, uat = String(c.iat)): Promise<string[]> {
  return [`${S}=${token ?? (await c.token())}`, `${U}=${uat}`, ...c.devBrowser()];
}

const STRICTER = {
  origin: 'Origin is not an authorized party',
  uat: 'not a whole number',
  noIat: 'without `iat`',
  navigation: 'navigation from another origin',
  issuer: 'is pinned to the publishable key',
  handshake: 'handshake in progress',
  bearerSpelling: 'A Bearer header spelled otherwise than Clerk reads it',
} as const;

const SCENARIOS: Scenario[] = [
  // The basics.
  { name: 'no cookie at all', headers: async () => ({}), expect: 'missing_token' },
  { name: 'unrelated cookies only', headers: async (c) => ({ cookie: cookie('theme=dark', c.devBrowser()) }), expect: 'missing_token' },
  { name: 'a fresh __session with __client_uat = iat', headers: async (c) => ({ cookie: cookie(await browser(c)) }), expect: 'accept' },
  { name: '__client_uat older than iat', headers: async (c) => ({ cookie: cookie(await browser(c, undefined, String(c.iat - 3600))) }), expect: 'accept' },
  { name: '__client_uat = 1', headers: async (c) => ({ cookie: cookie(await browser(c, undefined, '1')) }), expect: 'accept' },
  // Signed out: __client_uat 0 or missing.
  { name: '__client_uat = 0 (signed out)', headers: async (c) => ({ cookie: cookie(await browser(c, undefined, '0')) }), expect: 'signed_out' },
  { name: '__client_uat = 00', headers: async (c) => ({ cookie: cookie(await browser(c, undefined, '00')) }), expect: 'signed_out' },
  { name: '__client_uat missing', headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, c.devBrowser()) }), expect: 'signed_out' },
  { name: '__client_uat empty', headers: async (c) => ({ cookie: cookie(await browser(c, undefined, '')) }), expect: 'signed_out' },
  // Stale: the session changed after the token was minted.
  {
    name: '__client_uat one second newer than iat',
    headers: async (c) => ({ cookie: cookie(await browser(c, undefined, String(c.iat + 1))) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: '__client_uat far in the future',
    headers: async (c) => ({ cookie: cookie(await browser(c, undefined, '99999999999999999999999')) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'an active __client_uat without __session',
    headers: async (c) => ({ cookie: cookie(`${U}=${c.iat}`, c.devBrowser()) }),
    expect: 'session_refresh_required',
    optional: 'anonymous',
  },
  // Malformed __client_uat: never Clerk's lenient parseInt.
  // Clerk's parseInt reads a number in these (0x10 is 16).
  ...['-5', '1.5', '12abc', '+7', '1e3', '0x10'].map((uat): Scenario => ({
    name: `__client_uat = ${uat}`,
    headers: async (c) => ({ cookie: cookie(await browser(c, undefined, uat)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
    stricter: STRICTER.uat,
  })),
  ...['abc', '"1"', 'Infinity', '-0'].map((uat): Scenario => ({
    name: `__client_uat = ${uat}`,
    headers: async (c) => ({ cookie: cookie(await browser(c, undefined, uat)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  })),
  {
    name: '__client_uat percent-encoded digits',
    headers: async (c) => ({ cookie: cookie(await browser(c, undefined, [...String(c.iat)].map((d) => `%3${d}`).join(''))) }),
    expect: 'accept',
  },
  { name: '__client_uat with spaces around it', headers: async (c) => ({ cookie: `${S}=${await c.token()}; ${U} =  ${c.iat}  ; ${c.devBrowser().join('; ')}` }), expect: 'accept' },
  { name: 'two __client_uat: 0 first', headers: async (c) => ({ cookie: cookie(`${U}=0`, await browser(c)) }), expect: 'signed_out' },
  { name: 'two __client_uat: stale first', headers: async (c) => ({ cookie: cookie(`${U}=${c.iat + 60}`, await browser(c)) }), expect: 'session_refresh_required', optional: 'refused' },
  { name: 'two __client_uat: good first, 0 second', headers: async (c) => ({ cookie: cookie(await browser(c), `${U}=0`) }), expect: 'accept' },
  // Cookie header shapes.
  { name: '; without spaces', headers: async (c) => ({ cookie: (await browser(c)).join(';') }), expect: 'accept' },
  {
    name: 'two __session: an expired one first',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token({ exp: c.iat - 60, nbf: c.iat - 120 })}`, await browser(c)) }),
    expect: 'expired',
    optional: 'refused',
  },
  // The first pair of a name wins even when empty, and an empty cookie counts as absent.
  { name: 'two __session: an empty one first', headers: async (c) => ({ cookie: cookie(`${S}=`, await browser(c)) }), expect: 'session_refresh_required', optional: 'anonymous' },
  { name: 'a quoted __session', headers: async (c) => ({ cookie: cookie(`${S}="${await c.token()}"`, `${U}=${c.iat}`, c.devBrowser()) }), expect: 'malformed', optional: 'refused' },
  { name: 'a percent-encoded __session', headers: async (c) => ({ cookie: cookie(`${S}=${(await c.token()).replace(/\./g, '%2E')}`, `${U}=${c.iat}`, c.devBrowser()) }), expect: 'accept' },
  { name: 'a __session with a tab before it', headers: async (c) => ({ cookie: `${S}=\t${await c.token()}; ${U}=${c.iat}; ${c.devBrowser().join('; ')}` }), expect: 'accept' },
  {
    name: 'a differently cased name (__Session)',
    headers: async (c) => ({ cookie: cookie(`__Session=${await c.token()}`, `${U}=${c.iat}`, c.devBrowser()) }),
    expect: 'session_refresh_required',
    optional: 'anonymous',
  },
  { name: 'two Cookie header lines', headers: async (c) => ({ cookie: [`${S}=${await c.token()}`, cookie(`${U}=${c.iat}`, c.devBrowser())] }), expect: 'accept' },
  {
    name: 'a 12 KB cookie header',
    headers: async (c) => ({
      cookie: cookie(
        Array.from({ length: 120 }, (_, i) => `junk${i}=${'x'.repeat(90)}`),
        await browser(c),
      ),
    }),
    expect: 'accept',
  },
  { name: 'garbage in __session', headers: async (c) => ({ cookie: cookie(await browser(c, 'not-a-jwt')) }), expect: 'malformed', optional: 'refused' },
  {
    name: 'a null payload in __session',
    headers: async (c) => ({ cookie: cookie(await browser(c, mintRaw(keys.key, '{"alg":"RS256","typ":"JWT","kid":"ins_cookie"}', 'null'))) }),
    expect: 'malformed',
    optional: 'refused',
  },
  // Token verdicts through the cookie.
  { name: 'an expired token', headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ exp: c.iat - 10, nbf: c.iat - 100 }))) }), expect: 'expired', optional: 'refused' },
  {
    name: 'a token not valid yet',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ nbf: c.iat + 600, exp: c.iat + 900 }))) }),
    expect: 'not_yet_valid',
    optional: 'refused',
  },
  {
    name: 'a token issued in the future',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ iat: c.iat + 600, exp: c.iat + 900 }), String(c.iat + 600))) }),
    expect: 'issued_in_future',
    optional: 'refused',
  },
  { name: 'a forged token (another key)', headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({}, {}, keys.other))) }), expect: 'invalid_signature', optional: 'refused' },
  {
    name: 'a token for another azp',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ azp: 'https://evil.example.com' }))) }),
    expect: 'invalid_authorized_party',
    optional: 'refused',
  },
  { name: 'a token without azp', headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ azp: undefined }))) }), expect: 'invalid_authorized_party', optional: 'refused' },
  {
    name: 'a token without iat',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ iat: undefined }))) }),
    expect: 'invalid_claims',
    optional: 'refused',
    stricter: STRICTER.noIat,
  },
  {
    name: 'a token whose iss is the instance over http (Clerk checks no iss)',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ iss: `http://${c.instance.host}` }))) }),
    expect: 'invalid_issuer',
    optional: 'refused',
    stricter: STRICTER.issuer,
  },
  { name: 'a pending session (v2)', headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ v: 2, sts: 'pending' }))) }), expect: 'pending_session', optional: 'anonymous' },
  // Machine tokens and other categories in the cookie.
  {
    name: 'an M2M JWT (sub mch_)',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({ sub: 'mch_2xyz', azp: APP }))) }),
    expect: 'token_type_mismatch',
    optional: 'refused',
  },
  {
    name: 'an M2M category',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({}, { cat: 'cl_B7d4PD333AAA' }))) }),
    expect: 'token_type_mismatch',
    optional: 'refused',
  },
  {
    name: 'a JWT template category',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({}, { cat: 'cl_B7d4PD222AAA' }))) }),
    expect: 'unsupported_category',
    optional: 'refused',
  },
  {
    name: 'an OAuth access-token JWT (typ at+jwt)',
    headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({}, { typ: 'at+jwt' }))) }),
    expect: 'token_type_mismatch',
    optional: 'refused',
  },
  { name: 'an opaque machine token (mt_)', headers: async (c) => ({ cookie: cookie(await browser(c, `mt_${'a'.repeat(32)}`)) }), expect: 'token_type_mismatch', optional: 'refused' },
  { name: 'the session category', headers: async (c) => ({ cookie: cookie(await browser(c, await c.token({}, { cat: 'cl_B7d4PD111AAA' }))) }), expect: 'accept' },
  // Development instances: the dev-browser cookie.
  {
    name: 'no dev-browser cookie',
    only: 'development',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, `${U}=${c.iat}`) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'only the suffixed dev-browser cookie, unsuffixed pair',
    only: 'development',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, `${U}=${c.iat}`, `${c.sfx(DB)}=dvb_x`) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'an empty dev-browser cookie',
    only: 'development',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, `${U}=${c.iat}`, `${DB}=`) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  { name: 'no dev-browser cookie, production', only: 'production', headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, `${U}=${c.iat}`) }), expect: 'accept' },
  {
    name: '__clerk_db_jwt in the query',
    path: `/me?${DB}=dvb_x`,
    headers: async (c) => ({ cookie: cookie(await browser(c)) }),
    expect: (c) => (c.dev ? 'session_refresh_required' : 'accept'),
    optional: 'refused',
  },
  {
    name: '__clerk_redirect_url in the query',
    path: '/me?__clerk_redirect_url=http%3A%2F%2Flocalhost%3A3000%2F',
    headers: async (c) => ({ cookie: cookie(await browser(c)) }),
    expect: (c) => (c.dev ? 'session_refresh_required' : 'accept'),
    optional: 'refused',
  },
  { name: 'an empty __clerk_redirect_url in the query', path: '/me?__clerk_redirect_url=', headers: async (c) => ({ cookie: cookie(await browser(c)) }), expect: 'accept' },
  // Handshakes.
  {
    name: '__clerk_handshake in the query',
    path: '/me?__clerk_handshake=abc',
    headers: async (c) => ({ cookie: cookie(await browser(c)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
    stricter: STRICTER.handshake,
  },
  {
    name: '__clerk_handshake cookie',
    headers: async (c) => ({ cookie: cookie(await browser(c), '__clerk_handshake=abc') }),
    expect: 'session_refresh_required',
    optional: 'refused',
    stricter: STRICTER.handshake,
  },
  {
    name: '__clerk_handshake_nonce in the query',
    path: '/me?__clerk_handshake_nonce=abc',
    headers: async (c) => ({ cookie: cookie(await browser(c)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: '__clerk_handshake_nonce cookie',
    headers: async (c) => ({ cookie: cookie(await browser(c), '__clerk_handshake_nonce=abc') }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  { name: 'a handshake nonce and no session', path: '/me?__clerk_handshake_nonce=abc', headers: async (c) => ({ cookie: cookie(c.devBrowser()) }), expect: 'missing_token' },
  // Suffixed and unsuffixed pairs: which one Clerk reads.
  { name: 'the suffixed pair only', headers: async (c) => ({ cookie: cookie(`${c.sfx(S)}=${await c.token()}`, `${c.sfx(U)}=${c.iat}`, c.devBrowser()) }), expect: 'accept' },
  {
    name: 'both pairs, the same token',
    headers: async (c) => {
      const t = await c.token();
      return { cookie: cookie(`${S}=${t}`, `${U}=${c.iat}`, `${c.sfx(S)}=${t}`, `${c.sfx(U)}=${c.iat}`, c.devBrowser()) };
    },
    expect: 'accept',
  },
  {
    name: 'both pairs: a stale suffixed pair and an older good unsuffixed one (Clerk reads the suffixed)',
    headers: async (c) => ({
      cookie: cookie(`${S}=${await c.token({ iat: c.iat - 30 })}`, `${U}=${c.iat - 30}`, `${c.sfx(S)}=${await c.token()}`, `${c.sfx(U)}=${c.iat + 5}`, c.devBrowser()),
    }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'both pairs: a newer unsuffixed token wins',
    headers: async (c) => ({
      cookie: cookie(
        `${S}=${await c.token({ sub: 'user_plain' })}`,
        `${U}=${c.iat}`,
        `${c.sfx(S)}=${await c.token({ iat: c.iat - 30, sub: 'user_suffixed' })}`,
        `${c.sfx(U)}=${c.iat + 5}`,
        c.devBrowser(),
      ),
    }),
    expect: 'accept',
  },
  {
    name: 'both pairs: suffixed __client_uat 0 sends Clerk to the unsuffixed pair',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token({ iat: c.iat - 30 })}`, `${U}=${c.iat - 30}`, `${c.sfx(S)}=${await c.token()}`, `${c.sfx(U)}=0`, c.devBrowser()) }),
    expect: 'accept',
  },
  {
    name: 'both pairs: both __client_uat 0',
    headers: async (c) => {
      const t = await c.token();
      return { cookie: cookie(`${S}=${t}`, `${U}=0`, `${c.sfx(S)}=${t}`, `${c.sfx(U)}=0`, c.devBrowser()) };
    },
    expect: 'signed_out',
  },
  {
    name: 'both pairs: suffixed active, unsuffixed 0, suffixed token expired',
    headers: async (c) => ({
      cookie: cookie(
        `${S}=${await c.token()}`,
        `${U}=0`,
        `${c.sfx(S)}=${await c.token({ iat: c.iat - 120, exp: c.iat - 60, nbf: c.iat - 130 })}`,
        `${c.sfx(U)}=${c.iat - 120}`,
        c.devBrowser(),
      ),
    }),
    // Development: Clerk falls back to the unsuffixed pair (signed out); production keeps the expired suffixed token.
    expect: (c) => (c.dev ? 'signed_out' : 'expired'),
    optional: undefined,
  },
  {
    name: 'a suffixed __session without its __client_uat, good unsuffixed pair',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token()}`, `${U}=${c.iat}`, `${c.sfx(S)}=garbage`, c.devBrowser()) }),
    expect: 'accept',
  },
  {
    name: '__session of another instance, good suffixed pair',
    headers: async (c) => ({
      cookie: cookie(
        `${S}=${await c.token({ iss: 'https://other-app.clerk.accounts.dev' }, {}, keys.other)}`,
        `${U}=${c.iat}`,
        `${c.sfx(S)}=${await c.token()}`,
        `${c.sfx(U)}=${c.iat}`,
        c.devBrowser(),
      ),
    }),
    expect: 'accept',
  },
  {
    name: '__session of another instance only',
    headers: async (c) => ({ cookie: cookie(`${S}=${await c.token({ iss: 'https://other-app.clerk.accounts.dev' }, {}, keys.other)}`, `${U}=${c.iat}`, c.devBrowser()) }),
    expect: 'missing_token',
  },
  {
    name: 'garbage __session (no iss) with a good suffixed pair: Clerk reads the garbage',
    headers: async (c) => ({ cookie: cookie(`${S}=garbage`, `${U}=${c.iat}`, `${c.sfx(S)}=${await c.token()}`, `${c.sfx(U)}=${c.iat}`, c.devBrowser()) }),
    expect: 'malformed',
    optional: 'refused',
  },
  {
    name: 'a null-payload suffixed __session (Clerk throws)',
    headers: async (c) => ({
      cookie: cookie(`${S}=${await c.token({ iat: c.iat - 5 })}`, `${U}=${c.iat - 5}`, `${c.sfx(S)}=${mintRaw(keys.key, '{"alg":"RS256"}', 'null')}`, `${c.sfx(U)}=${c.iat}`, c.devBrowser()),
    }),
    expect: 'malformed',
    optional: 'refused',
  },
  // Origin (ours) and navigations (Clerk's cross-origin handshake).
  { name: 'an authorized Origin', method: 'POST', headers: async (c) => ({ origin: APP, cookie: cookie(await browser(c)) }), expect: 'accept' },
  {
    name: 'a foreign Origin',
    method: 'POST',
    headers: async (c) => ({ origin: 'https://evil.example.com', cookie: cookie(await browser(c)) }),
    expect: 'missing_token',
    stricter: STRICTER.origin,
  },
  { name: 'Origin: null', method: 'POST', headers: async (c) => ({ origin: 'null', cookie: cookie(await browser(c)) }), expect: 'missing_token', stricter: STRICTER.origin },
  {
    name: 'a fetch with Sec-Fetch headers',
    headers: async (c) => ({ 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin', accept: '*/*', cookie: cookie(await browser(c)) }),
    expect: 'accept',
  },
  { name: 'a navigation without Referer', headers: async (c) => ({ 'sec-fetch-dest': 'document', accept: 'text/html', cookie: cookie(await browser(c)) }), expect: 'accept' },
  {
    name: 'a navigation from the same origin',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', host: 'localhost:3000', referer: `${APP}/page`, cookie: cookie(await browser(c)) }),
    expect: 'accept',
  },
  {
    name: 'a navigation from another origin',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', referer: 'https://news.example.org/', cookie: cookie(await browser(c)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'a navigation from another origin, stale token',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', referer: 'https://news.example.org/', cookie: cookie(await browser(c, undefined, String(c.iat + 9))) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  {
    name: 'a navigation from the Clerk Frontend API',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', referer: `https://${c.instance.host}/`, cookie: cookie(await browser(c)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
    stricter: STRICTER.navigation,
  },
  {
    name: 'a navigation from another origin after a redirect (__clerk_redirect_count)',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', referer: 'https://news.example.org/', cookie: cookie(await browser(c), '__clerk_redirect_count=1') }),
    expect: 'session_refresh_required',
    optional: 'refused',
    stricter: STRICTER.navigation,
  },
  { name: 'an iframe from another origin', headers: async (c) => ({ 'sec-fetch-dest': 'iframe', referer: 'https://news.example.org/', cookie: cookie(await browser(c)) }), expect: 'accept' },
  {
    name: 'a form POST from another page of the app',
    method: 'POST',
    headers: async (c) => ({ origin: APP, 'sec-fetch-dest': 'document', referer: 'https://news.example.org/', cookie: cookie(await browser(c)) }),
    expect: 'accept',
  },
  {
    name: 'a navigation with X-Forwarded-Host of the referer',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', 'x-forwarded-host': 'localhost:3000', referer: `${APP}/`, cookie: cookie(await browser(c)) }),
    expect: 'accept',
  },
  {
    name: 'a navigation with X-Forwarded-Proto https and an http referer',
    headers: async (c) => ({ 'sec-fetch-dest': 'document', 'x-forwarded-proto': 'https', host: 'localhost:3000', referer: `${APP}/`, cookie: cookie(await browser(c)) }),
    expect: 'session_refresh_required',
    optional: 'refused',
  },
  { name: 'a navigation with an unparsable Referer', headers: async (c) => ({ 'sec-fetch-dest': 'document', referer: 'not a url', cookie: cookie(await browser(c)) }), expect: 'accept' },
  // Authorization headers next to the cookie.
  { name: 'Authorization: Basic with credentials', headers: async (c) => ({ authorization: 'Basic dXNlcjpwYXNz', cookie: cookie(await browser(c)) }), expect: 'accept' },
  { name: 'Authorization: Basic alone', headers: async (c) => ({ authorization: 'Basic', cookie: cookie(await browser(c)) }), expect: 'missing_token', stricter: undefined },
  { name: 'Authorization: one word', headers: async (c) => ({ authorization: 'sometoken', cookie: cookie(await browser(c)) }), expect: 'missing_token' },
  { name: 'Authorization: Basic and two spaces', headers: async (c) => ({ authorization: 'Basic  dXNlcjpwYXNz', cookie: cookie(await browser(c)) }), expect: 'missing_token' },
  {
    name: 'Authorization: Bearer with a good token and a bad cookie',
    headers: async (c) => ({ authorization: `Bearer ${await c.token({ sub: 'user_header' })}`, cookie: cookie(await browser(c, 'garbage', '0')) }),
    expect: 'accept',
  },
  {
    name: 'Authorization: Bearer garbage and a good cookie',
    headers: async (c) => ({ authorization: 'Bearer garbage', cookie: cookie(await browser(c)) }),
    expect: 'malformed',
    optional: 'refused',
  },
  // Any spelling of Bearer other than Clerk's: a 400, never the cookie (Clerk reads the cookie when
  // the scheme is not exactly "Bearer"; it verifies "Bearer" itself as the token after two spaces).
  ...[
    ['lower-case bearer', (t: string) => `bearer ${t}`],
    ['BEARER', (t: string) => `BEARER ${t}`],
    ['Bearer and two spaces', (t: string) => `Bearer  ${t}`],
    ['Bearer and a tab', (t: string) => `Bearer\t${t}`],
    ['Bearer and a no-break space', (t: string) => `Bearer\u00a0${t}`],
    ['a no-break space after the token', (t: string) => `Bearer ${t}\u00a0`],
  ].flatMap(([label, spell]): Scenario[] => {
    const spelling = spell as (token: string) => string;
    return [
      {
        name: `Authorization: ${label as string} with a good token and a good cookie`,
        headers: async (c) => ({ authorization: spelling(await c.token()), cookie: cookie(await browser(c)) }),
        expect: 'bad_request',
        optional: 'refused',
        stricter: STRICTER.bearerSpelling,
      },
      {
        name: `Authorization: ${label as string} with a good token and no cookie`,
        headers: async (c) => ({ authorization: spelling(await c.token()), cookie: cookie(c.devBrowser()) }),
        expect: 'bad_request',
        optional: 'refused',
      },
    ];
  }),
];

const ANONYMOUS_BY_DEFAULT: readonly Outcome[] = ['missing_token', 'signed_out', 'pending_session'];

function contextFor(inst: Instance): Context {
  const iat = Math.floor(Date.now() / 1000);
  const issuer = `https://${inst.host}`;
  return {
    instance: inst,
    dev: inst.kind === 'development',
    iat,
    token: (overrides = {}, header = {}, key = keys.key) => mint(key, sessionClaims(issuer, { iat, nbf: iat - 10, exp: iat + 60, ...overrides }), header),
    sfx: (name) => `${name}_${inst.suffix}`,
    devBrowser: () => (inst.kind === 'development' ? [`${DB}=dvb_2abc`, `${DB}_${inst.suffix}=dvb_2abc`] : []),
  };
}

// The oldest Express 4 and the newest Express 5 (spec/verification/session-cookie.spec.ts runs every version).
const VERSIONS = [EXPRESS_VERSIONS[0], EXPRESS_VERSIONS[EXPRESS_VERSIONS.length - 1]] as NonNullable<(typeof EXPRESS_VERSIONS)[number]>[];

describe.each(VERSIONS)('cookie sessions against Clerk on %s', (_, express) => {
  describe.each(INSTANCES)('$kind instance', (inst) => {
    /** A listening app whose refusals are reported to `events` (their `reason` is not in the JSON body). */
    interface TestApp {
      server: Server;
      events: ClerkLogEvent[];
    }
    function start(options: ClerkAuthOptions): Promise<TestApp> {
      const oracle: ClerkOracleOptions = { publishableKey: inst.publishableKey, jwtKey: keys.key.pem, authorizedParties: [APP] };
      const events: ClerkLogEvent[] = [];
      const logger = { warn: () => undefined, event: (event: ClerkLogEvent) => void events.push(event) };
      const app: Express = express();
      app.use(clerkVerdictMiddleware(oracle) as never);
      app.all('/me', clerkAuth({ jwtKey: keys.key.pem, publishableKey: inst.publishableKey, authorizedParties: [APP], sessionCookie: true, env: {}, logger, ...options }), (req, res) => {
        res.json({ sub: req.user?.sub ?? null });
      });
      return new Promise((resolve) => {
        const server = app.listen(0, '127.0.0.1', () => resolve({ server, events }));
      });
    }
    const apps = {} as { required: TestApp; optional: TestApp };
    beforeAll(async () => {
      [apps.required, apps.optional] = await Promise.all([start({}), start({ optional: true })]);
    });
    afterAll(async () => {
      for (const { server } of [apps.required, apps.optional]) await new Promise((resolve) => server.close(resolve));
    });

    const scenarios = SCENARIOS.filter((scenario) => scenario.only === undefined || scenario.only === inst.kind);

    it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
      const context = contextFor(inst);
      const expected = typeof scenario.expect === 'function' ? scenario.expect(context) : scenario.expect;
      const headers = await scenario.headers(context);
      const required = await send(apps.required, scenario, headers);
      const optional = await send(apps.optional, scenario, headers);
      const clerk = verdictOf(required.response);
      expect(verdictOf(optional.response)).toEqual(clerk);

      // Clerk is the floor: where it does not sign in, nothing gets a user.
      if (clerk.status !== 'signed-in') {
        expect({ clerk, ours: required.outcome }).not.toEqual({ clerk, ours: 'accept' });
        expect({ clerk, ours: optional.outcome }).not.toEqual({ clerk, ours: 'accept' });
      } else if (expected !== 'accept') {
        // Stricter than Clerk: only where the manual says why.
        expect({ scenario: scenario.name, stricter: scenario.stricter }).toEqual({ scenario: scenario.name, stricter: expect.any(String) });
        expect(MANUAL).toContain(scenario.stricter);
      }

      expect(required.outcome).toBe(expected);
      const anonymous = scenario.optional === undefined ? ANONYMOUS_BY_DEFAULT.includes(expected) : scenario.optional === 'anonymous';
      expect(optional.outcome).toBe(expected === 'accept' ? 'accept' : anonymous ? 'anonymous' : expected);
    });
  });

  async function send({ server, events }: { server: Server; events: ClerkLogEvent[] }, scenario: Scenario, headers: Record<string, string | string[]>) {
    const seen = events.length;
    let pending = scenario.method === 'POST' ? request(server).post(scenario.path ?? '/me') : request(server).get(scenario.path ?? '/me');
    for (const [name, value] of Object.entries(headers)) pending = pending.set(name, value as string);
    const response = await pending;
    let outcome: Outcome | 'anonymous';
    if (response.status === 200) outcome = response.body.sub === null ? 'anonymous' : 'accept';
    else if (response.status === 400) outcome = 'bad_request';
    else if (response.status === 401 && response.body.error === 'missing_token') outcome = 'missing_token';
    else if (response.status === 401 && response.body.error === 'invalid_token') {
      const refused = events.length === seen + 1 ? events.at(-1) : undefined;
      outcome = refused?.type === 'request_refused' && refused.reason !== undefined ? refused.reason : 'malformed';
      if (refused?.type !== 'request_refused') throw new Error('an invalid_token answer was not reported');
    } else throw new Error(`unexpected answer ${response.status} ${JSON.stringify(response.body)}`);
    return { response, outcome };
  }
});
