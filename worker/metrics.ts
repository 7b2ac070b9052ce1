import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GenerationResult, ProgressEvent } from '../common/index.js';

/** How a job attempt ended, as counted in `policyforge_jobs_total{outcome}`. */
export const JOB_OUTCOMES = [
  'succeeded',
  'failed-generation',
  'failed',
  'retried',
  'invalid',
  'handed-back',
  'superseded',
] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/**
 * Prometheus metrics of the service. One registry per process: the API adds its HTTP metrics to the same
 * registry, a worker-only process exposes it on its own /metrics. Names follow Prometheus conventions.
 */
export class GenerationMetrics {
  readonly registry: Registry;
  readonly jobs: Counter<'outcome'>;
  readonly jobsRunning: Gauge;
  readonly rounds: Counter;
  readonly verdicts: Counter<'status' | 'source'>;
  readonly tokens: Counter<'kind'>;
  readonly sandboxEvaluations: Counter<'origin'>;
  readonly generationSeconds: Histogram<'status'>;
  readonly queueWaitSeconds: Histogram;

  constructor(registry: Registry = new Registry(), options: { defaultMetrics?: boolean } = {}) {
    this.registry = registry;
    if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'policyforge_' });
    const registers = [registry];
    this.jobs = new Counter({
      name: 'policyforge_jobs_total',
      help: 'Generation job attempts by how they ended',
      labelNames: ['outcome'],
      registers,
    });
    this.jobsRunning = new Gauge({
      name: 'policyforge_jobs_running',
      help: 'Generation jobs running in this process',
      registers,
    });
    this.rounds = new Counter({ name: 'policyforge_rounds_total', help: 'Coder/verify rounds started', registers });
    this.verdicts = new Counter({
      name: 'policyforge_generation_outcomes_total',
      help: 'Finished generations by status (succeeded/failed) and source (model/offline/library)',
      labelNames: ['status', 'source'],
      registers,
    });
    this.tokens = new Counter({
      name: 'policyforge_model_tokens_total',
      help: 'Model tokens used by generations',
      labelNames: ['kind'],
      registers,
    });
    this.sandboxEvaluations = new Counter({
      name: 'policyforge_sandbox_evaluations_total',
      help: 'Admission cases evaluated in the sandbox (origin: generation or api)',
      labelNames: ['origin'],
      registers,
    });
    this.generationSeconds = new Histogram({
      name: 'policyforge_generation_duration_seconds',
      help: 'Time to run one generation job',
      labelNames: ['status'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.queueWaitSeconds = new Histogram({
      name: 'policyforge_queue_wait_seconds',
      help: 'Time a job waited in the queue before a worker started it',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
      registers,
    });
  }

  jobStarted(queuedMs?: number): void {
    this.jobsRunning.inc();
    if (queuedMs !== undefined && queuedMs >= 0) this.queueWaitSeconds.observe(queuedMs / 1000);
  }

  progress(event: ProgressEvent): void {
    if (event.type === 'round-started') this.rounds.inc();
    if (event.type === 'verified') this.sandboxEvaluations.inc({ origin: 'generation' }, event.casesTotal);
  }

  jobSucceeded(result: GenerationResult, durationMs: number): void {
    this.jobsRunning.dec();
    this.jobs.inc({ outcome: result.status === 'succeeded' ? 'succeeded' : 'failed-generation' });
    this.verdicts.inc({ status: result.status, source: result.source });
    this.tokens.inc({ kind: 'prompt' }, result.usage?.promptTokens ?? 0);
    this.tokens.inc({ kind: 'completion' }, result.usage?.completionTokens ?? 0);
    this.generationSeconds.observe({ status: result.status }, durationMs / 1000);
  }

  jobFinished(outcome: Exclude<JobOutcome, 'succeeded' | 'failed-generation'>): void {
    if (outcome !== 'invalid') this.jobsRunning.dec();
    this.jobs.inc({ outcome });
  }
}
