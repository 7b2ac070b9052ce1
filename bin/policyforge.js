#!/usr/bin/env node
// isolated-vm 5 refuses to load in a process started from Node's startup snapshot, so the CLI
// re-executes itself once with --no-node-snapshot before loading the compiled entry point.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version needs neither isolated-vm nor any command: answer before re-executing node.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (!process.execArgv.includes('--no-node-snapshot')) {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // The wrapper is what a supervisor (kubelet, docker, systemd, a shell) signals: pass the signal on so
  // `policyforge serve` and `policyforge operator` shut down gracefully instead of being orphaned.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`policyforge: cannot start node: ${err.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
  });
} else {
  const entry = new URL('../dist/src/cli/run.js', import.meta.url);
  try {
    await import(entry.href);
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/run.js')) {
      process.stderr.write('policyforge: not built yet; run `npm ci` (or `npm run build`) in the checkout first\n');
      process.exit(2);
    }
    throw err;
  }
}
