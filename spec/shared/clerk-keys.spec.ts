import { ClerkConfigError } from '../../lib/shared/errors';
import { parsePublishableKey } from '../../lib/shared/clerk-keys';
import { thrown } from '../helpers/expect-error';
import { fakeSecretKey, publishableKeyFor } from '../helpers/keys';

describe('parsePublishableKey', () => {
  it('decodes the example key of the reference', () => {
    expect(parsePublishableKey('pk_test_ZXhvdGljLWNyYWItNzUuY2xlcmsuYWNjb3VudHMuZGV2JA')).toEqual({
      instanceType: 'development',
      frontendApi: 'exotic-crab-75.clerk.accounts.dev',
    });
  });

  it('decodes production keys, padded keys and custom domains', () => {
    expect(parsePublishableKey(publishableKeyFor('clerk.example.com', 'live'))).toEqual({
      instanceType: 'production',
      frontendApi: 'clerk.example.com',
    });
    const padded = `pk_live_${Buffer.from('clerk.acme.io$').toString('base64')}`;
    expect(padded.endsWith('=')).toBe(true);
    expect(parsePublishableKey(padded).frontendApi).toBe('clerk.acme.io');
  });

  const malformed: [string, string, RegExp][] = [
    ['an empty body', 'pk_test_', /is malformed: the part after pk_test_\/pk_live_ is not base64/],
    ['another kind', `pk_prod_${Buffer.from('a.b$').toString('base64')}`, /is not a Clerk publishable key: expected pk_test_… or pk_live_…/],
    ['no prefix', 'ZXhvdGljLWNyYWItNzUuY2xlcmsuYWNjb3VudHMuZGV2JA', /is not a Clerk publishable key/],
    ['four parts', 'pk_test_ZXhv_dGlj', /is not a Clerk publishable key/],
    ['the docs placeholder', 'pk_test_...', /is not base64/],
    ['an impossible base64 length', 'pk_test_ZXhvd', /is not base64/],
    ['no trailing $', `pk_test_${Buffer.from('clerk.example.com').toString('base64')}`, /does not encode a Frontend API host followed by "\$"/],
    ['a $ inside', `pk_test_${Buffer.from('clerk$example.com$').toString('base64')}`, /followed by "\$"/],
    ['a host without a dot', publishableKeyFor('localhost'), /does not encode a valid Frontend API host/],
    ['a host with a path', publishableKeyFor('clerk.example.com/x'), /does not encode a valid Frontend API host/],
  ];
  it.each(malformed)('refuses a key with %s, naming the option', (_, key, message) => {
    const error = thrown(ClerkConfigError, () => parsePublishableKey(key));
    expect(error.option).toBe('publishableKey');
    expect(error.message).toMatch(/^publishableKey \(CLERK_PUBLISHABLE_KEY\) /);
    expect(error.message).toMatch(message);
  });

  const withBody = malformed.filter(([, key]) => (key.split('_')[2] ?? '').length > 4);
  it.each(withBody)('does not echo the key with %s', (_, key) => {
    expect(thrown(ClerkConfigError, () => parsePublishableKey(key)).message).not.toContain(key.split('_')[2]);
  });

  it('says so when a secret key is pasted instead, without printing it', () => {
    const secret = fakeSecretKey();
    expect(() => parsePublishableKey(secret)).toThrow(/holds a secret key \(sk_…\)/);
    expect(() => parsePublishableKey(secret)).not.toThrow(secret.slice(8));
  });

  it('uses the label it is given', () => {
    expect(() => parsePublishableKey('nope', 'VITE_CLERK_PUBLISHABLE_KEY')).toThrow(/^VITE_CLERK_PUBLISHABLE_KEY is not/);
  });
});
