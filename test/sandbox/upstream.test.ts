import { afterAll, describe, expect, it } from 'vitest';
import { apiServerTimeoutMessage, createSandbox, describeTimeout, parsePolicy, runLimit } from '../../sandbox/index.js';
import { podCase, policy } from './helpers.js';

// Issue 13: the offline runtime behaves as jsPolicy does. Each case cites the upstream source it follows
// (loft-sh/jspolicy at d524b26).
const sandbox = createSandbox({ maxTimeoutMs: 2_000 });
afterAll(() => sandbox.close());

async function one(javascript: string, spec: Parameters<typeof policy>[1] = {}) {
  return (await sandbox.runSuite(policy(javascript, spec), [podCase('c', 'deny')])).cases[0].outcome;
}

describe('result decoding (item 3): the result is decoded into Go types', () => {
  // pkg/webhook/handler.go 90-95 (json.Unmarshal into Response, a 500 on error) and 200-210 (the Response struct)
  it("a non-string deny message is a 500 with encoding/json's text", async () => {
    expect(await one('deny(42)')).toMatchObject({
      code: 500,
      errorKind: 'decode',
      message: 'json: cannot unmarshal number into Go struct field Response.message of type string',
    });
    expect((await one("deny({ why: 'x' })")).message).toBe(
      'json: cannot unmarshal object into Go struct field Response.message of type string',
    );
  });

  it('a string or fractional code is a 500', async () => {
    expect((await one("deny('no', 'Forbidden', '403')")).message).toBe(
      'json: cannot unmarshal string into Go struct field Response.code of type int',
    );
    expect((await one("deny('no', 'Forbidden', 403.5)")).message).toBe(
      'json: cannot unmarshal number 403.5 into Go struct field Response.code of type int',
    );
  });

  it('an array or a string to mutate is a 500, in Validating policies too', async () => {
    expect((await one('mutate([])', { type: 'Mutating' })).message).toBe(
      'json: cannot unmarshal array into Go struct field Response.patched of type map[string]interface {}',
    );
    expect((await one("mutate('x')")).message).toBe(
      'json: cannot unmarshal string into Go struct field Response.patched of type map[string]interface {}',
    );
  });

  it('a non-string warning fails the whole request, even when the script allows it', async () => {
    const o = await one('warn({ a: 1 }); allow()');
    expect(o).toMatchObject({
      allowed: false,
      code: 500,
      message: 'json: cannot unmarshal object into Go struct field Response.warnings of type string',
    });
  });

  it('null and undefined decode to Go zero values', async () => {
    expect(await one('deny(null, undefined, null)')).toMatchObject({ code: 403, reason: 'Forbidden', message: '' });
  });
});

describe('fresh state per request (item 4): built-ins are not frozen, and nothing survives the request', () => {
  // pkg/webhook/handler.go 154-163: every request runs on a VM whose context vmPool.Put recreates
  // (pkg/vm/vm.go 228-237 RecreateContext), from a plain v8go context whose built-ins are writable.
  const polyfill =
    "if (!Array.prototype.last) { Array.prototype.last = function () { return this[this.length - 1] } } String.prototype.shout = function () { return this.toUpperCase() + '!' }; deny(String([1, 2, 3].last()) + ' ' + 'no'.shout())";

  it('a policy may extend prototypes (polyfills)', async () => {
    expect((await one(polyfill)).message).toBe('3 NO!');
  });

  it('what one case added to a prototype is gone in the next case and in other policies', async () => {
    const r = await sandbox.runSuite(policy(`if (typeof [].last === 'function') deny('leaked'); ${polyfill}`), [
      podCase('a', 'deny', { message: '3 NO!' }),
      podCase('b', 'deny', { message: '3 NO!' }),
    ]);
    expect(r.passed, JSON.stringify(r.cases.map((c) => c.outcome.message))).toBe(true);
    expect((await one("deny(typeof [].last + ' ' + typeof ''.shout)")).message).toBe('undefined undefined');
  });
});

