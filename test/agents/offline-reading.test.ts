import { describe, expect, it } from 'vitest';
import { placeWords, readIntent, understandOffline } from '../../agents/offline/index.js';
import { builtinCatalog } from '../../catalog/index.js';

const catalog = builtinCatalog();
const place = (statements: string | string[], phrases: RegExp[] = [], namespaces: string[] = []) =>
  placeWords(statements, { phrases, namespaces, catalog });

describe('readIntent: the operative statement, apart from the rationale', () => {
  it('reads the "This policy …" sentence and sets the sentences that motivate it aside', () => {
    const r = readIntent(
      'Privileged mode disables most security mechanisms and must not be allowed. This policy ensures Pods do not call for privileged mode.',
    );
    expect(r.operative).toBe('Pods do not call for privileged mode');
    expect(r.rationale.join(' ')).toContain('disables most security mechanisms');
  });

  it('reads other ways of saying "This policy ensures …" as the same lead', () => {
    for (const lead of [
      'This sample policy ensures that',
      'The following policy ensures that',
      'This policy is used to ensure that',
      'This policy can be used to ensure that',
      'Use this policy to ensure that',
    ])
      expect(readIntent(`${lead} containers are not privileged.`).statements, lead).toEqual([
        'containers are not privileged',
      ]);
    expect(readIntent('This policy can be used to block privileged containers.').statements).toEqual([
      'deny privileged containers',
    ]);
  });

  it('turns a negating lead ("This policy prevents …") into a deny and drops a neutral one ("… ensures that …")', () => {
    expect(readIntent('This policy prevents binding to the cluster-admin ClusterRole.').operative).toBe(
      'deny binding to the cluster-admin ClusterRole',
    );
    expect(readIntent('This policy validates that all containers set limits.').operative).toBe(
      'all containers set limits',
    );
  });

  it('reads "This policy ensures that X sets F" as F required, for the field families', () => {
    for (const [text, family] of [
      ['This policy ensures that Jobs set ttlSecondsAfterFinished.', 'known-field'],
      ['This policy ensures that every PersistentVolumeClaim sets storageClassName.', 'known-field'],
      ['This policy checks that Deployments specify spec.strategy.type.', 'field-required'],
    ])
      expect(understandOffline({ text }).family, text).toBe(family);
    // A subject with a clause of its own, "only", or a negation is not that need.
    for (const text of [
      'This policy ensures that Pods which set hostNetwork define spec.priorityClassName.',
      'This policy ensures Jobs do not set ttlSecondsAfterFinished.',
      'This policy ensures that only Jobs set ttlSecondsAfterFinished.',
    ])
      expect(() => understandOffline({ text }), text).toThrow(/does not understand/);
  });

  it('reads "This policy requires X to V …" as the need it states, "X must V …"', () => {
    expect(readIntent('This policy requires every Ingress to set spec.ingressClassName.').operative).toBe(
      'every Ingress must set spec.ingressClassName',
    );
    expect(readIntent('This policy requires Pods in the prod namespace to not use hostPath.').operative).toBe(
      'Pods in the prod namespace must not use hostPath',
    );
    // Only "requires"/"mandates" take "X to V"; "ensures" and "requires that" say the rule as it stands.
    expect(readIntent('This policy ensures access to the node is logged.').operative).toBe(
      'access to the node is logged',
    );
    expect(readIntent('This policy requires that Pods set a priority class.').operative).toBe(
      'Pods set a priority class',
    );
    // A subject with a "to" of its own is not cut at its first "to".
    expect(readIntent('This policy requires changes to Secrets to be reviewed.').operative).toBe(
      'changes to Secrets to be reviewed',
    );
    for (const text of [
      'This policy requires every PersistentVolumeClaim to set storageClassName.',
      'This policy requires Jobs to set ttlSecondsAfterFinished.',
    ])
      expect(understandOffline({ text }).family, text).toBe('known-field');
    expect(understandOffline({ text: 'This policy requires Deployments to set spec.strategy.type.' }).family).toBe(
      'field-required',
    );
  });

  it('never reads consequences, history, advice or links', () => {
    const r = readIntent(
      'The k8s.gcr.io registry will be frozen soon. Using the latest version of the Pod Security Standards is recommended. Pods must not use hostNetwork. See https://kubernetes.io/docs/x.',
    );
    expect(r.operative).toBe('Pods must not use hostNetwork');
    expect(r.operative).not.toMatch(/latest|k8s\.gcr\.io|https/);
  });

  it('drops a parenthetical list of examples, keeping the rule around it', () => {
    expect(
      readIntent('Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not be allowed.')
        .operative,
    ).toBe('Privilege escalation should not be allowed');
    expect(readIntent('Images (for example nginx) must be pinned by digest.').operative).toBe(
      'Images must be pinned by digest',
    );
  });

  it('cuts a "because …" clause off the rule it explains', () => {
    expect(readIntent('Containers must not be privileged because privileged containers can escape.').operative).toBe(
      'Containers must not be privileged',
    );
  });

  it('sets a plain statement of fact ahead of the rule aside as its background', () => {
    const r = readIntent(
      "A hostPath volume exposes the node's filesystem to the workload. Pods are not allowed to use hostPath volumes.",
    );
    expect(r.operative).toBe('Pods are not allowed to use hostPath volumes');
    expect(r.rationale.join(' ')).toContain('exposes the node');
    // Words that only look limiting: "read-only", a possibility ("may be"), "each other".
    for (const lead of [
      'A read-only root filesystem stops an attacker from writing binaries.',
      'Images pulled from unknown registries may be malicious.',
      "The shareProcessNamespace field lets containers see each other's processes.",
      'Too many replicas can exhaust the cluster.',
      // A condition inside a statement of fact says when the fact holds, not when the rule applies.
      'When a node fails, its hostPath data is lost.',
      'If a pod mounts the host, it can read kubelet credentials.',
    ])
      expect(readIntent(`${lead} Pods must not use hostPath volumes.`).statements, lead).toEqual([
        'Pods must not use hostPath volumes',
      ]);
    // A namespace the rule itself names is its subject, not a condition the background adds.
    expect(
      readIntent('The default namespace is shared by everyone. Pods must not be created in the default namespace.')
        .statements,
    ).toEqual(['Pods must not be created in the default namespace']);
  });

  it('still reads a sentence ahead of the rule that could narrow it, so the intent is refused, not widened', () => {
    for (const lead of [
      'Our monitoring agents need hostPath volumes.',
      'Only the platform team runs node agents.',
      'Workloads in the payments namespace hold card data.',
      'Init containers are exempt.',
      "The 'legacy' team mounts the host.",
      // A namespace the rule does not name, with or without a condition around it.
      'The prod namespace holds customer data.',
      'When a pod runs in the ci namespace, it builds images.',
    ]) {
      const r = readIntent(`${lead} Pods must not use hostPath volumes.`);
      expect(r.statements, lead).toContain(lead.replace(/\.$/, ''));
    }
    // A sentence after the rule may carry its exception ("The monitoring agents are exempt"): always read.
    expect(readIntent('Pods must not use hostPath volumes. Monitoring agents mount the host.').statements).toHaveLength(
      2,
    );
  });

  it('cuts "so …" and "because …" clauses off a rule, with or without an aside marker', () => {
    expect(
      readIntent('Deployments must have at least 2 replicas so one node failure does not take the service down.')
        .operative,
    ).toBe('Deployments must have at least 2 replicas');
    expect(
      readIntent('Services must not use the ExternalName type, because it can be used to redirect traffic.').operative,
    ).toBe('Services must not use the ExternalName type');
  });

  it('always reads parameter and scope lines, even beside a "This policy" sentence', () => {
    const r = readIntent('This policy ensures no hostPath volumes are in use.\nExempt images: safe.io/*.');
    expect(r.statements).toEqual(['no hostPath volumes are in use', 'Exempt images: safe.io/*']);
  });

  it('reads "This policy adds / sets …" as the imperative a mutating family reads', () => {
    const r = readIntent('This policy adds the label team=platform to every new Namespace.');
    expect(r.statements).toEqual(['add the label team=platform to every new Namespace']);
    expect(r.mode).toBe('mutate');
    expect(readIntent('This policy sets imagePullPolicy to Always on every container.').mode).toBe('mutate');
  });

  it('marks an imperative add / set / default as a mutation', () => {
    expect(readIntent('Add default requests of cpu 100m to every container.').mode).toBe('mutate');
    expect(readIntent('In the prod namespace, set imagePullPolicy to Always.').mode).toBe('mutate');
    expect(readIntent('This policy adds the label team=a to Namespaces.').mode).toBe('mutate');
    expect(readIntent('Containers must set CPU limits.').mode).toBe('validate');
  });
});

