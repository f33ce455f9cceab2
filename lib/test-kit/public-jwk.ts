/**
 * The public key type the test issuer serves, apart from the signing keys (whose declarations
 * import jose's ESM-only types) and from the issuer (which uses the signing keys).
 */

/** A public RSA key as a JWKS serves it. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: string;
  readonly n?: string | undefined;
  readonly e?: string | undefined;
  readonly [parameter: string]: unknown;
}
