import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assetPath, silentLogger, type JsPolicy, type Suite, type SuiteResult } from '../../common/index.js';
import { openRedisStore } from '../../skills/index.js';
import { buildApi } from '../../src/api/index.js';
import { GenerationMetrics, createGenerationQueue } from '../../worker/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { TOKEN, errorOf, startApi, type ApiHarness } from './harness.js';

// What the service guarantees a token holder, an admin and a stranger (README "Security"): limits per
// request, one rate-limit bucket per client, sessions that are random and revocable, a read-only dashboard.
const ADMIN = 'admin-token-9f8e7d6c5b4a3210zyxw';
const nodeportSuite = readFileSync(assetPath('examples', 'no-nodeport-services.yaml'), 'utf8');
const nodeportPolicy = readFileSync(assetPath('examples', 'no-nodeport-services.policy.yaml'), 'utf8');

let redis: TestRedis;
let api: ApiHarness;

beforeAll(async () => {
  redis = await redisForTests();
  api = await startApi(redis.url, {
    adminToken: ADMIN,
    intentsPerMinute: 3,
    requestTimeoutMs: 1000,
    policyTests: { maxCases: 40, perMinute: 0 },
  });
});
afterAll(async () => {
  await api?.close();
  await redis?.close();
});

const cookieOf = (response: Response): string => response.headers.get('set-cookie')!.split(';')[0];

/** A suite of n copies of the example's first case, each with its own name. */
function manyCases(n: number): Suite {
  const suite = parse(nodeportSuite) as Suite;
  return { ...suite, cases: Array.from({ length: n }, (_, i) => ({ ...suite.cases[0], name: `case ${i}` })) };
}

describe('browser sessions', () => {
  it('gives every login its own random cookie, and DELETE /v1/session revokes that one only', async () => {
    const first = cookieOf(await api.call('/v1/session', { method: 'POST' }));
    const second = cookieOf(await api.call('/v1/session', { method: 'POST' }));
    expect(first).toMatch(/^pf_session=[0-9a-f]{64}$/);
    expect(first).not.toBe(second);
    expect((await api.call('/v1/skills', { token: null, headers: { cookie: first } })).status).toBe(200);

    const logout = await api.call('/v1/session', { token: null, method: 'DELETE', headers: { cookie: first } });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^pf_session=; .*Max-Age=0/);
    expect((await api.call('/v1/skills', { token: null, headers: { cookie: first } })).status).toBe(401);
    expect((await api.call('/v1/skills', { token: null, headers: { cookie: second } })).status).toBe(200);
  });

  it('keeps only a hash of the session id in Redis', async () => {
    const cookie = cookieOf(await api.call('/v1/session', { method: 'POST' }));
    const keys = await api.queue.client.keys(`${api.prefix}:policyforge:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain(cookie.split('=')[1]);
  });
});

describe('rate limits', () => {
  it('counts a client in one bucket whether it sends the bearer token or its session cookie', async () => {
    const cookie = cookieOf(await api.call('/v1/session', { method: 'POST' }));
    const statuses: number[] = [];
    for (const [i, auth] of (['bearer', 'cookie', 'bearer', 'cookie'] as const).entries()) {
      const response = await api.call('/v1/intents', {
        json: { text: `Deny pods labelled team=t${i} in the rate-limit namespace` },
        ...(auth === 'cookie' ? { token: null, headers: { cookie } } : {}),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('the queue dashboard', () => {
  it('is read-only for the API token and hides Redis server details; the admin token may write', async () => {
    const queues = await api.call('/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    const pause = await api.call('/admin/queues/api/queues/pause', { method: 'PUT' });
    expect(pause.status).toBe(403);
    expect((await errorOf(pause)).message).toMatch(/needs the admin token/);
    const add = await api.call('/admin/queues/api/queues/generation/add', {
      json: { name: 'x', data: {}, options: { repeat: { every: 2000 } } },
    });
    expect(add.status).toBe(403);
    for (const path of [
      '/admin/queues/api/redis/stats',
      '/admin/queues/api/r%65dis/stats',
      '/admin/%71ueues/api/redis/stats',
    ]) {
      const stats = await api.call(path);
      expect(stats.status, path).toBe(403);
      expect(await stats.text()).not.toMatch(/redis_version|"os"|used_memory|standalone/);
    }

    expect((await api.call('/admin/queues/api/redis/stats', { token: ADMIN })).status).toBe(200);
    expect((await api.call('/admin/queues/api/queues/pause', { token: ADMIN, method: 'PUT' })).status).toBeLessThan(
      300,
    );
    expect((await api.call('/admin/queues/api/queues/resume', { token: ADMIN, method: 'PUT' })).status).toBeLessThan(
      300,
    );
  });

  it('is read-only for everyone when no admin token is configured', async () => {
    const plain = await startApi(redis.url, {});
    try {
      const listing = await (await plain.call('/admin/queues/api/queues')).json();
      expect(listing.queues[0].readOnlyMode).toBe(true);
      expect((await plain.call('/admin/queues/api/queues/pause', { method: 'PUT' })).status).toBe(403);
    } finally {
      await plain.close();
    }
  });
});

describe('request edges', () => {
  it('closes a connection that trickles its body slower than the request timeout (408)', async () => {
    const port = (api.app.server.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (chunk) => (answer += String(chunk)));
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/intents HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n{`,
    );
    // One byte every 100 ms would take 1000 s; the server must hang up long before this loop ends.
    let sent = 0;
    const trickle = setInterval(() => {
      if (socket.destroyed || ++sent > 150) return clearInterval(trickle);
      socket.write(' ');
    }, 100);
    await closed;
    clearInterval(trickle);
    expect(sent).toBeLessThan(150);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('refuses a number where the intent text goes, naming the field', async () => {
    const response = await api.call('/v1/intents', { json: { text: 12345 } });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('PF_ERR_INPUT_INVALID');
    expect(error.message).toMatch(/^body\.text: /);
  });

  it('answers a very long id with a 414 in the one error shape, without echoing it', async () => {
    const id = 'x'.repeat(5000);
    const response = await api.call(`/v1/intents/${id}`);
    expect(response.status).toBe(414);
    const text = await response.text();
    expect(text).not.toContain('xxxxxxxxxx');
    expect(JSON.parse(text).error.code).toBe('PF_ERR_URI_TOO_LONG');
  });

  it('answers a YAML alias bomb with 400, not a 500', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const response = await api.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: bomb } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('PF_ERR_INPUT_YAML');
  });
});

