// @ts-check
/**
 * The acceptance suite: the package as users get it, in each setup they have, with each tool's
 * defaults. It packs the tarball (`npm pack`, which builds), checks it with @arethetypeswrong/cli
 * and publint, installs it with npm into an empty project (its size is measured there), then
 * copies each fixture project (acceptance/fixtures/*: a package.json and a lock file pinning its
 * tools) into a scratch folder outside this repository, so that nothing resolves from this
 * repository's node_modules, runs `npm ci` and `npm install --no-save <tarball>`, and runs
 * each row of the matrix below, on Node.js binaries from the npm registry (acceptance/nodes).
 *
 *   node acceptance/run.mjs [--only TEXT] [--keep] [--reuse DIR] [--tarball FILE]
 *
 * --only runs the rows whose name contains TEXT; --keep leaves the scratch folder; --reuse DIR
 * runs in a folder kept earlier without installing the fixtures again; --tarball tests FILE
 * instead of packing this repository (e.g. an earlier release, to see the matrix catch it).
 * Exits 1 if any row fails. Node.js binaries are cached in ~/.cache/express-clerk-jwt-acceptance
 * (or $ACCEPTANCE_CACHE), keyed by acceptance/nodes/package-lock.json; npm's own cache serves the
 * fixture installs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const started = performance.now();
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const only = option('--only');
const reuse = option('--reuse');
const given = option('--tarball');
const keep = args.includes('--keep') || reuse !== undefined;

/**
 * Installed size of express-clerk-jwt 0.1.0 with its dependency jose 6.2.18: apparent bytes of
 * node_modules after `npm install <tarball>` in an empty project, npm's .package-lock.json aside
 * (185 files, 1,384 KiB on disk). The package must not grow past it.
 */
const SIZE_BUDGET = 980_578;
/** The sentence an unsupported Node.js must fail with (lib/shared/node-support.ts). */
const refusal = (version) => `express-clerk-jwt supports Node.js 22, 24 and 26 or later (the maintained LTS lines), not Node.js ${version}.`;
/** Node.js for the tools' rows: the newest 24.x (acceptance/nodes pins it). */
const TOOLS = '24.22.3';
const FLOORS = ['22.0.0', '24.0.0', '26.0.0'];
const UNSUPPORTED = ['18.0.0', '20.20.2'];

// npm sets these when this runs as an npm script (and puts this repository's node_modules/.bin on
// PATH); the projects below must see none of them.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_OPTIONS' && name !== 'INIT_CWD'));
cleanEnv['PATH'] = (cleanEnv['PATH'] ?? '')
  .split(path.delimiter)
  .filter((dir) => !dir.includes(`${path.sep}node_modules${path.sep}`) && !dir.startsWith(root))
  .join(path.delimiter);
const elapsed = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);

/** Runs a command; resolves to its exit code and combined output (never rejects). */
function exec(command, commandArgs, { cwd, env = cleanEnv, timeout = 180_000 }) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => (output += `\n${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? 1 : 128), output: signal === 'SIGKILL' ? `${output}\n(timed out after ${timeout / 1000} s)` : output });
    });
  });
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

async function npmCi(dir) {
  const result = await exec('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, timeout: 600_000 });
  if (result.code !== 0) throw new Error(`npm ci in ${dir} failed:\n${result.output}`);
}

/** The Node.js binaries, installed once per lock file into the cache (atomically: shared by concurrent runs). */
async function nodeBinaries() {
  const lock = path.join(here, 'nodes', 'package-lock.json');
  const cache = process.env['ACCEPTANCE_CACHE'] ?? path.join(homedir(), '.cache', 'express-clerk-jwt-acceptance');
  const dir = path.join(cache, `nodes-${sha(lock)}`);
  if (!existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) {
    mkdirSync(cache, { recursive: true });
    const scratch = path.join(cache, `.install-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(scratch);
    for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(here, 'nodes', file), path.join(scratch, file));
    try {
      await npmCi(scratch);
      renameSync(scratch, dir);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) throw error;
    }
  }
  return (version) => path.join(dir, 'node_modules', `node-${version}`, 'bin', 'node');
}

