import { afterAll, describe, expect, it } from 'vitest';
import { COMPILE_FAILURE, createSandbox, escapeForTerminal, formatSuiteResult } from '../../sandbox/index.js';
import { podCase, policy } from './helpers.js';

// Issue 12 §2: what a policy can hold and do to the process running it, and what it can print.
const sandbox = createSandbox({ maxTimeoutMs: 2_000, memoryLimitMb: 32 });
// Filling 32 MB takes ~150 ms on an idle machine: room enough that a memory bomb ends by memory, not time.
const roomy = createSandbox({ maxTimeoutMs: 20_000, memoryLimitMb: 32 });
afterAll(() => Promise.all([sandbox.close(), roomy.close()]));

async function one(javascript: string, box = sandbox) {
  return (await box.runSuite(policy(javascript), [podCase('c', 'deny')])).cases[0].outcome;
}

describe('memory outside the heap limit is not available to policies', () => {
  it('WebAssembly, SharedArrayBuffer and Atomics do not exist (jsPolicy policies have no use for them)', async () => {
    const o = await one("deny([typeof WebAssembly, typeof SharedArrayBuffer, typeof Atomics].join(' '))");
    expect(o.message).toBe('undefined undefined undefined');
  });

  it('Atomics.waitAsync cannot be reached, so it can neither abort the process nor keep memory alive', async () => {
    const o = await one('Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(16)), 0, 0, 1); allow()');
    expect(o).toMatchObject({ code: 500, errorKind: 'throw' });
    expect(o.message).toMatch(/^Uncaught ReferenceError: (Atomics|SharedArrayBuffer) is not defined/);
  });

  it('a resizable ArrayBuffer grows by at most a bounded amount per run', async () => {
    const o = await one('const b = new ArrayBuffer(1, { maxByteLength: 2 ** 30 }); b.resize(2 ** 28); allow()');
    expect(o).toMatchObject({ code: 500, errorKind: 'throw' });
    expect(o.message).toMatch(
      /^Uncaught RangeError: ArrayBuffer\.prototype\.resize: the sandbox lets one run grow buffers by at most 4194304 bytes/,
    );
    const small = await one(
      'const b = new ArrayBuffer(1, { maxByteLength: 1024 }); b.resize(1024); deny(String(b.byteLength))',
    );
    expect(small.message).toBe('1024');
  });
});

describe("a case never inherits another case's fate", () => {
  it('after one case runs out of memory, the next cases of the same policy run on a rebuilt isolate', async () => {
    const p = policy(
      "if (request.object.metadata.name === 'bomb') { const a = []; for (;;) a.push(new Array(1e6).fill(1)); } deny('ran ' + request.object.metadata.name)",
    );
    const bomb = podCase('bomb', 'deny', {
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bomb', namespace: 'default' } },
    });
    const after = (n: string) =>
      podCase(n, 'deny', {
        message: `ran ${n}`,
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default' } },
      });
    const r = await roomy.runSuite(p, [bomb, after('next'), after('and-next')]);
    expect(r.cases[0].outcome.errorKind).toBe('memory');
    expect(r.cases[1].outcome, JSON.stringify(r.cases[1].outcome)).toMatchObject({ code: 403, message: 'ran next' });
    expect(r.cases[2].outcome).toMatchObject({ code: 403, message: 'ran and-next' });
    // and a later suite (a later request in serve) too
    const later = await roomy.runSuite(p, [after('later')]);
    expect(later.passed).toBe(true);
  });
});

