import { describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { SERVICE_DEFAULTS, loadServiceConfig } from '../../src/config.js';

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
    expect(problemsOf({ POLICYFORGE_API_TOKEN: 'short' })).toEqual(['POLICYFORGE_API_TOKEN is too short (5 characters): use at least 16']);
  });

  it('names every mistake at once, each with its variable', () => {
    const problems = problemsOf({ REDIS_URL: 'localhost:6379', PORT: '99999', POLICYFORGE_CONCURRENCY: 'two', POLICYFORGE_RESULT_RETENTION_DAYS: '0' });
    expect(problems).toEqual([
      'REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
      expect.stringMatching(/^POLICYFORGE_API_TOKEN is not set/),
      'PORT=99999 must be a whole number from 0 to 65535',
      'POLICYFORGE_CONCURRENCY=two must be a whole number from 1 to 64',
      'POLICYFORGE_RESULT_RETENTION_DAYS=0 must be a whole number from 1 to 3650',
    ]);
  });

  it('lets --concurrency win over POLICYFORGE_CONCURRENCY and names the flag when it is wrong', () => {
    expect(loadServiceConfig({ POLICYFORGE_API_TOKEN: TOKEN, POLICYFORGE_CONCURRENCY: '3' }, { concurrency: '5' }).concurrency).toBe(5);
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN }, { concurrency: '0' })).toEqual(['--concurrency=0 must be a whole number from 1 to 64']);
  });

  it('never echoes a Redis password in a message', () => {
    expect(problemsOf({ POLICYFORGE_API_TOKEN: TOKEN, REDIS_URL: 'http://user:hunter2@redis:6379' }).join(' ')).not.toContain('hunter2');
  });
});
