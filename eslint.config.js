// Lint: a few type-aware rules that catch real bugs, and the import arrows allowed between our top-level folders.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Every top-level folder of ours that a module could reach with `../`.
const OUR_FOLDERS = ['bench', 'bin', 'cli', 'database', 'dev', 'edge', 'migrations', 'processor', 'scripts', 'shared', 'test'];

// An import from `folder` may not reach into `forbidden`: the arrows of the layering, one `../…/name/` regex each.
const layer = (folder, forbidden, why) => ({
  files: [`${folder}/**/*.{ts,js}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
            message: `${folder}/ imports nothing from ${forbidden.map((name) => `${name}/`).join(', ')}: ${why}`,
          },
        ],
      },
    ],
  },
});

export default defineConfig(
  {
    ignores: ['**/node_modules/', '**/.wrangler/', '**/.boitata/', '**/coverage/'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Explicit projects, not projectService: the edge's tests and bench worker live outside edge/ yet need its
        // Workers types, and a project service would give them the nearest tsconfig (the root, with Node types).
        // The first project that includes a file lints it: shared/ in its own, with neither Node nor Workers types.
        project: ['./shared/tsconfig.json', './edge/tsconfig.json', './tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits rejects unhandled: the process dies, or the error is lost.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (an event handler, a forEach): same loss.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch/finally without await: its rejection skips the catch, the finally runs too early.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  layer('edge', ['processor', 'cli', 'dev', 'database'], 'the Worker bundles only the edge and shared/'),
  layer('processor', ['cli', 'dev', 'edge'], 'the production processor ships without the operator CLI and the dev stack, and meets the edge only in shared/'),
  layer('database', ['processor', 'cli', 'dev', 'edge'], 'the database bootstrap is what processor, CLI and dev depend on, not the reverse'),
  layer('cli', ['dev'], 'the container ships the CLI but no dev-only code'),
  layer(
    'shared',
    OUR_FOLDERS.filter((folder) => folder !== 'shared'),
    'shared/ is pure code used by both runtimes, so it imports only itself and npm packages',
  ),
);
