import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { createSandbox, loadPolicy, loadSuite } from '../../sandbox/index.js';
import { ProcessPoolBackend, SCRIPTS_PER_CHILD, type ChildRequest } from '../../sandbox/process-pool.js';
import { podCase, policy } from './helpers.js';

// 'process' isolation: the same engine in child processes (needs dist/, built by the global setup).
const sandbox = createSandbox({ isolation: 'process', processes: 2, maxTimeoutMs: 500, memoryLimitMb: 32 });
afterAll(() => sandbox.close());

describe("'process' isolation", () => {
  it('gives the same verdicts as inline isolation', async () => {
    const r = await sandbox.runSuite(
      policy("if (request.object.metadata.labels?.env === 'prod') deny('prod'); warn('checked')"),
      [
        podCase('prod', 'deny', {
          object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x', labels: { env: 'prod' } } },
        }),
        podCase('dev', 'warn', { message: 'checked' }),
      ],
    );
    expect(r.passed).toBe(true);
    expect(r.cases[0].outcome).toMatchObject({ code: 403, message: 'prod' });
  });

  it('runs the shared intent suites', async () => {
    const dir = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'intents');
    if (!existsSync(dir)) return console.warn(`[policyforge] ${dir} not found: skipping`);
    const ids = readdirSync(dir)
      .filter((f) => f.endsWith('.policy.yaml'))
      .map((f) => f.slice(0, -'.policy.yaml'.length));
    const results = await Promise.all(
      ids.map(async (id) =>
        sandbox.runSuite(await loadPolicy(join(dir, `${id}.policy.yaml`)), await loadSuite(join(dir, `${id}.yaml`))),
      ),
    );
    expect(results.map((r) => r.passed)).toEqual(ids.map(() => true));
  });

  it('survives memory bombs and timeouts in the child, and the next suite runs', async () => {
    const roomy = createSandbox({ isolation: 'process', processes: 1, maxTimeoutMs: 10_000, memoryLimitMb: 32 });
    try {
      const bomb = await roomy.runSuite(policy('const a = []; for (;;) a.push(new Array(1e6).fill(1));'), [
        podCase('bomb', 'deny'),
      ]);
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
      const runs = await pool.runCases("deny('after the crash')", [
        { requestJson: '{"operation":"CREATE"}', timeoutMs: 500 },
      ]);
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
    await expect(s.runSuite(policy('allow()'), [podCase('a', 'allow')])).rejects.toSatisfy((e) =>
      isPolicyforgeError(e),
    );
  });
});

/** A result without its timings, which differ from run to run. */
function untimed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untimed);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'durationMs')
      .map(([k, v]) => [k, untimed(v)]),
  );
}

describe("'process' isolation's messages", () => {
  it('returns what inline isolation returns for every shared suite, to the field (the JSON channel loses nothing)', async () => {
    const dir = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'intents');
    if (!existsSync(dir)) return console.warn(`[policyforge] ${dir} not found: skipping`);
    const inline = createSandbox({ isolation: 'inline', maxTimeoutMs: 500, memoryLimitMb: 32 });
    try {
      const ids = readdirSync(dir)
        .filter((f) => f.endsWith('.policy.yaml'))
        .map((f) => f.slice(0, -'.policy.yaml'.length));
      for (const id of ids) {
        const [p, suite] = [await loadPolicy(join(dir, `${id}.policy.yaml`)), await loadSuite(join(dir, `${id}.yaml`))];
        expect(untimed(await sandbox.runSuite(p, suite)), id).toEqual(untimed(await inline.runSuite(p, suite)));
      }
    } finally {
      await inline.close();
    }
  });

  it('sends requests made together in one message, and each caller gets its own results', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32 });
    try {
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          pool.runCases(`deny('policy ${i}')`, [
            { requestJson: '{}', timeoutMs: 5_000 },
            { requestJson: '{}', timeoutMs: 5_000 },
          ]),
        ),
      );
      expect(runs.map((r) => r.map((run) => run.verdict?.kind === 'deny' && run.verdict.message))).toEqual(
        Array.from({ length: 8 }, (_, i) => [`policy ${i}`, `policy ${i}`]),
      );
      expect(pool.messages).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('a child that dies with several requests in flight fails only the one that killed it', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32 });
    try {
      const before = pool.runCases("deny('before')", [{ requestJson: '{}', timeoutMs: 5_000 }]);
      const crash = pool.crashOneChild().catch((e: unknown) => e);
      const after = pool.runCases("deny('after')", [{ requestJson: '{}', timeoutMs: 5_000 }]);
      expect((await before)[0].verdict).toMatchObject({ kind: 'deny', message: 'before' });
      expect(isPolicyforgeError(await crash, 'PF_ERR_SANDBOX_CRASHED')).toBe(true);
      expect((await after)[0].verdict).toMatchObject({ kind: 'deny', message: 'after' });
      // The three went in one message; that child died, the three went again alone, and the crash's child died.
      expect(pool.crashes).toBe(2);
      expect(pool.messages).toBe(4);
    } finally {
      await pool.close();
    }
  });

  it('asks a child once whether a policy compiles, and remembers failures too', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32 });
    try {
      expect(await pool.checkCompiles("deny('x')")).toEqual({ ok: true });
      const broken = await pool.checkCompiles('deny(');
      expect(broken.ok).toBe(false);
      expect(pool.messages).toBe(2);
      expect(await pool.checkCompiles("deny('x')")).toEqual({ ok: true });
      expect(await pool.checkCompiles('deny(')).toEqual(broken);
      expect(pool.messages).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('sends a policy source to a child once, and names it by id after, past the number of sources a child keeps', async () => {
    // 128 MB: the child's engine keeps 16 policy contexts, more than 32 MB holds.
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 128 });
    const sent: ChildRequest[] = [];
    try {
      const n = SCRIPTS_PER_CHILD + 6;
      const order = [
        ...Array.from({ length: n }, (_, i) => i),
        ...Array.from({ length: n }, (_, i) => n - 1 - i),
        3,
        3,
      ];
      for (const i of order) {
        const runs = await pool.runCases(`deny('policy ${i}')`, [{ requestJson: '{}', timeoutMs: 5_000 }]);
        expect(runs[0].verdict, `policy ${i}: ${runs[0].error}`).toMatchObject({
          kind: 'deny',
          message: `policy ${i}`,
        });
        if (sent.length === 0) spyOnMessages(pool, sent);
      }
      const withSource = sent.map((m) =>
        m.items.some((item) => item.op === 'run' && item.script.javascript !== undefined),
      );
      // Every policy once on the way up; on the way down the most recent SCRIPTS_PER_CHILD are still held,
      // the rest (the least recently used) are sent again; the last two runs of policy 3 name it by id.
      expect(withSource.filter(Boolean).length).toBe(n - 1 + 6);
      expect(withSource.slice(-2)).toEqual([false, false]);
    } finally {
      await pool.close();
    }
  });
});

/** Records the messages the pool sends from now on (its children are started once the first is sent). */
function spyOnMessages(pool: ProcessPoolBackend, sent: ChildRequest[]): void {
  for (const pid of pool.pids()) {
    const worker = (
      pool as unknown as { workers: Array<{ child: { pid: number; send: (m: ChildRequest) => boolean } }> }
    ).workers.find((w) => w.child.pid === pid)!;
    const send = worker.child.send.bind(worker.child);
    worker.child.send = (m: ChildRequest) => {
      sent.push(m);
      return send(m);
    };
  }
}
