import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import { Gauge, Histogram } from 'prom-client';
import { PolicyforgeError, logger as rootLogger, type Logger } from '../../common/index.js';
import { GenerationMetrics, JOB_STATES, type GenerationQueue } from '../../worker/index.js';
import {
  createAuthenticator,
  dashboardGuard,
  memorySessions,
  redisSessions,
  requireAuth,
  type SessionStore,
} from './auth.js';
import { errorBody, errorBodySchema, toPolicyforgeError } from './errors.js';
import { UPLOAD_LIMITS, type UploadLimits } from '../impact/index.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerImpactRoutes } from './routes/impact.js';
import { registerIntentRoutes } from './routes/intents.js';
import { POLICY_TEST_LIMITS, registerPolicyRoutes } from './routes/policies.js';
import type { PolicyTester, PolicyTestLimits } from './routes/policies.js';
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
  /**
   * Runs suites against policies for POST /v1/policies/test (production: sandbox/ with 'process' isolation,
   * a pool of its own so tests sent over HTTP never take generation's sandboxes).
   */
  policies: PolicyTester;
  /** The process's metrics registry; the API adds its HTTP and queue metrics to it. @defaultValue a new one */
  metrics?: GenerationMetrics;
  /** @defaultValue logger().child({ module: 'api' }) */
  logger?: Logger;
}

