import type { FastifyRequest } from 'fastify';
import { PolicyforgeError } from '../../common/index.js';
import type { GenerationQueue } from '../../worker/index.js';

export interface RateLimitDeps {
  queue: Pick<GenerationQueue, 'prefix' | 'client' | 'withRedis'>;
  /** Clock for the windows. */
  now: () => number;
}

/**
 * Fixed one-minute windows in Redis, so every API replica counts against the same limit. One bucket per
 * route and principal (request.identity.client): a token holder's bearer calls and browser sessions count
 * together; without auth, each address counts on its own.
 */
export async function rateLimit(
  request: FastifyRequest,
  deps: RateLimitDeps,
  bucket: string,
  perMinute: number,
  what: string,
): Promise<void> {
  if (!perMinute) return;
  const now = deps.now();
  const window = Math.floor(now / 60_000);
  const client = request.identity?.client ?? `ip:${request.ip}`;
  const key = `${deps.queue.prefix}:policyforge:ratelimit:${bucket}:${client}:${window}`;
  const count = await deps.queue.withRedis(async () => {
    const [[, n]] = (await deps.queue.client.multi().incr(key).expire(key, 61).exec()) as [[Error | null, number]];
    return n;
  });
  if (count > perMinute) {
    const retryAfter = 60 - Math.floor((now / 1000) % 60);
    throw new PolicyforgeError(
      'PF_ERR_RATE_LIMITED',
      [`more than ${perMinute} ${what} per minute; retry in ${retryAfter} s`],
      {
        details: { limitPerMinute: perMinute, retryAfterSeconds: retryAfter },
      },
    );
  }
}
