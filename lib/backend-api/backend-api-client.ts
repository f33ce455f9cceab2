/**
 * A small client of Clerk's Backend API for authorization decisions (a user, their organization
 * memberships), with a short per-user cache.
 */
import { checkSecretKey, DEFAULT_API_URL, parseApiUrl } from '../shared/clerk-keys';
import { label, readOptionOrEnv, resolveEnv } from '../shared/env-vars';
import { BackendApiUnavailableError, ClerkConfigError } from '../shared/errors';
import { isRecord, stringOrNull } from '../shared/json-values';
import { nearMissHint } from '../shared/near-miss';
import { assertKnownOptions, checkNumber, MAX_TIMER_MS, optionNames } from '../shared/option-checks';
import { createBackendApiRequest } from './backend-api-request';

/** Options of {@link createClerkBackendClient}. */
export interface ClerkBackendClientOptions {
  /** Secret key, `sk_test_…` or `sk_live_…`; sent only to `apiUrl`, never printed. Default is `CLERK_SECRET_KEY`. */
  secretKey?: string | undefined;
  /** Backend API base URL. Default is `CLERK_API_URL`, else `https://api.clerk.com`. */
  apiUrl?: string | undefined;
  /**
   * How long a user's answers (user, memberships) are reused, in milliseconds, from 0 (off;
   * concurrent lookups of the same user are still shared) to 3600000 (1 hour). Default is 10000
   * (10 seconds).
   */
  cacheTtlInMs?: number | undefined;
  /** Timeout of one Backend API request, in milliseconds. Default is 5000 (5 seconds). */
  timeoutInMs?: number | undefined;
  /** Where environment variables are read. Default is `process.env`, read once at factory time. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** An email address of a {@link ClerkBackendUser}. */
export interface ClerkEmailAddress {
  readonly id: string;
  readonly emailAddress: string;
  /** Whether its verification status is `verified`. */
  readonly verified: boolean;
}

/** The parts of a Clerk user (`GET /v1/users/{id}`) that authorization decisions need. */
export interface ClerkBackendUser {
  readonly id: string;
  /** The primary email address, `null` when the user has none. */
  readonly primaryEmailAddress: ClerkEmailAddress | null;
  readonly emailAddresses: readonly ClerkEmailAddress[];
  readonly username: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  /** Profile image URL (`image_url`); `null` when Clerk sent none. */
  readonly imageUrl: string | null;
  readonly publicMetadata: Readonly<Record<string, unknown>>;
  readonly privateMetadata: Readonly<Record<string, unknown>>;
  readonly banned: boolean;
  readonly locked: boolean;
}

/** One of a user's organization memberships (`GET /v1/users/{id}/organization_memberships`). */
export interface ClerkOrganizationMembership {
  readonly id: string;
  /** Role key, e.g. `org:admin`. */
  readonly role: string;
  readonly permissions: readonly string[];
  readonly organization: { readonly id: string; readonly slug: string | null; readonly name: string | null };
  readonly publicMetadata: Readonly<Record<string, unknown>>;
}

/** A small client of Clerk's Backend API, with a short per-user cache. */
export interface ClerkBackendClient {
  /**
   * The user, or `null` when Clerk does not know the id (deleted user).
   *
   * @throws {BackendApiUnavailableError} (503) when the Backend API cannot answer, or answers
   *   with another user than `userId`.
   */
  getUser(userId: string): Promise<ClerkBackendUser | null>;
  /**
   * Every organization membership of the user (all pages), empty when there are none.
   *
   * @throws {BackendApiUnavailableError} (503) when the Backend API cannot answer, or answers
   *   with memberships of another user (their `public_user_data.user_id`).
   */
  getOrganizationMemberships(userId: string): Promise<readonly ClerkOrganizationMembership[]>;
  /** Forgets cached answers, of one user or of all. */
  clearCache(userId?: string): void;
}

const CLIENT_OPTIONS = optionNames<ClerkBackendClientOptions>({ secretKey: true, apiUrl: true, cacheTtlInMs: true, timeoutInMs: true, env: true });
const PAGE_SIZE = 100;
// 100 pages of 100: far beyond any real user; stops a misbehaving server from looping forever.
const MAX_PAGES = 100;
const MAX_CACHE_ENTRIES = 10_000;
const MAX_CACHE_TTL_MS = 3_600_000;
const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;
const NOT_FOUND = Symbol('not found');

interface CacheEntry {
  expiresAt: number;
  value: Promise<unknown>;
}

/**
 * Creates a Backend API client. Uses the global `fetch` with `Authorization: Bearer <secretKey>`.
 * Answers are cached per user for `cacheTtlInMs`; concurrent lookups share one request; failures
 * are not cached.
 *
 * @throws {ClerkConfigError} when the secret key is missing or malformed, or an option is wrong.
 */
export function createClerkBackendClient(options: ClerkBackendClientOptions = {}): ClerkBackendClient {
  assertKnownOptions(options, CLIENT_OPTIONS, 'createClerkBackendClient');
  const env = resolveEnv(options.env);
  const read = (option: 'secretKey' | 'apiUrl'): string | undefined => readOptionOrEnv(options[option], env, option);
  const given = read('secretKey');
  if (given === undefined) {
    throw new ClerkConfigError(`The Backend API client needs ${label('secretKey')} (Clerk Dashboard → API Keys).${nearMissHint(env, 'secretKey')}`, 'secretKey');
  }
  const secretKey: string = given;
  checkSecretKey(secretKey);
  const base = parseApiUrl(read('apiUrl') ?? DEFAULT_API_URL).href.replace(/\/$/, '');
  // At most an hour: a cached answer hides a ban or an unverified email for that long.
  const ttl = checkNumber(options.cacheTtlInMs, 'cacheTtlInMs', 10_000, { min: 0, max: MAX_CACHE_TTL_MS });
  const timeoutInMs = checkNumber(options.timeoutInMs, 'timeoutInMs', 5000, { min: 1, max: MAX_TIMER_MS, integer: true });
  const request = createBackendApiRequest({ base, timeoutInMs });
  const cache = new Map<string, CacheEntry>();

  const fail = (problem: string): BackendApiUnavailableError => new BackendApiUnavailableError(problem);

  /** GET `path`: the JSON body of a 200, or NOT_FOUND for Clerk's own 404. */
  async function get(path: string): Promise<unknown> {
    const answer = await request(path, { key: secretKey, keyOption: 'secretKey', notFound: (code) => code === 'resource_not_found' });
    return answer.found ? answer.body : NOT_FOUND;
  }

  /** The cached or in-flight answer for `key`, else `load()`'s, shared and cached on success. */
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = cache.get(key);
    if (entry !== undefined && entry.expiresAt > now) return entry.value as Promise<T>;
    if (entry !== undefined) cache.delete(key);
    const value = load();
    const fresh: CacheEntry = { expiresAt: Infinity, value };
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, fresh);
    value.then(
      () => {
        // Counted from the answer, so that a slow request does not arrive already stale.
        if (ttl > 0) fresh.expiresAt = Date.now() + ttl;
        else if (cache.get(key) === fresh) cache.delete(key);
      },
      () => {
        if (cache.get(key) === fresh) cache.delete(key);
      },
    );
    return value;
  }

  function checkUserId(userId: unknown): string {
    if (typeof userId !== 'string' || !USER_ID.test(userId)) throw new TypeError('userId must be a Clerk user id such as user_2abc.');
    return userId;
  }

  async function getUser(userId: string): Promise<ClerkBackendUser | null> {
    const id = checkUserId(userId);
    return cached(`user:${id}`, async () => {
      const body = await get(`/v1/users/${id}`);
      if (body === NOT_FOUND) return null;
      const user = toUser(body);
      if (user === null) throw fail('it answered with something that is not a user');
      // A proxy or cache that mixes answers up must not let one user be judged on another's data.
      if (user.id !== id) throw fail('it answered with another user than the one asked for (an unexpected answer)');
      return user;
    });
  }

  async function getOrganizationMemberships(userId: string): Promise<readonly ClerkOrganizationMembership[]> {
    const id = checkUserId(userId);
    return cached(`memberships:${id}`, async () => {
      const memberships: ClerkOrganizationMembership[] = [];
      for (let page = 0; page < MAX_PAGES; page++) {
        const body = await get(`/v1/users/${id}/organization_memberships?limit=${PAGE_SIZE}&offset=${page * PAGE_SIZE}`);
        if (body === NOT_FOUND) return Object.freeze([]);
        const list = toMembershipPage(body);
        if (list === null) throw fail('it answered with something that is not a list of organization memberships');
        if (list.userIds.some((member) => member !== id)) throw fail('it answered with memberships of another user than the one asked for (an unexpected answer)');
        memberships.push(...list.data);
        if (list.data.length < PAGE_SIZE || memberships.length >= list.totalCount) return Object.freeze(memberships);
      }
      throw fail(`the user has more than ${MAX_PAGES * PAGE_SIZE} organization memberships`);
    });
  }

  function clearCache(userId?: string): void {
    if (userId === undefined) cache.clear();
    else for (const kind of ['user', 'memberships']) cache.delete(`${kind}:${userId}`);
  }

  return Object.freeze({ getUser, getOrganizationMemberships, clearCache });
}

