import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/**
 * The CLI run in this process through main(argv, io), its output captured: what a test of a command's
 * behaviour needs, without starting node (twice, with the bin's re-exec) for every call. The real bin keeps
 * its own smoke tests (bin.test.ts, bin-signals.test.ts, test-untrusted.test.ts): signals, exit codes of a
 * real process, and a crash of untrusted code killing a sandbox child, never the CLI.
 *
 * Structured logs are not captured: pino writes to file descriptor 2 itself. Runs are serialised, because
 * `env` and `cwd` are the process's own while a run lasts (code outside the CLI reads process.env, e.g.
 * policyforgeHome() and the model configuration) and are restored afterwards.
 */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** What `-` (stdin) reads; empty by default. */
  stdin?: string;
  /** Variables added to the test process's environment for this run. */
  env?: Record<string, string>;
  /** Only these variables (as the bin tests ran `node` with a clean environment: no key from the machine). */
  cleanEnv?: Record<string, string>;
  /** Working directory for the run; the repository root (vitest's) by default. */
  cwd?: string;
}

let queue: Promise<unknown> = Promise.resolve();

export function runCli(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const run = queue.then(() => runNow(argv, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(argv: string[], options: CliRunOptions): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const next = options.cleanEnv ?? (options.env ? { ...process.env, ...options.env } : undefined);
  const restoreEnv = next ? replaceEnv(next) : undefined;
  const cwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await main(argv, {
      stdout: collector(out),
      stderr: collector(err),
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      env: process.env,
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(cwd);
    restoreEnv?.();
  }
}

/** A stream that keeps what is written; it never applies back-pressure, so `drain` is never awaited. */
function collector(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      into.push(String(chunk));
      done();
    },
  });
}

/** Makes the process environment exactly `next` (in place: child processes and os.homedir() see it too). */
function replaceEnv(next: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  const assign = (env: NodeJS.ProcessEnv): void => {
    for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
    for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  };
  assign(next);
  return () => assign(saved);
}