describe('error messages (item 7)', () => {
  // pkg/vm/vm.go 263-271
  it('an Error gives "Uncaught " and the V8 stack with the policy as origin, no frames of the sandbox', async () => {
    const o = await one("function check(o) {\n  throw new Error('bad ' + o.kind)\n}\ncheck(request.object)");
    expect(o.message).toBe(
      'Uncaught Error: bad Pod\n    at check (test.policyforge.dev:2:9)\n    at test.policyforge.dev:4:1',
    );
  });

  it('deny messages are not clipped', async () => {
    expect((await one("deny('m'.repeat(100000))")).message).toHaveLength(100_000);
  });
});

describe('smaller ones (item 8)', () => {
  // pkg/vm/vm.go 278-296: sleep really sleeps, so Date.now() advances
  it('sleep advances Date.now() and new Date()', async () => {
    const o = await one(
      'const t = Date.now(); const d = new Date().getTime(); sleep(700); deny(String(Date.now() - t >= 700) + String(new Date().getTime() - d >= 700))',
    );
    expect(o.message).toBe('truetrue');
  });

  // pkg/vm/vm.go 577-587: printFn JSON-stringifies non-strings; what V8's JSON.stringify throws reaches the script
  it('print of a circular object throws', async () => {
    expect((await one('const a = {}; a.self = a; try { print(a) } catch (e) { deny(e.name) }')).message).toBe(
      'TypeError',
    );
  });
});

describe('timeouts (item 2)', () => {
  // pkg/webhook/handler.go 72-75: timeoutSeconds, else 10 s
  it("jsPolicy's own limit applies unless a shorter cap is set, and the result says which", () => {
    expect(runLimit(policy('allow()'))).toEqual({ limitMs: 10_000, limitSource: 'default' });
    expect(runLimit(policy('allow()', { timeoutSeconds: 3 }))).toEqual({ limitMs: 3_000, limitSource: 'policy' });
    expect(runLimit(policy('allow()', { timeoutSeconds: 3 }), 2_000)).toEqual({ limitMs: 2_000, limitSource: 'cap' });
    expect(runLimit(policy('allow()', { timeoutSeconds: 1 }), 2_000)).toEqual({
      limitMs: 1_000,
      limitSource: 'policy',
    });
  });

  it("failurePolicy Ignore admits a request whose script ran past the policy's own limit", async () => {
    const o = await one('while (true) {}', { timeoutSeconds: 1, failurePolicy: 'Ignore' });
    expect(o).toMatchObject({
      allowed: true,
      actual: 'allow',
      timeout: { limitMs: 1000, limitSource: 'policy', failurePolicy: 'Ignore', decidedBy: 'failurePolicy' },
    });
  });
});

