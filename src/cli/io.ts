import type { Readable, Writable } from 'node:stream';

/**
 * Where one CLI run reads and writes. The bin passes the process's own streams; tests and embedders pass
 * their own and run a command in-process through main(argv, io). Commands write only here, never to
 * process.stdout/stderr directly (structured logs are the exception: pino writes to file descriptor 2).
 */
export interface CliIo {
  stdout: Writable;
  /** isTTY: the impact preview draws a progress line on a terminal only. */
  stderr: Writable & { isTTY?: boolean };
  /** What `--against -` reads. */
  stdin: Readable;
  /** The variables commands read (model, store, service settings). */
  env: NodeJS.ProcessEnv;
}

/** The process's streams and environment. stdin is read lazily: touching process.stdin opens it. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    env: process.env,
  };
}
