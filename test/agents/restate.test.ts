import { describe, expect, it } from 'vitest';
import { assemblePolicy, restate, restatementAnnotation, understandOffline } from '../../agents/index.js';
import { builtinCatalog } from '../../catalog/index.js';
import type { JsPolicy, Plan, TestCase } from '../../common/index.js';

// Issue 11 item 2: the restatement is rendered from the plan's target and cases — never from the intent —
// so that a reviewer spots a misreading in ten seconds.

const catalog = builtinCatalog();
const pod = (name: string, namespace: string, labels?: Record<string, string>): TestCase['object'] => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
});
const target = (over: Partial<Plan['target']> = {}): Plan['target'] => ({
  type: 'Validating',
  resources: ['pods'],
  apiGroups: [''],
  apiVersions: ['v1'],
  operations: ['CREATE', 'UPDATE'],
  scope: 'Namespaced',
  namespaces: ['test'],
  ...over,
});
const labelPlan = (deny: string, allow: string): Plan => ({
  target: target(),
  steps: [],
  tests: [
    { name: 'the denied pod', object: pod('a', 'test', { env: deny }), expect: 'deny' },
    { name: 'the allowed pod', object: pod('b', 'test', { env: allow }), expect: 'allow' },
    { name: 'a pod without labels', object: pod('c', 'test'), expect: 'allow' },
    { name: 'the same pod in another namespace', object: pod('d', 'default', { env: deny }), expect: 'allow' },
  ],
});