describe('all VMs busy (item 2): a request waits for one of VM_POOL_SIZE VMs until the API server gives up', () => {
  // pkg/vm/vmpool/vmpool.go 37-49: Get blocks on a semaphore of VM_POOL_SIZE (cmd/jspolicy/main.go 50, 69-77)
  // with the request's context, and returns nil when that context ends; pkg/webhook/handler.go 154-168 then
  // answers ctx.Err(). The context is the HTTP request's (webhook.go 117), which ends when the API server hangs
  // up at its deadline, the policy's timeoutSeconds (jspolicy.go 692-695): failurePolicy decides.
  const onePod = [podCase('c', 'deny')];

  it("a wait past the deadline: the script never runs, failurePolicy Fail rejects with the API server's message", async () => {
    const r = await sandbox.runSuite(policy("print('ran'); deny('no')", { timeoutSeconds: 2 }), onePod, {
      vmWaitMs: 2_000,
    });
    const o = r.cases[0].outcome;
    expect(o).toMatchObject({
      allowed: false,
      code: 500,
      message: apiServerTimeoutMessage('test.policyforge.dev', 2),
      printed: [],
    });
    expect(o.timeout).toEqual({
      limitMs: 2_000,
      limitSource: 'policy',
      failurePolicy: 'Fail',
      decidedBy: 'vm-pool',
      vmWaitMs: 2_000,
    });
    // webhook.go 123-130 still logs the handler's 500 as a violation, after the connection is gone.
    expect(o.violation).toMatchObject({ code: 500, message: 'context canceled' });
    expect(describeTimeout(o.timeout!)).toBe(
      "all of jsPolicy's VMs stayed busy for 2000 ms, past the API server's deadline of 2000 ms (spec.timeoutSeconds): the script never ran, failurePolicy Fail decided (rejected)",
    );
  });

  it('failurePolicy Ignore admits it', async () => {
    const o = (await sandbox.runSuite(policy("deny('no')", { failurePolicy: 'Ignore' }), onePod, { vmWaitMs: 10_000 }))
      .cases[0].outcome;
    expect(o).toMatchObject({
      allowed: true,
      actual: 'allow',
      timeout: { limitMs: 10_000, limitSource: 'default', decidedBy: 'vm-pool' },
    });
  });

  it('a shorter wait leaves the script less of the deadline: what finished in time alone now runs into it', async () => {
    const slow = policy("sleep(700); deny('slow no')", { timeoutSeconds: 1 });
    expect((await sandbox.runSuite(slow, onePod)).cases[0].outcome).toMatchObject({ code: 403, message: 'slow no' });
    const o = (await sandbox.runSuite(slow, onePod, { vmWaitMs: 500 })).cases[0].outcome;
    expect(o).toMatchObject({ allowed: false, code: 500, message: apiServerTimeoutMessage('test.policyforge.dev', 1) });
    expect(o.timeout).toEqual({
      limitMs: 1_000,
      limitSource: 'policy',
      failurePolicy: 'Fail',
      decidedBy: 'failurePolicy',
      vmWaitMs: 500,
    });
    expect(describeTimeout(o.timeout!)).toBe(
      "waited 500 ms for a free VM, then ran into the API server's deadline of 1000 ms (spec.timeoutSeconds): failurePolicy Fail decided (rejected)",
    );
  });

  it('a script that finishes within what is left is decided by the script', async () => {
    const o = (
      await sandbox.runSuite(policy("sleep(300); deny('no')", { timeoutSeconds: 1 }), onePod, { vmWaitMs: 500 })
    ).cases[0].outcome;
    expect(o).toMatchObject({ code: 403, message: 'no' });
    expect(o.timeout).toBeUndefined();
  });

  it('a Controller policy just waits: its context has no deadline (pkg/controller/policy.go 172, 244)', async () => {
    const r = await sandbox.runSuite(policy("deny('no')", { type: 'Controller', operations: ['CREATE'] }), onePod, {
      vmWaitMs: 60_000,
    });
    expect(r.cases[0].outcome).toMatchObject({ code: 403, message: 'no' });
  });
});

describe('violation records (item 9)', () => {
  // pkg/webhook/audit.go 53-59 (action), 95-129 (what is recorded; messages over 256 bytes clipped to 253 + "...")
  it('a Warn policy records what it would have denied, clipped as jsPolicy clips it', async () => {
    const o = await one("deny('x'.repeat(300), 'TooLong', 422)", { violationPolicy: 'Warn' });
    expect(o.allowed).toBe(true);
    expect(o.violation).toEqual({
      action: 'Warn',
      code: 422,
      reason: 'TooLong',
      message: `${'x'.repeat(253)}...`,
      requestInfo: { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: 'web', operation: 'CREATE' },
      userInfo: { username: 'kubernetes-admin' },
    });
  });

  it('Dry records too; auditPolicy Skip records nothing; an admission records nothing', async () => {
    expect((await one("deny('no')", { violationPolicy: 'Dry' })).violation).toMatchObject({
      action: 'Dry',
      code: 403,
      reason: 'Forbidden',
      message: 'no',
    });
    expect((await one("deny('no')", { auditPolicy: 'Skip' })).violation).toBeUndefined();
    expect((await one('allow()')).violation).toBeUndefined();
  });
});

