import { defineConfig } from 'vitest/config';

// isolated-vm 5 needs --no-node-snapshot on Node 20+, which only a forked process can be given.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
