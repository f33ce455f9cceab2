/**
 * The one module that imports `jose`. The published CommonJS build replaces it with a bundle of
 * exactly these exports (jose 6 is ESM-only, and Jest's runtime, Node < 22.12 and esbuild's ESM
 * output cannot load it from a CommonJS package), so every other file imports jose from here.
 */
export { compactVerify, CompactSign, createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair } from 'jose';
export type { CompactJWSHeaderParameters, CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWK, VerifyOptions } from 'jose';
