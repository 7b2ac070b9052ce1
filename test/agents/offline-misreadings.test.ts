import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import { isPolicyforgeError, type KubeObject, type TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec } from './offline-harness.js';

// Each class of misreading seen on real-world intents (issue 11) must now be read right, with cases that
// match what the person meant, or refused with the words that could not be placed. The phrasings differ
// from the issue's examples on purpose.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

function refusal(text: string): { message: string; unplaced: string[] } {
  try {
    const u = understandOffline({ text });
    throw new Error(`expected a refusal, got family ${u.family}: ${u.plan.rationale}`);
  } catch (err) {
    if (!isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')) throw err;
    return { message: err.message, unplaced: (err.details as { unplaced?: string[] } | undefined)?.unplaced ?? [] };
  }
}

/** The kind of policy the offline planner writes for a text (Validating / Mutating), or undefined when it refuses. */
function policyTypeOf(text: string): string | undefined {
  try {
    return understandOffline({ text }).plan.target.type;
  } catch (err) {
    if (!isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')) throw err;
    return undefined;
  }
}

/** Generates offline and runs cases written here, from the intent's true meaning, against the policy. */
const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const pod = podWithSpec;

function podWith(container: Record<string, unknown>): KubeObject {
  return pod({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });
}

describe('inverted readings', () => {
  it('reads a value that is also a negating word ("to Forbid") as the value, never as a ban', async () => {
    const text = 'CronJobs must set concurrencyPolicy to Forbid.';
    const u = understandOffline({ text });
    expect(u.plan.rationale).toMatch(/must set spec\.concurrencyPolicy to "Forbid"/);
    const cron = (concurrencyPolicy?: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'default' },
      spec: {
        schedule: '0 * * * *',
        ...(concurrencyPolicy ? { concurrencyPolicy } : {}),
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } },
        },
      },
    });
    expect(
      await failuresOn(text, [
        { name: 'Forbid is what is asked', object: cron('Forbid'), expect: 'allow' },
        { name: 'Allow is not', object: cron('Allow'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses a ban on a field that a family can only require', () => {
    expect(refusal('This policy forbids any container from using a read-only root filesystem.').message).toMatch(
      /forbids what this family would require/,
    );
    expect(refusal('No container may define a liveness probe.').message).toMatch(/probes/);
  });

  it('reads a ban on a resource field as a ban on setting it, never as a requirement to set it', async () => {
    const text = 'This policy forbids any container from defining CPU limits.';
    expect(understandOffline({ text }).plan.rationale).toMatch(/no container may set resources\.limits\.cpu/);
    expect(
      await failuresOn(text, [
        { name: 'a CPU limit is denied', object: podWith({ resources: { limits: { cpu: '1' } } }), expect: 'deny' },
        { name: 'no limits are allowed', object: podWith({}), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('No container may set a memory limit.', [
        {
          name: 'a memory limit is denied',
          object: podWith({ resources: { limits: { memory: '1Gi' } } }),
          expect: 'deny',
        },
        {
          name: 'a memory request is allowed',
          object: podWith({ resources: { requests: { memory: '1Gi' } } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
    // "CPU or memory limits" under a ban is either one; read as only the memory limit it would drop the CPU limit.
    expect(
      await failuresOn('Containers must not set CPU or memory limits.', [
        {
          name: 'a CPU limit alone is denied',
          object: podWith({ resources: { limits: { cpu: '1' } } }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });

  it('reads "only allowed in <namespace>" as a ban outside that namespace, never as one inside it', async () => {
    const lb = (namespace: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    for (const text of [
      'LoadBalancer services are only allowed in the edge namespace.',
      'NodePort Services are only permitted in namespace edge.',
    ]) {
      const type = text.startsWith('LoadBalancer') ? 'LoadBalancer' : 'NodePort';
      const typed = (ns: string): KubeObject => ({ ...lb(ns), spec: { type, ports: [{ port: 80 }] } });
      expect(
        await failuresOn(text, [
          { name: 'in edge: allowed', object: typed('edge'), expect: 'allow' },
          { name: 'in default: denied', object: typed('default'), expect: 'deny' },
        ]),
      ).toEqual([]);
    }
    // "only" about who may use a registry is not "images must come from it" inside that namespace.
    expect(refusal('Only pods in namespace ci may use images from registry.corp.io.').unplaced).toContain('Only');
  });

  it('refuses a migration note whose rule is only implied, and reads a ban on the old registry as a ban', async () => {
    expect(refusal('k8s.gcr.io will be frozen, use registry.k8s.io.').unplaced).toEqual(
      expect.arrayContaining(['frozen']),
    );
    expect(
      await failuresOn('Images from k8s.gcr.io are not allowed.', [
        { name: 'old registry denied', object: podWith({ image: 'k8s.gcr.io/pause:3.9' }), expect: 'deny' },
        { name: 'new registry allowed', object: podWith({ image: 'registry.k8s.io/pause:3.9' }), expect: 'allow' },
        { name: 'any other registry allowed', object: podWith({ image: 'nginx:1.27' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('refuses one statement that pairs an allowed value with a banned one, instead of banning both', () => {
    // Parity over the whole sentence would read each of these as "both registries are blocked".
    expect(refusal('Workloads must pull from mirror.corp.io, not from quay.io.').unplaced).toContain('not');
    expect(refusal('Images come from mirror.corp.io, never from gcr.io.').unplaced).toContain('never');
    expect(refusal('Containers must not use images from gcr.io, only from mirror.corp.io.').unplaced).toContain('only');
    expect(refusal('Images must be pulled from mirror.corp.io; gcr.io is blocked.').unplaced).toContain(';');
    expect(refusal('Pull from mirror.corp.io rather than gcr.io.').unplaced).toContain('rather than');
    // Two clauses with the same polarity are one rule and still read (each negates once: both registries banned).
    expect(
      understandOffline({ text: 'Images from gcr.io are not allowed; images from quay.io are blocked.' }).plan
        .rationale,
    ).toMatch(/images from gcr\.io, quay\.io are not allowed/);
  });

  it('reads two statements that each negate once as one ban, not as a double negation', async () => {
    const text =
      'Disallowed container repositories that begin with a string from the specified list.\nThe list of prefixes a container image is not allowed to have: k8s.gcr.io/.';
    expect(
      await failuresOn(text, [
        { name: 'k8s.gcr.io denied', object: podWith({ image: 'k8s.gcr.io/pause:3.9' }), expect: 'deny' },
        { name: 'others allowed', object: podWith({ image: 'quay.io/org/app:1' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('two bans joined in one statement are never read as a double negation', () => {
  it('refuses "deny A and deny B" rather than read the two bans as an allow-list', () => {
    for (const text of [
      'Deny images from docker.io and deny images from quay.io.',
      'Images from docker.io are denied, and images from quay.io are denied.',
      'Images from docker.io are not allowed, and images from quay.io are blocked.',
      'Pods must not use hostNetwork and must not use hostPID.',
    ])
      refusal(text);
  });

  it('still reads a negation inside a qualifier under a ban as the allow-list it is', async () => {
    for (const text of [
      'Images not from registry.example.com are not allowed.',
      'Images that do not come from registry.example.com must be denied.',
      'Deny images that are not from registry.example.com.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'from the registry', object: podWith({ image: 'registry.example.com/app:1' }), expect: 'allow' },
          { name: 'from docker.io', object: podWith({ image: 'docker.io/library/nginx:1' }), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
  });
});

describe('bounds keep their direction', () => {
  it('"no more than 4" is an upper bound and "must not have more than 5" is "at most 5"', async () => {
    const deployment = (replicas: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
      spec: {
        replicas,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'a.io/b:1' }] } },
      },
    });
    expect(
      await failuresOn('Deployments must have no more than 4 replicas.', [
        { name: '4 is allowed', object: deployment(4), expect: 'allow' },
        { name: '1 is allowed', object: deployment(1), expect: 'allow' },
        { name: '5 is denied', object: deployment(5), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deployments may not have more than 5 replicas.', [
        { name: '5 is allowed', object: deployment(5), expect: 'allow' },
        { name: '6 is denied', object: deployment(6), expect: 'deny' },
      ]),
    ).toEqual([]);
    refusal('Deployments must not have at least 3 replicas.');
  });
});

describe('a resource bound keeps every bound, its own resource and its unit', () => {
  it('refuses a second bound or a second resource instead of keeping the first or bounding the wrong field', () => {
    for (const text of [
      // read as a CPU bound only: the memory bound was dropped
      'Containers must request at least 100m of CPU and at least 128Mi of memory.',
      'Every container must request no more than 2 of CPU and no more than 4Gi of memory.',
      // read as "memory limit at least 100m": the bound on the CPU request moved to the memory limit
      'Containers must request at least 100m of CPU and set a memory limit.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses a unit that cannot be meant: "500m" of memory or storage is half a byte, "2M" CPUs two million', () => {
    for (const text of [
      'Containers must have a memory limit of at most 500m.',
      'Memory requests must be at least 128m if set.',
      'Containers must have a CPU limit of at most 2M.',
      'PersistentVolumeClaims must request at least 500m of storage.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses a required resource on ephemeral containers, which may not set resources at all', () => {
    // read with a planned "kubectl debug with a 1Gi limit is allowed" case the API server would reject: every real
    // kubectl debug (no resources) was denied
    expect(
      refusal('Every container, init container and ephemeral container must have a memory limit of at most 2Gi.')
        .message,
    ).toMatch(/does not understand|could not place|Words not understood/);
    expect(
      understandOffline({
        text: 'Every container, init container and ephemeral container must have a memory limit of at most 2Gi if set.',
      }).family,
    ).toBe('resource-bound');
  });

  it('refuses a bound said of a pod or a workload, which may be the sum over its containers', () => {
    // read as a bound on each container: two containers of 3Gi passed "Pods must have a memory limit of at most 4Gi"
    for (const text of [
      'Pods must have a memory limit of at most 4Gi.',
      'Deployments must have a memory limit of at most 4Gi.',
      'Pods must not request more than 2Gi of memory.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
    expect(
      understandOffline({ text: 'Every container in a pod must have a memory limit of at most 4Gi.' }).family,
    ).toBe('resource-bound');
  });

  it('still reads one bound in millicores or a binary unit', async () => {
    const text = 'Containers must have a CPU limit of at most 1500m.';
    expect(
      await failuresOn(text, [
        { name: '1.5 is the bound', object: podWith({ resources: { limits: { cpu: '1.5' } } }), expect: 'allow' },
        { name: '2 is over it', object: podWith({ resources: { limits: { cpu: '2' } } }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Every container must request at least 100m of CPU.' }).family).toBe(
      'resource-bound',
    );
  });
});

describe('a value a field must be set to is kept whole, or the intent is refused', () => {
  const issuer = (server?: string): KubeObject => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'le', namespace: 'default' },
    spec: { acme: { email: 'ops@example.com', ...(server ? { server } : {}) } },
  });

  it('reads a URL value as the value (it was dropped as a link, and any server passed)', async () => {
    const text = 'Issuers must set spec.acme.server to https://acme.example.com/directory.';
    expect(
      await failuresOn(text, [
        { name: 'the named server', object: issuer('https://acme.example.com/directory'), expect: 'allow' },
        { name: 'another server', object: issuer('https://acme.other.example/directory'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses a value cut at "=" and a value set on a list field', () => {
    for (const text of [
      // read as the value "team"
      'Certificates must set spec.secretTemplate.labels to team=a.',
      // a list: the real object's ["example.com"] is not "example.com", so every Certificate was denied
      'Certificates must set spec.dnsNames to example.com.',
      'VirtualServices must set spec.hosts to example.com.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads "set X" without a value, and a value on a singular field', () => {
    expect(understandOffline({ text: 'Pods must set spec.priorityClassName.' }).family).toBe('field-required');
    expect(
      understandOffline({ text: 'PeerAuthentication resources must set spec.mtls.mode to "STRICT".' }).family,
    ).toBe('field-value-required');
  });
});

describe('the subject comes from the operative statement, never the rationale', () => {
  it('does not turn "the latest version of …" into an image-tag rule', async () => {
    const r = refusal(
      'This policy applies the baseline profile from the latest version of the Pod Security Standards.',
    );
    expect(r.unplaced).toEqual(expect.arrayContaining(['baseline', 'profile', 'version']));
    expect(
      await failuresOn('Upgrading to the latest version of Kubernetes is recommended. Pods must not use hostNetwork.', [
        {
          name: 'a latest-tagged image is none of this policy’s business',
          object: podWith({ image: 'nginx:latest' }),
          expect: 'allow',
        },
        { name: 'hostNetwork denied', object: pod({ hostNetwork: true }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('reads escalate / bind / impersonate verbs in Roles as what the roles grant, never pods allowing privilege escalation', async () => {
    const text =
      'Roles granting these verbs can lead to privilege escalation. This policy prevents Roles from granting the escalate, bind or impersonate verbs.';
    const u = understandOffline({ text });
    expect(u.family).toBe('rbac-rules');
    expect([...u.plan.target.resources].sort()).toEqual(['clusterroles', 'roles']);
    const clusterRole = (verbs: string[]): KubeObject =>
      ({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'team' },
        rules: [{ apiGroups: [''], resources: ['users'], verbs }],
      }) as KubeObject;
    expect(
      await failuresOn(text, [
        { name: 'impersonate is denied', object: clusterRole(['impersonate']), expect: 'deny' },
        { name: 'get users is allowed', object: clusterRole(['get']), expect: 'allow' },
        {
          name: "a pod allowing privilege escalation is not this policy's business",
          object: podWith({ securityContext: { allowPrivilegeEscalation: true } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('never widens a ban on one RBAC verb into a ban on every access', () => {
    // "no get on secrets" read as "no access to secrets" would deny a Role that only watches them.
    for (const text of ['ClusterRoles must not allow get on configmaps.', 'Roles may not grant delete on pods.'])
      expect(() => understandOffline({ text }), text).toThrow(/offline planner does not understand/);
    expect(understandOffline({ text: 'Roles must not grant access to secrets.' }).family).toBe('rbac-rules');
  });

  it('never drops the tag from "a digest or a tag"', () => {
    // Read as "digest required", this would deny every tagged image the person meant to allow.
    expect(() => understandOffline({ text: 'Every image must carry a tag or a digest.' })).toThrow(
      /offline planner does not understand/,
    );
    expect(understandOffline({ text: 'Images must use a digest rather than a tag.' }).plan.rationale).toMatch(
      /pinned by digest/,
    );
  });

  it("a ban on bindings to a role leaves the platform's own bindings alone, as the API server reconciles them", async () => {
    const binding = (name: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'Group', name: 'system:masters', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    expect(
      await failuresOn('ClusterRoleBindings to cluster-admin are forbidden.', [
        { name: 'a team binding is denied', object: binding('team-a-admins'), expect: 'deny' },
        { name: 'the built-in binding is left alone', object: binding('cluster-admin'), expect: 'allow' },
        { name: 'a system: binding is left alone', object: binding('system:kube-controller-manager'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('reads "host namespaces" as hostNetwork / hostPID / hostIPC, never a Namespace named host', async () => {
    expect(
      await failuresOn('Pods must not share host namespaces.', [
        { name: 'a plain pod in a namespace named host is allowed', object: pod({}, 'host'), expect: 'allow' },
        { name: 'hostPID in default is denied', object: pod({ hostPID: true }), expect: 'deny' },
        { name: 'hostIPC is denied', object: pod({ hostIPC: true }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Pods must not share host namespaces.' }).plan.target.namespaces).toEqual([]);
    refusal('Deny pods in the host namespace.');
  });
});

describe('conditions are kept or the intent is refused', () => {
  it('"one of liveness, readiness or startup probes": any one of them will do', async () => {
    const text =
      'This policy validates that all containers have one of livenessProbe, readinessProbe, or startupProbe defined.';
    const probe = { httpGet: { path: '/', port: 80 } };
    expect(
      await failuresOn(text, [
        { name: 'only a startupProbe is allowed', object: podWith({ startupProbe: probe }), expect: 'allow' },
        { name: 'only a livenessProbe is allowed', object: podWith({ livenessProbe: probe }), expect: 'allow' },
        { name: 'no probe is denied', object: podWith({}), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must define a liveness or a readiness probe.', [
        { name: 'readiness alone is allowed', object: podWith({ readinessProbe: probe }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must define liveness and readiness probes.', [
        { name: 'readiness alone is denied', object: podWith({ readinessProbe: probe }), expect: 'deny' },
      ]),
    ).toEqual([]);
    refusal('Containers must define liveness and readiness or startup probes.');
  });

  it('refuses "unless", "but" and "other than" clauses it cannot express', () => {
    expect(refusal('Privileged containers are denied unless the pod has the label trusted=true.').unplaced).toContain(
      'unless',
    );
    expect(refusal('Containers must not be privileged, but init containers may be.').unplaced).toContain('but');
    expect(refusal('Block hostPath volumes other than /var/log.').unplaced).toEqual(
      expect.arrayContaining(['other', 'than']),
    );
  });

  it('refuses a requirement with an "if" / "when" condition, and a ban on "both" of two things', () => {
    // Read without their condition these become "every container needs both probes" / "no container may …".
    expect(
      refusal('Every container should define a startup probe when it defines a liveness probe.').unplaced,
    ).toContain('when');
    expect(refusal('Containers must set a memory limit if they set a CPU limit.').unplaced).toContain('if');
    // Banning the pair is not banning each: a pod with hostIPC alone is fine by this rule.
    expect(refusal('A pod must not use both hostIPC and hostPID.').unplaced).toContain('both');
    // "both" in a requirement is every one of them, as before.
    expect(understandOffline({ text: 'Containers must set both CPU and memory limits.' }).family).toBe('resources');
  });

  it('refuses "either of" requirements and "where all …" conditions it would read as something stricter', () => {
    refusal('Containers must set CPU or memory limits.');
    refusal('Containers must set resource requests or limits.');
    expect(refusal('Deny pods where all containers are privileged.').unplaced).toContain('all');
  });

  it('does not drop a second rule because it carries an aside', () => {
    expect(
      refusal('Images must come from registry.corp.io. Containers must not run privileged, e.g. with privileged: true.')
        .message,
    ).toMatch(/combines 2 rules/);
  });

  it('refuses a label prefix rule instead of reading "starting" as a label key', () => {
    expect(() => understandOffline({ text: 'Block ConfigMaps with a label beginning with tmp.' })).toThrow(
      /offline planner does not understand/,
    );
  });

  it('applies a label rule to every kind the statement names, with a case for each', async () => {
    const text = 'Deny deployments and secrets with the label stage=scratch in the lab namespace.';
    const u = understandOffline({ text });
    expect(u.plan.target.resources).toEqual(['deployments', 'secrets']);
    expect(u.plan.rationale).toContain('Deployment, Secret objects');
    expect(u.plan.tests.some((t) => t.object?.kind === 'Secret' && t.expect === 'deny')).toBe(true);
    const secret = (labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'lab', labels },
    });
    expect(
      await failuresOn(text, [
        { name: 'a scratch Secret is denied', object: secret({ stage: 'scratch' }), expect: 'deny' },
        { name: 'another Secret is allowed', object: secret({ stage: 'live' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('keeps a namespace exception it can express', async () => {
    expect(
      await failuresOn('Privileged containers are denied except in namespace system-tools.', [
        {
          name: 'privileged in system-tools is allowed',
          object: pod(
            { containers: [{ name: 'c', image: 'a.io/b:1', securityContext: { privileged: true } }] },
            'system-tools',
          ),
          expect: 'allow',
        },
        {
          name: 'privileged in shop is denied',
          object: pod(
            { containers: [{ name: 'c', image: 'a.io/b:1', securityContext: { privileged: true } }] },
            'shop',
          ),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('the kind of policy follows the verb', () => {
  it('reads an add / default request as a mutation (or refuses it), never as a deny', () => {
    for (const text of [
      'Add default requests of cpu 100m to containers.',
      'Set default CPU requests of 250m on every container.',
    ]) {
      const u = understandOffline({ text });
      expect([u.family, u.plan.target.type]).toEqual(['resource-defaults', 'Mutating']);
      expect(u.plan.tests.some((c) => c.expect === 'deny')).toBe(false);
    }
    // A default limit could fall below a request the container sets: refused, not denied.
    expect(refusal('Add default limits of cpu 1 to containers.').unplaced).toEqual(expect.arrayContaining(['default']));
  });

  it('never reads removing a label or annotation as deleting the object that carries it', async () => {
    for (const text of [
      'Taking the cost-center label off StatefulSets is forbidden; removing it is not allowed.',
      'Removing the tier label from Services is not allowed.',
      'The contact annotation must not be deleted from namespaces.',
      'Do not let the team label be removed from ConfigMaps.',
    ])
      expect(() => understandOffline({ text }), text).toThrow(/offline planner does not understand/);
    // A label that only picks the protected objects still reads as deletion protection.
    expect(
      await failuresOn('Services that carry the label keep=always cannot be deleted.', [
        {
          name: 'deleting a kept Service is denied',
          operation: 'DELETE',
          oldObject: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 's', namespace: 'default', labels: { keep: 'always' } },
          },
          expect: 'deny',
        },
        {
          name: 'deleting another Service is allowed',
          operation: 'DELETE',
          oldObject: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' } },
          expect: 'allow',
        },
        {
          name: 'removing the label in an UPDATE is not what this rule is about',
          operation: 'UPDATE',
          object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' } },
          oldObject: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 's', namespace: 'default', labels: { keep: 'always' } },
          },
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('"may not be changed or removed" guards UPDATEs against oldObject; deletion stays allowed', async () => {
    const text = 'The owner label of Namespaces may not be changed or removed.';
    expect(understandOffline({ text }).plan.target.operations).toEqual(['UPDATE']);
    const ns = (labels?: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', ...(labels ? { labels } : {}) },
    });
    expect(
      await failuresOn(text, [
        {
          name: 'removing the owner label is denied',
          operation: 'UPDATE',
          oldObject: ns({ owner: 'a' }),
          object: ns({}),
          expect: 'deny',
        },
        {
          name: 'changing the owner label is denied',
          operation: 'UPDATE',
          oldObject: ns({ owner: 'a' }),
          object: ns({ owner: 'b' }),
          expect: 'deny',
        },
        {
          name: 'deleting the namespace is allowed',
          operation: 'DELETE',
          oldObject: ns({ owner: 'a' }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });
});

describe('description styles that are fully placed are read', () => {
  it('"This policy ensures that all containers explicitly drop ALL" after a rationale sentence', async () => {
    const text =
      'Capabilities grant privileged actions without full root. This policy ensures that every container explicitly specifies `drop: ["ALL"]`.';
    const caps = (c: Record<string, unknown>) => podWith({ securityContext: { capabilities: c } });
    expect(
      await failuresOn(text, [
        { name: 'drop ALL is allowed', object: caps({ drop: ['ALL'] }), expect: 'allow' },
        { name: 'drop all (lower case) is allowed', object: caps({ drop: ['all'] }), expect: 'allow' },
        { name: 'dropping only NET_RAW is denied', object: caps({ drop: ['NET_RAW'] }), expect: 'deny' },
        { name: 'no securityContext is denied', object: podWith({}), expect: 'deny' },
      ]),
    ).toEqual([]);
    refusal('Containers must drop ALL capabilities and add NET_ADMIN.');
  });

  it('refuses "explicitly" where the family would also admit an unset field', () => {
    expect(refusal('The privileged field must be explicitly set to false.').unplaced).toContain('explicitly');
  });

  it('"… is set to `false`" asks for the explicit value', async () => {
    const text =
      'Escalating privileges through setuid binaries should not be possible. This policy ensures the `allowPrivilegeEscalation` field is set to `false`.';
    expect(
      await failuresOn(text, [
        {
          name: 'false is allowed',
          object: podWith({ securityContext: { allowPrivilegeEscalation: false } }),
          expect: 'allow',
        },
        { name: 'unset is denied', object: podWith({}), expect: 'deny' },
        {
          name: 'true is denied',
          object: podWith({ securityContext: { allowPrivilegeEscalation: true } }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });

  it('naming runAsNonRoot asks for that field; a runAsUser alone does not satisfy it', async () => {
    expect(
      await failuresOn('This policy ensures `runAsNonRoot` is set to `true`.', [
        {
          name: 'pod-level true is allowed',
          object: pod({ securityContext: { runAsNonRoot: true } }),
          expect: 'allow',
        },
        {
          name: 'runAsUser 1000 alone is denied',
          object: podWith({ securityContext: { runAsUser: 1000 } }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('"Fails when …" (a check that describes the failing object) reads as "deny when …"', () => {
  it('reads the condition with its polarity, and refuses when it inverts what a family checks', async () => {
    expect(
      await failuresOn('Fails when `resources.limits.memory` attribute is not configured.', [
        {
          name: 'a memory limit is allowed',
          object: podWith({ resources: { limits: { memory: '128Mi' } } }),
          expect: 'allow',
        },
        { name: 'no memory limit is denied', object: podWith({ resources: { limits: { cpu: '1' } } }), expect: 'deny' },
      ]),
    ).toEqual([]);
    // "fails when a probe is configured" would deny every probe: the probes family requires them, so it is refused.
    expect(refusal('Fails when a readiness probe is configured.').message).toMatch(
      /forbids what this family would require/,
    );
    expect(refusal('Fails when the container is not privileged.').message).toMatch(
      /requires what this family would forbid/,
    );
  });

  it('privilege escalation: an unset field allows escalation, so "is true" denies it too; only "set … to true" does not', async () => {
    expect(
      await failuresOn('Fails when `securityContext.allowPrivilegeEscalation` is true.', [
        { name: 'unset is denied', object: podWith({}), expect: 'deny' },
        {
          name: 'false is allowed',
          object: podWith({ securityContext: { allowPrivilegeEscalation: false } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must not set allowPrivilegeEscalation to true.', [
        { name: 'unset is allowed', object: podWith({}), expect: 'allow' },
        {
          name: 'true is denied',
          object: podWith({ securityContext: { allowPrivilegeEscalation: true } }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('AppArmor, SELinux, sysctls and volume types: lists read as written, inversions refused', () => {
  const deploymentWith = (annotations: Record<string, string>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' }, annotations },
        spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] },
      },
    },
  });

  it('finds the AppArmor annotation on a pod template, not only on a Pod', async () => {
    expect(
      await failuresOn('Containers must not run with the `unconfined` AppArmor profile.', [
        {
          name: 'template annotation unconfined is denied',
          object: deploymentWith({ 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' }),
          expect: 'deny',
        },
        {
          name: "another container's annotation does not count",
          object: deploymentWith({ 'container.apparmor.security.beta.kubernetes.io/other': 'unconfined' }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a requirement that a ban family would turn around', () => {
    expect(refusal('Containers must use the `unconfined` AppArmor profile.').message).toMatch(
      /requires what this family would forbid/,
    );
    expect(refusal('Pods must set seLinuxOptions.').message).toMatch(/requires what this family would forbid/);
    expect(refusal('Containers must not have a read-only root filesystem.').message).toMatch(
      /forbids what this family would require/,
    );
  });

  it('refuses "other than X are allowed" (the list would be read backwards) and sets that are not named', () => {
    expect(refusal('Sysctls other than kernel.shm_rmid_forced are allowed.').message).toMatch(
      /forbids what this family would require/,
    );
    expect(refusal('Only a safe subset of sysctls may be set.').unplaced).toEqual(expect.arrayContaining(['subset']));
    // Neither the allowed types (not named) nor a ban on seLinuxOptions (which "must not use" would become).
    expect(refusal('SELinux options must use one of the allowed types.').message).toMatch(/SELinux options must use/);
    expect(refusal('SELinux options must not use one of the allowed types.').message).toMatch(/must not use/);
  });

  it('"must not set unsafe sysctls" allows the safe set; it never bans every sysctl', async () => {
    const withSysctl = (name: string): KubeObject => pod({ securityContext: { sysctls: [{ name, value: '1' }] } });
    expect(
      await failuresOn('Pods must not set unsafe sysctls.', [
        { name: 'a safe sysctl is allowed', object: withSysctl('net.ipv4.tcp_syncookies'), expect: 'allow' },
        { name: 'an unsafe sysctl is denied', object: withSysctl('kernel.sem'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses volume conditions that are not about the type', () => {
    // "emptyDir volumes must set a sizeLimit" is read by emptydir-size-limit (offline-styles); a condition on the
    // volume is not.
    expect(refusal('emptyDir volumes with medium Memory must set a sizeLimit.').unplaced).toContain('medium');
    expect(refusal('Pods should not use emptyDir volumes larger than 1Gi.').unplaced).toEqual(
      expect.arrayContaining(['larger', '1Gi']),
    );
  });

  it('a volume type allow-list denies every other type, one bad volume among good ones included', async () => {
    expect(
      await failuresOn('Pods may only use configMap, secret and projected volumes.', [
        {
          name: 'configMap and projected are allowed',
          object: pod({
            volumes: [
              { name: 'a', configMap: { name: 'x' } },
              { name: 'b', projected: { sources: [] } },
            ],
          }),
          expect: 'allow',
        },
        {
          name: 'an emptyDir among them is denied',
          object: pod({
            volumes: [
              { name: 'a', configMap: { name: 'x' } },
              { name: 'b', emptyDir: {} },
            ],
          }),
          expect: 'deny',
        },
        {
          name: 'a claim is denied',
          object: pod({ volumes: [{ name: 'p', persistentVolumeClaim: { claimName: 'd' } }] }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('a rule that exists only to act in a system namespace is refused up front', () => {
  it('names the namespace and why, instead of a draft that fails its own cases', () => {
    for (const text of [
      'Pods must not run in the kube-system namespace.',
      "Deny pods with the label 'debug=true' in the kube-public namespace.",
    ]) {
      const r = refusal(text);
      expect(r.message).toMatch(
        /acts in kube-(system|public): policyforge never writes a policy that acts in the system namespaces/,
      );
      expect(r.unplaced).toEqual([expect.stringMatching(/^kube-(system|public)$/)]);
    }
  });
});

describe('a refusal says what it could not place and what it can do', () => {
  it('names the unplaced words and the closest family with an example phrasing', () => {
    const r = refusal('Containers must not mount the kubelet directory of the node.');
    expect(r.unplaced).toEqual(expect.arrayContaining(['kubelet', 'directory']));
    expect(r.message).toMatch(
      /Closest offline families: .*host-path \(could not place "kubelet", "directory"; e\.g\. "Pods must not mount hostPath volumes\."\)/,
    );
  });
});

describe('scope words and narrower subjects found while widening the reader (issue 11)', () => {
  it('"in every namespace" scopes the rule; it never adds Namespace objects to it', async () => {
    const text = 'Pods must have the label team in every namespace.';
    expect(understandOffline({ text }).plan.target.resources).not.toContain('namespaces');
    expect(
      await failuresOn(text, [
        {
          name: 'a Namespace without the label is not this rule',
          object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
          expect: 'allow',
        },
        { name: 'a Pod without it is denied', object: pod({}), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      understandOffline({ text: 'ConfigMaps may not be deleted in any namespace.' }).plan.target.resources,
    ).toEqual(['configmaps']);
  });

  it('refuses a rule about init (or sidecar) containers alone, which every container family would widen', () => {
    refusal('Init containers must not be privileged.');
    refusal('Sidecar containers must set memory limits.');
    expect(understandOffline({ text: 'Containers, including init containers, must not be privileged.' }).family).toBe(
      'privileged',
    );
  });

  it('refuses one resource field conditional on another instead of requiring both', () => {
    refusal('Containers must not have CPU limits without memory limits.');
  });
});

describe('"or unset" offered as an alternative is never read as a ban on the value', () => {
  // The reader counts "unset" as a negation: "must be Always or unset" would otherwise ban Always.
  it('refuses a value offered with "or unset" instead of turning it into a ban', () => {
    refusal('imagePullPolicy must be Always or unset.');
    refusal('imagePullPolicy must be unset or Always.');
    refusal('runAsUser must be at least 1000 or unset.');
    refusal('shareProcessNamespace must be true or unset.');
    refusal('CPU limits must be 1 or unset.');
  });

  it('still reads "unset or false" as the ban it is', async () => {
    expect(
      await failuresOn('shareProcessNamespace must be unset or false.', [
        { name: 'true is denied', object: pod({ shareProcessNamespace: true }), expect: 'deny' },
        { name: 'false is allowed', object: pod({ shareProcessNamespace: false }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('"not required" says a thing is optional; it is never read as a ban', () => {
  it('refuses "not required", "need not", "do not need", "optional" instead of forbidding the thing', () => {
    for (const text of [
      'CPU limits are not required.',
      'Containers do not need CPU limits.',
      'Pods need not set hostAliases.',
      'Image pull policy Always is not required.',
      'Privileged containers are not required.',
      'Deleting ConfigMaps is not required.',
      'CPU limits are optional.',
    ])
      expect(refusal(text).message).toMatch(/not required|need not|do not need|optional/);
  });
});

describe('a word inside a key, domain or value never names a kind', () => {
  it('"the annotation prometheus.io/scrape" targets Pods alone, not Prometheus objects', async () => {
    const text = 'Pods must have the annotation prometheus.io/scrape.';
    const u = understandOffline({ text });
    expect(u.plan.target.resources).not.toContain('prometheuses');
    expect(u.spec.resources).not.toContain('prometheuses');
    expect(u.spec.resources?.[0]).toBe('pods');
    const annotated = pod({});
    annotated.metadata = { ...annotated.metadata, annotations: { 'prometheus.io/scrape': 'true' } };
    expect(
      await failuresOn(text, [
        { name: 'a pod without the annotation is denied', object: pod({}), expect: 'deny' },
        { name: 'a pod with the annotation is allowed', object: annotated, expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('a label or annotation key that is a documented prefix is never read as one exact key', () => {
  // container.apparmor.security.beta.kubernetes.io is only ever written as <prefix>/<container-name>: read as an
  // exact key, the ban never fires on a real object while its own cases (using the bare prefix) pass.
  const annotated = (annotations: Record<string, string>): KubeObject => {
    const p = pod({});
    p.metadata = { ...p.metadata, annotations };
    return p;
  };
  const APPARMOR = 'container.apparmor.security.beta.kubernetes.io';

  it('a ban on a prefix denies every key under it', async () => {
    expect(
      await failuresOn(`Pods must not use the annotation ${APPARMOR}.`, [
        {
          name: 'a per-container key is denied',
          object: annotated({ [`${APPARMOR}/c`]: 'runtime/default' }),
          expect: 'deny',
        },
        {
          name: 'another container key is denied',
          object: annotated({ [`${APPARMOR}/web`]: 'unconfined' }),
          expect: 'deny',
        },
        { name: 'an unrelated key is allowed', object: annotated({ 'example.com/x': 'y' }), expect: 'allow' },
        { name: 'a look-alike prefix is allowed', object: annotated({ [`x${APPARMOR}/c`]: 'y' }), expect: 'allow' },
        { name: 'no annotations is allowed', object: pod({}), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('a ban on a prefix with a value denies that value under any key of the prefix', async () => {
    expect(
      await failuresOn(`Pods must not carry the annotation ${APPARMOR}=unconfined.`, [
        {
          name: 'unconfined on a container key is denied',
          object: annotated({ [`${APPARMOR}/c`]: 'unconfined' }),
          expect: 'deny',
        },
        {
          name: 'runtime/default is allowed',
          object: annotated({ [`${APPARMOR}/c`]: 'runtime/default' }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a requirement, a default, a change or a deletion rule on a prefix it cannot express', () => {
    for (const text of [
      'Namespaces must have the label pod-security.kubernetes.io.',
      'Pods must carry the label topology.kubernetes.io.',
      `The ${APPARMOR} annotation of pods must not change.`,
      'Nobody may delete nodes labelled node-role.kubernetes.io.',
    ])
      refusal(text);
  });
});

describe('an exception or scope in a sentence beside the rule is read, never set aside as rationale', () => {
  it('refuses a "This policy" rule whose neighbouring sentence exempts or scopes something', () => {
    for (const text of [
      'Only the prod namespace is covered. This policy ensures every container sets a memory limit.',
      'This policy ensures containers are not privileged. It applies only to the prod namespace.',
      'This policy ensures containers are not privileged. Init containers are exempt.',
      'This policy ensures containers are not privileged. DaemonSets are excluded.',
      'This policy ensures that Pods do not use hostNetwork. Pods labelled role=ingress may use it.',
      'This policy requires a team label on Deployments. Deployments managed by Helm are excluded.',
      'Workloads in the payments namespace hold card data. This policy ensures containers are not privileged.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses a rule beside a sentence that allows, skips or adds something', () => {
    for (const text of [
      'This policy ensures containers are not privileged. Windows pods are not checked.',
      'This policy ensures containers are not privileged. Privileged init containers are allowed.',
      'This policy ensures containers are not privileged. Jobs are ignored.',
      'This policy ensures every Deployment has a team label. StatefulSets should also have one.',
      'This policy ensures every Deployment has a team label. The label value must be one of a, b or c.',
      'This policy ensures images come from registry.example.com. Mirrors of it are fine too.',
      'Containers must not be privileged. Pods created by the platform operator are not affected.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('reads a second allowed registry beside the rule into the rule, not past it', async () => {
    const text = 'This policy ensures images come from registry.example.com. Images from quay.io are also accepted.';
    const image = (ref: string) => pod({ containers: [{ name: 'c', image: ref }] });
    expect(
      await failuresOn(text, [
        { name: 'quay.io is accepted', object: image('quay.io/team/app:1.0'), expect: 'allow' },
        { name: 'registry.example.com is accepted', object: image('registry.example.com/app:1.0'), expect: 'allow' },
        { name: 'docker.io is denied', object: image('docker.io/library/nginx:1.25'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('never reads a bare permission ("Pods in the dev namespace may be") as the scope of the ban', () => {
    expect(refusal('Pods must not be privileged. Pods in the dev namespace may be.').unplaced).toContain('may');
  });

  it('still sets aside rationale that names no exception, and reads "may" that states a rule', async () => {
    const u = understandOffline({
      text: 'Privileged containers can be used to take over a node. This policy ensures containers are not privileged.',
    });
    expect(u.family).toBe('privileged');
    expect(understandOffline({ text: 'Pods may only run images from registry.example.com.' }).family).toBe(
      'image-registry',
    );
    expect(understandOffline({ text: 'Nobody may delete a namespace labelled protected=true.' }).family).toBe(
      'delete-protection',
    );
  });
});

describe('a value that is also a negating word is the value, never a ban', () => {
  // "set to restricted", "with value disabled", "enforce=restricted": the reader counted the value as a negation
  // (restrict / disabled / none / never …) and turned the requirement into a ban on that very value.
  const labelled = (kind: 'Namespace' | 'Pod', labels?: Record<string, string>): KubeObject =>
    kind === 'Namespace'
      ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', ...(labels ? { labels } : {}) } }
      : { ...pod({}), metadata: { name: 'p', namespace: 'default', ...(labels ? { labels } : {}) } };

  it('requires the label value it names', async () => {
    for (const text of [
      'Namespaces must have the label pod-security.kubernetes.io/enforce set to restricted.',
      'Namespaces must carry the label pod-security.kubernetes.io/enforce=restricted.',
      'Namespaces must have the label pod-security.kubernetes.io/enforce with the value restricted.',
    ])
      expect(
        await failuresOn(text, [
          {
            name: 'restricted is what is asked',
            object: labelled('Namespace', { 'pod-security.kubernetes.io/enforce': 'restricted' }),
            expect: 'allow',
          },
          {
            name: 'privileged is not',
            object: labelled('Namespace', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
            expect: 'deny',
          },
          { name: 'no label is not', object: labelled('Namespace'), expect: 'deny' },
        ]),
      ).toEqual([]);
    for (const [text, value] of [
      ['Namespaces must have the label istio-injection set to disabled.', 'disabled'],
      ['Pods must have the label network set to none.', 'none'],
      ['Pods must have the label mode set to never.', 'never'],
      ['Pods must have the label access with the value denied.', 'denied'],
    ] as const) {
      const kind = text.startsWith('Namespaces') ? 'Namespace' : 'Pod';
      const key = /label (\S+)/.exec(text)?.[1] ?? '';
      expect(
        await failuresOn(text, [
          { name: `${value} is what is asked`, object: labelled(kind, { [key]: value }), expect: 'allow' },
          { name: 'another value is not', object: labelled(kind, { [key]: 'other' }), expect: 'deny' },
        ]),
      ).toEqual([]);
    }
  });

  it('still reads a ban on such a value as a ban', async () => {
    expect(
      await failuresOn('Namespaces must not have the label istio-injection set to disabled.', [
        {
          name: 'disabled is denied',
          object: labelled('Namespace', { 'istio-injection': 'disabled' }),
          expect: 'deny',
        },
        {
          name: 'enabled is allowed',
          object: labelled('Namespace', { 'istio-injection': 'enabled' }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });
});

describe('lists, permissions and namespace classes read as meant (issue 11)', () => {
  it('"A, B, or both" and "A and/or B" ask for at least one probe, never both', async () => {
    const probe = { httpGet: { path: '/healthz', port: 8080 } };
    for (const text of [
      'Every container must have a readiness probe, a liveness probe, or both.',
      'Containers must define readiness and/or liveness probes.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'only a liveness probe', object: podWith({ livenessProbe: probe }), expect: 'allow' },
          { name: 'only a readiness probe', object: podWith({ readinessProbe: probe }), expect: 'allow' },
          { name: 'no probe', object: podWith({}), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
    // A family that does not read "or both" leaves it unplaced.
    expect(refusal('Containers must set CPU requests, memory requests, or both.').unplaced).toContain('or both');
  });

  it('refuses a requirement with a permission beside it instead of requiring both', () => {
    expect(refusal('Every container must have a readiness probe and may have a liveness probe.').unplaced).toContain(
      'may',
    );
  });

  it('"in production namespaces" is a class of namespaces, not one named production', () => {
    expect(refusal('Images must not use the latest tag in production namespaces.').unplaced).toContain('production');
    expect(
      understandOffline({ text: "Images must not use the latest tag in the 'production' namespace." }).plan.target
        .namespaces,
    ).toEqual(['production']);
  });
});

describe('"a readiness probe or a startup probe" asks for either one, never both', () => {
  // The list of probes was found only when the names were adjacent ("liveness or readiness probe"): with "probe"
  // after each name the "or" was lost and both were required, denying a container with a readiness probe alone.
  const probe = { httpGet: { path: '/healthz', port: 8080 } };
  it('reads "X probe or a Y probe" as any one of them', async () => {
    for (const text of [
      'Containers must define a readiness probe or a startup probe.',
      'Containers need a liveness probe or a readiness probe.',
    ]) {
      const [a, b] = [...text.matchAll(/(readiness|liveness|startup) probe/g)].map((m) => `${m[1]}Probe`);
      expect(
        await failuresOn(text, [
          { name: `${a} alone is enough`, object: podWith({ [a]: probe }), expect: 'allow' },
          { name: `${b} alone is enough`, object: podWith({ [b]: probe }), expect: 'allow' },
          { name: 'neither is denied', object: podWith({}), expect: 'deny' },
        ]),
      ).toEqual([]);
    }
  });
});

describe('a ban on one RBAC verb in any inflection is never widened into a ban on every access', () => {
  // "Roles must not allow creating pods": "creating" is a word the reader skips, so the verb was lost and a Role
  // that only reads pods was denied. The bare verbs were already refused; their other forms now are too.
  it('refuses "creating", "deletion", "listing", "updates", "read access" on a resource', () => {
    for (const text of [
      'Roles must not allow creating pods.',
      'Roles must not allow the deletion of secrets.',
      'Roles must not allow listing secrets.',
      'ClusterRoles must not grant updates to deployments.',
      'Roles must not grant read access to secrets.',
    ])
      refusal(text);
  });
});

describe('a label or annotation rule on Pods covers the pod template of every pod controller, as pod-spec rules do', () => {
  // "Pods must have the label team": a Deployment whose template lacks it creates pods that are all denied, so the
  // Deployment is denied itself (Kyverno's auto-generation does the same), while its own metadata is not the pods'.
  const deployment = (templateLabels?: Record<string, string>, ownLabels?: Record<string, string>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default', ...(ownLabels ? { labels: ownLabels } : {}) },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd', ...templateLabels } },
        spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] },
      },
    },
  });
  const cronJob = (templateLabels?: Record<string, string>): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: 'default' },
    spec: {
      schedule: '0 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels: { ...templateLabels } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] },
          },
        },
      },
    },
  });

  it('requires the label on the pod template', async () => {
    expect(
      await failuresOn('Pods must have the label team.', [
        { name: 'a template without it is denied', object: deployment({}, { team: 'a' }), expect: 'deny' },
        { name: 'a template with it is allowed', object: deployment({ team: 'a' }), expect: 'allow' },
        { name: 'a CronJob template without it is denied', object: cronJob(), expect: 'deny' },
        { name: 'a CronJob template with it is allowed', object: cronJob({ team: 'a' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('forbids the label on the pod template', async () => {
    expect(
      await failuresOn("Pods must not carry the label 'env=prod'.", [
        { name: 'a template with it is denied', object: deployment({ env: 'prod' }), expect: 'deny' },
        { name: 'a template without it is allowed', object: deployment({}, { env: 'prod' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('namespace phrases name namespaces, never their lead words', () => {
  it('"except for namespace dev" leaves out dev, not a namespace called "for"', () => {
    expect(
      understandOffline({ text: 'Containers must not be privileged, except for namespace dev.' }).plan.target
        .excludedNamespaces,
    ).toEqual(['dev']);
  });
});

describe('what "this policy" does to an object is a mutation, never a deny', () => {
  it('"This policy sets imagePullPolicy to Always" is never read as a Validating policy', () => {
    for (const text of [
      'This policy sets imagePullPolicy to Always on every container.',
      'The policy assigns the label team=platform to every Namespace.',
    ]) {
      const type = policyTypeOf(text);
      expect(type === undefined || type === 'Mutating', `${text}: ${type}`).toBe(true);
    }
    // A sentence that asks the object to set a field is still a requirement.
    expect(
      understandOffline({ text: 'This policy ensures every container sets a memory limit.' }).plan.target.type,
    ).toBe('Validating');
  });

  it('"This policy drops / disables / enables …" and "Drop … from every container" are never read as a requirement', () => {
    for (const text of [
      'This policy drops ALL capabilities from every container.',
      'This policy disables automountServiceAccountToken on every Pod.',
      'This policy enables readOnlyRootFilesystem for every container.',
      'The policy removes the NET_RAW capability from all containers.',
      'Drop all capabilities from every container.',
    ]) {
      const type = policyTypeOf(text);
      expect(type === undefined || type === 'Mutating', `${text}: ${type}`).toBe(true);
    }
    // The object's own dropping, asked of it, is still a requirement; so is taking away an ability.
    for (const text of [
      'Containers must drop ALL capabilities.',
      'This policy denies Pods that do not drop ALL capabilities.',
      'Drop ALL capabilities.',
    ])
      expect(understandOffline({ text }).plan.target.type, text).toBe('Validating');
  });
});

describe('a condition on the subject is never read as a second requirement', () => {
  it('refuses "containers with a liveness probe also define a readiness probe" instead of requiring both', () => {
    for (const text of [
      'This policy ensures that containers with a liveness probe also define a readiness probe.',
      'Containers that define a liveness probe must define a readiness probe.',
      'Containers with a CPU limit must also set a memory limit.',
      'Containers that set CPU requests must set memory requests.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads a qualifier that is the offence itself ("Containers which mount the Docker socket are not allowed")', () => {
    expect(understandOffline({ text: 'Containers which mount the Docker socket are not allowed.' }).family).toBe(
      'runtime-socket',
    );
  });

  it('still reads a list of probes written with an Oxford comma', () => {
    expect(
      understandOffline({
        text: 'This policy validates that all containers have one of livenessProbe, readinessProbe, or startupProbe defined.',
      }).plan.rationale,
    ).toMatch(/at least one of livenessProbe, readinessProbe, startupProbe/);
  });
});

describe('where a field must sit (pod or container level) is honoured or refused', () => {
  it('refuses a demand for one level, which families that read container-over-pod would lose', () => {
    for (const text of [
      'Pods must set runAsNonRoot to true in the pod securityContext.',
      'Every container must set runAsNonRoot in its own securityContext.',
      'The pod-level seccomp profile must be RuntimeDefault.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });
});

describe('an exemption beside the rule is never placed as the rule', () => {
  it('refuses a rule beside a sentence that says what is not checked, instead of scoping the rule to it', () => {
    for (const text of [
      'Containers must not run privileged. Init containers are not checked.',
      'Containers must not run privileged. Pods in the monitoring namespace are not checked.',
      'Pods must not mount hostPath volumes. Jobs are not checked.',
      'Containers must not run privileged. DaemonSets are not validated.',
      'Containers must not run privileged. This policy does not check ephemeral containers.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses a rule beside a sentence that allows it somewhere, instead of enforcing it only there', () => {
    for (const text of [
      'LoadBalancer services are not allowed. Services in the gateway namespace are allowed to use them.',
      'Containers must not run privileged. Pods in namespace monitoring are allowed.',
      'Pods must not use hostPath volumes. hostPath volumes are permitted in the logging namespace.',
      'Containers must not run privileged. DaemonSets are allowed.',
      'Containers must not run privileged. Pods in namespace monitoring are also allowed.',
      'Pods must not use the default service account. Pods in the dev namespace are permitted.',
      'Deleting ConfigMaps is not allowed. ConfigMaps in namespace scratch are allowed.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads a ban or an allow-list written with "allowed"', () => {
    expect(understandOffline({ text: 'Services of type NodePort are not allowed.' }).family).toBe('service-type');
    expect(understandOffline({ text: 'Only ClusterIP services are allowed.' }).family).toBe('service-type');
  });
});

describe('an exemption given as a reason, or a kind added to the scope, is never dropped or read as the only scope', () => {
  it('refuses "…, so they are exempt" instead of setting the clause aside and scoping the ban to the exempt namespace', () => {
    for (const text of [
      'Privileged containers are not allowed. Pods in the monitoring namespace need them, so they are exempt.',
      'Containers must not use hostPort. Pods in namespace ingress bind host ports, so they are excluded.',
      'Pods must not use hostNetwork. The cni namespace runs network agents, so it is exempted from this rule.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses "X are also checked" instead of checking X only', () => {
    for (const text of [
      'Containers must not run privileged. DaemonSets are also checked.',
      'Containers must not use the latest tag. Init containers are covered too.',
      'Pods must not mount hostPath volumes. CronJobs are included as well.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });
});

describe('a binding to a named role reads the binding kind and the role kind as written', () => {
  const rb = (kind: 'Role' | 'ClusterRole', name: string): KubeObject =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    }) as KubeObject;
  const crb = (name: string): KubeObject =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    }) as KubeObject;

  it('"the cluster-admin role" is not a Role: a RoleBinding to the ClusterRole cluster-admin is denied', async () => {
    // Read as roleRef.kind Role, the ClusterRole cluster-admin (the one that exists) stayed allowed.
    expect(
      await failuresOn('RoleBindings to the cluster-admin role are not allowed.', [
        { name: 'the ClusterRole cluster-admin', object: rb('ClusterRole', 'cluster-admin'), expect: 'deny' },
        { name: 'a Role named cluster-admin', object: rb('Role', 'cluster-admin'), expect: 'deny' },
        { name: 'the ClusterRole view', object: rb('ClusterRole', 'view'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('"cluster role bindings" are ClusterRoleBindings, not RoleBindings', async () => {
    expect(
      await failuresOn('Cluster role bindings to the cluster-admin ClusterRole are not allowed.', [
        { name: 'a ClusterRoleBinding to cluster-admin', object: crb('cluster-admin'), expect: 'deny' },
        { name: 'a RoleBinding to cluster-admin', object: rb('ClusterRole', 'cluster-admin'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('"role bindings" (the RBAC notion) covers ClusterRoleBindings too', async () => {
    expect(
      await failuresOn('Role bindings to the admin ClusterRole are forbidden.', [
        { name: 'a ClusterRoleBinding to admin', object: crb('admin'), expect: 'deny' },
        { name: 'a RoleBinding to admin', object: rb('ClusterRole', 'admin'), expect: 'deny' },
        { name: 'a RoleBinding to a Role named admin', object: rb('Role', 'admin'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('refuses a determiner or a kind where the role name would be ("to any ClusterRole" named no role "any")', () => {
    for (const text of [
      'RoleBindings to any ClusterRole are not allowed.',
      'Bindings to a ClusterRole are not allowed.',
      'RoleBindings to privileged ClusterRoles are not allowed.',
      'Bindings to the cluster-admin ClusterRole in namespace dev are not allowed.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });
});

describe('"if set" / "when specified" leaves an unset field alone, or the intent is refused', () => {
  it('allows a container without the profile when the text says "if set", and still denies a wrong one', async () => {
    const none = podWith({});
    const apparmor = (type: string): KubeObject => podWith({ securityContext: { appArmorProfile: { type } } });
    const seccomp = (type: string): KubeObject => podWith({ securityContext: { seccompProfile: { type } } });
    for (const text of [
      'The AppArmor profile, if set, must be runtime/default or localhost/*.',
      'The AppArmor profile, when specified, must be runtime/default.',
      'If an AppArmor profile is present it must be runtime/default or a localhost profile.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'no profile', object: none, expect: 'allow' },
          { name: 'Unconfined', object: apparmor('Unconfined'), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
    for (const text of [
      'The seccomp profile, if set, must be RuntimeDefault or Localhost.',
      'When a seccomp profile is specified, it must be RuntimeDefault.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'no profile', object: none, expect: 'allow' },
          { name: 'Unconfined', object: seccomp('Unconfined'), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
    expect(
      await failuresOn('allowPrivilegeEscalation, if specified, must be false.', [
        { name: 'unset', object: none, expect: 'allow' },
        { name: 'true', object: podWith({ securityContext: { allowPrivilegeEscalation: true } }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses readOnlyRootFilesystem "when set" or "not … false", which the family would read as required', () => {
    for (const text of [
      'readOnlyRootFilesystem, when set, must be true.',
      'Containers must not set readOnlyRootFilesystem to false.',
      'The root filesystem of a container must not be read-write: readOnlyRootFilesystem must not be false.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });
});

describe('"default imagePullPolicy to X" is never read as overriding every container', () => {
  it('refuses a default, which the API server has applied before any webhook runs', () => {
    for (const text of [
      'This policy sets the default imagePullPolicy to IfNotPresent.',
      'Default the imagePullPolicy of every container to Always.',
      'Set imagePullPolicy to Always by default.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('refuses a pull policy set on some containers (init, ephemeral), which the patch would set on every one', () => {
    for (const text of [
      'Set imagePullPolicy to Always on init containers.',
      'Set imagePullPolicy to Always on every init container of a pod.',
      'Make imagePullPolicy IfNotPresent on ephemeral containers.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads "set imagePullPolicy to Always" as a mutation of every container', () => {
    expect(
      understandOffline({ text: 'In the prod namespace, set imagePullPolicy to Always on every container of a pod.' })
        .family,
    ).toBe('image-pull-policy');
  });
});

describe('a ban on untagged images is not a ban on the latest tag', () => {
  it('denies an image without a tag and allows an explicit :latest when the text never names latest', async () => {
    for (const text of [
      'Images must not be untagged.',
      'Images without a tag are not allowed.',
      'Untagged images are not allowed.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'untagged', object: podWith({ image: 'nginx' }), expect: 'deny' },
          { name: 'latest is a tag', object: podWith({ image: 'nginx:latest' }), expect: 'allow' },
          { name: 'digest', object: podWith({ image: `nginx@sha256:${'a'.repeat(64)}` }), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });

  it('still denies both when latest is named', async () => {
    expect(
      await failuresOn("Do not allow pods whose containers use the ':latest' tag or no tag at all.", [
        { name: 'untagged', object: podWith({ image: 'nginx' }), expect: 'deny' },
        { name: 'latest', object: podWith({ image: 'nginx:latest' }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('a list of label keys joined by "or" asks for one of them, never all', () => {
  it('"Pods must have the label app or team" admits a Pod with team only', async () => {
    const labelled = (labels: Record<string, string>): KubeObject => ({
      ...pod({}),
      metadata: { name: 'p', namespace: 'default', labels },
    });
    expect(
      await failuresOn('Pods must have the label app or team.', [
        { name: 'team only', object: labelled({ team: 'shop' }), expect: 'allow' },
        { name: 'app only', object: labelled({ app: 'web' }), expect: 'allow' },
        { name: 'neither', object: labelled({ tier: 'front' }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(refusal('Pods must have either an app label or a team label.').message).toMatch(/either/);
  });
});

describe('a permission whose subject carries a "not" is never read as a ban', () => {
  it('refuses "X not from Y are allowed" instead of blocking Y', () => {
    for (const text of [
      'Images not from registry.example.com are allowed.',
      'Containers that are not privileged are allowed.',
      'Services that are not of type NodePort are permitted.',
      "Containers that don't add capabilities are accepted.",
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads a ban written with "no" or "not allowed"', () => {
    expect(understandOffline({ text: 'No privileged containers are allowed.' }).family).toBe('privileged');
    expect(understandOffline({ text: 'Pods without resource limits are not allowed.' }).family).toBe('resources');
  });
});

describe('"set the label k=v" asks for the value, never "add it unless another is there"', () => {
  it('refuses "set" without a condition, which the add-when-missing family would read as keeping another value', () => {
    for (const text of [
      'Set the label env=prod on every Pod in the prod namespace.',
      'This policy sets the label team=platform on every Namespace.',
      'Set the annotation owner=platform on new ConfigMaps.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads "add" and a "set" with the condition stated', () => {
    for (const text of [
      'Add the annotation owner=platform to new ConfigMaps.',
      'Set the label team=platform on new Namespaces unless they already have a team label.',
    ])
      expect(understandOffline({ text }).family, text).toBe('metadata-default');
  });
});

describe('"the X of a Kind is immutable" is never a ban on a value', () => {
  it('refuses immutability and "of <kind>" instead of forbidding the value "a" or the kind name', () => {
    for (const text of [
      'The storageClassName of a PersistentVolumeClaim is immutable.',
      'The storageClassName of PersistentVolumeClaims is immutable.',
      'The concurrencyPolicy of a CronJob is immutable.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads a value given with "of"', () => {
    expect(understandOffline({ text: 'Jobs must have a ttlSecondsAfterFinished of 100.' }).plan.rationale).toMatch(
      /spec\.ttlSecondsAfterFinished to 100/,
    );
  });
});

describe('a bound in a sentence beside "This policy …" is never set aside as motivation', () => {
  it('reads the bound or refuses, never requires the field alone', async () => {
    const limit = (memory: string): KubeObject => podWith({ resources: { limits: { memory }, requests: { memory } } });
    for (const [text, tooBig] of [
      ['This policy requires a memory limit on every container. The limit must be at most 4Gi.', '8Gi'],
      ['This policy requires a memory request on every container. Requests of more than 2Gi are not allowed.', '4Gi'],
    ] as const) {
      let read = true;
      try {
        understandOffline({ text });
      } catch {
        read = false;
      }
      if (!read) expect(refusal(text).message, text).toMatch(/does not understand|could not place/);
      else
        expect(
          await failuresOn(text, [{ name: 'over the bound', object: limit(tooBig), expect: 'deny' }]),
          text,
        ).toEqual([]);
    }
  });

  it('refuses an operation named beside the rule ("on create only") instead of checking updates too', () => {
    expect(refusal('This policy denies Services of type LoadBalancer. The check runs on create only.').message).toMatch(
      /does not understand|could not place|Words not understood/,
    );
  });
});

describe('a taint named by its effect or a nickname is never checked as a bare key', () => {
  it('refuses "the NoExecute taint", "the control-plane taint", "the master taint", "the gpu taint"', () => {
    for (const text of [
      'Pods must not tolerate the control-plane taint.',
      'Pods must not tolerate the master taint.',
      'Workloads may not tolerate NoExecute taints.',
      'Pods must not tolerate the NoSchedule taint.',
      'Pods must not have a toleration for the gpu taint.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand|could not place|Words not understood/);
  });

  it('still reads a key written in full, and a plain key', async () => {
    const text = 'Pods must not tolerate the node-role.kubernetes.io/control-plane taint.';
    const tolerating = (key: string): KubeObject =>
      pod({ tolerations: [{ key, operator: 'Exists', effect: 'NoSchedule' }] });
    expect(
      await failuresOn(text, [
        {
          name: 'the control-plane taint',
          object: tolerating('node-role.kubernetes.io/control-plane'),
          expect: 'deny',
        },
        { name: 'another taint', object: tolerating('dedicated'), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Pods must not tolerate the dedicated taint.' }).family).toBe('tolerations');
  });
});

describe('a ban on one way of taking a Secret as env vars is never widened to the other', () => {
  const keyRef = podWith({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] });
  const envFrom = podWith({ envFrom: [{ secretRef: { name: 'db' } }] });

  it('"secretKeyRef" alone bans env valueFrom.secretKeyRef and leaves envFrom alone', async () => {
    for (const text of [
      'This policy disallows secretKeyRef in env.',
      'Secrets passed as environment variables can leak. This policy disallows using secretKeyRef in container env.',
      'No container may use a secretKeyRef in env.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'secretKeyRef', object: keyRef, expect: 'deny' },
          { name: 'envFrom secretRef is not named', object: envFrom, expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });

  it('"envFrom … secretRef" alone bans envFrom and leaves secretKeyRef alone; naming neither bans both', async () => {
    for (const text of [
      'Containers must not use envFrom with a secretRef.',
      'No container may use a secretRef in envFrom.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'envFrom secretRef', object: envFrom, expect: 'deny' },
          { name: 'secretKeyRef is not named', object: keyRef, expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
    expect(
      await failuresOn('Secrets must not be used as environment variables.', [
        { name: 'secretKeyRef', object: keyRef, expect: 'deny' },
        { name: 'envFrom secretRef', object: envFrom, expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('a capability allow-list keeps every capability it names', () => {
  const adds = (...add: string[]) => podWith({ securityContext: { capabilities: { add } } });

  it('allows each capability listed, not only the ones the family knew by name', async () => {
    const text =
      'Adding capabilities beyond those listed in the policy must be disallowed. This policy ensures only the capabilities AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT may be added.';
    expect(
      await failuresOn(text, [
        { name: 'KILL is listed', object: adds('KILL'), expect: 'allow' },
        { name: 'AUDIT_WRITE and SYS_CHROOT are listed', object: adds('AUDIT_WRITE', 'SYS_CHROOT'), expect: 'allow' },
        { name: 'NET_RAW is not', object: adds('NET_RAW'), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must drop ALL capabilities and may only add back NET_BIND_SERVICE or SYS_CHROOT.', [
        {
          name: 'SYS_CHROOT added back',
          object: podWith({ securityContext: { capabilities: { drop: ['ALL'], add: ['SYS_CHROOT'] } } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('reads a ban on capabilities it did not know, and refuses a name that is no capability', async () => {
    expect(
      await failuresOn('Containers must not add the SYS_RESOURCE or KILL capability.', [
        { name: 'KILL', object: adds('KILL'), expect: 'deny' },
        { name: 'SYS_RESOURCE', object: adds('SYS_RESOURCE'), expect: 'deny' },
        { name: 'CHOWN is not named', object: adds('CHOWN'), expect: 'allow' },
      ]),
    ).toEqual([]);
    // Its own "another capability" case must not be the one named.
    expect(
      await failuresOn('Containers must not add CHOWN.', [{ name: 'CHOWN', object: adds('CHOWN'), expect: 'deny' }]),
    ).toEqual([]);
    refusal('Only the capabilities NET_BIND_SERVICE and NET_BIND may be added.');
  });
});

describe('namespaces picked by a label or a pattern are a selector, never a namespace name or the object label', () => {
  it('refuses "in namespaces labelled …", "… with the label …" rather than reading the label as the object\'s own', () => {
    for (const text of [
      'ConfigMaps must not be deleted in namespaces labelled protected=true.',
      'Pods must not be created in namespaces labelled env=prod.',
      'Services of type NodePort are not allowed in namespaces with the label tier=frontend.',
      'Secrets must not be deleted in namespaces whose name starts with prod.',
    ])
      expect(refusal(text).unplaced.join(' ')).toMatch(/in namespaces (?:labelled|with|whose)/);
  });

  it('still reads a Namespace that carries the label, and a namespace named outright', () => {
    expect(understandOffline({ text: 'Nobody may delete a namespace labelled protected=true.' }).family).toBe(
      'delete-protection',
    );
    expect(
      understandOffline({ text: 'ConfigMaps must not be deleted in the prod namespace.' }).plan.target.namespaces,
    ).toEqual(['prod']);
  });
});

describe('resource requests and limits: every field a list names is required, and only those', () => {
  const res = (requests: Record<string, string>, limits: Record<string, string>) =>
    podWith({ resources: { requests, limits } });
  const all = { cpu: '100m', memory: '128Mi' };

  it('reads "<resource> requests and limits" and "requests and limits for <resource>" as both sections', async () => {
    for (const text of [
      'This policy requires that containers set memory requests and limits.',
      'Containers must define requests and limits for memory.',
      'Containers must have memory limits and requests.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'memory request only', object: res({ memory: '128Mi' }, {}), expect: 'deny' },
          { name: 'memory limit only', object: res({}, { memory: '128Mi' }), expect: 'deny' },
          { name: 'both memory fields', object: res({ memory: '128Mi' }, { memory: '128Mi' }), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
    for (const text of [
      'Containers must set CPU and memory requests and limits.',
      'This policy requires resource requests and limits for CPU and memory.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'requests only', object: res(all, {}), expect: 'deny' },
          { name: 'no memory limit', object: res(all, { cpu: '1' }), expect: 'deny' },
          { name: 'all four', object: res(all, all), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });

  it('keeps the resource a qualifier names ("resource limits are set for memory")', async () => {
    expect(
      await failuresOn('This policy ensures that resource limits are set for memory on every container.', [
        { name: 'a memory limit and no CPU limit', object: res({}, { memory: '128Mi' }), expect: 'allow' },
        { name: 'no memory limit', object: res({}, { cpu: '1' }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses a list it cannot split, and a ban on "A and B"', () => {
    refusal('Containers must set CPU requests and limits for memory.');
    refusal('Containers must not set CPU limits and requests.');
  });
});

describe('a required field path is checked where real objects hold it', () => {
  const container = { name: 'c', image: 'registry.example.com/app:1.0' };
  const deployment = (podSpec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container], ...podSpec } },
    },
  });

  it('a Pod field path required also reaches the pod template of Deployments (pods would never appear)', async () => {
    const text = 'Pods must set spec.priorityClassName.';
    expect(
      await failuresOn(text, [
        { name: 'a Deployment without it', object: deployment({}), expect: 'deny' },
        { name: 'a Deployment with it', object: deployment({ priorityClassName: 'high' }), expect: 'allow' },
        { name: 'a Pod with it', object: pod({ containers: [container], priorityClassName: 'high' }), expect: 'allow' },
        { name: 'a Pod without it', object: pod({ containers: [container] }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('This policy requires Pods to set spec.securityContext.fsGroup.', [
        {
          name: 'fsGroup in the template',
          object: deployment({ securityContext: { fsGroup: 2000 } }),
          expect: 'allow',
        },
        { name: 'no fsGroup in the template', object: deployment({ securityContext: {} }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('a Pod field path forbidden a value also reaches the pod template of Deployments', async () => {
    expect(
      await failuresOn('Deny Pods where spec.hostNetwork is true.', [
        { name: 'a Deployment on the host network', object: deployment({ hostNetwork: true }), expect: 'deny' },
        { name: 'a Deployment off it', object: deployment({ hostNetwork: false }), expect: 'allow' },
        { name: 'a Deployment leaving it out', object: deployment({}), expect: 'allow' },
        { name: 'a Pod on it', object: pod({ containers: [container], hostNetwork: true }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('a path through a list (containers, volumes, ports, rules) is refused: no object holds it there', () => {
    for (const text of [
      'Deny Pods where spec.containers.image is nginx.',
      'Deny Services whose spec.ports.protocol is UDP.',
      'The spec.containers.image field of Pods must not be changed.',
      'Deny changes to spec.rules.host of Ingresses.',
      'Deployments must set spec.template.spec.containers.resources.limits.',
      'Pods must set spec.containers.resources.limits.memory.',
      'Pods must set spec.volumes.emptyDir.sizeLimit.',
      'Every Service must set spec.ports.name.',
      'Ingresses must set spec.rules.host.',
    ])
      expect(refusal(text).message, text).toMatch(/does not understand/);
  });
});

describe('a namespace scope or exception on a kind that lives in no namespace is refused, never dropped', () => {
  it('refuses an exception or a scope the selector of a cluster-scoped kind cannot apply', () => {
    for (const [text, word] of [
      ['Namespaces must not be deleted, except the sandbox namespace.', 'sandbox'],
      ['This policy requires the label team on every Namespace except the sandbox namespace.', 'sandbox'],
      ['PersistentVolumes must not be deleted in the prod namespace.', 'prod'],
      ['ClusterRoles must not use wildcards in verbs, except in the admin namespace.', 'admin'],
      ['ClusterRoleBindings to cluster-admin are not allowed except in the platform namespace.', 'platform'],
    ])
      expect(refusal(text).unplaced).toContain(word);
  });

  it('still reads the namespaced kinds scoped so, and the cluster-scoped kinds without a scope', () => {
    expect(understandOffline({ text: 'Secrets in the prod namespace must not be deleted.' }).family).toBe(
      'operation-forbidden',
    );
    expect(understandOffline({ text: 'Namespaces must not be deleted.' }).family).toBe('operation-forbidden');
  });
});

describe('image registries named in separate clauses are not one allow-list', () => {
  it('refuses registries given to different subjects, and still reads one list', async () => {
    for (const text of [
      'This policy ensures that containers use images from registry.example.com, and init containers from gcr.io.',
      'Images for containers must come from registry.example.com and for init containers from gcr.io.',
      'Containers must use images from registry.example.com; init containers must use images from gcr.io.',
      'Containers must use images from registry.example.com. Init containers must use images from gcr.io.',
    ])
      refusal(text);
    expect(
      await failuresOn(
        'This policy validates that container images only originate from the registry `eu.foo.io` or `bar.io`.',
        [
          { name: 'bar.io', object: podWith({ image: 'bar.io/app:1' }), expect: 'allow' },
          { name: 'quay.io', object: podWith({ image: 'quay.io/app:1' }), expect: 'deny' },
        ],
      ),
    ).toEqual([]);
  });
});

describe('a value the policy puts there itself ("by setting it", "get the label") is a mutation, never a deny', () => {
  it('"… by setting it", "…, adding …", "X get / are given the label …" are never read as a Validating policy', () => {
    for (const text of [
      'This policy ensures that every Pod has imagePullPolicy set to Always by setting it.',
      'Namespaces get the label team=platform when created.',
      'Every new Namespace is given the label team=platform.',
      'This policy ensures that all Pods have the label app, adding app=unknown if it is missing.',
    ]) {
      const type = policyTypeOf(text);
      expect(type === undefined || type === 'Mutating', `${text}: ${type}`).toBe(true);
    }
  });

  it('a requirement or a ban said with "gets" / "setting" stays one', () => {
    for (const text of [
      'This policy ensures every Pod has imagePullPolicy set to Always.',
      'Namespaces must have the label team=platform.',
      'No container gets to run privileged.',
    ]) {
      const type = policyTypeOf(text);
      expect(type === undefined || type === 'Validating', `${text}: ${type}`).toBe(true);
    }
  });
});

describe('a plain noun after "bindings to / must not reference" is never taken for a role name', () => {
  it('refuses "reference users", "grant permissions", "to everyone" rather than ban a role named so', () => {
    for (const text of [
      'ClusterRoleBindings must not reference users.',
      'Bindings to users are not allowed.',
      'RoleBindings must not grant permissions.',
      'ClusterRoleBindings to everyone are forbidden.',
    ])
      refusal(text);
  });

  it('still reads a role named with its kind, quoted, hyphenated, or a built-in one', () => {
    for (const text of [
      'ClusterRoleBindings to cluster-admin are not allowed.',
      'RoleBindings to the superuser ClusterRole are forbidden.',
      'Bindings to `superuser` are not allowed.',
      'ClusterRoleBindings to admin are not allowed.',
    ])
      expect(understandOffline({ text }).family, text).toBe('binding-role-forbidden');
  });
});

describe('a word that says which name is meant ("the approved ingress class") is never taken as the name', () => {
  it('refuses "the approved / correct ingress class", "the wrong namespace", "the required labels", "named appropriately"', () => {
    for (const text of [
      'Ingresses must use the approved ingress class.',
      'Ingresses must use the correct ingress class.',
      'Pods must not be created in the wrong namespace.',
      'Deployments must not be created in the same namespace.',
      'Services must carry the required labels.',
      'Deployments must have the proper annotation.',
      'Deny deleting the ConfigMaps named appropriately.',
    ])
      refusal(text);
  });

  it('still reads real names in the same places', () => {
    expect(understandOffline({ text: 'Ingresses must not use the public ingress class.' }).family).toBe(
      'ingress-class',
    );
    expect(
      understandOffline({ text: 'Pods must not be created in the default namespace.' }).plan.target.namespaces,
    ).toEqual(['default']);
    expect(understandOffline({ text: 'Deployments must have the team label.' }).family).toBe('metadata-required');
    expect(understandOffline({ text: 'Deny deleting the ConfigMaps named settings.' }).family).toBe(
      'delete-protection',
    );
  });
});

describe('a rule on Pods named beside other kinds still reaches the pod template of every pod controller', () => {
  /** A pod controller whose pod template carries `template` labels (selected by another label) and itself `own`. */
  function controller(
    kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job',
    template: Record<string, string>,
    own?: Record<string, string>,
    podSpec: Record<string, unknown> = {},
  ): KubeObject {
    const spec = { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...podSpec };
    return {
      apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
      kind,
      metadata: { name: 'w', namespace: 'default', ...(own ? { labels: own } : {}) },
      spec: {
        ...(kind === 'Job' ? {} : { selector: { matchLabels: { workload: 'w' } } }),
        ...(kind === 'StatefulSet' ? { serviceName: 'w' } : {}),
        template: {
          metadata: { labels: { workload: 'w', ...template } },
          spec: kind === 'Job' ? { restartPolicy: 'Never', ...spec } : spec,
        },
      },
    };
  }
  const service = (labels?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
  });

  it('"All Pods and Services must have the label app": a Deployment whose pods lack it is denied', async () => {
    expect(
      await failuresOn('All Pods and Services must have the label app.', [
        { name: 'a Deployment whose pods lack app', object: controller('Deployment', {}), expect: 'deny' },
        { name: 'a Job whose pods lack app', object: controller('Job', {}), expect: 'deny' },
        {
          name: 'a Deployment whose pods carry app',
          object: controller('Deployment', { app: 'web' }),
          expect: 'allow',
        },
        { name: 'a Service without app', object: service(), expect: 'deny' },
        { name: 'a Service with app', object: service({ app: 'web' }), expect: 'allow' },
        { name: 'a Pod without app', object: pod({}), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Pods and Services must have the labels app and team.', [
        { name: 'a StatefulSet whose pods lack team', object: controller('StatefulSet', { app: 'a' }), expect: 'deny' },
        {
          name: 'a StatefulSet whose pods carry both',
          object: controller('StatefulSet', { app: 'a', team: 't' }),
          expect: 'allow',
        },
        { name: 'a Service with both', object: service({ app: 'a', team: 't' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('a ban on a label reaches the pod templates too', async () => {
    expect(
      await failuresOn('Pods and Services must not carry the label env=dev.', [
        {
          name: 'a DaemonSet whose pods carry env=dev',
          object: controller('DaemonSet', { env: 'dev' }),
          expect: 'deny',
        },
        {
          name: 'a DaemonSet whose pods carry env=prod',
          object: controller('DaemonSet', { env: 'prod' }),
          expect: 'allow',
        },
        { name: 'a Service with env=dev', object: service({ env: 'dev' }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('"Pods and Deployments …": the Deployment on itself and on its template, and every other controller', async () => {
    expect(
      await failuresOn('Pods and Deployments must have the label team.', [
        {
          name: 'a Deployment with team only on itself',
          object: controller('Deployment', {}, { team: 't' }),
          expect: 'deny',
        },
        {
          name: 'a Deployment with team only on its pods',
          object: controller('Deployment', { team: 't' }),
          expect: 'deny',
        },
        {
          name: 'a Deployment with team on itself and its pods',
          object: controller('Deployment', { team: 't' }, { team: 't' }),
          expect: 'allow',
        },
        {
          name: 'a StatefulSet whose pods lack team',
          object: controller('StatefulSet', {}, { team: 't' }),
          expect: 'deny',
        },
        {
          name: 'a StatefulSet whose pods carry team',
          object: controller('StatefulSet', { team: 't' }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Pods and Deployments must not use hostNetwork.', [
        {
          name: 'a StatefulSet on the host network',
          object: controller('StatefulSet', {}, undefined, { hostNetwork: true }),
          expect: 'deny',
        },
        { name: 'a StatefulSet off it', object: controller('StatefulSet', {}), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('controllers named without Pods are checked on themselves only', () => {
    const u = understandOffline({ text: 'Deployments and Services must have the label app.' });
    expect(u.plan.target.resources).toEqual(['deployments', 'services']);
    expect(
      understandOffline({ text: 'Deployments and StatefulSets must not use hostNetwork.' }).plan.target.resources,
    ).toEqual(['deployments', 'statefulsets']);
  });
});

/**
 * The two cases every required-resource rule owes a debugged pod: relabelling it (its ephemeral container may never
 * set resources) is admitted, and an init container without a memory limit beside `container` is still denied.
 */
function debuggedPodCases(container: Record<string, unknown>): TestCase[] {
  return [
    {
      name: 'relabelling a debugged pod',
      operation: 'UPDATE',
      oldObject: debuggedPod(container, { app: 'a' }),
      object: debuggedPod(container, { app: 'b' }),
      expect: 'allow',
    },
    {
      name: 'an init container without a memory limit',
      object: pod({ containers: [container], initContainers: [{ name: 'i', image: 'registry.example.com/i:1' }] }),
      expect: 'deny',
    },
  ];
}

/** A pod that `kubectl debug` has given an ephemeral container (which may never set resources) beside `container`. */
function debuggedPod(container: Record<string, unknown>, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels },
    spec: {
      containers: [container],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', targetContainerName: 'c' }],
    },
  };
}

describe('a required resource is never asked of an ephemeral container, which may not set resources', () => {
  const limited = { name: 'c', image: 'registry.example.com/app:1.0', resources: { limits: { memory: '128Mi' } } };

  it('refuses a requirement that names ephemeral containers (it could only block kubectl debug)', () => {
    for (const text of [
      'Every container, init container and ephemeral container must set a memory limit.',
      'Containers, including ephemeral containers, must set CPU requests.',
    ])
      refusal(text);
  });

  it('leaves the ephemeral containers of a debugged pod alone when the pod is updated', async () => {
    expect(await failuresOn('Every container must set a memory limit.', [...debuggedPodCases(limited)])).toEqual([]);
  });
});

describe('a bound on a required resource leaves the ephemeral containers of a debugged pod alone', () => {
  const bounded = { name: 'c', image: 'registry.example.com/app:1.0', resources: { limits: { memory: '1Gi' } } };

  it('admits an UPDATE of a debugged pod and still checks every other container', async () => {
    expect(
      await failuresOn('Every container must have a memory limit of at most 2Gi.', [
        ...debuggedPodCases(bounded),
        {
          name: 'a container with a memory limit of 4Gi',
          object: pod({ containers: [{ ...bounded, resources: { limits: { memory: '4Gi' } } }] }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('a Service field the API server accepts on some Service types only is required of those types only', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
  });

  it('"Services must set externalTrafficPolicy to Local" leaves ClusterIP Services alone (they cannot set it)', async () => {
    for (const text of [
      'Services must set externalTrafficPolicy to Local.',
      'Services must set spec.externalTrafficPolicy.',
      'This policy ensures that Services set externalTrafficPolicy to Local.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'a ClusterIP Service', object: svc({ type: 'ClusterIP' }), expect: 'allow' },
          { name: 'a Service of the default type', object: svc({}), expect: 'allow' },
          {
            name: 'a LoadBalancer Service with Cluster',
            object: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' }),
            expect: text.includes('Local') ? 'deny' : 'allow',
          },
          { name: 'a NodePort Service without it', object: svc({ type: 'NodePort' }), expect: 'deny' },
          {
            name: 'a LoadBalancer Service with Local',
            object: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }),
            expect: 'allow',
          },
          {
            name: 'a ClusterIP Service with externalIPs without it',
            object: svc({ type: 'ClusterIP', externalIPs: ['203.0.113.10'] }),
            expect: 'deny',
          },
        ]),
      ).toEqual([]);
  });

  it('loadBalancerClass and loadBalancerSourceRanges are asked of LoadBalancer Services only', async () => {
    for (const text of ['Services must set loadBalancerClass.', 'Services must set spec.loadBalancerSourceRanges.'])
      expect(
        await failuresOn(text, [
          { name: 'a ClusterIP Service', object: svc({ type: 'ClusterIP' }), expect: 'allow' },
          { name: 'a NodePort Service', object: svc({ type: 'NodePort' }), expect: 'allow' },
          { name: 'a LoadBalancer Service without it', object: svc({ type: 'LoadBalancer' }), expect: 'deny' },
        ]),
      ).toEqual([]);
  });

  it('refuses a Service type the text names itself, and healthCheckNodePort; other known fields hold everywhere', () => {
    for (const text of [
      'LoadBalancer Services must set externalTrafficPolicy to Local.',
      'Services of type LoadBalancer must set externalTrafficPolicy to Local.',
      'Services must set spec.healthCheckNodePort.',
    ])
      refusal(text);
    expect(understandOffline({ text: 'Services must set sessionAffinity to ClientIP.' }).spec.javascript).not.toMatch(
      /serviceType/,
    );
    expect(understandOffline({ text: 'Services must not use externalTrafficPolicy Cluster.' }).family).toBe(
      'known-field',
    );
  });
});

describe('a ban on creating Pods also bans creating the pod controllers whose pods it would deny', () => {
  const workload = (kind: 'Deployment' | 'StatefulSet', namespace = 'default'): KubeObject => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'w', namespace },
    spec: {
      selector: { matchLabels: { app: 'w' } },
      ...(kind === 'StatefulSet' ? { serviceName: 'w' } : {}),
      template: {
        metadata: { labels: { app: 'w' } },
        spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] },
      },
    },
  });

  it('"Pods and Services must not be created in the default namespace" denies a Deployment there', async () => {
    expect(
      await failuresOn('Pods and Services must not be created in the default namespace.', [
        { name: 'a Deployment in default', object: workload('Deployment'), expect: 'deny' },
        { name: 'a StatefulSet in default', object: workload('StatefulSet'), expect: 'deny' },
        { name: 'a Deployment in apps', object: workload('Deployment', 'apps'), expect: 'allow' },
        { name: 'a Pod in default', object: pod({}), expect: 'deny' },
        {
          name: 'updating a Deployment in default',
          operation: 'UPDATE',
          oldObject: workload('Deployment'),
          object: workload('Deployment'),
          expect: 'allow',
        },
        {
          name: 'deleting a Deployment in default',
          operation: 'DELETE',
          oldObject: workload('Deployment'),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('"Pods must not be created or deleted": a controller may not be created, but may be deleted', async () => {
    expect(
      await failuresOn('Pods must not be created or deleted.', [
        { name: 'a Deployment', object: workload('Deployment'), expect: 'deny' },
        { name: 'deleting a Deployment', operation: 'DELETE', oldObject: workload('Deployment'), expect: 'allow' },
        { name: 'deleting a Pod', operation: 'DELETE', oldObject: pod({}), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Pods must not be deleted.' }).plan.target.resources).toEqual(['pods']);
  });
});

describe('a label set to a value keeps its value', () => {
  it('"must set the label env to prod" requires env=prod, not any env', async () => {
    const labelled = (env: string): KubeObject => ({
      ...pod({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] }, 'prod'),
      metadata: { name: 'p', namespace: 'prod', labels: { env } },
    });
    for (const text of [
      'Pods must set the label env to prod in the prod namespace.',
      'Pods must set the label env to prod.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'env=prod', object: labelled('prod'), expect: 'allow' },
          { name: 'env=dev', object: labelled('dev'), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
  });
});
