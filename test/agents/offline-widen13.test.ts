import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { Expectation, KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { IMAGE, NS, container, pod, sc } from './offline-objects.js';

// Wordings real policy descriptions use that the offline reader refused: full field paths in backticks, an exemption
// said as a sentence of its own, a runAsUser range, "restricts Services to type …", passive capability rules, "service
// account tokens must not be automatically mounted", "Only the following sysctls are allowed: …". Each reading is
// checked on objects written here from what the sentence means (pod controllers, UPDATEs and unset fields included);
// the near misses beside each stay refused.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

type Check = [name: string, object: KubeObject, expect: Expectation, old?: KubeObject];

function deployment(
  containers: Array<Record<string, unknown>>,
  spec: Record<string, unknown> = {},
  namespace = NS,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers, ...spec } },
    },
  };
}
function cronJob(containers: Array<Record<string, unknown>>, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: NS },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers, ...spec } } } },
    },
  };
}
function service(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: NS },
    spec: { ports: [{ port: 80 }], ...spec },
  };
}
const hostPathVolume = { volumes: [{ name: 'h', hostPath: { path: '/var/run' } }] };
const init = (extra: Record<string, unknown>): Record<string, unknown> => ({
  initContainers: [{ name: 'init', image: IMAGE, ...extra }],
});
const sysctlPod = (...names: string[]): KubeObject =>
  pod([container()], { securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) } });

function cases(checks: Check[]): TestCase[] {
  return checks.map(([name, object, expect, oldObject]) =>
    oldObject ? { name, operation: 'UPDATE', object, oldObject, expect } : { name, object, expect },
  );
}

function describeReadings(
  title: string,
  read: Array<{ text: string; family: string; checks: Check[] }>,
  refused: Array<[string, string]>,
): void {
  describe(title, () => {
    it.each(read.map((r) => [r.text, r] as const))('reads "%s"', async (_text, r) => {
      expect(understandOffline({ text: r.text }).family).toBe(r.family);
      expect(await offlineFailures(sandbox, { text: r.text }, cases(r.checks))).toEqual([]);
    });
    it.each(refused)('refuses "%s" (%s)', (text) => {
      expect(refusedOffline(text)).toBe(true);
    });
  });
}

// 1. Full field paths, as the Pod Security Standards write them.
const hostNetworkChecks: Check[] = [
  ['hostNetwork: true', pod([container()], { hostNetwork: true }), 'deny'],
  ['hostNetwork: false', pod([container()], { hostNetwork: false }), 'allow'],
  ['hostNetwork unset', pod(), 'allow'],
  ['hostPID only (not named)', pod([container()], { hostPID: true }), 'allow'],
  ['a Deployment with hostNetwork', deployment([container()], { hostNetwork: true }), 'deny'],
  ['a CronJob with hostNetwork', cronJob([container()], { hostNetwork: true }), 'deny'],
  ['UPDATE to hostNetwork', pod([container()], { hostNetwork: true }), 'deny', pod()],
];
const privilegedPaths =
  '`spec.containers[*].securityContext.privileged`, `spec.initContainers[*].securityContext.privileged` and `spec.ephemeralContainers[*].securityContext.privileged` must be unset or false';
