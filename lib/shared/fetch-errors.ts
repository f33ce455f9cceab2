/**
 * What went wrong with a `fetch()` (the JWKS, the Backend API) or a jose call, read off the error.
 * Errors from fetch() come from Node's realm: compare names and codes, not classes.
 */

/** Whether `error` is an `AbortSignal.timeout()` firing. */
export function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

/** The string `code` of an error (jose, Node system or undici), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
