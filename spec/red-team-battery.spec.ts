/**
 * The red team's battery against lib/ sources, through real Express 4.17, 4.22, 5.0 and 5.3 apps,
 * with @clerk/backend as the oracle: see spec/red-team/battery*.ts. The same battery runs against
 * the packed tarball on Node 22 and 24 in acceptance/ (`npm run acceptance -- --only red-team`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as clerkBackend from '@clerk/backend';
import { createAuthenticateRequest } from '@clerk/backend/internal';
import * as pkg from '../lib';
import * as testing from '../lib/testing';
import { EXPRESS_VERSIONS } from './helpers/express-versions';
import type { Deps } from './red-team/harness';
import { createLogSink } from './red-team/battery-types';
import { tokenBattery } from './red-team/battery-tokens';
import { cookieBattery } from './red-team/battery-cookies';
import { combosBattery } from './red-team/battery-combos';

// Whitespace-normalised: a phrase may wrap across lines of the README.
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
const deps: Deps = { pkg, testing, express: EXPRESS_VERSIONS, clerk: { verifyToken: clerkBackend.verifyToken, createAuthenticateRequest } };
const log = createLogSink();

jest.setTimeout(120_000);

describe('red-team battery (lib/)', () => {
  it.each(['jwtKey', 'key set'] as const)('tokens, keys from %s', async (keys) => {
    const result = await tokenBattery(deps, log, keys);
    console.log(result.cases, result.requests, result.stricter);
    for (const phrase of Object.keys(result.stricter)) expect(README).toContain(phrase);
    expect(result.failures).toEqual([]);
  });
  it('combinations', async () => {
    const result = await combosBattery(deps, log);
    console.log(result.cases, result.requests);
    expect(result.failures.slice(0, 60)).toEqual([]);
  });
  it('cookies', async () => {
    const result = await cookieBattery(deps, log);
    console.log(result.cases, result.requests, result.stricter, result.notes);
    for (const phrase of Object.keys(result.stricter)) expect(README).toContain(phrase);
    expect(result.failures.slice(0, 40)).toEqual([]);
  });
});
