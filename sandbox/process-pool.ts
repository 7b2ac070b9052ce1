import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyforgeError, logger, packageRoot } from '../common/index.js';
import type { Backend } from './backend.js';
import type { CaseInput, CompileResult, RawRun } from './engine.js';

export type ChildRequest =
  | { id: number; op: 'check'; javascript: string }
  | { id: number; op: 'run'; javascript: string; inputs: CaseInput[] }
  | { id: number; op: 'fn'; code: string; fnName: string; tests: Array<{ name: string; args: unknown[] }>; timeoutMs: number }
  | { id: number; op: 'crash' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type ChildResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

type Work = { request: ChildRequest; budgetMs: number; resolve: (v: unknown) => void; reject: (e: unknown) => void };

interface Worker {
  child: ChildProcess;
  busy?: Work & { timer: NodeJS.Timeout };
  stderr: string;
}

/** Time a child gets beyond the sum of its cases' budgets before it is presumed hung and killed. */
const WATCHDOG_SLACK_MS = 10_000;

export const PROCESS_POOL_DEFAULTS = { closeGraceMs: 2_000 } as const;

export interface ProcessPoolOptions {
  processes: number;
  memoryLimitMb: number;
  /** How long close() lets a child exit on SIGTERM before it sends SIGKILL. @defaultValue 2000 */
  closeGraceMs?: number;
  /** jsPolicy's GLOBAL_CONTEXT, handed to each child. */
  globalContext?: string;
}

const log = () => logger().child({ module: 'sandbox' });

/** The compiled child entry: beside this file in dist/, or dist/sandbox/ when running from TS sources. */
export function childEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.endsWith('.ts') ? join(packageRoot, 'dist', 'sandbox', 'child-process.js') : join(here, '..', 'child-process.js');
  if (!existsSync(candidate)) throw new PolicyforgeError('PF_ERR_CONFIG', [`process isolation needs the compiled sandbox child ${candidate}: run \`npm run build\``]);
  return candidate;
}

/**
 * 'process' isolation: isolates live in a pool of child processes started with --no-node-snapshot.
 * Work is queued and handed to idle children; a child that exits (V8 fatal error, OOM kill) or hangs
 * past its budget fails the request in flight with PF_ERR_SANDBOX_CRASHED and is replaced.
 */
export class ProcessPoolBackend implements Backend {
  private readonly workers: Worker[] = [];
  private readonly queue: Work[] = [];
  private nextId = 1;
  private closed = false;
  private closing?: Promise<void>;
  private readonly entry: string;
  /** Children replaced after a crash (stats and tests). */
  crashes = 0;

  constructor(private readonly options: ProcessPoolOptions) {
    this.entry = childEntry();
  }

  private spawn(): Worker {
    const child = fork(this.entry, [String(this.options.memoryLimitMb)], {
      execArgv: ['--no-node-snapshot'],
      env: { ...process.env, POLICYFORGE_SANDBOX_GLOBAL_CONTEXT: this.options.globalContext ?? '' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const worker: Worker = { child, stderr: '' };
    child.stderr?.on('data', (d: Buffer) => {
      worker.stderr = (worker.stderr + d.toString()).slice(-2000);
    });
    child.on('message', (msg: ChildResponse) => this.onMessage(worker, msg));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
    child.on('error', (err) => log().warn({ err: err.message }, 'sandbox child error'));
    this.idle(worker);
    this.workers.push(worker);
    return worker;
  }

  private idle(w: Worker): void {
    w.child.unref();
    (w.child.channel as { unref?: () => void } | undefined)?.unref?.();
    (w.child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private busy(w: Worker): void {
    w.child.ref();
    (w.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  private onMessage(w: Worker, msg: ChildResponse): void {
    const work = w.busy;
    if (!work || work.request.id !== msg.id) return;
    clearTimeout(work.timer);
    w.busy = undefined;
    this.idle(w);
    if (msg.ok) work.resolve(msg.result);
    else work.reject(new PolicyforgeError('PF_ERR_SANDBOX_CRASHED', [msg.error]));
    this.pump();
  }

  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    const work = w.busy;
    w.busy = undefined;
    if (work) {
      clearTimeout(work.timer);
      this.crashes++;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      const tail = w.stderr.trim().split('\n').slice(-3).join(' | ');
      log().warn({ pid: w.child.pid, code, signal }, 'sandbox child died; replacing it');
      work.reject(new PolicyforgeError('PF_ERR_SANDBOX_CRASHED', [`child ${w.child.pid} died (${how})${tail ? `: ${tail}` : ''}; the request in flight was lost`]));
    }
    if (!this.closed) this.pump();
  }

  private pump(): void {
    while (this.queue.length && !this.closed) {
      let w = this.workers.find((x) => !x.busy && x.child.connected);
      if (!w) {
        if (this.workers.length >= Math.max(1, this.options.processes)) return;
        w = this.spawn();
      }
      const work = this.queue.shift()!;
      const worker = w;
      const timer = setTimeout(() => {
        log().warn({ pid: worker.child.pid }, 'sandbox child hung past its budget; killing it');
        worker.child.kill('SIGKILL');
      }, work.budgetMs + WATCHDOG_SLACK_MS);
      worker.busy = { ...work, timer };
      this.busy(worker);
      worker.child.send(work.request);
    }
  }

  private call<T>(request: DistributiveOmit<ChildRequest, 'id'>, budgetMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request: { ...request, id: this.nextId++ } as ChildRequest, budgetMs, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  checkCompiles(javascript: string): Promise<CompileResult> {
    return this.call({ op: 'check', javascript }, 5_000);
  }

  runCases(javascript: string, inputs: CaseInput[]): Promise<RawRun[]> {
    const budget = inputs.reduce((sum, i) => sum + i.timeoutMs + 250, 0);
    return this.call({ op: 'run', javascript, inputs }, budget);
  }

  runFunctionTests(code: string, fnName: string, tests: Array<{ name: string; args: unknown[] }>, timeoutMs: number): Promise<Array<{ name: string; actual?: unknown; error?: string }>> {
    return this.call({ op: 'fn', code, fnName, tests, timeoutMs }, (tests.length + 1) * timeoutMs);
  }

  /** Process ids of the live children. */
  pids(): number[] {
    return this.workers.map((w) => w.child.pid).filter((p): p is number => p !== undefined);
  }

  /** Test hook: makes the next idle child exit as a crash would. */
  crashOneChild(): Promise<unknown> {
    return this.call({ op: 'crash' }, 1_000);
  }

  /**
   * Stops every child and resolves once each has exited. Idle children are unref'd (they must not keep a
   * CLI alive), so while waiting the children and a grace timer are ref'd: otherwise a caller awaiting
   * close() at top level would see the event loop drain with the promise unsettled (exit code 13). A child
   * still alive after the grace period (stopped, wedged in native code) is killed with SIGKILL.
   */
  close(): Promise<void> {
    this.closing ??= this.stopChildren();
    return this.closing;
  }

  private async stopChildren(): Promise<void> {
    this.closed = true;
    for (const work of this.queue.splice(0)) work.reject(new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']));
    const graceMs = this.options.closeGraceMs ?? PROCESS_POOL_DEFAULTS.closeGraceMs;
    await Promise.all(this.workers.splice(0).map((w) => stopChild(w.child, graceMs)));
  }
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const escalate = setTimeout(() => {
      log().warn({ pid: child.pid, graceMs }, 'sandbox child ignored SIGTERM; killing it');
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(escalate);
      resolve();
    });
    child.ref();
    child.kill('SIGTERM');
  });
}
