import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// errors.js and paths.js directly, not the index: this file is loaded before anything else of the CLI.
import { PolicyforgeError } from '../common/errors.js';
import { packageRoot } from '../common/paths.js';

/**
 * Starting a sandbox child ('process' isolation), kept apart from process-pool.ts so that src/cli/run.ts can
 * fork one before it loads anything else: this file imports only node:child_process. A child takes
 * ~0.1–0.2 s of CPU to start node and isolated-vm; forked first, that start overlaps the CLI's own loading
 * (commander, zod, yaml, pino) instead of following it. The pool adopts the prestarted child when it was
 * forked as the pool would fork it (same entry, heap limit and GLOBAL_CONTEXT); otherwise it is stopped.
 */

/** The compiled child entry: beside this file in dist/, or dist/sandbox/ when running from TS sources. */
export function childEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.endsWith('.ts')
    ? join(packageRoot, 'dist', 'sandbox', 'child-process.js')
    : join(here, '..', 'child-process.js');
  if (!existsSync(candidate))
    throw new PolicyforgeError('PF_ERR_CONFIG', [
      `process isolation needs the compiled sandbox child ${candidate}: run \`npm run build\``,
    ]);
  return candidate;
}

/** V8 heap limit per isolate, in MB, when the caller gives none (SANDBOX_DEFAULTS.memoryLimitMb). */
export const DEFAULT_MEMORY_LIMIT_MB = 64;

/** Policy sources a child keeps by id; the pool's mirror of each child's list uses the same bound. */
export const SCRIPTS_PER_CHILD = 64;

export interface ChildConfig {
  /** The compiled child entry (child-process.js). */
  entry: string;
  memoryLimitMb: number;
  /** jsPolicy's GLOBAL_CONTEXT; '' for none. */
  globalContext: string;
}

/** Forks a sandbox child: --no-node-snapshot (isolated-vm#420), stdout ignored, stderr piped, JSON IPC. */
export function forkSandboxChild(config: ChildConfig): ChildProcess {
  return fork(config.entry, [String(config.memoryLimitMb)], {
    execArgv: ['--no-node-snapshot'],
    env: {
      ...process.env,
      POLICYFORGE_SANDBOX_GLOBAL_CONTEXT: config.globalContext,
      POLICYFORGE_SANDBOX_SCRIPTS: String(SCRIPTS_PER_CHILD),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // JSON, not 'advanced': a suite's round trip measured ~70 µs instead of ~180 µs ('advanced' wraps V8's
    // serializer in JavaScript per message), and everything sent is JSON already: requests and fixtures are
    // stringified into the isolate, results are parsed out of it, so nothing 'advanced' would keep is lost.
    serialization: 'json',
  });
}

/** Lets the process exit while `child` lives: an idle child, or a prestarted one nobody adopted. */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

let prestarted: { child: ChildProcess; config: ChildConfig } | undefined;

/**
 * Forks one child now, for a pool created later in this process to adopt (takePrestartedChild). It does not
 * keep the process alive; a child never adopted exits when this process does (its IPC channel closes).
 */
export function prestartSandboxChild(config: ChildConfig): void {
  if (prestarted) return;
  const child = forkSandboxChild(config);
  // Until adopted, nobody else listens: a failed fork must not become an unhandled 'error' event.
  child.on('error', () => undefined);
  unrefChild(child);
  prestarted = { child, config };
}

/**
 * The prestarted child if it was forked with exactly this configuration and is still connected; each is
 * handed out once. A child that does not match is stopped (it would run with another heap limit or context).
 */
export function takePrestartedChild(config: ChildConfig): ChildProcess | undefined {
  const p = prestarted;
  if (!p) return undefined;
  prestarted = undefined;
  const same =
    p.config.entry === config.entry &&
    p.config.memoryLimitMb === config.memoryLimitMb &&
    p.config.globalContext === config.globalContext;
  if (same && p.child.connected && p.child.exitCode === null && p.child.signalCode === null) return p.child;
  stop(p.child);
  return undefined;
}

/** Stops a prestarted child nobody adopted (the command failed before its sandbox, or ran none). */
export function discardPrestartedChild(): void {
  const p = prestarted;
  prestarted = undefined;
  if (p) stop(p.child);
}

function stop(child: ChildProcess): void {
  // The child exits on 'disconnect' (child-process.ts); a kill covers one still starting up.
  if (child.connected) child.disconnect();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
