import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Redis for tests. `redisForTests()` answers REDIS_URL when it is set, otherwise starts a private
 * redis-server on a free port. Tests that stop, kill or restart Redis must use `startRedisServer()` (always
 * private) so the shared server on 127.0.0.1:6379 is never touched.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** True when this process started it (so it may be stopped and restarted). */
  owned: boolean;
  /** Stops the server (SHUTDOWN NOSAVE), keeps its port for restart(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (owned servers only). */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server is not installed and REDIS_URL is unset: install Redis (Debian/Ubuntu: apt-get install -y redis-server) or point REDIS_URL at a Redis server';

export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

/** REDIS_URL when set, else a private redis-server on a free port. */
export async function redisForTests(): Promise<TestRedis> {
  const url = process.env.REDIS_URL;
  if (url) {
    const port = Number(new URL(url).port || 6379);
    const refuse = async (): Promise<void> => {
      throw new Error(`REDIS_URL=${url} is not ours to stop or restart; use startRedisServer() in this test`);
    };
    return { url, port, owned: false, stop: refuse, restart: refuse, close: async () => {} };
  }
  return startRedisServer();
}

/**
 * A private redis-server on a free port in its own temporary directory. With `persist`, every write is
 * appended and fsynced (appendonly, always), so a stop/restart keeps the data, as a production Redis would.
 */
export async function startRedisServer(options: { persist?: boolean } = {}): Promise<TestRedis> {
  if (!redisServerInstalled()) throw new Error(INSTALL_HINT);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pf-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    await waitUntil(() => ping(port), 10_000, `redis-server on port ${port} did not answer PING`);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    stop,
    restart: start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): boolean {
  const out = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
  return out.stdout?.trim() === 'PONG';
}

async function waitUntil(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(message);
}
