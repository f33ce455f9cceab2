/**
 * What a bad token costs the package as users install it: verify() on a valid uncached token, a
 * forged one, one with an 11 KB header of 880 members, one with the costliest header the
 * 512-character cap lets through, and a forged one of nearly 16 KiB, each kind in its own
 * process, then the ratios of issue #11 (forged ≤ 1.5 × valid uncached; 11 KB header ≤ 2 ×
 * forged).
 *
 *   node bench/bad-tokens.mjs [--package DIR] [--node BIN] [--callgrind] [--counts SMALL,LARGE] [--rounds N]
 *                             [--kinds forged,…] [--node-flags "--predictable"]
 *
 * --package: a folder whose node_modules holds express-clerk-jwt (e.g. the acceptance suite's
 * install folder, from `node acceptance/run.mjs --keep`), or the repository itself (default:
 * `dist/` through its entry point, so a supported Node.js is needed: --node, e.g. a binary from
 * ~/.cache/express-clerk-jwt-acceptance). Default measure: CPU time per verify() (process.cpuUsage,
 * best of --rounds); with --callgrind, instructions per verify() counted by valgrind, the difference
 * between two runs of different lengths, so start-up does not count and the machine's load does not
 * move the figure. The children then run with V8's `--predictable` (no background compilation or
 * garbage collection threads): without it the count moves by tens of millions of instructions
 * from run to run, more than the 100 verify() calls it measures (differences even came out
 * negative); with it, repeated runs agree to within 0.01 %. `--node-flags ""` measures without.
 * `--counts 60,1060` measures further from start-up (JIT warm-up is then spread over more calls),
 * `--rounds 3` repeats (the median of the per-round differences).
 * A benchmark, not a test: it prints, and exits 1 only when a ratio is over its target.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { callgrindInstructions } from './callgrind.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const KINDS = ['valid-uncached', 'forged', 'oversized-header', 'header-at-cap', 'forged-16k'];

/** Loads the package from `dir`: its node_modules, or this repository's dist/ through the entry point. */
function load(dir) {
  const require = createRequire(path.join(dir, 'noop.js'));
  if (existsSync(path.join(dir, 'node_modules', 'express-clerk-jwt'))) return require('express-clerk-jwt');
  return require(path.join(dir, 'dist', 'index.js'));
}

/** The tokens of every kind (made once, in the parent: signing must not count), and the PEM that verifies the valid ones. */
function makeTokens(count) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = { alg: 'RS256', kid: 'ins_bench', typ: 'JWT' };
  const oversized = { ...header };
  for (let m = 0; m < 880; m++) oversized[`m${String(m).padStart(3, '0')}`] = 0;
  const atCap = { ...header };
  for (let m = 0; ; m++) {
    atCap[m.toString(36)] = 0;
    if (b64(atCap).length > 512) {
      delete atCap[m.toString(36)];
      break;
    }
  }
  const shapes = {
    'valid-uncached': [header, privateKey, {}],
    forged: [header, attacker, {}],
    'oversized-header': [oversized, attacker, {}],
    'header-at-cap': [atCap, attacker, {}],
    'forged-16k': [header, attacker, { pad: 'x'.repeat(11_700) }],
  };
  const tokens = {};
  for (const kind of KINDS) {
    const [h, key, extra] = shapes[kind];
    tokens[kind] = Array.from({ length: count }, (_, i) => {
      const input = `${b64(h)}.${b64({ azp: 'http://localhost:3000', exp: now + 3600, iat: now, nbf: now - 10, sid: `sess_${i}`, sub: `user_${i}`, ...extra })}`;
      return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    });
  }
  return { pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), tokens };
}

/** Child mode: verify the first `n` tokens of `kind` from `file`; print CPU microseconds per verify(). */
async function child(kind, n, dir, file) {
  const pkg = load(dir);
  const { pem, tokens: all } = JSON.parse(readFileSync(file, 'utf8'));
  const tokens = all[kind].slice(0, n);
  const verifier = pkg.createClerkVerifier({ jwtKey: pem, env: {}, logger: false, tokenCacheSize: 0, authorizedParties: ['http://localhost:3000'] });
  const start = process.cpuUsage();
  for (const token of tokens) await verifier.verify(token).catch(() => undefined);
  const used = process.cpuUsage(start);
  process.stdout.write(`${JSON.stringify({ kind, microseconds: (used.user + used.system) / n })}\n`);
}

