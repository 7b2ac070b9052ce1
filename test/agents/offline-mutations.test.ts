import { afterAll, describe, expect, it } from 'vitest';
import { assemblePolicy, understandOffline } from '../../agents/index.js';
import { isPolicyforgeError, type KubeObject, type TestCase } from '../../common/index.js';
import { harden } from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { builtinSkills, inlineSkills } from '../../skills/index.js';

// Issue 11: "verbs that add, set or default become Mutating policies or a refusal, never a deny". Default
// resource requests are read as a mutation that sets each missing request and keeps the container's own;
// anything less certain (limits, some containers, no "default"/"when missing") is refused.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const container = (name: string, resources?: Resources): Record<string, unknown> => ({
  name,
  image: 'registry.example.com/app:1',
  ...(resources ? { resources } : {}),
});
const pod = (
  containers: Array<Record<string, unknown>>,
  initContainers?: Array<Record<string, unknown>>,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop' },
  spec: { containers, ...(initContainers ? { initContainers } : {}) },
});
const deployment = (containers: Array<Record<string, unknown>>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers } },
  },
});

/** The generated policy run on `object`: its verdict and, when it mutates, the containers it leaves. */
async function applyTo(text: string, object: KubeObject): Promise<{ actual: string; patched?: unknown }> {
  const u = understandOffline({ text });
  const assembled = assemblePolicy(u.spec, { text });
  const policy = harden(
    {
      ...assembled,
      spec: { ...assembled.spec, javascript: inlineSkills(assembled.spec.javascript ?? '', builtinSkills) },
    },
    u.plan,
    { text },
  );
  // The planner's own cases must pass too: they are what "verified" rests on.
  const planned = await sandbox.runSuite(policy, u.plan.tests);
  expect(planned.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
  const probe: TestCase = { name: 'probe', object, expect: 'allow' };
  const [run] = (await sandbox.runSuite(policy, [probe])).cases;
  return { actual: run.outcome.actual, patched: run.outcome.patchedObject };
}

const specOf = (o: unknown): Record<string, unknown> => {
  const obj = o as { spec: Record<string, unknown> & { template?: { spec: Record<string, unknown> } } };
  return obj.spec.template ? obj.spec.template.spec : obj.spec;
};

describe('default resource requests (resource-defaults, mutating)', () => {
  const both = [
    'This policy adds default requests of cpu 100m and memory 128Mi to every container.',
    'Add default requests of cpu 100m and memory 128Mi to containers that do not specify them.',
    'This policy sets default resource requests of 100m CPU and 128Mi memory for containers that do not have them.',
  ];

  it.each(both)('"%s" sets each missing request and keeps the container’s own', async (text) => {
    const u = understandOffline({ text });
    expect(u.family).toBe('resource-defaults');
    expect(u.plan.target.type).toBe('Mutating');

    const bare = await applyTo(text, pod([container('app')], [container('init')]));
    expect(bare.actual).toBe('mutate');
    expect(specOf(bare.patched)).toMatchObject({
      containers: [{ resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      initContainers: [{ resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    });

    const own = await applyTo(text, pod([container('app', { requests: { cpu: '2' } })]));
    expect(specOf(own.patched)).toMatchObject({
      containers: [{ resources: { requests: { cpu: '2', memory: '128Mi' } } }],
    });

    const complete = await applyTo(text, pod([container('app', { requests: { cpu: '1', memory: '1Gi' } })]));
    expect(complete.actual).toBe('allow');
  });

  it('never puts a default request above a pod template’s limit (templates are not defaulted as Pods are)', async () => {
    const text = both[0];
    const limited = await applyTo(text, deployment([container('app', { limits: { cpu: '50m' } })]));
    expect(specOf(limited.patched)).toEqual({
      containers: [container('app', { limits: { cpu: '50m' }, requests: { memory: '128Mi' } })],
    });
  });

  it('reads one resource and a scope', async () => {
    const text = 'In the dev namespace, add a default CPU request of 100m to containers that do not set one.';
    const u = understandOffline({ text });
    expect(u.family).toBe('resource-defaults');
    expect(u.plan.target.namespaces).toEqual(['dev']);
    const mem = understandOffline({ text: 'Set a default memory request of 256Mi on containers when it is missing.' });
    expect(mem.spec.javascript).toContain('"memory":"256Mi"');
    expect(mem.spec.javascript).not.toContain('"cpu"');
  });

  it.each([
    [
      'Add a default memory limit of 512Mi to containers that do not set one.',
      'a default limit can fall below a request',
    ],
    ['Add a CPU request of 100m to every container.', 'no "default" / "when missing": override or default?'],
    ['Add default requests of cpu 100m to init containers.', 'some containers only'],
    ['Add default requests of cpu 100m and memory 500m to containers.', '500m of memory is half a byte'],
    ['Add a default CPU request of 2M to containers that do not set one.', 'two million cores'],
    ['Add a default CPU request of 100m and a memory request to containers that do not set them.', 'no memory value'],
    ['Containers without resource requests should get cpu 100m and memory 128Mi by default.', 'without any request?'],
    ['Do not add default CPU requests.', 'negated'],
  ])('refuses "%s" (%s)', (text) => {
    let refused = false;
    try {
      understandOffline({ text });
    } catch (err) {
      refused = isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED');
    }
    expect(refused).toBe(true);
  });
});