describeReadings(
  'a full field path in backticks',
  [
    { text: '`spec.hostNetwork` must be unset or false', family: 'host-namespaces', checks: hostNetworkChecks },
    { text: 'spec.hostNetwork must be unset or set to false.', family: 'host-namespaces', checks: hostNetworkChecks },
    {
      text: '`spec.hostPID` must not be set to true',
      family: 'host-namespaces',
      checks: [
        ['hostPID: true', pod([container()], { hostPID: true }), 'deny'],
        ['hostPID unset', pod(), 'allow'],
        ['hostNetwork only (not named)', pod([container()], { hostNetwork: true }), 'allow'],
      ],
    },
    {
      text: privilegedPaths,
      family: 'privileged',
      checks: [
        ['a privileged container', pod([sc({ privileged: true })]), 'deny'],
        ['a privileged init container', pod([container()], init({ securityContext: { privileged: true } })), 'deny'],
        ['privileged: false', pod([sc({ privileged: false })]), 'allow'],
        ['privileged unset', pod(), 'allow'],
        ['a Deployment with a privileged container', deployment([sc({ privileged: true })]), 'deny'],
        ['UPDATE to privileged', pod([sc({ privileged: true })]), 'deny', pod()],
      ],
    },
    {
      text: 'spec.containers[*].securityContext.allowPrivilegeEscalation, spec.initContainers[*].securityContext.allowPrivilegeEscalation, and spec.ephemeralContainers[*].securityContext.allowPrivilegeEscalation must be set to false',
      family: 'privilege-escalation',
      checks: [
        ['allowPrivilegeEscalation: false', pod([sc({ allowPrivilegeEscalation: false })]), 'allow'],
        ['allowPrivilegeEscalation: true', pod([sc({ allowPrivilegeEscalation: true })]), 'deny'],
        ['allowPrivilegeEscalation unset', pod(), 'deny'],
        ['an init container without it', pod([sc({ allowPrivilegeEscalation: false })], init({})), 'deny'],
      ],
    },
  ],
  [
    // spec.containers alone leaves init containers out; every container family checks them
    ['`spec.containers[*].securityContext.privileged` must be unset or false', 'regular containers only'],
    [
      '`spec.containers[*].securityContext.privileged` and `spec.initContainers[*].securityContext.privileged` must be unset or false',
      'ephemeral containers left out',
    ],
    [
      '`spec.containers[*].securityContext.privileged`, `spec.initContainers[*].securityContext.allowPrivilegeEscalation` and `spec.ephemeralContainers[*].securityContext.privileged` must be unset or false',
      'two fields',
    ],
    // a field the pod may set too: the container-level path names a level the family does not keep to
    [
      '`spec.containers[*].securityContext.runAsNonRoot`, `spec.initContainers[*].securityContext.runAsNonRoot` and `spec.ephemeralContainers[*].securityContext.runAsNonRoot` must be true',
      'container level of a pod-or-container field',
    ],
    ['Containers must set `spec.containers[*].securityContext.runAsNonRoot` to true', 'container level only'],
    ['`spec.securityContext.runAsNonRoot` must be true', 'pod level only'],
    ['`spec.template.spec.hostNetwork` must be unset or false', 'a template path'],
    ['`spec.hostNetwork` must be true', 'a requirement the family does not write'],
  ],
);

