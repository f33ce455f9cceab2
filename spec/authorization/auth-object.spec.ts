import type { ClerkUser } from '../../lib';
import { getAuth, toAuth } from '../../lib';

const base = { sub: 'user_2abc', sid: 'sess_2abc', exp: 2_000_000_000, iat: 1_999_999_940, azp: 'http://localhost:3000' };

const v1Admin: ClerkUser = {
  ...base,
  fva: [3, -1],
  org_id: 'org_1',
  org_role: 'org:admin',
  org_slug: 'acme',
  org_permissions: ['org:invoices:read', 'org:invoices:manage'],
};

const v2Member: ClerkUser = {
  ...base,
  v: 2,
  sts: 'active',
  fea: 'o:impersonation,o:memberships,u:reports',
  pla: 'u:free,o:pro',
  o: { id: 'org_2', slg: 'globex', rol: 'member', per: 'read,manage', fpm: '1,3' },
};

const noOrg: ClerkUser = { ...base, v: 2, fea: 'u:reports', pla: 'u:free' };

describe('toAuth(): the normalised view', () => {
  it('reads v1 organization claims', () => {
    const auth = toAuth(v1Admin);
    expect(auth).toMatchObject({
      userId: 'user_2abc',
      sessionId: 'sess_2abc',
      sessionStatus: null,
      actor: null,
      orgId: 'org_1',
      orgRole: 'org:admin',
      orgSlug: 'acme',
      orgPermissions: ['org:invoices:read', 'org:invoices:manage'],
      features: { org: [], user: [] },
      plans: { org: [], user: [] },
      factorVerificationAge: [3, -1],
    });
    expect(auth.sessionClaims).toBe(v1Admin);
  });

  it('reads v2 claims: org:-prefixed role, decoded permissions, features, plans, status', () => {
    expect(toAuth(v2Member)).toMatchObject({
      orgId: 'org_2',
      orgRole: 'org:member',
      orgSlug: 'globex',
      orgPermissions: ['org:impersonation:read', 'org:memberships:read', 'org:memberships:manage'],
      features: { org: ['impersonation', 'memberships'], user: ['reports'] },
      plans: { org: ['pro'], user: ['free'] },
      sessionStatus: 'active',
    });
  });

  it('has no organization when none is active (v1 and v2)', () => {
    for (const user of [{ ...base }, noOrg, { ...base, v: 2, o: { id: '' } }]) {
      expect(toAuth(user)).toMatchObject({ orgId: null, orgRole: null, orgSlug: null, orgPermissions: null });
    }
  });

  it('exposes the actor of an impersonation', () => {
    expect(toAuth({ ...base, act: { sub: 'user_admin' } }).actor).toEqual({ sub: 'user_admin' });
  });

  it('counts claims of an unexpected type as absent, without throwing', () => {
    const odd = {
      ...base,
      sid: 42,
      org_id: 'org_1',
      org_role: ['org:admin'],
      org_permissions: ['org:a:read', 7, null],
      fva: 'x',
      act: 'admin',
      sts: {},
    } as unknown as ClerkUser;
    expect(toAuth(odd)).toMatchObject({ sessionId: null, orgRole: null, orgPermissions: ['org:a:read'], factorVerificationAge: null, actor: null, sessionStatus: null });
    for (const o of [null, 'org_1', ['org_1'], { id: 7 }, { id: 'org_1', rol: 5, per: 1, fpm: [] }]) {
      expect(() => toAuth({ ...base, v: 2, o, fea: 17, pla: {} } as unknown as ClerkUser)).not.toThrow();
    }
    expect(toAuth({ ...base, v: 2, o: { id: 'org_1', rol: 5 } } as unknown as ClerkUser)).toMatchObject({ orgId: 'org_1', orgRole: null, orgPermissions: [] });
  });

  it('is computed once per claims object and frozen', () => {
    const user = { ...v2Member };
    expect(toAuth(user)).toBe(toAuth(user));
    expect(Object.isFrozen(toAuth(user))).toBe(true);
    expect(Object.isFrozen(toAuth(user).orgPermissions)).toBe(true);
    expect(toAuth({ ...v2Member })).not.toBe(toAuth(user));
  });

  it('getAuth(req) reads req.user, null without one', () => {
    expect(getAuth({ user: v1Admin })?.orgRole).toBe('org:admin');
    expect(getAuth({})).toBeNull();
    expect(getAuth({ user: undefined })).toBeNull();
    // Something other than clerkAuth() (a session library, a test double) set req.user.
    for (const user of [{ id: 1 }, { sub: '' }, { sub: 42 }, 'user_1', null]) expect(getAuth({ user: user as never })).toBeNull();
  });
});

