import type { ChildProcess } from 'node:child_process';
import { PolicyforgeError, logger } from '../common/index.js';
import type { Backend } from './backend.js';
import { SCRIPTS_PER_CHILD, childEntry, forkSandboxChild, takePrestartedChild, unrefChild } from './child-fork.js';
import type { CaseInput, CompileResult, RawRun } from './engine.js';

/**
 * A policy source named by a number: its text travels to a child once, later requests send only the number.
 * Every child keeps the last SCRIPTS_PER_CHILD texts it was sent, dropping the oldest first; the pool mirrors
 * that list per child, so it knows which numbers the child can resolve without asking.
 */
export interface ScriptRef {
  id: number;
  javascript?: string;
}

/** One piece of work for a child; a message carries several (see ProcessPoolBackend). */
export type ChildItem =
  | { op: 'check'; javascript: string }
  | { op: 'run'; script: ScriptRef; inputs: CaseInput[] }
  | { op: 'fn'; code: string; fnName: string; tests: Array<{ name: string; args: unknown[] }>; timeoutMs: number }
  | { op: 'crash' };

export interface ChildRequest {
  id: number;
  items: ChildItem[];
}

/** A child's answer to one item: an item that fails does not fail the others of its message. */
export type ChildOutcome = { ok: true; result: unknown } | { ok: false; error: string };

export interface ChildResponse {
  id: number;
  outcomes: ChildOutcome[];
}

/** What a caller asks for: a 'run' names its policy by source here; the message to a child names it by id. */
type Request = Exclude<ChildItem, { op: 'run' }> | { op: 'run'; javascript: string; inputs: CaseInput[] };

interface Work {
  request: Request;
  budgetMs: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Sent alone: it was in a message whose child died, and may be what killed it. */
  solo?: boolean;
}

interface Worker {
  child: ChildProcess;
  busy?: { id: number; works: Work[]; timer: NodeJS.Timeout };
  stderr: string;
  /** Script ids this child holds, least recently used first (the child's own list, mirrored). */
  scripts: number[];
}

export { SCRIPTS_PER_CHILD, childEntry };

/** Compile verdicts the pool remembers, so a suite of an already-checked policy costs one message, not two. */
const COMPILE_VERDICTS = 256;

/** At most this many requests share a message; a batch's results come back when its last request is done. */
export const MAX_BATCH = 32;

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

/**
 * 'process' isolation: isolates live in a pool of child processes started with --no-node-snapshot.
 * Work is queued and handed to idle children; a child that exits (V8 fatal error, OOM kill) or hangs
 * past its budget fails the request in flight with PF_ERR_SANDBOX_CRASHED and is replaced.
 *
 * Cost: a message costs ~35 µs of CPU on each side whatever it carries (a write and a read system call,
 * waking the other process, Node's channel), as much as evaluating a few cases. So a suite travels as one
 * message; a policy's compile verdict is remembered, so its next suites do not ask again; its source
 * travels to a child once (ScriptRef); and requests queued while the children are busy (concurrent
 * suites) go out together, up to MAX_BATCH per message. If a child dies with several requests in flight,
 * each is sent again alone, so a crash still fails only the request that caused it.
 */
export class ProcessPoolBackend implements Backend {
  private readonly workers: Worker[] = [];
  private readonly queue: Work[] = [];
  private nextId = 1;
  /** Script ids by policy source (bounded, least recently used dropped first). */
  private readonly scriptIds = new Map<string, number>();
  private nextScriptId = 1;
  /** Compile verdicts by policy source: compiling depends on the source alone. */
  private readonly verdicts = new Map<string, CompileResult>();
  private pumpScheduled = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly entry: string;
  /** Children replaced after a crash (stats and tests). */
  crashes = 0;
  /** Messages sent to children, each carrying one or more requests (stats and tests). */
  messages = 0;

  constructor(private readonly options: ProcessPoolOptions) {
    this.entry = childEntry();
  }

  private spawn(): Worker {
    const config = {
      entry: this.entry,
      memoryLimitMb: this.options.memoryLimitMb,
      globalContext: this.options.globalContext ?? '',
    };
    // A child the CLI forked before loading its modules (src/cli/run.ts) has had time to start: adopt it.
    const child = takePrestartedChild(config) ?? forkSandboxChild(config);
    const worker: Worker = { child, stderr: '', scripts: [] };
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
    unrefChild(w.child);
  }