// 2. An exemption said as its own sentence.
const hostPathExemptChecks = (exempt: string[]): Check[] => [
  ['hostPath in shop', pod([container()], hostPathVolume), 'deny'],
  ['no hostPath in shop', pod(), 'allow'],
  ...exempt.map((ns): Check => [`hostPath in ${ns}`, pod([container()], hostPathVolume, ns), 'allow']),
  ['a Deployment with hostPath in shop', deployment([container()], hostPathVolume), 'deny'],
  [`a Deployment with hostPath in ${exempt[0]}`, deployment([container()], hostPathVolume, exempt[0]), 'allow'],
  ['UPDATE to hostPath in shop', pod([container()], hostPathVolume), 'deny', pod()],
];
describeReadings(
  'a namespace exemption as a sentence of its own',
  [
    {
      text: 'Pods must not use hostPath volumes. The dev namespace is exempt.',
      family: 'host-path',
      checks: hostPathExemptChecks(['dev']),
    },
    {
      text: 'Pods must not use hostPath volumes. Namespaces dev and staging are excluded from this policy.',
      family: 'host-path',
      checks: hostPathExemptChecks(['dev', 'staging']),
    },
    {
      text: 'Pods must not use hostPath volumes. Pods in the dev namespace are exempt.',
      family: 'host-path',
      checks: hostPathExemptChecks(['dev']),
    },
    {
      text: 'The monitoring namespace is exempt. This policy ensures containers are not privileged.',
      family: 'privileged',
      checks: [
        ['privileged in shop', pod([sc({ privileged: true })]), 'deny'],
        ['privileged in monitoring', pod([sc({ privileged: true })], {}, 'monitoring'), 'allow'],
        ['a Deployment in shop', deployment([sc({ privileged: true })]), 'deny'],
      ],
    },
    {
      // (offline-misreadings refused these two while no family placed the exemption; read now, the exemption kept)
      text: 'This policy ensures containers are not privileged. The monitoring namespace is exempt.',
      family: 'privileged',
      checks: [
        ['privileged in shop', pod([sc({ privileged: true })]), 'deny'],
        ['privileged in monitoring', pod([sc({ privileged: true })], {}, 'monitoring'), 'allow'],
        ['not privileged in shop', pod(), 'allow'],
      ],
    },
    {
      text: 'Services must be of type ClusterIP. The dev namespace is exempt.',
      family: 'service-type',
      checks: [
        ['NodePort in shop', service({ type: 'NodePort' }), 'deny'],
        ['NodePort in dev', { ...service({ type: 'NodePort' }), metadata: { name: 's', namespace: 'dev' } }, 'allow'],
      ],
    },
  ],
  [
    ['Pods must not use hostPath volumes. Services in the dev namespace are exempt.', 'another kind exempted'],
    ['Pods must not use hostPath volumes in the prod namespace. The dev namespace is exempt.', 'a rule already scoped'],
    ['Pods must not use hostPath volumes. Pods must not use hostNetwork. The dev namespace is exempt.', 'two rules'],
    ['Pods must not use hostPath volumes. The dev namespace is not exempt.', 'not an exemption'],
    ['Pods must not use hostPath volumes. The dev namespace is partially exempt.', 'a partial exemption'],
    ['Pods must not use hostPath volumes. The dev namespace is exempt unless labelled.', 'a condition'],
    ['Namespaces must have the label team. The dev namespace is exempt.', 'a kind in no namespace'],
  ],
);

// 3. A runAsUser range: both ends allowed; unset is denied, as the family's one-bound reading does.
const uidRangeChecks: Check[] = [
  ['runAsUser 1000', pod([sc({ runAsUser: 1000 })]), 'allow'],
  ['runAsUser 2000', pod([sc({ runAsUser: 2000 })]), 'allow'],
  ['runAsUser 1500 at pod level', pod([container()], { securityContext: { runAsUser: 1500 } }), 'allow'],
  ['runAsUser 999', pod([sc({ runAsUser: 999 })]), 'deny'],
  ['runAsUser 2001', pod([sc({ runAsUser: 2001 })]), 'deny'],
  ['runAsUser 0', pod([sc({ runAsUser: 0 })]), 'deny'],
  ['runAsUser unset', pod(), 'deny'],
  ['container 3000 over pod 1500', pod([sc({ runAsUser: 3000 })], { securityContext: { runAsUser: 1500 } }), 'deny'],
  ['an init container at 0', pod([sc({ runAsUser: 1500 })], init({ securityContext: { runAsUser: 0 } })), 'deny'],
  ['a Deployment at 500', deployment([sc({ runAsUser: 500 })]), 'deny'],
  ['a CronJob at 1200', cronJob([sc({ runAsUser: 1200 })]), 'allow'],
  ['UPDATE to 5000', pod([sc({ runAsUser: 5000 })]), 'deny', pod([sc({ runAsUser: 1500 })])],
];
describeReadings(
  'a runAsUser range',
  [
    {
      text: 'Containers must run with a runAsUser between 1000 and 2000',
      family: 'run-as-user-bound',
      checks: uidRangeChecks,
    },
    { text: 'runAsUser must be between 1000 and 2000.', family: 'run-as-user-bound', checks: uidRangeChecks },
    { text: 'The runAsUser must be in the range 1000-2000', family: 'run-as-user-bound', checks: uidRangeChecks },
    {
      text: 'runAsUser must be greater than 1000',
      family: 'run-as-user-bound',
      checks: [
        ['1000', pod([sc({ runAsUser: 1000 })]), 'deny'],
        ['1001', pod([sc({ runAsUser: 1001 })]), 'allow'],
        ['unset', pod(), 'deny'],
      ],
    },
  ],
  [
    ['runAsUser must be between 1000 and 2000 exclusive', 'ends excluded'],
    ['runAsUser must be between 2000 and 1000', 'an empty range'],
    ['Containers must not run with a runAsUser between 1000 and 2000', 'a banned range'],
    ['runAsUser must be between 1000 and 2000 or unset', 'unset allowed'],
    ['runAsUser must be at least 1000 and at most 2000', 'two bounds'],
    ['runAsGroup must be between 1000 and 2000', 'another field'],
  ],
);

