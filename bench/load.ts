import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type GenerationResult, type Intent } from '../common/index.js';
import { startScriptedOpenAIServer } from '../test/support/scripted-openai-server.js';
import {
  createGenerationQueue,
  startGenerationWorker,
  type GenerateFn,
  type GenerationWorker,
} from '../worker/index.js';
import type { BenchSection } from './benches.js';

/**
 * Load: 200 distinct intents enqueued at once, each needing three model calls (plan, draft, critique) to a
 * scripted OpenAI-compatible server that answers every call after 200 ms; 1, 2 and 4 workers (separate
 * BullMQ workers with their own Redis connections, concurrency 1 each) on a private redis-server.
 * Measures throughput, time in queue (enqueue → start) and checks that every job completed exactly once.
 */
const INTENTS = 200;
const CALL_MS = 200;
const CALLS_PER_INTENT = 3;
const WORKER_COUNTS = [1, 2, 4] as const;

interface RunFigures {
  workers: number;
  seconds: number;
  perMinute: number;
  p50QueueMs: number;
  p99QueueMs: number;
  completed: number;
  lost: number;
  duplicates: number;
}

export async function run(): Promise<BenchSection> {
  const redis = await startRedis();
  const model = await startScriptedOpenAIServer({
    fallback: { content: '{"ok": true}', delayMs: CALL_MS, usage: { prompt_tokens: 400, completion_tokens: 80 } },
  });
  const figures: RunFigures[] = [];
  try {
    for (const workers of WORKER_COUNTS) figures.push(await runOnce(redis.url, model.baseURL, workers));
  } finally {
    await model.close();
    redis.stop();
  }
  const rows = figures.map(
    (f) =>
      `| ${f.workers} | ${f.seconds.toFixed(1)} s | ${f.perMinute.toFixed(0)} | ${(f.p50QueueMs / 1000).toFixed(1)} s | ${(f.p99QueueMs / 1000).toFixed(1)} s | ${f.completed}/${INTENTS} | ${f.lost} | ${f.duplicates} |`,
  );
  const ideal = (w: number) => (INTENTS * CALLS_PER_INTENT * CALL_MS) / w / 1000;
  return {
    title: 'Load: 200 intents through 1, 2 and 4 workers (`npm run bench -- load`)',
    markdown: [
      `${INTENTS} distinct intents enqueued at once through \`createGenerationQueue\`; each job makes ${CALLS_PER_INTENT} model calls (plan, draft, critique) to the scripted OpenAI-compatible server, which answers each after ${CALL_MS} ms, and reports progress after each call. Workers are \`startGenerationWorker\` instances (concurrency 1, own Redis connections) on a private redis-server. Time in queue = job start − enqueue.`,
      '',
      '| workers | wall time | intents/min | p50 time in queue | p99 time in queue | completed | lost | ran twice |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `The floor set by the model alone is ${WORKER_COUNTS.map((w) => `${ideal(w).toFixed(0)} s (${w})`).join(', ')}; the rest is queue overhead (Redis round trips, progress writes, lock renewal). Throughput scales with workers because the work is waiting on the model; the real loop adds sandbox and fuzzing CPU per round (see the loop and fuzz benchmarks).`,
    ].join('\n'),
  };
}

async function runOnce(redisUrl: string, baseURL: string, workerCount: number): Promise<RunFigures> {
  const prefix = `bench-load-${workerCount}-${Date.now()}`;
  const queue = createGenerationQueue({ connection: redisUrl, prefix });
  const runs = new Map<string, number>();
  const generate: GenerateFn = async (intent, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    for (let call = 1; call <= CALLS_PER_INTENT; call++) {
      const response = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: JSON.stringify({ model: 'scripted', messages: [{ role: 'user', content: intent.text }] }),
      });
      if (!response.ok) throw new Error(`scripted model answered ${response.status}`);
      await response.json();
      ctx.onProgress(
        call === 1
          ? {
              type: 'planned',
              plan: {
                target: {
                  type: 'Validating',
                  resources: ['pods'],
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  operations: ['CREATE'],
                  scope: 'Namespaced',
                  namespaces: [],
                },
                steps: [],
                tests: [],
              },
            }
          : { type: 'round-started', round: call - 1 },
      );
    }
    return result(intent);
  };
  const workers: GenerationWorker[] = Array.from({ length: workerCount }, () =>
    startGenerationWorker({ connection: redisUrl, prefix, concurrency: 1, generate, logger: silentLogger }),
  );
  await Promise.all(workers.map((w) => w.worker.waitUntilReady()));

  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: INTENTS }, (_, i) =>
      queue.enqueue({ v: 1, intent: { text: `Load intent ${i}: deny pods labelled tier=${i}` } }).then((r) => r.id),
    ),
  );
  const deadline = started + 30 * 60_000;
  let completed: number;
  while (Date.now() < deadline) {
    const counts = await queue.counts();
    completed = counts.completed ?? 0;
    if (completed + (counts.failed ?? 0) >= INTENTS) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const views = await Promise.all(ids.map((id) => queue.getJob(id)));
  const finishedAt = Math.max(...views.map((v) => (v?.finishedAt ? Date.parse(v.finishedAt) : 0)));
  const queued = views
    .map((v) => v?.queuedMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const done = views.filter((v) => v?.state === 'completed' && v.result?.status === 'succeeded').length;
  await Promise.all(workers.map((w) => w.close()));
  await queue.queue.obliterate({ force: true });
  await queue.close();
  const seconds = (finishedAt - started) / 1000;
  return {
    workers: workerCount,
    seconds,
    perMinute: (done / seconds) * 60,
    p50QueueMs: percentile(queued, 0.5),
    p99QueueMs: percentile(queued, 0.99),
    completed: done,
    lost: INTENTS - done,
    duplicates: [...runs.values()].filter((n) => n > 1).length,
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function result(intent: Intent): GenerationResult {
  const usage = {
    promptTokens: 400 * CALLS_PER_INTENT,
    completionTokens: 80 * CALLS_PER_INTENT,
    totalTokens: 480 * CALLS_PER_INTENT,
    calls: CALLS_PER_INTENT,
  };
  return {
    status: 'succeeded',
    reason: 'scripted',
    intent,
    safeToApply: true,
    rounds: [],
    usage,
    skillsUsed: [],
    skillsAdded: [],
    source: 'model',
    durationMs: CALL_MS * CALLS_PER_INTENT,
  };
}

/** REDIS_URL if set (a server you may use), else a private redis-server on a free port. */
async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error('bench load needs redis-server (apt-get install -y redis-server) or REDIS_URL');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as AddressInfo;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
