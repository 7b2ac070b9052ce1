import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRedis } from '../../worker/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { freePort, redisForTests, type TestRedis } from '../support/redis.js';
import { GPTPOLICY_TYPE, jsPolicyType } from '../operator/harness.js';

// A wrong REDIS_URL is a configuration mistake that waiting cannot fix: serve and the operator say what is
// wrong (NOAUTH, WRONGPASS, ENOTFOUND, not Redis, no such database) at once, exit 2, instead of
// "no answer … is Redis running?" after their 30 s wait.

let shared: TestRedis;
let locked: ChildProcess;
let lockedPort: number;
let notRedis: Server;
let notRedisPort: number;
let kube: KubeApiServer;
let dir: string;

beforeAll(async () => {
  shared = await redisForTests();
  lockedPort = await freePort();
  locked = spawn(
    'redis-server',
    [
      '--port',
      String(lockedPort),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      's3cret-pass',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (
    !/NOAUTH|PONG/.test(spawnSync('redis-cli', ['-p', String(lockedPort), 'ping'], { encoding: 'utf8' }).stdout ?? '')
  ) {
    if (Date.now() > deadline) throw new Error('redis-server with a password did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  // an HTTP server where Redis was expected
  notRedis = createServer((socket) =>
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n')),
  );
  notRedisPort = await freePort();
  await new Promise<void>((r) => notRedis.listen(notRedisPort, '127.0.0.1', r));
  kube = await startKubeApiServer({ types: [GPTPOLICY_TYPE, jsPolicyType()] });
  dir = mkdtempSync(join(tmpdir(), 'pf-redis-errors-'));
  writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig());
});
afterAll(async () => {
  locked?.kill('SIGKILL');
  notRedis?.close();
  await kube?.close();
  await shared?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const host = (port: number) => `127.0.0.1:${port}`;
const cases = () => [
  {
    what: 'no password for a Redis that requires one',
    url: `redis://${host(lockedPort)}`,
    says: /requires a password \(NOAUTH\)/,
  },
  {
    what: 'a wrong password',
    url: `redis://:wrong-pass@${host(lockedPort)}`,
    says: /refused the credentials in REDIS_URL \(WRONGPASS\)/,
  },
  {
    what: 'a host name that does not resolve',
    url: 'redis://redis.no-such-host.invalid:6379',
    says: /redis\.no-such-host\.invalid in REDIS_URL does not resolve \(ENOTFOUND\)/,
  },
  {
    what: 'a port that does not speak Redis',
    url: `redis://${host(notRedisPort)}`,
    says: /does not speak Redis .*is REDIS_URL's port the Redis port/,
  },
  {
    what: 'a database Redis does not have',
    url: `${shared.url}/99`,
    says: /selects database 99, which this Redis does not have/,
  },
];

describe('a wrong REDIS_URL', () => {
  it('is refused at once with what Redis said, however long the start-up wait', async () => {
    for (const c of cases()) {
      const err = await waitForRedis(c.url, { waitMs: 120_000 }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect({ what: c.what, code: err?.code }).toEqual({ what: c.what, code: 'PF_ERR_CONFIG' });
      expect(err?.message).toMatch(c.says);
      expect(err?.message).not.toContain('wrong-pass');
    }
    // the right password works, on a database that exists
    await waitForRedis(`redis://:s3cret-pass@${host(lockedPort)}/3`, { waitMs: 5000 });
  });

  it('makes serve and the operator exit 2 naming the cause, not wait for Redis', async () => {
    const run = (args: string[], url: string) => {
      const proc = spawn(process.execPath, ['--no-node-snapshot', 'bin/policyforge.js', ...args], {
        env: {
          PATH: process.env.PATH,
          REDIS_URL: url,
          POLICYFORGE_HOME: dir,
          POLICYFORGE_API_TOKEN: 'a-test-token-of-enough-length-0123456789',
          POLICYFORGE_PROVIDER: 'offline',
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
        },
      });
      let stderr = '';
      proc.stderr!.on('data', (d) => (stderr += d));
      return new Promise<{ code: number | null; stderr: string }>((resolve) =>
        proc.on('exit', (code) => resolve({ code, stderr })),
      );
    };
    const [wrongPass, unknownHost, notRedisPort_, noSuchDb] = cases().slice(1);
    const serve = await run(['serve', '--api-only'], wrongPass.url);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(wrongPass.says);
    expect(serve.stderr).not.toContain('wrong-pass');
    const serveWorker = await run(['serve', '--worker-only'], notRedisPort_.url);
    expect(serveWorker.code).toBe(2);
    expect(serveWorker.stderr).toMatch(notRedisPort_.says);

    const operatorArgs = [
      'operator',
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--no-leader-election',
      '--health-port',
      '0',
    ];
    const operator = await run(operatorArgs, noSuchDb.url);
    expect(operator.code).toBe(2);
    expect(operator.stderr).toMatch(noSuchDb.says);
    const operatorDns = await run(operatorArgs, unknownHost.url);
    expect(operatorDns.code).toBe(2);
    expect(operatorDns.stderr).toMatch(unknownHost.says);
  });
});
