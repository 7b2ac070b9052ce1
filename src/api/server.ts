import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import Fastify from 'fastify';
import { Gauge, Histogram } from 'prom-client';
import { PolicyforgeError, logger as rootLogger, type Logger } from '../../common/index.js';
import { GenerationMetrics, JOB_STATES, type GenerationQueue } from '../../worker/index.js';
import { createAuthenticator, requireAuth } from './auth.js';
import { errorBody, errorBodySchema, toPolicyforgeError } from './errors.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIntentRoutes } from './routes/intents.js';
import { registerPolicyRoutes, type PolicyTester } from './routes/policies.js';
import { registerReviewPage } from './routes/review-page.js';
import { registerSkillRoutes, type SkillSearchEmbeddings, type SkillStoreForApi } from './routes/skills.js';

export interface ApiDeps {
  queue: GenerationQueue;
  /** The skill store (skills/ SkillStore; the API uses this subset). */
  store: SkillStoreForApi;
  /**
   * The loop's embeddings (agents' createEmbeddings(model), whose errors carry no key) for GET /v1/skills?q=,
   * so a reviewer's search ranks as the coder's retrieval does; undefined: lexical ranking only (offline).
   */
  embeddings?: SkillSearchEmbeddings['embeddings'];
  /** The model's embeddingsModel: the key of the vectors cached in the store, the same as the loop's. */
  embeddingModel?: string;
  /** Runs suites against policies for POST /v1/policies/test (production: sandbox/ with 'process' isolation). */
  policies: PolicyTester;
  /** The process's metrics registry; the API adds its HTTP and queue metrics to it. @defaultValue a new one */
  metrics?: GenerationMetrics;
  /** @defaultValue logger().child({ module: 'api' }) */
  logger?: Logger;
}

export interface ApiOptions {
  /** The bearer token; undefined serves without auth (only with --insecure-no-auth). */
  token?: string;
  /** Largest request body in bytes. @defaultValue 262144 */
  bodyLimitBytes?: number;
  /** POST /v1/intents per client per minute; 0 = unlimited. @defaultValue 60 */
  intentsPerMinute?: number;
  /** Mount the bull-board queue dashboard at /admin/queues. @defaultValue true */
  dashboard?: boolean;
  /** Values never echoed in error messages (the token, the model key). */
  secrets?: string[];
  /** Clock (ms) for rate-limit windows. @defaultValue Date.now */
  now?: () => number;
}

export const API_VERSION = '1.0.0';

/** Builds the HTTP API (not listening): the caller calls `app.listen()` and `app.close()`. */
export async function buildApi(deps: ApiDeps, options: ApiOptions = {}) {
  const log = deps.logger ?? rootLogger().child({ module: 'api' });
  const metrics = deps.metrics ?? new GenerationMetrics();
  const secrets = [...(options.secrets ?? []), ...(options.token ? [options.token] : [])];
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 262_144,
    // Per-request access lines (info) would drown the log in probes and scrapes; Fastify's warnings stay.
    loggerInstance: log.child({}, { level: 'warn' }),
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  });

  // One error shape for everything, mapped in one place.
  app.setErrorHandler((err, request, reply) => {
    const pf = toPolicyforgeError(err, { bodyLimitBytes: options.bodyLimitBytes ?? 262_144 });
    if (pf.status >= 500) log.error({ err: (pf.cause as Error | undefined)?.message ?? pf.message, code: pf.code, url: request.url }, 'request failed');
    if (pf.code === 'PF_ERR_REDIS_UNAVAILABLE' || pf.code === 'PF_ERR_STORE_UNAVAILABLE') reply.header('retry-after', '5');
    if (pf.code === 'PF_ERR_RATE_LIMITED') reply.header('retry-after', String(pf.details?.retryAfterSeconds ?? 60));
    return reply.status(pf.status).send(errorBody(pf, secrets));
  });
  app.setNotFoundHandler((request, reply) => {
    const pf = new PolicyforgeError('PF_ERR_NOT_FOUND', [`route ${request.method} ${request.url.split('?')[0]}`]);
    return reply.status(404).send(errorBody(pf));
  });

  const auth = options.token ? createAuthenticator(options.token) : undefined;
  if (!auth) log.warn('serving WITHOUT authentication (--insecure-no-auth): anyone who can reach this port can use the API');
  app.addHook('onRequest', requireAuth(auth));

  const httpSeconds = new Histogram({
    name: 'policyforge_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    httpSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  const { queue } = deps;
  new Gauge({
    name: 'policyforge_queue_jobs',
    help: 'Generation jobs in the queue by state (all workers)',
    labelNames: ['state'],
    registers: [metrics.registry],
    async collect() {
      const counts = await queue.counts().catch(() => undefined);
      for (const state of JOB_STATES) if (counts && state in counts) this.set({ state }, counts[state]);
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'policyforge',
        version: API_VERSION,
        description: 'Plain-language Kubernetes policy intents → verified jsPolicy JsPolicies, and the reviewed skill library. Every error is `{error: {code, message, details?}}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(errorBodySchema);

  await app.register(async (scope) => {
    registerHealthRoutes(scope, deps);
    registerIntentRoutes(scope, { queue, logger: log, intentsPerMinute: options.intentsPerMinute ?? 60, authenticated: !!auth, now: options.now ?? Date.now });
    registerSkillRoutes(scope, { store: deps.store, queue, embeddings: deps.embeddings, embeddingModel: deps.embeddingModel, logger: log });
    registerPolicyRoutes(scope, { policies: deps.policies, metrics });
    registerReviewPage(scope, auth);
    scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
    scope.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });

  if (options.dashboard ?? true) {
    const board = new FastifyAdapter();
    createBullBoard({ queues: [new BullMQAdapter(queue.queue, { readOnlyMode: false })], serverAdapter: board as never }); // fastify adapter pins @bull-board/api 9.10.1: same shape, distinct type
    board.setBasePath('/admin/queues');
    await app.register(board.registerPlugin() as never, { prefix: '/admin/queues' });
  }
  return app;
}

export type ApiServer = Awaited<ReturnType<typeof buildApi>>;
