import type { Redis } from 'ioredis';
import type { Logger } from '../common/index.js';
import { QUEUE_NAMES } from './job-schema.js';

/**
 * A running job's loop checkpoint (the rounds already paid for: plan, drafts, reports, verdicts), kept in
 * Redis beside the job so a re-run of the same job (its worker died, or lost the lock in a Redis outage
 * longer than it) resumes instead of asking the model again. The worker treats it as opaque JSON: the loop
 * writes it and decides whether it can resume from it (src/loop/checkpoint.ts).
 */
export function checkpointKey(prefix: string, jobId: string): string {
  return `${prefix}:${QUEUE_NAMES.generation}:checkpoint:${jobId}`;
}

/** Renewed on every write; long enough for a job handed back or retried with backoff to come round again. */
export const CHECKPOINT_TTL_SECONDS = 86_400;
/**
 * How long the loop waits for a checkpoint write before it goes on. A write stuck in a Redis outage is not
 * worth stopping the run for: it lands when Redis answers, in order, or the re-run starts earlier.
 */
export const CHECKPOINT_WAIT_MS = 2000;

interface Stored {
  /** The job's creation time: a later job that reuses the id (the operator's spec-hash ids do) is another job. */
  jobCreatedAt: number;
  checkpoint: unknown;
}

export interface CheckpointStore {
  /** The checkpoint an earlier run of this job left, or undefined (none, another job's, unreadable). */
  load(): Promise<unknown>;
  /** Writes it (secrets scrubbed); resolves once written or after CHECKPOINT_WAIT_MS, never rejects. */
  save(checkpoint: unknown): Promise<void>;
  /** After the job's final outcome: nothing is left to resume. Waits for writes still in flight first. */
  drop(): Promise<void>;
}

export function checkpointStore(
  client: Redis,
  key: string,
  jobCreatedAt: number,
  scrub: (value: unknown) => unknown,
  log: Logger,
): CheckpointStore {
  // Chained so an older checkpoint never lands after a newer one.
  let writes: Promise<void> = Promise.resolve();
  return {
    async load() {
      try {
        const text = await client.get(key);
        if (!text) return undefined;
        const stored = JSON.parse(text) as Partial<Stored>;
        if (stored.jobCreatedAt !== jobCreatedAt) {
          log.info('checkpoint left by an earlier job with this id: ignored');
          return undefined;
        }
        return stored.checkpoint;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'checkpoint not read: the run starts from its first step');
        return undefined;
      }
    },
    async save(checkpoint) {
      const text = JSON.stringify({ jobCreatedAt, checkpoint: scrub(checkpoint) } satisfies Stored);
      writes = writes
        .then(async () => void (await client.set(key, text, 'EX', CHECKPOINT_TTL_SECONDS)))
        .catch((err: Error) => log.warn({ err: err.message }, 'checkpoint not written: a re-run starts earlier'));
      await atMost(writes, CHECKPOINT_WAIT_MS);
    },
    async drop() {
      await atMost(writes, CHECKPOINT_WAIT_MS);
      await client.del(key).catch((err: Error) => log.warn({ err: err.message }, 'checkpoint not removed: it expires'));
    },
  };
}

async function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
