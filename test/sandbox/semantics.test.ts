import { afterAll, describe, expect, it } from 'vitest';
import { PolicyEngine, createSandbox } from '../../sandbox/index.js';
import type { TestCase } from '../../common/index.js';
import { pod, podCase, policy } from './helpers.js';

/** V8's compile verdict, from an engine of this test's own (the sandbox keeps no module-global engine). */
const checkEngine = new PolicyEngine({ memoryLimitMb: 16, maxContexts: 1 });
const checkCompiles = (javascript: string) => checkEngine.checkCompiles(javascript);

// jsPolicy's decision rules, one test each (../shared/jspolicy.md "How a request is decided").
const sandbox = createSandbox({ maxTimeoutMs: 300 });
afterAll(() => sandbox.close());

async function one(javascript: string, spec = {}, testCase: TestCase = podCase('case', 'allow')) {
  const result = await sandbox.runSuite(policy(javascript, spec), [testCase]);
  return result.cases[0].outcome;
}

describe('verdicts', () => {
  it('a script that ends without deciding admits the request', async () => {
    const o = await one('const x = 1;');
    expect(o).toMatchObject({ matched: true, allowed: true, actual: 'allow', warnings: [] });
  });

  it('deny defaults to reason Forbidden and code 403', async () => {
    const o = await one("deny('no')");
    expect(o).toMatchObject({ allowed: false, actual: 'deny', code: 403, reason: 'Forbidden', message: 'no' });
  });

  it('deny takes a reason and a code', async () => {
    const o = await one("deny('slow down', 'TooManyRequests', 429)");
    expect(o).toMatchObject({ allowed: false, code: 429, reason: 'TooManyRequests', message: 'slow down' });
  });

  it('warn does not end the script and may be called many times', async () => {
    const o = await one("warn('one'); warn('two'); print('still running')");
    expect(o.actual).toBe('warn');
    expect(o.warnings).toEqual(['[test.policyforge.dev]: one', '[test.policyforge.dev]: two']);
    expect(o.printed).toEqual(['still running']);
  });

  it('an error drops the warnings added before it (jsPolicy answers a bare 500)', async () => {
    const o = await one("warn('first'); null.x");
    expect(o).toMatchObject({ code: 500, warnings: [] });
    expect(o.reason).toBeUndefined();
  });

  it('mutate(undefined) ends the script without a patch', async () => {
    expect(await one("mutate(undefined); deny('unreachable')", { type: 'Mutating' })).toMatchObject({
      actual: 'allow',
      allowed: true,
    });
  });

  it('warnings survive a later deny', async () => {
    const o = await one("warn('first'); deny('then no')");
    expect(o).toMatchObject({ actual: 'deny', warnings: ['[test.policyforge.dev]: first'] });
  });

  it('allow() and exit() end the script: nothing after them runs', async () => {
    expect((await one("allow(); deny('unreachable')")).actual).toBe('allow');
    expect((await one("exit(); deny('unreachable')")).actual).toBe('allow');
  });

  it('a thrown error is a rejection with code 500 and message Uncaught …', async () => {
    const o = await one('request.object.spec.resourceRef.kind');
    expect(o).toMatchObject({ allowed: false, actual: 'deny', code: 500, errorKind: 'throw' });
    // pkg/vm/vm.go 266-268: "Uncaught " + v8go's StackTrace, the V8 stack with the policy's name as origin.
    expect(o.message).toBe(
      "Uncaught TypeError: Cannot read properties of undefined (reading 'kind')\n    at test.policyforge.dev:1:33",
    );
  });

  it('throwing a non-error value gives its string form with no "Uncaught" (vm_test.go 60-64: throw "test" gives "test")', async () => {
    expect((await one("throw 'boom'")).message).toBe('boom');
    expect((await one('throw {a: 1}')).message).toBe('[object Object]');
    expect((await one("throw {toString: () => 'NotFound: x'}")).message).toBe('NotFound: x');
  });

  it('failurePolicy Ignore does not turn an error into an admission', async () => {
    const o = await one('null.x', { failurePolicy: 'Ignore' });
    expect(o).toMatchObject({ allowed: false, code: 500 });
  });

  it("running past a cap below the policy's own limit is a rejection with code 500 that says which limit ran out", async () => {
    const o = await one('while (true) {}');
    expect(o).toMatchObject({
      allowed: false,
      code: 500,
      errorKind: 'timeout',
      timeout: { limitMs: 300, limitSource: 'cap', decidedBy: 'sandbox-cap' },
    });
    // pkg/vm/vm.go 253-256: the VM's own text is "script <origin> timed out"
    expect(o.message).toMatch(
      /^script test\.policyforge\.dev timed out \(the sandbox's cap of 300 ms; the policy's own limit is 10000 ms/,
    );
  });

  it('spec.timeoutSeconds applies when below the sandbox maximum, and sleep is charged against it', async () => {
    const fast = createSandbox({ maxTimeoutMs: 5000 });
    try {
      const r = await fast.runSuite(policy('for (let i = 0; i < 5; i++) sleep(1000); allow()', { timeoutSeconds: 2 }), [
        podCase('c', 'allow'),
      ]);
      expect(r.cases[0].outcome).toMatchObject({ code: 500, errorKind: 'timeout' });
      const ok = await fast.runSuite(policy("sleep(5000); sleep(500); deny('after sleeping')", { timeoutSeconds: 2 }), [
        podCase('c', 'deny'),
      ]);
      expect(ok.cases[0].outcome).toMatchObject({ code: 403, message: 'after sleeping' });
      // sleep is virtual: the case is charged 1.5 s but does not take it
      expect(ok.cases[0].outcome.durationMs).toBeGreaterThanOrEqual(1500);
    } finally {
      await fast.close();
    }
  });
});

describe('the first ending call decides, even through try/catch/finally', () => {
  it('catch cannot intercept deny', async () => {
    const o = await one("try { deny('first') } catch (e) { allow() }");
    expect(o).toMatchObject({ actual: 'deny', message: 'first' });
  });

  it('catch cannot intercept allow and continue to deny', async () => {
    expect((await one("try { allow() } catch { } deny('later')")).actual).toBe('allow');
  });

  it('finally does not run after the decision, so it cannot override it', async () => {
    expect((await one("try { allow() } finally { deny('in finally') }")).actual).toBe('allow');
    const o = await one("function f() { try { deny('a') } finally { return 1 } } f(); deny('b')");
    expect(o.message).toBe('a');
  });

  it('code created by eval that swallows the stop still cannot change the verdict', async () => {
    const o = await one("eval(\"try { deny('a') } catch (e) { }\"); deny('b')");
    expect(o).toMatchObject({ actual: 'deny', message: 'a' });
  });

  it('a decided case that keeps running keeps its verdict when it times out', async () => {
    const o = await one('eval("try { deny(\'decided\') } catch (e) { while (true) {} }")');
    expect(o).toMatchObject({ actual: 'deny', message: 'decided', code: 403 });
  });

  it('ordinary exceptions are still catchable', async () => {
    const o = await one("try { null.x } catch (e) { deny('caught ' + e.name) }");
    expect(o.message).toBe('caught TypeError');
  });
});

describe('policy types and violationPolicy', () => {
  const mutating = "const o = request.object; o.metadata.labels = {team: 'a'}; mutate(o);";

  it('Mutating: mutate yields an RFC 6902 patch from the original object and the patched object', async () => {
    const o = await one(mutating, { type: 'Mutating' });
    expect(o.actual).toBe('mutate');
    expect(o.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { team: 'a' } }]);
    expect(o.patchedObject).toMatchObject({ metadata: { name: 'web', labels: { team: 'a' } } });
  });

  it('Mutating: no difference means no patch and a plain admission', async () => {
    const o = await one('mutate(request.object)', { type: 'Mutating' });
    expect(o).toMatchObject({ actual: 'allow', allowed: true });
    expect(o.patch).toBeUndefined();
  });

  it('Validating: mutate ends the script, admitted without a patch', async () => {
    const o = await one(`${mutating} deny('unreachable')`);
    expect(o).toMatchObject({ actual: 'allow', allowed: true });
    expect(o.patch).toBeUndefined();
  });

  it('Warn: a rejection becomes an admission with a warning', async () => {
    const o = await one("deny('too big')", { violationPolicy: 'Warn' });
    expect(o).toMatchObject({ allowed: true, actual: 'warn', warnings: ['[test.policyforge.dev]: too big'] });
    const err = await one('null.x', { violationPolicy: 'Warn' });
    expect(err.actual).toBe('warn');
    expect(err.warnings[0]).toContain('Uncaught TypeError');
  });

  it('Dry: a rejection is admitted silently and a patch is dropped', async () => {
    expect(await one("deny('no')", { violationPolicy: 'Dry' })).toMatchObject({
      allowed: true,
      actual: 'allow',
      warnings: [],
    });
    const m = await one(mutating, { type: 'Mutating', violationPolicy: 'Dry' });
    expect(m.actual).toBe('allow');
    expect(m.patch).toBeUndefined();
  });

  it('Controller: an update arrives as CREATE; only name, namespace, operation, kind and object are set', async () => {
    // pkg/controller/policy.go 224-241: the same admission.Request struct, marshalled whole
    const c: TestCase = {
      name: 'u',
      operation: 'UPDATE',
      object: pod('web', 'dev'),
      oldObject: pod('web', 'dev'),
      expect: 'allow',
    };
    const o = await one(
      'print(JSON.stringify(Object.assign({}, request, { object: request.object.kind })))',
      { type: 'Controller', operations: ['CREATE'] },
      c,
    );
    expect(JSON.parse(o.printed[0])).toEqual({
      uid: '',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: '', resource: '' },
      name: 'web',
      namespace: 'dev',
      operation: 'CREATE',
      userInfo: {},
      object: 'Pod',
      oldObject: null,
      options: null,
    });
  });

  it('Controller: a deletion arrives without the object', async () => {
    const c: TestCase = { name: 'd', operation: 'DELETE', oldObject: pod('web', 'dev'), expect: 'allow' };
    const o = await one(
      'print(request.operation, typeof request.object, request.name, request.namespace)',
      { type: 'Controller', operations: ['*'] },
      c,
    );
    expect(o.printed).toEqual(['DELETE object web dev']);
    expect((await one('print(String(request.object))', { type: 'Controller', operations: ['*'] }, c)).printed).toEqual([
      'null',
    ]);
  });

  it('Controller: mutate ends the run without a patch (jsPolicy patches for Mutating policies only)', async () => {
    const o = await one("const x = request.object; x.metadata.labels = {a: 'b'}; mutate(x); deny('unreachable')", {
      type: 'Controller',
      operations: ['CREATE'],
    });
    expect(o).toMatchObject({ actual: 'allow', allowed: true });
    expect(o.patch).toBeUndefined();
  });

  it("Controller: selectors match the event's object, the deleted one on DELETE", async () => {
    const spec = { type: 'Controller' as const, operations: ['*'], objectSelector: { matchLabels: { app: 'web' } } };
    const del: TestCase = {
      name: 'd',
      operation: 'DELETE',
      oldObject: pod('web', 'dev', { app: 'web' }),
      expect: 'deny',
    };
    expect((await one("deny('seen ' + request.operation)", spec, del)).message).toBe('seen DELETE');
    const upd: TestCase = {
      name: 'u',
      operation: 'UPDATE',
      object: pod('web', 'dev', { app: 'api' }),
      oldObject: pod('web', 'dev', { app: 'web' }),
      expect: 'allow',
    };
    expect((await one("deny('seen')", spec, upd)).matched).toBe(false);
  });

  it('Controller: deny records a violation, requeue is recorded', async () => {
    const d = await one("deny('bad')", { type: 'Controller', operations: ['CREATE'] });
    expect(d).toMatchObject({ actual: 'deny', allowed: true, message: 'bad' });
    const r = await one("requeue('later'); deny('unreachable')", { type: 'Controller', operations: ['CREATE'] });
    expect(r.actual).toBe('allow');
    expect(r.calls).toEqual([{ fn: 'requeue', args: ['later'] }]);
  });
});

