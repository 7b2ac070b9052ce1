import { Redis, type RedisOptions } from 'ioredis';
import { PolicyforgeError } from '../common/index.js';

/** A Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS) or an ioredis client. */
export type RedisConnection = string | Redis;

export const CONNECTION_ROLES = ['queue', 'worker'] as const;
export type ConnectionRole = (typeof CONNECTION_ROLES)[number];

/**
 * ioredis clients for the two roles. A worker blocks on Redis and must wait it out when Redis goes away
 * (maxRetriesPerRequest null, as BullMQ requires). A producer behind an HTTP request must not wait: it
 * fails fast (no offline queue, one retry), so the API can answer 503 and recover when Redis is back.
 */
export function createRedisClient(connection: RedisConnection, role: ConnectionRole): Redis {
  if (typeof connection !== 'string') return connection;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new PolicyforgeError('PF_ERR_CONFIG', [`REDIS_URL is not a URL: ${redactUrl(connection)}`]);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new PolicyforgeError('PF_ERR_CONFIG', [`REDIS_URL must start with redis:// or rediss://, got ${url.protocol}//`]);
  }
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy: (n) => Math.min(100 * 2 ** n, 2000) };
  return new Redis(connection, { ...options, lazyConnect: false });
}

/** A Redis URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*):([^@/]*)@/, '//$1:[redacted]@');
}

/** ioredis and BullMQ errors that mean "Redis is not reachable right now". */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  const text = err.message;
  return (
    name === 'MaxRetriesPerRequestError' ||
    name === 'ConnectionClosedError' ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|enableOfflineQueue|Reached the max retries/i.test(text)
  );
}

/** Runs a Redis operation; unreachable Redis (or no answer within `timeoutMs`) becomes PF_ERR_REDIS_UNAVAILABLE. */
export async function withRedis<T>(operation: () => Promise<T>, timeoutMs = 3000, client?: Redis): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [`no answer within ${timeoutMs} ms`])), timeoutMs);
  });
  try {
    // A fail-fast client refuses commands until connected: wait (within the same deadline) for it to be ready.
    if (client && client.status !== 'ready') await Promise.race([untilReady(client), timeout]);
    return await Promise.race([operation(), timeout]);
  } catch (err) {
    if (isRedisUnavailable(err)) throw new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [(err as Error).message], { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function untilReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  // Lost and waiting to reconnect: answer at once rather than hold the request for the whole deadline.
  if (client.status === 'end' || client.status === 'close' || client.status === 'reconnecting') {
    return Promise.reject(new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [`the connection is ${client.status === 'reconnecting' ? 'lost (reconnecting)' : 'closed'}`]));
  }
  return new Promise((resolve) => client.once('ready', () => resolve()));
}