describe('placeWords: every content word placed, polarity and quantifiers understood', () => {
  it('places function words, kinds and namespaces; leaves the rest unplaced, in order', () => {
    const p = place('Pods in the test namespace must not mount a flux capacitor', [], ['test']);
    expect(p.kinds.map((k) => k.resource.kind)).toEqual(['Pod']);
    expect(p.unplaced).toEqual(['mount', 'flux', 'capacitor']);
  });

  it("places the family's phrases first, so a phrase with a negation in it is read as one thing", () => {
    const p = place("Do not allow images with the ':latest' tag or no tag at all", [
      /[`']:?latest[`']\s+tag/,
      /\bno tag at all\b/,
      /\bimages?\b/,
    ]);
    expect(p.unplaced).toEqual([]);
    expect(p.negated).toBe(true);
  });

  it('counts negations: an even number requires, an odd number forbids', () => {
    const probe = [/\breadiness probe\b/];
    expect(place('Containers must define a readiness probe', probe).negated).toBe(false);
    expect(place('Deny containers without a readiness probe', probe).negated).toBe(false);
    expect(place('Containers are forbidden from defining a readiness probe', probe).negated).toBe(true);
    expect(place('Warn, but do not block, when a container has no readiness probe', probe).negated).toBe(false);
  });

  it('reads "unset or set to false" and "restricts X" as negations, "restricts X to Y" not', () => {
    expect(place('the hostPID field is unset or set to `false`', [/\bhostPID\b/]).negated).toBe(true);
    expect(place('restricts use of the LoadBalancer type', [/\bLoadBalancer\b/]).negated).toBe(true);
    expect(place('restricts images to registry.example.com', [/\bimages\b/]).negated).toBe(false);
  });

  it('reads "set `field` to `false`" as a negation and "… to `true`" as none', () => {
    const host = [/\bhostNetwork\b/];
    expect(place('Pods set `hostNetwork` to `false`', host)).toMatchObject({ negated: true, unplaced: [], values: [] });
    expect(place('Pods set `hostNetwork` to `true`', host)).toMatchObject({ negated: false, unplaced: [], values: [] });
  });

  it('leaves quantifiers and exceptions unplaced unless a phrase consumed them', () => {
    const privileged = [/\bprivileged containers\b/i];
    expect(place('Privileged containers are denied unless the pod is trusted', privileged).unplaced).toEqual([
      'unless',
      'trusted',
    ]);
    expect(
      place('LoadBalancer Services are only allowed in the edge namespace', [/\bLoadBalancer\b/], ['edge']).unplaced,
    ).toEqual(['only']);
    expect(place('Privileged containers are denied except in namespace dev', privileged, ['dev']).unplaced).toEqual([]);
  });

  it('collects values (quoted, dotted, key=value, camelCase) for the family to prove it uses them', () => {
    expect(
      place("Deny pods labelled 'env=prod' from registry.example.com with hostNetwork", [/\blabelled\b/]).values,
    ).toEqual(['env=prod', 'registry.example.com', 'hostNetwork']);
  });

  it('reads polarity per statement and flags statements that disagree', () => {
    const images = [/\bimages?\b/i, /\bcome\b/];
    expect(
      place(['Disallowed images come from k8s.gcr.io', 'An image is not allowed to come from k8s.gcr.io'], images),
    ).toMatchObject({ negated: true, conflict: false });
    expect(place(['Images must come from a.io', 'Images must not come from a.io'], images).conflict).toBe(true);
    // A scope line says nothing about the subject and does not vote.
    expect(place(['Images must not come from a.io', 'Applies to Pod objects'], images)).toMatchObject({
      negated: true,
      conflict: false,
    });
  });
});

describe('placeWords: one kind qualified through another is not two kinds', () => {
  it('leaves "created by", "managed by", "their pods", "its pods" unplaced', () => {
    for (const [text, words] of [
      ['Pods created by Deployments must not be privileged', ['created by']],
      ['Pods managed by a controller must not be privileged', ['managed by']],
      ['Deployments must carry a team label on their pods', ['their pods']],
      ['Every Deployment and its pods must carry a team label', ['its pods']],
    ] as const)
      expect(place(text, [/\bprivileged\b/, /\bteam label\b/, /\bcarry\b/]).unplaced, text).toEqual(
        expect.arrayContaining([...words]),
      );
  });

  it('still reads a rule about the containers of one kind', () => {
    expect(
      place('Jobs must set a memory limit on all their containers', [/\bmemory limit\b/, /\bcontainers?\b/]).unplaced,
    ).toEqual([]);
  });
});