describe('globals', () => {
  it('print writes strings raw and other values as JSON', async () => {
    const o = await one("print('a', 1, {b: [2]}, null, 'c')");
    expect(o.printed).toEqual(['a 1 {"b":[2]} null c']);
  });

  it('env reads the fixture map and gives "" when unset', async () => {
    const c = podCase('e', 'allow', { fixtures: { env: { REGION: 'eu' } } });
    expect((await one("print(env('REGION'), JSON.stringify(env('NOPE')))", {}, c)).printed).toEqual(['eu ""']);
  });

  it('get and list answer from fixture objects; list applies only key=value terms', async () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'dev', labels: { team: 'x' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'dev', labels: { team: 'y' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } },
    ];
    const c = podCase('g', 'allow', { fixtures: { objects } });
    const o = await one(
      "print(get('ConfigMap', 'v1', 'dev/a').metadata.name, get('ConfigMap', 'v1', 'dev/zz') === undefined, get('Namespace', 'v1', 'dev').metadata.name);" +
        "print(list('ConfigMap', 'v1', {namespace: 'dev'}).length, list('ConfigMap', 'v1', {labelSelector: 'team=y,env!=prod,zone'}).map(o => o.metadata.name).join())",
      {},
      c,
    );
    expect(o.printed).toEqual(['a true dev', '2 b']);
  });

  it('create, update and remove are recorded, never performed, and answer like the API server', async () => {
    const objects = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'dev' } }];
    const c = podCase('w', 'allow', { fixtures: { objects } });
    const o = await one(
      "const cm = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'a', namespace: 'dev'}};" +
        "print(create(cm).reason, update(cm).ok, remove({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'nope', namespace: 'dev'}}).reason)",
      {},
      c,
    );
    expect(o.printed).toEqual(['AlreadyExists true NotFound']);
    expect(o.calls.map((x) => x.fn)).toEqual(['create', 'update', 'remove']);
    expect(o.calls[0].args[0]).toMatchObject({ kind: 'ConfigMap' });
  });

  it('fetchSync answers only from fixtures and throws like a network error otherwise', async () => {
    const c = podCase('f', 'allow', {
      fixtures: { fetch: { 'https://api.example.com/ok': { status: 200, body: '{"allowed":true}' } } },
    });
    const o = await one(
      "const r = fetchSync('https://api.example.com/ok'); print(r.ok, r.status, r.json().allowed); fetchSync('https://elsewhere.example.com/')",
      {},
      c,
    );
    expect(o.printed).toEqual(['true 200 true']);
    expect(o).toMatchObject({ code: 500 });
    expect(o.message).toContain('the sandbox has no network');
  });

  it('readFileSync reads fixture files and gives undefined otherwise', async () => {
    const c = podCase('r', 'allow', { fixtures: { files: { '/etc/motd': 'hi' } } });
    expect(
      (await one("print(readFileSync('/etc/motd'), readFileSync('/etc/passwd') === undefined)", {}, c)).printed,
    ).toEqual(['hi true']);
  });

  it("atob and btoa are Go's standard base64 over UTF-8, undefined on bad input", async () => {
    expect((await one("print(btoa('policy:forge'), atob('cG9saWN5OmZvcmdl'), atob(btoa('a')))")).printed).toEqual([
      'cG9saWN5OmZvcmdl policy:forge a',
    ]);
    expect(
      (await one("print(btoa('é✓'), atob('w6ninJM='), typeof atob('not base64!'), typeof atob('YQ'), typeof btoa(5))"))
        .printed,
    ).toEqual(['w6ninJM= é✓ undefined undefined undefined']);
  });

  it('list gives undefined, not [], when nothing matches (jsPolicy omits the empty list)', async () => {
    expect((await one("print(typeof list('Secret', 'v1', {namespace: 'x'}))")).printed).toEqual(['undefined']);
  });

  it('get and list reject wrong arguments the way jsPolicy does', async () => {
    const o = await one("try { get('Pod', 'v1') } catch (e) { print(e.reason, String(e)) }");
    expect(o.printed).toEqual(['WrongArguments WrongArguments: kind, group version and name need to be string values']);
  });

  it("__policy names the policy and exports is a fresh object, as in jsPolicy's prepared context", async () => {
    const r = await sandbox.runSuite(policy('print(__policy, JSON.stringify(exports)); exports.x = 1;'), [
      podCase('a', 'allow'),
      podCase('b', 'allow'),
    ]);
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['test.policyforge.dev {}', 'test.policyforge.dev {}']);
  });

  it('deny uses any positive code and falls back to 403', async () => {
    expect((await one("deny('x', 'Teapot', 418)")).code).toBe(418);
    expect((await one("deny('x', undefined, -1)")).code).toBe(403);
  });

  it("no Node.js: process, Buffer and setTimeout do not exist; require and module are webpack's", async () => {
    // The policy is bundled as in jsPolicy (pkg/bundle/bundle.go), and webpack answers `typeof require` and
    // `typeof module` itself at build time; nothing of Node.js is there when the bundle runs.
    const o = await one('print(typeof require, typeof process, typeof Buffer, typeof setTimeout, typeof module)');
    expect(o.printed).toEqual(['function undefined undefined undefined object']);
  });
});

