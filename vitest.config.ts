import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // examples/ and policy/ import keyfleet by its package name, as their own package.json installs it.
  resolve: {
    alias: [
      {
        find: /^keyfleet\/pulumi$/,
        replacement: fileURLToPath(new URL('./src/pulumi/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Servers and child processes in tests bind loopback ports chosen at run time;
    // two workers keep the 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
  },
});