describe('the request object (item 6): the Go-marshalled admission/v1 shape', () => {
  // pkg/webhook/handler.go 170-177 (json.Marshal of admission.Request); admission/v1 AdmissionRequest's
  // omitempty name/namespace and runtime.RawExtension's null for an empty object/oldObject/options.
  it('CREATE: oldObject is null, dryRun and options are present, an empty name is absent', async () => {
    const generated = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-', namespace: 'default' } };
    const r = await sandbox.runSuite(
      policy(
        "print(JSON.stringify([request.oldObject, 'name' in request, request.namespace, request.dryRun, request.options.kind]))",
      ),
      [podCase('c', 'allow', { object: generated })],
    );
    expect(JSON.parse(r.cases[0].outcome.printed[0])).toEqual([null, false, 'default', false, 'CreateOptions']);
  });

  it('DELETE: object is null; a cluster-scoped object has no namespace key', async () => {
    const role = policy("print(JSON.stringify([request.object, 'namespace' in request, request.name]))", {
      operations: ['DELETE'],
      resources: ['clusterroles'],
    });
    const d = await sandbox.runSuite(role, [
      {
        name: 'd',
        operation: 'DELETE',
        oldObject: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'viewer' } },
        expect: 'allow',
      },
    ]);
    expect(JSON.parse(d.cases[0].outcome.printed[0])).toEqual([null, false, 'viewer']);
  });
});

describe('the host functions answer as upstream does (items 7 and 8)', () => {
  const cm = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels },
    data: { z: '1', a: '2' },
  });
  const withFixtures = (objects: unknown[]) => ({ fixtures: { objects } }) as never;

  // pkg/vm/vm.go 593-616, 682-698: options decoded into FetchOptions (700-705); Go's url.Error names the method
  it('fetchSync errors name the real method; an object body throws', async () => {
    expect(
      (await one("try { fetchSync('https://x.example', { method: 'post', body: 'b' }) } catch (e) { deny(e) }"))
        .message,
    ).toMatch(/^fetchSync: Post "https:\/\/x\.example": /);
    expect(
      (await one("try { fetchSync('https://x.example', { method: 'POST', body: { a: 1 } }) } catch (e) { deny(e) }"))
        .message,
    ).toBe(
      'fetchSync: error unmarshalling options: json: cannot unmarshal object into Go struct field FetchOptions.body of type string',
    );
  });

  it('API errors read as the API server writes them', async () => {
    const r = await sandbox.runSuite(
      policy(
        "const a = update({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }); const b = create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }); deny(a.message + ' | ' + b.ok)",
      ),
      [podCase('c', 'deny', withFixtures([]))],
    );
    expect(r.cases[0].outcome.message).toBe('configmaps "x" not found | true');
    const dup = await sandbox.runSuite(
      policy(
        "deny(create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }).message)",
      ),
      [
        podCase(
          'c',
          'deny',
          withFixtures([
            { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } },
          ]),
        ),
      ],
    );
    expect(dup.cases[0].outcome.message).toBe('deployments.apps "web" already exists');
  });

  it('create and update answer with what the API server fills in (uid, resourceVersion, creationTimestamp)', async () => {
    const r = await sandbox.runSuite(
      policy(
        "const o = create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'default' } }).object.metadata; deny([typeof o.uid, typeof o.resourceVersion, typeof o.creationTimestamp].join(' '))",
      ),
      [podCase('c', 'deny', withFixtures([]))],
    );
    expect(r.cases[0].outcome.message).toBe('string string string');
  });

  // objects come through Go's map marshalling (unstructured.Unstructured): keys sorted
  it('get() and list() give objects with sorted keys; list accepts the List kind', async () => {
    const r = await sandbox.runSuite(
      policy("deny(JSON.stringify(get('ConfigMap', 'v1', 'default/a')) + ' ' + list('ConfigMapList', 'v1').length)"),
      [podCase('c', 'deny', withFixtures([cm('a'), cm('b')]))],
    );
    expect(r.cases[0].outcome.message).toBe(
      '{"apiVersion":"v1","data":{"a":"2","z":"1"},"kind":"ConfigMap","metadata":{"labels":{},"name":"a","namespace":"default"}} 2',
    );
  });

  // pkg/vm/vm.go 399-409: metav1.ParseToLabelSelector; a parse error throws {reason: ParseLabelSelector}
  it('a bad labelSelector throws; set-based terms parse but only key=value terms filter', async () => {
    const bad = await sandbox.runSuite(
      policy("try { list('ConfigMap', 'v1', { labelSelector: 'a=b=c' }) } catch (e) { deny(e.reason) }"),
      [podCase('c', 'deny', withFixtures([cm('a')]))],
    );
    expect(bad.cases[0].outcome.message).toBe('ParseLabelSelector');
    const ok = await sandbox.runSuite(
      policy("deny(String(list('ConfigMap', 'v1', { labelSelector: 'team=a,env in (x,y),!legacy' }).length))"),
      [podCase('c', 'deny', withFixtures([cm('a', { team: 'a' }), cm('b', { team: 'b' })]))],
    );
    expect(ok.cases[0].outcome.message).toBe('1');
  });
});