  private busy(w: Worker): void {
    w.child.ref();
    (w.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  private onMessage(w: Worker, msg: ChildResponse): void {
    const batch = w.busy;
    if (!batch || batch.id !== msg.id) return;
    clearTimeout(batch.timer);
    w.busy = undefined;
    this.idle(w);
    batch.works.forEach((work, i) => {
      const outcome = msg.outcomes[i];
      if (outcome?.ok) return work.resolve(outcome.result);
      const why = outcome ? outcome.error : 'the child sent no answer for this request';
      work.reject(new PolicyforgeError('PF_ERR_SANDBOX_CRASHED', [why]));
    });
    this.pump();
  }

  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    const batch = w.busy;
    w.busy = undefined;
    if (batch) {
      clearTimeout(batch.timer);
      this.crashes++;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      log().warn({ pid: w.child.pid, code, signal, requests: batch.works.length }, 'sandbox child died; replacing it');
      if (batch.works.length > 1 && !this.closed) {
        // Which request killed it is unknown: each goes again alone, so only that one fails.
        this.queue.unshift(...batch.works.map((work) => ({ ...work, solo: true })));
      } else {
        const tail = w.stderr.trim().split('\n').slice(-3).join(' | ');
        const why = `child ${w.child.pid} died (${how})${tail ? `: ${tail}` : ''}; the request in flight was lost`;
        for (const work of batch.works) work.reject(new PolicyforgeError('PF_ERR_SANDBOX_CRASHED', [why]));
      }
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
      const works = this.takeBatch();
      const worker = w;
      const budgetMs = works.reduce((sum, work) => sum + work.budgetMs, 0);
      const timer = setTimeout(() => {
        log().warn({ pid: worker.child.pid }, 'sandbox child hung past its budget; killing it');
        worker.child.kill('SIGKILL');
      }, budgetMs + WATCHDOG_SLACK_MS);
      const id = this.nextId++;
      worker.busy = { id, works, timer };
      this.busy(worker);
      this.messages++;
      worker.child.send({ id, items: works.map((work) => this.item(worker, work)) } satisfies ChildRequest);
    }
  }

  /**
   * The next message's requests, oldest first: the queue's share of one of the children that could take
   * work now (idle or not yet started), so concurrent suites spread over the pool instead of all going to
   * the first child free. A request marked solo goes alone.
   */
  private takeBatch(): Work[] {
    if (this.queue[0].solo) return this.queue.splice(0, 1);
    const idle = this.workers.filter((x) => !x.busy && x.child.connected).length;
    const free = Math.max(1, idle + Math.max(0, this.options.processes - this.workers.length));
    let n = Math.min(MAX_BATCH, Math.ceil(this.queue.length / free));
    const solo = this.queue.findIndex((work) => work.solo);
    if (solo >= 0) n = Math.min(n, solo);
    return this.queue.splice(0, n);
  }

  /** The item for `work` on this child: a policy's source only if the child does not hold it yet. */
  private item(worker: Worker, work: Work): ChildItem {
    const { request } = work;
    if (request.op !== 'run') return request;
    const { javascript, inputs } = request;
    let scriptId = this.scriptIds.get(javascript);
    if (scriptId === undefined) {
      scriptId = this.nextScriptId++;
      remember(this.scriptIds, javascript, scriptId, SCRIPTS_PER_CHILD * 16);
    }
    // The child keeps the same list by the same rule (child-process.ts): most recently used last, the first
    // dropped past SCRIPTS_PER_CHILD. It reads a message's items in order, as they are built here, so the
    // two lists agree.
    const held = worker.scripts.indexOf(scriptId);
    if (held >= 0) worker.scripts.splice(held, 1);
    worker.scripts.push(scriptId);
    if (worker.scripts.length > SCRIPTS_PER_CHILD) worker.scripts.shift();
    return { op: 'run', script: held >= 0 ? { id: scriptId } : { id: scriptId, javascript }, inputs };
  }

  private call<T>(request: Request, budgetMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request, budgetMs, resolve: resolve as (v: unknown) => void, reject });
      this.schedulePump();
    });
  }

  /**
   * Hands out queued work once the current run of promise jobs is over: suites started together (Promise.all)
   * reach runCases in the same run of jobs, and then leave in one message instead of the first alone.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Compiling depends on the source alone (jsPolicy compiles the script before any request), so a verdict
   * is remembered: runSuite checks before it runs, and a policy's second suite then costs one message.
   */
  async checkCompiles(javascript: string): Promise<CompileResult> {
    const known = this.verdicts.get(javascript);
    if (known) return known;
    const verdict = await this.call<CompileResult>({ op: 'check', javascript }, 5_000);
    remember(this.verdicts, javascript, verdict, COMPILE_VERDICTS);
    return verdict;
  }

  runCases(javascript: string, inputs: CaseInput[]): Promise<RawRun[]> {
    const budget = inputs.reduce((sum, i) => sum + i.timeoutMs + 250, 0);
    return this.call({ op: 'run', javascript, inputs }, budget);
  }

  runFunctionTests(
    code: string,
    fnName: string,
    tests: Array<{ name: string; args: unknown[] }>,
    timeoutMs: number,
  ): Promise<Array<{ name: string; actual?: unknown; error?: string }>> {
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
    for (const work of this.queue.splice(0))
      work.reject(new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']));
    const graceMs = this.options.closeGraceMs ?? PROCESS_POOL_DEFAULTS.closeGraceMs;
    await Promise.all(this.workers.splice(0).map((w) => stopChild(w.child, graceMs)));
  }
}

/** Sets `key` as the most recently used entry of `map`, dropping the least recently used past `limit`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value as K);
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
