import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { createEmbeddings, type ModelConfig } from '../agents/index.js';
import { PolicyforgeError, logger as rootLogger, type JsPolicy, type Logger } from '../common/index.js';
import { createSandbox, type SandboxRunner } from '../sandbox/index.js';
import { openRedisStore, type SkillStore } from '../skills/index.js';
import {
  GenerationMetrics,
  createGenerationQueue,
  createRedisClient,
  redactUrl,
  startGenerationWorker,
  waitForRedis as waitForRedisUp,
  type GenerateFn,
  type GenerationQueue,
} from '../worker/index.js';
import { buildApi, createAuthenticator, errorBody } from './api/index.js';
import type { ServiceConfig } from './config.js';
import { withImpactPreview } from './impact/index.js';
import { createGenerator, type Generator } from './loop/index.js';

/** Time allowed to each shutdown step beyond the jobs' grace period. */
const SHUTDOWN_STEP_MS = 10_000;

export const SERVICE_ROLES = ['all', 'api', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface ServiceOptions {
  config: ServiceConfig;
  /** all: API + worker in one process; api: HTTP only; worker: jobs only (with /healthz and /metrics). @defaultValue 'all' */
  role?: ServiceRole;
  /** The model (agents' loadModelConfig); undefined = offline planner/coder. */
  model?: ModelConfig;
  /** Replaces the loop (tests, benchmarks); production leaves it unset. */
  generate?: GenerateFn;
  /**
   * The loop's server-side dry-run (GenerateDeps.dryRun), when the worker has cluster access: `policyforge
   * operator --with-worker` passes the operator's (src/operator clusterDryRun), so an API server refusal is
   * the next round's feedback in the same job. Unused with `generate`.
   */
  dryRun?: (policy: JsPolicy) => Promise<string[]>;
  /** How long to wait for Redis at start-up. @defaultValue 30000 */
  redisWaitMs?: number;
  /** @defaultValue logger() */
  logger?: Logger;
}

export interface RunningService {
  /** http://host:port the process answers on. */
  url: string;
  role: ServiceRole;
  /** Graceful: stop taking requests and jobs, let running jobs finish (up to the grace period), close connections. */
  close(): Promise<void>;
}

/**
 * `policyforge serve`: the HTTP API and/or generation workers on one Redis. Untrusted policy code runs only
 * in the sandbox's child processes ('process' isolation), never in this process.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config } = options;
  const role = options.role ?? 'all';
  const log = (options.logger ?? rootLogger()).child({ module: 'serve' });
  const metrics = new GenerationMetrics(new Registry(), { defaultMetrics: true });
  const secrets = [config.apiToken, config.adminToken, options.model?.apiKey].filter((s): s is string => !!s);
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      const step = close.toString().replace(/\s+/g, ' ').slice(0, 60);
      log.debug({ step }, 'shutdown step');
      // Every step settles on its own (the sandbox's close() holds the loop open and SIGKILLs children that
      // ignore SIGTERM); the deadline is only for a dependency that genuinely hangs (Redis, a stuck job).
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn({ step }, 'shutdown step did not finish in time; going on');
          resolve();
        }, SHUTDOWN_STEP_MS + config.shutdownGraceMs);
      });
      await Promise.race([
        close().catch((err: unknown) => log.warn({ step, err: (err as Error).message }, 'shutdown step failed')),
        deadline,
      ]);
      clearTimeout(timer);
    }
    log.info('stopped');
  };

  try {
    await waitForRedis(config.redisUrl, options.redisWaitMs ?? 30_000, log);
    const sandboxes = serviceSandboxes(config, role);
    for (const s of [sandboxes.generation, sandboxes.tests]) if (s) closers.push(() => s.close());

    if (role !== 'api' && sandboxes.generation) {
      const generationSandbox = sandboxes.generation;
      // The worker's store connection waits out a Redis blip (queued commands) rather than failing the job.
      const storeClient = createRedisClient(config.redisUrl, 'worker');
      storeClient.on('error', () => undefined);
      closers.push(async () => storeClient.disconnect());
      const store = await openRedisStore(storeClient, { prefix: config.skillPrefix });
      closers.push(() => store.close());
      let generate = options.generate;
      if (!generate) {
        const generator: Generator = await createGenerator({
          store,
          sandbox: generationSandbox,
          isolation: 'process',
          model: options.model ?? null,
          logger: log.child({ module: 'loop' }),
          dryRun: options.dryRun,
        });
        closers.push(() => generator.close());
        // The context carries onProgress, signal, resume and onCheckpoint: a re-run job resumes its rounds.
        generate = (intent, ctx) => generator.generate(intent, ctx);
      }
      // A job naming an `against` upload: its verified policy is replayed against it (in a sandbox child process).
      generate = withImpactPreview(generate, { client: storeClient, prefix: config.queuePrefix, logger: log });
      const started = startGenerationWorker({
        connection: config.redisUrl,
        prefix: config.queuePrefix,
        concurrency: config.concurrency,
        generate,
        metrics,
        secrets,
        shutdownGraceMs: config.shutdownGraceMs,
        logger: log,
      });
      closers.push(() => started.close());
    }

    let url: string;
    if (role !== 'worker' && sandboxes.tests) {
      const testSandbox = sandboxes.tests;
      const queue: GenerationQueue = createGenerationQueue({
        connection: config.redisUrl,
        prefix: config.queuePrefix,
        attempts: config.jobAttempts,
        retention: {
          completedAgeSeconds: config.retentionDays * 86_400,
          failedAgeSeconds: config.retentionDays * 86_400,
        },
      });
      closers.push(() => queue.close());
      await queue.ping();
      const store: SkillStore = await openRedisStore(queue.client, { prefix: config.skillPrefix });
      closers.push(() => store.close());
      // The loop's embeddings and cache key (src/loop/create-generator.ts), so GET /v1/skills?q= ranks as the coder's retrieval does.
      const embeddings = options.model ? createEmbeddings(options.model) : undefined;
      const app = await buildApi(
        {
          queue,
          store,
          policies: testSandbox,
          metrics,
          logger: log.child({ module: 'api' }),
          ...(embeddings ? { embeddings, embeddingModel: options.model?.embeddingsModel } : {}),
        },
        {
          token: config.apiToken,
          adminToken: config.adminToken,
          bodyLimitBytes: config.bodyLimitBytes,
          requestTimeoutMs: config.requestTimeoutMs,
          intentsPerMinute: config.intentsPerMinute,
          policyTests: {
            maxCases: config.testMaxCases,
            timeLimitMs: config.testTimeLimitMs,
            maxOutputBytes: config.testMaxOutputBytes,
            perMinute: config.testsPerMinute,
            maxConcurrent: config.testSandboxProcesses * 2,
          },
          secrets,
        },
      );
      if (!config.apiToken) {
        log.warn(
          { host: config.host },
          isLoopback(config.host)
            ? 'authentication is off: listening on this machine only (127.0.0.1); set HOST to listen elsewhere'
            : `authentication is off and HOST=${config.host} was given: anyone who can reach this address can use the API`,
        );
      }
      url = await app.listen({ host: config.host, port: config.port });
      // Closed first on shutdown (closers run in reverse): no new requests while the worker drains.
      closers.push(() => app.close());
    } else {
      url = await startWorkerProbeServer(config, metrics, closers);
    }
    log.info(
      {
        url,
        role,
        concurrency: role === 'api' ? 0 : config.concurrency,
        redis: redactUrl(config.redisUrl),
        model: options.model?.model ?? 'offline',
      },
      'policyforge serving',
    );

    let closing: Promise<void> | undefined;
    return { url, role, close: () => (closing ??= closeAll()) };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The sandboxes a role needs: generation's pool for the worker, and a separate pool for POST
 * /v1/policies/test, so tests sent over HTTP never hold the sandboxes generation waits for.
 */
export function serviceSandboxes(
  config: Pick<ServiceConfig, 'sandboxProcesses' | 'testSandboxProcesses'>,
  role: ServiceRole,
): { generation?: SandboxRunner; tests?: SandboxRunner } {
  return {
    ...(role !== 'api'
      ? { generation: createSandbox({ isolation: 'process', processes: config.sandboxProcesses }) }
      : {}),
    ...(role !== 'worker'
      ? { tests: createSandbox({ isolation: 'process', processes: config.testSandboxProcesses }) }
      : {}),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** A worker-only process still answers probes and scrapes: /healthz (public) and /metrics (token). */
async function startWorkerProbeServer(
  config: ServiceConfig,
  metrics: GenerationMetrics,
  closers: Array<() => Promise<unknown>>,
): Promise<string> {
  const app = Fastify({ requestTimeout: config.requestTimeoutMs, bodyLimit: 1024 });
  const auth = config.apiToken
    ? createAuthenticator({ token: config.apiToken, adminToken: config.adminToken })
    : undefined;
  app.get('/healthz', async () => ({ status: 'ok', role: 'worker' }));
  app.get('/metrics', async (request, reply) => {
    if (auth && !auth.bearerRole(request))
      return reply.status(401).send(errorBody(new PolicyforgeError('PF_ERR_UNAUTHORIZED')));
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const url = await app.listen({ host: config.host, port: config.port });
  closers.push(() => app.close());
  return url;
}

async function waitForRedis(url: string, waitMs: number, log: Logger): Promise<void> {
  // a wrong password, host, port or database fails at once, naming the cause; an absent Redis is waited for
  await waitForRedisUp(url, {
    waitMs,
    onWaiting: (err) => log.warn({ redis: redactUrl(url), err: err.message }, 'waiting for Redis'),
  });
}