// ---------------------------------------------------------------------------------------------
// The matrix. A row runs its steps in a fixture, each step's `node` being the row's Node.js; it
// passes when every step exits 0, or, for `refuses`, when the last step fails with the sentence.

/** @typedef {{ name: string, fixture: string, node: string, steps: string[][], cwd?: string, refuses?: boolean }} Row */
/** @type {Row[]} */
const rows = [];
const tsc = (ts, config) => ['node', `node_modules/${ts}/bin/tsc`, '-p', config];
for (const node of [TOOLS, ...FLOORS]) {
  for (const script of ['cjs.cjs', 'esm.mjs', 'mixed.mjs']) rows.push({ name: `Node ${node} · ${script}`, fixture: 'node', node, steps: [['node', script]] });
}
for (const node of UNSUPPORTED) {
  for (const script of ['cjs.cjs', 'esm.mjs']) rows.push({ name: `Node ${node} refuses · ${script}`, fixture: 'node', node, steps: [['node', script]], refuses: true });
}
rows.push({ name: `Node ${TOOLS} · env.cjs: keys from process.env by default`, fixture: 'node', node: TOOLS, steps: [['node', 'env.cjs']] });
rows.push({ name: 'TypeScript 5.9 · core alone, no Express types (node16), run', fixture: 'node', node: TOOLS, steps: [tsc('typescript', 'tsconfig.json'), ['node', 'out/core.js']] });
for (const [jest, node] of [
  ['jest29', TOOLS],
  ['jest30', TOOLS],
  ['jest29', FLOORS[0]],
  ['jest30', FLOORS[0]],
]) {
  const version = jest.slice(4);
  rows.push({
    name: `Jest ${version} + ts-jest preset, tsconfig module commonjs · Node ${node}`,
    fixture: jest,
    cwd: 'ts',
    node,
    steps: [['node', '../node_modules/jest/bin/jest.js', '--ci']],
  });
  rows.push({ name: `Jest ${version}, plain JavaScript, no config · Node ${node}`, fixture: jest, cwd: 'js', node, steps: [['node', '../node_modules/jest/bin/jest.js', '--ci']] });
}
rows.push({ name: 'Vitest 5, no config', fixture: 'vitest', node: TOOLS, steps: [['node', 'node_modules/vitest/vitest.mjs', 'run']] });
for (const resolution of ['node10', 'node16', 'nodenext', 'bundler']) {
  rows.push({ name: `TypeScript 5.9 · ${resolution}`, fixture: 'typescript', node: TOOLS, steps: [tsc('typescript', `tsconfig.${resolution}.json`)] });
}
rows.push({ name: 'TypeScript 5.9 · node16, @types/express 4', fixture: 'typescript', node: TOOLS, steps: [tsc('typescript', 'tsconfig.express4.json')] });
for (const resolution of ['node16', 'nodenext', 'bundler']) {
  rows.push({ name: `TypeScript 6.0 · ${resolution}`, fixture: 'typescript', node: TOOLS, steps: [tsc('typescript6', `tsconfig.${resolution}.json`)] });
}
rows.push({ name: 'tsx', fixture: 'runners', node: TOOLS, steps: [['node', 'node_modules/tsx/dist/cli.mjs', 'app.ts']] });
rows.push({ name: 'ts-node (type-checks, module commonjs)', fixture: 'runners', node: TOOLS, steps: [['node', 'node_modules/ts-node/dist/bin.js', 'app.ts']] });
const esbuild = (entry, format, out, ...extra) => [
  'node',
  'node_modules/esbuild/bin/esbuild',
  entry,
  '--bundle',
  '--platform=node',
  `--format=${format}`,
  `--outfile=${out}`,
  '--log-level=warning',
  ...extra,
];
rows.push({ name: 'esbuild --platform=node --format=cjs', fixture: 'runners', node: TOOLS, steps: [esbuild('app.ts', 'cjs', 'out/app.cjs'), ['node', 'out/app.cjs']] });
rows.push({
  name: 'esbuild --platform=node --format=esm (express external)',
  fixture: 'runners',
  node: TOOLS,
  steps: [esbuild('app.ts', 'esm', 'out/app.mjs', '--external:express'), ['node', 'out/app.mjs']],
});
rows.push({ name: 'esbuild cjs, import + require in one bundle', fixture: 'runners', node: TOOLS, steps: [esbuild('mixed.ts', 'cjs', 'out/mixed.cjs'), ['node', 'out/mixed.cjs']] });
rows.push({
  name: 'esbuild esm, import + require in one bundle (express external)',
  fixture: 'runners',
  node: TOOLS,
  steps: [esbuild('mixed.ts', 'esm', 'out/mixed.mjs', '--external:express'), ['node', 'out/mixed.mjs']],
});
// The red team's batteries and Clerk's upstream unit tests (spec/security/red-team/, the files Jest runs
// against lib/), here against the packed tarball through its public entry points, on every
// supported Express, on the oldest and newest supported Node.js.
for (const node of [TOOLS, FLOORS[0]]) {
  rows.push({ name: `red team: upstream cases and batteries on the packed package · Node ${node}`, fixture: 'red-team', node, steps: [['node', 'node_modules/tsx/dist/cli.mjs', 'run.ts']] });
}

