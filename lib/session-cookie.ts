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
 * Names to read the session token from, in order: `__session_<suffix>` when the publishable key
 * is known, then `__session`, as Clerk does.
 */
export function sessionCookieNames(publishableKey: string | null): readonly string[] {
  return publishableKey === null ? [SESSION_COOKIE] : [`${SESSION_COOKIE}_${sessionCookieSuffix(publishableKey)}`, SESSION_COOKIE];
}

/**
 * The value of the first cookie named `name` in a `Cookie` header, or `null`. Pairs are split on
 * `;`; names and values are trimmed; a value in double quotes is unquoted; percent escapes are
 * decoded, and a value with a bad escape is returned as sent (a token never holds `%`, so the
 * verifier then refuses it). Pairs without `=` are skipped. An empty value counts as absent.
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (typeof header !== 'string') return null;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // Kept as sent: see above.
      }
    }
    return value === '' ? null : value;
  }
  return null;
}

/** The session token from the first of `names` present in the `Cookie` header, or `null`. */
export function readSessionCookie(header: string | undefined, names: readonly string[]): string | null {
  for (const name of names) {
    const value = readCookie(header, name);
    if (value !== null) return value;
  }
  return null;
}