/** V8/Node flags for the children (`--node-flags "--predictable"`), e.g. to make callgrind's count steadier. */
const NODE_FLAGS = (option('--node-flags', args.includes('--callgrind') ? '--predictable' : '') ?? '').split(' ').filter((flag) => flag !== '');

function runChild(node, kind, n, dir, file) {
  const output = execFileSync(node, [...NODE_FLAGS, fileURLToPath(import.meta.url), '--child', kind, '--n', String(n), '--package', dir, '--tokens', file], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}').microseconds;
}

/** Instructions counted by callgrind for one child run (callgrind.mjs). */
function instructions(node, kind, n, dir, file) {
  return callgrindInstructions({ node, flags: NODE_FLAGS, script: fileURLToPath(import.meta.url), step: kind, n, dir, file });
}

async function main() {
  if (args.includes('--child')) {
    await child(option('--child'), Number(option('--n', '200')), path.resolve(option('--package', path.dirname(here))), option('--tokens'));
    return;
  }
  const dir = path.resolve(option('--package', path.dirname(here)));
  const node = option('--node', process.execPath);
  const callgrind = args.includes('--callgrind');
  const kinds = option('--kinds', KINDS.join(',')).split(',');
  if (kinds.some((kind) => !KINDS.includes(kind)) || !kinds.includes('forged')) throw new Error(`--kinds: a comma list of ${KINDS.join(', ')}, with forged`);
  const rounds = Number(option('--rounds', callgrind ? '1' : '5'));
  const [small, large] = option('--counts', '60,160').split(',').map(Number);
  if (!(Number.isInteger(small) && Number.isInteger(large) && small > 0 && large > small)) throw new Error('--counts SMALL,LARGE: two whole numbers, SMALL < LARGE');
  const cost = {};
  const scratch = mkdtempSync(path.join(tmpdir(), 'bad-tokens-'));
  const file = path.join(scratch, 'tokens.json');
  writeFileSync(file, JSON.stringify(makeTokens(callgrind ? large : 400)));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  try {
    for (const kind of kinds) {
      if (callgrind) {
        const perRound = [];
        for (let round = 0; round < rounds; round++) perRound.push((instructions(node, kind, large, dir, file) - instructions(node, kind, small, dir, file)) / (large - small));
        cost[kind] = median(perRound);
        if (rounds > 1) console.log(`  ${kind}: ${perRound.map((value) => value.toFixed(0)).join(', ')}`);
      } else {
        let best = Infinity;
        for (let round = 0; round < rounds; round++) best = Math.min(best, runChild(node, kind, 400, dir, file));
        cost[kind] = best;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const unit = callgrind ? 'instructions' : 'CPU µs';
  const how = callgrind ? `callgrind, ${large} − ${small} tokens${rounds > 1 ? `, median of ${rounds} rounds` : ''}` : `best of ${rounds} rounds of 400`;
  console.log(`bad-token cost of ${dir} on ${node === process.execPath ? process.version : node} (${unit} per verify(), ${how}):`);
  for (const kind of kinds) console.log(`  ${kind.padEnd(18)} ${cost[kind].toFixed(callgrind ? 0 : 1)}`);
  const ratio = (a, b) => (cost[a] === undefined || cost[b] === undefined ? NaN : cost[a] / cost[b]);
  const shown = (value) => (Number.isNaN(value) ? 'not measured' : value.toFixed(2));
  const forgedRatio = ratio('forged', 'valid-uncached');
  const oversizedRatio = ratio('oversized-header', 'forged');
  console.log(`  forged ÷ valid uncached           ${shown(forgedRatio)} (target ≤ 1.5)`);
  console.log(`  11 KB header ÷ forged             ${shown(oversizedRatio)} (target ≤ 2)`);
  console.log(`  header at the cap ÷ forged        ${shown(ratio('header-at-cap', 'forged'))}`);
  console.log(`  16 KiB forged ÷ forged            ${shown(ratio('forged-16k', 'forged'))}`);
  process.exitCode = forgedRatio > 1.5 || oversizedRatio > 2 ? 1 : 0;
}

await main();
