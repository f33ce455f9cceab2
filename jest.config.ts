/**
 * @jest-config-loader-options {"transpileOnly": true, "ignoreDiagnostics": [5110]}
 */
// Jest reads this file through ts-node, which type-checks it by default: about 3 s of CPU before
// any test runs. Transpiled only (`npm run typecheck` checks it with the rest of the tree); 5110 is
// tsconfig's module/moduleResolution pair, which no longer match once Jest makes ts-node emit
// CommonJS for this file.
import { availableParallelism } from 'node:os';
import type { Config } from 'jest';

/**
 * Three test groups, run together by `npm test` (CI) and one at a time by `npm run test:<group>`
 * (`jest --selectProjects <group>`):
 *   unit        spec/** except the two folders below: lib/ file by file, the test kit, exports
 *   security    spec/security: attacks, fuzz, faults, the red team's batteries, Clerk's own cases
 *   acceptance  spec/acceptance: package metadata, the examples run as users run them, a browser
 */
const project = (displayName: string, testMatch: string[], testPathIgnorePatterns: string[] = []): Config => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch,
  testPathIgnorePatterns: ['/node_modules/', ...testPathIgnorePatterns],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Jest's 5 s default is a timing assertion a loaded 2-core machine can miss (RSA keys made in a
  // hook, a thousand verifications in a test); speed is measured in bench/, never here.
  testTimeout: 30_000,
});

const config: Config = {
  projects: [
    project('unit', ['<rootDir>/spec/**/*.spec.ts'], ['<rootDir>/spec/security/', '<rootDir>/spec/acceptance/']),
    project('security', ['<rootDir>/spec/security/**/*.spec.ts']),
    project('acceptance', ['<rootDir>/spec/acceptance/**/*.spec.ts']),
  ],
  // Jest's default is one worker fewer than the cores, so on 2 cores it runs every suite in one
  // process, one after the other (the suites wait on child processes and sockets as much as they
  // compute). Two workers at least; on bigger machines Jest's default.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  collectCoverageFrom: ['lib/**/*.ts'],
};

export default config;
