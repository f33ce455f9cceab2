import { InvalidRequestError } from '../lib/errors';
import { extractBearerToken } from '../lib/extract-token';
import { thrown } from './helpers/expect-error';

describe('extractBearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER abc.def.ghi', 'abc.def.ghi'],
    ['  Bearer   abc.def.ghi  ', 'abc.def.ghi'],
    ['Bearer\tabc.def.ghi', 'abc.def.ghi'],
    [['Bearer abc.def.ghi'], 'abc.def.ghi'],
  ])('takes the token from %j', (header, token) => {
    expect(extractBearerToken(header)).toBe(token);
  });

  it.each([undefined, '', '   ', [], 'Basic dXNlcjpwYXNz', 'Token abc', 'Bear abc', 'Digest bearer=abc'])(
    'finds no credentials in %j',
    (header) => {
      expect(extractBearerToken(header)).toBeNull();
    },
  );

  it.each([
    ['Bearer', /Bearer scheme needs a token/],
    ['Bearer    ', /Bearer scheme needs a token/],
    ['Bearer abc def', /more than one value follows Bearer/],
    ['Bearer abc\tdef', /more than one value follows Bearer/],
    ['Bearer,abc.def.ghi', /Bearer must be followed by a space and the token/],
    ['Bearer\u00a0abc.def.ghi', /Bearer must be followed by a space and the token/],
    ['bearerabc.def.ghi', /Bearer must be followed by a space and the token/],
    [['Bearer a.b.c', 'Bearer d.e.f'], /sent more than once/],
  ])('refuses %j with 400 invalid_request', (header, message) => {
    const error = thrown(InvalidRequestError, () => extractBearerToken(header, 'agents'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="agents", error="invalid_request", error_description="/);
  });
});
