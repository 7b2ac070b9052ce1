import { main } from './main.js';

// The process entry (bin/policyforge.js imports this file): main.ts itself only exports main(), so tests
// and embedders can run a command in-process without starting the CLI by importing it.
const code = await main(process.argv.slice(2));
// Let stdout drain before exiting: large YAML or JSON output is written asynchronously to pipes.
process.exitCode = code;
