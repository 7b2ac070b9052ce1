import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { createGenerator } from '../../src/loop/index.js';
import { createGenerationQueue, startGenerationWorker } from '../../worker/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';

// A job handed back at shutdown must stop working, not keep calling the model and the sandbox in a process
// that is on its way out: the worker aborts the job's signal, and the loop checks it between steps.

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  redis = await redisForTests();
  dir = mkdtempSync(join(tmpdir(), 'pf-handed-back-'));
});
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a generation handed back at shutdown', () => {
  it('stops at the next step of the loop: no more sandbox work, no result', async () => {
    const real = createSandbox({ isolation: 'inline' });
    // the sandbox holds the first suite until the test lets it go, so the shutdown lands mid-verify
    let entered!: () => void;
    const inVerify = new Promise<void>((r) => (entered = r));
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const suitesRun: number[] = [];
    const sandbox: SandboxRunner = {
      async runSuite(policy, cases, options) {
        suitesRun.push(Date.now());
        if (suitesRun.length === 1) {
          entered();
          await held;
        }
        return real.runSuite(policy, cases, options);
      },
      runFunctionTests: (code, fn, tests) => real.runFunctionTests(code, fn, tests),
      close: () => real.close(),
    };
    const generator = await createGenerator({ store: join(dir, 'skills.sqlite'), sandbox, model: null, fuzz: false });
    const prefix = `pf-handed-back-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix });
    let run: Promise<string> | undefined;
    const worker = startGenerationWorker({
      connection: redis.url,
      prefix,
      logger: silentLogger,
      shutdownGraceMs: 100,
      generate: (intent, ctx) => {
        const p = generator.generate(intent, { onProgress: ctx.onProgress, signal: ctx.signal });
        run = p.then(
          (r) => `finished: ${r.status}`,
          () => 'stopped',
        );
        return p;
      },
    });
    try {
      const { id } = await queue.enqueue({ v: 1, intent: { text: 'Deny pods that use the host network.' } });
      await inVerify;
      const suitesBefore = suitesRun.length;
      await worker.close();
      expect((await queue.getJob(id))?.state).toBe('waiting');

      letGo(); // the suite in flight answers: the loop must not go on to learn, critique or another round
      expect(await run).toBe('stopped');
      expect(suitesRun.length).toBe(suitesBefore);
    } finally {
      await worker.close();
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await generator.close();
      await real.close();
    }
  });
});