describe('policy documents (item 8)', () => {
  // pkg/controllers/jspolicy.go 599-602 copies reinvocationPolicy into the webhook; nothing rejects it on a
  // Validating policy (a ValidatingWebhook has no such field, so it is ignored)
  it('reinvocationPolicy on a Validating policy is accepted and ignored', () => {
    const doc =
      'apiVersion: policy.jspolicy.com/v1beta1\nkind: JsPolicy\nmetadata: {name: a.b.c}\nspec: {operations: [CREATE], resources: [pods], reinvocationPolicy: IfNeeded, javascript: "allow()"}\n';
    expect(parsePolicy(doc).spec.reinvocationPolicy).toBe('IfNeeded');
  });
});

describe('GLOBAL_CONTEXT (item 9)', () => {
  // pkg/vm/vm.go 214: os.Getenv("GLOBAL_CONTEXT") is appended to prepare-context.js, run in every context
  it('code run in every context before the policy: its helpers and polyfills are there in every case', async () => {
    const box = createSandbox({
      globalContext:
        "function teamOf(o) { return (o.metadata.labels || {}).team || 'none' }\nString.prototype.twice = function () { return this + this }",
    });
    try {
      const r = await box.runSuite(policy("deny(teamOf(request.object) + ' ' + 'ab'.twice())"), [
        podCase('a', 'deny', { message: 'none abab' }),
        podCase('b', 'deny', { message: 'none abab' }),
      ]);
      expect(r.passed, JSON.stringify(r.cases.map((c) => c.outcome.message))).toBe(true);
    } finally {
      await box.close();
    }
  });
});

describe('mutate patches (item 8)', () => {
  // pkg/webhook/handler.go 113-127: admission.PatchResponseFromRaw → gomodules.xyz/jsonpatch/v2 CreatePatch
  // (vendored jsonpatch.go 187-236 handleValues, 276-334 compareEditDistance/backtrace)
  it('removing one list element is one remove op', async () => {
    const object = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        containers: [{ name: 'a', image: 'a', args: ['x', 'y', 'z'] }],
        tolerations: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
      },
    };
    const p = policy(
      'const o = request.object; o.spec.tolerations.splice(1, 1); o.spec.containers[0].args.splice(0, 1); mutate(o)',
      { type: 'Mutating' },
    );
    const r = await sandbox.runSuite(p, [podCase('c', 'mutate', { object })]);
    expect(r.cases[0].outcome.patch).toEqual([
      { op: 'remove', path: '/spec/containers/0/args/0' },
      { op: 'remove', path: '/spec/tolerations/1' },
    ]);
  });
});
