import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../sandbox/index.js';
import { podCase, policy } from './helpers.js';

// Generated policy code is untrusted. Each hostile script must end in a clear verdict, the host must
// not be touched, and the ordinary case run right after it on the same sandbox must still pass.
const sandbox = createSandbox({ maxTimeoutMs: 500, memoryLimitMb: 32 });
// Filling 32 MB takes ~150 ms on an idle machine; give memory bombs room so they end by memory, not time.
const roomy = createSandbox({ maxTimeoutMs: 10_000, memoryLimitMb: 32 });
afterAll(() => Promise.all([sandbox.close(), roomy.close()]));

const FOLLOW_UP = policy(
  "if (request.object.metadata.labels?.env === 'prod') deny('prod'); print(typeof process, typeof hostile)",
);

interface Hostile {
  name: string;
  code: string;
  /** What the verdict must look like. */
  verdict: { code?: number; errorKind?: string; message?: RegExp; actual?: string; error?: RegExp };
  /** Run on the sandbox with a long timeout. */
  slow?: boolean;
}

const CORPUS: Hostile[] = [
  {
    name: 'Function constructor reaches for process',
    code: "const g = this.constructor.constructor('return this')(); deny(typeof g.process + ' ' + typeof g.require)",
    verdict: { code: 403, message: /^undefined undefined$/ },
  },
  {
    name: 'constructor chain from a host-provided function',
    code: "const F = deny.constructor; const p = F('return typeof process')(); deny(p)",
    verdict: { code: 403, message: /^undefined$/ },
  },
  {
    name: 'prototype of the request object leads nowhere',
    code: "const F = request.__proto__.constructor.constructor; deny(String(F('try { return process.pid } catch (e) { return e.name }')()))",
    verdict: { code: 403, message: /^ReferenceError$/ },
  },
  {
    name: 'Error.prepareStackTrace to collect the frames of the caller',
    code: "Error.prepareStackTrace = (e, frames) => frames.map((f) => typeof f.getThis()); const s = new Error('x').stack; deny(typeof s + ' ' + String(Array.isArray(s)))",
    // The policy changes a built-in, so the case gets a fresh, unfrozen context of its own as in jsPolicy:
    // the frames are the isolate's own (strict prelude frames give no receiver); the next case is unaffected.
    verdict: { code: 403, message: /^object true$/ },
  },
  {
    name: 'the caller chain of the policy function',
    code: "function f() { return f.caller } const c = f(); let up = null; try { up = c && c.caller } catch (e) { up = e.name } deny(String(up === null || up === 'TypeError' || up === undefined))",
    verdict: { code: 403, message: /^true$/ },
  },
  {
    name: 'require and import of fs',
    code: "require('fs').readFileSync('/etc/passwd')",
    // As in jsPolicy, webpack bundles it first and finds no 'fs' for its web target: nothing runs at all.
    verdict: {
      errorKind: 'compile',
      actual: 'allow',
      error: /error bundling javascript: .*\nModule not found: Error: Can't resolve 'fs'/,
    },
  },
  {
    name: 'dynamic import',
    code: "import('fs').then(() => {}); deny('import returned a promise')",
    verdict: { errorKind: 'compile', actual: 'allow', error: /Can't resolve 'fs'/ },
  },
  {
    name: 'process.exit',
    code: 'process.exit(1)',
    verdict: { code: 500, message: /^Uncaught ReferenceError: process is not defined/ },
  },
  {
    name: 'prototype pollution of Object.prototype and of the global object',
    code: "Object.prototype.hostile = 1; Array.prototype.push = null; Object.setPrototypeOf(globalThis, {hostile: 2}); deny('polluted ' + ({}).hostile + ' ' + typeof [].push)",
    // Visible within its own fresh context, as in jsPolicy; the follow-up case below sees clean built-ins.
    verdict: { code: 403, message: /^polluted 1 object$/ },
  },
  {
    name: 'infinite loop',
    code: 'for (;;) {}',
    verdict: { code: 500, errorKind: 'timeout' },
  },
  {
    name: 'infinite loop that catches everything',
    code: 'while (true) { try { for (;;) {} } catch (e) {} }',
    verdict: { code: 500, errorKind: 'timeout' },
  },
  {
    name: 'memory bomb',
    code: 'const a = []; for (;;) a.push(new Array(1e6).fill(1));',
    verdict: { code: 500, errorKind: 'memory', message: /out of memory/ },
    slow: true,
  },
  {
    name: 'typed array bomb',
    code: 'const a = []; for (;;) a.push(new Float64Array(1e7));',
    verdict: { code: 500, message: /RangeError: Array buffer allocation failed|out of memory/ },
    slow: true,
  },
  {
    name: 'deep recursion',
    code: 'function f(n) { return f(n + 1) + 1 } f(0)',
    verdict: { code: 500, message: /^Uncaught RangeError: Maximum call stack size exceeded/ },
  },
  {
    name: 'giant string',
    code: "let s = 'x'; for (;;) s += s;",
    verdict: { code: 500, message: /RangeError: Invalid string length|out of memory/ },
  },
  {
    name: 'catastrophic regular expression',
    code: "/^(a+)+$/.test('a'.repeat(40) + 'b'); deny('finished')",
    verdict: { code: 500, errorKind: 'timeout' },
  },
  {
    name: 'flood of prints and warnings',
    code: "for (let i = 0; i < 5000; i++) { print('x'.repeat(10000)); warn('w'.repeat(10000)) } deny('y'.repeat(1e6))",
    // jsPolicy clips no deny message (the terminal output does, and says so)
    verdict: { code: 403, message: /^y{1000000}$/ },
    slow: true,
  },
  {
    name: 'a thenable that keeps running after the script',
    code: "Promise.resolve().then(() => { globalThis.hostile = 1; deny('late') }); allow()",
    verdict: { actual: 'allow' },
  },
  {
    name: 'SharedArrayBuffer and Atomics.wait',
    code: 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)',
    verdict: { code: 500 },
  },
  {
    name: 'WebAssembly infinite loop',
    code: 'const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,3,64,12,0,11,11]); new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f()',
    verdict: { code: 500 },
  },
];

describe('the hostile corpus is contained', () => {
  it.each(CORPUS)('$name', async (h) => {
    const before = process.memoryUsage().rss;
    const r = await (h.slow ? roomy : sandbox).runSuite(policy(h.code), [podCase('hostile', 'deny')]);
    const o = r.cases[0].outcome;
    if (h.verdict.code !== undefined) expect(o.code, JSON.stringify(o)).toBe(h.verdict.code);
    if (h.verdict.errorKind) expect(o.errorKind).toBe(h.verdict.errorKind);
    if (h.verdict.message) expect(o.message).toMatch(h.verdict.message);
    if (h.verdict.actual) expect(o.actual).toBe(h.verdict.actual);
    if (h.verdict.error) expect(o.error).toMatch(h.verdict.error);
    expect(o.printed.length).toBeLessThanOrEqual(201);
    expect(o.warnings.length).toBeLessThanOrEqual(101);
    // the host is untouched and the next, ordinary case still runs correctly
    expect(typeof process.pid).toBe('number');
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
    const next = await (h.slow ? roomy : sandbox).runSuite(FOLLOW_UP, [
      podCase('prod', 'deny', {
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'dev', labels: { env: 'prod' } } },
      }),
      podCase('dev', 'allow'),
    ]);
    expect(next.passed, JSON.stringify(next.cases)).toBe(true);
    expect(next.cases[1].outcome.printed).toEqual(['undefined undefined']);
  });
});
