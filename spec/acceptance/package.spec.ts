/**
 * The package's metadata and the rules its build relies on, read from the sources: fast, nothing
 * is built or packed here. The packed tarball itself is tested in each setup users have by the
 * acceptance suite (`npm run acceptance`, acceptance/run.mjs), which CI runs after `npm test`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface PackageJson {
  type?: string;
  main?: string;
  types?: string;
  exports: Record<string, unknown>;
  typesVersions?: Record<string, Record<string, string[]>>;
  files?: string[];
  sideEffects?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(read('package.json')) as PackageJson;
const entries = { '.': 'index', './core': 'core', './testing': 'testing' } as const;

describe('package.json', () => {
  it('declares CommonJS explicitly (Node.js reads the files without guessing)', () => {
    expect(pkg.type).toBe('commonjs');
    expect(pkg.main).toBe('./dist/index.js');
    expect(pkg.types).toBe('./dist/index.d.ts');
  });

  it('exports the three entry points with types first, ESM for bundlers under "module", CommonJS for everything else', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './core', './testing', './package.json']);
    for (const [subpath, name] of Object.entries(entries)) {
      const target = pkg.exports[subpath] as Record<string, string>;
      expect(Object.entries(target)).toEqual([
        ['types', `./dist/${name}.d.ts`],
        ['module', `./dist/esm/${name}.mjs`],
        ['default', `./dist/${name}.js`],
      ]);
      expect(readdirSync(path.join(root, 'lib'))).toContain(`${name}.ts`);
    }
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  it("maps the subpaths for TypeScript's node10 resolution (module: commonjs) to the same declarations", () => {
    expect(pkg.typesVersions).toEqual({ '*': { core: ['./dist/core.d.ts'], testing: ['./dist/testing.d.ts'] } });
  });

  it('publishes dist (and README, LICENSE) only, free of side effects: the manual, docs/, stays in the repository', () => {
    expect(pkg.files).toEqual(['dist']);
    expect(pkg.sideEffects).toBe(false);
  });

  it('has no runtime dependency: jose is bundled, Express is an optional peer', () => {
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependenciesMeta).toEqual({ express: { optional: true }, '@types/express': { optional: true } });
    expect(Object.keys(pkg.peerDependencies ?? {}).sort()).toEqual(['@types/express', 'express']);
  });

  it('pins the bundled jose exactly, on 6.x', () => {
    expect(pkg.devDependencies['jose']).toMatch(/^6\.\d+\.\d+$/);
  });
});

describe('the jose the build bundles', () => {
  const sources = readdirSync(path.join(root, 'lib'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));

  it('is imported by lib/shared/jose.ts alone, which the build replaces with the bundle', () => {
    const importers = sources.filter((file) => /(from\s+|require\(\s*|import\(\s*)['"]jose(\/[^'"]*)?['"]/.test(read(`lib/${file}`)));
    expect(importers).toEqual([path.join('shared', 'jose.ts')]);
  });

  it("has every type lib/shared/jose.ts re-exports in the declarations the package ships (jose's types.d.ts)", () => {
    const shipped = read('node_modules/jose/dist/types/types.d.ts');
    const types =
      /export type \{([^}]*)\} from 'jose'/
        .exec(read('lib/shared/jose.ts'))?.[1]
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean) ?? [];
    expect(types.length).toBeGreaterThan(0);
    for (const name of types) expect(shipped).toMatch(new RegExp(`export (interface|type) ${name}\\b`));
  });
});
