import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'media/**/*.js', '**/*.tmp.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // src/decoding must stay free of the editor and of the native runtime.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/decoding/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['vscode', 'node-llama-cpp'], patterns: ['../model/*', '../providers/*', '../webview/*'] }],
    },
  },
);
