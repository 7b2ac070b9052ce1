import { silentLogger, type Logger } from '../../common/index.js';

/**
 * A small per-resource work queue, after Pepr's queue.ts: tasks for one resource (one GPTPolicy name) run
 * one after another, in the order they were pushed; tasks for different resources run side by side, at most
 * `concurrency` at once, so a thousand objects at start-up do not flood the API server. A task that fails is
 * logged and the resource's next task runs as usual: one bad object never stalls the others.
 *
 * Coalescing: a task pushed with a `coalesce` tag while a task with the same tag for the same resource is
 * still waiting (not started) is not added again; the waiting one runs once and reads the newest state.
 * A burst of watch events for one object is then one reconcile, not one per event.
 */

export interface ReconcileQueueOptions {
  /** Tasks of different resources running at once. @defaultValue 4 */
  concurrency?: number;
  logger?: Logger;
  /** Called with a task's error (after it was logged); the queue goes on either way. */
  onError?: (key: string, err: unknown) => void;
}

export interface PushOptions {
  /** Merge with a waiting task of this resource carrying the same tag (see the module's comment). */
  coalesce?: string;
}

interface Task {
  key: string;
  run: () => Promise<void>;
  tag?: string;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class ReconcileQueue {
  private readonly concurrency: number;
  private readonly log: Logger;
  /** Waiting tasks of every resource, oldest first. */
  private readonly waiting: Task[] = [];
  /** Resources with a task running now. */
  private readonly running = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ReconcileQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.log = (options.logger ?? silentLogger).child({ module: 'reconcile-queue' });
  }

  /**
   * Runs `run` after every earlier task for `key`. The promise settles with the task (or with the waiting
   * task it was merged into); callers that only schedule may ignore it: errors are logged here.
   */
  push(key: string, run: () => Promise<void>, options: PushOptions = {}): Promise<void> {
    const tag = options.coalesce;
    if (tag !== undefined) {
      const same = this.waiting.find((t) => t.key === key && t.tag === tag);
      if (same) {
        this.log.debug({ resource: { name: key }, tag }, 'coalesced with a waiting task');
        return same.done;
      }
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // a caller that does not await its task must not see an unhandled rejection: the error is logged below
    done.catch(() => undefined);
    this.waiting.push({ key, run, tag, done, resolve, reject });
    this.pump();
    return done;
  }

  /** Tasks waiting (not started) and running now. */
  size(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running.size };
  }

  /** Resolves once nothing is waiting or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (!this.waiting.length && !this.running.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops every task not yet started (their promises resolve without running); running ones finish. */
  clear(): void {
    for (const t of this.waiting.splice(0)) t.resolve();
    this.settleIdle();
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length && this.running.size < this.concurrency;) {
      const task = this.waiting[i];
      if (this.running.has(task.key)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      void this.start(task);
    }
  }

  private async start(task: Task): Promise<void> {
    this.running.add(task.key);
    try {
      await task.run();
      task.resolve();
    } catch (err) {
      this.log.error(
        { resource: { name: task.key }, err: err instanceof Error ? err.message : String(err) },
        'task failed',
      );
      this.options.onError?.(task.key, err);
      task.reject(err);
    } finally {
      this.running.delete(task.key);
      this.pump();
      this.settleIdle();
    }
  }

  private settleIdle(): void {
    if (this.waiting.length || this.running.size) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