const selected = rows.filter((row) => only === undefined || row.name.includes(only));
const fixtures = [...new Set(selected.map((row) => row.fixture))];

// ---------------------------------------------------------------------------------------------

/** @type {{ name: string, ok: boolean, seconds: string, output?: string }[]} */
const results = [];
function report(name, ok, since, output) {
  results.push({ name, ok, seconds: elapsed(since) });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}  (${elapsed(since)})`);
  if (!ok && output)
    console.log(
      output
        .trimEnd()
        .split('\n')
        .slice(-60)
        .map((line) => `      ${line}`)
        .join('\n'),
    );
}

const work = reuse ?? mkdtempSync(path.join(tmpdir(), 'express-clerk-jwt-acceptance-'));
for (let dir = path.dirname(work); ; dir = path.dirname(dir)) {
  if (existsSync(path.join(dir, 'node_modules'))) throw new Error(`${dir}/node_modules would be visible to the fixtures: use another TMPDIR`);
  if (dir === path.dirname(dir)) break;
}
console.log(`acceptance: scratch folder ${work}`);

try {
  // 1. Pack (prepack builds dist/).
  let since = performance.now();
  const packDir = path.join(work, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const [packed] = JSON.parse(
    given === undefined
      ? execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root, env: cleanEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      : execFileSync('npm', ['pack', '--json', '--dry-run', path.resolve(given)], { cwd: packDir, env: cleanEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const tarball = given === undefined ? path.join(packDir, packed.filename) : path.resolve(given);
  const files = packed.files.map((file) => file.path);
  console.log(`acceptance: ${given === undefined ? 'packed' : 'given'} ${packed.filename} (${packed.size} bytes, ${packed.entryCount} files) in ${elapsed(since)}`);

  // 2. Static checks of the tarball, and its installed size, while the fixtures install.
  const statics = (async () => {
    const problems = files.filter((file) => !/^(dist\/.+|README\.md|LICENSE|package\.json)$/.test(file));
    const missing = [
      'dist/index.js',
      'dist/core.js',
      'dist/testing.js',
      'dist/esm/index.mjs',
      'dist/esm/core.mjs',
      'dist/esm/testing.mjs',
      'dist/index.d.ts',
      'dist/core.d.ts',
      'dist/testing.d.ts',
      'dist/shared/jose.js',
      'dist/shared/jose-types.d.ts',
      'dist/jose.LICENSE.md',
      'LICENSE',
      'README.md',
    ].filter((file) => !files.includes(file));
    report(
      'tarball holds the build, types, jose notice, README and LICENSE, and nothing else',
      problems.length === 0 && missing.length === 0,
      since,
      `unexpected: ${problems.join(', ')}\nmissing: ${missing.join(', ')}`,
    );
    for (const [name, command] of [
      ['@arethetypeswrong/cli: no problems', ['node_modules/@arethetypeswrong/cli/dist/index.js', '--format', 'ascii', tarball]],
      ['publint --strict: no errors, warnings or suggestions', ['node_modules/publint/src/cli.js', '--strict', tarball]],
    ]) {
      since = performance.now();
      const result = await exec(process.execPath, command, { cwd: root });
      report(name, result.code === 0 && (!name.startsWith('publint') || result.output.includes('All good!')), since, result.output);
    }
    since = performance.now();
    const install = path.join(work, 'install');
    mkdirSync(install, { recursive: true });
    writeFileSync(path.join(install, 'package.json'), JSON.stringify({ name: 'install', private: true }));
    const result = await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: install });
    const installed = result.code === 0 ? readdirSync(path.join(install, 'node_modules')).filter((name) => !name.startsWith('.')) : [];
    const bytes = result.code === 0 ? Number(execFileSync('du', ['-sb', '--exclude=.package-lock.json', 'node_modules'], { cwd: install, encoding: 'utf8' }).split('\t')[0]) : NaN;
    const ok = result.code === 0 && installed.join() === 'express-clerk-jwt' && bytes <= SIZE_BUDGET;
    report(`npm install: no dependencies, ${bytes} bytes installed (budget ${SIZE_BUDGET}: 0.1.0 with jose)`, ok, since, `${result.output}\ninstalled: ${installed.join(', ')}`);
  })();

  // 3. Node.js binaries and fixtures, installed in parallel (npm is mostly waiting on I/O).
  since = performance.now();
  const [nodeBin] = await Promise.all([
    nodeBinaries(),
    pool(fixtures, 3, async (fixture) => {
      const dir = path.join(work, fixture);
      cpSync(path.join(here, 'fixtures', fixture), dir, { recursive: true, filter: (source) => !/node_modules|\/out$/.test(source) });
      for (const file of ['scenario.cjs', 'scenario.d.cts']) cpSync(path.join(here, 'shared', file), path.join(dir, file));
      if (fixture === 'red-team') {
        cpSync(path.join(root, 'spec', 'security', 'red-team'), path.join(dir, 'red-team'), { recursive: true });
        // The manual the red team reads for the reasons we are stricter than Clerk (docs/ is not published).
        cpSync(path.join(root, 'docs'), path.join(dir, 'docs'), { recursive: true });
      }
      if (reuse === undefined) await npmCi(dir);
    }),
  ]);
  // As a user installs it (the fixtures' package.json and lock files stay as committed).
  await pool(fixtures, 3, async (fixture) => {
    const dir = path.join(work, fixture);
    const result = await exec('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error', tarball], { cwd: dir });
    if (result.code !== 0) throw new Error(`npm install ${tarball} in ${dir} failed:\n${result.output}`);
  });
  console.log(`acceptance: ${reuse === undefined ? 'installed' : 'reused'} ${fixtures.length} fixtures and the Node.js binaries in ${elapsed(since)}`);
  await statics;

  // 4. The matrix, two rows at a time (this machine has two cores).
  since = performance.now();
  await pool(selected, 2, async (row) => {
    const start = performance.now();
    const node = nodeBin(row.node);
    const cwd = path.join(work, row.fixture, row.cwd ?? '.');
    const env = { ...cleanEnv, PATH: `${path.dirname(node)}${path.delimiter}${cleanEnv['PATH'] ?? ''}`, NO_COLOR: '1', FORCE_COLOR: '0' };
    let output = '';
    let code = 0;
    for (const [command, ...rest] of row.steps) {
      const result = await exec(command === 'node' ? node : command, rest, { cwd, env });
      output += `$ ${[command, ...rest].join(' ')}\n${result.output}`;
      code = result.code;
      if (code !== 0) break;
    }
    const ok = row.refuses ? code !== 0 && output.includes(`Error: ${refusal(row.node)}`) && !output.includes('ERR_REQUIRE_ESM') : code === 0;
    report(row.name, ok, start, output);
  });
  console.log(`acceptance: ran ${selected.length} rows in ${elapsed(since)}`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}

const failed = results.filter((result) => !result.ok);
if (failed.length > 0) console.log(`\nFailed:\n${failed.map((result) => `  ${result.name}`).join('\n')}`);
console.log(`\nacceptance: ${elapsed(started)} in all`);
console.log(`acceptance: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exitCode = failed.length === 0 ? 0 : 1;
