/**
 * Decoding of the compact v2 session-token claims (`fea`, `pla`, `o.per`, `o.fpm`), as Clerk's
 * `jwtPayloadParser` does, except that malformed input grants nothing instead of odd strings.
 */

/** A `fea` or `pla` claim split by scope: names granted to the active organization and to the user. */
export interface ClerkScopedNames {
  /** Names with an organization scope (`o:…`, `ou:…`, `uo:…`), in claim order. */
  readonly org: readonly string[];
  /** Names with a user scope (`u:…`, `ou:…`, `uo:…`), in claim order. */
  readonly user: readonly string[];
}

const SCOPES = new Set(['o', 'u', 'ou', 'uo']);
const DECIMAL = /^\d+$/;

/**
 * Splits a comma list of `scope:name` elements. Each element whose scope contains `o` takes a
 * slot in the organization list and each whose scope contains `u` one in the user list, as in
 * Clerk's `splitByScope`, so that `fpm` masks stay aligned with Clerk's indexes. A malformed
 * element (no `:`, more than one, an unknown scope or an empty name) keeps its slot as `null`.
 */
export function splitScopedSlots(claim: unknown): { org: (string | null)[]; user: (string | null)[] } {
  const org: (string | null)[] = [];
  const user: (string | null)[] = [];
  if (typeof claim !== 'string' || claim.trim() === '') return { org, user };
  for (const element of claim.split(',')) {
    const parts = element.trim().split(':');
    const scope = parts[0] as string;
    const name = parts.length === 2 && SCOPES.has(scope) && parts[1] !== '' ? (parts[1] as string) : null;
    if (scope.includes('o')) org.push(name);
    if (scope.includes('u')) user.push(name);
  }
  return { org, user };
}

/** The well-formed names of a `fea` or `pla` claim, by scope. */
export function parseScopedNames(claim: unknown): ClerkScopedNames {
  const { org, user } = splitScopedSlots(claim);
  const named = (slots: (string | null)[]): string[] => slots.filter((name): name is string => name !== null);
  return Object.freeze({ org: Object.freeze(named(org)), user: Object.freeze(named(user)) });
}

/**
 * Decodes the active organization's permissions of a v2 token: bit j (value 2^j, least
 * significant first) of the decimal mask `fpm[i]` grants `org:<orgFeature[i]>:<per[j]>`. Masks
 * are read with BigInt, so masks wider than 53 bits decode exactly. A mask that is not all digits,
 * a feature slot that is malformed, a bit beyond the permission list or an empty permission name
 * grants nothing. Empty `per` or `fpm` → no permissions.
 *
 * Example: `fea: "o:impersonation,o:memberships"`, `per: "read,manage"`, `fpm: "1,3"` →
 * `org:impersonation:read`, `org:memberships:read`, `org:memberships:manage`.
 */
export function decodeOrgPermissions(fea: unknown, per: unknown, fpm: unknown): string[] {
  if (typeof per !== 'string' || typeof fpm !== 'string' || per === '' || fpm === '') return [];
  const permissions = per.split(',').map((name) => name.trim());
  const masks = fpm.split(',').map((mask) => mask.trim());
  const features = splitScopedSlots(fea).org;
  const granted: string[] = [];
  features.forEach((feature, index) => {
    const mask = masks[index];
    if (feature === null || mask === undefined || !DECIMAL.test(mask)) return;
    let bits = BigInt(mask);
    for (let bit = 0; bits > 0n && bit < permissions.length; bit++, bits >>= 1n) {
      const permission = permissions[bit] as string;
      if ((bits & 1n) === 1n && permission !== '') granted.push(`org:${feature}:${permission}`);
    }
  });
  return granted;
}
