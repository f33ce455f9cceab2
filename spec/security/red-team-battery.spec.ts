/**
 * The red team's battery against lib/ sources, through real Express 4.17, 4.22, 5.0 and 5.3 apps,
 * with @clerk/backend as the oracle: see spec/security/red-team/battery*.ts. The same battery runs against
 * the packed tarball on Node 22 and 24 in acceptance/ (`npm run acceptance -- --only red-team`).
 */
import * as clerkBackend from '@clerk/backend';
import { createAuthenticateRequest } from '@clerk/backend/internal';
import * as pkg from '../../lib';
import * as testing from '../../lib/testing';
import { EXPRESS_VERSIONS } from '../helpers/express-versions';
import type { Deps } from './red-team/harness';
import { createLogSink } from './red-team/battery-types';
import { CLAIM_MARKER, tokenBattery } from './red-team/battery-tokens';
import { cookieBattery } from './red-team/battery-cookies';
import { combosBattery } from './red-team/battery-combos';
import { keyBattery, workBattery } from './red-team/battery-keys';
import { webhookBattery } from './red-team/battery-webhooks';
import { logFailures, miscBattery } from './red-team/battery-misc';
import * as svix from 'svix';
import { readManualNormalised } from '../helpers/manual';

// Whitespace-normalised: a phrase may wrap across lines of the manual (README.md and docs/).
const MANUAL = readManualNormalised();
const deps: Deps = { pkg, testing, express: EXPRESS_VERSIONS, clerk: { verifyToken: clerkBackend.verifyToken, createAuthenticateRequest } };
const log = createLogSink();
/** Everything written to the console while the batteries run (the package must not print secrets either). */
const consoleLines: string[] = [];
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
beforeAll(() => {
  for (const method of consoleMethods) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
});
afterAll(() => jest.restoreAllMocks());
const report = (result: { name: string; cases: number; requests: number; stricter: Record<string, number>; notes?: unknown }): void => {
  process.stdout.write(
    `red-team battery ${result.name}: ${result.cases} cases, ${result.requests} HTTP requests${Object.keys(result.stricter).length > 0 ? `, stricter ${JSON.stringify(result.stricter)}` : ''}${result.notes === undefined ? '' : `, ${JSON.stringify(result.notes)}`}\n`,
  );
};

jest.setTimeout(120_000);

describe('red-team battery (lib/)', () => {
  it.each(['jwtKey', 'key set'] as const)('tokens, keys from %s', async (keys) => {
    const result = await tokenBattery(deps, log, keys);
    report(result);
    for (const phrase of Object.keys(result.stricter)) expect(MANUAL).toContain(phrase);
    expect(result.failures).toEqual([]);
  });
  it('combinations', async () => {
    const result = await combosBattery(deps, log);
    report(result);
    expect(result.failures.slice(0, 60)).toEqual([]);
  });
  it('keys, rotation and the token cache', async () => {
    const result = await keyBattery(deps, log);
    report(result);
    expect(result.failures).toEqual([]);
  });
  it('work per bad token (counted)', async () => {
    const result = await workBattery(deps, log);
    report(result);
    expect(result.failures).toEqual([]);
  });
  it('webhooks, against Svix', async () => {
    const result = await webhookBattery(deps, log, svix);
    report(result);
    expect(result.failures).toEqual([]);
  });
  it('backend API, test issuer, Mastra provider', async () => {
    const result = await miscBattery(deps, log);
    report(result);
    expect(result.failures).toEqual([]);
  });
  it('cookies', async () => {
    const result = await cookieBattery(deps, log);
    report(result);
    for (const phrase of Object.keys(result.stricter)) expect(MANUAL).toContain(phrase);
    expect(result.failures.slice(0, 40)).toEqual([]);
  });
  it('logged no token, key, secret or claim value (every line, event and console output above)', () => {
    expect(log.events.length).toBeGreaterThan(1000);
    expect(logFailures(log, consoleLines, [CLAIM_MARKER, 'user_battery', 'sess_battery', 'user_cookie', 'sess_cookie', 'ada@example.com'])).toEqual([]);
  });
});