describe("a policy never pays for memory other policies' contexts left in the shared isolate", () => {
  // jsPolicy gives every policy VMs of its own (pkg/vm/vmpool.go); the sandbox keeps up to 16 policies' contexts in
  // one isolate, whose released contexts V8 may not have collected yet when the limit is reached.
  const tight = createSandbox({ memoryLimitMb: 8 });
  afterAll(() => tight.close());

  it('after many policies have run, an innocent one is judged on its own: no out-of-memory 500', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i++) {
      const p = policy(`const note${i} = ${JSON.stringify('x'.repeat(2000))};\nallow();`, {}, `p${i}.policyforge.dev`);
      const r = await tight.runSuite(p, [podCase('ordinary pod', 'allow')]);
      outcomes.push(r.cases[0].outcome.actual);
    }
    // Before the retry on a new isolate, case 26 or so (8 MB) was denied with "the policy ran out of memory".
    expect(outcomes.filter((o) => o !== 'allow')).toEqual([]);
  });

  it('memory that runs out while the source is compiled is reported as memory, never as "fails to compile"', async () => {
    // checkCompiles compiled on the shared isolate and reported V8's "Isolate was disposed … due to memory limit" as
    // the policy failing to compile (which in jsPolicy deletes the webhook), and cached that verdict. A 3 MB source
    // does not fit an 8 MB sandbox even on a new isolate: every request fails as out of memory.
    const huge = Array.from({ length: 80000 }, (_, k) => `var v${k} = [${k}, ${k + 1}, {a: ${k}}];`).join('\n');
    const r = await tight.runSuite(policy(`${huge}\nallow();`, {}, 'huge.policyforge.dev'), [podCase('pod', 'allow')]);
    expect(r.cases[0].failure).toMatch(/ran out of memory while compiling \(sandbox limit 8 MB\)/);
    expect(r.cases[0].failure).not.toContain(COMPILE_FAILURE);
    // The isolate it took down is replaced: the next policy is judged on its own.
    const next = await tight.runSuite(policy('allow();', {}, 'next.policyforge.dev'), [podCase('pod', 'allow')]);
    expect(next.cases[0].outcome.actual).toBe('allow');
  });

  it('a policy that exhausts memory on its own is still reported as doing so', async () => {
    const bomb = policy('const a = []; for (;;) a.push(new Array(1e5).fill(1));');
    const r = await tight.runSuite(bomb, [podCase('bomb', 'deny')]);
    expect(r.cases[0].outcome.errorKind).toBe('memory');
  });
});

describe('deny() and warn() from promise callbacks count (v8go runs promise jobs before the result is read)', () => {
  // pkg/webhook/handler.go 181-192: __response is read after RunScriptWithTimeout returns; v8go's RunScript
  // (pkg/vm/vm.go 260-261) runs the microtask queue when the script ends.
  it('a deny from .then', async () => {
    expect(await one("Promise.resolve().then(() => deny('from then'))")).toMatchObject({
      actual: 'deny',
      code: 403,
      message: 'from then',
    });
  });

  it('a deny after await', async () => {
    expect(await one("(async () => { await null; await null; deny('after await') })()")).toMatchObject({
      actual: 'deny',
      message: 'after await',
    });
  });

  it('a warn from .then', async () => {
    const r = await sandbox.runSuite(policy("Promise.resolve().then(() => warn('late warning'))"), [
      podCase('c', 'warn'),
    ]);
    expect(r.cases[0].outcome.warnings).toEqual(['[test.policyforge.dev]: late warning']);
  });

  it("an error in a promise job is not the script's error (nobody reads it) and the request is admitted", async () => {
    const o = await one("Promise.resolve().then(() => { throw new Error('lost') })");
    expect(o).toMatchObject({ actual: 'allow', allowed: true });
  });

  it('a promise job that never ends is stopped by the timeout', async () => {
    const o = await one('Promise.resolve().then(() => { for (;;) {} })');
    expect(o).toMatchObject({ code: 500, errorKind: 'timeout' });
  });
});

describe('text from a policy or a model is printed escaped', () => {
  const forged = '\u001b[2K\r\u001b[32mok  \u001b[0m all good\nPASS  9/9 case(s) passed\u202e';

  it('escapeForTerminal turns every control and bidi character into a visible escape', () => {
    expect(escapeForTerminal(forged)).toBe(
      '\\x1b[2K\\r\\x1b[32mok  \\x1b[0m all good\\nPASS  9/9 case(s) passed\\u202e',
    );
    expect(escapeForTerminal('x'.repeat(10), 4)).toBe('xxxx… [6 more chars; --json shows all]');
  });

  it('a suite run cannot forge or hide lines: deny messages, warnings, prints and case names are escaped', async () => {
    const p = policy(
      `print(${JSON.stringify(forged)}); warn(${JSON.stringify(forged)}); deny(${JSON.stringify(forged)})`,
    );
    const r = await sandbox.runSuite(p, [podCase(`name${forged}`, 'allow')]);
    const text = formatSuiteResult(r);
    // eslint-disable-next-line no-control-regex -- the point: no control character reaches the terminal
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    // every line the output has is one the formatter wrote: the case line and its details
    expect(text.split('\n').filter((l) => /^(ok|PASS)/.test(l))).toEqual([]);
    expect(text).toContain('FAIL  name\\x1b[2K\\r');
  });
});
