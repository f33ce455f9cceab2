/**
 * The Node.js versions the package supports: the maintained LTS lines. The published build calls
 * `assertSupportedNode()` first thing in each entry point (`.`, `./core`, `./testing`), so any other
 * Node.js fails at load with one sentence instead of an obscure error later on. The sources do not
 * call it, so this repository's own tests and examples run on whatever Node.js develops them.
 */

/** The same range as `engines.node` in package.json (a spec keeps the two equal). */
export const SUPPORTED_NODE_RANGE = '^22.0.0 || ^24.0.0 || >=26.0.0';

/** The versions a runtime reports (`process.versions`): only Node.js itself is checked. */
export interface RuntimeVersions {
  readonly node?: string | undefined;
  readonly bun?: string | undefined;
  readonly deno?: string | undefined;
}

/** One sentence naming the supported versions when `versions` is a Node.js outside them; else null. */
export function unsupportedNodeMessage(versions: RuntimeVersions | undefined): string | null {
  // Not Node.js (a worker, a browser bundle, Bun or Deno, which report a Node.js version of their
  // own): `engines` speaks of Node.js only.
  if (versions?.node === undefined || versions.bun !== undefined || versions.deno !== undefined) return null;
  const major = Number(/^v?(\d+)\./.exec(versions.node)?.[1]);
  if (major === 22 || major === 24 || major >= 26) return null;
  return `express-clerk-jwt supports Node.js 22, 24 and 26 or later (the maintained LTS lines), not Node.js ${versions.node}.`;
}

/** Throws an Error with that sentence on an unsupported Node.js. */
export function assertSupportedNode(versions: RuntimeVersions | undefined = typeof process === 'undefined' ? undefined : process.versions): void {
  const message = unsupportedNodeMessage(versions);
  if (message !== null) throw new Error(message);
}
