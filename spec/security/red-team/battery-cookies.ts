/**
 * The cookie battery: requests built at random (seeded, so every run sends the same ones) from
 * every part Clerk's cookie rules read — `__session`, `__client_uat` and their `_<suffix>` twins,
 * the dev-browser and handshake cookies, their values (fresh, stale, expired, forged, machine,
 * percent-encoded, quoted, duplicated), `Origin`, `Authorization`, `Referer`, `Sec-Fetch-Dest`, the
 * method, `Host`/`X-Forwarded-*` and the query — for a development and a production instance,
 * through `clerkAuth({ sessionCookie: true })` required and optional on every Express, with
 * Clerk's own `authenticateRequest` judging the very same request first.
 *
 * A user is accepted only when Clerk signs the request in, and then it is the same user (the same
 * cookie pair was read). Where Clerk signs in and we refuse, the refusal must be one the manual
 * lists as stricter; which one is told from our reason and the request.
 */
import { makeKey, publishableKeyFor, request, serve, sign, type Key } from './kit';
import { clerkVerdict, fetchRequestFrom, type ClerkOptions, type ClerkVerdict, type Deps } from './harness';
import type { BatteryResult, LogSink } from './battery-types';

const APP = 'http://localhost:3000';
const OTHER_APP = 'https://app.shop.example';
const NOW = 1_796_310_476_000;
const S = NOW / 1000;

/** phrases of the manual (from the "Session cookie" section) of the refusals where Clerk signs in. */
export const COOKIE_STRICTER = {
  origin: 'Origin is not an authorized party',
  uat: 'not a whole number',
  noIat: 'without `iat`',
  navigation: 'navigation from another origin',
  issuer: 'is pinned to the publishable key',
  handshake: 'handshake in progress',
  padding: 'no padding on any segment',
  /** Not a refusal of Clerk's: its authenticateRequest throws (see classifyAccept). */
  clerkThrows: 'throws on any request whose `__session` cookie',
} as const;

/** A seeded PRNG (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Instance {
  readonly kind: 'development' | 'production';
  readonly host: string;
  readonly publishableKey: string;
  readonly suffix: string;
}

interface Built {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers: [string, string][];
  /** Facts the stricter classification reads. */
  readonly origin: string | null;
  readonly uats: string[];
  readonly handshake: boolean;
  readonly navigation: boolean;
}

