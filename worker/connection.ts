import { Redis, type RedisOptions } from 'ioredis';
import { PolicyforgeError, isPolicyforgeError } from '../common/index.js';

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
  checkRedisUrl(connection);
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 2000,
          retryStrategy: (n) => Math.min(100 * 2 ** n, 2000),
        };
  return new Redis(connection, { ...options, lazyConnect: false });
}

/** PF_ERR_CONFIG unless `connection` is a redis:// or rediss:// URL. */
function checkRedisUrl(connection: string): void {
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new PolicyforgeError('PF_ERR_CONFIG', [`REDIS_URL is not a URL: ${redactUrl(connection)}`]);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new PolicyforgeError('PF_ERR_CONFIG', [
      `REDIS_URL must start with redis:// or rediss://, got ${url.protocol}//`,
    ]);
  }
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
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|enableOfflineQueue|Reached the max retries/i.test(
      text,
    )
  );
}

/** Runs a Redis operation; unreachable Redis (or no answer within `timeoutMs`) becomes PF_ERR_REDIS_UNAVAILABLE. */
export async function withRedis<T>(operation: () => Promise<T>, timeoutMs = 3000, client?: Redis): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [`no answer within ${timeoutMs} ms`])),
      timeoutMs,
    );
  });
  try {
    // A fail-fast client refuses commands until connected: wait (within the same deadline) for it to be ready.
    if (client && client.status !== 'ready') await Promise.race([untilReady(client), timeout]);
    return await Promise.race([operation(), timeout]);
  } catch (err) {
    if (isRedisUnavailable(err))
      throw new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [(err as Error).message], { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function untilReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  // Lost and waiting to reconnect: answer at once rather than hold the request for the whole deadline.
  if (client.status === 'end' || client.status === 'close' || client.status === 'reconnecting') {
    return Promise.reject(
      new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [
        `the connection is ${client.status === 'reconnecting' ? 'lost (reconnecting)' : 'closed'}`,
      ]),
    );
  }
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/**
 * What a failed connection says about REDIS_URL. Mistakes no wait can fix (credentials, an unknown host
 * name, a port that is not Redis, a database Redis does not have) are PF_ERR_CONFIG at once, naming the
 * cause; anything else (refused, reset, timed out) is PF_ERR_REDIS_UNAVAILABLE: Redis may still come up.
 */
export function explainRedisError(err: unknown, url: string): PolicyforgeError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = redactUrl(url);
  const config = (message: string): PolicyforgeError =>
    new PolicyforgeError('PF_ERR_CONFIG', [message], { cause: err });
  if (/NOAUTH/.test(text))
    return config(
      `Redis at ${where} requires a password (NOAUTH): give it in REDIS_URL as redis://[user]:PASSWORD@host:port`,
    );
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) {
    return config(
      `Redis at ${where} refused the credentials in REDIS_URL (WRONGPASS): check the user name and password`,
    );
  }
  const host = /(?:ENOTFOUND|EAI_NONAME) (\S+)/.exec(text);
  if (host) return config(`the host ${host[1]} in REDIS_URL does not resolve (ENOTFOUND): check the host name`);
  if (/ParserError|Protocol error/i.test(text)) {
    return config(
      `${where} does not speak Redis (${(err as Error).message.replace(/ Please report this\.?$/, '')}): is REDIS_URL's port the Redis port?`,
    );
  }
  if (/DB index is out of range|invalid DB index/i.test(text)) {
    return config(
      `REDIS_URL selects database ${new URL(url).pathname.slice(1)}, which this Redis does not have (${(err as Error).message}; databases are 0-15 unless Redis is configured with more)`,
    );
  }
  return new PolicyforgeError(
    'PF_ERR_REDIS_UNAVAILABLE',
    [`${where}: ${err instanceof Error ? err.message : String(err)}`],
    { cause: err },
  );
}

/**
 * One connection attempt to REDIS_URL, answered within `timeoutMs`: resolves when Redis answers PING on the
 * database the URL selects; otherwise throws explainRedisError's verdict (a silent port is unavailable).
 */
export async function probeRedis(url: string, timeoutMs = 2000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  // ioredis reports AUTH, SELECT and protocol failures as events, sometimes after connect() resolved
  const errors: unknown[] = [];
  client.on('error', (err) => errors.push(err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // the port took the connection but nothing came back: Redis still loading, or not Redis at all
          const connected = client.status === 'connect' || client.status === 'ready';
          reject(
            new Error(
              connected
                ? `connected, but no answer to PING within ${timeoutMs} ms (is this port Redis?)`
                : `no answer within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }),
    ]);
    if (errors.length) throw errors[0];
  } catch (err) {
    throw explainRedisError(errors[0] ?? err, url);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Start-up check of serve and the operator: waits up to `waitMs` for Redis to come up, but fails at once
 * (PF_ERR_CONFIG) on mistakes that waiting cannot fix, with what Redis said.
 */
export async function waitForRedis(
  url: string,
  options: { waitMs: number; onWaiting?: (err: PolicyforgeError) => void; retryMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.waitMs;
  let warned = false;
  for (;;) {
    try {
      // 5 s per attempt: a loaded machine or a slow resolver must not turn a clear answer into "no answer"
      return await probeRedis(url, 5000);
    } catch (err) {
      if (!isPolicyforgeError(err, 'PF_ERR_REDIS_UNAVAILABLE')) throw err;
      if (Date.now() > deadline) {
        throw new PolicyforgeError(
          'PF_ERR_REDIS_UNAVAILABLE',
          [
            `no answer from ${redactUrl(url)} within ${Math.round(options.waitMs / 1000)} s (${err.cause instanceof Error ? err.cause.message : err.message}); is Redis running there?`,
          ],
          { cause: err },
        );
      }
      if (!warned) options.onWaiting?.(err);
      warned = true;
      await new Promise((r) => setTimeout(r, options.retryMs ?? 500));
    }
  }
}
