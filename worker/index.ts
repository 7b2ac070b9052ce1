/**
 * worker/: the BullMQ queue of generation jobs and the worker that runs the loop for them.
 * Producers: createGenerationQueue (the API, the operator) or plain bullmq (docs/queue.md).
 * Consumers: startGenerationWorker with an injected generate function (production: src/serve.ts).
 */
export {
  QUEUE_NAMES,
  GENERATION_JOB_NAME,
  generationJobDataSchema,
  parseGenerationJobData,
  intentContentKey,
  jobContentKey,
  againstRefSchema,
  type GenerationJobData,
  type AgainstRef,
} from './job-schema.js';
export {
  createGenerationQueue,
  defaultJobOptions,
  type GenerationQueue,
  type GenerationQueueOptions,
  type RetentionOptions,
  type EnqueueOptions,
  type EnqueueResult,
  type ListJobsOptions,
  type JobEventName,
  type SettledState,
} from './generation-queue.js';
export {
  startGenerationWorker,
  type GenerationWorker,
  type GenerationWorkerOptions,
  type GenerateFn,
  type GenerateContext,
} from './generation-worker.js';
export {
  JOB_STATES,
  SUPERSEDED_MESSAGE,
  decodeFailure,
  type JobState,
  type JobView,
  type JobProgress,
  type JobProgressEvent,
} from './job-view.js';
export { checkpointKey, CHECKPOINT_TTL_SECONDS, CHECKPOINT_WAIT_MS } from './checkpoint.js';
export { GenerationMetrics, JOB_OUTCOMES, type JobOutcome } from './metrics.js';
export {
  createRedisClient,
  withRedis,
  isRedisUnavailable,
  redactUrl,
  probeRedis,
  waitForRedis,
  explainRedisError,
  type RedisConnection,
} from './connection.js';
