/**
 * Every red-team battery in one run, for runners without Jest: the acceptance row that runs them
 * on the packed tarball (acceptance/fixtures/red-team, Node 22 and 24). Jest runs the same
 * batteries one by one in spec/security/red-team-battery.spec.ts and spec/security/clerk-upstream.spec.ts.
 */
import { cookieBattery } from './battery-cookies';
import { combosBattery } from './battery-combos';
import { keyBattery, workBattery } from './battery-keys';
import { logFailures, miscBattery } from './battery-misc';
import { CLAIM_MARKER, tokenBattery } from './battery-tokens';
import { createLogSink, type BatteryResult } from './battery-types';
import { webhookBattery, type SvixDeps } from './battery-webhooks';
import type { Deps } from './harness';
import { runUpstreamCases } from './upstream-cases';

/** The batteries' results, Clerk's upstream cases included, and everything that failed. */
export interface RedTeamReport {
  readonly results: BatteryResult[];
  readonly failures: string[];
}

/**
 * Runs the upstream cases and every battery against `deps.pkg`. `readme` (whitespace-normalised
 * manual text) holds every "stricter" phrase to the manual when given. Console output is captured
 * for the log check and printed nowhere.
 */
export async function runRedTeam(deps: Deps, options: { svix?: SvixDeps; readme?: string; progress?: (line: string) => void } = {}): Promise<RedTeamReport> {
  const log = createLogSink();
  const consoleLines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((method) => [method, console[method]] as const);
  for (const method of methods) console[method] = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));
  const progress = options.progress ?? (() => undefined);
  const results: BatteryResult[] = [];
  const failures: string[] = [];
  const run = async (name: string, battery: () => Promise<BatteryResult>): Promise<void> => {
    let result: BatteryResult;
    try {
      result = await battery();
    } catch (error) {
      result = { name, cases: 0, requests: 0, failures: [`${name} threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`], stricter: {} };
    }
    results.push(result);
    failures.push(...result.failures);
    if (options.readme !== undefined) {
      for (const phrase of Object.keys(result.stricter)) if (!options.readme.includes(phrase)) failures.push(`${name}: the manual does not say "${phrase}"`);
    }
    progress(`${result.name}: ${result.cases} cases, ${result.requests} HTTP requests, ${result.failures.length} failures`);
  };
  try {
    await run('upstream', async () => {
      const upstream = await runUpstreamCases(deps, options.readme);
      return {
        name: "Clerk's upstream unit tests",
        cases: upstream.total,
        requests: 0,
        failures: upstream.failures,
        stricter: {},
        notes: { ...upstream.byVerdict, stricter: upstream.stricter },
      };
    });
    await run('tokens (jwtKey)', () => tokenBattery(deps, log, 'jwtKey'));
    await run('tokens (key set)', () => tokenBattery(deps, log, 'key set'));
    await run('cookies', () => cookieBattery(deps, log));
    await run('combinations', () => combosBattery(deps, log));
    await run('keys', () => keyBattery(deps, log));
    await run('work', () => workBattery(deps, log));
    await run('webhooks', () => webhookBattery(deps, log, options.svix));
    await run('misc', () => miscBattery(deps, log));
  } finally {
    for (const [method, original] of saved) console[method] = original;
  }
  const logs = logFailures(log, consoleLines, [CLAIM_MARKER, 'user_battery', 'sess_battery', 'user_cookie', 'sess_cookie', 'ada@example.com']);
  results.push({ name: 'log output', cases: log.lines.length + log.events.length + consoleLines.length, requests: 0, failures: logs, stricter: {} });
  failures.push(...logs);
  return { results, failures };
}
