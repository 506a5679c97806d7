import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers and child processes in tests bind loopback ports chosen at run time;
    // two workers keep the 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
  },
});