describe('POST /v1/policies/test limits', () => {
  it('refuses more cases than the per-request cap, naming the cap', async () => {
    const response = await api.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: manyCases(41) } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^body\.suite\.cases: at most 40 cases per request \(got 41\)/);
  });

  it('stops at the time limit and at the output limit with a clear error', async () => {
    const slow = await startApi(redis.url, { policyTests: { timeLimitMs: 1, perMinute: 0 } });
    const chatty = await startApi(redis.url, { policyTests: { maxOutputBytes: 2048, perMinute: 0 } });
    try {
      const timed = await slow.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: manyCases(40) } });
      expect(timed.status).toBe(422);
      expect((await errorOf(timed)).message).toMatch(/ran longer than 1 ms \(\d+ of 40 cases ran\)/);
      const big = await chatty.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: manyCases(40) } });
      expect(big.status).toBe(422);
      expect((await errorOf(big)).message).toMatch(/results are larger than 2048 bytes/);
    } finally {
      await slow.close();
      await chatty.close();
    }
  });

  it('rate-limits the route per client', async () => {
    const limited = await startApi(redis.url, { policyTests: { perMinute: 1 } });
    try {
      expect(
        (await limited.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: nodeportSuite } })).status,
      ).toBe(200);
      const second = await limited.call('/v1/policies/test', {
        json: { policy: nodeportPolicy, suite: nodeportSuite },
      });
      expect(second.status).toBe(429);
      expect((await errorOf(second)).message).toMatch(/more than 1 policy tests per minute/);
    } finally {
      await limited.close();
    }
  });

  it('stops running cases when the client hangs up', async () => {
    const queue = createGenerationQueue({ connection: redis.url, prefix: `pf-api-hangup-${process.pid}` });
    await queue.ping();
    const store = await openRedisStore(queue.client, { prefix: `pf-api-hangup-${process.pid}:skills:` });
    let ran = 0;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstCall = new Promise<void>((r) => (started = r));
    const tester = {
      async runSuite(_policy: JsPolicy, suite: Suite | Suite['cases']): Promise<SuiteResult> {
        const cases = Array.isArray(suite) ? suite : suite.cases;
        ran += cases.length;
        started();
        await released;
        return {
          passed: true,
          total: cases.length,
          failed: 0,
          durationMs: 1,
          cases: cases.map(
            (c) => ({ name: c.name, expected: c.expect, passed: true, outcome: { allowed: true } }) as never,
          ),
        };
      },
    };
    const app = await buildApi(
      { queue, store, policies: tester, metrics: new GenerationMetrics(), logger: silentLogger },
      { token: TOKEN, dashboard: false },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const abort = new AbortController();
      const request = fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/policies/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ policy: nodeportPolicy, suite: manyCases(40) }),
        signal: abort.signal,
      }).catch(() => undefined);
      await firstCall;
      abort.abort();
      await request;
      // The server has seen the hang-up once it holds no connection; only then does the batch return.
      while ((await new Promise<number>((r) => app.server.getConnections((_e, n) => r(n)))) > 0)
        await new Promise((r) => setTimeout(r, 10));
      release();
      await app.close(); // waits for the handler to finish
      expect(ran).toBeLessThan(40);
    } finally {
      await app.close();
      await queue.close();
      await store.close();
    }
  });
});
