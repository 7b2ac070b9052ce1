import { afterAll, describe, expect, it } from 'vitest';
import { fuzzPolicy, objectVariants } from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { referencePolicies, userIamPolicyDraft } from './fixtures.js';
import { haveSharedIntents } from '../support/shared-intents.js';

const sandbox = createSandbox();
afterAll(() => sandbox.close());
const refs = referencePolicies();
const iamSuite = () => refs.find((r) => r.id === 'iampolicy-no-project')!.suite;

describe.skipIf(!haveSharedIntents)('fuzzPolicy', () => {
  it('catches the user’s request.object.spec.resourceRef.kind without optional chaining, with the smallest object', async () => {
    const crashes = await fuzzPolicy(userIamPolicyDraft(), iamSuite().cases, sandbox);
    const crash = crashes.find((c) => /reading 'kind'/.test(c.error))!;
    expect(crash, JSON.stringify(crashes)).toBeDefined();
    expect(crash.error).toMatch(/^Uncaught TypeError/);
    expect(crash.mutation).toMatch(/spec/);
    const smallest = crash.object as { spec?: Record<string, unknown>; metadata: Record<string, unknown> };
    expect(smallest.spec?.resourceRef).toBeUndefined();
    expect(smallest.metadata.labels).toBeUndefined();
    expect(JSON.stringify(smallest).length).toBeLessThan(200);
  });

  it('finds the same crash from catalog-generated objects alone, with no cases', async () => {
    const crashes = await fuzzPolicy(userIamPolicyDraft(), [], sandbox);
    expect(crashes.map((c) => c.from)).toContain('catalog:IAMPolicy');
  });

  it('finds crashes on missing labels, empty lists and external references', async () => {
    const base = refs.find((r) => r.id === 'require-team-label')!;
    const labels = await fuzzPolicy(
      {
        ...base.policy,
        spec: { ...base.policy.spec, javascript: "if (request.object.metadata.labels.team.length === 0) deny('x')" },
      },
      base.suite.cases,
      sandbox,
    );
    expect(labels.some((c) => /labels/.test(c.mutation) || /labels|team/.test(c.error))).toBe(true);
    const crb = refs.find((r) => r.id === 'cluster-admin-only-platform')!;
    const list = await fuzzPolicy(
      {
        ...crb.policy,
        spec: {
          ...crb.policy.spec,
          javascript: "if (request.object.subjects[0].name !== 'platform-admins') deny('x')",
        },
      },
      crb.suite.cases,
      sandbox,
    );
    expect(list.map((c) => c.error).join(' ')).toMatch(/reading '(name|0)'/);
    const ext = await fuzzPolicy(
      {
        ...userIamPolicyDraft(),
        spec: {
          ...userIamPolicyDraft().spec,
          javascript: "if (request.object.spec?.resourceRef?.name.startsWith('prod')) deny('x')",
        },
      },
      iamSuite().cases,
      sandbox,
    );
    // The suite itself has an IAMPolicy whose resourceRef is external (no name): the unchanged object crashes.
    expect(ext.map((c) => c.error).join(' ')).toMatch(/reading 'startsWith'/);
  });

  it('finds a verdict jsPolicy cannot decode on an unusual object (a 500 like a throw)', async () => {
    const base = refs.find((r) => r.id === 'require-team-label')!;
    // A team label holding a number-like value is fine; without one, deny() gets a number, which Go cannot decode.
    const javascript =
      "const team = request.object?.metadata?.labels?.team; if (!team) deny(team === undefined ? 0 : 'no team label');";
    const crashes = await fuzzPolicy(
      { ...base.policy, spec: { ...base.policy.spec, javascript } },
      base.suite.cases,
      sandbox,
    );
    expect(crashes.map((c) => c.error).join(' ')).toMatch(/cannot unmarshal/);
  });

  it('reports nothing for a robust policy', async () => {
    const ref = refs.find((r) => r.id === 'iampolicy-no-project')!;
    expect(await fuzzPolicy(ref.policy, ref.suite.cases, sandbox)).toEqual([]);
  });
});

describe.skipIf(!haveSharedIntents)('fuzzPolicy: the cost of a search', () => {
  type Call = { names: string[]; size: number; ignoreSelectors?: boolean };
  const recording = (calls: Call[]) => ({
    runSuite: (
      p: Parameters<typeof sandbox.runSuite>[0],
      c: Parameters<typeof sandbox.runSuite>[1] & unknown[],
      o?: { ignoreSelectors?: boolean },
    ) => {
      const list = c as Array<{ name: string }>;
      calls.push({
        names: list.map((x) => x.name),
        size: Math.max(...list.map((x) => JSON.stringify(x).length)),
        ignoreSelectors: o?.ignoreSelectors,
      });
      return sandbox.runSuite(p, c, o);
    },
  });

  it('sends the unchanged objects with the catalog objects, then every other variant, in two sandbox calls', async () => {
    const ref = refs.find((r) => r.id === 'iampolicy-no-project')!;
    expect(ref.policy.spec.namespaceSelector ?? ref.policy.spec.objectSelector).toBeUndefined();
    const calls: Call[] = [];
    expect(await fuzzPolicy(ref.policy, ref.suite.cases, recording(calls))).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(calls[0].names.some((n) => n.startsWith('catalog:'))).toBe(true);
  });

  it('keeps "very large" values bounded: beyond any name or label, far below 64 KiB', async () => {
    const ref = refs.find((r) => r.id === 'iampolicy-no-project')!;
    const calls: Call[] = [];
    await fuzzPolicy(ref.policy, ref.suite.cases, recording(calls));
    const largest = Math.max(...calls.map((c) => c.size));
    expect(largest).toBeGreaterThan(4096);
    expect(largest).toBeLessThan(16 * 1024);
  });

  it('shrinks every crash in the same sandbox calls, one per round', async () => {
    const calls: Call[] = [];
    // Two unguarded reads, two crashes, each shrunk from a case's object.
    const javascript =
      "if (request.object.spec.bindings[0].role === 'x' || request.object.spec.resourceRef.kind === 'Project') deny('no')";
    const crashes = await fuzzPolicy(
      { ...userIamPolicyDraft(), spec: { ...userIamPolicyDraft().spec, javascript } },
      iamSuite().cases,
      recording(calls),
    );
    expect(crashes.filter((c) => !c.from.startsWith('catalog:')).length, JSON.stringify(crashes)).toBeGreaterThan(1);
    const rounds = calls
      .map((c) => [...new Set(c.names.filter((n) => n.startsWith('shrink ')).map((n) => n.split('.')[0]))])
      .filter((r) => r.length);
    expect(rounds.length).toBeGreaterThan(0);
    // Each round's candidates of every crash travel together: no round is spread over two calls.
    const all = rounds.flat();
    expect(new Set(all).size).toBe(all.length);
  });
});

