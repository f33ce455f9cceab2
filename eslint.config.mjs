// @ts-check
/**
 * ESLint (flat config) with typescript-eslint's type-checked rules: `npm run lint`, run by .ci/run.
 * recommendedTypeChecked and stylisticTypeChecked everywhere, stricter in lib/, a few rules relaxed
 * in spec/ and in the plain JavaScript tooling scripts, each with the reason. Formatting is
 * Prettier's job (`npm run format:check`): eslint-config-prettier, last, turns off every rule that
 * would fight it.
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Built output, coverage, and the projects with their own package.json and dependencies
    // (acceptance fixtures, the Mastra and React client examples) are not linted from here.
    // bench/ is its own package (its own dependencies and lock, plain .mjs): Prettier formats it, eslint does not type-check it.
    ignores: ['dist/', 'coverage/', 'profiles/', 'acceptance/fixtures/', 'examples/mastra/', 'examples/react-client/', 'bench/'],
  },
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: {
          // Tooling scripts outside tsconfig.json's include, type-checked with its compiler options.
          allowDefaultProject: ['eslint.config.mjs', 'scripts/*.mjs', 'acceptance/run.mjs', 'acceptance/shared/*'],
          defaultProject: 'tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Untrusted JSON is read as Record<string, unknown> and spelled body['key'] on purpose: a key
      // from the wire, not a declared property. Declared properties still need dot notation.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // `value as T` and `value!` are the same unchecked assertion; the code spells it `as T`
      // (110 places), which also names the type. Rewriting them all would only churn.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // TypeScript's convention (noUnusedLocals/noUnusedParameters): a leading _ marks a binding
      // kept for its position, e.g. Express's four-argument error handler.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `a || b` on a string or number means "empty or 0 counts as absent", and `x === undefined ?
      // d : x` keeps a null that a JavaScript caller passed (for the option checks to refuse):
      // both differ from `??`. Elsewhere `??` is required.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignoreTernaryTests: true, ignorePrimitives: { string: true, number: true } }],
      // `declare global { namespace Express { interface User extends ClerkUser {} } }` is how
      // Express's request types are augmented; no other namespace or empty interface is allowed.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // `import x = require('x')` is TypeScript's CommonJS import (acceptance/shared/scenario.d.cts).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // Passing on a caught value (`catch (error) { return Promise.reject(error); }`) is allowed, as
      // only-throw-error allows rethrowing it; a new rejection must still be an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // The library: no `any` anywhere, every promise handled, errors typed as unknown, exported
    // functions typed at the boundary, and nothing written to the console behind the logger's back.
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': ['error', { fixToUnknown: true, ignoreRestArgs: false }],
      '@typescript-eslint/no-floating-promises': ['error', { checkThenables: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-deprecated': 'error',
      eqeqeq: 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['spec/**/*.ts'],
    rules: {
      // supertest's response.body and Jest's asymmetric matchers (expect.any(), expect.stringMatching())
      // are typed `any`; the tests read and compare them on purpose.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // expect(mock.method) and fixtures' method-shaped helpers (`const { claims } = jwks`) are
      // passed around unbound; none of them uses `this`.
      '@typescript-eslint/unbound-method': 'off',
      // The attack and red-team specs throw and reject with non-Error values (strings, null,
      // objects shaped like our errors) to prove the middleware fails closed on them.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // Test doubles are `async` to match the promise-returning interface they stand in for.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript tooling (build, acceptance runner, jose check, a benchmark): no type
    // annotations, so every parameter and parsed JSON value is `any`, and the no-unsafe-* rules
    // would demand JSDoc types on each line. The other type-checked rules still apply.
    files: ['**/*.{js,mjs,cjs}'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
