import { InvalidRequestError } from '../../lib/shared/errors';
import { extractBearerToken } from '../../lib/verification/extract-token';
import { thrown } from '../helpers/expect-error';

/** Clerk's spelling, and how we explain every other spelling of a Bearer header. */
const SPELLING = /write the scheme as "Bearer" followed by one space and the token; Clerk reads no other spelling/;
const BLANK = /the Bearer token contains a blank character/;

describe('extractBearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    // What Node strips from a header value itself: leading and trailing spaces and tabs.
    ['  Bearer abc.def.ghi  ', 'abc.def.ghi'],
    ['\tBearer abc.def.ghi\t', 'abc.def.ghi'],
    [['Bearer abc.def.ghi'], 'abc.def.ghi'],
  ])('takes the token from %j', (header, token) => {
    expect(extractBearerToken(header)).toBe(token);
  });

  it.each([undefined, '', '   ', [], 'Basic dXNlcjpwYXNz', 'Token abc', 'Bear abc', 'Digest bearer=abc', 'abc.def.ghi'])('finds no credentials in %j', (header) => {
    expect(extractBearerToken(header)).toBeNull();
  });

  it.each([
    ['Bearer', /Bearer scheme needs a token/],
    ['Bearer    ', /Bearer scheme needs a token/],
    ['bearer', /Bearer scheme needs a token/],
    ['Bearer abc def', /more than one value follows Bearer/],
    ['Bearer abc\tdef', /more than one value follows Bearer/],
    // Clerk reads the scheme case-sensitively and splits on the first space only.
    ['bearer abc.def.ghi', SPELLING],
    ['BEARER abc.def.ghi', SPELLING],
    ['bEaReR abc.def.ghi', SPELLING],
    ['Bearer  abc.def.ghi', SPELLING],
    ['  Bearer   abc.def.ghi  ', SPELLING],
    ['Bearer\tabc.def.ghi', SPELLING],
    ['Bearer \tabc.def.ghi', SPELLING],
    ['Bearer,abc.def.ghi', SPELLING],
    ['Bearer\u00a0abc.def.ghi', SPELLING],
    ['Bearer\u000babc.def.ghi', SPELLING],
    ['bearerabc.def.ghi', SPELLING],
    // Blanks that Node does not strip (a latin1 0xA0 byte, a vertical tab, a form feed, a BOM).
    ['Bearer abc.def.ghi\u00a0', BLANK],
    ['Bearer \u00a0abc.def.ghi', SPELLING],
    ['Bearer abc.def.ghi\u000b', BLANK],
    ['Bearer abc.def.ghi\u000c', BLANK],
    ['Bearer abc.def.ghi\ufeff', BLANK],
    ['Bearer abc.def.ghi\n', BLANK],
    // A botched Bearer header behind a blank Node does not strip is still not anonymity.
    ['\u00a0Bearer abc.def.ghi', SPELLING],
    ['\ufeffbearer abc.def.ghi', SPELLING],
    [['Bearer a.b.c', 'Bearer d.e.f'], /sent more than once/],
  ])('refuses %j with 400 invalid_request', (header, message) => {
    const error = thrown(InvalidRequestError, () => extractBearerToken(header, 'agents'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="agents", error="invalid_request", error_description="/);
  });
});
