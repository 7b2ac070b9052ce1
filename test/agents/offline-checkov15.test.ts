import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Readings the Checkov corpus (bench/corpus/checkov) found wrong. Checkov's check titles are short rules
// ("Image Pull Policy should be Always"); each class the offline planner read as something other than what the
// sentence means is now refused or read right. Cases are written from the sentence's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const understandOfflineFamily = (text: string): string => understandOffline({ text }).family;

const podWith = (container: Record<string, unknown>): KubeObject =>
  podWithSpec({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });

describe('a required image pull policy that does not say how a container naming none counts', () => {
  it('refuses "Image Pull Policy should be Always" and its kin (read before as "every container must set Always")', () => {
    // The API server gives a container without imagePullPolicy Always when its image is ':latest' or untagged
    // (IfNotPresent otherwise). The sentence does not say whether such a container passes, and the scanners read it
    // both ways: Checkov's CKV_K8S_15 "Image Pull Policy should be Always" passes an untagged image with no policy
    // (checkov/kubernetes/checks/resource/k8s/ImagePullPolicyAlways.py at 03d5fdad, lines 36-43: tag latest or
    // empty → PASSED; tests/kubernetes/checks/example_ImagePullPolicy/storm-nimbus-ImageUntagged-PASSED.json),
    // Polaris's pullPolicyNotAlways "Image pull policy should be "Always"" fails `image: busybox` with none
    // (bench/corpus/polaris/pullPolicyNotAlways--message.yaml, failure.cron-job).
    for (const text of [
      'Image Pull Policy should be Always',
      'Image pull policy should be "Always"',
      'Fails when an image pull policy is not `always`.',
      'Image pull policies other than Always are not allowed.',
      'The imagePullPolicy of every container must be Always.',
      'Image pull policy should be IfNotPresent.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the field asked for explicitly, and Never (no image gets it by default)', async () => {
    const unsetLatest = podWith({ image: 'nginx:latest' });
    const required = (value: string, other: string): TestCase[] => [
      { name: value, object: podWith({ imagePullPolicy: value }), expect: 'allow' },
      { name: other, object: podWith({ imagePullPolicy: other }), expect: 'deny' },
      { name: 'none named, tagged image', object: podWith({}), expect: 'deny' },
    ];
    expect(
      await failuresOn('Containers must set imagePullPolicy to `Always`.', required('Always', 'IfNotPresent')),
    ).toEqual([]);
    expect(
      await failuresOn('Image pull policy must be set to "Always".', [
        ...required('Always', 'Never'),
        // The field is asked for: a container that leaves it to the API server has not set it.
        { name: 'none named, :latest image', object: unsetLatest, expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('imagePullPolicy must be Never.', [
        ...required('Never', 'Always'),
        { name: 'none named, :latest image (Always)', object: unsetLatest, expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('leaves the ban as it was: the policy a container ends up with is the offence', async () => {
    expect(
      await failuresOn('Image pull policy should not be `Always`.', [
        { name: 'Always', object: podWith({ imagePullPolicy: 'Always' }), expect: 'deny' },
        { name: 'IfNotPresent', object: podWith({ imagePullPolicy: 'IfNotPresent' }), expect: 'allow' },
        { name: 'none named, :latest image (Always)', object: podWith({ image: 'nginx:latest' }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('the host PID and IPC namespaces spelled out ("the host process ID namespace")', () => {
  const host = (field: string): KubeObject => podWithSpec({ [field]: true });
  const deployment = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...spec },
      },
    },
  });

  it('reads "the host process ID namespace" as hostPID (refused before: "share", "ID", "namespace" not placed)', async () => {
    // Checkov CKV_K8S_17 "Containers should not share the host process ID namespace" (ShareHostPID.py): the
    // Kubernetes field is hostPID. The other host namespaces are not this rule.
    const pid: TestCase[] = [
      { name: 'hostPID', object: host('hostPID'), expect: 'deny' },
      { name: 'hostPID in a Deployment', object: deployment({ hostPID: true }), expect: 'deny' },
      { name: 'hostPID false', object: podWithSpec({ hostPID: false }), expect: 'allow' },
      { name: 'no host namespace', object: podWithSpec({}), expect: 'allow' },
      { name: 'hostNetwork only', object: host('hostNetwork'), expect: 'allow' },
      { name: 'hostIPC only', object: host('hostIPC'), expect: 'allow' },
    ];
    expect(await failuresOn('Containers should not share the host process ID namespace', pid)).toEqual([]);
    expect(await failuresOn('Pods must not use the host process ID namespace.', pid)).toEqual([]);
  });

  it('reads "inter-process communication" as hostIPC, and a list of spelled and short names', async () => {
    expect(
      await failuresOn('Containers should not share the host inter-process communication namespace', [
        { name: 'hostIPC', object: host('hostIPC'), expect: 'deny' },
        { name: 'hostPID only', object: host('hostPID'), expect: 'allow' },
        { name: 'no host namespace', object: podWithSpec({}), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must not share the host process ID or network namespaces.', [
        { name: 'hostPID', object: host('hostPID'), expect: 'deny' },
        { name: 'hostNetwork', object: host('hostNetwork'), expect: 'deny' },
        { name: 'hostIPC only', object: host('hostIPC'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('a host process (Windows HostProcess containers) is still not a host namespace', () => {
    // "host process" without "ID" is the Windows hostProcess field, another family.
    expect(refusedOffline('Pods must not run as a host process.')).toBe(false);
    expect(understandOfflineFamily('Pods must not run as a host process.'), 'hostProcess, not hostPID').not.toBe(
      'host-namespaces',
    );
  });
});

describe('"admit" is "allow": "Do not admit privileged containers" (the CIS / PodSecurityPolicy wording)', () => {
  it('reads "do not admit X" as the ban "do not allow X" reads (refused before: "admit" not placed)', async () => {
    // Checkov's PSP checks are titled this way ("Do not admit privileged containers", PrivilegedContainersPSP.py);
    // said of Pods the meaning is a ban.
    const privileged: TestCase[] = [
      { name: 'privileged', object: podWith({ securityContext: { privileged: true } }), expect: 'deny' },
      { name: 'privileged: false', object: podWith({ securityContext: { privileged: false } }), expect: 'allow' },
      { name: 'no securityContext', object: podWith({}), expect: 'allow' },
    ];
    expect(await failuresOn('Do not admit privileged containers', privileged)).toEqual([]);
    expect(await failuresOn('Privileged containers are not admitted.', privileged)).toEqual([]);
  });

  it('an admission said without a ban is no rule, as "Allow privileged containers." is not', () => {
    expect(refusedOffline('Allow privileged containers.')).toBe(true);
    expect(refusedOffline('Admit privileged containers.')).toBe(true);
  });
});

describe('"run with allowPrivilegeEscalation": the state a container runs in, which leaving the field out gives too', () => {
  it('reads "Containers should not run with allowPrivilegeEscalation" as "set it to false" (refused before)', async () => {
    // Checkov CKV_K8S_20 (AllowPrivilegeEscalation.py: PASSED only for an explicit false). A container without the
    // field runs with escalation allowed.
    const cases: TestCase[] = [
      { name: 'true', object: podWith({ securityContext: { allowPrivilegeEscalation: true } }), expect: 'deny' },
      { name: 'unset', object: podWith({}), expect: 'deny' },
      { name: 'false', object: podWith({ securityContext: { allowPrivilegeEscalation: false } }), expect: 'allow' },
    ];
    expect(await failuresOn('Containers should not run with allowPrivilegeEscalation', cases)).toEqual([]);
    expect(await failuresOn('Containers running with allowPrivilegeEscalation are not admitted.', cases)).toEqual([]);
  });

  it('still refuses "must not set allowPrivilegeEscalation" (the field left out, or escalation?)', () => {
    expect(refusedOffline('Containers must not set allowPrivilegeEscalation.')).toBe(true);
    expect(refusedOffline('Containers must not use the allowPrivilegeEscalation field.')).toBe(true);
  });
});

describe('a capability every container has unless it drops it is not one it adds', () => {
  it('refuses "containers with the NET_RAW capability" (read before as "must not add NET_RAW")', () => {
    // Checkov CKV_K8S_28 (DropCapabilities.py; example_DropCapabilities/pod-drop-none-FAILED.yaml): a container
    // that neither adds nor drops NET_RAW has it (Docker's and containerd's default set) and fails. The reading
    // "must not add NET_RAW" allowed it. CRI-O's default set has no NET_RAW: which containers have it depends on
    // the runtime, so the sentence is refused rather than read either way.
    for (const text of [
      'Do not admit containers with the NET_RAW capability',
      'Do not allow containers with the NET_RAW capability.',
      'Containers must not have the NET_RAW capability.',
      'Containers with CAP_CHOWN are not allowed.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads adding one, and having one no runtime gives by default', async () => {
    const netRaw = podWith({ securityContext: { capabilities: { add: ['NET_RAW'] } } });
    expect(
      await failuresOn('Deny containers that add NET_RAW.', [
        { name: 'adds NET_RAW', object: netRaw, expect: 'deny' },
        { name: 'adds nothing', object: podWith({}), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Containers must not have CAP_SYS_ADMIN.', [
        {
          name: 'adds SYS_ADMIN',
          object: podWith({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }),
          expect: 'deny',
        },
        { name: 'adds nothing', object: podWith({}), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
