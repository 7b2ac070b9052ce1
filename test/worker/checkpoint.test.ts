import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/index.js';
import { createGenerator } from '../../src/loop/index.js';
import {
  checkpointKey,
  createGenerationQueue,
  startGenerationWorker,
  type GenerationQueue,
} from '../../worker/index.js';
import { spawnWatched, type WatchedProcess } from '../support/processes.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { waitForState } from './fixtures/wait.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { approve, fixedDraft, flawedDraft, IAM_INTENT, iamPlan } from '../support/user-iam-story.js';

// Issue 15 item 7: a job whose worker dies (or loses its lock in a Redis outage longer than it) is run
// again by another worker. The rounds the first run paid for are checkpointed beside the job, so the
// re-run resumes: the model is not asked again for the plan, the judge or round 1.

const WORKER = fileURLToPath(new URL('./fixtures/generator-worker-process.mjs', import.meta.url));
const KEY = 'sk-test-checkpointkey0123456789';

let redis: TestRedis;
let client: Redis;
let dir: string;
const processes: WatchedProcess[] = [];
const queues: GenerationQueue[] = [];
const servers: ScriptedOpenAIServer[] = [];

beforeAll(async () => {
  redis = await redisForTests();
  client = new Redis(redis.url);
  dir = mkdtempSync(join(tmpdir(), 'pf-checkpoint-'));
});
afterEach(async () => {
  for (const p of processes.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const q of queues.splice(0)) {
    await q.queue.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  client?.disconnect();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(env: Record<string, string>): WatchedProcess {
  // Short locks so the stalled job is taken back in seconds rather than the production 30 s.
  const timing = { PF_LOCK_MS: '3000', PF_STALLED_MS: '1000' };
  const p = spawnWatched(process.execPath, ['--no-node-snapshot', WORKER], {
    env: { REDIS_URL: redis.url, LOG_LEVEL: 'warn', PF_MODEL_KEY: KEY, ...timing, ...env },
  });
  processes.push(p);
  return p;
}

const tools = (server: ScriptedOpenAIServer): string[] =>
  server.chatRequests().map((c) => c.body.tools?.[0]?.function?.name);

describe('a job re-run after its worker died', () => {
  it('resumes from the checkpoint of round 1: the model is not asked again for what was paid for', async () => {
    // Round 1's draft repeats the API key (a model that echoes its context): the checkpoint must not keep it.
    const leaky = { ...flawedDraft, explanation: `deny IAMPolicies on projects (key ${KEY})` };
    const server = await startScriptedOpenAIServer({
      steps: [
        { toolCall: { arguments: iamPlan } },
        { toolCall: { arguments: leaky } },
        { toolCall: { arguments: fixedDraft } },
        { toolCall: { arguments: approve } },
      ],
    });
    servers.push(server);
    const prefix = `pf-ckpt-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix });
    queues.push(queue);
    const env = { PF_PREFIX: prefix, PF_MODEL_URL: server.baseURL };

    const first = startWorker({ ...env, PF_STORE: join(dir, 'first.sqlite'), PF_HOLD_AFTER_ROUND: '1' });
    await first.waitForLine(/^ready$/, 30_000);
    const { id } = await queue.enqueue({ v: 1, intent: { text: IAM_INTENT } });
    await first.waitForLine(new RegExp(`^checkpoint ${id} 1$`), 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(tools(server)).toEqual(['submit_plan', 'submit_policy']);
    expect(server.judgeRequests()).toHaveLength(1);

    // What the dead worker left: round 1 with its report, the API key scrubbed.
    const stored = await client.get(checkpointKey(prefix, id));
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(KEY);
    const { checkpoint } = JSON.parse(stored!) as {
      checkpoint: { rounds: Array<{ explanation: string; report: { passed: boolean } }> };
    };
    expect(checkpoint.rounds.map((r) => [r.explanation, r.report.passed])).toEqual([
      ['deny IAMPolicies on projects (key [redacted])', false],
    ]);

    const second = startWorker({ ...env, PF_STORE: join(dir, 'second.sqlite') });
    await second.waitForLine(new RegExp(`^resumed ${id} 1$`), 30_000);
    const view = await waitForState(queue, id, 'completed', 60_000);

    expect(view.result?.status, view.result?.reason).toBe('succeeded');
    expect(view.result?.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(tools(server)).toEqual(['submit_plan', 'submit_policy', 'submit_policy', 'submit_review']);
    expect(server.judgeRequests()).toHaveLength(1);
    expect(view.result?.usage.calls).toBe(5);
    // Progress goes on from the first run's: planned once, round 2 after round 1.
    expect(view.progress.events.filter((e) => e.type === 'planned')).toHaveLength(1);
    expect(
      view.progress.events.filter((e) => e.type === 'round-started').map((e) => e.type === 'round-started' && e.round),
    ).toEqual([1, 2]);
    // Done: nothing left to resume.
    expect(await client.exists(checkpointKey(prefix, id))).toBe(0);
  });

  it('a retry after a transient model failure resumes from the rounds its failed attempt paid for', async () => {
    const server = await startScriptedOpenAIServer({
      steps: [
        { toolCall: { arguments: iamPlan } },
        { toolCall: { arguments: flawedDraft } },
        { status: 503 },
        { toolCall: { arguments: fixedDraft } },
        { toolCall: { arguments: approve } },
      ],
    });
    servers.push(server);
    const prefix = `pf-ckpt-retry-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix, attempts: 2, backoffMs: 100 });
    queues.push(queue);
    const model = {
      provider: 'openai-compatible' as const,
      model: 'scripted',
      apiKey: KEY,
      baseURL: server.baseURL,
      timeoutMs: 10_000,
      maxRetries: 0,
      temperature: 0,
    };
    const generator = await createGenerator({ store: join(dir, 'retry.sqlite'), model, fuzz: false });
    const attempts: Array<{ attempt: number; resumed: boolean }> = [];
    const worker = startGenerationWorker({
      connection: redis.url,
      prefix,
      logger: silentLogger,
      secrets: [KEY],
      generate: (intent, ctx) => {
        attempts.push({ attempt: ctx.attempt, resumed: ctx.resume !== undefined });
        return generator.generate(intent, ctx);
      },
    });
    try {
      const { id } = await queue.enqueue({ v: 1, intent: { text: IAM_INTENT } });
      const view = await waitForState(queue, id, 'completed', 60_000);

      expect(attempts).toEqual([
        { attempt: 1, resumed: false },
        { attempt: 2, resumed: true },
      ]);
      expect(view.result?.status, view.result?.reason).toBe('succeeded');
      expect(view.result?.rounds.map((r) => r.round)).toEqual([1, 2]);
      // Attempt 2 asked only for round 2 (again: the 503 answered nothing) and the critic.
      expect(tools(server)).toEqual([
        'submit_plan',
        'submit_policy',
        'submit_policy',
        'submit_policy',
        'submit_review',
      ]);
      expect(server.judgeRequests()).toHaveLength(1);
      expect(await client.exists(checkpointKey(prefix, id))).toBe(0);
    } finally {
      await worker.close();
      await generator.close();
    }
  });
});