export async function cookieBattery(deps: Deps, log: LogSink, count = 320): Promise<BatteryResult> {
  const { pkg } = deps;
  const key = makeKey('ins_cookie_battery');
  const attacker = makeKey('ins_cookie_attacker');
  const instances: Instance[] = (
    [
      ['development', 'sturdy-otter-42.clerk.accounts.dev'],
      ['production', 'clerk.shop.example.com'],
    ] as const
  ).map(([kind, host]) => {
    const publishableKey = publishableKeyFor(host, kind === 'production' ? 'live' : 'test');
    return { kind, host, publishableKey, suffix: pkg.sessionCookieSuffix(publishableKey) };
  });
  const failures: string[] = [];
  const stricter: Record<string, number> = {};
  let requests = 0;
  let signedIn = 0;
  let accepted = 0;

  for (const instance of instances) {
    const options = { jwtKey: key.pem, publishableKey: instance.publishableKey, authorizedParties: [APP, OTHER_APP], env: {}, logger: log.logger() };
    const clerk: ClerkOptions = { jwtKey: key.pem, publishableKey: instance.publishableKey, authorizedParties: [APP, OTHER_APP] };
    const verifier = pkg.createClerkVerifier(options);
    const servers = await Promise.all(
      deps.express.map(async ([name, express]) => {
        const app = express();
        const verdicts = new Map<string, ClerkVerdict>();
        app.use((req, _res, next) => {
          clerkVerdict(deps.clerk, fetchRequestFrom(req), clerk).then((verdict) => {
            verdicts.set(String(req.headers['x-case']), verdict);
            next();
          }, next);
        });
        // The user goes in a header too: a HEAD answer has no body.
        const answer = (req: { user?: { sub?: unknown } }, res: { set(name: string, value: string): { status(code: number): { json(body: unknown): void } } }): void => {
          const sub = typeof req.user?.sub === 'string' ? req.user.sub : null;
          res
            .set('x-sub', sub ?? '')
            .status(200)
            .json({ sub });
        };
        app.use('/req', pkg.clerkAuth({ verifier, sessionCookie: true }), answer as never);
        app.use('/opt', pkg.clerkAuth({ verifier, sessionCookie: true, optional: true }), answer as never);
        return { name, verdicts, served: await serve(app) };
      }),
    );
    const tokens = cookieTokens(key, attacker, instance, instances);
    const next = random(instance.kind === 'production' ? 20260101 : 20261231);
    const real = Date.now;
    Date.now = () => NOW;
    try {
      for (let i = 0; i < count; i++) {
        const built = buildRequest(next, instance, tokens, i);
        for (const mount of ['req', 'opt'] as const) {
          for (const { name, verdicts, served } of servers) {
            requests += 1;
            const id = `${instance.kind}-${i}-${mount}`;
            const where = `cookie ${id} (${built.name}) on ${name}`;
            let answerStatus = 0;
            let body = '';
            let headers: Record<string, unknown> = {};
            try {
              const answer = await request(served.port, built.method, `/${mount}${built.path}`, [...built.headers, ['x-case', id]]);
              answerStatus = answer.status;
              body = answer.body;
              headers = answer.headers;
            } catch (error) {
              failures.push(`${where}: no HTTP answer (${String(error)})`);
              continue;
            }
            const verdict = verdicts.get(id);
            if (verdict === undefined) {
              failures.push(`${where}: no Clerk verdict`);
              continue;
            }
            if (mount === 'req' && name === servers[0]?.name && verdict.signedIn) signedIn += 1;
            if (answerStatus >= 500) failures.push(`${where}: answered ${answerStatus}`);
            let parsed: { sub?: string | null; error?: string } = {};
            if (built.method === 'HEAD') {
              const challenge = String((headers['www-authenticate'] as string | undefined) ?? '');
              const error = /error="([a-z_]+)"/.exec(challenge)?.[1] ?? (answerStatus === 401 ? 'missing_token' : undefined);
              parsed = { ...(error === undefined ? {} : { error }) };
            } else {
              try {
                parsed = JSON.parse(body) as typeof parsed;
              } catch {
                failures.push(`${where}: a body that is not JSON`);
              }
            }
            const headerSub = typeof headers['x-sub'] === 'string' && headers['x-sub'] !== '' ? headers['x-sub'] : null;
            if (built.method !== 'HEAD' && answerStatus === 200 && (parsed.sub ?? null) !== headerSub) failures.push(`${where}: the body and the header disagree on the user`);
            const user = answerStatus === 200 ? headerSub : null;
            if (user !== null) {
              if (mount === 'req' && name === servers[0]?.name) accepted += 1;
              if (!verdict.signedIn) {
                // Clerk's authenticateRequest throws on a `null` payload in a __session cookie even
                // when a Bearer header carries the request: a crash of Clerk's, not a verdict.
                const bearer = built.headers.some(([n, v]) => n === 'authorization' && v.startsWith('Bearer '));
                if (bearer && verdict.state.startsWith('error Cannot read properties of null')) stricter[COOKIE_STRICTER.clerkThrows] = (stricter[COOKIE_STRICTER.clerkThrows] ?? 0) + 1;
                else failures.push(`${where}: signed in as ${user}, Clerk says ${verdict.state}`);
              } else if (verdict.userId !== user) failures.push(`${where}: signed in as ${user}, Clerk signs in ${verdict.userId ?? '?'} (another cookie was read)`);
            }
            if (mount === 'req' && answerStatus === 200 && user === null) failures.push(`${where}: a required route answered 200 without a user`);
            if (user === null && verdict.signedIn && mount === 'req') {
              const reason = log.events.length > 0 ? lastReason(log, answerStatus) : undefined;
              const phrase = classify(built, answerStatus, parsed.error, reason);
              if (phrase === null) failures.push(`${where}: refused (${answerStatus} ${parsed.error ?? ''} ${reason ?? ''}), Clerk signs in, and no phrase of the manual says why`);
              else stricter[phrase] = (stricter[phrase] ?? 0) + 1;
            }
          }
          // The same user as Clerk's: compare Clerk's own auth object with ours on one Express.
        }
      }
    } finally {
      Date.now = real;
      await Promise.all(servers.map(({ served }) => served.close()));
    }
  }
  return {
    name: 'cookies',
    cases: count * instances.length * 2,
    requests,
    failures,
    stricter,
    notes: { 'Clerk signed in (required route, one Express)': signedIn, 'we accepted (required route, one Express)': accepted },
  };
}

