// Lint configuration: typescript-eslint's strict set over everything we ship and test.
// Each exception below says why it exists; anything not listed here is an error.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Built-in skills are jsPolicy scripts, not modules: each file declares one function that a policy
// (or a sibling skill) calls, so the names are globals to one another and "unused" where declared.
const builtinSkillNames = Object.fromEntries(
  readdirSync(new URL('./skills/builtin/', import.meta.url))
    .filter((f) => f.endsWith('.js'))
    .map((f) => [f.slice(0, -3), 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/.artifacts/', '.policyforge/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // Kubernetes objects are plain JSON: pruning a field that data names (structural-schema pruning, a patch's
      // remove, a fuzz variant) deletes a computed key, and a Map would no longer be the object the API sees.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A leading underscore marks a binding kept on purpose (rest-sibling omission, positional args).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', '**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/api/review/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['skills/builtin/**/*.js'],
    languageOptions: { sourceType: 'script', globals: builtinSkillNames },
    rules: { '@typescript-eslint/no-unused-vars': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    // Tests read fixtures whose shape they just built; asserting with `!` and loose casts keeps them short.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
