/**
 * Clerk's own upstream unit tests, replayed against this package (lib/ sources, Express 4.17,
 * 4.22, 5.0 and 5.3): see spec/security/red-team/upstream-cases.ts for the cases, where each comes from,
 * and the public test fixtures it uses. The same cases run against the packed tarball on Node 22
 * and 24 in acceptance/ (`npm run acceptance -- --only red-team`).
 */
import * as clerkBackend from '@clerk/backend';
import { createAuthenticateRequest } from '@clerk/backend/internal';
import * as pkg from '../../lib';
import * as testing from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import type { Deps } from './red-team/harness';
import { checkUpstreamCase, createUpstreamWorld, NOT_MAPPED, UPSTREAM_CASES, type UpstreamWorld } from './red-team/upstream-cases';
import { readManualNormalised } from '../helpers/manual';

// Whitespace-normalised: a phrase may wrap across lines of the manual (README.md and docs/).
const MANUAL = readManualNormalised();
const deps: Deps = { pkg, testing, express: EXPRESS_VERSIONS, clerk: { verifyToken: clerkBackend.verifyToken, createAuthenticateRequest } };

let world: UpstreamWorld & { close(): Promise<void> };
beforeAll(async () => {
  world = await createUpstreamWorld(deps);
});
afterAll(() => world.close());

describe("Clerk's upstream unit tests, replayed", () => {
  it('covers every upstream file named in the brief, and lists what does not map', () => {
    const sources = new Set(UPSTREAM_CASES.map((testCase) => testCase.source));
    for (const file of [
      'jwt/__tests__/verifyJwt.test.ts',
      'jwt/__tests__/assertions.test.ts',
      'tokens/__tests__/verify.test.ts',
      'tokens/__tests__/request.test.ts',
      'tokens/__tests__/authenticateContext.test.ts',
      'tokens/__tests__/keys.test.ts',
    ]) {
      expect([...sources].some((source) => source.endsWith(file))).toBe(true);
    }
    expect(UPSTREAM_CASES.length).toBeGreaterThanOrEqual(150);
    expect(NOT_MAPPED.length).toBeGreaterThan(0);
  });

  describe.each([...new Set(UPSTREAM_CASES.map((testCase) => testCase.source))])('%s', (source) => {
    it.each(UPSTREAM_CASES.filter((testCase) => testCase.source === source).map((testCase) => [testCase.test, testCase] as const))('%s', async (_name, testCase) => {
      expect(await checkUpstreamCase(testCase, world, MANUAL)).toEqual([]);
    });
  });
});
