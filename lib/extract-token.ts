import { InvalidRequestError } from './errors';

const CREDENTIALS = /^(\S+)(?:[ \t]+([\s\S]*))?$/;
const WHITESPACE = /\s/;

/**
 * Takes the Bearer token out of the `Authorization` header value(s) of a request (RFC 6750 §2.1).
 * The scheme is case-insensitive and surrounding spaces or tabs are tolerated.
 *
 * @param authorization The header value, or every value when the header was sent more than once
 *   (Node keeps only the first in `req.headers`; pass `req.headersDistinct.authorization`).
 * @param realm Realm of the challenge of a thrown error.
 * @returns The token, or `null` when there are no Bearer credentials (no header, an empty one, or
 *   another scheme such as `Basic`).
 * @throws {InvalidRequestError} (400) for `Bearer` with no token, with more than one token, not
 *   followed by a space (`Bearer,…`), or a header sent more than once.
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
  const credentials = value?.trim() ?? '';
  const match = CREDENTIALS.exec(credentials);
  if (match === null || (match[1] as string).toLowerCase() !== 'bearer') {
    // "Bearer,tok", "Bearer\u00a0tok", "Bearertok": a botched Bearer header is an error, not anonymity.
    if (/^bearer/i.test(credentials)) throw new InvalidRequestError('Bearer must be followed by a space and the token', { realm });
    return null;
  }
  const token = (match[2] ?? '').trim();
  if (token === '') throw new InvalidRequestError('the Bearer scheme needs a token, as in "Authorization: Bearer <token>"', { realm });
  if (WHITESPACE.test(token)) throw new InvalidRequestError('more than one value follows Bearer', { realm });
  return token;
}

/** A scheme name short and plain enough to repeat in a message: it cannot be a credential's worth of text. */
const SCHEME_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,19}$/;

/**
 * Says why `authorization` holds no Bearer credentials, for the message of a 401 `missing_token`:
 * an empty header, a single value with no scheme, or another scheme (named only when it is a short
 * plain word such as `Basic`). Never repeats the credential.
 *
 * @returns `undefined` when no `Authorization` header was sent at all.
 */
export function describeMissingBearer(authorization: string | readonly string[] | undefined): string | undefined {
  const value = typeof authorization === 'string' ? authorization : authorization?.[0];
  if (value === undefined) return undefined;
  const credentials = value.trim();
  if (credentials === '') return 'the Authorization header is empty';
  const match = CREDENTIALS.exec(credentials);
  if (match === null || match[2] === undefined || match[2].trim() === '') return 'the Authorization header holds a single value and no scheme';
  const scheme = match[1] as string;
  return SCHEME_NAME.test(scheme)
    ? `the Authorization header uses the ${scheme} scheme; this API takes Bearer tokens`
    : 'the Authorization header does not use the Bearer scheme; this API takes Bearer tokens';
}
