import { silentLogger, type Intent, type Logger } from '../../common/index.js';
import type { GenerationQueue, JobEventName, JobView } from '../../worker/index.js';

/** The part of worker/'s GenerationQueue the operator uses. */
export type OperatorQueue = Pick<GenerationQueue, 'enqueue' | 'getJob'> &
  Partial<Pick<GenerationQueue, 'watch' | 'supersede' | 'settledStates'>>;

/** A generation job the operator waits for, for one GPTPolicy. */
export interface TrackedJob {
  jobId: string;
  /** The spec hash the job was enqueued for. */
  hash: string;
  round: number;
  attempt: number;
}

export interface JobTrackerOptions {
  queue: OperatorQueue;
  /** Recorded on jobs as requestedBy. @defaultValue 'policyforge-operator' */
  requestedBy?: string;
  /**
   * How often unfinished jobs are checked. @defaultValue 500 with a queue that offers `settledStates` (one
   * round trip for every job), else 2000 (a read per job, besides queue events)
   */
  pollIntervalMs?: number;
  logger?: Logger;
  /** A watched job completed or failed: called once per job, after the tracker stopped watching it. */
  onFinished: (name: string, job: TrackedJob, view: JobView) => void;
  /** The queue no longer knows a watched job (Redis restarted, retention removed it): no longer watched. */
  onLost: (name: string, job: TrackedJob) => void;
}

interface Watched extends TrackedJob {
  unwatch?: () => void;
}

/**
 * The queue events after which a watched job may have finished (queues without `settledStates`). Progress,
 * active, waiting and stalled events (most of a job's events) cannot finish a job, so they cost no read.
 */
const FINISHING_EVENTS: ReadonlySet<string> = new Set<JobEventName>(['completed', 'failed', 'retries-exhausted']);

/**
 * Generation jobs on worker/'s queue, from the operator's side: enqueue, supersede, and wait for the one
 * job each GPTPolicy is waiting for. Finished and lost jobs are handed back through `onFinished` and
 * `onLost`; the model never runs here, so a slow or dead model never blocks the operator.
 *
 * With a queue that offers `settledStates` (worker/'s does), a poll every 500 ms asks whether each watched
 * job finished, for all of them in one round trip that reads no job, and only finished (or lost) jobs are
 * read in full, once. No queue events are listened to then: BullMQ's QueueEvents reads the queue's whole
 * event stream, one XREAD per event, and most events are the progress of jobs nobody here waits on; at 500
 * objects that, and a full read of every job every 2 s, cost more of the process's CPU (which the worker
 * shares) than the half-second a finished job may now wait. Other queues are watched through their events
 * and polled job by job, every 2 s (events can be missed across reconnects).
 */
export class JobTracker {
  private readonly queue: OperatorQueue;
  private readonly log: Logger;
  private readonly watched = new Map<string, Watched>();
  private readonly checking = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running = false;
  /** The poll under way: a tick meanwhile starts none (a slow Redis must not pile them up). */
  private polling?: Promise<void>;

