import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';

// Pod-spec intents in the style of a public policy library's descriptions (a rationale sentence, then the rule),
// written here, not taken from any corpus. Each class the offline planner misread is now refused (or read
// right), checked by running the policy on objects built from what a platform engineer meant.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

const refused = refusedOffline;

/** Generates offline and runs cases written here, from the intent's true meaning, against the policy. */
const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

function pod(spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...spec },
  };
}

const withSysctls = (...names: string[]): KubeObject =>
  pod({ securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) } });

describe("sysctls: a spelled-out safe list is the text's own, not the Pod Security Standards' set", () => {
  it('refuses "Only safe sysctls are allowed: a, b, c" when a, b, c are not exactly the PSS set', () => {
    // Read before as the PSS set of ten: net.ipv4.ping_group_range, which the text does not list, was allowed.
    for (const text of [
      'Only safe sysctls are allowed: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies.',
      'Only the safe sysctls kernel.shm_rmid_forced and net.ipv4.tcp_syncookies may be set.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads the safe set when no sysctl is named', async () => {
    expect(
      await failuresOn('Pods may only set safe sysctls.', [
        { name: 'a safe one', operation: 'CREATE', object: withSysctls('net.ipv4.ping_group_range'), expect: 'allow' },
        { name: 'an unsafe one', operation: 'CREATE', object: withSysctls('kernel.msgmax'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('a negation over "all" / "every" container is not a ban on any one of them', () => {
  it('refuses "must not have all (of its) containers …", "Not every container …", "whose containers are all …"', () => {
    // Each was read as "no container may be …", denying a pod with one privileged container beside a plain one.
    for (const text of [
      'A pod must not have all of its containers privileged.',
      'Pods must not have every container running as root.',
      'Not all containers in a pod may use hostPort.',
      'Pods must not have all containers without memory limits.',
      'It is not allowed for every container in a pod to be privileged.',
      'Pods whose containers are all privileged are forbidden.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads universals that are not negated, "at all", scopes over every namespace and the capability ALL', async () => {
    const mixed = pod({
      containers: [
        { name: 'a', image: 'registry.example.com/app:1.0', securityContext: { privileged: true } },
        { name: 'b', image: 'registry.example.com/app:1.0' },
      ],
    });
    for (const text of [
      'All containers must not be privileged.',
      'Pods must not be privileged at all.',
      'Privileged containers are not allowed in all namespaces.',
    ])
      expect(
        await failuresOn(text, [{ name: 'one privileged', operation: 'CREATE', object: mixed, expect: 'deny' }]),
        text,
      ).toEqual([]);
    expect(refused('Containers must drop ALL capabilities.')).toBe(false);
  });
});

describe('a setting asked for in the pod and in every container is not "the container\'s, else the pod\'s"', () => {
  it('refuses "both the pod and each container must set …" for the families that take one level', () => {
    // Read before as "in the container or the pod securityContext": a pod setting it once passed.
    for (const text of [
      'Both the pod and each container must set runAsNonRoot to true.',
      'Both the pod and its containers must set seccomp to RuntimeDefault.',
      'The pod securityContext and every container securityContext must both set runAsNonRoot to true.',
      'runAsNonRoot must be true in both the pod and container security contexts.',
      'Every container and the pod must set runAsNonRoot: true.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads "at the pod level or in every container" as either level', async () => {
    expect(
      await failuresOn('Pods must set runAsNonRoot to true at the pod level or in every container.', [
        {
          name: 'pod level only',
          operation: 'CREATE',
          object: pod({ securityContext: { runAsNonRoot: true } }),
          expect: 'allow',
        },
        { name: 'neither', operation: 'CREATE', object: pod({}), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('image registries: a wildcard host and a bare permission are not an exact allow-list', () => {
  const image = (ref: string): KubeObject => pod({ containers: [{ name: 'c', image: ref }] });

  it('refuses "*.example.com", which was compared with example.com itself', () => {
    // Read before as "images must come from example.com": registry.example.com/a:1 denied, example.com/a:1 allowed.
    expect(refused('Images must come from *.example.com.')).toBe(true);
    expect(refused('Only images from *.corp.example.io may be used.')).toBe(true);
  });

  it('refuses a permission ("are allowed", "can be pulled from") that names no "only" or "must"', () => {
    // Each was read as "images must come from <registry>", denying every other registry.
    for (const text of [
      'Images from registry.example.com are allowed.',
      'Images from registry.example.com are permitted.',
      'Images can be pulled from registry.example.com.',
      'Images from registry.example.com are trusted.',
      'Images pulled from ghcr.io/acme are allowed in the dev namespace.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads the allow-list with "only", "must" or "ensures"', async () => {
    for (const text of [
      'Only images from registry.example.com are allowed.',
      'Images must come from registry.example.com.',
      'This policy ensures images come from registry.example.com.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'allowed', operation: 'CREATE', object: image('registry.example.com/a:1'), expect: 'allow' },
          { name: 'other', operation: 'CREATE', object: image('quay.io/a:1'), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
  });
});

describe('tolerations: "must not tolerate any taint" bans every toleration, not only the wildcard', () => {
  it('refuses "any" (read before as "may not tolerate every taint", which let a toleration for one taint through)', () => {
    for (const text of [
      'Pods should not tolerate any taints.',
      'Pods must not tolerate any taint.',
      'Pods must not have tolerations for any taint.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads "all" / "every" taints as the wildcard toleration', async () => {
    expect(
      await failuresOn('Pods should not tolerate all taints.', [
        {
          name: 'wildcard',
          operation: 'CREATE',
          object: pod({ tolerations: [{ operator: 'Exists' }] }),
          expect: 'deny',
        },
        {
          name: 'one taint',
          operation: 'CREATE',
          object: pod({ tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });
});

describe('"Enable / Disable <field> on all pods" switches a field, as "This policy enables …" does', () => {
  it('is never read as a requirement that denies the pods without it', () => {
    // Each was read as a validating rule (readOnlyRootFilesystem, automount-token, host-namespaces).
    for (const text of [
      'Enable readOnlyRootFilesystem on all containers.',
      'Disable automountServiceAccountToken on all pods.',
      'Disable hostNetwork for all pods.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads an imperative that names no field', () => {
    expect(refused('Disable privilege escalation on all containers.')).toBe(false);
    expect(refused('Prevent privilege escalation.')).toBe(false);
  });
});

describe('"DaemonSet pods", "the pod template of Deployments": the controller kind is not dropped', () => {
  it('refuses a controller kind qualifying "pods" / "pod templates" (read before as every Pod and every controller)', () => {
    for (const text of [
      'DaemonSet pods may not use hostPath volumes.',
      'Deployment pod templates must set readOnlyRootFilesystem.',
      'The pod template of Deployments must not use hostNetwork.',
      'Pod templates in Deployments must not be privileged.',
      'Containers in Deployment pods must drop ALL capabilities.',
      'Job pods must set a memory limit.',
      'The pods of a DaemonSet must not use hostNetwork.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads the kind alone, a list of kinds, and "pod templates" of every controller', () => {
    expect(understandOffline({ text: 'DaemonSets must not use hostPath volumes.' }).spec.resources).toEqual([
      'daemonsets',
    ]);
    expect(understandOffline({ text: 'Pods, Deployments and StatefulSets must not use the latest tag.' }).family).toBe(
      'image-tag',
    );
    expect(understandOffline({ text: 'Pod templates must not use hostIPC.' }).family).toBe('host-namespaces');
  });
});

describe('image tags: a digest asked for beside the ":latest" ban is a second requirement', () => {
  it('refuses it (read before as the ":latest" rule alone, so a tagged image with no digest passed)', () => {
    for (const text of [
      'Images must specify a digest, and the latest tag is not allowed.',
      'The latest tag is not allowed and images must include a sha256 digest.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads "a digest or a tag other than latest" as the ":latest" rule', async () => {
    const image = (ref: string): KubeObject => pod({ containers: [{ name: 'c', image: ref }] });
    expect(
      await failuresOn('Images must use a digest or a tag other than latest.', [
        { name: 'a version tag', operation: 'CREATE', object: image('registry.example.com/a:1.0'), expect: 'allow' },
        { name: 'latest', operation: 'CREATE', object: image('registry.example.com/a:latest'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('"<field> must be set and must not be <value>": the requirement to set it is not dropped', () => {
  it('refuses a ban that also requires the field (read before as the ban alone: an unset field passed)', () => {
    for (const text of [
      'runAsGroup must not be 0 and fsGroup must be set.',
      'fsGroup is required and must not be 0.',
      'runAsUser must be set and must not be 0.',
      'A seccomp profile is required, and it must not be Unconfined.',
      'The AppArmor profile must be specified and must not be unconfined.',
      'procMount must be set and must not be Unmasked.',
      'allowPrivilegeEscalation must be set and must not be true.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads the ban alone, "must not be set to 0" and "unset or greater than zero"', async () => {
    for (const text of [
      'runAsGroup, fsGroup and supplementalGroups must not be set to 0.',
      'runAsGroup must be either unset or greater than zero.',
    ])
      expect(
        await failuresOn(text, [
          { name: 'unset', operation: 'CREATE', object: pod({}), expect: 'allow' },
          {
            name: 'runAsGroup 0',
            operation: 'CREATE',
            object: pod({ securityContext: { runAsGroup: 0 } }),
            expect: 'deny',
          },
        ]),
        text,
      ).toEqual([]);
    // "required" as the statement's own modal, not a field to set.
    for (const text of [
      'Pods are required not to use hostNetwork.',
      'It is required that pods do not use hostNetwork.',
    ])
      expect(refused(text), text).toBe(false);
  });
});
