/**
 * The one way this package calls Clerk's Backend API (the client's lookups and the verifier's
 * opaque machine tokens): what counts as an answer, and every other outcome as a 503.
 */
import { label } from '../shared/env-vars';
import { BackendApiUnavailableError } from '../shared/errors';
import { errorCode, isTimeout } from '../shared/fetch-errors';
import { isRecord } from '../shared/json-values';

/** What {@link createBackendApiRequest} needs: where, and how long one request may take. */
export interface BackendApiRequestSettings {
  /** The Backend API origin and path prefix, without a trailing slash (from `parseApiUrl`). */
  readonly base: string;
  readonly timeoutInMs: number;
}

/** One Backend API request: the key it is authorized with, and what counts as Clerk's own "not found". */
export interface BackendApiRequestOptions {
  /** `POST` with `body` as JSON; default `GET`. */
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** The key sent as `Authorization: Bearer <key>`; never put in a message. */
  readonly key: string;
  /** The option the key comes from, named (with its variable) when Clerk refuses it. */
  readonly keyOption: 'secretKey' | 'machineSecretKey';
  /** Given the `errors[0].code` of a 404's Clerk error body, whether it is a definite "not found". */
  readonly notFound: (code: unknown) => boolean;
  /** What the 503's public message says could not be checked. Default is the user. */
  readonly lookup?: 'user' | 'token';
}

/** A 200's JSON body, or Clerk's definite "not found". */
export type BackendApiAnswer = { readonly found: true; readonly body: unknown } | { readonly found: false };

/**
 * The one way this package calls Clerk's Backend API (the client's lookups and the verifier's
 * opaque machine tokens): the global `fetch`, `Authorization: Bearer <key>`, a timeout, no
 * redirect followed. A 200 with a JSON body is an answer, and so is a 404 whose Clerk error body
 * `notFound` recognises; anything else (unreachable, timed out, another status, a body that is
 * not JSON) is a {@link BackendApiUnavailableError} (503, with Clerk's `Retry-After` on a 429),
 * never a refusal: an outage must not look like a bad token or a missing user. The key is never
 * in a message.
 */
export function createBackendApiRequest({ base, timeoutInMs }: BackendApiRequestSettings): (path: string, options: BackendApiRequestOptions) => Promise<BackendApiAnswer> {
  return async function request(path, { method = 'GET', body, key, keyOption, notFound, lookup }): Promise<BackendApiAnswer> {
    const fail = (problem: string, cause?: unknown, retryAfterSeconds?: number): BackendApiUnavailableError =>
      new BackendApiUnavailableError(problem, { cause, lookup, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    if (method === 'POST') headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutInMs),
      });
    } catch (error) {
      const code = errorCode((error as { cause?: unknown } | null)?.cause);
      throw fail(isTimeout(error) ? `the request timed out after ${timeoutInMs} ms` : `it could not be reached${code === undefined ? '' : ` (${code})`}`, error);
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch (error) {
      if (response.status === 200) throw fail(isTimeout(error) ? `the request timed out after ${timeoutInMs} ms` : 'it answered with invalid JSON', error);
    }
    if (response.status === 200) return { found: true, body: parsed };
    if (response.status === 404 && isClerkErrorBody(parsed) && notFound(clerkErrorCode(parsed))) return { found: false };
    throw fail(describeStatus(response.status, keyOption), undefined, retryAfter(response));
  };
}

function describeStatus(status: number, keyOption: 'secretKey' | 'machineSecretKey'): string {
  if (status === 401 || status === 403) {
    return `it refused ${label(keyOption)} with HTTP ${status}; check that the key is current and belongs to this instance`;
  }
  if (status === 429) return 'it is rate limiting this application (HTTP 429)';
  if (status >= 300 && status < 400) return `it answered HTTP ${status} (a redirect, which is not followed: check ${label('apiUrl')})`;
  return `it answered HTTP ${status}`;
}

function retryAfter(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600 ? seconds : undefined;
}

/** Whether `body` is a Clerk error body: `{ errors: [{ code, … }, …] }`. */
function isClerkErrorBody(body: unknown): boolean {
  const errors = isRecord(body) ? body['errors'] : undefined;
  return Array.isArray(errors) && errors.length > 0 && isRecord(errors[0]);
}

/** `errors[0].code` of a Clerk error body (`{ errors: [{ code, message }] }`). */
function clerkErrorCode(body: unknown): unknown {
  const errors = isRecord(body) ? body['errors'] : undefined;
  return Array.isArray(errors) && isRecord(errors[0]) ? errors[0]['code'] : undefined;
}
