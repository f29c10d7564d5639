import { defineConfig } from 'vitest/config';

// Unit, property, golden and conformance tests. Suites that read ../shared live under test/shared/ and
// run through vitest.shared.config.ts (they announce loudly when ../shared is absent).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/shared/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
