#!/usr/bin/env node
// isolated-vm 5 crashes creating an isolate in a process started from Node's startup snapshot
// (laverdet/isolated-vm#420), so a command that may run isolates in this process re-executes node once with
// --no-node-snapshot before loading the compiled entry point. Commands whose isolates all live in sandbox
// child processes (forked with --no-node-snapshot) skip that second node start: `test` (process isolation,
// the default), `lint` and help (no isolate at all). sandbox/engine.ts refuses to create an isolate without the
// flag, so a command wrongly listed here fails with PF_ERR_CONFIG instead of running untrusted code in a
// snapshotted process.
//
// Node's own modules are imported only where they are used: `--version`, `lint` and `test` never re-execute,
// and loading node:child_process alone adds ~10 ms of CPU to --version (/usr/bin/time, 11 runs, median).
const args = process.argv.slice(2);

/** Whether this command line runs isolates only in sandbox child processes (or none): no re-exec needed. */
function isolatesOnlyInChildren(argv) {
  const command = argv.find((a) => !a.startsWith('-'));
  // help (bare --help, `help`) only lists the commands; lint never runs policy code.
  if (command === undefined || command === 'help' || command === 'lint') return true;
  if (command !== 'test') return false;
  const inline = argv.some((a, i) => a === '--isolation=inline' || (a === '--isolation' && argv[i + 1] === 'inline'));
  return !inline;
}

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version needs neither isolated-vm nor any command: answer before loading anything.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (process.execArgv.includes('--no-node-snapshot') || isolatesOnlyInChildren(args)) {
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
} else {
  const [{ spawn }, { constants }, { fileURLToPath }] = await Promise.all([
    import('node:child_process'),
    import('node:os'),
    import('node:url'),
  ]);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, self, ...args], {
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
}