describe('no state leaks from one case to the next', () => {
  const cases = (n: number) => Array.from({ length: n }, (_, i) => podCase(`c${i}`, 'allow'));

  it('globals created by a case are gone in the next one', async () => {
    const r = await sandbox.runSuite(
      policy(
        'print(typeof leaked, typeof implicit, typeof globalThis.viaThis); globalThis.leaked = 1; implicit = 2; this.viaThis = 3; var local = 4;',
      ),
      cases(3),
    );
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual([
      'undefined undefined undefined',
      'undefined undefined undefined',
      'undefined undefined undefined',
    ]);
  });

  it('reassigning a jsPolicy global lasts for its case only', async () => {
    const r = await sandbox.runSuite(
      policy("if (typeof deny !== 'function') warn('deny was replaced'); deny = () => {};"),
      cases(2),
    );
    expect(r.cases.map((c) => c.outcome.actual)).toEqual(['allow', 'allow']);
  });

  it('built-in prototypes cannot be polluted for later cases', async () => {
    const r = await sandbox.runSuite(
      policy(
        "print(String(({}).polluted), String([].polluted)); try { Object.prototype.polluted = 'yes'; Array.prototype.polluted = 'yes'; } catch (e) { print(e.name) }",
      ),
      cases(2),
    );
    expect(r.cases[1].outcome.printed[0]).toBe('undefined undefined');
  });

  it('overriding an inherited method on an own object still works (override mistake fixed)', async () => {
    const o = await one(
      "const o = {}; o.toString = () => 'custom'; const e = new Error(); e.message = 'm'; print(String(o), e.message)",
    );
    expect(o.printed).toEqual(['custom m']);
  });

  it("RegExp's legacy statics do not carry one case's match into the next", async () => {
    const r = await sandbox.runSuite(
      policy("print(JSON.stringify(RegExp.$1)); /(secret-\\d+)/.exec('x secret-42 y');"),
      cases(2),
    );
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['""', '""']);
  });

  it('a non-configurable global taints the context, which is replaced', async () => {
    const r = await sandbox.runSuite(
      policy("print(typeof stuck); Object.defineProperty(globalThis, 'stuck', {value: 1});"),
      cases(3),
    );
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it.each([
    ['a non-enumerable global', "Object.defineProperty(globalThis, 'probe', {value: 1, configurable: true})"],
    ['a global defined through Reflect', "Reflect.defineProperty(globalThis, 'probe', {value: 1, configurable: true})"],
    [
      'a global defined through a Proxy around the global object',
      "Object.defineProperty(new Proxy(globalThis, {}), 'probe', {value: 1, configurable: true})",
    ],
    ['a legacy getter on the global', "globalThis.__defineGetter__('probe', () => 1)"],
    ['a stack captured onto the global', 'Error.captureStackTrace(globalThis)'],
    ['a let declared by indirect eval', "(0, eval)('let probe = 1')"],
    ['a var declared by indirect eval', "(0, eval)('var probe = 1')"],
    ['a global set by a promise job after the case', 'Promise.resolve().then(() => { globalThis.probe = 1 })'],
  ])('%s does not reach the next case', async (_label, code) => {
    const r = await sandbox.runSuite(policy(`print(typeof probe, typeof globalThis.stack); ${code}`), cases(3));
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual([
      'undefined undefined',
      'undefined undefined',
      'undefined undefined',
    ]);
  });

  it('every object reachable from the global object is frozen, except the per-case request and exports', async () => {
    const walk = `
      const seen = new Set([globalThis, request, exports]);
      const stack = [Object.getPrototypeOf(globalThis)];
      for (const k of Reflect.ownKeys(globalThis)) {
        const d = Object.getOwnPropertyDescriptor(globalThis, k);
        stack.push(d.get, d.set, k === 'request' || k === 'exports' ? undefined : d.value);
      }
      const open = [];
      while (stack.length) {
        const o = stack.pop();
        if ((typeof o !== 'object' && typeof o !== 'function') || o === null || seen.has(o)) continue;
        seen.add(o);
        if (!Object.isFrozen(o)) open.push(String(o.name || Object.prototype.toString.call(o)));
        stack.push(Object.getPrototypeOf(o));
        for (const k of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, k);
          stack.push(d.value, d.get, d.set);
        }
      }
      print(seen.size > 500, JSON.stringify(open));`;
    const o = await one(walk);
    expect(o.error).toBeUndefined();
    expect(o.printed).toEqual(['true []']);
  });

  it("the policy's own function (arguments.callee, f.caller) carries nothing to the next case", async () => {
    const r = await sandbox.runSuite(
      policy(
        'const self = arguments.callee; print(String(self.note), String(self.prototype.note)); self.note = 1; self.prototype.note = 2; function f() { return f.caller } f().other = 3;',
      ),
      cases(2),
    );
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['undefined undefined', 'undefined undefined']);
  });

  it('a symbol-keyed global does not reach the next case', async () => {
    const r = await sandbox.runSuite(
      policy("print(typeof globalThis[Symbol.for('probe')]); globalThis[Symbol.for('probe')] = 1;"),
      cases(3),
    );
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('a non-extensible global object taints the context, which is replaced', async () => {
    const r = await sandbox.runSuite(policy('x = 1; print(x); Object.preventExtensions(globalThis);'), cases(2));
    expect(r.cases.map((c) => c.outcome.printed[0])).toEqual(['1', '1']);
  });
});

describe('compilation', () => {
  it('checkCompiles accepts valid scripts and explains syntax errors', () => {
    expect(checkCompiles("deny('x')")).toEqual({ ok: true });
    const bad = checkCompiles('if (');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(
      /^fails to compile: jsPolicy would delete this policy's webhook \(fails open\): SyntaxError/,
    );
  });

  // issue 13 item 1: jsPolicy bundles the policy with webpack (pkg/bundle/bundle.go), which wraps it in a function
  it('a top-level return compiles and ends the script, as in a bundled policy', async () => {
    expect(checkCompiles('return 1').ok).toBe(true);
    const o = await one("if (request.object.metadata.name === 'web') return; deny('not web')");
    expect(o).toMatchObject({ actual: 'allow', allowed: true });
    const caught = await one("try { if (true) return; } catch (e) {} finally { } deny('after')");
    expect(caught.actual).toBe('allow');
  });

  it('a policy that does not compile fails every case, and the webhook would fail open', async () => {
    const r = await sandbox.runSuite(policy("deny('x'"), [podCase('a', 'deny'), podCase('b', 'allow')]);
    expect(r.passed).toBe(false);
    expect(r.compileError).toContain('fails to compile');
    expect(r.cases.every((c) => !c.passed && c.outcome.allowed && c.outcome.errorKind === 'compile')).toBe(true);
  });

  it('code that tries to break out of the wrapper does not compile', () => {
    expect(checkCompiles("}); deny('x'); (function () {").ok).toBe(false);
    expect(checkCompiles("return; }); deny('x'); (function () {").ok).toBe(false);
  });
});

describe('runFunctionTests', () => {
  it('calls the named function with each test and compares the result', async () => {
    const code =
      'function imageTag(image) { const i = image.lastIndexOf(":"); return i < 0 ? "latest" : image.slice(i + 1); }';
    const r = await sandbox.runFunctionTests(code, 'imageTag', [
      { name: 'tagged', args: ['nginx:1.2'], expected: '1.2' },
      { name: 'untagged', args: ['nginx'], expected: 'latest' },
      { name: 'wrong', args: ['nginx:2'], expected: '3' },
    ]);
    expect(r.map((x) => x.passed)).toEqual([true, true, false]);
    expect(r[2]).toMatchObject({ actual: '2', error: 'expected "3", got "2"' });
  });

  it('reports errors, timeouts and a missing function', async () => {
    const r = await sandbox.runFunctionTests('function f(x) { if (x) while (true) {} return null.y }', 'f', [
      { name: 'throws', args: [false], expected: 1 },
      { name: 'loops', args: [true], expected: 1 },
    ]);
    expect(r[0].error).toMatch(/TypeError/);
    expect(r[1].error).toMatch(/timed out/);
    const missing = await sandbox.runFunctionTests('function g() {}', 'f', [{ name: 'x', args: [], expected: 1 }]);
    expect(missing[0].error).toMatch(/f is not a function/);
  });
});
