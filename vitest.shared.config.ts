import { defineConfig } from 'vitest/config';

// Suites that need ../shared (the kernel oracle recordings and the public corpus).
export default defineConfig({
  test: {
    include: ['test/shared/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
