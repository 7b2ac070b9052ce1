import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  PolicyforgeError,
  isPolicyforgeError,
  logger as rootLogger,
  redactSecrets,
  type GenerationResult,
  type Intent,
  type Logger,
  type ProgressEvent,
} from '../common/index.js';
import { checkpointKey, checkpointStore } from './checkpoint.js';
import { createRedisClient, type RedisConnection } from './connection.js';
import { QUEUE_NAMES, parseGenerationJobData, type AgainstRef } from './job-schema.js';
import {
  SUPERSEDED_MESSAGE,
  encodeFailure,
  isProgress,
  supersededKey,
  type JobProgress,
  type JobProgressEvent,
} from './job-view.js';
import type { GenerationMetrics } from './metrics.js';

/** What the worker tells the generate function about the job it runs. */
export interface GenerateContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Called for every ProgressEvent of the loop; recorded on the job and streamed to watchers. */
  onProgress: (event: ProgressEvent) => void;
  /** Aborted when the worker shuts down and hands the job back; the result is then ignored. */
  signal: AbortSignal;
  /** The upload the verified policy is to be replayed against (the impact preview), when the job names one. */
  against?: AgainstRef;
  /**
   * What an earlier run of this job checkpointed (its worker died, or lost its lock in a Redis outage):
   * give it to the loop as GenerateDeps.resume. Undefined on a first run.
   */
  resume?: unknown;
  /** Keeps a loop checkpoint for a re-run of this job (GenerateDeps.onCheckpoint); never rejects. */
  onCheckpoint?: (checkpoint: unknown) => Promise<void>;
}

/** Runs the loop for one intent. Production: the loop's generator; tests inject their own. */
export type GenerateFn = (intent: Intent, context: GenerateContext) => Promise<GenerationResult>;

export interface GenerationWorkerOptions {
  connection: RedisConnection;
  /** Jobs this worker runs at once. @defaultValue 1 */
  concurrency?: number;
  generate: GenerateFn;
  /** Must match the queue's. @defaultValue 'bull' */
  prefix?: string;
  /** How long a job's lock lasts without renewal; a worker that dies loses its jobs after this. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (whose worker died). @defaultValue 30000 */
  stalledIntervalMs?: number;
  /** Times a job may stall before it fails. @defaultValue 2 */
  maxStalledCount?: number;
  /** How often a running job checks whether a newer request superseded it (GenerationQueue.supersede). @defaultValue 2000 */
  supersededCheckMs?: number;
  /** On close(), how long running jobs may take to finish before they are handed back. @defaultValue 30000 */
  shutdownGraceMs?: number;
  /** Values scrubbed from results and errors (model API key, API token) besides the usual patterns. */
  secrets?: string[];
  metrics?: GenerationMetrics;
  logger?: Logger;
  /** Start taking jobs at once. @defaultValue true */
  autorun?: boolean;
}

export interface GenerationWorker {
  readonly worker: Worker;
  /** Jobs running now. */
  running(): number;
  /**
   * Graceful shutdown: takes no new jobs, lets running ones finish for `shutdownGraceMs`, then hands the
   * rest back to the queue (another worker picks them up) and disconnects.
   */
  close(): Promise<void>;
}

const DEFAULTS = {
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
  shutdownGraceMs: 30_000,
  supersededCheckMs: 2000,
} as const;

/** Why a running job's AbortSignal fired (its `reason`). */
const HANDED_BACK = Symbol('handed back');
const SUPERSEDED = Symbol('superseded');