describe('has(): Clerk rules, AND, fail closed', () => {
  const cases: [string, ClerkUser, Record<string, unknown>, boolean][] = [
    // role: org: prefix normalised on both sides
    ['v1 role with prefix', v1Admin, { role: 'org:admin' }, true],
    ['v1 role without prefix', v1Admin, { role: 'admin' }, true],
    ['v1 role, repeated prefix', v1Admin, { role: 'org:org:admin' }, true],
    ['v1 other role', v1Admin, { role: 'org:member' }, false],
    ['v1 role is case-sensitive', v1Admin, { role: 'org:Admin' }, false],
    ['v2 role (rol has no prefix)', v2Member, { role: 'member' }, true],
    ['v2 role with prefix', v2Member, { role: 'org:member' }, true],
    ['role without an active org', noOrg, { role: 'member' }, false],
    // permission
    ['v1 permission', v1Admin, { permission: 'org:invoices:read' }, true],
    ['v1 permission without prefix', v1Admin, { permission: 'invoices:read' }, true],
    ['v1 missing permission', v1Admin, { permission: 'org:invoices:delete' }, false],
    ['v2 decoded permission', v2Member, { permission: 'org:memberships:manage' }, true],
    ['v2 permission not granted by fpm', v2Member, { permission: 'org:impersonation:manage' }, false],
    ['permission without an active org', noOrg, { permission: 'org:memberships:read' }, false],
    // feature / plan scopes
    ['unscoped feature in org scope', v2Member, { feature: 'memberships' }, true],
    ['unscoped feature in user scope', v2Member, { feature: 'reports' }, true],
    ['org: feature', v2Member, { feature: 'org:memberships' }, true],
    ['o: feature', v2Member, { feature: 'o:memberships' }, true],
    ['organization: feature', v2Member, { feature: 'organization:memberships' }, true],
    ["org: feature that is the user's", v2Member, { feature: 'org:reports' }, false],
    ['user: feature', v2Member, { feature: 'user:reports' }, true],
    ["u: feature that is the org's", v2Member, { feature: 'u:memberships' }, false],
    ['unknown scope', v2Member, { feature: 'team:reports' }, false],
    ['too many colons', v2Member, { feature: 'org:a:b' }, false],
    ['empty scoped name', v2Member, { feature: 'org:' }, false],
    ['absent feature', v2Member, { feature: 'sso' }, false],
    ['plan', v2Member, { plan: 'pro' }, true],
    ['user: plan', v2Member, { plan: 'user:free' }, true],
    ["org: plan that is the user's", v2Member, { plan: 'org:free' }, false],
    ['feature on a v1 token', v1Admin, { feature: 'reports' }, false],
    // AND across what is asked
    ['role and permission both held', v1Admin, { role: 'admin', permission: 'invoices:read' }, true],
    ['role held, permission not', v1Admin, { role: 'admin', permission: 'invoices:delete' }, false],
    ['permission held, role not', v1Admin, { role: 'member', permission: 'invoices:read' }, false],
    ['feature and plan both held', v2Member, { feature: 'reports', plan: 'pro' }, true],
    ['feature held, plan not', v2Member, { feature: 'reports', plan: 'enterprise' }, false],
    ['role and plan', v2Member, { role: 'member', plan: 'pro' }, true],
    // malformed or unknown input
    ['nothing asked', v1Admin, {}, false],
    ['only undefined fields', v1Admin, { role: undefined }, false],
    ['unknown field', v1Admin, { role: 'admin', reverification: 'strict' }, false],
    ['empty role', v1Admin, { role: '' }, false],
    ['blank role', v1Admin, { role: '  ' }, false],
    ['non-string role', v1Admin, { role: ['org:admin'] }, false],
    ['non-string permission', v1Admin, { permission: 1 }, false],
  ];

  it.each(cases)('%s', (_, user, params, expected) => {
    expect(toAuth(user).has(params)).toBe(expected);
  });

  it.each([null, undefined, 'org:admin', ['org:admin'], 42])('is false for the argument %j', (params) => {
    expect(toAuth(v1Admin).has(params as never)).toBe(false);
  });

  it('needs org_permissions for role checks on v1 tokens, as Clerk does', () => {
    expect(toAuth({ ...base, org_id: 'org_1', org_role: 'org:admin' }).has({ role: 'admin' })).toBe(false);
  });
});
