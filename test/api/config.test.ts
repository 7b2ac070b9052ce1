import { describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { SERVICE_DEFAULTS, loadServiceConfig } from '../../src/config.js';
import { serviceSandboxes } from '../../src/serve.js';

const TOKEN = 'a-long-enough-token-0123';

function problemsOf(env: Record<string, string>, flags: Parameters<typeof loadServiceConfig>[1] = {}): string[] {
  try {
    loadServiceConfig(env, flags);
  } catch (err) {
    if (isPolicyforgeError(err, 'PF_ERR_CONFIG')) return err.details?.problems as string[];
    throw err;
  }
  return [];
}

describe('service configuration from the environment', () => {
  it('uses the documented defaults', () => {
    expect(loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN })).toEqual({ ...SERVICE_DEFAULTS, apiToken: TOKEN });
    expect(SERVICE_DEFAULTS).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', port: 8080 });
  });

  it('requires the API token for the API, unless --insecure-no-auth; a worker-only process needs none', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^POLICYFORGE_API_TOKEN is not set: .*--insecure-no-auth/)]);
    expect(loadServiceConfig({}, { insecureNoAuth: true }).apiToken).toBeUndefined();
    expect(loadServiceConfig({}, { role: 'worker' }).apiToken).toBeUndefined();
    expect(problemsOf({ POLICYFORGE_API_TOKEN: 'short' })).toEqual([
      'POLICYFORGE_API_TOKEN is too short (5 characters): use at least 16',
    ]);
  });

  it('names every mistake at once, each with its variable', () => {
    const problems = problemsOf({
      REDIS_URL: 'localhost:6379',
      PORT: '99999',
      POLICYFORGE_CONCURRENCY: 'two',
      POLICYFORGE_RESULT_RETENTION_DAYS: '0',
    });
    expect(problems).toEqual([
      'REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
      expect.stringMatching(/^POLICYFORGE_API_TOKEN is not set/),
      'PORT=99999 must be a whole number from 0 to 65535',
      'POLICYFORGE_CONCURRENCY=two must be a whole number from 1 to 64',
      'POLICYFORGE_RESULT_RETENTION_DAYS=0 must be a whole number from 1 to 3650',
    ]);
  });

  it('lets --concurrency win over POLICYFORGE_CONCURRENCY and names the flag when it is wrong', () => {
    expect(
      loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_CONCURRENCY: '3' }, { concurrency: '5' })
        .concurrency,
    ).toBe(5);
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN }, { concurrency: '0' })).toEqual([
      '--concurrency=0 must be a whole number from 1 to 64',
    ]);
  });

  it('never echoes a Redis password in a message', () => {
    expect(
      problemsOf({ POLICYFORGE_API_TOKEN: TOKEN, REDIS_URL: 'http://user:hunter2@redis:6379' }).join(' '),
    ).not.toContain('hunter2');
  });

  it('refuses guessable tokens: too few distinct characters or under 128 bits, with a clear PF_ERR_CONFIG', () => {
    expect(problemsOf({ POLICYFORGE_API_TOKEN: 'aaaaaaaaaaaaaaaa' })).toEqual([
      expect.stringMatching(
        /^POLICYFORGE_API_TOKEN uses only 1 distinct character\(s\), so it is guessable: use a random secret, e\.g\. `openssl rand -hex 32`$/,
      ),
    ]);
    expect(problemsOf({ POLICYFORGE_API_TOKEN: 'abababababababababababababababab' })).toEqual([
      expect.stringMatching(/uses only 2 distinct/),
    ]);
    expect(problemsOf({ POLICYFORGE_API_TOKEN: '0123456789abcdef0123' })).toEqual([
      expect.stringMatching(/^POLICYFORGE_API_TOKEN is too weak \(about 80 bits of entropy, 128 needed\)/),
    ]);
    expect(
      problemsOf({ POLICYFORGE_API_TOKEN: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
    ).toEqual([]);
  });

  it('takes a separate admin token that must be strong, differ from the API token and come with it', () => {
    const admin = 'Adm1n-0f-the-queue-dashboard-x9';
    expect(loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_ADMIN_TOKEN: admin }).adminToken).toBe(admin);
    expect(loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN }).adminToken).toBeUndefined();
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_ADMIN_TOKEN: TOKEN })).toEqual([
      expect.stringMatching(/must differ from POLICYFORGE_API_TOKEN/),
    ]);
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_ADMIN_TOKEN: 'zzzzzzzzzzzzzzzzzzzz' })).toEqual([
      expect.stringMatching(/^POLICYFORGE_ADMIN_TOKEN uses only 1 distinct/),
    ]);
  });

  it('listens on 127.0.0.1 only when auth is off, unless HOST is given', () => {
    expect(loadServiceConfig({}, { insecureNoAuth: true }).host).toBe('127.0.0.1');
    expect(loadServiceConfig({ HOST: '0.0.0.0' }, { insecureNoAuth: true }).host).toBe('0.0.0.0');
    expect(loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN }).host).toBe('0.0.0.0');
  });

  it("reads the per-request limits and the test route's own sandbox pool size", () => {
    const config = loadServiceConfig({
      POLICYFORGE_API_TOKEN: TOKEN,
      POLICYFORGE_REQUEST_TIMEOUT_MS: '5000',
      POLICYFORGE_TEST_MAX_CASES: '50',
      POLICYFORGE_TEST_TIME_LIMIT_MS: '3000',
      POLICYFORGE_TEST_MAX_OUTPUT_BYTES: '65536',
      POLICYFORGE_TEST_RATE_LIMIT_PER_MINUTE: '5',
      POLICYFORGE_TEST_SANDBOX_PROCESSES: '2',
    });
    expect(config).toMatchObject({
      requestTimeoutMs: 5000,
      testMaxCases: 50,
      testTimeLimitMs: 3000,
      testMaxOutputBytes: 65536,
      testsPerMinute: 5,
      testSandboxProcesses: 2,
    });
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_TEST_MAX_CASES: '0' })).toEqual([
      'POLICYFORGE_TEST_MAX_CASES=0 must be a whole number from 1 to 10000',
    ]);
  });

  it('gives the test route a sandbox pool of its own, so generation keeps its sandboxes', async () => {
    const all = serviceSandboxes({ sandboxProcesses: 1, testSandboxProcesses: 1 }, 'all');
    const api = serviceSandboxes({ sandboxProcesses: 1, testSandboxProcesses: 1 }, 'api');
    const worker = serviceSandboxes({ sandboxProcesses: 1, testSandboxProcesses: 1 }, 'worker');
    try {
      expect(all.generation).toBeDefined();
      expect(all.tests).toBeDefined();
      expect(all.tests).not.toBe(all.generation);
      expect(api.generation).toBeUndefined();
      expect(worker.tests).toBeUndefined();
    } finally {
      for (const s of [all.generation, all.tests, api.tests, worker.generation]) await s?.close();
    }
  });
});