export interface ApiOptions {
  /** The bearer token; undefined serves without auth (only with --insecure-no-auth). */
  token?: string;
  /** The admin token: writes on the queue dashboard and Redis's server details. Unset: the dashboard is read-only for everyone. */
  adminToken?: string;
  /** Where browser sessions live. @defaultValue Redis (the queue's connection) */
  sessions?: SessionStore;
  /** Largest request body in bytes. @defaultValue 262144 */
  bodyLimitBytes?: number;
  /** Time to receive a whole request, headers and body; a slower (trickling) client is answered 408 and closed. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Time to receive the request headers. @defaultValue 10000 (at most requestTimeoutMs) */
  headersTimeoutMs?: number;
  /** Limits of POST /v1/policies/test. @defaultValue POLICY_TEST_LIMITS */
  policyTests?: Partial<PolicyTestLimits>;
  /**
   * Bounds of the objects sent to replay a policy against (`against` on POST /v1/intents and /v1/impact,
   * POST /v1/against uploads). @defaultValue UPLOAD_LIMITS (src/impact/upload.ts)
   */
  against?: Partial<UploadLimits>;
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

/** Longest path parameter (ids); a longer one is a 414 in the one error shape, without the URL echoed. */
export const MAX_PARAM_LENGTH = 200;

/** Builds the HTTP API (not listening): the caller calls `app.listen()` and `app.close()`. */
export async function buildApi(deps: ApiDeps, options: ApiOptions = {}) {
  const log = deps.logger ?? rootLogger().child({ module: 'api' });
  const metrics = deps.metrics ?? new GenerationMetrics();
  const secrets = [
    ...(options.secrets ?? []),
    ...(options.token ? [options.token] : []),
    ...(options.adminToken ? [options.adminToken] : []),
  ];
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout);
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 262_144,
    // Node closes a request not fully received in time with 408 (slow, trickled bodies); it checks every
    // connectionsCheckingInterval, so that is kept well under the timeout.
    requestTimeout,
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout,
          headersTimeout,
          connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(headersTimeout / 2))),
        },
        handler,
      ),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's own early answers (a too-long id, a malformed URL) in the one error shape, never echoing the URL.
    frameworkErrors: (err: FastifyError, _request, reply) => {
      const pf =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new PolicyforgeError('PF_ERR_URI_TOO_LONG', [
              `a path parameter (an id) may have at most ${MAX_PARAM_LENGTH} characters`,
            ])
          : new PolicyforgeError('PF_ERR_INPUT_INVALID', ['url', 'is malformed']);
      return (reply as unknown as FastifyReply).status(pf.status).send(errorBody(pf));
    },
    // Per-request access lines (info) would drown the log in probes and scrapes; Fastify's warnings stay.
    loggerInstance: log.child({}, { level: 'warn' }),
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  });

  // One error shape for everything, mapped in one place.
  const againstLimits: UploadLimits = { ...UPLOAD_LIMITS, ...options.against };
  app.setErrorHandler((err, request, reply) => {
    // A route may have its own body limit (POST /v1/against): the 413 names the one that applied.
    const bodyLimitBytes = request.routeOptions?.bodyLimit ?? options.bodyLimitBytes ?? 262_144;
    const pf = toPolicyforgeError(err, { bodyLimitBytes });
    if (pf.status >= 500)
      log.error(
        { err: (pf.cause as Error | undefined)?.message ?? pf.message, code: pf.code, url: request.url },
        'request failed',
      );
    if (pf.code === 'PF_ERR_REDIS_UNAVAILABLE' || pf.code === 'PF_ERR_STORE_UNAVAILABLE')
      reply.header('retry-after', '5');
    if (pf.code === 'PF_ERR_RATE_LIMITED') reply.header('retry-after', String(pf.details?.retryAfterSeconds ?? 60));
    return reply.status(pf.status).send(errorBody(pf, secrets));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const pf = new PolicyforgeError('PF_ERR_NOT_FOUND', [
      `route ${request.method} ${path.length > 120 ? `${path.slice(0, 120)}…` : path}`,
    ]);
    return reply.status(404).send(errorBody(pf));
  });

  const sessions = options.sessions ?? (deps.queue.client ? redisSessions(deps.queue) : memorySessions());
  const auth = options.token
    ? createAuthenticator({ token: options.token, adminToken: options.adminToken }, sessions)
    : undefined;
  if (!auth)
    log.warn('serving WITHOUT authentication (--insecure-no-auth): anyone who can reach this port can use the API');
  app.addHook('onRequest', requireAuth(auth));
  const dashboardPrefix = '/admin/queues';
  if (options.dashboard ?? true) app.addHook('onRequest', dashboardGuard(dashboardPrefix));

  const httpSeconds = new Histogram({
    name: 'policyforge_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    httpSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
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
        description:
          'Plain-language Kubernetes policy intents → verified jsPolicy JsPolicies, and the reviewed skill library. Every error is `{error: {code, message, details?}}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(errorBodySchema);

  await app.register(async (scope) => {
    registerHealthRoutes(scope, deps);
    registerIntentRoutes(scope, {
      queue,
      logger: log,
      intentsPerMinute: options.intentsPerMinute ?? 60,
      authenticated: !!auth,
      now: options.now ?? Date.now,
      against: againstLimits,
    });
    // Previews share the policy tests' budget: both run untrusted code in sandbox child processes on request.
    registerImpactRoutes(scope, {
      queue,
      now: options.now ?? Date.now,
      limits: againstLimits,
      perMinute: options.policyTests?.perMinute ?? POLICY_TEST_LIMITS.perMinute,
      maxConcurrent: options.policyTests?.maxConcurrent ?? POLICY_TEST_LIMITS.maxConcurrent,
      // An upload serves an intent: as many as intents.
      uploadsPerMinute: options.intentsPerMinute ?? 60,
    });
    registerPolicyRoutes(scope, {
      policies: deps.policies,
      metrics,
      queue,
      now: options.now ?? Date.now,
      limits: options.policyTests,
    });
    registerSkillRoutes(scope, {
      store: deps.store,
      queue,
      embeddings: deps.embeddings,
      embeddingModel: deps.embeddingModel,
      logger: log,
    });
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
    // Read-only unless an admin token is configured; even then dashboardGuard lets only admins write.
    createBullBoard({
      queues: [new BullMQAdapter(queue.queue, { readOnlyMode: !options.adminToken })],
      serverAdapter: board as never,
    }); // fastify adapter pins @bull-board/api 9.10.1: same shape, distinct type
    board.setBasePath(dashboardPrefix);
    await app.register(board.registerPlugin() as never, { prefix: dashboardPrefix });
  }
  return app;
}

export type ApiServer = Awaited<ReturnType<typeof buildApi>>;
