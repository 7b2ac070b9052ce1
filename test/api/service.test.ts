import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spawnWatched, type WatchedProcess } from '../support/processes.js';
import { freePort, startRedisServer, type TestRedis } from '../support/redis.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { approve, fixedDraft, flawedDraft, IAM_INTENT, iamPlan } from '../support/user-iam-story.js';
import { apiCaller, readEvents } from './harness.js';

// `policyforge serve` as users run it (the compiled CLI), with the real loop, the process sandbox and a
// scripted OpenAI-compatible model server in place of the hosted model: production code paths throughout.
const BIN = fileURLToPath(new URL('../../bin/policyforge.js', import.meta.url));
const TOKEN = 'service-token-0123456789abcdef';
const MODEL_KEY = 'sk-service-test-key-0123456789';
let redis: TestRedis;
let model: ScriptedOpenAIServer;
let service: WatchedProcess;
let url: string;

const call = apiCaller(() => url, TOKEN);

beforeAll(async () => {
  redis = await startRedisServer();
  model = await startScriptedOpenAIServer({
    steps: [
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: flawedDraft } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ],
  });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  service = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve', '--concurrency', '1'], {
    env: {
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      POLICYFORGE_API_TOKEN: TOKEN,
      OPENAI_API_KEY: MODEL_KEY,
      OPENAI_BASE_URL: model.baseURL,
      POLICYFORGE_MODEL: 'scripted',
      POLICYFORGE_MODEL_MAX_RETRIES: '0',
      POLICYFORGE_SANDBOX_PROCESSES: '1',
      LOG_LEVEL: 'warn',
    },
  });
  await service.waitForLine(/^policyforge serving \(API \+ worker\) on /, 60_000);
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await model?.close();
  await redis?.close();
});

describe('policyforge serve', () => {
  it("takes an intent through its whole life over HTTP and SSE, with the model's flawed first draft fixed in round 2", async () => {
    const accepted = await call('/v1/intents', { json: { text: IAM_INTENT } });
    expect(accepted.status).toBe(202);
    const { id } = await accepted.json();

    const events = await readEvents(await call(`/v1/intents/${id}/events`));
    // The loop's own event order is test/loop's business; here: every round reaches the client, in order.
    const types: string[] = events.filter((e) => e.event === 'progress').map((e) => e.data.type);
    expect(types.slice(0, 2)).toEqual(['retrieved', 'planned']);
    expect(types.filter((t) => ['round-started', 'drafted', 'verified', 'critiqued', 'finished'].includes(t))).toEqual([
      'round-started',
      'drafted',
      'verified',
      'round-started',
      'drafted',
      'verified',
      'critiqued',
      'finished',
    ]);
    expect(events.filter((e) => e.event === 'progress').map((e) => Number(e.id))).toEqual(types.map((_, i) => i));
    const verified = events
      .filter((e) => e.event === 'progress' && e.data.type === 'verified')
      .map((e) => e.data.passed);
    expect(verified).toEqual([false, true]);
    const final = events.at(-1)!;
    expect(final.event).toBe('completed');
    const result = final.data.result;
    expect(result).toMatchObject({ status: 'succeeded', source: 'model', safeToApply: true });
    expect(result.rounds).toHaveLength(2);
    expect(result.rounds[0].report.findings.some((f: { rule: string }) => f.rule === 'catalog/wrong-group')).toBe(true);
    expect(result.restatement).toMatchObject({
      judged: true,
      summary: expect.stringMatching(/^Denies CREATE\/UPDATE of IAMPolicies/),
    });
    expect(result.judgement).toMatchObject({ judged: true, replans: 0 });
    expect(model.chatRequests().map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
      'submit_plan',
      'submit_policy',
      'submit_policy',
      'submit_review',
    ]);
    expect(model.chatRequests()[0].headers.authorization).toBe(`Bearer ${MODEL_KEY}`);

    // The transcript and status never carry the model key or the API token.
    const view = await (await call(`/v1/intents/${id}`)).json();
    expect(JSON.stringify(view)).not.toContain(MODEL_KEY);
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    expect(view.result.rounds[1].critique).toMatchObject({ success: true });
    // The history lists what each policy does, in the restatement's one sentence.
    const history = (await (await call('/v1/intents')).json()).intents;
    expect(history.find((i: { id: string }) => i.id === id)).toMatchObject({
      restatement: result.restatement.summary,
      judged: true,
    });

    const yaml = parse(await (await call(`/v1/intents/${id}/policy.yaml`)).text());
    expect(yaml).toMatchObject({
      kind: 'JsPolicy',
      spec: { apiGroups: ['iam.cnrm.cloud.google.com'], failurePolicy: 'Ignore' },
    });

    // What the run learned is in the shared (Redis) library, waiting for review.
    const candidates = (await (await call('/v1/skills?state=candidate')).json()).skills.map(
      (s: { id: string }) => s.id,
    );
    for (const added of result.skillsAdded) expect(candidates).toContain(added);

    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/^policyforge_rounds_total 2$/m);
    expect(metrics).toMatch(/^policyforge_generation_outcomes_total\{status="succeeded",source="model"\} 1$/m);
    expect(metrics).toMatch(/^policyforge_model_tokens_total\{kind="prompt"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^policyforge_sandbox_evaluations_total\{origin="generation"\} [1-9]\d*$/m);
  });

  it('stops gracefully on SIGTERM', async () => {
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    if (exit.code !== 0) console.log(service.stderr().slice(-3000));
    expect(exit).toEqual({ code: 0, signal: null });
    expect(service.lines).toContain('policyforge: SIGTERM: finishing running jobs, then stopping');
  });
});