describe.skipIf(!haveSharedIntents)('objectVariants', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'test', labels: { env: 'prod' }, annotations: { a: 'b' } },
    spec: {
      containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }],
      nodeSelector: { zone: 'a' },
    },
  };
  const variants = objectVariants(pod, { string: 100, list: 10 });
  const mutations = variants.map((v) => v.mutation);

  it('covers every kind of unusual value', () => {
    expect(mutations).toEqual(
      expect.arrayContaining([
        'removed metadata.labels',
        'removed metadata.annotations',
        'empty metadata.labels',
        'removed spec.nodeSelector',
        'spec.nodeSelector set to null',
        'empty list spec.containers[0].ports',
        'empty string metadata.labels.env',
        'very large spec.containers[0].image',
        'spec.containers[0].ports[0].containerPort set to 9007199254740991',
        'spec.containers with 10 items',
      ]),
    );
    const many = variants.find((v) => v.mutation === 'spec.containers with 10 items')!.object as typeof pod;
    expect(new Set(many.spec.containers.map((c) => c.name)).size).toBe(10);
  });

  it('never produces an object the API server would reject (required fields kept)', () => {
    expect(mutations).not.toContain('removed spec.containers');
    expect(mutations).not.toContain('empty list spec.containers');
    expect(mutations).not.toContain('removed spec.containers[0].image');
    expect(mutations).not.toContain('removed metadata.name');
    expect(mutations.some((m) => m.startsWith('removed spec ') || m === 'removed spec')).toBe(false);
  });

  it('varies references: another kind, an external id, a bare name', () => {
    const iam = {
      apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
      kind: 'IAMPolicy',
      metadata: { name: 'p', namespace: 'config' },
      spec: { resourceRef: { kind: 'Project', name: 'my-project' } },
    };
    const refs = objectVariants(iam, { string: 10, list: 2 });
    expect(refs.find((v) => v.mutation === 'spec.resourceRef replaced by an external reference')?.object).toMatchObject(
      { spec: { resourceRef: { external: 'projects/fuzz-project' } } },
    );
    expect(refs.map((v) => v.mutation)).toEqual(
      expect.arrayContaining([
        'spec.resourceRef referencing another kind',
        'spec.resourceRef with only a name',
        'removed spec.resourceRef',
      ]),
    );
  });
});

describe.skipIf(!haveSharedIntents)('fuzzPolicy on a policy that runs out of time', () => {
  it('reports the timeout from the unchanged objects and does not spend the timeout on every variant', async () => {
    const ref = refs.find((r) => r.id === 'no-prod-pods-in-test')!;
    const slow = createSandbox({ maxTimeoutMs: 100 });
    let runs = 0;
    const counting = {
      runSuite: (
        p: Parameters<typeof slow.runSuite>[0],
        c: Parameters<typeof slow.runSuite>[1] & unknown[],
        o?: { ignoreSelectors?: boolean },
      ) => {
        runs += c.length;
        return slow.runSuite(p, c, o);
      },
    };
    try {
      const looping = { ...ref.policy, spec: { ...ref.policy.spec, javascript: 'while (true) {}' } };
      const crashes = await fuzzPolicy(looping, ref.suite.cases, counting);
      expect(crashes.length).toBeGreaterThan(0);
      expect(runs).toBeLessThanOrEqual(ref.suite.cases.length + 2);
    } finally {
      await slow.close();
    }
  });
});

describe.skipIf(!haveSharedIntents)('fuzzPolicy on UPDATE', () => {
  it('varies oldObject too: code comparing old and new labels without guards is caught', async () => {
    const ref = refs.find((r) => r.id === 'no-prod-pods-in-test')!;
    const javascript =
      "if (request.operation === 'UPDATE' && request.oldObject.metadata.labels.env !== request.object.metadata.labels?.env) deny('env changed')";
    const crashes = await fuzzPolicy(
      { ...ref.policy, spec: { ...ref.policy.spec, javascript } },
      ref.suite.cases,
      sandbox,
    );
    expect(crashes.find((c) => c.mutation.startsWith('oldObject: '))?.error).toMatch(/reading 'env'/);
  });
});
