import { createHash, randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { canonicalJson, PolicyforgeError, isPolicyforgeError } from '../common/index.js';
import { createRedisClient, withRedis, type RedisConnection } from './connection.js';
import {
  GENERATION_JOB_NAME,
  QUEUE_NAMES,
  jobContentKey,
  parseGenerationJobData,
  type GenerationJobData,
} from './job-schema.js';
import { isSupersededFailure, supersededKey, toJobView, type JobState, type JobView } from './job-view.js';

/** How long finished jobs (results and transcripts) are kept. */
export interface RetentionOptions {
  /** Seconds a completed job is kept. @defaultValue 604800 (7 days) */
  completedAgeSeconds?: number;
  /** Completed jobs kept at most. @defaultValue 1000 */
  completedCount?: number;
  /** Seconds a failed job is kept. @defaultValue 2592000 (30 days) */
  failedAgeSeconds?: number;
  /** Failed jobs kept at most. @defaultValue 5000 */
  failedCount?: number;
}

export interface GenerationQueueOptions {
  /** Redis URL or ioredis client (a client passed in is not closed by close()). */
  connection: RedisConnection;
  /** BullMQ key prefix; every producer and worker sharing jobs must use the same one. @defaultValue 'bull' */
  prefix?: string;
  retention?: RetentionOptions;
  /** Attempts per job; only retryable errors use more than one. @defaultValue 3 */
  attempts?: number;
  /** First retry delay; doubles each attempt. @defaultValue 5000 */
  backoffMs?: number;
  /** How long an Idempotency-Key is remembered. @defaultValue 86400 */
  idempotencyTtlSeconds?: number;
  /**
   * How long an Idempotency-Key claim is kept while its job is not known to exist (the request timed out
   * or failed between claim and enqueue); a retry within it finishes the same enqueue. @defaultValue 120
   */
  idempotencyClaimTtlSeconds?: number;
  /** Answer PF_ERR_REDIS_UNAVAILABLE when Redis does not answer within this time. @defaultValue 3000 */
  redisTimeoutMs?: number;
}

export interface EnqueueOptions {
  /** Use this job id (the operator derives one from uid + hash). Default: a random UUID. */
  jobId?: string;
  /** A client's Idempotency-Key: the same key with the same data answers the first job again. */
  idempotencyKey?: string;
}

export interface EnqueueResult {
  id: string;
  /** True when an identical intent was already in flight (or the job id already existed): no new job. */
  deduplicated: boolean;
  /** True when the answer comes from an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
}

export interface ListJobsOptions {
  /** @defaultValue all finished and unfinished states */
  states?: JobState[];
  /** @defaultValue 0 */
  start?: number;
  /** @defaultValue 49 */
  end?: number;
}

export interface GenerationQueue {
  enqueue(data: GenerationJobData, opts?: EnqueueOptions): Promise<EnqueueResult>;
  getJob(id: string): Promise<JobView | undefined>;
  /** Most recent first. */
  listJobs(options?: ListJobsOptions): Promise<JobView[]>;
  counts(): Promise<Record<string, number>>;
  /**
   * A newer request replaces this job (the operator: a newer spec of the same object). Not started: it is
   * removed. Running: it is flagged, and its worker stops it within `supersededCheckMs` and fails it as
   * superseded (no more model calls). Finished or gone: nothing to do. Enqueuing the same id again (the
   * spec changed back) clears the flag, and a job that already ended superseded is replaced by a fresh one.
   */
  supersede(id: string): Promise<'removed' | 'stopping' | 'finished'>;
  /** Throws PF_ERR_REDIS_UNAVAILABLE unless Redis answers. */
  ping(): Promise<void>;
  /**
   * Calls `listener` whenever the job's progress or state changes (via BullMQ's event stream, so a job
   * running on another machine is seen), with the event's name. Returns the function that stops listening.
   */
  watch(id: string, listener: (event: JobEventName) => void): () => void;
  /**
   * Whether each job has finished, in one Redis round trip for all of them, reading no job's data: for
   * callers that wait for many jobs (the operator) and read a job in full only once it finished.
   */
  settledStates(ids: readonly string[]): Promise<Map<string, SettledState>>;
  /** The BullMQ queue, for dashboards (bull-board) and advanced producers. */
  readonly queue: Queue;
  /** The key prefix (shared with workers); other keys of the service (rate limits) go under it too. */
  readonly prefix: string;
  /** The producer's fail-fast Redis client (rate limits, readiness); owned by the queue. */
  readonly client: Redis;
  /** Runs a Redis operation with this queue's deadline: PF_ERR_REDIS_UNAVAILABLE when Redis does not answer. */
  withRedis<T>(operation: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The BullMQ events a watcher hears about. */
export const JOB_EVENTS = [
  'progress',
  'active',
  'completed',
  'failed',
  'waiting',
  'retries-exhausted',
  'stalled',
] as const;
export type JobEventName = (typeof JOB_EVENTS)[number];

/** A job finished (`completed`, `failed`), is still to finish (`pending`: waiting, delayed, active …), or is gone. */
export type SettledState = 'completed' | 'failed' | 'pending' | 'unknown';

/**
 * settledStates' one round trip: the finished sets' scores and the job hash's existence, per id. Reading
 * BullMQ's own sets (as its getState script does) keeps this right for jobs any producer added.
 * KEYS: completed, failed, the job key prefix; ARGV: job ids.
 */
const SETTLED_STATES = `local out = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) then out[i] = 'completed'
  elseif redis.call('ZSCORE', KEYS[2], id) then out[i] = 'failed'
  elseif redis.call('EXISTS', KEYS[3] .. id) == 1 then out[i] = 'pending'
  else out[i] = 'unknown' end
end
return out`;

/** Ids per settledStates script call: keeps one call's reply and Redis's time in it small. */
const SETTLED_STATES_BATCH = 1000;

/** What an Idempotency-Key remembers: the body it came with and the job id chosen for it. */
interface IdempotencyRecord {
  bodyHash?: string;
  jobId?: string;
  /** Set once the job is known to be in the queue. */
  enqueued?: boolean;
}

/** A superseded job's flag outlives any run of it. */
const SUPERSEDED_FLAG_TTL_SECONDS = 86_400;

/** Deletes a claim only while it is still the one this request wrote. */
const RELEASE_CLAIM = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

const DEFAULTS = {
  prefix: 'bull',
  attempts: 3,
  backoffMs: 5000,
  idempotencyTtlSeconds: 86_400,
  idempotencyClaimTtlSeconds: 120,
  redisTimeoutMs: 3000,
  retention: { completedAgeSeconds: 604_800, completedCount: 1000, failedAgeSeconds: 2_592_000, failedCount: 5000 },
} as const;

/** BullMQ job options a producer should use; docs/queue.md lists the same values for plain bullmq producers. */
export function defaultJobOptions(
  options: Pick<GenerationQueueOptions, 'attempts' | 'backoffMs' | 'retention'> = {},
): JobsOptions {
  const retention = { ...DEFAULTS.retention, ...options.retention };
  return {
    attempts: options.attempts ?? DEFAULTS.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULTS.backoffMs },
    removeOnComplete: { age: retention.completedAgeSeconds, count: retention.completedCount },
    removeOnFail: { age: retention.failedAgeSeconds, count: retention.failedCount },
  };
}

export function createGenerationQueue(options: GenerationQueueOptions): GenerationQueue {
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const ownsClient = typeof options.connection === 'string';
  const client: Redis = createRedisClient(options.connection, 'queue');
  // Without a listener ioredis prints every reconnect failure; the API reports them as 503s instead.
  client.on('error', () => {});
  const queue = new Queue(QUEUE_NAMES.generation, {
    connection: client,
    prefix,
    defaultJobOptions: defaultJobOptions(options),
  });
  queue.on('error', () => {});
  const jobOptions = defaultJobOptions(options);
  const timeoutMs = options.redisTimeoutMs ?? DEFAULTS.redisTimeoutMs;
  const idempotencyTtl = options.idempotencyTtlSeconds ?? DEFAULTS.idempotencyTtlSeconds;
  const claimTtl = Math.min(options.idempotencyClaimTtlSeconds ?? DEFAULTS.idempotencyClaimTtlSeconds, idempotencyTtl);
  const redis = <T>(op: () => Promise<T>): Promise<T> => withRedis(op, timeoutMs, client);

  let events: QueueEvents | undefined;
  const watchers = new Map<string, Set<(event: JobEventName) => void>>();
  const notifier =
    (event: JobEventName) =>
    ({ jobId }: { jobId: string }): void => {
      for (const listener of watchers.get(jobId) ?? []) listener(event);
    };
  const startEvents = (): QueueEvents => {
    if (events) return events;
    const blocking = createRedisClient(
      typeof options.connection === 'string' ? options.connection : client.duplicate(),
      'worker',
    );
    blocking.on('error', () => {});
    events = new QueueEvents(QUEUE_NAMES.generation, { connection: blocking, prefix });
    events.on('error', () => {});
    for (const name of JOB_EVENTS) events.on(name as 'progress', notifier(name) as never);
    const closeBlocking = events.close.bind(events);
    events.close = async () => {
      await closeBlocking();
      blocking.disconnect();
    };
    return events;
  };

  /**
   * An Idempotency-Key record names the job id before the job is added, so claim and enqueue act as one
   * step: whoever finds the record (a retry after a timeout, a second concurrent request) adds the same job
   * id again, which BullMQ answers with the existing job. Until the job is known to exist the record lives
   * `claimTtl` seconds, so a claim whose job never came is forgotten quickly.
   */
  async function enqueue(data: GenerationJobData, opts: EnqueueOptions = {}): Promise<EnqueueResult> {
    const valid = parseGenerationJobData(data, 'generation job');
    const contentKey = jobContentKey(valid);
    let jobId = opts.jobId ?? randomUUID();
    const idemKey = opts.idempotencyKey
      ? `${prefix}:${QUEUE_NAMES.generation}:idempotency:${opts.idempotencyKey}`
      : undefined;
    const bodyHash = createHash('sha256').update(canonicalJson(valid)).digest('hex');
    let replayed = false;

    if (idemKey) {
      const claim: IdempotencyRecord = { bodyHash, jobId };
      const claimed = await redis(() => client.set(idemKey, JSON.stringify(claim), 'EX', claimTtl, 'NX'));
      if (claimed !== 'OK') {
        const earlier = JSON.parse((await redis(() => client.get(idemKey))) ?? '{}') as IdempotencyRecord;
        if (earlier.bodyHash !== bodyHash) {
          throw new PolicyforgeError(
            'PF_ERR_CONFLICT',
            ['this Idempotency-Key was already used with a different request body'],
            {
              details: { idempotencyKey: opts.idempotencyKey },
            },
          );
        }
        if (earlier.jobId && earlier.enqueued) return { id: earlier.jobId, deduplicated: true, replayed: true };
        // claimed earlier, job not confirmed (that request timed out or is still running): finish its add
        if (earlier.jobId) jobId = earlier.jobId;
        replayed = true;
      }
    }

    try {
      let existing = opts.jobId || replayed ? await redis(() => queue.getJob(jobId)) : undefined;
      if (opts.jobId) {
        // asked for again by id: whatever superseded it no longer does
        await redis(() => client.del(supersededKey(prefix, jobId)));
        if (existing && isSupersededFailure(existing.failedReason)) {
          await redis(() => queue.remove(jobId));
          existing = undefined;
        }
      }
      const job = await redis(() =>
        queue.add(GENERATION_JOB_NAME, valid, { ...jobOptions, jobId, deduplication: { id: contentKey } }),
      );
      const id = String(job.id);
      if (idemKey) {
        const record: IdempotencyRecord = { bodyHash, jobId: id, enqueued: true };
        await redis(() => client.set(idemKey, JSON.stringify(record), 'EX', idempotencyTtl));
      }
      return { id, deduplicated: id !== jobId || existing !== undefined, ...(replayed ? { replayed } : {}) };
    } catch (err) {
      // Refused before reaching Redis (not an outage): nothing was added, so the key is free again at once.
      // On an outage the claim stays for claimTtl: the add may still land, and a retry repeats it harmlessly.
      if (idemKey && !isPolicyforgeError(err, 'PF_ERR_REDIS_UNAVAILABLE')) {
        await client.eval(RELEASE_CLAIM, 1, idemKey, JSON.stringify({ bodyHash, jobId })).catch(() => undefined);
      }
      throw err;
    }
  }

  return {
    enqueue,
    async getJob(id) {
      const state = await redis(() => queue.getJobState(id));
      if (state === 'unknown') return undefined;
      const job = await redis(() => queue.getJob(id));
      return job ? toJobView(job, state) : undefined;
    },
    async listJobs({ states, start = 0, end = 49 } = {}) {
      const wanted = states ?? ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'];
      const views: JobView[] = [];
      for (const state of wanted) {
        const jobs = await redis(() => queue.getJobs([state as never], start, end, false));
        for (const job of jobs) if (job) views.push(toJobView(job, state));
      }
      return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, end - start + 1);
    },
    counts: () => redis(() => queue.getJobCounts()),
    async supersede(id) {
      const state = await redis(() => queue.getJobState(id));
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        // removal fails (0) when a worker took the job meanwhile: then it is flagged like a running one
        if ((await redis(() => queue.remove(id))) === 1) return 'removed';
      } else if (state !== 'active') {
        return 'finished';
      }
      await redis(() => client.set(supersededKey(prefix, id), '1', 'EX', SUPERSEDED_FLAG_TTL_SECONDS));
      return 'stopping';
    },
    async settledStates(ids) {
      const states = new Map<string, SettledState>();
      const keys = [queue.keys.completed, queue.keys.failed, queue.toKey('')];
      for (let i = 0; i < ids.length; i += SETTLED_STATES_BATCH) {
        const batch = ids.slice(i, i + SETTLED_STATES_BATCH);
        const answer = (await redis(() => client.eval(SETTLED_STATES, keys.length, ...keys, ...batch))) as string[];
        batch.forEach((id, k) => states.set(id, answer[k] as SettledState));
      }
      return states;
    },
    async ping() {
      await redis(() => client.ping());
    },
    watch(id, listener) {
      startEvents();
      let set = watchers.get(id);
      if (!set) watchers.set(id, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) watchers.delete(id);
      };
    },
    queue,
    prefix,
    client,
    withRedis: redis,
    async close() {
      await events?.close();
      await queue.close();
      if (ownsClient) client.disconnect();
    },
  };
}
