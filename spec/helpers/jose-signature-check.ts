import { compactVerify, type FlattenedJWSInput } from 'jose';
import type { KeyGetter } from '../../lib/verification/jwks';
import { joseFailure, joseHeaderProblem, parsedJws, VERIFY_OPTIONS, type HeaderRules, type JoseHeader, type Refuse, type SignatureCheck } from '../../lib/verification/signature-check';

// jose reads the header as strict UTF-8, the payload leniently (as Clerk's SDK does both).
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The reference signature step of the differential spec: jose's `compactVerify` does it all (form,
 * `crit`, `alg`, key choice, signature), with our extra header rules in its key resolver, which
 * jose calls after its own checks and before the signature. The production step
 * (`createSignatureCheck`, node:crypto) must give the same verdict for every token:
 * `createVerifier(options, joseSignatureCheck)` builds a verifier around it.
 */
export function joseSignatureCheck(getKey: KeyGetter, headerRules: HeaderRules, refuse: Refuse, realm: string): SignatureCheck {
  const resolveKey = (header: JoseHeader, token: FlattenedJWSInput) => {
    const text = strictDecoder.decode(Buffer.from(token.protected as string, 'base64url'));
    const problem = joseHeaderProblem(header, text) ?? headerRules(header);
    if (problem !== null) throw refuse(problem);
    return getKey(header, token);
  };
  return async (token) => {
    let result: Awaited<ReturnType<typeof compactVerify>>;
    try {
      result = await compactVerify(token, resolveKey, VERIFY_OPTIONS);
    } catch (error) {
      throw joseFailure(error, refuse, realm);
    }
    return parsedJws(result.protectedHeader, decoder.decode(result.payload), refuse);
  };
}