describe('restate', () => {
  it('says what is denied, allowed and never touched, from the cases alone', () => {
    const r = restate({ plan: labelPlan('prod', 'dev'), catalog, judged: true });
    expect(r.summary).toBe(
      'Denies CREATE/UPDATE of Pods in namespace test whose label env="prod"; allows Pods in namespace test without label env or with another label env (e.g. "dev"); never touches other namespaces (system namespaces included).',
    );
    expect(r.denies).toEqual(['CREATE Pod in test with label env="prod" ("the denied pod")']);
    expect(r.allows[0]).toBe('CREATE Pod in test with label env="dev" ("the allowed pod")');
    expect(r.neverTouches).toEqual(['other kinds', 'DELETE/CONNECT requests', 'namespaces other than test']);
    expect(r.text.split('\n')).toEqual([
      r.summary,
      `denies: ${r.denies.join('; ')}`,
      `allows: ${r.allows.join('; ')}`,
      `never touches: ${r.neverTouches.join('; ')}`,
      expect.stringMatching(/^judged: every planned verdict/),
    ]);
  });

  it('names the namespaces the intent leaves out apart from the system ones', () => {
    const plan = labelPlan('prod', 'dev');
    const everywhere: Plan = {
      ...plan,
      target: target({ namespaces: [], namespacesFinal: true, excludedNamespaces: ['edge'] }),
    };
    const r = restate({ plan: everywhere, catalog, judged: true });
    expect(r.summary).toContain('in every namespace but the system ones and namespace edge');
    expect(r.summary).toMatch(/never touches the system namespaces \([^)]*\); namespace edge\.$/);
    const plain = restate({ plan: { ...plan, target: target({ namespaces: [] }) }, catalog, judged: true });
    expect(plain.summary).toMatch(/never touches the system namespaces \([^)]*\)\.$/);
    expect(plain.summary).not.toContain('namespace edge');
  });

  it('names no condition when the namespace is the rule: the sample pods’ shape is not a condition', () => {
    // "No Pods in default": every in-scope case is denied, so only the cases elsewhere show what is mere shape.
    const plan: Plan = {
      target: target({ namespaces: ['default'] }),
      steps: [],
      tests: [
        { name: 'a pod in default', object: pod('a', 'default'), expect: 'deny' },
        { name: 'a pod elsewhere', object: pod('b', 'apps'), expect: 'allow' },
        {
          name: 'a ConfigMap in default',
          object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } },
          expect: 'allow',
        },
      ],
    };
    const r = restate({ plan, catalog, judged: false });
    expect(r.summary).toMatch(/^Denies CREATE\/UPDATE of Pods in namespace default; allows /);
    expect(r.summary).not.toContain('container');
    expect(r.denies).toEqual(['CREATE Pod in default ("a pod in default")']);
  });

  it('compares a denied UPDATE only with allowed requests the policy acts on, not with an allowed CREATE', () => {
    const secret = (labels?: Record<string, string>, namespace = 'prod'): TestCase['object'] => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace, ...(labels ? { labels } : {}) },
    });
    const plan: Plan = {
      target: target({ resources: ['secrets'], operations: ['UPDATE'], namespaces: ['prod'] }),
      steps: [],
      tests: [
        // The update must change something; that change is not the rule's condition.
        { name: 'an update', operation: 'UPDATE', oldObject: secret(), object: secret({ v: '2' }), expect: 'deny' },
        { name: 'a create', object: secret(), expect: 'allow' },
        { name: 'a delete', operation: 'DELETE', oldObject: secret(), expect: 'allow' },
        {
          name: 'the same update elsewhere',
          operation: 'UPDATE',
          oldObject: secret({}, 'dev'),
          object: secret({ v: '2' }, 'dev'),
          expect: 'allow',
        },
      ],
    };
    const r = restate({ plan, catalog, judged: false });
    expect(r.summary).toMatch(/^Denies UPDATE of Secrets in namespace prod; allows /);
    expect(r.summary).not.toContain('label v');
  });

  it('takes a list item for the same item wherever it sits: its index is not a condition', () => {
    const role = (...rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r' },
      rules,
    });
    const read = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
    const roles = (verb: string) => ({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      verbs: [verb],
    });
    const plan: Plan = {
      target: target({ resources: ['clusterroles'], apiGroups: ['rbac.authorization.k8s.io'], scope: 'Cluster' }),
      steps: [],
      tests: [
        { name: 'escalate', object: role(read, roles('escalate')), expect: 'deny' },
        { name: 'bind', object: role(read, roles('bind')), expect: 'deny' },
        { name: 'reading roles', object: role(roles('get')), expect: 'allow' },
      ],
    };
    const r = restate({ plan, catalog, judged: false });
    expect(r.summary).not.toMatch(/rules\[1\]/);
    expect(r.denies[0]).toContain('"escalate"');
  });

  it('shows an inverted reading as inverted: the sentence names the value that is denied', () => {
    const right = restate({ plan: labelPlan('prod', 'dev'), catalog, judged: false });
    const inverted = restate({ plan: labelPlan('dev', 'prod'), catalog, judged: false });
    expect(right.summary).toContain('whose label env="prod"');
    expect(inverted.summary).toContain('whose label env="dev"');
    expect(inverted.text).toMatch(/^judged: no — the reading was not independently checked$/m);
  });

  it('keeps values exact: case and quoting are shown as the cases have them', () => {
    expect(restate({ plan: labelPlan('PROD', 'prod'), catalog, judged: false }).summary).toContain(
      'whose label env="PROD"',
    );
  });

  it('names pod controllers, mutations, updates and the policy’s own namespace selection and mode', () => {
    const plan: Plan = {
      target: target({
        type: 'Mutating',
        resources: ['pods', 'deployments', 'cronjobs'],
        apiGroups: ['', 'apps', 'batch'],
        namespaces: [],
        operations: ['CREATE'],
      }),
      steps: [],
      tests: [
        {
          name: 'a pod without a team label gets one',
          object: pod('a', 'shop'),
          expect: 'mutate',
          patched: { ...pod('a', 'shop', { team: 'platform' }) },
        },
        { name: 'a pod with a team label is left alone', object: pod('b', 'shop', { team: 'x' }), expect: 'allow' },
      ],
    };
    const policy: JsPolicy = {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: 'x.policyforge.dev' },
      spec: {
        type: 'Mutating',
        operations: ['CREATE'],
        resources: ['pods', 'deployments', 'cronjobs'],
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'jspolicy'] },
          ],
        },
      },
    };
    const r = restate({ plan, policy, catalog, judged: false });
    expect(r.summary).toMatch(
      /^Mutates CREATE of Pods \(and the pod templates of Deployments, CronJobs\) in every namespace but the system ones/,
    );
    expect(r.mutates).toEqual([
      'CREATE Pod in shop without label team ("a pod without a team label gets one"): sets label team="platform"',
    ]);
    expect(r.neverTouches).toContain('namespaces kube-system, jspolicy');
    expect(r.neverTouches).toContain('UPDATE/DELETE/CONNECT requests');

    const warned = restate({
      plan: labelPlan('prod', 'dev'),
      policy: { ...policy, spec: { ...policy.spec, type: 'Validating', violationPolicy: 'Warn' } },
      catalog,
      judged: false,
    });
    expect(warned.summary).toMatch(/^Warns on CREATE of Pods/);
    expect(warned.denies).toEqual([]);
    expect(warned.warns[0]).toContain('label env="prod"');
  });

  it('says "Warns on" for a policy that calls warn() where it would deny, whatever its violationPolicy', () => {
    // The offline "warn, do not block" families write warn() and 'warn' cases under violationPolicy Deny; the
    // sentence said "Denies …" above a list of warns.
    const text = 'Log a warning for privileged containers.';
    const u = understandOffline({ text });
    const r = restate({ plan: u.plan, policy: assemblePolicy(u.spec, { text }), catalog, judged: false });
    expect(r.summary).toMatch(/^Warns on CREATE\/UPDATE of Pods/);
    expect(r.denies).toEqual([]);
    expect(r.warns.length).toBeGreaterThan(0);
  });

  it('reads a pod spec the same in a Pod and in a pod template, and a container whichever list holds it', () => {
    const containers = (privileged: boolean) => [
      { name: 'ok', image: 'a:1' },
      { name: 'x', image: 'a:1', securityContext: { privileged } },
    ];
    const deployment = (privileged: boolean) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
      spec: { replicas: 1, template: { spec: { containers: containers(privileged) } } },
    });
    const plan: Plan = {
      target: target({ resources: ['pods', 'deployments'], apiGroups: ['', 'apps'], namespaces: [] }),
      steps: [],
      tests: [
        {
          name: 'privileged init container',
          object: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p', namespace: 'shop' },
            spec: {
              initContainers: [{ name: 'i', image: 'a:1', securityContext: { privileged: true } }],
              containers: [{ name: 'ok', image: 'a:1' }],
            },
          },
          expect: 'deny',
        },
        { name: 'privileged deployment', object: deployment(true), expect: 'deny' },
        { name: 'unprivileged deployment', object: deployment(false), expect: 'allow' },
      ],
    };
    const r = restate({ plan, catalog, judged: false });
    expect(r.summary).toMatch(
      /^Denies CREATE\/UPDATE of Pods \(and the pod templates of Deployments\) in every namespace but the system ones whose container securityContext\.privileged is true; allows Pods .* with another container securityContext\.privileged \(e\.g\. false\)/,
    );
  });

  it('describes an UPDATE by what it changes', () => {
    const plan: Plan = {
      target: target({ operations: ['UPDATE'] }),
      steps: [],
      tests: [
        {
          name: 'changing env',
          operation: 'UPDATE',
          oldObject: pod('a', 'test', { env: 'a' }),
          object: pod('a', 'test', { env: 'b' }),
          expect: 'deny',
        },
        {
          name: 'keeping env',
          operation: 'UPDATE',
          oldObject: pod('a', 'test', { env: 'a' }),
          object: pod('a', 'test', { env: 'a' }),
          expect: 'allow',
        },
      ],
    };
    expect(restate({ plan, catalog, judged: false }).denies[0]).toContain('changing label env "a" → "b"');
  });

  it('names a subresource rule as such: exec requests carry a PodExecOptions body, not a Pod', () => {
    const exec = (namespace: string, command: string[]): TestCase['object'] => ({
      apiVersion: 'v1',
      kind: 'PodExecOptions',
      metadata: { name: 'web', namespace },
      command,
    });
    const plan: Plan = {
      target: target({ resources: ['pods/exec'], operations: ['CONNECT'] }),
      steps: [],
      tests: [
        { name: 'a shell', operation: 'CONNECT', subResource: 'exec', object: exec('test', ['sh']), expect: 'deny' },
        { name: 'a command', operation: 'CONNECT', subResource: 'exec', object: exec('test', ['ls']), expect: 'deny' },
        { name: 'creating a pod', object: pod('a', 'test'), expect: 'allow' },
      ],
    };
    const r = restate({ plan, catalog, judged: false });
    // Every exec in test is denied (no allowed exec there): the namespace is the whole condition.
    expect(r.summary).toMatch(/^Denies CONNECT of Pods \(subresource exec\) in namespace test; allows /);
    // The exec requests are what the policy acts on; the plain Pod create is what it never touches.
    expect(r.neverTouches[0]).toBe('other kinds (e.g. Pods)');
  });

  it('gives a one-line annotation with the judged state', () => {
    const r = restate({ plan: labelPlan('prod', 'dev'), catalog, judged: false });
    const line = restatementAnnotation(r);
    expect(line).not.toMatch(/\n/);
    expect(line).toBe(`${r.summary} (not independently judged)`);
  });
});
