import type { Job } from 'bullmq';
import type { ErrorCode, GenerationResult, Intent, ProgressEvent } from '../common/index.js';
import { ERRORS } from '../common/index.js';
import { QUEUE_NAMES } from './job-schema.js';

/** BullMQ's job states plus `unknown` (removed between two reads). */
export const JOB_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'active',
  'completed',
  'failed',
  'waiting-children',
  'unknown',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * A progress event as kept on the job: the loop's ProgressEvent with a timestamp. Drafts are kept
 * without their policy (the transcript in the result has every draft); this keeps progress small.
 */
export type JobProgressEvent = (
  Exclude<ProgressEvent, { type: 'drafted' }> | { type: 'drafted'; round: number; hasPolicy: boolean; error?: string }
) & { at: string };

export interface JobProgress {
  /** The round being worked on (0 before the first). */
  round: number;
  events: JobProgressEvent[];
}

/** What the API and the operator read about a generation job. */
export interface JobView {
  id: string;
  state: JobState;
  intent: Intent;
  requestedBy?: string;
  progress: JobProgress;
  /** Present once completed. `result.rounds` is the transcript. */
  result?: GenerationResult;
  /** Present once failed for good (or between retries): the PolicyforgeError code and message. */
  error?: { code: ErrorCode; message: string };
  attempts: { made: number; max: number };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Time from enqueue to the first start, in milliseconds. */
  queuedMs?: number;
}

/** `state` must be read before `job` (so a job seen `completed` or `failed` also carries its result or error). */
export function toJobView(job: Job, state: string): JobView {
  return {
    id: String(job.id),
    state: (JOB_STATES as readonly string[]).includes(state) ? (state as JobState) : 'unknown',
    intent: job.data?.intent,
    ...(job.data?.requestedBy ? { requestedBy: job.data.requestedBy } : {}),
    progress: isProgress(job.progress) ? job.progress : { round: 0, events: [] },
    ...(state === 'completed' && job.returnvalue ? { result: job.returnvalue as GenerationResult } : {}),
    ...(job.failedReason ? { error: decodeFailure(job.failedReason) } : {}),
    attempts: { made: job.attemptsMade, max: job.opts.attempts ?? 1 },
    createdAt: new Date(job.timestamp).toISOString(),
    ...(job.processedOn
      ? { startedAt: new Date(job.processedOn).toISOString(), queuedMs: job.processedOn - job.timestamp }
      : {}),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
  };
}

export function isProgress(value: unknown): value is JobProgress {
  return !!value && typeof value === 'object' && Array.isArray((value as JobProgress).events);
}

/** Failures are stored by BullMQ as a string; the worker writes `PF_ERR_…: message` so the code survives. */
export function encodeFailure(code: ErrorCode, message: string): string {
  return `${code}: ${message}`;
}

export function decodeFailure(reason: string): { code: ErrorCode; message: string } {
  const match = /^(PF_ERR_[A-Z_]+): ([\s\S]*)$/.exec(reason);
  if (match && match[1] in ERRORS) return { code: match[1] as ErrorCode, message: match[2] };
  return { code: 'PF_ERR_INTERNAL', message: reason };
}

/** How a job stopped because a newer request replaced it ends: PF_ERR_CONFLICT with this message. */
export const SUPERSEDED_MESSAGE = 'superseded by a newer request for the same object; stopped without finishing';

export function isSupersededFailure(reason: string | undefined): boolean {
  return !!reason && reason === encodeFailure('PF_ERR_CONFLICT', SUPERSEDED_MESSAGE);
}

/** The Redis key that flags a running job as superseded (set by the queue, read by the job's worker). */
export function supersededKey(prefix: string, jobId: string): string {
  return `${prefix}:${QUEUE_NAMES.generation}:superseded:${jobId}`;
}
