import type { ClerkScopedNames } from './decode-features-plans-permissions';

/**
 * What `has()` can be asked. Every field given must hold (AND). Role and permission names may
 * omit the `org:` prefix. Features and plans may be scoped: `org:`/`o:`/`organization:` for the
 * active organization, `user:`/`u:` for the user; unscoped names match either.
 */
export interface ClerkHasParams {
  /** Role in the active organization, e.g. `org:admin` or `admin`. */
  role?: string | undefined;
  /** Permission in the active organization, e.g. `org:invoices:read` or `invoices:read`. */
  permission?: string | undefined;
  /** Feature of the user's or organization's plan (v2 `fea` claim), e.g. `dashboard` or `org:dashboard`. */
  feature?: string | undefined;
  /** Plan (v2 `pla` claim), e.g. `pro` or `user:free`. */
  plan?: string | undefined;
}

/** The parts of a normalised auth view that `has()` reads. */
export interface ClerkHasSubject {
  readonly userId: string | null;
  readonly orgId: string | null;
  readonly orgRole: string | null;
  readonly orgPermissions: readonly string[] | null;
  readonly features: ClerkScopedNames;
  readonly plans: ClerkScopedNames;
}

const PARAMS = new Set<string>(['role', 'permission', 'feature', 'plan']);
const ORG_SCOPES = new Set(['o', 'org', 'organization']);
const USER_SCOPES = new Set(['u', 'user']);

/** `admin`, `org:admin` and `org:org:admin` all become `org:admin`, as in Clerk's `prefixWithOrg`. */
export function prefixWithOrg(value: string): string {
  return value.replace(/^(org:)*/, 'org:');
}

/**
 * Clerk's `has()` over a normalised auth view, stricter where Clerk is lenient: every field asked
 * must hold (Clerk checks only one of role/permission and one of feature/plan), and anything
 * unknown or malformed (another field, a non-string or empty value, an unknown scope) is `false`.
 * Role and permission checks need an active organization.
 */
export function checkHas(subject: ClerkHasSubject, params: unknown): boolean {
  if (typeof subject.userId !== 'string' || subject.userId === '' || typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  const asked = Object.entries(params as Record<string, unknown>).filter(([, value]) => value !== undefined);
  if (asked.length === 0) return false;
  return asked.every(([name, value]) => {
    if (!PARAMS.has(name) || typeof value !== 'string' || value.trim() === '') return false;
    switch (name) {
      case 'role':
        return hasOrgData(subject) && prefixWithOrg(subject.orgRole as string) === prefixWithOrg(value);
      case 'permission':
        return hasOrgData(subject) && (subject.orgPermissions as readonly string[]).includes(prefixWithOrg(value));
      case 'feature':
        return hasScopedName(subject.features, value);
      default:
        return hasScopedName(subject.plans, value);
    }
  });
}

/** Clerk needs all three before it looks at a role or permission. */
function hasOrgData(subject: ClerkHasSubject): boolean {
  return subject.orgId !== null && subject.orgRole !== null && subject.orgPermissions !== null;
}

function hasScopedName(names: ClerkScopedNames, asked: string): boolean {
  const parts = asked.split(':');
  if (parts.length === 1) return names.org.includes(asked) || names.user.includes(asked);
  const [scope, name] = parts as [string, string];
  if (parts.length !== 2 || name === '') return false;
  if (ORG_SCOPES.has(scope)) return names.org.includes(name);
  if (USER_SCOPES.has(scope)) return names.user.includes(name);
  return false;
}
