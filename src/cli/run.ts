// The process entry (bin/policyforge.js imports this file): main.ts itself only exports main(), so tests
// and embedders can run a command in-process without starting the CLI by importing it.
//
// Nothing is imported statically. `policyforge test` first loads the light sandbox/child-fork.js and forks its
// sandbox child, so the child's start (node and isolated-vm) overlaps the loading of main.js and everything
// it imports instead of following it; the command's sandbox adopts that child (docs/benchmarks.md, CLI
// start-up). Other commands do not load child-fork.js (node:child_process) at all.
const argv = process.argv.slice(2);
const childFork = runsSuiteInChild(argv) ? await import('../../sandbox/child-fork.js') : undefined;
if (childFork) {
  try {
    const { DEFAULT_MEMORY_LIMIT_MB, childEntry, prestartSandboxChild } = childFork;
    prestartSandboxChild({ entry: childEntry(), memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB, globalContext: '' });
  } catch {
    // No compiled child (or no fork): the sandbox reports it itself, with its error code, when it needs one.
  }
}
const { main } = await import('./main.js');
const code = await main(argv);
// A command that failed before its sandbox started (bad input) leaves the child unused.
childFork?.discardPrestartedChild();
// Let stdout drain before exiting: large YAML or JSON output is written asynchronously to pipes.
process.exitCode = code;

/**
 * Whether this command line is `test SUITE` with its default sandbox, one child process forked as the pool
 * forks it: 'process' isolation, the default heap limit, no GLOBAL_CONTEXT. Anything else (inline isolation,
 * --global-context, --against, help) starts no prestarted child; a guess that is wrong costs only the overlap,
 * because the pool adopts a child only if it was forked with its own configuration.
 */
function runsSuiteInChild(args: string[]): boolean {
  if (args.find((a) => !a.startsWith('-')) !== 'test') return false;
  const flag = (name: string) => args.some((a) => a === name || a.startsWith(`${name}=`));
  if (flag('--against') || flag('--global-context') || flag('--help') || args.includes('-h')) return false;
  return !args.some((a, i) => a === '--isolation=inline' || (a === '--isolation' && args[i + 1] === 'inline'));
}