function lastReason(log: LogSink, status: number): string | undefined {
  const event = log.events[log.events.length - 1];
  return event?.type === 'request_refused' && event.status === status ? event.reason : undefined;
}

/** The README phrase that covers a refusal where Clerk signs in, or null. */
function classify(built: Built, status: number, code: string | undefined, reason: string | undefined): string | null {
  if (status === 401 && code === 'missing_token' && built.origin !== null && built.origin !== APP && built.origin !== OTHER_APP) return COOKIE_STRICTER.origin;
  if (reason === 'session_refresh_required') {
    if (built.uats.some((uat) => uat !== '' && !/^\d+$/.test(uat))) return COOKIE_STRICTER.uat;
    if (built.handshake) return COOKIE_STRICTER.handshake;
    if (built.navigation) return COOKIE_STRICTER.navigation;
  }
  if (reason === 'invalid_claims') return COOKIE_STRICTER.noIat;
  // The first __session wins (as in Clerk); a padded one is not the token's one spelling.
  if (reason === 'malformed' && /__session(_\w+)?=fresh with a padded signature/.test(built.name)) return COOKIE_STRICTER.padding;
  if (reason === 'invalid_issuer') return COOKIE_STRICTER.issuer;
  return null;
}

interface CookieToken {
  readonly label: string;
  readonly value: string;
}

function cookieTokens(key: Key, attacker: Key, instance: Instance, instances: readonly Instance[]): CookieToken[] {
  const iss = `https://${instance.host}`;
  const other = instances.find((candidate) => candidate !== instance) as Instance;
  const claims = (extra: Record<string, unknown> = {}, sub = 'user_cookie'): Record<string, unknown> =>
    Object.fromEntries(Object.entries({ azp: APP, exp: S + 60, iat: S - 1, iss, nbf: S - 10, sid: 'sess_cookie', sub, ...extra }).filter(([, value]) => value !== undefined));
  const mint = (extra: Record<string, unknown> = {}, sub = 'user_cookie', header: Record<string, unknown> = {}, signer: Key = key): string =>
    sign(signer, { alg: 'RS256', kid: key.kid, typ: 'JWT', ...header }, claims(extra, sub));
  const fresh = mint();
  return [
    { label: 'fresh', value: fresh },
    { label: 'fresh (another user)', value: mint({}, 'user_other') },
    { label: 'iat an hour ago', value: mint({ iat: S - 3600 }) },
    { label: 'expired', value: mint({ exp: S - 60, iat: S - 120 }) },
    { label: 'forged', value: mint({}, 'user_admin', {}, attacker) },
    { label: 'M2M sub', value: mint({}, 'mch_cookie') },
    { label: 'template cat', value: mint({}, 'user_cookie', { cat: 'cl_B7d4PD222AAA' }) },
    { label: 'OAuth typ', value: mint({}, 'user_cookie', { typ: 'at+jwt' }) },
    { label: 'no iat', value: mint({ iat: undefined }) },
    { label: 'other instance iss', value: mint({ iss: `https://${other.host}` }, 'user_foreign') },
    { label: 'http iss', value: mint({ iss: `http://${instance.host}` }) },
    { label: 'no azp', value: mint({ azp: undefined }) },
    { label: 'other azp', value: mint({ azp: 'https://evil.example' }) },
    { label: 'pending', value: mint({ v: 2, sts: 'pending' }) },
    { label: 'percent-encoded fresh', value: encodeURIComponent(fresh).replace(/\./g, '%2E') },
    { label: 'quoted fresh', value: `"${fresh}"` },
    { label: 'fresh with a padded signature', value: `${fresh}=` },
    { label: 'garbage', value: 'not-a-token' },
    { label: 'opaque machine token', value: 'mt_cookie' },
    { label: 'payload null', value: `${fresh.split('.')[0]}.${Buffer.from('null').toString('base64url')}.${fresh.split('.')[2]}` },
    { label: 'empty', value: '' },
  ];
}

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

/** The first element half of the time (the common, valid case), else any. */
function mostly<T>(next: () => number, list: readonly T[]): T {
  return next() < 0.5 ? (list[0] as T) : pick(next, list);
}

