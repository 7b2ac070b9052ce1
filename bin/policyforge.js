#!/usr/bin/env node
// isolated-vm 5 refuses to load in a process started from Node's startup snapshot, so the CLI
// re-executes itself once with --no-node-snapshot before loading the compiled entry point.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { constants } from 'node:os';

if (!process.execArgv.includes('--no-node-snapshot')) {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.error) {
    process.stderr.write(`policyforge: cannot start node: ${child.error.message}\n`);
    process.exit(2);
  }
  process.exit(child.status ?? 128 + (constants.signals[child.signal] ?? 1));
} else {
  const entry = new URL('../dist/src/cli/main.js', import.meta.url);
  try {
    await import(entry.href);
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
      process.stderr.write('policyforge: not built yet; run `npm ci` (or `npm run build`) in the checkout first\n');
      process.exit(2);
    }
    throw err;
  }
}
