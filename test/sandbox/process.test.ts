import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { createSandbox, loadPolicy, loadSuite } from '../../sandbox/index.js';
import { ProcessPoolBackend } from '../../sandbox/process-pool.js';
import { podCase, policy } from './helpers.js';

// 'process' isolation: the same engine in child processes (needs dist/, built by the global setup).
const sandbox = createSandbox({ isolation: 'process', processes: 2, maxTimeoutMs: 500, memoryLimitMb: 32 });
afterAll(() => sandbox.close());

describe("'process' isolation", () => {
  it('gives the same verdicts as inline isolation', async () => {
    const r = await sandbox.runSuite(policy("if (request.object.metadata.labels?.env === 'prod') deny('prod'); warn('checked')"), [
      podCase('prod', 'deny', { object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x', labels: { env: 'prod' } } } }),
      podCase('dev', 'warn', { message: 'checked' }),
    ]);
    expect(r.passed).toBe(true);
    expect(r.cases[0].outcome).toMatchObject({ code: 403, message: 'prod' });
  });

  it('runs the shared intent suites', async () => {
    const dir = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'intents');
    if (!existsSync(dir)) return console.warn(`[policyforge] ${dir} not found: skipping`);
    const ids = readdirSync(dir).filter((f) => f.endsWith('.policy.yaml')).map((f) => f.slice(0, -'.policy.yaml'.length));
    const results = await Promise.all(ids.map(async (id) => sandbox.runSuite(await loadPolicy(join(dir, `${id}.policy.yaml`)), await loadSuite(join(dir, `${id}.yaml`)))));
    expect(results.map((r) => r.passed)).toEqual(ids.map(() => true));
  });

  it('survives memory bombs and timeouts in the child, and the next suite runs', async () => {
    const roomy = createSandbox({ isolation: 'process', processes: 1, maxTimeoutMs: 10_000, memoryLimitMb: 32 });
    try {
      const bomb = await roomy.runSuite(policy('const a = []; for (;;) a.push(new Array(1e6).fill(1));'), [podCase('bomb', 'deny')]);
      expect(bomb.cases[0].outcome).toMatchObject({ code: 500, errorKind: 'memory' });
      const next = await roomy.runSuite(policy("deny('fine')"), [podCase('next', 'deny', { message: 'fine' })]);
      expect(next.passed).toBe(true);
    } finally {
      await roomy.close();
    }
  });

  it('a child that dies fails the request in flight with PF_ERR_SANDBOX_CRASHED and is replaced', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32 });
    try {
      const err = await pool.crashOneChild().catch((e: unknown) => e);
      expect(isPolicyforgeError(err, 'PF_ERR_SANDBOX_CRASHED')).toBe(true);
      expect((err as Error).message).toMatch(/child \d+ died \(exit code 70\)/);
      expect(pool.crashes).toBe(1);
      const runs = await pool.runCases("deny('after the crash')", [{ requestJson: '{"operation":"CREATE"}', timeoutMs: 500 }]);
      expect(runs[0].verdict).toEqual({ kind: 'deny', message: 'after the crash', reason: 'Forbidden', code: 403 });
    } finally {
      await pool.close();
    }
  });

  it('a child killed from outside mid-suite fails that suite clearly', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32 });
    try {
      const running = pool.runCases('while (true) {}', [{ requestJson: '{}', timeoutMs: 5_000 }]);
      await new Promise((r) => setTimeout(r, 300));
      const pid = pool.pids()[0];
      process.kill(pid, 'SIGKILL');
      const err = await running.catch((e: unknown) => e);
      expect(isPolicyforgeError(err, 'PF_ERR_SANDBOX_CRASHED')).toBe(true);
      expect((err as Error).message).toContain('signal SIGKILL');
      expect(pool.pids()).not.toContain(pid);
    } finally {
      await pool.close();
    }
  });

  it('close() stops the children and later calls are refused', async () => {
    const s = createSandbox({ isolation: 'process', processes: 1 });
    await s.runSuite(policy('allow()'), [podCase('a', 'allow')]);
    await s.close();
    await expect(s.runSuite(policy('allow()'), [podCase('a', 'allow')])).rejects.toSatisfy((e) => isPolicyforgeError(e));
  });
});
