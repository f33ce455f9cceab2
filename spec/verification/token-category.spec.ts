import { createClerkVerifier, InvalidTokenError, type ClerkVerifierOptions } from '../../lib';
import { rejected } from '../helpers/expect-error';
import { useJwksFixture } from '../helpers/jwks-fixture';
import { mint } from '../helpers/keys';

const jwks = useJwksFixture();
const verifierFor = (options: ClerkVerifierOptions = {}) => createClerkVerifier({ jwksUri: jwks.server.jwksUri, env: {}, logger: false, ...options });
// A JWT-template token: the template's custom claims, no sid (templates may leave it out).
const templateClaims = () => jwks.claims({ sid: undefined, email: 'ada@example.com', email_verified: true });

describe('acceptJwtTemplates', () => {
  it('is off by default: a JWT-template token is refused, as Clerk does', async () => {
    const token = await mint(jwks.key, templateClaims(), { cat: 'cl_B7d4PD222AAA' });
    expect((await rejected(InvalidTokenError, verifierFor().verify(token))).reason).toBe('unsupported_category');
    expect(verifierFor().config.acceptJwtTemplates).toBe(false);
  });

  it('accepts a JWT-template token, with its custom claims, when on', async () => {
    const token = await mint(jwks.key, templateClaims(), { cat: 'cl_B7d4PD222AAA' });
    await expect(verifierFor({ acceptJwtTemplates: true }).verify(token)).resolves.toMatchObject({ sub: 'user_2abc', email_verified: true });
  });

  it.each([undefined, 'cl_B7d4PD111AAA', 'cl_I7d4PD111III'])('still accepts session tokens (cat %s) when on', async (cat) => {
    await expect(verifierFor({ acceptJwtTemplates: true }).verify(await mint(jwks.key, jwks.claims(), { cat }))).resolves.toMatchObject({ sub: 'user_2abc' });
  });

  it.each([
    ['cl_B7d4PD333AAA', 'token_type_mismatch'],
    ['cl_B7d4PD222aaa', 'unsupported_category'],
    ['other', 'unsupported_category'],
  ])('still refuses the category %s when on', async (cat, reason) => {
    const error = await rejected(InvalidTokenError, verifierFor({ acceptJwtTemplates: true }).verify(await mint(jwks.key, jwks.claims(), { cat })));
    expect(error.reason).toBe(reason);
  });

  it('applies every other check to template tokens', async () => {
    const verifier = verifierFor({ acceptJwtTemplates: true, authorizedParties: ['https://app.example.com'] });
    const token = await mint(jwks.key, templateClaims(), { cat: 'cl_B7d4PD222AAA' });
    expect((await rejected(InvalidTokenError, verifier.verify(token))).reason).toBe('invalid_authorized_party');
    const signedByOther = await mint(jwks.otherKey, templateClaims(), { cat: 'cl_B7d4PD222AAA', kid: jwks.key.kid });
    expect((await rejected(InvalidTokenError, verifierFor({ acceptJwtTemplates: true }).verify(signedByOther))).reason).toBe('invalid_signature');
  });
});
