import { createHash } from 'node:crypto';

/** Name of Clerk's session-token cookie on the application's domain. */
export const SESSION_COOKIE = '__session';

/**
 * The suffix Clerk appends to its cookie names when several apps share a domain:
 * `__session_<suffix>`, where the suffix is the first 8 characters of the URL-safe base64 SHA-1 of
 * the publishable key (Clerk's `getCookieSuffix`).
 */
export function sessionCookieSuffix(publishableKey: string): string {
  return createHash('sha1').update(publishableKey).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').slice(0, 8);
}

/**
 * The cookies of a `Cookie` header, read exactly as Clerk's SDK reads them (the `cookie` package,
 * 1.1, inside `@clerk/backend`): pairs are split on `;`, a pair without `=` is skipped, names and
 * values are trimmed of spaces and tabs only, the **first** pair of a name wins (even when its
 * value is empty), and values are percent-decoded (a bad escape leaves the value as sent). Double
 * quotes are **not** removed: Clerk keeps them, and so the token in `__session="…"` is malformed.
 * The map holds raw values; {@link cookieValue} decodes one.
 */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (typeof header !== 'string' || header.length < 2) return cookies;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const equals = header.indexOf('=', start);
    if (equals !== -1 && equals < end) {
      const name = trimSpaces(header, start, equals);
      if (!cookies.has(name)) cookies.set(name, trimSpaces(header, equals + 1, end));
    }
    start = end + 1;
  }
  return cookies;
}

/**
 * The decoded value of `name` in cookies from {@link parseCookieHeader}, or `null` when it is
 * absent or empty (Clerk counts an empty cookie as absent).
 */
export function cookieValue(cookies: ReadonlyMap<string, string>, name: string): string | null {
  const raw = cookies.get(name);
  if (raw === undefined || raw === '') return null;
  let value = raw;
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // Kept as sent, as Clerk does.
    }
  }
  return value === '' ? null : value;
}

/**
 * The value of the first cookie named `name` in a `Cookie` header, or `null` when it is absent or
 * empty; parsed as Clerk parses it (see {@link parseCookieHeader}).
 */
export function readCookie(header: string | undefined, name: string): string | null {
  return cookieValue(parseCookieHeader(header), name);
}

// The cookie package trims spaces and tabs only (not every Unicode space, as String#trim does).
function trimSpaces(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}