function buildRequest(next: () => number, instance: Instance, tokens: readonly CookieToken[], index: number): Built {
  const parts: string[] = [];
  const name: string[] = [];
  const uats: string[] = [];
  const chance = (p: number): boolean => next() < p;
  const uatValues = [String(S - 1), String(S - 3600), String(S + 1), '0', '00', '1', '', '12abc', '+5', '-1', '1e3', ' 5', '99999999999999999999', String(S - 1) + '.5'];
  const add = (cookie: string, value: string): void => {
    parts.push(`${cookie}=${value}`);
    name.push(`${cookie}=${value.length > 24 ? `<${value.length}>` : value}`);
  };
  const session = (cookie: string): void => {
    const token = mostly(next, tokens);
    parts.push(`${cookie}=${token.value}`);
    name.push(`${cookie}=${token.label}`);
  };
  const sfx = (base: string): string => `${base}_${instance.suffix}`;
  // Session cookies (maybe both pairs, maybe a duplicate first).
  if (chance(0.15)) session('__session');
  if (chance(0.7)) session('__session');
  if (chance(0.35)) session(sfx('__session'));
  if (chance(0.8)) {
    const uat = mostly(next, uatValues);
    uats.push(uat);
    add('__client_uat', uat);
  }
  if (chance(0.35)) {
    const uat = mostly(next, uatValues);
    uats.push(uat);
    add(sfx('__client_uat'), uat);
  }
  if (instance.kind === 'development' ? chance(0.8) : chance(0.1)) add(chance(0.3) ? sfx('__clerk_db_jwt') : '__clerk_db_jwt', chance(0.9) ? 'dvb_battery' : '');
  const handshakeCookie = chance(0.04);
  if (handshakeCookie) add(chance(0.5) ? '__clerk_handshake' : '__clerk_handshake_nonce', 'x');
  if (chance(0.2)) add('theme', 'dark');
  if (chance(0.05)) add('__session_unrelated', pick(next, tokens).value);
  const separator = chance(0.2) ? ';' : '; ';
  const headers: [string, string][] = [];
  if (parts.length > 0) headers.push(['cookie', parts.join(separator)]);
  // Other headers.
  const origin = chance(0.3) ? mostly(next, [APP, OTHER_APP, 'https://evil.example', 'null', `${APP}/`, APP.toUpperCase()]) : null;
  if (origin !== null) headers.push(['origin', origin]);
  const authorization = chance(0.12) ? pick(next, ['Basic dXNlcjpwYXNz', 'Basic', 'Bearer', 'Digest a=b', `Bearer ${(tokens[0] as CookieToken).value}`, 'Bearer x y', '']) : null;
  if (authorization !== null) headers.push(['authorization', authorization]);
  const method = chance(0.25) ? pick(next, ['POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']) : 'GET';
  const dest = chance(0.3) ? pick(next, ['document', 'empty', 'iframe']) : null;
  if (dest !== null) headers.push(['sec-fetch-dest', dest]);
  const referer = chance(0.3) ? pick(next, ['http://127.0.0.1/page', 'https://evil.example/page', 'https://accounts.shop.example/sign-in', 'not a url', `${APP}/x`]) : null;
  if (referer !== null) headers.push(['referer', referer]);
  if (chance(0.15)) headers.push(['x-forwarded-host', pick(next, ['localhost:3000', 'app.shop.example', '127.0.0.1'])]);
  if (chance(0.1)) headers.push(['x-forwarded-proto', pick(next, ['https', 'http'])]);
  const query = chance(0.12)
    ? pick(next, ['?__clerk_handshake=x', '?__clerk_handshake_nonce=x', '?__clerk_db_jwt=x', '?__clerk_redirect_url=http%3A%2F%2Flocalhost%3A3000', '?__clerk_db_jwt=', '?x=1'])
    : '';
  const handshake =
    handshakeCookie ||
    query.includes('__clerk_handshake') ||
    (instance.kind === 'development' && /__clerk_(db_jwt|redirect_url)=./.test(query)) ||
    (instance.kind === 'development' && query === '?__clerk_db_jwt=');
  const navigation = method === 'GET' && dest === 'document' && referer !== null;
  return {
    name: `#${index} ${method} ${query} [${name.join('; ')}]${origin === null ? '' : ` origin=${origin}`}${authorization === null ? '' : ` authorization=${authorization.slice(0, 12)}`}${dest === null ? '' : ` dest=${dest}`}${referer === null ? '' : ` referer=${referer}`}`,
    method,
    path: query,
    headers,
    origin,
    uats,
    handshake,
    navigation,
  };
}
