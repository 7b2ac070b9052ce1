import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/index.js';
import { ProcessPoolBackend } from '../../sandbox/process-pool.js';
import { isAlive } from '../support/processes.js';

// close() of 'process' isolation must settle on its own: idle children are unref'd, and a CLI that awaits
// close() at top level exits with code 13 (unsettled top-level await) if nothing keeps the loop alive while
// the children exit. The scripts run the compiled sandbox (dist/, built by the global setup) in a fresh node.
const dir = mkdtempSync(join(tmpdir(), 'pf-sandbox-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sandboxModule = pathToFileURL(join(packageRoot, 'dist', 'sandbox', 'index.js')).href;

const script = (body: string): string => {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { createSandbox } from ${JSON.stringify(sandboxModule)};
const policy = (javascript) => ({ apiVersion: 'policy.jspolicy.com/v1beta1', kind: 'JsPolicy', metadata: { name: 'close.policyforge.dev' }, spec: { operations: ['CREATE'], resources: ['pods'], javascript } });
const podCase = (name, expect) => ({ name, expect, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' } } });
${body}
`,
  );
  return file;
};

/** Runs a script; a hang is cut off (SIGKILL) long after a working close() would have returned. */
async function runScript(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--no-node-snapshot', file], {
      timeout: 45_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : null, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe("'process' isolation close()", () => {
  it('settles after a suite has run: a top-level `await close()` returns and node exits 0', async () => {
    const file = script(`
const sandbox = createSandbox({ isolation: 'process', processes: 2 });
const results = await Promise.all([1, 2, 3].map(() => sandbox.runSuite(policy("deny('no')"), [podCase('denied', 'deny')])));
console.log('ran', results.every((r) => r.passed));
await sandbox.close();
console.log('closed');
`);
    const run = await runScript(file);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim().split('\n')).toEqual(['ran true', 'closed']);
  });

  it('settles while a child is busy: the suite in flight fails with PF_ERR_SANDBOX_CRASHED, node exits 0', async () => {
    const file = script(`
const sandbox = createSandbox({ isolation: 'process', processes: 1, maxTimeoutMs: 30000 });
const running = sandbox.runSuite({ ...policy('while (true) {}'), spec: { ...policy('').spec, javascript: 'while (true) {}', timeoutSeconds: 30 } }, [podCase('spins', 'deny')]).then(() => 'finished', (e) => e.code);
await new Promise((r) => setTimeout(r, 500));
await sandbox.close();
console.log('in flight:', await running);
console.log('closed');
`);
    const run = await runScript(file);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim().split('\n')).toEqual(['in flight: PF_ERR_SANDBOX_CRASHED', 'closed']);
  });

  it('settles when close() is called twice, and the second call also waits for the children', async () => {
    const file = script(`
const sandbox = createSandbox({ isolation: 'process', processes: 1 });
await sandbox.runSuite(policy('allow()'), [podCase('allowed', 'allow')]);
let firstSettled = false;
const first = sandbox.close().then(() => { firstSettled = true; });
await sandbox.close();
console.log('second returned after the first:', firstSettled);
await first;
console.log('closed');
`);
    const run = await runScript(file);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim().split('\n')).toEqual(['second returned after the first: true', 'closed']);
  });

  it('kills a child that does not exit on SIGTERM (here: stopped) with SIGKILL after the grace period', async () => {
    const pool = new ProcessPoolBackend({ processes: 1, memoryLimitMb: 32, closeGraceMs: 200 });
    await pool.checkCompiles('allow()');
    const [pid] = pool.pids();
    expect(isAlive(pid)).toBe(true);
    // A stopped process keeps SIGTERM pending; only SIGKILL ends it.
    process.kill(pid, 'SIGSTOP');
    await pool.close();
    expect(isAlive(pid)).toBe(false);
    expect(pool.pids()).toEqual([]);
  });
});