// 4. Services limited to a type.
const clusterIpOnly: Check[] = [
  ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
  ['no type (ClusterIP)', service({}), 'allow'],
  ['NodePort', service({ type: 'NodePort' }), 'deny'],
  ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
  ['ExternalName', service({ type: 'ExternalName', externalName: 'x.example.com' }), 'deny'],
  ['UPDATE to LoadBalancer', service({ type: 'LoadBalancer' }), 'deny', service({ type: 'ClusterIP' })],
];
describeReadings(
  'Services limited to a type',
  [
    { text: 'This policy restricts Services to type ClusterIP', family: 'service-type', checks: clusterIpOnly },
    { text: 'Services should only use the ClusterIP type', family: 'service-type', checks: clusterIpOnly },
    { text: 'Services are restricted to type ClusterIP.', family: 'service-type', checks: clusterIpOnly },
    {
      text: 'This policy restricts Services to type ClusterIP or NodePort',
      family: 'service-type',
      checks: [
        ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
        ['NodePort', service({ type: 'NodePort' }), 'allow'],
        ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
      ],
    },
  ],
  [
    ['Services should only use the ClusterIP type unless approved', 'a condition'],
    ['Services should not only use the ClusterIP type', 'negated'],
  ],
);

// 5. Capabilities, in the passive.
describeReadings(
  'capability rules in the passive',
  [
    {
      text: 'Capabilities other than NET_BIND_SERVICE may not be added',
      family: 'capabilities',
      checks: [
        ['NET_BIND_SERVICE added', pod([sc({ capabilities: { add: ['NET_BIND_SERVICE'] } })]), 'allow'],
        ['nothing added', pod(), 'allow'],
        ['NET_ADMIN added', pod([sc({ capabilities: { add: ['NET_ADMIN'] } })]), 'deny'],
        ['ALL added', pod([sc({ capabilities: { add: ['ALL'] } })]), 'deny'],
        [
          'an init container adding SYS_ADMIN',
          pod([container()], init({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })),
          'deny',
        ],
        ['a Deployment adding NET_RAW', deployment([sc({ capabilities: { add: ['NET_RAW'] } })]), 'deny'],
      ],
    },
    {
      text: 'Linux capabilities other than NET_BIND_SERVICE and CHOWN must never be added to containers',
      family: 'capabilities',
      checks: [
        ['CHOWN added', pod([sc({ capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE'] } })]), 'allow'],
        ['KILL added', pod([sc({ capabilities: { add: ['KILL'] } })]), 'deny'],
      ],
    },
    {
      text: 'The NET_RAW capability must be dropped by every container',
      family: 'capabilities',
      checks: [
        ['NET_RAW dropped', pod([sc({ capabilities: { drop: ['NET_RAW'] } })]), 'allow'],
        ['ALL dropped', pod([sc({ capabilities: { drop: ['ALL'] } })]), 'allow'],
        ['nothing dropped', pod(), 'deny'],
        ['only SYS_ADMIN dropped', pod([sc({ capabilities: { drop: ['SYS_ADMIN'] } })]), 'deny'],
        ['an init container dropping nothing', pod([sc({ capabilities: { drop: ['NET_RAW'] } })], init({})), 'deny'],
        ['a CronJob dropping nothing', cronJob([container()]), 'deny'],
      ],
    },
  ],
  [
    ['Capabilities other than NET_BIND_SERVICE may be added', 'a permission'],
    ['Capabilities other than NET_BIND_SERVICE are not allowed', 'added or listed is not said'],
    ['Capabilities other than FOO_BAR may not be added', 'no such capability'],
    ['Capabilities other than those listed may not be added', 'no list'],
    ['The NET_RAW capability must not be dropped', 'the opposite rule'],
    ['The NET_RAW capability must be dropped by init containers', 'init containers only'],
    ['The NET_RAW capability should be dropped unless it is needed', 'a condition'],
  ],
);

// 6. The service account token, said from the token's side.
const automountChecks: Check[] = [
  ['automountServiceAccountToken: false', pod([container()], { automountServiceAccountToken: false }), 'allow'],
  ['automountServiceAccountToken unset (true)', pod(), 'deny'],
  ['automountServiceAccountToken: true', pod([container()], { automountServiceAccountToken: true }), 'deny'],
  ['a Deployment without it', deployment([container()]), 'deny'],
  ['a Deployment with it', deployment([container()], { automountServiceAccountToken: false }), 'allow'],
];
describeReadings(
  'service account tokens not mounted automatically',
  [
    {
      text: 'Service account tokens must not be automatically mounted',
      family: 'automount-token',
      checks: automountChecks,
    },
    { text: 'Service account tokens should not be automounted.', family: 'automount-token', checks: automountChecks },
    { text: 'Pods should not automount service account tokens', family: 'automount-token', checks: automountChecks },
  ],
  [
    ['Service account tokens must be automatically mounted', 'the opposite rule'],
    ['Service account tokens must not be mounted', 'a projected token volume too'],
    ['Service account tokens must not be automatically mounted unless the pod needs the API', 'a condition'],
  ],
);

// 7. An allow-list of sysctls after a colon, with a rationale sentence ahead of it.
const sysctlChecks: Check[] = [
  ['no sysctls', pod(), 'allow'],
  ['kernel.shm_rmid_forced', sysctlPod('kernel.shm_rmid_forced'), 'allow'],
  ['both allowed ones', sysctlPod('kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range'), 'allow'],
  ['kernel.msgmax', sysctlPod('kernel.msgmax'), 'deny'],
  [
    'an allowed one and net.ipv4.tcp_syncookies',
    sysctlPod('kernel.shm_rmid_forced', 'net.ipv4.tcp_syncookies'),
    'deny',
  ],
  [
    'a Deployment with kernel.sem',
    deployment([container()], { securityContext: { sysctls: [{ name: 'kernel.sem', value: '1' }] } }),
    'deny',
  ],
];
describeReadings(
  'only the following sysctls',
  [
    {
      text: 'Sysctls can disable security mechanisms. Only the following sysctls are allowed: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range',
      family: 'sysctls',
      checks: sysctlChecks,
    },
    {
      text: 'Only the following sysctls may be set: kernel.shm_rmid_forced and net.ipv4.ip_local_port_range.',
      family: 'sysctls',
      checks: sysctlChecks,
    },
  ],
  [
    [
      'Only the following sysctls are allowed: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, and any other safe ones',
      'an open list',
    ],
    ['Only the following sysctls are not allowed: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range', 'unclear'],
  ],
);

// 8. "Audit …" / "Flag …": the product's own Audit mode records violations (violationPolicy Dry), which no offline
// family writes, and "flag" says neither warn nor record. Left refused, as offline-styles has them.
describeReadings(
  'audit and flag wordings stay refused',
  [],
  [
    ['Audit pods that use hostPath volumes', 'audit is Dry, not written offline'],
    ['Flag containers that run as privileged', 'warn or record is not said'],
    ['Audit containers that run as root', 'audit is Dry, not written offline'],
  ],
);