function toUser(body: unknown): ClerkBackendUser | null {
  if (!isRecord(body) || typeof body['id'] !== 'string') return null;
  const emailAddresses = (Array.isArray(body['email_addresses']) ? body['email_addresses'] : []).flatMap((entry: unknown) => {
    if (!isRecord(entry) || typeof entry['id'] !== 'string' || typeof entry['email_address'] !== 'string') return [];
    const verification = entry['verification'];
    const verified = isRecord(verification) && verification['status'] === 'verified';
    return [Object.freeze({ id: entry['id'], emailAddress: entry['email_address'], verified })];
  });
  const primaryId = body['primary_email_address_id'];
  return Object.freeze({
    id: body['id'],
    primaryEmailAddress: emailAddresses.find((address) => address.id === primaryId) ?? null,
    emailAddresses: Object.freeze(emailAddresses),
    username: stringOrNull(body['username']),
    firstName: stringOrNull(body['first_name']),
    lastName: stringOrNull(body['last_name']),
    imageUrl: stringOrNull(body['image_url']),
    publicMetadata: recordOrEmpty(body['public_metadata']),
    privateMetadata: recordOrEmpty(body['private_metadata']),
    banned: body['banned'] === true,
    locked: body['locked'] === true,
  });
}

/**
 * A page of memberships, and the user ids its entries name (`public_user_data.user_id`, where
 * Clerk sends it) to be compared with the user asked for.
 */
