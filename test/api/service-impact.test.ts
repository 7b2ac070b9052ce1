import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWatched, type WatchedProcess } from '../support/processes.js';
import { freePort, startRedisServer, type TestRedis } from '../support/redis.js';
import { apiCaller } from './harness.js';

// The impact preview through `policyforge serve` as users run it (the compiled CLI): the real offline loop
// verifies a policy, and the worker src/serve.ts wires replays it against the objects sent with the intent,
// in a sandbox child process. No model: "Deny pods with hostNetwork." is an offline family.
const BIN = fileURLToPath(new URL('../../bin/policyforge.js', import.meta.url));
const TOKEN = 'service-impact-token-0123456789abcdef';
let redis: TestRedis;
let service: WatchedProcess;
let url: string;

const call = apiCaller(() => url, TOKEN);

const pod = (namespace: string, name: string, hostNetwork: boolean) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name },
  spec: { ...(hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

/** One pod on the host network in shop, two that are not. */
const OBJECTS = {
  apiVersion: 'v1',
  kind: 'List',
  items: [pod('shop', 'web', true), pod('shop', 'api', false), pod('shop', 'db', false)],
};

async function finished(id: string): Promise<any> {
  await expect
    .poll(async () => (await (await call(`/v1/intents/${id}`)).json()).state, { timeout: 60_000, interval: 250 })
    .toMatch(/completed|failed/);
  return (await call(`/v1/intents/${id}`)).json();
}

beforeAll(async () => {
  redis = await startRedisServer();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  service = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve', '--concurrency', '1'], {
    env: {
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      POLICYFORGE_API_TOKEN: TOKEN,
      POLICYFORGE_SANDBOX_PROCESSES: '1',
      LOG_LEVEL: 'warn',
    },
  });
  await service.waitForLine(/^policyforge serving \(API \+ worker\) on /, 60_000);
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await redis?.close();
});

describe('policyforge serve: generate --against over HTTP', () => {
  it('verifies the policy offline, then replays it against the objects sent: 1 of 3 denied, above 10 %', async () => {
    const accepted = await call('/v1/intents', { json: { text: 'Deny pods with hostNetwork.', against: OBJECTS } });
    expect(accepted.status).toBe(202);
    const view = await finished((await accepted.json()).id);
    const { result } = view;
    expect(result).toMatchObject({ status: 'succeeded', source: 'offline', safeToApply: false });
    expect(result.restatement.summary).toMatch(/hostNetwork/);
    expect(result.impact).toMatchObject({ sources: ['against'], checked: 3, wouldDeny: 1, overThreshold: true });
    expect(result.impact.reasons).toHaveLength(1);
    expect(result.impact.reasons[0]).toMatchObject({
      verdict: 'deny',
      count: 1,
      examples: ['Pod shop/web (against:1 item 1)'],
    });
    expect(result.reason).toMatch(
      /; but it would deny 1 of 3 objects; warn 0; mutate 0 \(33\.3 % denied, above the 10\.0 % threshold\): not safe to enforce as is$/,
    );
  });

  it('passes the same policy as safe under a threshold it stays within', async () => {
    const accepted = await call('/v1/intents', {
      json: { text: 'Deny pods with hostNetwork.', against: OBJECTS, denyThreshold: 0.5 },
    });
    const { result } = await finished((await accepted.json()).id);
    expect(result.status).toBe('succeeded');
    expect(result.safeToApply).toBe(true);
    expect(result.impact).toMatchObject({ checked: 3, wouldDeny: 1 });
    expect(result.impact.overThreshold).toBeUndefined();
  });
});