describe('policyforge serve --api-only and --worker-only', () => {
  it('split across processes on one Redis: the API takes the intent, a worker-only process completes it', async () => {
    const shared = await startRedisServer();
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env = {
      REDIS_URL: shared.url,
      POLICYFORGE_API_TOKEN: TOKEN,
      POLICYFORGE_PROVIDER: 'offline',
      POLICYFORGE_SANDBOX_PROCESSES: '1',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const apiOnly = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve', '--api-only'], {
      env: { ...env, PORT: String(apiPort) },
    });
    const workerOnly = spawnWatched(
      process.execPath,
      ['--no-node-snapshot', BIN, 'serve', '--worker-only', '--concurrency', '2'],
      { env: { ...env, PORT: String(workerPort) } },
    );
    try {
      await apiOnly.waitForLine(/^policyforge serving \(api\) on /, 60_000);
      await workerOnly.waitForLine(/^policyforge serving \(worker\) on /, 60_000);
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const accepted = await fetch(`http://127.0.0.1:${apiPort}/v1/intents`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ text: 'Services of type NodePort are not allowed.' }),
      });
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      const events = await readEvents(await fetch(`http://127.0.0.1:${apiPort}/v1/intents/${id}/events`, { headers }));
      expect(events.at(-1)).toMatchObject({
        event: 'completed',
        data: { result: { status: 'succeeded', source: 'offline' } },
      });
      // The worker-only process answers probes and (with the token) scrapes, and counted the job.
      expect((await fetch(`http://127.0.0.1:${workerPort}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${workerPort}/metrics`)).status).toBe(401);
      const metrics = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`, { headers })).text();
      expect(metrics).toMatch(/^policyforge_jobs_total\{outcome="succeeded"\} 1$/m);
    } finally {
      apiOnly.child.kill('SIGTERM');
      workerOnly.child.kill('SIGTERM');
      expect((await apiOnly.exited).code).toBe(0);
      expect((await workerOnly.exited).code).toBe(0);
      await shared.close();
    }
  });
});

describe('policyforge serve configuration', () => {
  it('with --insecure-no-auth listens on 127.0.0.1 only, and says so, unless HOST is given', async () => {
    const port = await freePort();
    const open = spawnWatched(
      process.execPath,
      ['--no-node-snapshot', BIN, 'serve', '--api-only', '--insecure-no-auth'],
      {
        env: {
          POLICYFORGE_API_TOKEN: '',
          HOST: '',
          PORT: String(port),
          REDIS_URL: redis.url,
          POLICYFORGE_PROVIDER: 'offline',
          LOG_LEVEL: 'warn',
        },
      },
    );
    try {
      const serving = await open.waitForLine(/^policyforge serving \(api\) on /, 60_000);
      expect(serving).toContain(`http://127.0.0.1:${port}`);
      expect(open.stderr()).toContain(
        'authentication is off: listening on this machine only (127.0.0.1); set HOST to listen elsewhere',
      );
    } finally {
      open.child.kill('SIGTERM');
      await open.exited;
    }
  });

  it('refuses a guessable token', async () => {
    const refused = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve'], {
      env: { POLICYFORGE_API_TOKEN: 'aaaaaaaaaaaaaaaa', REDIS_URL: redis.url },
    });
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr()).toContain('POLICYFORGE_API_TOKEN uses only 1 distinct character(s), so it is guessable');
  });

  it('refuses to start without POLICYFORGE_API_TOKEN, naming it and the way out', async () => {
    const refused = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve'], {
      env: { POLICYFORGE_API_TOKEN: '', REDIS_URL: redis.url },
    });
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr()).toContain('PF_ERR_CONFIG');
    expect(refused.stderr()).toContain('POLICYFORGE_API_TOKEN is not set');
    expect(refused.stderr()).toContain('--insecure-no-auth');
  });

  it('reports every configuration mistake at once', async () => {
    const refused = spawnWatched(
      process.execPath,
      ['--no-node-snapshot', BIN, 'serve', '--api-only', '--worker-only', '--concurrency', '0'],
      {
        env: {
          POLICYFORGE_API_TOKEN: 'short',
          REDIS_URL: 'http://localhost',
          PORT: 'eighty',
          POLICYFORGE_PROVIDER: 'claude',
        },
      },
    );
    expect((await refused.exited).code).toBe(2);
    const err = refused.stderr();
    for (const part of [
      '--api-only and --worker-only',
      'POLICYFORGE_API_TOKEN is too short',
      'REDIS_URL must be a redis://',
      'PORT=eighty',
      '--concurrency=0',
      'POLICYFORGE_PROVIDER=claude',
    ]) {
      expect(err).toContain(part);
    }
  });
});