function toMembershipPage(body: unknown): { data: ClerkOrganizationMembership[]; totalCount: number; userIds: unknown[] } | null {
  if (!isRecord(body) || !Array.isArray(body['data'])) return null;
  const data: ClerkOrganizationMembership[] = [];
  const userIds: unknown[] = [];
  for (const entry of body['data'] as unknown[]) {
    const organization = isRecord(entry) ? entry['organization'] : undefined;
    if (!isRecord(entry) || typeof entry['id'] !== 'string' || typeof entry['role'] !== 'string' || !isRecord(organization) || typeof organization['id'] !== 'string') {
      return null;
    }
    const member = entry['public_user_data'];
    if (isRecord(member) && member['user_id'] !== undefined) userIds.push(member['user_id']);
    const permissions = Array.isArray(entry['permissions']) ? entry['permissions'].filter((p): p is string => typeof p === 'string') : [];
    data.push(
      Object.freeze({
        id: entry['id'],
        role: entry['role'],
        permissions: Object.freeze(permissions),
        organization: Object.freeze({ id: organization['id'], slug: stringOrNull(organization['slug']), name: stringOrNull(organization['name']) }),
        publicMetadata: recordOrEmpty(entry['public_metadata']),
      }),
    );
  }
  const totalCount = body['total_count'];
  return { data, totalCount: typeof totalCount === 'number' ? totalCount : Infinity, userIds };
}

/** Metadata, frozen all the way down: the cached copy is shared by every request for its TTL. */
function recordOrEmpty(value: unknown): Readonly<Record<string, unknown>> {
  return deepFreeze(isRecord(value) ? { ...value } : {});
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
