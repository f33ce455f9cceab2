// @ts-check
/**
 * The published build bundles jose (scripts/build.mjs), so its users get no jose update from npm:
 * we must ship one. This fails (exit 1) when the jose that the build bundles
 *   - is not exactly the devDependency package.json pins (the version is recorded there),
 *   - is behind the newest published 6.x (patches carry the security fixes),
 *   - is deprecated on the registry, or
 *   - has a published advisory, according to `npm audit` (when the registry's advisory endpoint
 *     answers; where it does not, the script says so and relies on the checks above).
 * Run by .ci/run (`npm run check:jose`); needs the npm registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pinned = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.jose;
const installed = JSON.parse(readFileSync(path.join(root, 'node_modules', 'jose', 'package.json'), 'utf8')).version;
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
/** @param {string[]} args */
const npm = (args, cwd = root) => execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const problems = [];

if (pinned !== installed) problems.push(`package.json pins jose ${pinned} but node_modules has ${installed}: pin an exact version and run npm install.`);

/** @param {string} version */
const parts = (version) => version.split('.').map(Number);
const versions = /** @type {string[]} */ ([JSON.parse(npm(['view', 'jose@6', 'version', '--json']))].flat());
const newest = versions
  .filter((version) => /^6\.\d+\.\d+$/.test(version))
  .sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })
  .at(-1);
if (newest !== installed) problems.push(`the build bundles jose ${installed}, the newest 6.x is ${newest}: npm install --save-dev --save-exact jose@${newest}, then run the tests.`);

const deprecated = npm(['view', `jose@${installed}`, 'deprecated']).trim();
if (deprecated !== '') problems.push(`jose ${installed} is deprecated: ${deprecated}`);

// npm audit reads a lock file: one with just the bundled jose.
const scratch = mkdtempSync(path.join(tmpdir(), 'jose-audit-'));
let audit;
try {
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'jose-audit', private: true, dependencies: { jose: installed } }));
  npm(['install', '--package-lock-only', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], scratch);
  const result = spawnSync('npm', ['audit', '--json'], { cwd: scratch, env, encoding: 'utf8' });
  audit = JSON.parse(result.stdout || '{}');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (audit.metadata?.vulnerabilities !== undefined) {
  const count = audit.metadata.vulnerabilities.total;
  if (count > 0) problems.push(`npm audit reports ${count} advisories for jose ${installed}: ${JSON.stringify(audit.vulnerabilities)}`);
  else console.log(`npm audit: no advisory for jose ${installed}.`);
} else {
  console.log(
    `npm audit: the registry's advisory endpoint did not answer here (${audit.message ?? audit.error?.summary ?? 'no report'}); relying on the newest-patch and deprecation checks.`,
  );
}

if (problems.length > 0) {
  console.error(`Bundled jose needs attention:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`Bundled jose ${installed}: the newest 6.x, not deprecated.`);
