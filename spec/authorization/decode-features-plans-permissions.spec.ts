import { decodeOrgPermissions, parseScopedNames, splitScopedSlots } from '../../lib/authorization/decode-features-plans-permissions';

describe('decodeOrgPermissions (v2 o.per / o.fpm)', () => {
  it('decodes the reference example as Clerk does', () => {
    expect(decodeOrgPermissions('o:impersonation,o:memberships', 'read,manage', '1,3')).toEqual(['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage']);
  });

  it('reads bits least significant first', () => {
    expect(decodeOrgPermissions('o:invoices', 'read,write,delete', '5')).toEqual(['org:invoices:read', 'org:invoices:delete']);
    expect(decodeOrgPermissions('o:invoices', 'read,write,delete', '2')).toEqual(['org:invoices:write']);
  });

  it('decodes masks wider than 53 bits exactly (BigInt)', () => {
    const permissions = Array.from({ length: 70 }, (_, index) => `p${index}`);
    // Bits 0, 53, 60 and 69: 2^53 + 1 is where Number stops being exact.
    const mask = (1n + (1n << 53n) + (1n << 60n) + (1n << 69n)).toString();
    expect(Number(mask).toString()).not.toBe(mask);
    expect(decodeOrgPermissions('o:big', permissions.join(','), mask)).toEqual(['org:big:p0', 'org:big:p53', 'org:big:p60', 'org:big:p69']);
  });

  it('trims spaces around features, permissions and masks', () => {
    expect(decodeOrgPermissions(' o:a , o:b ', ' read , manage ', ' 2 , 1 ')).toEqual(['org:a:manage', 'org:b:read']);
  });

  it('ignores user-scoped features and keeps org slots of ou/uo features', () => {
    expect(decodeOrgPermissions('u:reports,o:a,uo:b,ou:c', 'read', '1,1,1')).toEqual(['org:a:read', 'org:b:read', 'org:c:read']);
  });

  it.each([
    ['empty per', 'o:a', '', '1'],
    ['empty fpm', 'o:a', 'read', ''],
    ['no fea', undefined, 'read', '1'],
    ['per not a string', 'o:a', ['read'], '1'],
    ['fpm not a string', 'o:a', 'read', 1],
    ['a zero mask', 'o:a', 'read', '0'],
  ])('grants nothing with %s', (_, fea, per, fpm) => {
    expect(decodeOrgPermissions(fea, per, fpm)).toEqual([]);
  });

  it.each(['-1', '1e3', '0x3', '3.0', 'abc', ' ', '1 1', '١'])('grants nothing for the non-digit mask %j, and nothing else shifts', (mask) => {
    expect(decodeOrgPermissions('o:a,o:b', 'read', `${mask},1`)).toEqual(['org:b:read']);
  });

  it('a malformed fea element grants nothing but keeps its slot, so later masks stay aligned with Clerk', () => {
    // "dashboard" (no colon) takes an org slot in Clerk's splitByScope: the mask at index 0 is its.
    expect(decodeOrgPermissions('dashboard,o:b', 'read', '1,1')).toEqual(['org:b:read']);
    expect(decodeOrgPermissions('o:,o:a:b,x:c,o:d', 'read', '1,1,1')).toEqual(['org:d:read']);
  });

  it('ignores bits beyond the permission list, masks without a feature and empty permission names', () => {
    expect(decodeOrgPermissions('o:a', 'read', '3,1')).toEqual(['org:a:read']);
    expect(decodeOrgPermissions('o:a', 'read,,manage', '7')).toEqual(['org:a:read', 'org:a:manage']);
  });

  it('survives a huge mask without hanging', () => {
    expect(decodeOrgPermissions('o:a', 'read', '9'.repeat(5000))).toEqual(['org:a:read']);
  });
});

describe('splitting fea and pla by scope', () => {
  it('sorts names by scope, keeping order', () => {
    expect(parseScopedNames('o:dashboard,uo:reports,u:free, o:sso')).toEqual({ org: ['dashboard', 'reports', 'sso'], user: ['reports', 'free'] });
  });

  it('keeps slots for malformed elements but never names them', () => {
    expect(splitScopedSlots('dashboard,o:,u:x:y,ou:ok')).toEqual({ org: [null, null, 'ok'], user: [null, 'ok'] });
    expect(parseScopedNames('dashboard,o:,u:x:y,ou:ok')).toEqual({ org: ['ok'], user: ['ok'] });
  });

  it.each([undefined, null, 42, '', '  ', ['o:a']])('reads %j as nothing', (claim) => {
    expect(parseScopedNames(claim)).toEqual({ org: [], user: [] });
  });
});
