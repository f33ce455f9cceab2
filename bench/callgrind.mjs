// @ts-check
/**
 * Instructions counted by valgrind's callgrind for one run of a child script: what bad-tokens.mjs
 * and instructions.mjs compare, because an instruction count does not move with the machine's load.
 */
import { spawnSync } from 'node:child_process';

/**
 * Runs `node <flags> <script> --child <step> --n <n> --package <dir> --tokens <file>` under callgrind.
 * @param {{ node: string, flags: readonly string[], script: string, step: string, n: number, dir: string, file: string }} run
 * @returns {number}
 */
export function callgrindInstructions({ node, flags, script, step, n, dir, file }) {
  const result = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all', node, ...flags, script, '--child', step, '--n', String(n), '--package', dir, '--tokens', file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const match = /Collected : (\d+)/.exec(result.stderr);
  if (match === null || result.status !== 0) throw new Error(`callgrind gave no count for ${step}: ${result.stderr.slice(-800)}`);
  return Number(match[1]);
}