export function startGenerationWorker(options: GenerationWorkerOptions): GenerationWorker {
  const log = (options.logger ?? rootLogger()).child({ module: 'worker' });
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const ownsClient = typeof options.connection === 'string';
  const client: Redis = createRedisClient(options.connection, 'worker');
  client.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const running = new Map<string, AbortController>();
  const prefix = options.prefix ?? 'bull';
  const { metrics } = options;

  const processor = async (job: Job, token?: string): Promise<GenerationResult> => {
    const jobLog = log.child({ job: { id: job.id, attempt: job.attemptsMade + 1 } });
    let data;
    try {
      data = parseGenerationJobData(job.data, `job ${job.id}`);
    } catch (err) {
      jobLog.warn(
        { err: (err as Error).message },
        'job data does not match schema v1 (docs/queue.md); failed without retries',
      );
      metrics?.jobFinished('invalid');
      throw new UnrecoverableError(encodeFailure('PF_ERR_INPUT_INVALID', (err as Error).message));
    }
    const abort = new AbortController();
    running.set(String(job.id), abort);
    const isSuperseded = async (): Promise<boolean> =>
      (await client.exists(supersededKey(prefix, String(job.id)))) === 1;
    const supersededCheck = setInterval(() => {
      isSuperseded()
        .then((yes) => yes && !abort.signal.aborted && abort.abort(SUPERSEDED))
        .catch(() => undefined);
    }, options.supersededCheckMs ?? DEFAULTS.supersededCheckMs);
    metrics?.jobStarted(job.processedOn && job.timestamp ? job.processedOn - job.timestamp : undefined);
    const started = Date.now();
    const checkpoints = checkpointStore(
      client,
      checkpointKey(prefix, String(job.id)),
      job.timestamp,
      (v) => scrub(v, secrets),
      jobLog,
    );
    const resume = await checkpoints.load();
    jobLog.info({ intent: data.intent.text.slice(0, 120), resumed: resume !== undefined }, 'generation started');

    // Progress writes are chained so they land in order; a failed write is logged, never fatal. A resumed
    // run goes on from the progress its earlier run recorded, as it goes on from its rounds.
    const earlier = resume !== undefined && isProgress(job.progress) ? job.progress : undefined;
    const progress: JobProgress = { round: earlier?.round ?? 0, events: [...(earlier?.events ?? [])] };
    let writes = Promise.resolve();
    const onProgress = (event: ProgressEvent): void => {
      if (abort.signal.aborted) return;
      metrics?.progress(event);
      if (event.type === 'round-started') progress.round = event.round;
      progress.events.push(compact(event));
      const snapshot: JobProgress = { round: progress.round, events: [...progress.events] };
      writes = writes
        .then(() => job.updateProgress(snapshot as unknown as object))
        .catch((err) => jobLog.warn({ err: err.message }, 'progress not recorded'));
    };

    const stopped = new Promise<typeof HANDED_BACK | typeof SUPERSEDED>((resolve) =>
      abort.signal.addEventListener(
        'abort',
        () => resolve(abort.signal.reason === SUPERSEDED ? SUPERSEDED : HANDED_BACK),
        { once: true },
      ),
    );
    try {
      if (await isSuperseded().catch(() => false)) abort.abort(SUPERSEDED);
      const outcome = abort.signal.aborted
        ? await stopped
        : await Promise.race([
            options.generate(data.intent, {
              ...{ jobId: String(job.id), attempt: job.attemptsMade + 1, onProgress, signal: abort.signal },
              ...(data.against ? { against: data.against } : {}),
              ...{ resume, onCheckpoint: checkpoints.save },
            }),
            stopped,
          ]);
      // superseded while it ran, too late for the periodic check: the result is for a request nobody wants
      const lateSupersede =
        outcome !== HANDED_BACK && outcome !== SUPERSEDED && (await isSuperseded().catch(() => false));
      if (outcome === SUPERSEDED || lateSupersede) {
        jobLog.info('superseded by a newer request: stopped without finishing');
        metrics?.jobFinished('superseded');
        await checkpoints.drop();
        throw new UnrecoverableError(encodeFailure('PF_ERR_CONFLICT', SUPERSEDED_MESSAGE));
      }
      if (outcome === HANDED_BACK) {
        await job.moveToWait(token);
        jobLog.warn('shutting down: job handed back to the queue');
        metrics?.jobFinished('handed-back');
        throw new WaitingError();
      }
      await writes;
      // Dropped just before the job completes: a worker lost in between re-runs it from the start, once.
      await checkpoints.drop();
      const result = scrub(outcome, secrets);
      metrics?.jobSucceeded(result, Date.now() - started);
      jobLog.info(
        { status: result.status, rounds: result.rounds.length, ms: Date.now() - started },
        'generation finished',
      );
      return result;
    } catch (err) {
      if (err instanceof WaitingError || outcomeIsFinal(err)) throw err;
      await writes;
      const message = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
      if (isPolicyforgeError(err) && err.retryable) {
        const attemptsLeft = (job.opts.attempts ?? 1) - (job.attemptsMade + 1);
        metrics?.jobFinished(attemptsLeft > 0 ? 'retried' : 'failed');
        jobLog.warn({ code: err.code, attemptsLeft }, 'transient failure');
        // A retry resumes from the rounds this attempt paid for; the last attempt leaves nothing to resume.
        if (attemptsLeft <= 0) await checkpoints.drop();
        throw new Error(encodeFailure(err.code, message), { cause: err });
      }
      metrics?.jobFinished('failed');
      await checkpoints.drop();
      const code = isPolicyforgeError(err) ? err.code : 'PF_ERR_INTERNAL';
      jobLog.error({ code, err: message }, 'generation failed (not retried)');
      // Unknown errors are bugs: retrying will not help, and the code says so to the reader of the job.
      const text = isPolicyforgeError(err) ? message : new PolicyforgeError('PF_ERR_INTERNAL', [message]).message;
      throw new UnrecoverableError(encodeFailure(code, text));
    } finally {
      clearInterval(supersededCheck);
      running.delete(String(job.id));
    }
  };

  const worker = new Worker(QUEUE_NAMES.generation, processor, {
    connection: client,
    prefix: options.prefix ?? 'bull',
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    lockDuration: options.lockDurationMs ?? DEFAULTS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? DEFAULTS.maxStalledCount,
    autorun: options.autorun ?? true,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
  worker.on('stalled', (jobId) => log.warn({ job: { id: jobId } }, 'stalled job taken back (its worker died or hung)'));

  let closing: Promise<void> | undefined;
  return {
    worker,
    running: () => running.size,
    close() {
      closing ??= (async () => {
        const grace = options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs;
        log.info({ running: running.size, graceMs: grace }, 'worker shutting down');
        const closed = worker.close();
        const timer = setTimeout(() => {
          for (const abort of running.values()) abort.abort(HANDED_BACK);
        }, grace);
        try {
          await closed;
        } finally {
          clearTimeout(timer);
          if (ownsClient) client.disconnect();
        }
      })();
      return closing;
    },
  };
}

/** The superseded ending is already encoded: the catch-all below must pass it through unchanged. */
function outcomeIsFinal(err: unknown): boolean {
  return err instanceof UnrecoverableError && err.message === encodeFailure('PF_ERR_CONFLICT', SUPERSEDED_MESSAGE);
}

function compact(event: ProgressEvent): JobProgressEvent {
  const at = new Date().toISOString();
  if (event.type === 'drafted') {
    return {
      type: 'drafted',
      round: event.round,
      hasPolicy: event.policy !== undefined,
      ...(event.error ? { error: event.error } : {}),
      at,
    };
  }
  return { ...event, at };
}

/**
 * Known secret values never leave the worker in a result or a checkpoint (the loop should not put them
 * there; this makes sure).
 */
function scrub<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  let text = JSON.stringify(value);
  if (!secrets.some((s) => text.includes(s))) return value;
  for (const s of secrets) text = text.split(JSON.stringify(s).slice(1, -1)).join('[redacted]');
  return JSON.parse(text) as T;
}
