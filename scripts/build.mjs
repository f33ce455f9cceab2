// @ts-check
/**
 * Builds dist/ as published (`npm run build`; `npm pack` runs it through `prepack`):
 *
 * 1. tsc: CommonJS, one file per lib/ module, with .d.ts (no source maps: tsc's output reads line for
 *    line like lib/, and maps doubled the installed size). Node.js (require and
 *    import alike), Jest, ts-node and tsx load these, so one app has one copy of the classes and
 *    request marks whichever way it loads the package.
 * 2. dist/shared/jose.js: lib/shared/jose.ts (the one module that imports jose) bundled with the jose functions
 *    it re-exports, as CommonJS. jose 6 is ESM-only; bundled, nothing require()s an ES module.
 *    dist/shared/jose.d.ts re-exports jose's own type declarations, shipped as dist/shared/jose-types.d.ts.
 * 3. The Node.js version check (lib/shared/node-support.ts) as the first statement of each entry point.
 * 4. dist/esm/: the same entry points as ES modules with shared chunks, for bundlers only
 *    (package.json's "module" condition, which esbuild, webpack and Rollup use for import and
 *    require alike, so a bundle has one copy too). esbuild's ESM output cannot require() Node's
 *    built-ins from CommonJS code without a createRequire banner; from these files it needs none.
 * 5. Checks: nothing in dist/ loads `jose` from node_modules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const joseDir = path.join(root, 'node_modules', 'jose');
/** @type {{ version: string }} */
const jose = JSON.parse(readFileSync(path.join(joseDir, 'package.json'), 'utf8'));
const entries = ['index', 'core', 'testing'];
// Node's own target: the oldest supported line (lib/shared/node-support.ts).
const target = 'node22';
const notice = `/*! Includes jose ${jose.version} (https://github.com/panva/jose), Copyright (c) 2018 Filip Skokan, MIT License: see dist/jose.LICENSE.md */`;

rmSync(dist, { recursive: true, force: true });

// 1. CommonJS and declarations.
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

// 2. jose, bundled into the one module that imports it.
await build({
  entryPoints: [path.join(root, 'lib', 'shared', 'jose.ts')],
  outfile: path.join(dist, 'shared', 'jose.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target,
  banner: { js: notice },
  logLevel: 'warning',
});
copyFileSync(path.join(joseDir, 'dist', 'types', 'types.d.ts'), path.join(dist, 'shared', 'jose-types.d.ts'));
writeFileSync(
  path.join(dist, 'shared', 'jose.d.ts'),
  `${notice}\n// The declarations that other files import from ./jose: jose's own, as published with ${jose.version}.\nexport type * from './jose-types';\n`,
);
writeFileSync(
  path.join(dist, 'jose.LICENSE.md'),
  `dist/shared/jose.js and dist/esm/ include jose ${jose.version} (https://github.com/panva/jose), and dist/shared/jose-types.d.ts is its\ntypes.d.ts, under this license:\n\n${readFileSync(path.join(joseDir, 'LICENSE.md'), 'utf8')}`,
);

// 3. The Node.js version check, before anything else an entry point loads.
const check = 'require("./shared/node-support.js").assertSupportedNode();';
for (const entry of entries) {
  const file = path.join(dist, `${entry}.js`);
  const source = readFileSync(file, 'utf8');
  if (!source.startsWith('"use strict";\n')) throw new Error(`${file}: expected tsc's "use strict" first`);
  // On the first line, so line numbers in stack traces still match tsc's output.
  writeFileSync(file, source.replace('"use strict";\n', `"use strict";${check}\n`));
}

// 4. ES modules for bundlers.
await build({
  entryPoints: entries.map((entry) => ({ in: `entry:${entry}`, out: entry })),
  outdir: path.join(dist, 'esm'),
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target,
  banner: { js: notice },
  logLevel: 'warning',
  plugins: [
    {
      name: 'entry-points',
      setup(builder) {
        builder.onResolve({ filter: /^entry:/ }, (args) => ({ path: args.path.slice('entry:'.length), namespace: 'entry' }));
        builder.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => ({
          contents: `import { assertSupportedNode } from './lib/shared/node-support';\nassertSupportedNode();\nexport * from './lib/${args.path}';\n`,
          resolveDir: root,
          loader: 'ts',
        }));
      },
    },
  ],
});

// 5. Nothing may load jose from node_modules: it is not a dependency of the published package.
/** @param {string} dir @returns {string[]} */
const walk = (dir) => readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? walk(path.join(dir, name)) : [path.join(dir, name)]));
for (const file of walk(dist)) {
  if (/\.(m?js|d\.ts)$/.test(file) && /(require\(|from |import\()\s*["']jose["']/.test(readFileSync(file, 'utf8'))) {
    throw new Error(`${path.relative(root, file)} loads jose from node_modules; import it through lib/shared/jose.ts`);
  }
}
