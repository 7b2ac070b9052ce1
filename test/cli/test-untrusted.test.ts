import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `policyforge test` on untrusted policies, through the real bin (issue 12 §2, issue 13 item 2).
const ROOT = resolve(import.meta.dirname, '..', '..');

function cli(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', ['bin/policyforge.js', ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: string }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : (e.signal ?? 'unknown')) : 0, stdout, stderr });
    });
  });
}

async function files(
  javascript: string,
  spec: Record<string, unknown> = {},
): Promise<{ suite: string; policy: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-untrusted-'));
  const suite = join(dir, 'suite.yaml');
  const policy = join(dir, 'policy.yaml');
  await writeFile(
    suite,
    'intent: untrusted code\ncases:\n  - name: a pod\n    object: {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: default}}\n    expect: allow\n',
  );
  const doc = {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'untrusted.example.com' },
    spec: { operations: ['CREATE'], resources: ['pods'], ...spec, javascript },
  };
  await writeFile(policy, JSON.stringify(doc));
  return { suite, policy };
}

describe('policyforge test with untrusted policies', { timeout: 240_000 }, () => {
  it('Atomics.waitAsync ends in a reported outcome and exit 1, never in the death of the CLI (was SIGABRT, exit 134)', async () => {
    const f = await files(
      'const a = new Int32Array(new SharedArrayBuffer(16)); Atomics.waitAsync(a, 0, 0, 1); allow()',
    );
    const r = await cli('test', f.suite, '--policy', f.policy);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}a pod {2}expected allow, got deny \(500\)/m);
    expect(r.stdout).toMatch(/message: Uncaught ReferenceError: SharedArrayBuffer is not defined/);
  });

  it('escape sequences in what a policy prints cannot forge a PASS line or hide the FAIL ones', async () => {
    const forged = '\u001b[1A\u001b[2K\r\u001b[32mPASS  1/1 case(s) passed\u001b[0m';
    const f = await files(`print(${JSON.stringify(forged)}); deny(${JSON.stringify(forged)})`);
    const r = await cli('test', f.suite, '--policy', f.policy);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('PASS'))).toEqual([]);
    expect(r.stdout).toContain('print: \\x1b[1A\\x1b[2K\\r\\x1b[32mPASS');
  });

  it("runs with jsPolicy's own limit by default and says which limit applied", async () => {
    const f = await files('allow()');
    const r = await cli('test', f.suite, '--policy', f.policy);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^time limit: 10000 ms per case \(jsPolicy's default\)$/m);
  });

  // pkg/vm/vm.go 214: GLOBAL_CONTEXT is run in every context before the policy
  it("--global-context FILE is run before the policy, as jsPolicy's GLOBAL_CONTEXT", async () => {
    const f = await files("if (isProd(request.object)) deny('prod'); allow()");
    const global = join(f.suite, '..', 'global.js');
    await writeFile(global, "function isProd(o) { return o.metadata.name === 'web' }");
    const r = await cli('test', f.suite, '--policy', f.policy, '--global-context', global);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}a pod {2}expected allow, got deny \(403\)/m);
    const without = await cli('test', f.suite, '--policy', f.policy);
    expect(without.stdout).toMatch(/ReferenceError: isProd is not defined/);
  });

  // pkg/controllers/jspolicy.go 692-695: the webhook's timeout is the policy's; pkg/webhook/handler.go 72-84:
  // the VM gets the same timeout, so the API server gives up first and failurePolicy decides.
  it('a script that runs past its timeout is decided by failurePolicy, and the output says so', async () => {
    const ignore = await files('while (true) {}', { timeoutSeconds: 1, failurePolicy: 'Ignore' });
    const r = await cli('test', ignore.suite, '--policy', ignore.policy);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^time limit: 1000 ms per case \(spec\.timeoutSeconds\)$/m);
    expect(r.stdout).toMatch(
      /timeout: timed out at 1000 ms \(spec\.timeoutSeconds\): the API server's deadline passed first, so failurePolicy Ignore decided \(admitted\)/,
    );
    const fail = await files('while (true) {}', { timeoutSeconds: 1 });
    const f = await cli('test', fail.suite, '--policy', fail.policy, '--json');
    expect(f.code).toBe(1);
    const out = JSON.parse(f.stdout) as { limit: unknown; cases: Array<{ outcome: Record<string, unknown> }> };
    expect(out.limit).toEqual({ limitMs: 1000, limitSource: 'policy' });
    expect(out.cases[0].outcome).toMatchObject({
      allowed: false,
      code: 500,
      reason: 'InternalError',
      message:
        'Internal error occurred: failed calling webhook "untrusted.example.com": failed to call webhook: Post "https://jspolicy.jspolicy.svc:443/policy/untrusted.example.com?timeout=1s": context deadline exceeded',
      timeout: { limitMs: 1000, limitSource: 'policy', failurePolicy: 'Fail', decidedBy: 'failurePolicy' },
    });
  });
});
