/**
 * The shape of lib/, checked on the sources (no build): folders by concern, the Express adapter as
 * the only folder that imports Express, jose behind one module, the framework-free core free of the
 * adapters, and no import cycle of any kind (type-only imports and re-exports included).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const LIB = path.join(__dirname, '..', 'lib');
const ENTRY_FILES = ['index.ts', 'core.ts', 'testing.ts'];
const FOLDERS = ['authorization', 'backend-api', 'express', 'machine-tokens', 'mastra', 'shared', 'test-kit', 'verification', 'webhooks'];

/** Every .ts file under lib/, as a path relative to lib/ with forward slashes. */
function libFiles(dir = LIB): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return libFiles(full);
    return entry.endsWith('.ts') ? [path.relative(LIB, full).split(path.sep).join('/')] : [];
  });
}

/**
 * Every module specifier a file names: `import`, `import type`, `export … from`, `import x = require()`,
 * `import('…')` types and calls, and `require()`.
 */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(LIB, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      const [first] = node.arguments;
      if (first !== undefined && ts.isStringLiteral(first)) found.push(first.text);
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      found.push(node.name.text); // declare module 'express-serve-static-core' { … }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Resolves a relative specifier of `from` to a lib/ file (relative to lib/), or null for a package. */
function resolveLocal(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    if (files.includes(candidate)) return candidate;
  }
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

/** The source of a lib file without its comments, so that documentation never counts as code. */
const printed = new Map<string, string>();
function code(file: string): string {
  const known = printed.get(file);
  if (known !== undefined) return known;
  const source = ts.createSourceFile(file, readFileSync(path.join(LIB, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const printer = ts.createPrinter({ removeComments: true });
  const text = printer.printFile(source);
  printed.set(file, text);
  return text;
}

const files = libFiles();
const imports = new Map(files.map((file) => [file, specifiers(file)]));
const graph = new Map(files.map((file) => [file, [...new Set((imports.get(file) ?? []).map((s) => resolveLocal(file, s)).filter((f): f is string => f !== null))]]));
const packagesOf = (file: string) => (imports.get(file) ?? []).filter((s) => !s.startsWith('.'));

/** One cycle per strongly connected group, as a path `a → b → … → a`. */
function findCycles(): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) walk(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...files].sort()) if (!state.has(file)) walk(file);
  return cycles;
}

/** Every lib file `entry` loads, directly or not. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...(graph.get(file) ?? []));
  }
  return seen;
}

describe('lib/ structure', () => {
  it('finds the files it checks (guards the checks below against an empty walk)', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files).toEqual(expect.arrayContaining(ENTRY_FILES));
  });

  it('keeps every file other than the entry points in a folder by concern', () => {
    const misplaced = files.filter((file) => !ENTRY_FILES.includes(file) && !FOLDERS.includes(file.split('/')[0] as string));
    const nested = files.filter((file) => file.split('/').length > 2);
    expect(misplaced).toEqual([]);
    expect(nested).toEqual([]);
  });

  it('imports express only in lib/express/', () => {
    const offenders = files.filter(
      (file) => !file.startsWith('express/') && packagesOf(file).some((name) => name === 'express' || name.startsWith('express/') || name === 'express-serve-static-core'),
    );
    expect(offenders).toEqual([]);
    // The check above can see an import of express: the adapter has one.
    expect(packagesOf('express/clerk-auth.ts')).toContain('express');
  });

  it('imports jose only in lib/shared/jose.ts', () => {
    const offenders = files.filter((file) => file !== 'shared/jose.ts' && packagesOf(file).some((name) => name === 'jose' || name.startsWith('jose/')));
    expect(offenders).toEqual([]);
    expect(packagesOf('shared/jose.ts')).toContain('jose');
  });

  it('has no import cycle, type-only imports and re-exports included', () => {
    expect(findCycles()).toEqual([]);
  });

  it('keeps the core free of the Express adapter and the test kit', () => {
    const loaded = [...reachable('core.ts')].filter((file) => file.startsWith('express/') || file.startsWith('test-kit/'));
    expect(loaded).toEqual([]);
    expect(reachable('core.ts').size).toBeGreaterThan(10);
  });

  it("keeps webhooks, the test kit and the Backend API client off the verifier's configuration", () => {
    const verifierConfig = ['verification/resolve-config.ts', 'verification/verifier-options.ts'];
    const offenders = files
      .filter((file) => ['webhooks/', 'test-kit/', 'backend-api/'].some((folder) => file.startsWith(folder)))
      .filter((file) => verifierConfig.some((config) => reachable(file).has(config)));
    expect(offenders).toEqual([]);
    // The check above can see the configuration: the verifier loads it.
    expect(verifierConfig.every((config) => reachable('verification/verify-token.ts').has(config))).toBe(true);
  });

  it('lists every option set one way: optionNames<Options>({...}), which the compiler checks against the type', () => {
    // A plain array of names (`readonly (keyof X)[] = [...]`, or names written at the call) can miss
    // an option; the record given to optionNames() cannot.
    const arrays = files.filter((file) => /\(keyof [^)]*\)\[\]\s*=/.test(code(file)));
    const literalCalls = files.filter((file) => /assertKnownOptions\([^,]+,\s*\[[^\]]*['"]/.test(code(file)));
    expect(arrays).toEqual([]);
    expect(literalCalls).toEqual([]);
    const users = files.filter((file) => code(file).includes('assertKnownOptions('));
    expect(users.length).toBeGreaterThanOrEqual(8);
  });

  it('reads the environment only through lib/shared/env-vars.ts', () => {
    const readers = files.filter((file) => file !== 'shared/env-vars.ts' && /process\.env|[\w)\]]\s*\[\s*ENV_VARS\b/.test(code(file)));
    expect(readers).toEqual([]);
    expect(code('shared/env-vars.ts')).toContain('process.env');
  });

  it('keeps the Mastra adapter free of Express', () => {
    const loaded = [...reachable('mastra/auth-provider.ts')].filter((file) => file.startsWith('express/'));
    const direct = files.filter((file) => file.startsWith('mastra/') && packagesOf(file).some((name) => name.startsWith('express')));
    expect(loaded).toEqual([]);
    expect(direct).toEqual([]);
  });
});
