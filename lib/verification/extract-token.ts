import { InvalidRequestError } from '../shared/errors';

const CREDENTIALS = /^(\S+)(?:[ \t]+([\s\S]*))?$/;
const WHITESPACE = /\s/;
/** What Node strips from both ends of a header value (RFC 9110 OWS): spaces and tabs, nothing else. */
export const OWS_AROUND = /^[ \t]+|[ \t]+$/g;
/** Anything JavaScript counts as blank (U+00A0, U+FEFF, \v, \f, line breaks…), then `bearer` in any case. */
const BEARER_ISH = /^\s*bearer/i;

/**
 * Whether `value` is meant as Bearer credentials: it starts with `bearer` in any case, after any
 * blank. {@link extractBearerToken} takes such a value only in Clerk's spelling and refuses the rest.
 */
export function looksLikeBearer(value: string): boolean {
  return BEARER_ISH.test(value);
}

/**
 * Takes the Bearer token out of the `Authorization` header value(s) of a request, spelled exactly
 * as Clerk's `authenticateRequest` reads it: `Bearer` (this case), one space, and a token with no
 * blank in it. Only the spaces and tabs around the value are ignored (Node strips them itself).
 *
 * Every other spelling of a Bearer header (`bearer`/`BEARER`, several spaces or a tab after the
 * scheme, a no-break space, `Bearer,…`) is refused with a 400, never read as "no credentials":
 * Clerk would not sign such a request in, so neither may this package, and a client that
 * botched its header should hear so rather than be served anonymously.
 *
 * @param authorization The header value, or every value when the header was sent more than once
 *   (Node keeps only the first in `req.headers`; pass `req.headersDistinct.authorization`).
 * @param realm Realm of the challenge of a thrown error.
 * @returns The token, or `null` when there are no Bearer credentials (no header, an empty one,
 *   another scheme such as `Basic`, or a single value with no scheme).
 * @throws {InvalidRequestError} (400) for a header sent more than once, `Bearer` with no token or
 *   with more than one, a blank character in the token, or any other spelling of the scheme and
 *   its separator.
 */
export function extractBearerToken(authorization: string | readonly string[] | undefined, realm?: string): string | null {
  let value: string | undefined;
  if (typeof authorization === 'string' || authorization === undefined) {
    value = authorization;
  } else if (authorization.length > 1) {
    throw new InvalidRequestError('the Authorization header was sent more than once', { realm });
  } else {
    value = authorization[0];
  }
  if (value === undefined || !looksLikeBearer(value)) return null;
  const credentials = value.replace(OWS_AROUND, '');
  if (/^bearer$/i.test(credentials) || /^Bearer[ \t]+$/.test(credentials)) {
    throw new InvalidRequestError('the Bearer scheme needs a token, as in "Authorization: Bearer <token>"', { realm });
  }
  if (!credentials.startsWith('Bearer ') || WHITESPACE.test(credentials.charAt(7))) {
    throw new InvalidRequestError('write the scheme as "Bearer" followed by one space and the token; Clerk reads no other spelling', { realm });
  }
  const token = credentials.slice(7);
  if (WHITESPACE.test(token)) {
    throw new InvalidRequestError(
      token.split(/\s+/).filter((word) => word !== '').length > 1
        ? 'more than one value follows Bearer'
        : 'the Bearer token contains a blank character (such as a no-break space): send exactly "Bearer <token>"',
      { realm },
    );
  }
  return token;
}

/**
 * The schemes a `missing_token` message may name, by lower-case name: the IANA HTTP
 * Authentication Scheme Registry (Bearer aside) and a few common unregistered ones. Only these:
 * the first word of an arbitrary header may be a credential (`Authorization: s3cr3tk3y x`).
 */
const KNOWN_SCHEMES: ReadonlyMap<string, string> = new Map(
  [
    'Basic',
    'Concealed',
    'Digest',
    'DPoP',
    'GNAP',
    'HOBA',
    'Mutual',
    'Negotiate',
    'OAuth',
    'PrivateToken',
    'SCRAM-SHA-1',
    'SCRAM-SHA-256',
    'vapid',
    'NTLM',
    'Token',
    'ApiKey',
    'AWS4-HMAC-SHA256',
  ].map((name) => [name.toLowerCase(), name]),
);

/**
 * Says why `authorization` holds no Bearer credentials, for the message of a 401 `missing_token`:
 * an empty header, a single value with no scheme, or another scheme, named (in its registered
 * spelling) only when it is a registered or well-known one such as `Basic`. Never repeats the
 * credential, nor any other word of the header.
 *
 * @returns `undefined` when no `Authorization` header was sent at all.
 */
export function describeMissingBearer(authorization: string | readonly string[] | undefined): string | undefined {
  const value = typeof authorization === 'string' ? authorization : authorization?.[0];
  if (value === undefined) return undefined;
  const credentials = value.trim();
  if (credentials === '') return 'the Authorization header is empty';
  const match = CREDENTIALS.exec(credentials);
  if (match?.[2] === undefined || match[2].trim() === '') return 'the Authorization header holds a single value and no scheme';
  const scheme = KNOWN_SCHEMES.get((match[1] as string).toLowerCase());
  return scheme === undefined
    ? 'the Authorization header uses another scheme; this API takes Bearer tokens'
    : `the Authorization header uses the ${scheme} scheme; this API takes Bearer tokens`;
}
