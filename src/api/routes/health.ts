import type { FastifyInstance } from 'fastify';
import { PolicyforgeError, isPolicyforgeError } from '../../../common/index.js';
import type { ApiDeps } from '../server.js';

/** Liveness and readiness: the only routes without auth (orchestrators probe them). */
export function registerHealthRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'queue' | 'store'>): void {
  app.get(
    '/healthz',
    { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [] } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Readiness: Redis and the skill store are reachable', security: [] },
    },
    async (_request, reply) => {
      const [redis, store] = await Promise.all([
        deps.queue.ping().then(
          () => 'ok',
          (err: unknown) => err,
        ),
        deps.queue
          .withRedis(() => deps.store.ping())
          .then(
            () => 'ok',
            (err: unknown) => err,
          ),
      ]);
      if (redis === 'ok' && store === 'ok') return reply.send({ status: 'ready', checks: { redis, store } });
      const checks = { redis: describe(redis), store: describe(store) };
      const failed = redis !== 'ok' ? redis : store;
      const code =
        isPolicyforgeError(failed) && failed.status === 503
          ? failed.code
          : redis !== 'ok'
            ? 'PF_ERR_REDIS_UNAVAILABLE'
            : 'PF_ERR_STORE_UNAVAILABLE';
      throw new PolicyforgeError(code, [describe(failed)], { details: { checks } });
    },
  );
}

function describe(result: unknown): string {
  if (result === 'ok') return 'ok';
  return result instanceof Error ? result.message : String(result);
}
