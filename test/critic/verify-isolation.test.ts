import { afterAll, describe, expect, it, vi } from 'vitest';
import type { JsPolicy, Plan } from '../../common/index.js';
import { verify } from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';

// Counts the isolates this process (the service's, here) constructs; the sandbox's children have their own.
const made = vi.hoisted(() => ({ isolates: 0 }));
vi.mock('isolated-vm', async (importOriginal) => {
  type Ivm = { Isolate: new (options: object) => object } & object;
  const real = ((await importOriginal()) as { default: Ivm }).default;
  const Isolate = new Proxy(real.Isolate, {
    construct(target, args, newTarget) {
      made.isolates++;
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  return { default: new Proxy(real, { get: (t, k) => (k === 'Isolate' ? Isolate : Reflect.get(t, k)) }) };
});

const sandbox = createSandbox({ isolation: 'process', processes: 1 });
afterAll(() => sandbox.close());

const plan: Plan = {
  target: {
    type: 'Validating',
    resources: ['services'],
    apiGroups: [''],
    apiVersions: ['v1'],
    operations: ['CREATE'],
    scope: 'Namespaced',
    namespaces: ['test'],
  },
  steps: [],
  tests: [],
};
const policy = (javascript: string): JsPolicy => ({
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: { name: 'no-nodeport.example.com' },
  spec: {
    operations: ['CREATE'],
    resources: ['services'],
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['test'] }] },
    javascript,
  },
});

describe("verify with 'process' isolation", () => {
  it('compiles a draft without cases in the sandbox children: no isolate in the service process', async () => {
    // The mock sees this process's isolates: one made here must count.
    const ivm = (await import('isolated-vm')).default;
    new ivm.Isolate({ memoryLimit: 8 }).dispose();
    expect(made.isolates).toBe(1);
    made.isolates = 0;

    const ok = await verify(policy("if (request.object?.spec?.type === 'NodePort') deny('no NodePort')"), plan, {
      sandbox,
      fuzz: false,
    });
    expect(ok.findings.map((f) => f.rule)).toContain('suite/no-cases');
    expect(ok.findings.map((f) => f.rule)).not.toContain('code/compile');
    // Duplicate named groups in alternatives are ES2025: acorn parses them, Node 20's V8 (like jsPolicy's) does
    // not, so only a V8 compile finds this, and the one V8 allowed to run it is in a sandbox child.
    const broken = await verify(
      policy("const r = /(?<a>x)|(?<a>y)/; if (r.test(request.object?.spec?.type ?? '')) deny('x')"),
      plan,
      { sandbox, fuzz: false },
    );
    expect(broken.passed).toBe(false);
    expect(broken.findings.find((f) => f.rule === 'code/compile')?.message).toContain('Duplicate capture group name');
    expect(made.isolates).toBe(0);
  });
});