  constructor(private readonly options: JobTrackerOptions) {
    this.queue = options.queue;
    this.log = (options.logger ?? silentLogger).child({ module: 'job-tracker' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const every = this.options.pollIntervalMs ?? (this.queue.settledStates ? 500 : 2000);
    this.timer = setInterval(() => {
      if (!this.polling) void this.poll();
    }, every);
  }

  /** Stops polling and watching; unfinished jobs are left to whoever reads status.jobId next. */
  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    for (const job of this.watched.values()) job.unwatch?.();
    this.watched.clear();
  }

  /** Puts the job for `intent` on the queue under `jobId`; the queue answers an existing id with that job. */
  async enqueue(intent: Intent, jobId: string): Promise<{ id: string; deduplicated: boolean }> {
    const data = { v: 1 as const, intent, requestedBy: this.options.requestedBy ?? 'policyforge-operator' };
    return this.queue.enqueue(data, { jobId });
  }

  /** One pending job per object: a job for an older spec is removed from the queue, or stopped if running. */
  async supersede(jobId: string, log: Logger = this.log): Promise<void> {
    if (!this.queue.supersede) return;
    try {
      const outcome = await this.queue.supersede(jobId);
      if (outcome !== 'finished') log.info({ superseded: jobId, outcome }, 'job for an older spec superseded');
    } catch (err) {
      // best effort: a job that runs anyway finishes for an older spec, and its result is ignored
      log.warn(
        { err: err instanceof Error ? err.message : String(err), superseded: jobId },
        'could not supersede the job for an older spec',
      );
    }
  }

  /**
   * Waits for `job` on behalf of `name` (instead of any job watched for it before): with `settledStates`,
   * from the next poll on, together with every other job; else by its events, and it is checked at once.
   */
  watch(name: string, job: TrackedJob): void {
    this.watched.get(name)?.unwatch?.();
    const entry: Watched = { ...job };
    this.watched.set(name, entry);
    if (this.queue.settledStates) return;
    if (this.queue.watch) {
      try {
        entry.unwatch = this.queue.watch(job.jobId, (event?: JobEventName) => {
          // a queue that does not say which event it was: any event may have finished the job
          if (event === undefined || FINISHING_EVENTS.has(event)) void this.check(name, entry);
        });
      } catch (err) {
        this.log.debug({ err }, 'queue events unavailable; polling only');
      }
    }
    void this.check(name, entry);
  }

  /** The job watched for `name`, if any. */
  get(name: string): TrackedJob | undefined {
    return this.watched.get(name);
  }

  /** No longer waits for `name`'s job (the object is gone). */
  forget(name: string): void {
    this.watched.get(name)?.unwatch?.();
    this.watched.delete(name);
  }

  /** Jobs waiting for a result, by GPTPolicy name. */
  pending(): Record<string, string> {
    return Object.fromEntries([...this.watched].map(([name, job]) => [name, job.jobId]));
  }

  /**
   * Checks every unfinished job once (one round trip for all of them when the queue offers settledStates),
   * in a poll that starts after this call: one under way is waited for first.
   */
  async poll(): Promise<void> {
    while (this.polling) await this.polling;
    const poll = this.pollOnce();
    this.polling = poll;
    try {
      await poll;
    } finally {
      if (this.polling === poll) this.polling = undefined;
    }
  }

  private async pollOnce(): Promise<void> {
    const entries = [...this.watched].filter(([, job]) => !this.checking.has(job.jobId));
    if (!this.queue.settledStates) {
      await Promise.allSettled(entries.map(([name, job]) => this.check(name, job)));
      return;
    }
    if (!entries.length) return;
    let states: Map<string, string>;
    try {
      states = await this.queue.settledStates(entries.map(([, job]) => job.jobId));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ err: message, jobs: entries.length }, 'could not read the jobs; will retry');
      return;
    }
    const done = entries.filter(([, job]) => states.get(job.jobId) !== 'pending');
    await Promise.allSettled(done.map(([name, job]) => this.check(name, job)));
  }

  /** Reads the job in full and hands it over if it finished (or is gone). */
  private async check(name: string, job: Watched): Promise<void> {
    if (!this.running || this.watched.get(name) !== job || this.checking.has(job.jobId)) return;
    this.checking.add(job.jobId);
    try {
      let view: JobView | undefined;
      try {
        view = await this.queue.getJob(job.jobId);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log.warn({ err: message, jobId: job.jobId }, 'could not read the job; will retry');
        return;
      }
      if (view && view.state !== 'completed' && view.state !== 'failed') return;
      // still the job wanted (a newer one may have replaced it while the queue answered)
      if (this.watched.get(name) !== job) return;
      this.watched.delete(name);
      job.unwatch?.();
      const { unwatch: _unwatch, ...tracked } = job;
      if (view) this.options.onFinished(name, tracked, view);
      else this.options.onLost(name, tracked);
    } finally {
      this.checking.delete(job.jobId);
    }
  }
}
