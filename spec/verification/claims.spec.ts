import { checkClaims, validityWindow, type ClaimRules } from '../../lib/verification/claims';

const NOW = 1_750_000_000_000; // fixed clock, milliseconds
const nowS = NOW / 1000;
const rules: ClaimRules = { issuer: 'https://clerk.example.com', authorizedParties: [], clockSkewInMs: 5000, acceptPendingSessions: false };
const valid = { sub: 'user_1', iss: 'https://clerk.example.com', exp: nowS + 60, nbf: nowS - 10, iat: nowS - 10, azp: 'https://app.example.com' };

const check = (overrides: Record<string, unknown>, ruleOverrides: Partial<ClaimRules> = {}) => {
  const payload: Record<string, unknown> = { ...valid, ...overrides };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return checkClaims(payload, { ...rules, ...ruleOverrides }, NOW)?.reason ?? null;
};

describe('checkClaims', () => {
  it('accepts a valid claim set', () => {
    expect(check({})).toBeNull();
  });

  describe('sub', () => {
    it.each([undefined, 42, '', null, ['user_1']])('refuses sub = %j', (sub) => {
      expect(check({ sub })).toBe('invalid_claims');
    });
  });

  describe('exp (required; expired when exp*1000 <= now - skew)', () => {
    it.each([undefined, '1750000060', null, Infinity])('refuses exp = %j', (exp) => {
      expect(check({ exp })).toBe('invalid_claims');
    });
    it('accepts a token that expired within the skew', () => {
      expect(check({ exp: nowS - 4 })).toBeNull();
    });
    it('refuses a token exactly at the skew boundary and beyond', () => {
      expect(check({ exp: nowS - 5 })).toBe('expired');
      expect(check({ exp: nowS - 6 })).toBe('expired');
    });
    it('honours a skew of 0', () => {
      expect(check({ exp: nowS + 1 }, { clockSkewInMs: 0 })).toBeNull();
      expect(check({ exp: nowS }, { clockSkewInMs: 0 })).toBe('expired');
    });
    it('truncates fractional seconds as Clerk does', () => {
      expect(check({ exp: nowS + 0.9 }, { clockSkewInMs: 0 })).toBe('expired');
    });
  });

  describe('nbf (optional; refused when nbf*1000 > now + skew)', () => {
    it('accepts nbf within the skew and a missing nbf', () => {
      expect(check({ nbf: nowS + 5 })).toBeNull();
      expect(check({ nbf: undefined })).toBeNull();
    });
    it('refuses nbf beyond the skew or not a number', () => {
      expect(check({ nbf: nowS + 6 })).toBe('not_yet_valid');
      expect(check({ nbf: 'soon' })).toBe('invalid_claims');
    });
  });

  describe('iat (optional; refused when iat*1000 > now + skew)', () => {
    it('accepts iat within the skew and a missing iat', () => {
      expect(check({ iat: nowS + 5 })).toBeNull();
      expect(check({ iat: undefined })).toBeNull();
    });
    it('refuses iat beyond the skew or not a number', () => {
      expect(check({ iat: nowS + 6 })).toBe('issued_in_future');
      expect(check({ iat: null })).toBe('invalid_claims');
    });
  });

  describe('iss (pinned when the issuer is known)', () => {
    it('refuses another or a missing issuer', () => {
      expect(check({ iss: 'https://evil.clerk.accounts.dev' })).toBe('invalid_issuer');
      expect(check({ iss: 'https://clerk.example.com/' })).toBe('invalid_issuer');
      expect(check({ iss: undefined })).toBe('invalid_issuer');
    });
    it('does not check iss when no issuer is configured', () => {
      expect(check({ iss: 'anything' }, { issuer: null })).toBeNull();
    });
  });

  describe('azp (checked when authorized parties are configured)', () => {
    const parties = { authorizedParties: ['https://app.example.com', 'http://localhost:3000'] };
    it('accepts an exact match', () => {
      expect(check({ azp: 'http://localhost:3000' }, parties)).toBeNull();
    });
    it.each([undefined, '', 'https://evil.example.com', 'https://app.example.com/', 'HTTPS://APP.EXAMPLE.COM', 42])('refuses azp = %j', (azp) => {
      expect(check({ azp }, parties)).toBe('invalid_authorized_party');
    });
    it('ignores azp, even a missing one, when no parties are configured', () => {
      expect(check({ azp: undefined })).toBeNull();
    });
  });

  describe('sts', () => {
    it('treats a pending v2 session as signed out unless allowed', () => {
      expect(check({ v: 2, sts: 'pending' })).toBe('pending_session');
      expect(check({ v: 2, sts: 'pending' }, { acceptPendingSessions: true })).toBeNull();
      expect(check({ v: 2, sts: 'active' })).toBeNull();
    });
  });

  it("checks the claims in Clerk's order, so one refusal names the first problem", () => {
    expect(check({ sub: 1, exp: nowS - 100 })).toBe('invalid_claims');
    expect(check({ iss: 'x', exp: nowS - 100 })).toBe('invalid_issuer');
    expect(check({ exp: nowS - 100, nbf: nowS + 100 })).toBe('expired');
  });
});

describe('validityWindow', () => {
  // A cache hit checks the window instead of the time rules of checkClaims: they must agree at
  // every instant, edges included, for integral and fractional times, with and without skew.
  const times = [undefined, nowS - 3600, nowS - 5, nowS - 4.5, nowS, nowS + 0.999, nowS + 5, nowS + 5.2, nowS + 60];
  const instants = [-5001, -5000, -4999, -1, 0, 1, 999, 1000, 4999, 5000, 5001, 60_000, 65_000].map((offset) => NOW + offset);
  it.each([0, 5000, 60_000])('agrees with the time rules of checkClaims (skew %d ms)', (clockSkewInMs) => {
    let compared = 0;
    for (const exp of times.slice(1)) {
      for (const nbf of times) {
        for (const iat of times) {
          const payload: Record<string, unknown> = { ...valid, exp, nbf, iat };
          if (nbf === undefined) delete payload['nbf'];
          if (iat === undefined) delete payload['iat'];
          const window = validityWindow(payload, clockSkewInMs);
          for (const now of instants) {
            const byRules = checkClaims(payload, { ...rules, clockSkewInMs }, now) === null;
            expect([exp, nbf, iat, now, now >= window.from && now < window.until]).toEqual([exp, nbf, iat, now, byRules]);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(8 * 9 * 9 * instants.length);
  });
});
