import { afterAll, describe, expect, it } from 'vitest';
import { assemblePolicy, understandOffline } from '../../agents/index.js';
import type { Expectation, KubeObject, TestCase } from '../../common/index.js';
import { harden } from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { builtinSkills, inlineSkills } from '../../skills/index.js';
import { NS, container, pod, sc } from './offline-objects.js';

// Offline mode on intents written the way policy libraries describe the common rules: a sentence of
// rationale, then "This policy ensures / validates / requires …". Our own wordings (not any library's text).
// Each one is either read as the right family, proved by running the generated policy on cases written here
// by hand from what the sentence means, or refused because the rule is not expressible offline or not read
// with certainty. A wrong reading is the one outcome never accepted.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

function deployment(
  containers: Array<Record<string, unknown>>,
  spec: Record<string, unknown> = {},
  extra: { replicas?: number; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: NS, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}),
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers, ...spec } },
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
function peerAuthentication(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'pa', namespace: NS },
    spec,
  };
}
function cronJob(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: NS },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } } } },
      ...spec,
    },
  };
}
function ingress(host: string): KubeObject {
  const backend = { service: { name: 'web', port: { number: 80 } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'i', namespace: NS },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] },
  };
}
const ingressHttp = {
  paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }],
};
/** The object with annotations merged into its metadata. */
function withAnnotations(o: KubeObject, annotations: Record<string, string>): KubeObject {
  return { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, ...annotations } } };
}
/** The object with fields merged into its spec. */
function withSpec(o: KubeObject, spec: Record<string, unknown>): KubeObject {
  return { ...o, spec: { ...(o.spec as Record<string, unknown>), ...spec } };
}
function namespaceObject(labels: Record<string, string> | undefined): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', ...(labels ? { labels } : {}) } };
}
const APPARMOR = 'container.apparmor.security.beta.kubernetes.io/';
function annotatedPod(annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: NS, annotations },
    spec: { containers: [container()] },
  };
}
function role(
  rules: Array<Record<string, unknown>>,
  kind: 'Role' | 'ClusterRole' = 'Role',
  name = 'team-role',
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: kind === 'Role' ? { name, namespace: NS } : { name },
    rules,
  } as KubeObject;
}
const rbacRule = (apiGroups: string[], resources: string[], verbs: string[]): Record<string, unknown> => ({
  apiGroups,
  resources,
  verbs,
});
const seccomp = (type: string): Record<string, unknown> => ({
  seccompProfile: type === 'Localhost' ? { type, localhostProfile: 'p.json' } : { type },
});

/** A DELETE request: the object being deleted arrives as oldObject. */
interface Deletion {
  delete: KubeObject;
}
const deleting = (o: KubeObject): Deletion => ({ delete: o });
const isDeletion = (o: KubeObject | Deletion | OnSubresource): o is Deletion => 'delete' in o && !('kind' in o);

/** A request on a pod subresource: CONNECT for exec/attach/portforward (the body is its options object), UPDATE for ephemeralcontainers. */
interface OnSubresource {
  subResource: string;
  operation: 'CONNECT' | 'UPDATE';
  namespace: string;
  object: KubeObject;
  oldObject?: KubeObject;
}
const isSubresource = (o: KubeObject | Deletion | OnSubresource): o is OnSubresource => 'subResource' in o;
const OPTIONS_KIND: Record<string, string> = {
  exec: 'PodExecOptions',
  attach: 'PodAttachOptions',
  portforward: 'PodPortForwardOptions',
};
/** kubectl debug: an UPDATE of pods/ephemeralcontainers from the ephemeral containers `before` to `after`. */
function addingEphemeral(before: string[], after: string[], namespace = NS): OnSubresource {
  const withEphemeral = (names: string[]): KubeObject => {
    const ephemeralContainers = names.map((name) => ({ name, image: 'busybox:1.36', targetContainerName: 'app' }));
    return pod(undefined, names.length ? { ephemeralContainers } : {}, namespace);
  };
  return {
    subResource: 'ephemeralcontainers',
    operation: 'UPDATE',
    namespace,
    oldObject: withEphemeral(before),
    object: withEphemeral(after),
  };
}
function connecting(subResource: string, namespace = NS): OnSubresource {
  const options =
    subResource === 'portforward' ? { ports: [8080] } : { container: 'app', stdin: true, tty: true, command: ['sh'] };
  return {
    subResource,
    operation: 'CONNECT',
    namespace,
    object: { apiVersion: 'v1', kind: OPTIONS_KIND[subResource], metadata: { name: 'p', namespace }, ...options },
  };
}
function configMap(name = 'settings', namespace = NS): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } };
}
function secret(): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: NS }, data: { a: 'Yg==' } };
}
function claim(namespace = NS): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}
const user = (name: string): Record<string, unknown> => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
function clusterRoleBinding(role: string, subjects: Array<Record<string, unknown>>): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'b' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  } as KubeObject;
}
function roleBinding(clusterRole: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'b', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [user('carol')],
  } as KubeObject;
}
function ownedPod(
  owner: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean }[],
): KubeObject {
  const p = pod();
  return { ...p, metadata: { ...p.metadata, ownerReferences: owner } };
}
const relabelled = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, labels: { touched: 'yes' } } });

/** [case name, object (or [oldObject, object] for an UPDATE, or a deletion), expected verdict] */
type Check = [string, KubeObject | [KubeObject, KubeObject] | Deletion | OnSubresource, Expectation];

const READ: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Privileged mode disables most security mechanisms and must not be allowed. This policy ensures Pods do not call for privileged mode.',
    family: 'privileged',
    checks: [
      ['privileged container', pod([sc({ privileged: true })]), 'deny'],
      ['privileged Deployment', deployment([sc({ privileged: true })]), 'deny'],
      ['plain container', pod(), 'allow'],
    ],
  },
  {
    text: 'Host namespaces (Process ID namespace, Inter-Process Communication namespace, and network namespace) allow access to shared information and can be used to elevate privileges. Pods should not be allowed access to host namespaces. This policy ensures fields which make use of these host namespaces are unset or set to `false`.',
    family: 'host-namespaces',
    checks: [
      ['hostPID', pod(undefined, { hostPID: true }), 'deny'],
      ['hostIPC', pod(undefined, { hostIPC: true }), 'deny'],
      ['hostNetwork', pod(undefined, { hostNetwork: true }), 'deny'],
      ['all false', pod(undefined, { hostNetwork: false, hostPID: false, hostIPC: false }), 'allow'],
    ],
  },
  {
    text: "The ':latest' tag is mutable and can lead to unexpected errors if the image changes. A best practice is to use an immutable tag that maps to a specific version of an application Pod. This policy validates that the image specifies a tag and that it is not called `latest`.",
    family: 'image-tag',
    checks: [
      ['latest', pod([container({ image: 'nginx:latest' })]), 'deny'],
      ['no tag', pod([container({ image: 'nginx' })]), 'deny'],
      ['pinned tag', pod([container({ image: 'nginx:1.27.1' })]), 'allow'],
    ],
  },
  {
    text: 'Containers that run as root can take over the node if they break out. This policy ensures that containers set `runAsNonRoot` to `true`.',
    family: 'run-as-non-root',
    checks: [
      ['runAsNonRoot true', pod([sc({ runAsNonRoot: true })]), 'allow'],
      ['pod-level runAsNonRoot', pod(undefined, { securityContext: { runAsNonRoot: true } }), 'allow'],
      ['nothing set', pod(), 'deny'],
    ],
  },
  {
    text: 'Containers must be required to run as non-root users. This policy ensures `runAsNonRoot` is set to `true`.',
    family: 'run-as-non-root',
    checks: [
      ['runAsNonRoot false', pod([sc({ runAsNonRoot: false })]), 'deny'],
      ['runAsNonRoot true', pod([sc({ runAsNonRoot: true })]), 'allow'],
    ],
  },
  {
    text: 'Privilege escalation, such as via set-user-ID or set-group-ID file mode, should not be allowed. This policy ensures the `allowPrivilegeEscalation` field is set to `false`.',
    family: 'privilege-escalation',
    checks: [
      ['explicit false', pod([sc({ allowPrivilegeEscalation: false })]), 'allow'],
      ['unset', pod(), 'deny'],
      ['true', pod([sc({ allowPrivilegeEscalation: true })]), 'deny'],
    ],
  },
  {
    text: 'HostPath volumes let pods access the filesystem of the node and are a common escape path. This policy ensures no hostPath volumes are in use.',
    family: 'host-path',
    checks: [
      ['hostPath volume', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }), 'deny'],
      ['emptyDir volume', pod(undefined, { volumes: [{ name: 'e', emptyDir: {} }] }), 'allow'],
    ],
  },
  {
    text: 'Access to host ports allows potential snooping of network traffic and should not be allowed. This policy ensures the `hostPort` field is unset or set to `0`.',
    family: 'host-ports',
    checks: [
      ['hostPort 80', pod([container({ ports: [{ containerPort: 80, hostPort: 80 }] })]), 'deny'],
      ['hostPort 0', pod([container({ ports: [{ containerPort: 80, hostPort: 0 }] })]), 'allow'],
      ['containerPort only', pod([container({ ports: [{ containerPort: 80 }] })]), 'allow'],
    ],
  },
  {
    text: 'Adding capabilities beyond the default set must not be allowed. This policy ensures containers do not add capabilities.',
    family: 'capabilities',
    checks: [
      ['adds NET_ADMIN', pod([sc({ capabilities: { add: ['NET_ADMIN'] } })]), 'deny'],
      ['drops ALL', pod([sc({ capabilities: { drop: ['ALL'] } })]), 'allow'],
    ],
  },
  {
    text: 'Containers should drop all Linux capabilities and add back only the ones they need. This policy ensures that all containers explicitly drop `ALL` capabilities.',
    family: 'capabilities',
    checks: [
      ['drops ALL', pod([sc({ capabilities: { drop: ['ALL'] } })]), 'allow'],
      ['drops NET_RAW only', pod([sc({ capabilities: { drop: ['NET_RAW'] } })]), 'deny'],
      ['drops nothing', pod(), 'deny'],
    ],
  },
  {
    text: 'All capabilities should be dropped from a Pod, with only those required added back. This policy ensures that all containers explicitly specify the `drop: ["ALL"]` ability.',
    family: 'capabilities',
    checks: [
      ['drops ALL', pod([sc({ capabilities: { drop: ['ALL'] } })]), 'allow'],
      ['drops nothing', pod(), 'deny'],
    ],
  },
  {
    text: 'A read-only root file system prevents tampering with the container image at runtime. This policy validates that containers define a securityContext with `readOnlyRootFilesystem: true`.',
    family: 'read-only-root-filesystem',
    checks: [
      ['read-only', pod([sc({ readOnlyRootFilesystem: true })]), 'allow'],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'Workloads without resource requests and limits can starve their neighbours. This policy validates that all containers have CPU and memory requests and memory limits.',
    family: 'resources',
    checks: [
      [
        'all three',
        pod([container({ resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } })]),
        'allow',
      ],
      ['no memory limit', pod([container({ resources: { requests: { cpu: '100m', memory: '64Mi' } } })]), 'deny'],
      [
        'no cpu request',
        pod([container({ resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } })]),
        'deny',
      ],
    ],
  },
  {
    text: 'Liveness and readiness probes let the kubelet restart and route around broken Pods. This policy validates that all containers define a liveness probe and a readiness probe.',
    family: 'probes',
    checks: [
      [
        'both',
        pod([container({ livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } })]),
        'allow',
      ],
      ['liveness only', pod([container({ livenessProbe: { tcpSocket: { port: 80 } } })]), 'deny'],
    ],
  },
  {
    text: 'Probes tell Kubernetes whether a container is alive. This policy validates that all containers have one of livenessProbe, readinessProbe, or startupProbe defined.',
    family: 'probes',
    checks: [
      ['startup only', pod([container({ startupProbe: { tcpSocket: { port: 80 } } })]), 'allow'],
      ['none', pod(), 'deny'],
    ],
  },
  {
    text: 'Images from unknown registries may contain vulnerabilities. This policy validates that container images only originate from the registry `registry.corp.example` or `mirror.example.io`.',
    family: 'image-registry',
    checks: [
      ['first registry', pod([container({ image: 'registry.corp.example/team/app:1' })]), 'allow'],
      ['second registry', pod([container({ image: 'mirror.example.io/app:1' })]), 'allow'],
      ['Docker Hub', pod([container({ image: 'nginx:1.27' })]), 'deny'],
    ],
  },
  {
    text: 'A NodePort Service opens a port on every node of the cluster. This policy blocks Services of type NodePort.',
    family: 'service-type',
    checks: [
      ['NodePort', service({ type: 'NodePort' }), 'deny'],
      ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
    ],
  },
  {
    text: 'A NodePort Service uses a host port that a NetworkPolicy cannot control. This policy validates that any new Services do not use the `NodePort` type.',
    family: 'service-type',
    checks: [
      ['NodePort', service({ type: 'NodePort' }), 'deny'],
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'allow'],
    ],
  },
  {
    text: 'Services of type LoadBalancer provision cloud load balancers that cost money. This policy restricts use of the LoadBalancer Service type.',
    family: 'service-type',
    checks: [
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
      ['NodePort', service({ type: 'NodePort' }), 'allow'],
    ],
  },
  {
    text: 'Labels identify the application a workload belongs to. This policy validates that Deployments carry the label `app.kubernetes.io/name`.',
    family: 'metadata-required',
    checks: [
      ['labelled', deployment([container()], {}, { labels: { 'app.kubernetes.io/name': 'shop' } }), 'allow'],
      ['unlabelled', deployment([container()]), 'deny'],
    ],
  },
  {
    text: 'Define and use labels that identify the application. This policy validates that the label `app.kubernetes.io/name` is specified with some value on Pods.',
    family: 'metadata-required',
    checks: [
      [
        'labelled',
        { ...pod(), metadata: { name: 'p', namespace: NS, labels: { 'app.kubernetes.io/name': 'shop' } } },
        'allow',
      ],
      ['unlabelled', pod(), 'deny'],
    ],
  },
  {
    text: 'The default namespace makes it hard to separate teams. This policy prevents Pods from being created in the `default` namespace.',
    family: 'kind-in-namespace',
    checks: [
      ['in default', pod(undefined, {}, 'default'), 'deny'],
      ['in shop', pod(), 'allow'],
    ],
  },
  {
    text: 'A single replica leaves no room for node failures. This policy requires Deployments to have at least 2 replicas.',
    family: 'replicas',
    checks: [
      ['1 replica', deployment([container()], {}, { replicas: 1 }), 'deny'],
      ['3 replicas', deployment([container()], {}, { replicas: 3 }), 'allow'],
    ],
  },
  {
    text: 'Image tags can be moved to point at different content. This policy ensures images are pinned by digest.',
    family: 'image-tag',
    checks: [
      ['digest', pod([container({ image: `nginx@sha256:${'b'.repeat(64)}` })]), 'allow'],
      ['tag only', pod([container({ image: 'nginx:1.27' })]), 'deny'],
    ],
  },
  {
    text: 'Using the latest version of the Pod Security Standards is recommended. This policy ensures Pods do not use hostNetwork.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork', pod(undefined, { hostNetwork: true }), 'deny'],
      ['a latest tag is not this rule', pod([container({ image: 'nginx:latest' })]), 'allow'],
      ['hostPID is not this rule', pod(undefined, { hostPID: true }), 'allow'],
    ],
  },
  {
    text: 'This policy ensures that every Ingress host ends in `.apps.example.com`.',
    family: 'ingress-host',
    checks: [
      ['under the domain', ingress('shop.apps.example.com'), 'allow'],
      ['elsewhere', ingress('shop.example.org'), 'deny'],
    ],
  },
  {
    text: 'Seccomp profiles restrict the system calls a container can make. This policy ensures the seccomp profile is set to `RuntimeDefault` or `Localhost`.',
    family: 'seccomp',
    checks: [
      ['pod-level RuntimeDefault', pod(undefined, { securityContext: seccomp('RuntimeDefault') }), 'allow'],
      ['container Localhost', pod([sc(seccomp('Localhost'))]), 'allow'],
      ['no profile', pod(), 'deny'],
      ['Unconfined', pod([sc(seccomp('Unconfined'))]), 'deny'],
      [
        'pod RuntimeDefault, container Unconfined',
        pod([sc(seccomp('Unconfined'))], { securityContext: seccomp('RuntimeDefault') }),
        'deny',
      ],
    ],
  },
  {
    text: 'The seccomp profile must not be explicitly set to Unconfined. This policy ensures that seccomp is unset or set to `RuntimeDefault` or `Localhost`.',
    family: 'seccomp',
    checks: [
      ['no profile', pod(), 'allow'],
      ['RuntimeDefault', pod([sc(seccomp('RuntimeDefault'))]), 'allow'],
      ['pod-level Unconfined', pod(undefined, { securityContext: seccomp('Unconfined') }), 'deny'],
    ],
  },
  {
    text: 'The seccomp profile must be set. This policy ensures Pods set `seccompProfile.type` to `RuntimeDefault`.',
    family: 'seccomp',
    checks: [
      ['RuntimeDefault', pod(undefined, { securityContext: seccomp('RuntimeDefault') }), 'allow'],
      ['Localhost', pod([sc(seccomp('Localhost'))]), 'deny'],
      ['no profile', pod(), 'deny'],
    ],
  },
  {
    text: 'Pods should not run with the Unconfined seccomp profile. This policy ensures the seccomp profile is not set to `Unconfined`.',
    family: 'seccomp',
    checks: [
      ['Unconfined', pod([sc(seccomp('Unconfined'))]), 'deny'],
      ['no profile', pod(), 'allow'],
      ['Localhost', pod([sc(seccomp('Localhost'))]), 'allow'],
    ],
  },
  {
    text: 'Running as root user ID 0 is dangerous. This policy ensures containers do not set `runAsUser` to `0`.',
    family: 'run-as-user',
    checks: [
      ['container runAsUser 0', pod([sc({ runAsUser: 0 })]), 'deny'],
      ['pod runAsUser 0', pod(undefined, { securityContext: { runAsUser: 0 } }), 'deny'],
      ['runAsUser 1000', pod([sc({ runAsUser: 1000 })]), 'allow'],
      ['unset', pod(), 'allow'],
    ],
  },
  {
    text: 'Running as root is risky. This policy ensures `runAsUser` is either unset or set to a number greater than zero.',
    family: 'run-as-user',
    checks: [
      ['unset', pod(), 'allow'],
      ['runAsUser 0', pod([sc({ runAsUser: 0 })]), 'deny'],
      ['runAsUser 10001', pod(undefined, { securityContext: { runAsUser: 10001 } }), 'allow'],
    ],
  },
  {
    text: 'Service account tokens give API access to anything in the Pod. This policy ensures Pods set `automountServiceAccountToken` to `false`.',
    family: 'automount-token',
    checks: [
      ['false', pod(undefined, { automountServiceAccountToken: false }), 'allow'],
      ['unset (true by default)', pod(), 'deny'],
      ['true', pod(undefined, { automountServiceAccountToken: true }), 'deny'],
      ['Deployment template unset', deployment([container()]), 'deny'],
    ],
  },
  {
    text: 'Kubernetes mounts ServiceAccount credentials in each Pod by default. This policy ensures that mounting of ServiceAccount tokens is blocked.',
    family: 'automount-token',
    checks: [
      ['false', pod(undefined, { automountServiceAccountToken: false }), 'allow'],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'External IPs on Services can be used to intercept traffic (CVE-2020-8554). This policy ensures Services do not use `externalIPs`.',
    family: 'external-ips',
    checks: [
      ['an external IP', service({ externalIPs: ['198.51.100.7'] }), 'deny'],
      ['none', service({}), 'allow'],
    ],
  },
  {
    text: 'The default /proc masks reduce the attack surface. This policy ensures the `procMount` field is unset or set to `Default`.',
    family: 'proc-mount',
    checks: [
      ['Unmasked', pod([sc({ procMount: 'Unmasked' })]), 'deny'],
      ['Default', pod([sc({ procMount: 'Default' })]), 'allow'],
      ['unset', pod(), 'allow'],
    ],
  },
  {
    text: 'Workloads in the default namespace are hard to manage. This policy ensures containers do not use privileged mode.',
    family: 'privileged',
    checks: [
      // The namespace named in the rationale is not the policy's scope.
      ['privileged in shop', pod([sc({ privileged: true })]), 'deny'],
      ['privileged in default', pod([sc({ privileged: true })], {}, 'default'), 'deny'],
    ],
  },
  {
    text: 'Privileged containers are not allowed, except in the `ci` namespace.',
    family: 'privileged',
    checks: [
      ['privileged in shop', pod([sc({ privileged: true })]), 'deny'],
      ['privileged in ci', pod([sc({ privileged: true })], {}, 'ci'), 'allow'],
    ],
  },
  {
    text: 'This policy ensures that Pods do not set `hostNetwork`, `hostPID` or `hostIPC` to `true`.',
    family: 'host-namespaces',
    checks: [
      ['hostIPC', pod(undefined, { hostIPC: true }), 'deny'],
      ['none', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy ensures that `hostPID` and `hostIPC` are unset or set to `false`.',
    family: 'host-namespaces',
    checks: [
      ['hostPID', pod(undefined, { hostPID: true }), 'deny'],
      ['hostNetwork is not this rule', pod(undefined, { hostNetwork: true }), 'allow'],
    ],
  },
  {
    text: 'Running containers without CPU limits is risky. This policy ensures every container sets a CPU limit.',
    family: 'resources',
    checks: [
      ['cpu limit', pod([container({ resources: { limits: { cpu: '500m' } } })]), 'allow'],
      ['memory limit only', pod([container({ resources: { limits: { memory: '1Gi' } } })]), 'deny'],
    ],
  },
  {
    text: 'Memory limits keep a noisy neighbour from exhausting a node. This policy requires that every container specifies a memory limit.',
    family: 'resources',
    checks: [
      ['memory limit', pod([container({ resources: { limits: { memory: '1Gi' } } })]), 'allow'],
      ['none', pod(), 'deny'],
    ],
  },
  {
    text: 'Images from Docker Hub are not trusted. This policy blocks images from `docker.io`.',
    family: 'image-registry',
    checks: [
      ['docker.io', pod([container({ image: 'docker.io/library/nginx:1.27' })]), 'deny'],
      ['own registry', pod(), 'allow'],
    ],
  },
  {
    text: 'Tags are mutable and can be overwritten. This policy checks to ensure that all images use SHA checksums rather than tags.',
    family: 'image-tag',
    checks: [
      ['digest', pod([container({ image: `nginx@sha256:${'c'.repeat(64)}` })]), 'allow'],
      ['tag', pod([container({ image: 'nginx:1.27' })]), 'deny'],
    ],
  },
  {
    text: 'A Service of type LoadBalancer makes the cloud provider create a load balancer, which adds cost. This policy restricts use of the Service type LoadBalancer.',
    family: 'service-type',
    checks: [
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
      ['ClusterIP', service({}), 'allow'],
    ],
  },
  {
    text: 'External IPs can be abused for MITM attacks. This policy validates that the `externalIPs` field is not set on a Service.',
    family: 'external-ips',
    checks: [
      ['an external IP', service({ externalIPs: ['198.51.100.7'] }), 'deny'],
      ['none', service({}), 'allow'],
    ],
  },
  {
    text: 'The default /proc masks reduce attack surface and should be required. This policy ensures nothing but the default procMount can be specified.',
    family: 'proc-mount',
    checks: [
      ['Unmasked', pod([sc({ procMount: 'Unmasked' })]), 'deny'],
      ['unset', pod(), 'allow'],
    ],
  },
  {
    text: 'The seccomp profile must not be explicitly set to Unconfined. This policy, requiring Kubernetes v1.19 or later, ensures that seccomp is unset or set to `RuntimeDefault` or `Localhost`.',
    family: 'seccomp',
    checks: [
      ['no profile', pod(), 'allow'],
      ['Unconfined', pod([sc(seccomp('Unconfined'))]), 'deny'],
    ],
  },
  {
    text: 'Containers must use a read-only root filesystem.\nExempt images: trusted.example.io/*, specialprogram.',
    family: 'read-only-root-filesystem',
    checks: [
      ['exempt by prefix', pod([container({ image: 'trusted.example.io/tools/debug:1' })]), 'allow'],
      ['exempt exactly', pod([container({ image: 'specialprogram' })]), 'allow'],
      ['not exempt: a longer name', pod([container({ image: 'specialprogram:2' })]), 'deny'],
      ['not exempt', pod(), 'deny'],
      [
        'an exempt container does not exempt its neighbour',
        pod([container({ image: 'specialprogram' }), container({ name: 'b' })]),
        'deny',
      ],
    ],
  },
  {
    text: 'Deployments with a single replica cannot be highly available. This policy validates that Deployments have more than one replica.',
    family: 'replicas',
    checks: [
      ['1 replica', deployment([container()], {}, { replicas: 1 }), 'deny'],
      ['2 replicas', deployment([container()], {}, { replicas: 2 }), 'allow'],
    ],
  },
  {
    text: 'Namespaces isolate workloads, and the default Namespace should not be used. This policy validates that Pods specify a Namespace name other than `default`.',
    family: 'kind-in-namespace',
    checks: [
      ['in default', pod(undefined, {}, 'default'), 'deny'],
      ['in shop', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy ensures that Pods are not created in the `default` namespace.',
    family: 'kind-in-namespace',
    checks: [
      ['in default', pod(undefined, {}, 'default'), 'deny'],
      ['in shop', pod(), 'allow'],
    ],
  },
  {
    text: 'Windows pods can run HostProcess containers, which get privileged access to the Windows node. This policy ensures the `hostProcess` field, if present, is set to `false`.',
    family: 'host-process',
    checks: [
      ['container hostProcess', pod([sc({ windowsOptions: { hostProcess: true } })]), 'deny'],
      ['pod-level hostProcess', pod(undefined, { securityContext: { windowsOptions: { hostProcess: true } } }), 'deny'],
      ['hostProcess false', pod([sc({ windowsOptions: { hostProcess: false } })]), 'allow'],
      ['other windowsOptions', pod([sc({ windowsOptions: { runAsUserName: 'app' } })]), 'allow'],
    ],
  },
  {
    text: 'Windows HostProcess containers get privileged access to the node. This policy ensures Pods do not use HostProcess containers.',
    family: 'host-process',
    checks: [
      ['container hostProcess', pod([sc({ windowsOptions: { hostProcess: true } })]), 'deny'],
      ['privileged is not this rule', pod([sc({ privileged: true })]), 'allow'],
    ],
  },
  {
    text: 'Adding capabilities other than `NET_BIND_SERVICE` is disallowed. In addition, all containers must explicitly drop `ALL` capabilities.',
    family: 'capabilities',
    checks: [
      [
        'drops ALL, adds NET_BIND_SERVICE',
        pod([sc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })]),
        'allow',
      ],
      ['drops ALL, adds SYS_TIME', pod([sc({ capabilities: { drop: ['ALL'], add: ['SYS_TIME'] } })]), 'deny'],
      ['adds NET_BIND_SERVICE, drops nothing', pod([sc({ capabilities: { add: ['NET_BIND_SERVICE'] } })]), 'deny'],
    ],
  },
  {
    text: 'This policy ensures that adding capabilities other than `NET_BIND_SERVICE` and `CHOWN` is not allowed.',
    family: 'capabilities',
    checks: [
      ['adds CHOWN', pod([sc({ capabilities: { add: ['CHOWN'] } })]), 'allow'],
      ['adds nothing', pod(), 'allow'],
      ['adds SYS_ADMIN', pod([sc({ capabilities: { add: ['CHOWN', 'SYS_ADMIN'] } })]), 'deny'],
    ],
  },
  {
    text: 'As workloads share cluster resources, it is important to limit resources requested and consumed by each Pod. It is recommended to require resource requests and limits per Pod, especially for memory and CPU. If a Namespace level request or limit is specified, defaults will automatically be applied to each Pod based on the LimitRange configuration. This policy validates that all containers have something specified for memory and CPU requests and memory limits.',
    family: 'resources',
    checks: [
      [
        'all three',
        pod([container({ resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } })]),
        'allow',
      ],
      ['no requests', pod([container({ resources: { limits: { memory: '128Mi' } } })]), 'deny'],
    ],
  },
  {
    text: 'Namespaces segment and isolate cluster resources. As a best practice, workloads should be isolated with Namespaces and the default Namespace should not be used. This policy validates that Pods specify a Namespace name other than `default`. Rule auto-generation is disabled here because Pod controllers need to specify the `namespace` field under the top-level `metadata` object and not at the Pod template level.',
    family: 'kind-in-namespace',
    checks: [
      [
        'Deployment in default',
        { ...deployment([container()]), metadata: { name: 'd', namespace: 'default' } },
        'deny',
      ],
      ['Pod in shop', pod(), 'allow'],
    ],
  },
  {
    text: 'Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not be allowed.',
    family: 'privilege-escalation',
    checks: [
      ['true', pod([sc({ allowPrivilegeEscalation: true })]), 'deny'],
      ['false', pod([sc({ allowPrivilegeEscalation: false })]), 'allow'],
    ],
  },
  {
    text: 'HostPorts should be disallowed entirely.',
    family: 'host-ports',
    checks: [
      ['hostPort 8080', pod([container({ ports: [{ containerPort: 8080, hostPort: 8080 }] })]), 'deny'],
      ['no hostPort', pod([container({ ports: [{ containerPort: 8080 }] })]), 'allow'],
    ],
  },
  {
    text: 'Sharing the host namespaces must be disallowed.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork', pod(undefined, { hostNetwork: true }), 'deny'],
      ['none', pod(), 'allow'],
    ],
  },
  {
    text: 'The owner label is used for billing. This policy ensures the label `owner` on Namespaces cannot be changed or removed.',
    family: 'immutable-metadata',
    checks: [
      ['changed', [namespaceObject({ owner: 'a' }), namespaceObject({ owner: 'b' })], 'deny'],
      ['removed', [namespaceObject({ owner: 'a' }), namespaceObject(undefined)], 'deny'],
      ['kept', [namespaceObject({ owner: 'a' }), namespaceObject({ owner: 'a', extra: 'x' })], 'allow'],
    ],
  },
  {
    text: 'AppArmor profiles restrict what a container may do. This policy ensures the AppArmor profile is not set to `unconfined`.',
    family: 'apparmor',
    checks: [
      ['container Unconfined', pod([sc({ appArmorProfile: { type: 'Unconfined' } })]), 'deny'],
      ['pod Unconfined', pod(undefined, { securityContext: { appArmorProfile: { type: 'Unconfined' } } }), 'deny'],
      ['annotation unconfined', annotatedPod({ [`${APPARMOR}app`]: 'unconfined' }), 'deny'],
      ['Deployment with Unconfined', deployment([sc({ appArmorProfile: { type: 'Unconfined' } })]), 'deny'],
      ['RuntimeDefault', pod([sc({ appArmorProfile: { type: 'RuntimeDefault' } })]), 'allow'],
      ['annotation runtime/default', annotatedPod({ [`${APPARMOR}app`]: 'runtime/default' }), 'allow'],
      ['no profile', pod(), 'allow'],
    ],
  },
  {
    text: 'An unconfined process can lead to a compromised node. The AppArmor profile of every container must be `runtime/default` or `localhost/*`.',
    family: 'apparmor',
    checks: [
      ['runtime/default', pod([sc({ appArmorProfile: { type: 'RuntimeDefault' } })]), 'allow'],
      [
        'localhost profile',
        pod([sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } })]),
        'allow',
      ],
      // Left out, the profile is runtime/default, which the rule allows (pod-security-admission
      // policy/check_appArmorProfile.go allows "empty, undefined"; was denied as "the rule asks for one").
      ['no profile (the runtime applies runtime/default)', pod(), 'allow'],
      [
        'container Unconfined over a good pod default',
        pod([sc({ appArmorProfile: { type: 'Unconfined' } })], {
          securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
        }),
        'deny',
      ],
      [
        'container RuntimeDefault over a pod Unconfined',
        pod([sc({ appArmorProfile: { type: 'RuntimeDefault' } })], {
          securityContext: { appArmorProfile: { type: 'Unconfined' } },
        }),
        'allow',
      ],
    ],
  },
  {
    text: 'Only some volume types are safe. This policy restricts volumes to `configMap`, `emptyDir`, `secret` and `persistentVolumeClaim`.',
    family: 'volume-types',
    checks: [
      ['hostPath', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }), 'deny'],
      ['nfs', pod(undefined, { volumes: [{ name: 'n', nfs: { server: 'nfs.example.com', path: '/' } }] }), 'deny'],
      [
        'emptyDir beside hostPath',
        pod(undefined, {
          volumes: [
            { name: 'e', emptyDir: {} },
            { name: 'h', hostPath: { path: '/' } },
          ],
        }),
        'deny',
      ],
      [
        'Deployment with hostPath',
        deployment([container()], { volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
        'deny',
      ],
      [
        'configMap and secret',
        pod(undefined, {
          volumes: [
            { name: 'c', configMap: { name: 'x' } },
            { name: 's', secret: { secretName: 'y' } },
          ],
        }),
        'allow',
      ],
      ['a claim', pod(undefined, { volumes: [{ name: 'p', persistentVolumeClaim: { claimName: 'data' } }] }), 'allow'],
      ['no volumes', pod(), 'allow'],
    ],
  },
  {
    text: 'Network file systems can be used to bypass node isolation. Volumes of type nfs or gitRepo are not allowed.',
    family: 'volume-types',
    checks: [
      ['nfs', pod(undefined, { volumes: [{ name: 'n', nfs: { server: 'nfs.example.com', path: '/' } }] }), 'deny'],
      [
        'gitRepo',
        pod(undefined, { volumes: [{ name: 'g', gitRepo: { repository: 'https://example.com/r.git' } }] }),
        'deny',
      ],
      ['hostPath is not this rule', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'allow'],
      ['emptyDir', pod(undefined, { volumes: [{ name: 'e', emptyDir: {} }] }), 'allow'],
    ],
  },
  {
    text: 'This policy ensures that the `seLinuxOptions` field is undefined.',
    family: 'selinux',
    checks: [
      ['container options', pod([sc({ seLinuxOptions: { type: 'container_t' } })]), 'deny'],
      ['pod options', pod(undefined, { securityContext: { seLinuxOptions: { level: 's0:c1,c2' } } }), 'deny'],
      ['none', pod(), 'allow'],
      ['other securityContext fields', pod([sc({ runAsNonRoot: true })]), 'allow'],
    ],
  },
  {
    text: 'Custom SELinux types can lead to host access. The SELinux type of every container must be one of container_t, container_init_t or container_kvm_t.',
    family: 'selinux',
    checks: [
      ['container_t', pod([sc({ seLinuxOptions: { type: 'container_t' } })]), 'allow'],
      [
        'container_kvm_t at pod level',
        pod(undefined, { securityContext: { seLinuxOptions: { type: 'container_kvm_t' } } }),
        'allow',
      ],
      ['spc_t', pod([sc({ seLinuxOptions: { type: 'spc_t' } })]), 'deny'],
      ['spc_t at pod level', pod(undefined, { securityContext: { seLinuxOptions: { type: 'spc_t' } } }), 'deny'],
      ['no options', pod(), 'allow'],
    ],
  },
  {
    text: 'Sysctls can be used to change the node kernel. Pods must not set any sysctls.',
    family: 'sysctls',
    checks: [
      [
        'a safe sysctl',
        pod(undefined, {
          securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }] },
        }),
        'deny',
      ],
      ['none', pod(), 'allow'],
      ['an empty list', pod(undefined, { securityContext: { sysctls: [] } }), 'allow'],
    ],
  },
  {
    text: 'Only the sysctls net.ipv4.ip_local_port_range and net.ipv4.tcp_syncookies may be set.',
    family: 'sysctls',
    checks: [
      [
        'listed',
        pod(undefined, { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] } }),
        'allow',
      ],
      [
        'not listed',
        pod(undefined, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }),
        'deny',
      ],
      [
        'one of each',
        pod(undefined, {
          securityContext: {
            sysctls: [
              { name: 'net.ipv4.tcp_syncookies', value: '1' },
              { name: 'net.core.somaxconn', value: '1024' },
            ],
          },
        }),
        'deny',
      ],
      ['none', pod(), 'allow'],
    ],
  },
  {
    text: 'Pods must not set the kernel.* sysctls.',
    family: 'sysctls',
    checks: [
      [
        'kernel.msgmax',
        pod(undefined, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }),
        'deny',
      ],
      [
        'net sysctl',
        pod(undefined, { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] } }),
        'allow',
      ],
    ],
  },
  {
    text: 'Cached images can lead to stale code running. Image pull policy must be set to "Always".',
    family: 'image-pull-policy-required',
    checks: [
      ['Always', pod([container({ imagePullPolicy: 'Always' })]), 'allow'],
      ['IfNotPresent', pod([container({ imagePullPolicy: 'IfNotPresent' })]), 'deny'],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'Fails when `securityContext.readOnlyRootFilesystem` is not true.',
    family: 'read-only-root-filesystem',
    checks: [
      ['true', pod([sc({ readOnlyRootFilesystem: true })]), 'allow'],
      ['false', pod([sc({ readOnlyRootFilesystem: false })]), 'deny'],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'Fails when `hostIPC` attribute is configured.',
    family: 'host-namespaces',
    checks: [
      ['hostIPC', pod(undefined, { hostIPC: true }), 'deny'],
      ['hostNetwork is another rule', pod(undefined, { hostNetwork: true }), 'allow'],
      ['none', pod(), 'allow'],
    ],
  },
  {
    text: 'The filesystem should be read only.',
    family: 'read-only-root-filesystem',
    checks: [
      ['true', pod([sc({ readOnlyRootFilesystem: true })]), 'allow'],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'Plain HTTP can be used to read session cookies. Every Ingress must have TLS configured.',
    family: 'ingress-tls',
    checks: [
      [
        'with TLS',
        {
          ...ingress('shop.example.com'),
          spec: {
            ...(ingress('shop.example.com').spec as object),
            tls: [{ hosts: ['shop.example.com'], secretName: 't' }],
          },
        },
        'allow',
      ],
      ['without TLS', ingress('shop.example.com'), 'deny'],
    ],
  },
  {
    text: 'Fails when there is no topology spread constraint on the pod.',
    family: 'pod-field-required',
    checks: [
      ['none', deployment([container()]), 'deny'],
      ['an empty list', deployment([container()], { topologySpreadConstraints: [] }), 'deny'],
      [
        'one constraint',
        deployment([container()], {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        }),
        'allow',
      ],
    ],
  },
  {
    text: 'Pods must set a priority class.',
    family: 'pod-field-required',
    checks: [
      ['none', pod(), 'deny'],
      ['set', pod(undefined, { priorityClassName: 'batch-low' }), 'allow'],
    ],
  },
  {
    text: 'Files owned by group 0 can be read by a root-group process. This policy ensures `runAsGroup`, `fsGroup` and `supplementalGroups` are not set to `0`.',
    family: 'root-group',
    checks: [
      ['container runAsGroup 0', pod([sc({ runAsGroup: 0 })]), 'deny'],
      ['pod fsGroup 0', pod(undefined, { securityContext: { fsGroup: 0 } }), 'deny'],
      ['supplementalGroups with 0', pod(undefined, { securityContext: { supplementalGroups: [3000, 0] } }), 'deny'],
      ['Deployment runAsGroup 0', deployment([container()], { securityContext: { runAsGroup: 0 } }), 'deny'],
      [
        'non-zero groups',
        pod([sc({ runAsGroup: 3000 })], { securityContext: { fsGroup: 2000, supplementalGroups: [4000] } }),
        'allow',
      ],
      ['unset', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy ensures `fsGroup` is either unset or set to a number greater than zero.',
    family: 'root-group',
    checks: [
      ['fsGroup 0', pod(undefined, { securityContext: { fsGroup: 0 } }), 'deny'],
      ['runAsGroup 0 is another field', pod([sc({ runAsGroup: 0 })]), 'allow'],
      ['fsGroup 2000', pod(undefined, { securityContext: { fsGroup: 2000 } }), 'allow'],
    ],
  },
  {
    text: 'Privilege escalation should not be allowed.',
    family: 'privilege-escalation',
    checks: [
      ['unset (escalation is allowed by default)', pod(), 'deny'],
      ['false', pod([sc({ allowPrivilegeEscalation: false })]), 'allow'],
      ['true', pod([sc({ allowPrivilegeEscalation: true })]), 'deny'],
    ],
  },
  {
    text: 'Anyone who can exec into a pod can read its secrets. This policy ensures Roles and ClusterRoles do not allow pods/exec.',
    family: 'rbac-rules',
    checks: [
      ['create pods/exec', role([rbacRule([''], ['pods/exec'], ['create'])]), 'deny'],
      ['get pods/exec in a ClusterRole', role([rbacRule([''], ['pods/exec'], ['get'])], 'ClusterRole'), 'deny'],
      ['every resource, every verb', role([rbacRule(['*'], ['*'], ['*'])], 'ClusterRole'), 'deny'],
      ['pods/* with create', role([rbacRule([''], ['pods/*'], ['create'])]), 'deny'],
      ['list pods/exec opens nothing', role([rbacRule([''], ['pods/exec'], ['list'])]), 'allow'],
      ['plain pod access', role([rbacRule([''], ['pods'], ['get', 'list'])]), 'allow'],
      [
        'the built-in admin ClusterRole',
        role([rbacRule([''], ['pods/exec'], ['create'])], 'ClusterRole', 'admin'),
        'allow',
      ],
    ],
  },
  {
    text: 'A wildcard verb grants every current and future action. This policy ensures ClusterRoles do not use a wildcard (`*`) in their verbs.',
    family: 'rbac-rules',
    checks: [
      ['verbs *', role([rbacRule(['apps'], ['deployments'], ['*'])], 'ClusterRole'), 'deny'],
      ['resources * with get', role([rbacRule([''], ['*'], ['get'])], 'ClusterRole'), 'allow'],
      ['named verbs', role([rbacRule(['apps'], ['deployments'], ['get', 'update'])], 'ClusterRole'), 'allow'],
      ['a Role is another kind', role([rbacRule([''], ['pods'], ['*'])]), 'allow'],
    ],
  },
  {
    text: 'Roles must not grant the escalate, bind or impersonate verbs, because they let a role holder gain more than it was given.',
    family: 'rbac-rules',
    checks: [
      ['bind', role([rbacRule(['rbac.authorization.k8s.io'], ['clusterroles'], ['bind'])]), 'deny'],
      ['impersonate', role([rbacRule([''], ['users'], ['impersonate'])], 'ClusterRole'), 'deny'],
      ['every verb', role([rbacRule(['rbac.authorization.k8s.io'], ['roles'], ['*'])]), 'deny'],
      ['get roles', role([rbacRule(['rbac.authorization.k8s.io'], ['roles'], ['get'])]), 'allow'],
    ],
  },
  {
    text: 'Roles must not grant access to Secrets.',
    family: 'rbac-rules',
    checks: [
      ['get secrets', role([rbacRule([''], ['secrets'], ['get'])]), 'deny'],
      ['every core resource', role([rbacRule([''], ['*'], ['list'])]), 'deny'],
      ['configmaps', role([rbacRule([''], ['configmaps'], ['get'])]), 'allow'],
    ],
  },
  {
    text: 'Values read from Secrets into environment variables end up in crash dumps and logs. This policy ensures containers do not consume Secrets as environment variables.',
    family: 'secret-env',
    checks: [
      [
        'env from a secretKeyRef',
        pod([container({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })]),
        'deny',
      ],
      ['envFrom a secretRef', pod([container({ envFrom: [{ secretRef: { name: 's' } }] })]), 'deny'],
      [
        'an init container with envFrom a secretRef',
        pod([container()], { initContainers: [container({ name: 'init', envFrom: [{ secretRef: { name: 's' } }] })] }),
        'deny',
      ],
      [
        'a Deployment whose template reads a Secret into env',
        deployment([container({ envFrom: [{ prefix: 'X_', secretRef: { name: 's' } }] })]),
        'deny',
      ],
      ['a literal env value', pod([container({ env: [{ name: 'P', value: 'secret' }] })]), 'allow'],
      [
        'env from a ConfigMap',
        pod([container({ env: [{ name: 'P', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] })]),
        'allow',
      ],
      [
        'env from the downward API',
        pod([container({ env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })]),
        'allow',
      ],
      ['a Secret volume', pod([container()], { volumes: [{ name: 's', secret: { secretName: 's' } }] }), 'allow'],
    ],
  },
  {
    text: 'Pods must not mount the Docker socket.',
    family: 'runtime-socket',
    checks: [
      [
        'docker.sock under /var/run',
        pod([container()], { volumes: [{ name: 'd', hostPath: { path: '/var/run/docker.sock' } }] }),
        'deny',
      ],
      [
        'docker.sock under /run',
        pod([container()], { volumes: [{ name: 'd', hostPath: { path: '/run/docker.sock' } }] }),
        'deny',
      ],
      [
        'the containerd socket is another runtime',
        pod([container()], { volumes: [{ name: 'd', hostPath: { path: '/run/containerd/containerd.sock' } }] }),
        'allow',
      ],
      ['another hostPath', pod([container()], { volumes: [{ name: 'l', hostPath: { path: '/var/log' } }] }), 'allow'],
      ['no volumes', pod(), 'allow'],
    ],
  },
  {
    text: "The container engine's socket gives whoever mounts it root on the node. This policy ensures no pod mounts the socket of a container runtime.",
    family: 'runtime-socket',
    checks: [
      [
        'the containerd socket',
        pod([container()], { volumes: [{ name: 'd', hostPath: { path: '/run/containerd/containerd.sock' } }] }),
        'deny',
      ],
      [
        'the CRI-O socket',
        pod([container()], { volumes: [{ name: 'd', hostPath: { path: '/var/run/crio/crio.sock' } }] }),
        'deny',
      ],
      [
        'a DaemonSet mounting docker.sock',
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'ds', namespace: NS },
          spec: {
            selector: { matchLabels: { app: 'a' } },
            template: {
              metadata: { labels: { app: 'a' } },
              spec: { containers: [container()], volumes: [{ name: 'd', hostPath: { path: '/var/run/docker.sock' } }] },
            },
          },
        },
        'deny',
      ],
      ['an emptyDir', pod([container()], { volumes: [{ name: 'e', emptyDir: {} }] }), 'allow'],
    ],
  },
  {
    text: 'Leave placement to the scheduler. This policy prevents pods from setting nodeName or nodeSelector.',
    family: 'scheduling-fields',
    checks: [
      ['nodeName', pod([container()], { nodeName: 'node-1' }), 'deny'],
      ['nodeSelector', pod([container()], { nodeSelector: { zone: 'a' } }), 'deny'],
      ['a Deployment with a nodeSelector', deployment([container()], { nodeSelector: { zone: 'a' } }), 'deny'],
      ['neither', pod(), 'allow'],
      [
        'node affinity',
        pod([container()], {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
              },
            },
          },
        }),
        'allow',
      ],
    ],
  },
  {
    text: 'Pods must not set nodeName.',
    family: 'scheduling-fields',
    checks: [
      ['nodeName', pod([container()], { nodeName: 'node-1' }), 'deny'],
      ['a nodeSelector is not named', pod([container()], { nodeSelector: { zone: 'a' } }), 'allow'],
    ],
  },
  {
    text: 'A rule without a host, or with a wildcard one, can be used to capture traffic meant for other teams. Nobody may create Ingresses whose rules have an empty or wildcard host.',
    family: 'ingress-open-host',
    checks: [
      ['a named host', ingress('shop.example.com'), 'allow'],
      ['an empty host', ingress(''), 'deny'],
      [
        'a rule with no host at all',
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'i', namespace: NS },
          spec: {
            rules: [
              {
                http: {
                  paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'w', port: { number: 80 } } } }],
                },
              },
            ],
          },
        },
        'deny',
      ],
      ['a wildcard host', ingress('*.example.com'), 'deny'],
      ['a bare star', ingress('*'), 'deny'],
    ],
  },
  {
    text: 'Ingresses must not use a wildcard host.',
    family: 'ingress-open-host',
    checks: [
      ['a wildcard host', ingress('*.shop.example.com'), 'deny'],
      ['an empty host is not named', ingress(''), 'allow'],
      ['a named host', ingress('a.example.com'), 'allow'],
    ],
  },
  {
    text: 'A probe aimed at another address can reach the node or the cloud metadata service. This policy disallows the host field in probes and lifecycle hooks.',
    family: 'handler-host',
    checks: [
      [
        'httpGet.host in a liveness probe',
        pod([container({ livenessProbe: { httpGet: { port: 80, host: '10.0.0.1' } } })]),
        'deny',
      ],
      [
        'tcpSocket.host in a startup probe',
        pod([container({ startupProbe: { tcpSocket: { port: 80, host: 'n' } } })]),
        'deny',
      ],
      [
        'httpGet.host in a postStart hook',
        pod([container({ lifecycle: { postStart: { httpGet: { port: 80, host: 'x' } } } })]),
        'deny',
      ],
      ['probes without a host', pod([container({ readinessProbe: { httpGet: { port: 80, path: '/' } } })]), 'allow'],
      ['an empty host', pod([container({ livenessProbe: { httpGet: { port: 80, host: '' } } })]), 'allow'],
      ['an exec probe', pod([container({ livenessProbe: { exec: { command: ['true'] } } })]), 'allow'],
    ],
  },
  {
    text: 'Probes must not set a host.',
    family: 'handler-host',
    checks: [
      [
        'a readiness probe with a host',
        pod([container({ readinessProbe: { httpGet: { port: 80, host: 'x' } } })]),
        'deny',
      ],
      [
        'a lifecycle hook is not named',
        pod([container({ lifecycle: { preStop: { httpGet: { port: 80, host: 'x' } } } })]),
        'allow',
      ],
    ],
  },
  {
    text: 'Pods must not use host networking. This prevents pods from sniffing traffic on the node.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork', pod([container()], { hostNetwork: true }), 'deny'],
      ['hostPID is not named', pod([container()], { hostPID: true }), 'allow'],
    ],
  },
  {
    text: 'Overlapping runs of a job can lead to corrupted output. CronJobs must set concurrencyPolicy to Forbid.',
    family: 'known-field',
    checks: [
      ['Forbid', cronJob({ concurrencyPolicy: 'Forbid' }), 'allow'],
      ['Allow', cronJob({ concurrencyPolicy: 'Allow' }), 'deny'],
      ['Replace', cronJob({ concurrencyPolicy: 'Replace' }), 'deny'],
      ['unset (defaults to Allow)', cronJob({}), 'deny'],
    ],
  },
  {
    text: 'Services must not use externalTrafficPolicy Local.',
    family: 'known-field',
    checks: [
      ['Local', service({ type: 'NodePort', externalTrafficPolicy: 'Local' }), 'deny'],
      ['Cluster', service({ type: 'NodePort', externalTrafficPolicy: 'Cluster' }), 'allow'],
      ['unset', service({}), 'allow'],
    ],
  },
  {
    text: 'Ingresses must set ingressClassName.',
    family: 'known-field',
    checks: [
      [
        'a class',
        {
          ...ingress('a.example.com'),
          spec: { ...(ingress('a.example.com').spec as object), ingressClassName: 'nginx' },
        },
        'allow',
      ],
      ['no class', ingress('a.example.com'), 'deny'],
    ],
  },
  // A ban on a resource field: the containers that set it are denied, never the ones that leave it out.
  {
    text: 'CPU limits are not allowed.',
    family: 'resources',
    checks: [
      ['a CPU limit', pod([container({ resources: { limits: { cpu: '1' } } })]), 'deny'],
      ['a CPU limit in a Deployment', deployment([container({ resources: { limits: { cpu: '250m' } } })]), 'deny'],
      [
        'an init container with a CPU limit',
        pod([container()], { initContainers: [container({ name: 'init', resources: { limits: { cpu: '1' } } })] }),
        'deny',
      ],
      ['no resources at all', pod(), 'allow'],
      [
        'a CPU request and a memory limit',
        pod([container({ resources: { requests: { cpu: '1' }, limits: { memory: '1Gi' } } })]),
        'allow',
      ],
    ],
  },
  {
    text: 'CPU limits throttle applications. This policy ensures that no container defines CPU limits.',
    family: 'resources',
    checks: [
      ['a CPU limit', pod([container({ resources: { limits: { cpu: '2' } } })]), 'deny'],
      ['a memory limit only', pod([container({ resources: { limits: { memory: '64Mi' } } })]), 'allow'],
    ],
  },
  {
    text: 'Containers must not set CPU or memory limits.',
    family: 'resources',
    checks: [
      ['a memory limit', pod([container({ resources: { limits: { memory: '64Mi' } } })]), 'deny'],
      ['a CPU limit', pod([container({ resources: { limits: { cpu: '1' } } })]), 'deny'],
      ['requests only', pod([container({ resources: { requests: { cpu: '1', memory: '64Mi' } } })]), 'allow'],
    ],
  },
  {
    text: 'Fails when a container sets memory requests.',
    family: 'resources',
    checks: [
      ['a memory request', pod([container({ resources: { requests: { memory: '64Mi' } } })]), 'deny'],
      ['a memory limit', pod([container({ resources: { limits: { memory: '64Mi' } } })]), 'allow'],
    ],
  },
  // A ban on a pull policy: the policy a container ends up with, the API server's default included.
  {
    text: 'Pods must not use the image pull policy Always.',
    family: 'image-pull-policy-required',
    checks: [
      ['Always', pod([container({ imagePullPolicy: 'Always' })]), 'deny'],
      [
        'Always in a CronJob',
        cronJob({
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [container({ imagePullPolicy: 'Always' })] } },
            },
          },
        }),
        'deny',
      ],
      ['IfNotPresent', pod([container({ imagePullPolicy: 'IfNotPresent' })]), 'allow'],
      ['unset on a pinned tag (defaults to IfNotPresent)', pod([container()]), 'allow'],
      ['unset on :latest (defaults to Always)', pod([container({ image: 'nginx:latest' })]), 'deny'],
    ],
  },
  {
    text: 'imagePullPolicy Never is not allowed.',
    family: 'image-pull-policy-required',
    checks: [
      ['Never', pod([container({ imagePullPolicy: 'Never' })]), 'deny'],
      ['Always', pod([container({ imagePullPolicy: 'Always' })]), 'allow'],
      ['unset', pod([container({ image: 'nginx' })]), 'allow'],
    ],
  },
  {
    text: 'Image pull policy should not be `Always`.',
    family: 'image-pull-policy-required',
    checks: [
      ['Always', pod([container({ imagePullPolicy: 'Always' })]), 'deny'],
      ['Never', pod([container({ imagePullPolicy: 'Never' })]), 'allow'],
    ],
  },
  // What a container runs as: user 0 is root, and an unset runAsUser is the image's user, unknown at admission.
  {
    text: 'Pods must not run as user 0.',
    family: 'run-as-non-root',
    checks: [
      ['runAsUser 0', pod([sc({ runAsUser: 0 })]), 'deny'],
      ['pod-level runAsUser 0', pod(undefined, { securityContext: { runAsUser: 0 } }), 'deny'],
      ['runAsUser 1001', pod([sc({ runAsUser: 1001 })]), 'allow'],
      ['unset, with runAsNonRoot', pod(undefined, { securityContext: { runAsNonRoot: true } }), 'allow'],
      ["unset, the image's user", pod(), 'deny'],
    ],
  },
  {
    text: 'Containers must not run as UID 0.',
    family: 'run-as-non-root',
    checks: [
      ['UID 0 in a Deployment', deployment([sc({ runAsUser: 0 })]), 'deny'],
      ['UID 5', pod([sc({ runAsUser: 5 })]), 'allow'],
    ],
  },
  {
    text: 'Containers must not run as the root user ID.',
    family: 'run-as-non-root',
    checks: [
      ['UID 0', pod([sc({ runAsUser: 0 })]), 'deny'],
      ['UID 5 at pod level', pod(undefined, { securityContext: { runAsUser: 5 } }), 'allow'],
    ],
  },
  {
    text: 'runAsUser must be greater than 1000.',
    family: 'run-as-user-bound',
    checks: [
      ['1000 is not greater', pod([sc({ runAsUser: 1000 })]), 'deny'],
      ['1001', pod([sc({ runAsUser: 1001 })]), 'allow'],
      ['pod-level 2000', pod(undefined, { securityContext: { runAsUser: 2000 } }), 'allow'],
      [
        'container 10 over pod-level 2000',
        pod([sc({ runAsUser: 10 })], { securityContext: { runAsUser: 2000 } }),
        'deny',
      ],
      ['unset', pod(), 'deny'],
    ],
  },
  {
    text: 'Pods must set runAsUser greater than 1000.',
    family: 'run-as-user-bound',
    checks: [
      ['500', deployment([sc({ runAsUser: 500 })]), 'deny'],
      ['1500', deployment([sc({ runAsUser: 1500 })]), 'allow'],
    ],
  },
  {
    text: 'runAsUser must be at least 1000.',
    family: 'run-as-user-bound',
    checks: [
      ['1000 is enough', pod([sc({ runAsUser: 1000 })]), 'allow'],
      ['999', pod([sc({ runAsUser: 999 })]), 'deny'],
      ['0', pod([sc({ runAsUser: 0 })]), 'deny'],
    ],
  },
  {
    text: 'Pods must not run with a UID below 1000.',
    family: 'run-as-user-bound',
    checks: [
      ['1000', pod([sc({ runAsUser: 1000 })]), 'allow'],
      ['999', pod([sc({ runAsUser: 999 })]), 'deny'],
    ],
  },
  // The default service account: named "default", or no name at all (the deprecated serviceAccount stands in).
  {
    text: 'Pods must not use the default service account.',
    family: 'default-service-account',
    checks: [
      ['no service account named', pod(), 'deny'],
      ['serviceAccountName default', pod(undefined, { serviceAccountName: 'default' }), 'deny'],
      ['the deprecated serviceAccount default', pod(undefined, { serviceAccount: 'default' }), 'deny'],
      ['a Deployment with no service account', deployment([container()]), 'deny'],
      ['serviceAccountName web', pod(undefined, { serviceAccountName: 'web' }), 'allow'],
      ['only the deprecated serviceAccount web', pod(undefined, { serviceAccount: 'web' }), 'allow'],
      ['a Deployment running as web', deployment([container()], { serviceAccountName: 'web' }), 'allow'],
    ],
  },
  {
    text: 'Workloads must run with a non-default ServiceAccount.',
    family: 'default-service-account',
    checks: [
      ['no service account named', deployment([container()]), 'deny'],
      ['serviceAccountName api', deployment([container()], { serviceAccountName: 'api' }), 'allow'],
    ],
  },
  // Well-known pod fields named by their bare name, and "Deny <kind> without <field>" as a requirement.
  {
    text: 'The field spec.hostAliases is not allowed.',
    family: 'pod-field-forbidden',
    checks: [
      ['a host alias', pod(undefined, { hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }] }), 'deny'],
      [
        'a host alias in a Deployment',
        deployment([container()], { hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }] }),
        'deny',
      ],
      ['no host aliases', pod(), 'allow'],
      ['an empty list', pod(undefined, { hostAliases: [] }), 'allow'],
    ],
  },
  {
    text: 'Pods must not set hostAliases.',
    family: 'pod-field-forbidden',
    checks: [
      ['a host alias', pod(undefined, { hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }] }), 'deny'],
      ['no host aliases', pod(), 'allow'],
    ],
  },
  {
    text: 'Pods must not share a process namespace between containers.',
    family: 'pod-field-forbidden',
    checks: [
      ['shareProcessNamespace true', pod(undefined, { shareProcessNamespace: true }), 'deny'],
      ['shareProcessNamespace false', pod(undefined, { shareProcessNamespace: false }), 'allow'],
      ['unset', pod(), 'allow'],
      ['hostPID is another rule', pod(undefined, { hostPID: true }), 'allow'],
    ],
  },
  {
    text: 'shareProcessNamespace must be false.',
    family: 'pod-field-forbidden',
    checks: [
      ['true', deployment([container()], { shareProcessNamespace: true }), 'deny'],
      ['false', deployment([container()], { shareProcessNamespace: false }), 'allow'],
    ],
  },
  {
    text: 'Containers must not use subPath volume mounts.',
    family: 'subpath-mounts',
    checks: [
      [
        'a subPath mount',
        pod([container({ volumeMounts: [{ name: 'v', mountPath: '/etc/app', subPath: 'conf' }] })], {
          volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
        }),
        'deny',
      ],
      [
        'a subPathExpr mount',
        pod([container({ volumeMounts: [{ name: 'v', mountPath: '/logs', subPathExpr: '$(POD_NAME)' }] })], {
          volumes: [{ name: 'v', emptyDir: {} }],
        }),
        'deny',
      ],
      [
        'an init container with a subPath mount',
        pod([container()], {
          initContainers: [container({ name: 'init', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'a' }] })],
          volumes: [{ name: 'v', emptyDir: {} }],
        }),
        'deny',
      ],
      [
        'a whole-volume mount',
        pod([container({ volumeMounts: [{ name: 'v', mountPath: '/etc/app' }] })], {
          volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
        }),
        'allow',
      ],
      [
        'an empty subPath (the whole volume)',
        pod([container({ volumeMounts: [{ name: 'v', mountPath: '/etc/app', subPath: '' }] })], {
          volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
        }),
        'allow',
      ],
    ],
  },
  {
    text: 'Deny Ingresses without an ingressClassName.',
    family: 'known-field',
    checks: [
      ['no class', ingress('a.example.com'), 'deny'],
      [
        'a class',
        {
          ...ingress('a.example.com'),
          spec: { ...(ingress('a.example.com').spec as object), ingressClassName: 'nginx' },
        },
        'allow',
      ],
      [
        'an empty class',
        { ...ingress('a.example.com'), spec: { ...(ingress('a.example.com').spec as object), ingressClassName: '' } },
        'deny',
      ],
    ],
  },
  {
    text: 'Services without externalTrafficPolicy Local are not allowed.',
    family: 'known-field',
    checks: [
      ['Local', service({ type: 'NodePort', externalTrafficPolicy: 'Local' }), 'allow'],
      ['Cluster', service({ type: 'NodePort', externalTrafficPolicy: 'Cluster' }), 'deny'],
      ['unset on a NodePort Service', service({ type: 'NodePort' }), 'deny'],
      // A ClusterIP Service cannot set externalTrafficPolicy at all: the API server rejects it there.
      ['a ClusterIP Service', service({}), 'allow'],
    ],
  },
  // "other than X" where a family enumerates values: X is the allow-list.
  {
    text: 'AppArmor profiles other than runtime/default are not allowed.',
    family: 'apparmor',
    checks: [
      ['the annotation runtime/default', annotatedPod({ [`${APPARMOR}app`]: 'runtime/default' }), 'allow'],
      ['the annotation unconfined', annotatedPod({ [`${APPARMOR}app`]: 'unconfined' }), 'deny'],
      ['the annotation localhost/custom', annotatedPod({ [`${APPARMOR}app`]: 'localhost/custom' }), 'deny'],
      ['appArmorProfile RuntimeDefault', pod([sc({ appArmorProfile: { type: 'RuntimeDefault' } })]), 'allow'],
      [
        'appArmorProfile Localhost',
        pod([sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } })]),
        'deny',
      ],
      ['no profile (the runtime default)', pod(), 'allow'],
    ],
  },
  {
    text: 'Services of a type other than ClusterIP are not allowed.',
    family: 'service-type',
    checks: [
      ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
      ['no type (ClusterIP)', service({}), 'allow'],
      ['NodePort', service({ type: 'NodePort' }), 'deny'],
      ['ExternalName', service({ type: 'ExternalName', externalName: 'db.example.com' }), 'deny'],
    ],
  },
  {
    text: 'Image pull policies other than Always may not be set.',
    family: 'image-pull-policy-required',
    checks: [
      ['Always', pod([container({ imagePullPolicy: 'Always' })]), 'allow'],
      ['IfNotPresent', pod([container({ imagePullPolicy: 'IfNotPresent' })]), 'deny'],
      ['Never', pod([container({ imagePullPolicy: 'Never' })]), 'deny'],
    ],
  },
  // Allow-lists: the Pod Security Standards' safe sysctls, and a list of volume types with an Oxford comma.
  {
    text: 'Only safe sysctls may be set.',
    family: 'sysctls',
    checks: [
      [
        'kernel.shm_rmid_forced',
        pod(undefined, { securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] } }),
        'allow',
      ],
      [
        'net.ipv4.tcp_keepalive_time (safe since v1.29)',
        pod(undefined, { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '600' }] } }),
        'allow',
      ],
      [
        'kernel.msgmax (unsafe)',
        pod(undefined, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }),
        'deny',
      ],
      [
        'a safe one beside net.core.somaxconn',
        deployment([container()], {
          securityContext: {
            sysctls: [
              { name: 'net.ipv4.ip_local_port_range', value: '1024 65000' },
              { name: 'net.core.somaxconn', value: '1024' },
            ],
          },
        }),
        'deny',
      ],
      ['no sysctls', pod(), 'allow'],
    ],
  },
  {
    text: 'Pods must not set unsafe sysctls.',
    family: 'sysctls',
    checks: [
      [
        'net.ipv4.ping_group_range (safe)',
        pod(undefined, { securityContext: { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }] } }),
        'allow',
      ],
      [
        'vm.overcommit_memory (unsafe)',
        pod(undefined, { securityContext: { sysctls: [{ name: 'vm.overcommit_memory', value: '1' }] } }),
        'deny',
      ],
    ],
  },
  {
    text: 'Pods may only use the volume types configMap, emptyDir, projected, secret, downwardAPI, persistentVolumeClaim, and ephemeral.',
    family: 'volume-types',
    checks: [
      [
        'an ephemeral volume (the last item)',
        pod(undefined, { volumes: [{ name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } }] }),
        'allow',
      ],
      [
        'a configMap volume (the first item)',
        pod(undefined, { volumes: [{ name: 'c', configMap: { name: 'x' } }] }),
        'allow',
      ],
      ['a hostPath volume', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'deny'],
      [
        'an nfs volume in a Deployment',
        deployment([container()], { volumes: [{ name: 'n', nfs: { server: 'f', path: '/' } }] }),
        'deny',
      ],
    ],
  },
  {
    text: 'Pods may only use configMap, secret, or emptyDir volumes.',
    family: 'volume-types',
    checks: [
      ['an emptyDir (the last item)', pod(undefined, { volumes: [{ name: 'e', emptyDir: {} }] }), 'allow'],
      ['a projected volume', pod(undefined, { volumes: [{ name: 'p', projected: { sources: [] } }] }), 'deny'],
    ],
  },
  // A binding to a named role, whatever its subjects; and Pods that nothing owns.
  {
    text: 'ClusterRoleBindings to cluster-admin are not allowed.',
    family: 'binding-role-forbidden',
    checks: [
      ['binding a user to cluster-admin', clusterRoleBinding('cluster-admin', [user('alice')]), 'deny'],
      ['binding nobody to cluster-admin', clusterRoleBinding('cluster-admin', []), 'deny'],
      ['binding a user to view', clusterRoleBinding('view', [user('alice')]), 'allow'],
      [
        'repointing a binding at cluster-admin',
        [clusterRoleBinding('view', [user('alice')]), clusterRoleBinding('cluster-admin', [user('alice')])],
        'deny',
      ],
      ['a RoleBinding to cluster-admin (not a ClusterRoleBinding)', roleBinding('cluster-admin'), 'allow'],
    ],
  },
  {
    text: 'Bindings to the cluster-admin ClusterRole are not allowed.',
    family: 'binding-role-forbidden',
    checks: [
      ['a ClusterRoleBinding to cluster-admin', clusterRoleBinding('cluster-admin', [user('bob')]), 'deny'],
      ['a RoleBinding to cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to edit', roleBinding('edit'), 'allow'],
    ],
  },
  {
    text: 'Bare pods without a controller are not allowed.',
    family: 'bare-pods',
    checks: [
      ['a Pod nothing owns', pod(), 'deny'],
      [
        'a Pod a ReplicaSet owns',
        ownedPod([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1', controller: true }]),
        'allow',
      ],
      [
        'a Pod a DaemonSet owns',
        ownedPod([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: '2', controller: true }]),
        'allow',
      ],
      ['a Deployment (not a Pod)', deployment([container()]), 'allow'],
    ],
  },
  {
    text: 'Pods must be managed by a controller.',
    family: 'bare-pods',
    checks: [
      ['a Pod nothing owns', pod(), 'deny'],
      [
        'a Pod a Job owns',
        ownedPod([{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '3', controller: true }]),
        'allow',
      ],
    ],
  },
  // A custom SELinux user or role: those two fields, in the pod or a container; the type and level are not this rule.
  {
    text: 'Custom SELinux user or role options are not allowed.',
    family: 'selinux-user-role',
    checks: [
      ['a container SELinux user', pod([sc({ seLinuxOptions: { user: 'system_u' } })]), 'deny'],
      [
        'a pod-level SELinux role',
        pod(undefined, { securityContext: { seLinuxOptions: { role: 'sysadm_r' } } }),
        'deny',
      ],
      ['an SELinux type only', pod([sc({ seLinuxOptions: { type: 'spc_t' } })]), 'allow'],
      ['an empty user', pod([sc({ seLinuxOptions: { user: '', level: 's0' } })]), 'allow'],
      ['no seLinuxOptions', deployment([container()]), 'allow'],
    ],
  },
  {
    text: 'Containers must not set an SELinux role.',
    family: 'selinux-user-role',
    checks: [
      ['a role', pod([sc({ seLinuxOptions: { role: 'sysadm_r' } })]), 'deny'],
      ['a user (not named)', pod([sc({ seLinuxOptions: { user: 'system_u' } })]), 'allow'],
    ],
  },
  {
    text: 'Image references must include a sha256 digest.',
    family: 'image-tag',
    checks: [
      ['a sha256 digest', pod([container({ image: `registry.example.com/app@sha256:${'c'.repeat(64)}` })]), 'allow'],
      [
        'a tag and a sha256 digest',
        pod([container({ image: `registry.example.com/app:1.0@sha256:${'d'.repeat(64)}` })]),
        'allow',
      ],
      ['a tag only', pod([container({ image: 'registry.example.com/app:1.0' })]), 'deny'],
      ['a sha512 digest', pod([container({ image: `registry.example.com/app@sha512:${'e'.repeat(128)}` })]), 'deny'],
      ['a truncated digest', pod([container({ image: 'registry.example.com/app@sha256:abc' })]), 'deny'],
    ],
  },
  // Operation words in every inflection: the verb names the operation that is refused, nothing else.
  {
    text: 'ConfigMaps may not be deleted.',
    family: 'operation-forbidden',
    checks: [
      ['deleting a ConfigMap', deleting(configMap()), 'deny'],
      ['creating a ConfigMap', configMap(), 'allow'],
      ['changing a ConfigMap', [configMap(), relabelled(configMap())], 'allow'],
      ['deleting a Secret', deleting(secret()), 'allow'],
    ],
  },
  {
    text: 'Deleting namespaces is not allowed.',
    family: 'operation-forbidden',
    checks: [
      ['deleting a namespace', deleting(namespaceObject(undefined)), 'deny'],
      ['creating a namespace', namespaceObject(undefined), 'allow'],
      ['deleting a ConfigMap', deleting(configMap()), 'allow'],
    ],
  },
  {
    text: 'The removal of PersistentVolumeClaims is forbidden.',
    family: 'operation-forbidden',
    checks: [
      ['deleting a claim', deleting(claim()), 'deny'],
      ['creating a claim', claim(), 'allow'],
    ],
  },
  {
    text: 'Secrets must not be modified.',
    family: 'operation-forbidden',
    checks: [
      ['changing a Secret', [secret(), relabelled(secret())], 'deny'],
      ['creating a Secret', secret(), 'allow'],
      ['deleting a Secret', deleting(secret()), 'allow'],
    ],
  },
  {
    text: 'PersistentVolumeClaims in namespace shop cannot be updated or removed.',
    family: 'operation-forbidden',
    checks: [
      ['deleting a claim in shop', deleting(claim()), 'deny'],
      ['changing a claim in shop', [claim(), relabelled(claim())], 'deny'],
      ['deleting a claim elsewhere', deleting(claim('web')), 'allow'],
      ['creating a claim in shop', claim(), 'allow'],
    ],
  },
  {
    text: 'ConfigMaps named settings may not be deleted.',
    family: 'delete-protection',
    checks: [
      ['deleting settings', deleting(configMap('settings')), 'deny'],
      ['deleting another ConfigMap', deleting(configMap('other')), 'allow'],
      ['changing settings', [configMap('settings'), relabelled(configMap('settings'))], 'allow'],
    ],
  },
  {
    text: 'Deletion of namespaces labelled protected=true is forbidden.',
    family: 'delete-protection',
    checks: [
      ['deleting a protected namespace', deleting(namespaceObject({ protected: 'true' })), 'deny'],
      ['deleting another namespace', deleting(namespaceObject({ protected: 'false' })), 'allow'],
      ['deleting an unlabelled namespace', deleting(namespaceObject(undefined)), 'allow'],
    ],
  },
  {
    text: 'Nobody may remove a ConfigMap named settings.',
    family: 'delete-protection',
    checks: [
      ['deleting settings', deleting(configMap('settings')), 'deny'],
      ['deleting another ConfigMap', deleting(configMap('other')), 'allow'],
    ],
  },
  // pod-connect: CONNECT on a pod's exec / attach / portforward subresource, nothing else.
  {
    text: 'This policy blocks exec into pods in the production namespace.',
    family: 'pod-connect',
    checks: [
      ['exec in production', connecting('exec', 'production'), 'deny'],
      ['exec in another namespace', connecting('exec', 'staging'), 'allow'],
      ['attach in production (not named)', connecting('attach', 'production'), 'allow'],
      ['port-forward in production (not named)', connecting('portforward', 'production'), 'allow'],
      ['creating a pod in production', pod(undefined, undefined, 'production'), 'allow'],
    ],
  },
  {
    text: 'Port-forwarding opens a tunnel from a laptop straight into a pod. Port-forwarding to pods is not allowed.',
    family: 'pod-connect',
    checks: [
      ['port-forward', connecting('portforward'), 'deny'],
      ['exec (not named)', connecting('exec'), 'allow'],
    ],
  },
  {
    text: 'Users must not exec into or attach to containers.',
    family: 'pod-connect',
    checks: [
      ['exec', connecting('exec'), 'deny'],
      ['attach', connecting('attach'), 'deny'],
      ['port-forward (not named)', connecting('portforward'), 'allow'],
    ],
  },
  // ephemeral-containers: only the pods/ephemeralcontainers subresource adds them (kubectl debug).
  {
    text: 'Ephemeral containers are for debugging only. This policy blocks the use of ephemeral containers.',
    family: 'ephemeral-containers',
    checks: [
      ['kubectl debug adds one', addingEphemeral([], ['debugger']), 'deny'],
      ['a second one', addingEphemeral(['debugger'], ['debugger', 'shell']), 'deny'],
      ['nothing added', addingEphemeral(['debugger'], ['debugger']), 'allow'],
      ['a plain pod', pod(), 'allow'],
      ['a plain pod update', [pod(), relabelled(pod())], 'allow'],
    ],
  },
  {
    text: 'Ephemeral containers must not be added to pods in namespace prod.',
    family: 'ephemeral-containers',
    checks: [
      ['in prod', addingEphemeral([], ['debugger'], 'prod'), 'deny'],
      ['in another namespace', addingEphemeral([], ['debugger'], 'staging'), 'allow'],
    ],
  },
  // ingress-tls: "configure TLS" as "have TLS configured".
  {
    text: 'Every Ingress must configure TLS.',
    family: 'ingress-tls',
    checks: [
      ['no tls', ingress('shop.example.com'), 'deny'],
      [
        'tls for its host',
        withSpec(ingress('shop.example.com'), { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] }),
        'allow',
      ],
      ['an empty tls list', withSpec(ingress('shop.example.com'), { tls: [] }), 'deny'],
    ],
  },
  // ingress-open-host: a host required on every rule; an Ingress without rules is not a rule without a host.
  {
    text: 'Every Ingress rule must set a host.',
    family: 'ingress-open-host',
    checks: [
      ['a named host', ingress('shop.example.com'), 'allow'],
      ['a wildcard host (still a host)', ingress('*.example.com'), 'allow'],
      ['an empty host', ingress(''), 'deny'],
      ['no host', withSpec(ingress('x'), { rules: [{ http: ingressHttp }] }), 'deny'],
      [
        'a second rule without a host',
        withSpec(ingress('x'), { rules: [{ host: 'a.example.com' }, { http: ingressHttp }] }),
        'deny',
      ],
      [
        'no rules, only a default backend',
        withSpec(ingress('x'), { rules: [], defaultBackend: ingressHttp.paths[0].backend }),
        'allow',
      ],
    ],
  },
  {
    text: 'Ingress rules without a host are not allowed.',
    family: 'ingress-open-host',
    checks: [
      ['a named host', ingress('shop.example.com'), 'allow'],
      ['no host', withSpec(ingress('x'), { rules: [{ http: ingressHttp }] }), 'deny'],
    ],
  },
  // An "other than" about the rule's values is not an exclusion of the namespace named after it.
  {
    text: 'Containers must not add capabilities other than NET_BIND_SERVICE in namespace prod.',
    family: 'capabilities',
    checks: [
      ['SYS_ADMIN in prod', pod([sc({ capabilities: { add: ['SYS_ADMIN'] } })], {}, 'prod'), 'deny'],
      ['NET_BIND_SERVICE in prod', pod([sc({ capabilities: { add: ['NET_BIND_SERVICE'] } })], {}, 'prod'), 'allow'],
      [
        'SYS_ADMIN in staging (outside the scope)',
        pod([sc({ capabilities: { add: ['SYS_ADMIN'] } })], {}, 'staging'),
        'allow',
      ],
    ],
  },
  // sysctls: "may only set safe sysctls" is the Pod Security Standards' safe set.
  {
    text: 'Pods may only set safe sysctls.',
    family: 'sysctls',
    checks: [
      [
        'kernel.msgmax',
        pod(undefined, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }),
        'deny',
      ],
      [
        'net.ipv4.ip_local_port_range',
        pod(undefined, {
          securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }] },
        }),
        'allow',
      ],
      ['no sysctls', pod(), 'allow'],
      [
        'a Deployment with kernel.msgmax',
        deployment([container()], { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }),
        'deny',
      ],
    ],
  },
  // image-tag: "a tag other than latest" requires a tag and forbids latest.
  {
    text: 'This policy requires every container image to name a tag other than latest.',
    family: 'image-tag',
    checks: [
      ['latest', pod([container({ image: 'nginx:latest' })]), 'deny'],
      ['no tag', pod([container({ image: 'nginx' })]), 'deny'],
      ['a version tag', pod([container({ image: 'nginx:1.27.1' })]), 'allow'],
      ['a Deployment with latest', deployment([container({ image: 'nginx:latest' })]), 'deny'],
    ],
  },
  // apparmor: "overriding the profile with unconfined" is setting it to unconfined.
  {
    text: 'This policy disallows overriding the AppArmor profile with unconfined.',
    family: 'apparmor',
    checks: [
      ['field Unconfined', pod([sc({ appArmorProfile: { type: 'Unconfined' } })]), 'deny'],
      ['annotation unconfined', annotatedPod({ [`${APPARMOR}app`]: 'unconfined' }), 'deny'],
      ['field RuntimeDefault', pod([sc({ appArmorProfile: { type: 'RuntimeDefault' } })]), 'allow'],
      ['no profile', pod(), 'allow'],
    ],
  },
  // ingress-class: the class an Ingress uses, in spec.ingressClassName or the legacy annotation.
  {
    text: 'Ingresses must use the ingress class nginx.',
    family: 'ingress-class',
    checks: [
      ['ingressClassName nginx', withSpec(ingress('shop.example.com'), { ingressClassName: 'nginx' }), 'allow'],
      [
        'legacy annotation nginx',
        withAnnotations(ingress('shop.example.com'), { 'kubernetes.io/ingress.class': 'nginx' }),
        'allow',
      ],
      ['ingressClassName traefik', withSpec(ingress('shop.example.com'), { ingressClassName: 'traefik' }), 'deny'],
      [
        'legacy annotation traefik',
        withAnnotations(ingress('shop.example.com'), { 'kubernetes.io/ingress.class': 'traefik' }),
        'deny',
      ],
      ['no class', ingress('shop.example.com'), 'deny'],
    ],
  },
  {
    text: 'Ingresses must not use the ingress class public.',
    family: 'ingress-class',
    checks: [
      ['ingressClassName public', withSpec(ingress('shop.example.com'), { ingressClassName: 'public' }), 'deny'],
      [
        'legacy annotation public',
        withAnnotations(ingress('shop.example.com'), { 'kubernetes.io/ingress.class': 'public' }),
        'deny',
      ],
      ['ingressClassName internal', withSpec(ingress('shop.example.com'), { ingressClassName: 'internal' }), 'allow'],
      ['no class', ingress('shop.example.com'), 'allow'],
    ],
  },
  // binding-anonymous: no binding may name system:anonymous or system:unauthenticated.
  {
    text: 'Role bindings must not grant access to the system:anonymous user.',
    family: 'binding-anonymous',
    checks: [
      ['a ClusterRoleBinding to system:anonymous', clusterRoleBinding('view', [user('system:anonymous')]), 'deny'],
      [
        'a ClusterRoleBinding to system:unauthenticated',
        clusterRoleBinding('view', [
          { kind: 'Group', name: 'system:unauthenticated', apiGroup: 'rbac.authorization.k8s.io' },
        ]),
        'deny',
      ],
      [
        'a RoleBinding to system:anonymous',
        { ...roleBinding('view'), subjects: [user('system:anonymous')] } as KubeObject,
        'deny',
      ],
      ['a RoleBinding to carol', roleBinding('view'), 'allow'],
      ['a ClusterRoleBinding to alice', clusterRoleBinding('view', [user('alice')]), 'allow'],
    ],
  },
  {
    // "fewer than 10" is written into the policy as the number named: 10 itself is outside the range.
    text: 'Deployments must have fewer than 10 replicas.',
    family: 'replicas',
    checks: [
      ['9 replicas', deployment([container()], {}, { replicas: 9 }), 'allow'],
      ['10 replicas', deployment([container()], {}, { replicas: 10 }), 'deny'],
      ['no replicas field (1)', deployment([container()]), 'allow'],
    ],
  },
  {
    text: 'StatefulSets must have between 3 and 7 replicas.',
    family: 'replicas',
    checks: [
      ['2 replicas', { ...deployment([container()], {}, { replicas: 2 }), kind: 'StatefulSet' }, 'deny'],
      ['3 replicas', { ...deployment([container()], {}, { replicas: 3 }), kind: 'StatefulSet' }, 'allow'],
      ['7 replicas', { ...deployment([container()], {}, { replicas: 7 }), kind: 'StatefulSet' }, 'allow'],
      ['8 replicas', { ...deployment([container()], {}, { replicas: 8 }), kind: 'StatefulSet' }, 'deny'],
    ],
  },
  {
    // A custom resource's field, set to one value: "set" says the field must be there.
    text: 'PeerAuthentication resources must set spec.mtls.mode to STRICT.',
    family: 'field-value-required',
    checks: [
      ['STRICT', peerAuthentication({ mtls: { mode: 'STRICT' } }), 'allow'],
      ['PERMISSIVE', peerAuthentication({ mtls: { mode: 'PERMISSIVE' } }), 'deny'],
      ['strict (another value: values are exact)', peerAuthentication({ mtls: { mode: 'strict' } }), 'deny'],
      ['no mtls at all', peerAuthentication({ selector: { matchLabels: { app: 'a' } } }), 'deny'],
    ],
  },
  {
    // Quantities are compared as quantities, not as text: 2048Mi is 2Gi, 2.5Gi is over it.
    text: 'Memory limits must be set and must not exceed 2Gi.',
    family: 'resource-bound',
    checks: [
      ['2048Mi', pod([container({ resources: { limits: { memory: '2048Mi' } } })]), 'allow'],
      ['2.5Gi', pod([container({ resources: { limits: { memory: '2.5Gi' } } })]), 'deny'],
      ['3000M (over 2Gi)', pod([container({ resources: { limits: { memory: '3000M' } } })]), 'deny'],
      ['no memory limit (unlimited)', pod([container({ resources: { requests: { memory: '1Gi' } } })]), 'deny'],
      [
        'a Deployment template over the bound',
        deployment([container({ resources: { limits: { memory: '4Gi' } } })]),
        'deny',
      ],
    ],
  },
  {
    text: 'Every container must request at least 100m of CPU.',
    family: 'resource-bound',
    checks: [
      ['0.1 (= 100m)', pod([container({ resources: { requests: { cpu: '0.1' } } })]), 'allow'],
      ['1', pod([container({ resources: { requests: { cpu: '1' } } })]), 'allow'],
      ['50m', pod([container({ resources: { requests: { cpu: '50m' } } })]), 'deny'],
      [
        'an init container at 10m',
        pod([container({ resources: { requests: { cpu: '1' } } })], {
          initContainers: [container({ name: 'i', resources: { requests: { cpu: '10m' } } })],
        }),
        'deny',
      ],
    ],
  },
  {
    text: 'Memory limits, if set, must not exceed 8Gi.',
    family: 'resource-bound',
    checks: [
      ['no memory limit', pod(), 'allow'],
      ['9Gi', pod([container({ resources: { limits: { memory: '9Gi' } } })]), 'deny'],
    ],
  },
  {
    text: 'Pods must not tolerate the node-role.kubernetes.io/control-plane taint.',
    family: 'tolerations',
    checks: [
      [
        'tolerates the control-plane taint',
        pod(undefined, {
          tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
        }),
        'deny',
      ],
      // No key with operator Exists tolerates every taint, the control-plane one included.
      ['tolerates every taint', pod(undefined, { tolerations: [{ operator: 'Exists' }] }), 'deny'],
      [
        'tolerates the master taint (another key)',
        pod(undefined, { tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }] }),
        'allow',
      ],
      ['no tolerations', pod(), 'allow'],
    ],
  },
  {
    text: "Unbounded emptyDir volumes can fill a node's disk. Every emptyDir volume must have a sizeLimit.",
    family: 'emptydir-size-limit',
    checks: [
      ['an emptyDir without a sizeLimit', pod(undefined, { volumes: [{ name: 'v', emptyDir: {} }] }), 'deny'],
      [
        'an emptyDir with a sizeLimit',
        pod(undefined, { volumes: [{ name: 'v', emptyDir: { sizeLimit: '500Mi' } }] }),
        'allow',
      ],
      ['a secret volume', pod(undefined, { volumes: [{ name: 'v', secret: { secretName: 's' } }] }), 'allow'],
    ],
  },
  {
    // Ephemeral containers listed among the containers covered: kubectl debug adds them through
    // pods/ephemeralcontainers, which the policy therefore matches too.
    text: 'Privileged mode gives a container every host device. This policy ensures that privileged is unset or false for every container, init container and ephemeral container.',
    family: 'privileged',
    checks: [
      ['a privileged container', pod([sc({ privileged: true })]), 'deny'],
      [
        'kubectl debug with a privileged ephemeral container',
        {
          subResource: 'ephemeralcontainers',
          operation: 'UPDATE',
          namespace: NS,
          oldObject: pod(),
          object: pod(undefined, {
            ephemeralContainers: [{ name: 'dbg', image: 'busybox:1.36', securityContext: { privileged: true } }],
          }),
        },
        'deny',
      ],
      ['kubectl debug with a plain ephemeral container', addingEphemeral([], ['dbg']), 'allow'],
    ],
  },
  {
    // "the host's namespaces" in the background names no namespace called "s".
    text: "Sharing the host's namespaces lets a container see the node's processes. This policy ensures that hostNetwork, hostPID and hostIPC are unset or set to false.",
    family: 'host-namespaces',
    checks: [
      ['hostPID', pod(undefined, { hostPID: true }), 'deny'],
      ['none', pod(), 'allow'],
    ],
  },
  {
    // Either level will do: the family reads the container's field over the pod's.
    text: 'This policy ensures runAsNonRoot is set to true at the pod level or in every container.',
    family: 'run-as-non-root',
    checks: [
      ['at the pod level', pod(undefined, { securityContext: { runAsNonRoot: true } }), 'allow'],
      ['in the container', pod([sc({ runAsNonRoot: true })]), 'allow'],
      ['neither', pod(), 'deny'],
      [
        'the container overrides the pod with false',
        pod([sc({ runAsNonRoot: false })], { securityContext: { runAsNonRoot: true } }),
        'deny',
      ],
    ],
  },
  {
    text: 'Adding capabilities beyond a small default set lets a container do more than it needs. This policy ensures that only NET_BIND_SERVICE may be added.',
    family: 'capabilities',
    checks: [
      ['NET_BIND_SERVICE added', pod([sc({ capabilities: { add: ['NET_BIND_SERVICE'] } })]), 'allow'],
      ['NET_ADMIN added', pod([sc({ capabilities: { add: ['NET_ADMIN'] } })]), 'deny'],
      ['nothing added', pod(), 'allow'],
    ],
  },
  {
    text: 'Only NET_BIND_SERVICE and CHOWN may be added.',
    family: 'capabilities',
    checks: [
      ['CHOWN added', pod([sc({ capabilities: { add: ['CHOWN'] } })]), 'allow'],
      ['SYS_ADMIN added', pod([sc({ capabilities: { add: ['SYS_ADMIN'] } })]), 'deny'],
    ],
  },
  {
    // Advice on what to use instead is not the rule: the rule bans k8s.gcr.io, it does not require registry.k8s.io.
    text: 'The k8s.gcr.io registry is frozen. Images must not come from k8s.gcr.io. Use registry.k8s.io instead.',
    family: 'image-registry',
    checks: [
      ['from k8s.gcr.io', pod([container({ image: 'k8s.gcr.io/pause:3.9' })]), 'deny'],
      ['from registry.k8s.io', pod([container({ image: 'registry.k8s.io/pause:3.9' })]), 'allow'],
      ['from quay.io', pod([container({ image: 'quay.io/org/app:1' })]), 'allow'],
    ],
  },
  {
    text: 'Setting a custom SELinux type can let a container escape. This policy ensures that seLinuxOptions.type is unset or one of container_t, container_init_t, container_kvm_t.',
    family: 'selinux',
    checks: [
      ['no seLinuxOptions', pod(), 'allow'],
      ['type container_init_t', pod([sc({ seLinuxOptions: { type: 'container_init_t' } })]), 'allow'],
      ['type spc_t', pod([sc({ seLinuxOptions: { type: 'spc_t' } })]), 'deny'],
      ['pod-level type spc_t', pod(undefined, { securityContext: { seLinuxOptions: { type: 'spc_t' } } }), 'deny'],
    ],
  },
  {
    text: 'The proc mount type Unmasked exposes kernel details. Containers must use the Default procMount.',
    family: 'proc-mount',
    checks: [
      ['Unmasked', pod([sc({ procMount: 'Unmasked' })]), 'deny'],
      ['Default', pod([sc({ procMount: 'Default' })]), 'allow'],
      ['unset (the API server makes it Default)', pod(), 'allow'],
    ],
  },
  {
    text: 'PersistentVolumeClaims must not request more than 100Gi of storage.',
    family: 'claim-storage-bound',
    checks: [
      ['1Gi', claim(), 'allow'],
      ['100Gi', { ...claim(), spec: { resources: { requests: { storage: '100Gi' } } } } as KubeObject, 'allow'],
      ['0.5Ti', { ...claim(), spec: { resources: { requests: { storage: '0.5Ti' } } } } as KubeObject, 'deny'],
      ['200G', { ...claim(), spec: { resources: { requests: { storage: '200G' } } } } as KubeObject, 'deny'],
    ],
  },
  {
    // The value named is the offence: a container without a memory limit is not "above 2Gi".
    text: 'Containers with memory limits above 2Gi are not allowed.',
    family: 'resource-bound',
    checks: [
      ['3Gi', pod([container({ resources: { limits: { memory: '3Gi' } } })]), 'deny'],
      ['2Gi', pod([container({ resources: { limits: { memory: '2Gi' } } })]), 'allow'],
      ['no memory limit', pod(), 'allow'],
    ],
  },
  {
    // "HPA" is kubectl's short name; "must set" asks for the field, so an HPA without minReplicas is denied.
    text: 'HPAs must set minReplicas to at least 2.',
    family: 'hpa-min-replicas',
    checks: [
      [
        'minReplicas 2',
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'h', namespace: NS },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
            minReplicas: 2,
            maxReplicas: 10,
          },
        } as KubeObject,
        'allow',
      ],
      [
        'minReplicas 1',
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'h', namespace: NS },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
            minReplicas: 1,
            maxReplicas: 10,
          },
        } as KubeObject,
        'deny',
      ],
      [
        'no minReplicas',
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'h', namespace: NS },
          spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
        } as KubeObject,
        'deny',
      ],
    ],
  },
  {
    text: 'PVCs must not request more than 100Gi of storage.',
    family: 'claim-storage-bound',
    checks: [['150Gi', { ...claim(), spec: { resources: { requests: { storage: '150Gi' } } } } as KubeObject, 'deny']],
  },
  {
    text: 'An image without a digest can change. This policy requires images to be referenced by digest.',
    family: 'image-tag',
    checks: [
      ['a tag only', pod([container({ image: 'registry.example.com/app:1.0' })]), 'deny'],
      ['a digest', pod([container({ image: `registry.example.com/app@sha256:${'a'.repeat(64)}` })]), 'allow'],
    ],
  },
  {
    text: 'Naked pods are not recreated when they fail. This policy requires pods to be managed by a workload controller.',
    family: 'bare-pods',
    checks: [['a bare pod', pod(), 'deny']],
  },
  {
    text: 'Service accounts can be bound to powerful roles. This policy prevents RoleBindings from granting the cluster-admin ClusterRole.',
    family: 'binding-role-forbidden',
    checks: [
      ['a RoleBinding to cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to view', roleBinding('view'), 'allow'],
    ],
  },
  {
    text: 'Pods must not enable hostNetwork.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork true', pod(undefined, { hostNetwork: true }), 'deny'],
      ['hostNetwork false', pod(undefined, { hostNetwork: false }), 'allow'],
      ['hostPID true (not named)', pod(undefined, { hostPID: true }), 'allow'],
    ],
  },
  {
    text: 'Containers must not enable privileged mode.',
    family: 'privileged',
    checks: [
      ['privileged', pod([sc({ privileged: true })]), 'deny'],
      ['not privileged', pod([sc({ privileged: false })]), 'allow'],
    ],
  },
];

/** Not expressible offline, or not readable with certainty: an honest refusal. */
const REFUSED: Array<[string, string]> = [
  [
    'Privileged containers, init containers and ephemeral containers are not allowed.',
    'a list of three subjects: it may ban init and ephemeral containers outright',
  ],
  ['Deployments must have fewer than 1 replica.', 'only 0 is left'],
  [
    'HPA minReplicas should be 2 or more',
    'whether an HPA without minReplicas passes is not said (Polaris allows it; the API server would default it to 1)',
  ],
  ['Memory limits must not exceed 2Gi.', 'whether a container without a memory limit passes is not said'],
  ['CPU requests must be at least 100m.', 'whether a container without a CPU request passes is not said'],
  ['The total memory requests of a pod must not exceed 4Gi.', 'a sum over the containers, not a bound on each'],
  ['Memory limits must not exceed twice the memory request.', 'a bound relative to another field'],
  ['Containers must not use the Default procMount.', 'forbids what the family requires'],
  [
    'Containers may only add NET_BIND_SERVICE in the prod namespace.',
    '"only" may limit the capabilities or the namespaces',
  ],
  [
    'Ephemeral containers and privileged containers are not allowed.',
    'two rules: ephemeral containers at all, and privileged ones',
  ],
  ['emptyDir volumes with medium Memory must set a sizeLimit.', 'a condition on the volume'],
  ['Only pods in the infra namespace may tolerate the node-role.kubernetes.io/control-plane taint.', 'an allow-list'],
  ['Pods must tolerate the dedicated taint.', 'a required toleration, not a forbidden one'],
  ['CPU and memory limits must not exceed 2.', 'one number for two resources (2 bytes of memory?)'],
  ['Memory limits must not exceed 2 Gi.', 'a quantity written apart from its unit'],
  ['Memory limits should be at most 2Gi, except for init containers.', 'an exception'],
  [
    'Deployments must set spec.template.spec.hostNetwork to false.',
    'an unset boolean is false already: "set to false" would deny the ordinary object',
  ],
  ['Deployments must set spec.strategy.type to RollingUpdate or Recreate.', 'a list of values'],
  ['PeerAuthentication resources should set spec.mtls.mode to STRICT when they select workloads.', 'a condition'],
  ['Deployments must not have at least 3 replicas.', 'a negated lower bound: what is forbidden is not one range'],
  ['Deployments must not have between 2 and 4 replicas.', 'a negated range: two ranges allowed'],
  ['Deployments must have between 10 and 2 replicas.', 'an empty range'],
  ['Pods must have hostNetwork enabled.', 'requires what the host-namespaces family forbids'],
  ['CronJobs must not set concurrencyPolicy to Sometimes.', 'a value the field does not take'],
  ['Ingresses must set ingressClassName nginx.', 'a free-form value without "to": not read'],
  [
    'Users in the dev group should not be able to create Ingresses with a wildcard host.',
    'who may create them is not read',
  ],
  ['Ingresses must not have a wildcard host unless it is under example.com.', 'an exception'],
  ['Secrets must be mounted as files, not environment variables.', 'a requirement on the form, not a plain ban'],
  ['Pods must not mount /var/run/app.sock.', 'a socket that is no container runtime'],
  ['Only nodeSelector may be used to pin pods.', 'an allow-list of scheduling fields'],
  ['Pods must set a nodeSelector.', 'a requirement, not a ban'],
  ['Wildcards in RBAC rules are not allowed.', 'which list (verbs, resources, apiGroups) is not said'],
  ['Roles must not use wildcard verbs or grant access to Secrets.', 'two rules in one statement'],
  [
    'Only platform admins may create Roles that grant access to Secrets.',
    'who may create it is not a role content rule',
  ],
  [
    'The Role allows pods/exec or pods/attach',
    'a description of the failing object: read as a requirement, so refused',
  ],
  ['RoleBindings must not grant the escalate verb.', 'a binding grants no verbs'],
  [
    'SELinux options can be used to escalate privileges. This policy ensures that the `seLinuxOptions` type is one of the allowed values.',
    'the allowed values are not named',
  ],
  [
    'Sysctls can disable security mechanisms or affect all containers on a host. This policy ensures only a safe subset of sysctls can be set.',
    'the safe subset is not named',
  ],
  [
    'This policy ensures containers are not privileged and do not allow privilege escalation.',
    'two rules in one statement',
  ],
  [
    'Workloads without requests are hard to schedule. This policy adds default CPU requests of 100m to containers that lack them.',
    'a mutation no family writes',
  ],
  [
    'This policy ensures Pods set `automountServiceAccountToken` to `true`.',
    'requires what the automount family forbids',
  ],
  [
    'This policy ensures that `automountServiceAccountToken` is unset or set to `false`.',
    'unset would allow the default (true): not the same rule',
  ],
  [
    'This policy ensures the seccomp profile is set to `RuntimeDefault`, not `Unconfined`.',
    'an allow-list and a ban mixed',
  ],
  ['This policy ensures Services only use external IPs from `203.0.113.0/24`.', 'an allow-list of addresses'],
  ['This policy ensures the `procMount` field is set to `Unmasked`.', 'requires what the family forbids'],
  ['This policy ensures that `runAsUser` is set to `0`.', 'requires root'],
  ['This policy ensures that `runAsUser` is set to a non-zero value.', '"set to" may demand the field: not read'],
  ['Adding capabilities beyond those listed in the policy must be disallowed.', 'the list is not named'],
  [
    'Define and use labels that identify an application. This policy validates that the label `app.kubernetes.io/name` is specified with some value.',
    'no kind named',
  ],
  ['This policy ensures that there is a hostname for each rule defined.', 'no kind named'],
  [
    'This policy, applied to new clusters only, ensures containers are not privileged.',
    'an aside the reading cannot place',
  ],
  // ("Privileged Pods disable most security mechanisms and must be disallowed." is read since: offline-styles16.)
  [
    'Seccomp profile must be explicitly set to one of the allowed values. Both the Unconfined profile and the absence of a profile are prohibited.',
    'the allowed values are not named',
  ],
  ['Images must come from approved registries (such as registry.example.com).', 'an example is not the list'],
  ['Adding capabilities other than the ones listed is disallowed.', 'the list is not named'],
  [
    'Containers must drop `ALL` capabilities and must not add any.',
    'two statements about capabilities the family does not combine',
  ],
  ['This policy ensures the `hostProcess` field is set to `true`.', 'requires what the family forbids'],
  [
    'This policy ensures that `hostProcess` and `privileged` are unset or set to `false`.',
    'two rules in one statement',
  ],
  [
    'This policy ensures that ServiceAccounts set `automountServiceAccountToken` to `false`.',
    'about ServiceAccount objects, not pods',
  ],
  [
    'This policy ensures that initContainers are not privileged.',
    'init containers only is a narrower rule than the family writes',
  ],
  [
    'This policy validates that Pods use a namespace other than `default` or `kube-public`.',
    'a list after "other than" is not read',
  ],
  ['Pods must not use hostNetwork.\nExempt images: trusted.example.io/*.', 'a pod-level field cannot exempt one image'],
  [
    'Images must come from registry.example.com.\nExempt images: trusted.example.io/*.',
    'an exemption list is not a registry list',
  ],
  ['Containers must use the `unconfined` AppArmor profile.', 'requires what the AppArmor ban forbids'],
  ['The AppArmor profile must be `runtime/default`, not `unconfined`.', 'an allow-list and a ban mixed'],
  ['Pods must set seLinuxOptions.', 'requires what the SELinux ban forbids'],
  ['The SELinux user must be one of system_u.', 'only types (or whole configurations) are read'],
  ['Sysctls other than kernel.shm_rmid_forced are allowed.', 'the list would be inverted'],
  ['Pods should not use emptyDir volumes larger than 1Gi.', 'a size, not a type'],
  ['Fails when a liveness probe is configured.', '"fails when" a probe is set: the probes family requires it'],
  ['Only RuntimeDefault AppArmor profiles are allowed for privileged containers.', 'two rules in one statement'],
  ['Ingress does not have TLS configured', 'a description of the failing object: read as a ban on TLS, so refused'],
  ['Pod should be configured with a valid topology spread constraint', 'validity is not read'],
  ['Pods must set the priority class high.', 'a value, not only presence'],
  ['Ingress TLS must use the secret wildcard-cert.', 'a particular secret'],
  ['This policy ensures `runAsGroup` is set to `0`.', 'requires the root group'],
  ['Pods must set `fsGroup`.', 'presence, not the root group'],
  ['The runAsUser and runAsGroup fields must not be 0.', 'two rules in one statement'],
  ['Containers must not set CPU and memory limits.', 'the pair, or each of them: not said'],
  ['CPU limits are required unless the pod belongs to a Job.', 'an exception'],
  ['Containers must set CPU limits or requests.', 'either of two'],
  ['Image pull policy must not be Always or Never.', 'two values'],
  ['Pods may use user 0.', 'a permission, not a rule'],
  ['Pods must run as user 0.', 'requires root'],
  ['runAsUser greater than 1000 is not allowed.', 'a ban on values says nothing of an unset field'],
  ['runAsUser must not be less than 1000.', 'a ban on values says nothing of an unset field'],
  ['runAsUser must be greater than 1000 unless the pod is privileged.', 'an exception'],
  ['Pods must use the default service account.', 'requires what the family forbids'],
  ['Pods must not use a non-default service account.', 'requires the default one'],
  ['The default service account must not have image pull secrets.', 'about the ServiceAccount object, not pods'],
  ['Pods must set hostAliases.', 'requires what the family forbids'],
  ['shareProcessNamespace must be true.', 'requires what the family forbids'],
  ['Pods must not set hostAliases or hostNetwork.', 'two rules in one statement'],
  ['Containers must use subPath volume mounts.', 'requires what the family forbids'],
  ['Containers must not use subPath mounts of more than 2 levels.', 'a depth, not the field'],
  ['AppArmor profiles other than unconfined are not allowed.', 'only unconfined would be allowed: not read'],
  ['AppArmor profiles other than runtime/default are allowed.', 'the list would be read backwards'],
  ['Seccomp profiles other than RuntimeDefault are not allowed.', 'an unset seccomp profile is not said'],
  ['Services other than the kube-dns Service are not allowed.', 'a name, not a type'],
  ['Only a safe subset of sysctls may be set.', 'which subset is not said'],
  ['Only safe sysctls and net.core.somaxconn may be set.', 'a name added to the safe set'],
  ['Unsafe sysctls are allowed.', 'a permission, not a rule'],
  ['Pods must not set unsafe sysctls such as kernel.msgmax.', 'an example is not the list'],
  ['Pods may only use configMap, secret, or nfs-client volumes.', 'a volume type that does not exist'],
  ['ClusterRoleBindings to cluster-admin are allowed.', 'a permission, not a ban'],
  ['ClusterRoleBindings to cluster-admin are not allowed unless the subject is the group ops.', 'an exception'],
  ['Bare pods are allowed.', 'a permission, not a ban'],
  ['Pods must not be managed by a controller.', 'requires bare pods'],
  ['Deployments without a controller are not allowed.', 'a Deployment has no controller to have'],
  ['Pods owned by a controller must not be deleted.', 'a condition the deletion ban would drop'],
  ['Pods must define a PodDisruptionBudget.', 'needs another object: not an admission check'],
  ['NetworkPolicies are required in every namespace.', 'needs other objects: not an admission check'],
  ['Namespaces labelled protected=true may be deleted.', 'a permission, not a ban'],
  ['SELinux options must not be set by any user.', 'who sets them is not a field'],
  ['Custom SELinux user and role options are not allowed.', 'the pair, or each of them: not said'],
  ['Pods must set an SELinux user.', 'requires what the family forbids'],
  ['ConfigMaps may be deleted.', 'a permission, not a ban'],
  ['Namespaces must not be deleted when they have resources.', 'a condition the ban would drop'],
  ['ConfigMaps may not be deleted unless they are labelled temporary.', 'an exception'],
  ['Only admins may delete namespaces.', 'who may is not named as a group or user'],
  ['Deployments may not be scaled.', 'scaling is not an operation word'],
  ['ConfigMaps that have the label keep may not be deleted.', 'a condition on the object'],
  ['Only admins may exec into pods.', 'who may is not named as a group or user'],
  ['Exec into pods is allowed.', 'a permission, not a ban'],
  ['Exec into pods must be logged.', 'an audit, not a ban'],
  ['Exec into pods is not allowed unless the user is in group sre.', 'an exception'],
  ['Containers must not use exec probes.', 'a probe handler, not kubectl exec'],
  ['Exec into Deployments is not allowed.', 'exec opens a pod, not a Deployment'],
  ['Pods must not attach volumes from the host.', 'attach is not a connection here'],
  ['kubectl exec into the container app is not allowed.', 'one container: not read'],
  ['Ephemeral containers must not be privileged.', 'what they do, not whether they may exist'],
  ['Deployments must not use ephemeral containers.', 'a pod template cannot carry them'],
  ['Pods must not have more than one ephemeral container.', 'a count, not a ban'],
  ['Ephemeral containers and privileged containers are not allowed.', 'two rules in one statement'],
  ['Ingresses must configure TLS for every host.', 'which hosts TLS covers is another rule'],
  ['Ingresses may configure TLS.', 'a permission, not a rule'],
  ['Every Ingress must set a host.', 'an Ingress without rules: not said'],
  ['Ingress rules may have a host.', 'a permission, not a rule'],
  ['Every Ingress rule with a path must set a host.', 'a condition on the rule'],
  ['Every Ingress rule must set a host under example.com.', 'the domain rule allows a rule without a host'],
  ['Pods may only set unsafe sysctls.', 'the unsafe ones are not a list'],
  ['Container images must not have a tag other than latest.', 'requires latest'],
  ['Containers must use a tag other than stable.', 'a tag the family does not read'],
  ['This policy disallows overriding the AppArmor profile.', 'with which profile is not said'],
  ['This policy disallows overriding the AppArmor profile with runtime/default.', 'a ban on the default profile'],
  ['Ingresses must use the default ingress class.', 'the default class is not a name'],
  ['The ingress class must be nginx.', 'of what is not said'],
  ['Ingresses may use the ingress class nginx.', 'a permission, not a rule'],
  ['Ingresses must use an ingress class other than nginx.', 'every other class: not read'],
  ['Ingresses must set an ingress class.', 'presence, which class not said'],
  ['Role bindings must not grant access to the system:authenticated group.', 'another group'],
  ['Role bindings may grant access to the system:anonymous user.', 'a permission, not a ban'],
  ['ClusterRoleBindings to cluster-admin must not include the system:anonymous user.', 'only bindings to one role'],
  ['Bindings must not grant the edit role to anonymous users.', 'only bindings to one role'],
  [
    'Containers must not run with group ID 0.',
    'an unset runAsGroup runs the image group (often 0): whether unset is allowed is not said',
  ],
];

async function failuresOn(text: string, checks: Check[]): Promise<string[]> {
  const u = understandOffline({ text });
  const assembled = assemblePolicy(u.spec, { text });
  const inlined = {
    ...assembled,
    spec: { ...assembled.spec, javascript: inlineSkills(assembled.spec.javascript ?? '', builtinSkills) },
  };
  const policy = harden(inlined, u.plan, { text });
  const cases: TestCase[] = checks.map(([name, o, expect]) =>
    Array.isArray(o)
      ? { name, operation: 'UPDATE', oldObject: o[0], object: o[1], expect }
      : isDeletion(o)
        ? { name, operation: 'DELETE', oldObject: o.delete, expect }
        : isSubresource(o)
          ? { name, ...o, expect }
          : { name, object: o, expect },
  );
  // The planner's own cases must pass too: they are what "verified" rests on.
  const run = await sandbox.runSuite(policy, [...cases, ...u.plan.tests]);
  return run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`);
}

/** A set of readings (each verified in the sandbox, planned cases included) and refusals, as one describe block. */
function describeReadings(
  title: string,
  read: Array<{ text: string; family: string; checks: Check[] }>,
  refused: Array<[string, string]> = [],
): void {
  describe(title, () => {
    it.each(read.map((r) => [r.text, r] as const))('"%s"', async (_text, r) => {
      expect(understandOffline({ text: r.text }).family).toBe(r.family);
      expect(await failuresOn(r.text, r.checks)).toEqual([]);
    });
    if (refused.length)
      it.each(refused)('refuses "%s" (%s)', (text) => {
        expect(() => understandOffline({ text })).toThrow(/does not understand|combines/);
      });
  });
}

describe('offline mode on library-style descriptions (rationale + "This policy ensures …")', () => {
  it.each(READ.map((r) => [r.family, r.text, r] as const))('%s: "%s"', async (_family, _text, r) => {
    expect(understandOffline({ text: r.text }).family).toBe(r.family);
    expect(await failuresOn(r.text, r.checks)).toEqual([]);
  });

  it.each(REFUSED)('refuses "%s" (%s)', (text) => {
    let code: string | undefined;
    try {
      understandOffline({ text });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe('PF_ERR_OFFLINE_UNSUPPORTED');
  });

  it('covers at least 30 intents, most of them read', () => {
    expect(READ.length + REFUSED.length).toBeGreaterThanOrEqual(30);
    expect(READ.length).toBeGreaterThan(REFUSED.length);
  });
});

// Bindings to a named role, said with a verb ("must not grant the cluster-admin role"). A RoleBinding can refer to a
// ClusterRole; "role bindings" (spaced) and "bindings" are both kinds; a role whose kind is not said ("the
// cluster-admin role", "cluster-admin") is matched by name whether it is a Role or a ClusterRole.
const toRole = (kind: 'Role' | 'ClusterRole', name: string, binding: KubeObject = roleBinding(name)): KubeObject =>
  ({ ...binding, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name } }) as KubeObject;
const READ_BINDINGS: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'RoleBindings must not grant the cluster-admin role.',
    family: 'binding-role-forbidden',
    checks: [
      ['a RoleBinding to the ClusterRole cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to a Role named cluster-admin', toRole('Role', 'cluster-admin'), 'deny'],
      ['a RoleBinding to the ClusterRole edit', roleBinding('edit'), 'allow'],
      [
        'a ClusterRoleBinding (another kind) to cluster-admin',
        clusterRoleBinding('cluster-admin', [user('a')]),
        'allow',
      ],
    ],
  },
  {
    text: 'Role bindings and cluster role bindings must not reference the cluster-admin ClusterRole.',
    family: 'binding-role-forbidden',
    checks: [
      ['a ClusterRoleBinding to cluster-admin', clusterRoleBinding('cluster-admin', [user('a')]), 'deny'],
      ['a RoleBinding to the ClusterRole cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to a Role named cluster-admin (not the ClusterRole)', toRole('Role', 'cluster-admin'), 'allow'],
      ['a ClusterRoleBinding to view', clusterRoleBinding('view', [user('a')]), 'allow'],
    ],
  },
  {
    text: 'No binding may grant cluster-admin.',
    family: 'binding-role-forbidden',
    checks: [
      ['a ClusterRoleBinding to cluster-admin', clusterRoleBinding('cluster-admin', [user('a')]), 'deny'],
      ['a RoleBinding to the ClusterRole cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to a Role named cluster-admin', toRole('Role', 'cluster-admin'), 'deny'],
      ['a RoleBinding to admin', roleBinding('admin'), 'allow'],
      ['a ClusterRoleBinding to edit', clusterRoleBinding('edit', [user('a')]), 'allow'],
    ],
  },
  {
    text: 'Role bindings must not grant cluster-admin.',
    family: 'binding-role-forbidden',
    checks: [
      [
        'a ClusterRoleBinding to cluster-admin ("role bindings" is both kinds)',
        clusterRoleBinding('cluster-admin', []),
        'deny',
      ],
      ['a RoleBinding to the ClusterRole cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to view', roleBinding('view'), 'allow'],
    ],
  },
  // The kind of role not said: a Role or a ClusterRole of that name (was refused; both are denied, the deny side).
  {
    text: 'RoleBindings to admin are forbidden.',
    family: 'binding-role-forbidden',
    checks: [
      ['a RoleBinding to the ClusterRole admin', roleBinding('admin'), 'deny'],
      ['a RoleBinding to a Role named admin', toRole('Role', 'admin'), 'deny'],
      ['a RoleBinding to the ClusterRole edit', roleBinding('edit'), 'allow'],
    ],
  },
  {
    text: 'Cluster role bindings to cluster-admin are not allowed.',
    family: 'binding-role-forbidden',
    checks: [
      ['a ClusterRoleBinding to cluster-admin', clusterRoleBinding('cluster-admin', [user('a')]), 'deny'],
      ['a RoleBinding to the ClusterRole cluster-admin (another kind)', roleBinding('cluster-admin'), 'allow'],
    ],
  },
];

const REFUSED_BINDINGS: Array<[string, string]> = [
  ['Role bindings, but not cluster role bindings, must not grant cluster-admin.', 'a contrast between the kinds'],
  ['RoleBindings must not grant the cluster-admin role to users.', 'a rule on subjects'],
  ['RoleBindings must not grant cluster-admin, admin or edit.', 'several roles'],
  ['RoleBindings may grant the cluster-admin role.', 'a permission, not a ban'],
  ['RoleBindings must not reference ClusterRoles.', 'a kind of role, not a named one'],
  ['No binding may grant cluster-admin in namespace prod.', 'a ClusterRoleBinding has no namespace'],
];

describeReadings('bindings to a named role, said with a verb', READ_BINDINGS, REFUSED_BINDINGS);

// Several label or annotation keys at once: joined by "and", each one is required (an object missing any one is
// denied); joined by "or", at least one. A rule on Pods covers the pod templates of pod controllers.
const labelledPod = (labels: Record<string, string>): KubeObject => ({
  ...pod(),
  metadata: { ...pod().metadata, labels },
});
const templated = (labels: Record<string, string>): KubeObject => {
  const d = deployment([container()]);
  const spec = d.spec as { template: { metadata: Record<string, unknown> } };
  return { ...d, spec: { ...spec, template: { ...spec.template, metadata: { labels } } } } as KubeObject;
};
const labelledDeployment = (labels: Record<string, string>): KubeObject => deployment([container()], {}, { labels });
const READ_KEYS: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Pods must have the labels app and team.',
    family: 'metadata-required',
    checks: [
      ['a Pod with app and team', labelledPod({ app: 'web', team: 'shop' }), 'allow'],
      ['a Pod with app only', labelledPod({ app: 'web' }), 'deny'],
      ['a Pod with team only', labelledPod({ team: 'shop' }), 'deny'],
      ['a Pod with an empty team', labelledPod({ app: 'web', team: '' }), 'deny'],
      ['a Deployment whose pods carry both', templated({ app: 'web', team: 'shop' }), 'allow'],
      ['a Deployment whose pods lack team', templated({ app: 'web' }), 'deny'],
    ],
  },
  {
    text: 'Every Deployment must carry the labels app.kubernetes.io/name and app.kubernetes.io/version.',
    family: 'metadata-required',
    checks: [
      [
        'both keys',
        labelledDeployment({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/version': '1.2' }),
        'allow',
      ],
      ['the name only', labelledDeployment({ 'app.kubernetes.io/name': 'web' }), 'deny'],
      ['the version only', labelledDeployment({ 'app.kubernetes.io/version': '1.2' }), 'deny'],
      ['a Pod (not a Deployment) without them', pod(), 'allow'],
    ],
  },
  {
    text: 'Pods must have both an app label and an owner label.',
    family: 'metadata-required',
    checks: [
      ['both', labelledPod({ app: 'web', owner: 'ana' }), 'allow'],
      ['app only', labelledPod({ app: 'web' }), 'deny'],
      ['owner only', labelledPod({ owner: 'ana' }), 'deny'],
    ],
  },
  {
    text: 'Namespaces must have the annotations owner and cost-center.',
    family: 'metadata-required',
    checks: [
      ['both', withAnnotations(namespaceObject(undefined), { owner: 'ana', 'cost-center': 'cc1' }), 'allow'],
      ['owner only', withAnnotations(namespaceObject(undefined), { owner: 'ana' }), 'deny'],
      ['cost-center only', withAnnotations(namespaceObject(undefined), { 'cost-center': 'cc1' }), 'deny'],
      ['both as labels, not annotations', namespaceObject({ owner: 'ana', 'cost-center': 'cc1' }), 'deny'],
    ],
  },
  {
    text: 'Pods must have the label app or team.',
    family: 'metadata-required',
    checks: [
      ['app only', labelledPod({ app: 'web' }), 'allow'],
      ['team only', labelledPod({ team: 'shop' }), 'allow'],
      ['both', labelledPod({ app: 'web', team: 'shop' }), 'allow'],
      ['neither', labelledPod({ tier: 'front' }), 'deny'],
      ['a Deployment whose pods carry team only', templated({ team: 'shop' }), 'allow'],
      ['a Deployment whose pods carry neither', templated({ tier: 'front' }), 'deny'],
    ],
  },
  {
    text: 'Pods must have the label env=prod and tier=web.',
    family: 'metadata-required',
    checks: [
      ['env=prod and tier=web', labelledPod({ env: 'prod', tier: 'web' }), 'allow'],
      ['env=dev and tier=web', labelledPod({ env: 'dev', tier: 'web' }), 'deny'],
      ['env=prod and tier=db', labelledPod({ env: 'prod', tier: 'db' }), 'deny'],
      ['env=prod only', labelledPod({ env: 'prod' }), 'deny'],
    ],
  },
];

const REFUSED_KEYS: Array<[string, string]> = [
  ['Pods must have either an app label or a team label.', '"either … or": one, or exactly one'],
  ['Pods without the labels app and team are not allowed.', 'without the pair, or without each: not said'],
  ['Pods must not have the labels app and team.', 'the pair, or each of them: not said'],
  ['Pods must have the labels app and team or owner.', '"and" mixed with "or"'],
  ['Pods must have the labels env=prod or tier=web.', 'values in an "or" list'],
  ['Pods must have the label app and the annotation team.', 'a label and an annotation'],
  ['Pods must have at least one of the labels app and team.', 'a count'],
];

describeReadings('several label or annotation keys required at once', READ_KEYS, REFUSED_KEYS);

// The label app on Pods: the planned cases for pod controllers must be writable (the sample Deployment selects its
// pods by app, so its template always carried app and "a Deployment with app on itself only" failed its own case).
const READ_APP_KEY: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Pods must have the label app.',
    family: 'metadata-required',
    checks: [
      ['a Pod with app', labelledPod({ app: 'web' }), 'allow'],
      ['a Pod without app', labelledPod({ team: 'shop' }), 'deny'],
      ['a Deployment whose pods carry app', templated({ app: 'web' }), 'allow'],
    ],
  },
  {
    text: 'Deny pods with the label app.',
    family: 'metadata-forbidden',
    checks: [
      ['a Pod with app', labelledPod({ app: 'web' }), 'deny'],
      ['a Pod without app', labelledPod({ team: 'shop' }), 'allow'],
      ['a Deployment whose pods carry app', templated({ app: 'web' }), 'deny'],
    ],
  },
];

describeReadings('the label app on Pods and their controllers', READ_APP_KEY);

// Delete protection selected by a label: a DELETE request carries the object in oldObject. A sentence about what
// deleting a namespace does is background when Namespaces are the rule's subject; a qualifier ahead of "must not be
// deleted" is which objects are protected.
const READ_DELETE: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Namespaces labelled protected=true must not be deleted.',
    'Deleting a namespace removes everything in it. Namespaces labelled protected=true must not be deleted.',
    'Namespaces with the label protected=true must not be deleted.',
  ].map((text) => ({
    text,
    family: 'delete-protection',
    checks: [
      ['deleting a protected Namespace', deleting(namespaceObject({ protected: 'true' })), 'deny'],
      ['deleting a Namespace labelled protected=false', deleting(namespaceObject({ protected: 'false' })), 'allow'],
      ['deleting an unlabelled Namespace', deleting(namespaceObject(undefined)), 'allow'],
      ['creating a protected Namespace', namespaceObject({ protected: 'true' }), 'allow'],
    ] as Check[],
  })),
];

const REFUSED_DELETE: Array<[string, string]> = [
  [
    "Deleting a namespace 'prod' removes everything in it. Namespaces labelled protected=true must not be deleted.",
    'a named namespace in the background',
  ],
  [
    'Deleting a namespace removes everything in it. Pods labelled protected=true must not be deleted.',
    'the background is about another kind',
  ],
  ['Namespaces with the label protected=true must be deleted.', 'not a ban'],
  ['Namespaces with the label protected=true must not be updated.', 'an update, not a deletion'],
];

describeReadings('delete protection selected by a label', READ_DELETE, REFUSED_DELETE);

// "from setting X to true": the value after "setting", as after "set". A ban on true leaves an unset field alone; a
// ban on false (or on true where the default is true) is not the family's rule, which denies an unset field too.
const READ_SETTING: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: "Pods should not share the host's process ID namespace. This policy prevents pods from setting hostPID to true.",
    family: 'host-namespaces',
    checks: [
      ['hostPID: true', pod(undefined, { hostPID: true }), 'deny'],
      ['hostPID: true in a Deployment', deployment([container()], { hostPID: true }), 'deny'],
      ['hostPID: false', pod(undefined, { hostPID: false }), 'allow'],
      ['hostPID unset', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy blocks Pods from setting hostNetwork to true.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork: true', pod(undefined, { hostNetwork: true }), 'deny'],
      ['hostNetwork: false', pod(undefined, { hostNetwork: false }), 'allow'],
      ['hostPID: true (another field)', pod(undefined, { hostPID: true }), 'allow'],
    ],
  },
  {
    text: 'This policy prevents containers from setting privileged to true.',
    family: 'privileged',
    checks: [
      ['privileged: true', pod([sc({ privileged: true })]), 'deny'],
      ['privileged: false', pod([sc({ privileged: false })]), 'allow'],
      ['unset', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy prevents containers from setting allowPrivilegeEscalation to true.',
    family: 'privilege-escalation',
    checks: [
      ['allowPrivilegeEscalation: true', pod([sc({ allowPrivilegeEscalation: true })]), 'deny'],
      ['allowPrivilegeEscalation: false', pod([sc({ allowPrivilegeEscalation: false })]), 'allow'],
      ['unset (only true is banned)', pod(), 'allow'],
    ],
  },
  {
    text: 'This policy requires setting runAsNonRoot to true.',
    family: 'run-as-non-root',
    checks: [
      ['runAsNonRoot: true', pod([sc({ runAsNonRoot: true })]), 'allow'],
      ['runAsNonRoot: false', pod([sc({ runAsNonRoot: false })]), 'deny'],
      ['unset', pod(), 'deny'],
    ],
  },
];

const REFUSED_SETTING: Array<[string, string]> = [
  ['Containers must not set runAsNonRoot to false.', 'leaves an unset field alone; the family denies it'],
  ['This policy prevents containers from setting runAsNonRoot to false.', 'leaves an unset field alone'],
  ['runAsNonRoot must not be false.', 'leaves an unset field alone'],
  [
    'This policy prevents pods from setting automountServiceAccountToken to true.',
    'leaves an unset field (true by default) alone; the family denies it',
  ],
  ['This policy disallows setting hostNetwork to false.', 'a ban on false'],
  ['This policy prevents containers from setting runAsNonRoot to true.', 'a ban on what the family requires'],
];

describeReadings('"from setting X to true"', READ_SETTING, REFUSED_SETTING);

// "This policy only allows X": the allow-list said as what the policy does, read as "only X are allowed" / "only X
// may be added". A scope after X ("in namespace web", "for Deployments") or X allowed to do something ("only allows
// pods to use …") leaves open which word "only" limits: refused.
const withSysctls = (...names: string[]): KubeObject =>
  pod(undefined, { securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) } });
const adding = (...add: string[]): Record<string, unknown> => sc({ capabilities: { add } });
const READ_ONLY_ALLOWS: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Adding capabilities beyond the default set can allow a container to break out. This policy only allows the capability NET_BIND_SERVICE to be added.',
    'This policy only allows NET_BIND_SERVICE to be added.',
    'Only the capability NET_BIND_SERVICE may be added.',
  ].map((text) => ({
    text,
    family: 'capabilities',
    checks: [
      ['NET_BIND_SERVICE added', pod([adding('NET_BIND_SERVICE')]), 'allow'],
      ['nothing added', pod(), 'allow'],
      ['NET_ADMIN added', pod([adding('NET_ADMIN')]), 'deny'],
      ['NET_BIND_SERVICE and SYS_TIME added', pod([adding('NET_BIND_SERVICE', 'SYS_TIME')]), 'deny'],
    ] as Check[],
  })),
  ...[
    'Images must come from a trusted registry. This policy only allows images from registry.example.com.',
    'This policy only permits images from registry.example.com.',
    'This policy will only allow images from registry.example.com to be used.',
  ].map((text) => ({
    text,
    family: 'image-registry',
    checks: [
      ['an image from registry.example.com', pod(), 'allow'],
      ['a Docker Hub image', pod([container({ image: 'nginx:1.27' })]), 'deny'],
      ['an image from quay.io', pod([container({ image: 'quay.io/team/app:1' })]), 'deny'],
    ] as Check[],
  })),
  ...[
    'Sysctls can change kernel behaviour for the whole node. This policy only allows the safe set of sysctls.',
    'This policy only allows safe sysctls.',
  ].map((text) => ({
    text,
    family: 'sysctls',
    checks: [
      ['no sysctls', pod(), 'allow'],
      ['a safe sysctl (net.ipv4.tcp_syncookies)', withSysctls('net.ipv4.tcp_syncookies'), 'allow'],
      ['a safe sysctl (kernel.shm_rmid_forced)', withSysctls('kernel.shm_rmid_forced'), 'allow'],
      ['an unsafe sysctl (kernel.msgmax)', withSysctls('kernel.msgmax'), 'deny'],
      ['a safe and an unsafe sysctl', withSysctls('net.ipv4.tcp_syncookies', 'net.core.somaxconn'), 'deny'],
    ] as Check[],
  })),
  {
    text: 'This policy only allows Services of type ClusterIP.',
    family: 'service-type',
    checks: [
      ['a ClusterIP Service', service({ type: 'ClusterIP' }), 'allow'],
      ['a NodePort Service', service({ type: 'NodePort' }), 'deny'],
      ['a LoadBalancer Service', service({ type: 'LoadBalancer' }), 'deny'],
    ],
  },
];

const REFUSED_ONLY_ALLOWS: Array<[string, string]> = [
  [
    'This policy only allows images from registry.example.com in the prod namespace.',
    '"only" the images or the namespace',
  ],
  [
    'This policy only allows the capability NET_BIND_SERVICE to be added in namespace web.',
    '"only" the capability or the namespace',
  ],
  ['This policy only allows images from registry.example.com for Deployments.', '"only" the images or the kind'],
  ['This policy only allows pods to use images from registry.example.com.', '"only" the pods or the images'],
  ['This policy only allows privileged containers in kube-system.', 'an exemption, not an allow-list'],
];

describeReadings('"This policy only allows X"', READ_ONLY_ALLOWS, REFUSED_ONLY_ALLOWS);

// ALL in the drop list named by its field path ("ALL is listed in capabilities.drop"): the drop-ALL requirement.
// Another capability, a negation or capabilities.add is not that rule.
const READ_DROP_FIELD: Array<{ text: string; family: string; checks: Check[] }> = [
  'Containers must drop all capabilities. This policy requires that ALL is listed in capabilities.drop for every container.',
  'This policy requires capabilities.drop to include ALL.',
  'securityContext.capabilities.drop must contain ALL.',
  'This policy ensures every container has ALL in securityContext.capabilities.drop.',
].map((text) => ({
  text,
  family: 'capabilities',
  checks: [
    ['ALL dropped', pod([sc({ capabilities: { drop: ['ALL'] } })]), 'allow'],
    ['all dropped (lower case)', pod([sc({ capabilities: { drop: ['all'] } })]), 'allow'],
    ['nothing dropped', pod(), 'deny'],
    ['only NET_RAW dropped', pod([sc({ capabilities: { drop: ['NET_RAW'] } })]), 'deny'],
    [
      'a second container that drops nothing',
      pod([sc({ capabilities: { drop: ['ALL'] } }), container({ name: 'side' })]),
      'deny',
    ],
  ] as Check[],
}));

const REFUSED_DROP_FIELD: Array<[string, string]> = [
  ['This policy requires that NET_RAW is listed in capabilities.drop for every container.', 'another capability'],
  ['capabilities.drop must not include ALL.', 'a negation'],
  ['This policy requires that ALL is listed in capabilities.add for every container.', 'the add list'],
  ['ALL must not be listed in capabilities.add.', 'the add list'],
];

describeReadings('ALL in capabilities.drop, named by its field path', READ_DROP_FIELD, REFUSED_DROP_FIELD);

// "This policy prevents binding the cluster-admin ClusterRole (with a RoleBinding or ClusterRoleBinding)": the
// role with its kind said, then the binding kinds (every binding when none is named). Binding a kind of subject to
// the role ("binding service accounts to …") bans that subject kind, not every binding: refused.
const READ_BINDING_ROLE: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'The cluster-admin role grants full control. This policy prevents binding the cluster-admin ClusterRole with a RoleBinding or ClusterRoleBinding.',
    'This policy prevents binding the cluster-admin ClusterRole.',
    'This policy prevents binding the cluster-admin ClusterRole using RoleBindings or ClusterRoleBindings.',
  ].map((text) => ({
    text,
    family: 'binding-role-forbidden',
    checks: [
      ['a ClusterRoleBinding to cluster-admin', clusterRoleBinding('cluster-admin', [user('a')]), 'deny'],
      ['a RoleBinding to the ClusterRole cluster-admin', roleBinding('cluster-admin'), 'deny'],
      ['a RoleBinding to the ClusterRole edit', roleBinding('edit'), 'allow'],
      ['a ClusterRoleBinding to view', clusterRoleBinding('view', [user('a')]), 'allow'],
    ] as Check[],
  })),
  {
    text: 'This policy disallows binding the admin ClusterRole with a RoleBinding.',
    family: 'binding-role-forbidden',
    checks: [
      ['a RoleBinding to the ClusterRole admin', roleBinding('admin'), 'deny'],
      ['a RoleBinding to a Role named admin (not the ClusterRole)', toRole('Role', 'admin'), 'allow'],
      ['a ClusterRoleBinding to admin (another kind)', clusterRoleBinding('admin', [user('a')]), 'allow'],
    ],
  },
];

const REFUSED_BINDING_ROLE: Array<[string, string]> = [
  ['This policy prevents binding users to the cluster-admin ClusterRole.', 'one kind of subject'],
  ['This policy prevents binding service accounts to the cluster-admin ClusterRole.', 'one kind of subject'],
  ['This policy prevents binding the cluster-admin ClusterRole to service accounts.', 'one kind of subject'],
  ['This policy prevents binding users.', 'no role'],
  ['This policy prevents binding cluster-admin.', 'the kind of role not said after "binding"'],
  [
    'This policy prevents binding the cluster-admin ClusterRole in namespace prod.',
    'a ClusterRoleBinding has no namespace',
  ],
  ['This policy prevents binding any ClusterRole with a RoleBinding.', 'no role named'],
];

describeReadings('"prevents binding <role> with <bindings>"', READ_BINDING_ROLE, REFUSED_BINDING_ROLE);

// A bare asterisk between words ("the use of * in the verbs") is the RBAC wildcard, as a quoted '*' is. The list it
// sits in must be said (verbs, resources); apiGroups and bindings are not this rule.
const READ_RBAC_STAR: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Wildcards in Roles grant far more than intended. This policy disallows the use of * in the verbs of Roles and ClusterRoles.',
    'This policy prevents Roles and ClusterRoles from using * in verbs.',
    'This policy blocks Roles and ClusterRoles whose verbs include *.',
  ].map((text) => ({
    text,
    family: 'rbac-rules',
    checks: [
      ["'*' in verbs", role([rbacRule([''], ['configmaps'], ['*'])]), 'deny'],
      ["'*' in a ClusterRole's verbs", role([rbacRule([''], ['pods'], ['get', '*'])], 'ClusterRole'), 'deny'],
      ["'*' in resources only", role([rbacRule([''], ['*'], ['get'])]), 'allow'],
      ['named verbs', role([rbacRule([''], ['pods'], ['get', 'list'])]), 'allow'],
    ] as Check[],
  })),
  {
    text: 'Roles must not use * in resources.',
    family: 'rbac-rules',
    checks: [
      ["'*' in resources", role([rbacRule([''], ['*'], ['get'])]), 'deny'],
      ["'*' in verbs only", role([rbacRule([''], ['pods'], ['*'])]), 'allow'],
    ],
  },
];

const REFUSED_RBAC_STAR: Array<[string, string]> = [
  ['This policy disallows * in Roles.', 'which list is not said'],
  ['This policy disallows the use of * in the apiGroups of Roles.', 'apiGroups'],
  ['This policy requires * in the verbs of Roles.', 'a requirement, not a ban'],
  ['This policy disallows the use of * in the verbs of RoleBindings.', 'bindings have no verbs'],
];

describeReadings('a bare * in the verbs or resources of Roles', READ_RBAC_STAR, REFUSED_RBAC_STAR);

// Two seLinuxOptions field paths joined by "and" name two fields, each banned (as "must not set hostNetwork and
// hostPID" does); "SELinux user and role" (the pair or each?) and "both" stay refused.
const READ_SELINUX_PATHS: Array<{ text: string; family: string; checks: Check[] }> = [
  'SELinux options can be used to escalate privileges. This policy disallows setting seLinuxOptions.user and seLinuxOptions.role.',
  'Containers must not set seLinuxOptions.role and seLinuxOptions.user.',
  'This policy prevents pods from setting securityContext.seLinuxOptions.user and securityContext.seLinuxOptions.role.',
].map((text) => ({
  text,
  family: 'selinux-user-role',
  checks: [
    ['an SELinux user alone', pod([sc({ seLinuxOptions: { user: 'sysadm_u' } })]), 'deny'],
    ['an SELinux role alone', pod([sc({ seLinuxOptions: { role: 'sysadm_r' } })]), 'deny'],
    ['a pod-level SELinux role', pod(undefined, { securityContext: { seLinuxOptions: { role: 'sysadm_r' } } }), 'deny'],
    ['an SELinux type and level', pod([sc({ seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' } })]), 'allow'],
    ['no seLinuxOptions', pod(), 'allow'],
  ] as Check[],
}));

const REFUSED_SELINUX_PATHS: Array<[string, string]> = [
  ['Containers must not set an SELinux user and role.', 'the pair or each: not said'],
  ['This policy disallows setting both seLinuxOptions.user and seLinuxOptions.role.', 'the pair'],
  ['This policy disallows setting seLinuxOptions.user and seLinuxOptions.type.', 'the type is another rule'],
  ['This policy requires seLinuxOptions.user and seLinuxOptions.role.', 'a requirement'],
];

describeReadings('two seLinuxOptions field paths joined by "and"', READ_SELINUX_PATHS, REFUSED_SELINUX_PATHS);

// A bound on runAsUser said with "or equal to" or after the number ("1000 or higher") is the inclusive bound.
const READ_UID_INCLUSIVE: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'runAsUser must be greater than or equal to 1000.',
    'Containers must run with a runAsUser of 1000 or higher.',
    'This policy requires containers to set securityContext.runAsUser to 1000 or more.',
    'runAsUser must be equal to or greater than 1000.',
  ].map((text) => ({
    text,
    family: 'run-as-user-bound',
    checks: [
      ['runAsUser 1000', pod([sc({ runAsUser: 1000 })]), 'allow'],
      ['runAsUser 999', pod([sc({ runAsUser: 999 })]), 'deny'],
      ['a pod-level runAsUser 5000', pod(undefined, { securityContext: { runAsUser: 5000 } }), 'allow'],
    ] as Check[],
  })),
  ...['runAsUser must be less than or equal to 65535.', 'The UID must be 65535 or lower.'].map((text) => ({
    text,
    family: 'run-as-user-bound',
    checks: [
      ['runAsUser 65535', pod([sc({ runAsUser: 65535 })]), 'allow'],
      ['runAsUser 65536', pod([sc({ runAsUser: 65536 })]), 'deny'],
    ] as Check[],
  })),
];

const REFUSED_UID_INCLUSIVE: Array<[string, string]> = [
  ['runAsUser must be greater than or equal to 1000 or unset.', 'unset turns the bound around to the reader'],
  ['runAsUser must be 1000 or higher and 5000 or lower.', 'two bounds'],
];

describeReadings('an inclusive bound on runAsUser', READ_UID_INCLUSIVE, REFUSED_UID_INCLUSIVE);

// "Containers must drop the NET_RAW capability": the capabilities named are in each container's drop list, or ALL is.
const capsDropped = (...drop: string[]) => pod([sc({ capabilities: { drop } })]);
const READ_DROP_NAMED: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Containers must drop the NET_RAW capability.',
    'This policy requires containers to drop NET_RAW.',
    'Capabilities permit privileged actions. This policy ensures containers drop the NET_RAW capability.',
    'Containers must drop CAP_NET_RAW.',
    'This policy ensures that all containers explicitly drop the CAP_NET_RAW ability.',
  ].map((text) => ({
    text,
    family: 'capabilities',
    checks: [
      ['NET_RAW dropped', capsDropped('NET_RAW'), 'allow'],
      ['ALL dropped', capsDropped('ALL'), 'allow'],
      ['net_raw dropped, lower case', capsDropped('net_raw'), 'allow'],
      ['only SYS_ADMIN dropped', capsDropped('SYS_ADMIN'), 'deny'],
      ['nothing dropped', pod(), 'deny'],
    ] as Check[],
  })),
  {
    text: 'Every container must drop NET_RAW and SYS_ADMIN.',
    family: 'capabilities',
    checks: [
      ['both dropped', capsDropped('SYS_ADMIN', 'NET_RAW'), 'allow'],
      ['only NET_RAW dropped', capsDropped('NET_RAW'), 'deny'],
    ] as Check[],
  },
];

const REFUSED_DROP_NAMED: Array<[string, string]> = [
  ['Containers must not drop NET_RAW.', 'a ban on dropping'],
  ['Containers must drop NET_RAW and add NET_BIND_SERVICE.', 'a second condition on add'],
  ['Containers must drop FOO_BAR.', 'not a capability'],
  ['Init containers must drop NET_RAW.', 'init containers alone'],
];

describeReadings('capabilities named to be dropped', READ_DROP_NAMED, REFUSED_DROP_NAMED);

// "hostPath volumes must be mounted read-only": every mount of a hostPath volume sets readOnly: true.
const hostMounted = (readOnly?: boolean, name = 'host') =>
  pod([container({ volumeMounts: [{ name, mountPath: '/mnt', ...(readOnly === undefined ? {} : { readOnly }) }] })], {
    volumes: [
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'scratch', emptyDir: {} },
    ],
  });
const READ_HOST_PATH_READ_ONLY: Array<{ text: string; family: string; checks: Check[] }> = [
  'hostPath volumes that are writable can be used to compromise the node. This policy ensures that all hostPath volumes are mounted read-only.',
  'hostPath volume mounts must set readOnly: true.',
  'hostPath volumes must not be mounted writable.',
].map((text) => ({
  text,
  family: 'host-path',
  checks: [
    ['a hostPath volume mounted readOnly: true', hostMounted(true), 'allow'],
    ['a hostPath volume mounted without readOnly', hostMounted(), 'deny'],
    ['a hostPath volume mounted readOnly: false', hostMounted(false), 'deny'],
    ['an emptyDir mounted writable', hostMounted(undefined, 'scratch'), 'allow'],
  ] as Check[],
}));

const REFUSED_HOST_PATH_READ_ONLY: Array<[string, string]> = [
  ['hostPath volumes must not be mounted read-only.', 'a ban on read-only'],
  ['hostPath volumes must be read-only and use a path under /data.', 'a second condition'],
];

describeReadings('hostPath volumes mounted read-only', READ_HOST_PATH_READ_ONLY, REFUSED_HOST_PATH_READ_ONLY);

// "liveness and readiness probes are not the same": both set and identical (key order aside) is the offence.
const probed = (liveness?: Record<string, unknown>, readiness?: Record<string, unknown>) =>
  pod([
    container({
      ...(liveness ? { livenessProbe: liveness } : {}),
      ...(readiness ? { readinessProbe: readiness } : {}),
    }),
  ]);
const httpProbe = (path: string) => ({ httpGet: { path, port: 8080 }, periodSeconds: 5 });
const READ_PROBES_DISTINCT: Array<{ text: string; family: string; checks: Check[] }> = [
  'Liveness and readiness probes accomplish different goals, and setting both to the same is an anti-pattern. This policy validates that liveness and readiness probes are not the same.',
  'Liveness and readiness probes must be different.',
  'The liveness probe and the readiness probe of a container must not be identical.',
].map((text) => ({
  text,
  family: 'probes-distinct',
  checks: [
    ['identical probes', probed(httpProbe('/healthz'), httpProbe('/healthz')), 'deny'],
    [
      'identical probes, keys in another order',
      probed(httpProbe('/healthz'), { periodSeconds: 5, httpGet: { port: 8080, path: '/healthz' } }),
      'deny',
    ],
    ['different probes', probed(httpProbe('/healthz'), httpProbe('/ready')), 'allow'],
    ['only a liveness probe', probed(httpProbe('/healthz')), 'allow'],
    ['no probes', probed(), 'allow'],
  ] as Check[],
}));

const REFUSED_PROBES_DISTINCT: Array<[string, string]> = [
  ['Liveness and readiness probes must be the same.', 'the opposite'],
  ['Liveness and readiness probes must not differ.', 'the opposite'],
  ['Liveness and readiness probes must be different and must both be set.', 'a second condition'],
];

describeReadings('two probes that must not be identical', READ_PROBES_DISTINCT, REFUSED_PROBES_DISTINCT);

// "every container port has a name": each ports[] entry of every container sets a non-empty name.
const withPorts = (...ports: Array<Record<string, unknown>>) => pod([container({ ports })]);
const READ_PORT_NAMES: Array<{ text: string; family: string; checks: Check[] }> = [
  'Container ports should be named for clarity. This policy requires that every container port has a name.',
  'Container ports must be named.',
  'Every containerPort must have a name.',
].map((text) => ({
  text,
  family: 'container-port-names',
  checks: [
    ['a named port', withPorts({ name: 'http', containerPort: 8080 }), 'allow'],
    ['a port without a name', withPorts({ containerPort: 8080 }), 'deny'],
    ['a named port and an unnamed one', withPorts({ name: 'http', containerPort: 80 }, { containerPort: 81 }), 'deny'],
    ['no ports', pod(), 'allow'],
  ] as Check[],
}));

const REFUSED_PORT_NAMES: Array<[string, string]> = [
  ['Container ports must not be named.', 'the opposite'],
  ['Container ports must be named http.', 'a given name'],
  ['Container port names must be unique.', 'a rule on the names'],
  ['Service ports must be named.', 'another kind'],
];

describeReadings('container ports named', READ_PORT_NAMES, REFUSED_PORT_NAMES);

// "the label team is present on all Deployments": the key named before "is present / must be set", never "set to".
const READ_LABEL_PRESENT: Array<{ text: string; family: string; checks: Check[] }> = [
  'This policy ensures that the label team is present on all Deployments.',
  'The label team must be present on all Deployments.',
].map((text) => ({
  text,
  family: 'metadata-required',
  checks: [
    ['a Deployment labelled team', deployment([container()], {}, { labels: { team: 'a' } }), 'allow'],
    ['a Deployment without it', deployment([container()], {}, { labels: { other: 'a' } }), 'deny'],
  ] as Check[],
}));

const REFUSED_LABEL_PRESENT: Array<[string, string]> = [
  // A bare statement: the desired state or a scanner's finding, not said which (test/agents/offline-kubescape14).
  ['The label team is present on all Deployments.', 'a state said plainly, no rule word'],
  ['The label env is set to prod on all Pods.', 'a value, not only the key'],
  ['The label env must be set to prod on all Pods.', 'a value, not only the key'],
];

describeReadings('a label said to be present', READ_LABEL_PRESENT, REFUSED_LABEL_PRESENT);

// "NetworkPolicies with an empty podSelector": spec.podSelector with no matchLabels / matchExpressions entry (or none).
const netpol = (podSelector?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'np', namespace: NS },
  spec: { ...(podSelector ? { podSelector } : {}), policyTypes: ['Ingress'] },
});
const READ_EMPTY_SELECTOR: Array<{ text: string; family: string; checks: Check[] }> = [
  'NetworkPolicies with an empty podSelector select every Pod in the namespace. This policy prevents NetworkPolicies with an empty podSelector.',
  'NetworkPolicies must not have an empty podSelector.',
  'Deny NetworkPolicies whose podSelector is empty.',
  'NetworkPolicies with an empty pod selector are not allowed.',
  'NetworkPolicies must set a non-empty podSelector.',
].map((text) => ({
  text,
  family: 'network-policy-empty-selector',
  checks: [
    ['podSelector {}', netpol({}), 'deny'],
    ['empty matchLabels and matchExpressions', netpol({ matchLabels: {}, matchExpressions: [] }), 'deny'],
    ['no podSelector', netpol(), 'deny'],
    ['matchLabels app=web', netpol({ matchLabels: { app: 'web' } }), 'allow'],
    ['a matchExpressions entry', netpol({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }), 'allow'],
    ['emptying the selector', [netpol({ matchLabels: { app: 'web' } }), netpol({})], 'deny'],
  ] as Check[],
}));

const REFUSED_EMPTY_SELECTOR: Array<[string, string]> = [
  ['NetworkPolicies must have an empty podSelector.', 'the opposite'],
  ['A NetworkPolicy must not select every Pod in the namespace.', 'said without the field'],
  ['NetworkPolicies with an empty namespaceSelector are not allowed.', 'another selector'],
  ['Deny NetworkPolicies whose podSelector is empty, unless they are named default-deny.', 'an exception'],
  ['Pods and NetworkPolicies with an empty podSelector are not allowed.', 'a second kind'],
];

describeReadings('NetworkPolicies with an empty podSelector', READ_EMPTY_SELECTOR, REFUSED_EMPTY_SELECTOR);

// "The label env must be one of dev, staging or prod": the label set, to one of the values named.
const envPod = (env?: string) => ({
  ...pod(),
  metadata: { name: 'p', namespace: NS, ...(env === undefined ? {} : { labels: { env } }) },
});
const READ_LABEL_VALUES: Array<{ text: string; family: string; checks: Check[] }> = [
  'Pods must have the label env with one of the values dev, staging or prod.',
  'The label env must be one of dev, staging, or prod on every Pod.',
  'The label env of Pods must be dev, staging or prod.',
].map((text) => ({
  text,
  family: 'metadata-required',
  checks: [
    ['env=staging', envPod('staging'), 'allow'],
    ['env=prod', envPod('prod'), 'allow'],
    ['env=test', envPod('test'), 'deny'],
    ['no env label', envPod(), 'deny'],
    [
      'a Deployment whose pods are env=qa',
      {
        ...deployment([container()]),
        spec: {
          selector: { matchLabels: { app: 'a' } },
          template: { metadata: { labels: { app: 'a', env: 'qa' } }, spec: { containers: [container()] } },
        },
      },
      'deny',
    ],
  ] as Check[],
}));

const REFUSED_LABEL_VALUES: Array<[string, string]> = [
  ['The label env must be dev, staging or prod.', 'no kind named'],
  ['The label env of Pods must be dev and prod.', 'both at once'],
  ['The label env of Pods must not be dev or prod.', 'a ban on values'],
  ['The label env of Pods must be dev, staging or prod, unless the Pod is a Job.', 'an exception'],
];

describeReadings('a label with one of the values named', READ_LABEL_VALUES, REFUSED_LABEL_VALUES);

// "at most 4 containers in a Pod": spec.containers counted; init containers only when the text counts them.
const containers = (n: number): Array<Record<string, unknown>> =>
  Array.from({ length: n }, (_, i) => container({ name: `c${i}` }));
const initOne = { initContainers: [container({ name: 'init' })] };
const READ_CONTAINER_COUNT: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'This policy limits the number of containers in a Pod to at most 4.',
    'Pods must not have more than 4 containers.',
    'Pods with more than 4 containers are not allowed.',
    'A Pod may have at most 4 containers.',
  ].map((text) => ({
    text,
    family: 'container-count',
    checks: [
      ['5 containers', pod(containers(5)), 'deny'],
      ['4 containers', pod(containers(4)), 'allow'],
      ['4 containers and an init container', pod(containers(4), initOne), 'allow'],
      ['a Deployment with 5 containers', deployment(containers(5)), 'deny'],
      ['a Deployment with 4 containers', deployment(containers(4)), 'allow'],
    ] as Check[],
  })),
  {
    text: 'Pods must not have more than 4 containers, including init containers.',
    family: 'container-count',
    checks: [
      ['4 containers and an init container', pod(containers(4), initOne), 'deny'],
      ['3 containers and an init container', pod(containers(3), initOne), 'allow'],
      ['a Deployment with 4 containers and an init container', deployment(containers(4), initOne), 'deny'],
    ],
  },
];

const REFUSED_CONTAINER_COUNT: Array<[string, string]> = [
  ['Pods must have at least 2 containers.', 'a lower bound'],
  ['Pods must not have more than 4 init containers.', 'init containers alone'],
  ['Pods must not have more than four containers.', 'a number in words'],
  ['Pods must not have more than 4 containers or 2 volumes.', 'a second bound'],
  ['Pods must not have more than 4 containers, excluding init containers.', 'an exclusion not placed'],
  ['Pods must not have more than 4 containers with a memory limit.', 'a condition on the containers'],
  ['Pods must not have more than 4 containers with init containers.', 'init containers counted or not?'],
  ['Pods with init containers must not have more than 4 containers.', 'a condition on the pods'],
];

describeReadings('the number of containers in a pod', READ_CONTAINER_COUNT, REFUSED_CONTAINER_COUNT);

// "PersistentVolumeClaims use the storage class standard": spec.storageClassName equal to the name.
const classClaim = (storageClassName?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: NS },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    ...(storageClassName !== undefined ? { storageClassName } : {}),
  },
});
const READ_CLAIM_CLASS: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'This policy ensures that PersistentVolumeClaims use the storage class standard.',
    'PersistentVolumeClaims must use the storage class `standard`.',
    'Deny PVCs that do not use the storage class standard.',
  ].map((text) => ({
    text,
    family: 'claim-storage-class',
    checks: [
      ['the class standard', classClaim('standard'), 'allow'],
      ['the class fast', classClaim('fast'), 'deny'],
      ['no storageClassName (no default class)', classClaim(), 'deny'],
      ['storageClassName ""', classClaim(''), 'deny'],
      ['changed to fast', [classClaim('standard'), classClaim('fast')], 'deny'],
      ['an older claim of the class fast, relabelled', [classClaim('fast'), relabelled(classClaim('fast'))], 'allow'],
    ] as Check[],
  })),
  {
    text: 'PVCs must use the StorageClass fast',
    family: 'claim-storage-class',
    checks: [
      ['the class fast', classClaim('fast'), 'allow'],
      ['the class standard', classClaim('standard'), 'deny'],
    ],
  },
  {
    text: 'PersistentVolumeClaims must not use the storage class standard.',
    family: 'claim-storage-class',
    checks: [
      ['the class standard', classClaim('standard'), 'deny'],
      ['the class fast', classClaim('fast'), 'allow'],
      ['no storageClassName', classClaim(), 'allow'],
    ],
  },
];

const REFUSED_CLAIM_CLASS: Array<[string, string]> = [
  ['PersistentVolumeClaims must use the fast storage class.', 'a bare word before "storage class" may describe'],
  ['PersistentVolumeClaims must use the storage class standard or fast.', 'a list'],
  ['PersistentVolumeClaims must use a storage class.', 'no name'],
  ['PersistentVolumeClaims must use the storage class default.', "the cluster's default, not a name"],
  ['PersistentVolumeClaims must use the StorageClass Fast.', 'not a StorageClass name'],
  ['PersistentVolumes must use the storage class standard.', 'another kind'],
];

describeReadings('the StorageClass a PersistentVolumeClaim uses', READ_CLAIM_CLASS, REFUSED_CLAIM_CLASS);

// "Every Pod must set the annotation prometheus.io/scrape to true": after "set", "to" names the value.
const scrapePod = (value?: string) => ({
  ...pod(),
  metadata: {
    name: 'p',
    namespace: NS,
    ...(value === undefined ? {} : { annotations: { 'prometheus.io/scrape': value } }),
  },
});
const READ_SET_META_TO: Array<{ text: string; family: string; checks: Check[] }> = [
  'This policy requires that every Pod sets the annotation prometheus.io/scrape to true.',
  'Every Pod must set the annotation prometheus.io/scrape to true.',
].map((text) => ({
  text,
  family: 'metadata-required',
  checks: [
    ['scrape=true', scrapePod('true'), 'allow'],
    ['scrape=false', scrapePod('false'), 'deny'],
    ['no annotation', scrapePod(), 'deny'],
  ] as Check[],
}));

const REFUSED_SET_META_TO: Array<[string, string]> = [
  ['Every Namespace must set the label team to a value.', '"a value" names none'],
  ['Add the label team to Namespaces.', '"to" names where, not a value'],
];

describeReadings('a label or annotation set to a value', READ_SET_META_TO, REFUSED_SET_META_TO);

// "Pods and pod controllers must not be created in the default namespace": the controllers a rule on Pods reaches.
const inDefault = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: 'default' } });
const statefulSetIn = (namespace: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 's', namespace },
  spec: {
    serviceName: 's',
    selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container()] } },
  },
});
const READ_POD_CONTROLLERS_NS: Array<{ text: string; family: string; checks: Check[] }> = [
  'Pods and pod controllers must not be created in the default namespace.',
  'Pods and their controllers must not be created in the default namespace.',
  'Pods and pod controllers are not allowed in the default namespace.',
].map((text) => ({
  text,
  family: 'kind-in-namespace',
  checks: [
    ['a Pod in default', pod([container()], {}, 'default'), 'deny'],
    ['a Deployment in default', inDefault(deployment([container()])), 'deny'],
    ['a StatefulSet in default', statefulSetIn('default'), 'deny'],
    ['a Pod in another namespace', pod(), 'allow'],
    ['a StatefulSet in another namespace', statefulSetIn(NS), 'allow'],
  ] as Check[],
}));

const REFUSED_POD_CONTROLLERS_NS: Array<[string, string]> = [
  ['Pod controllers must not be created in the default namespace.', 'controllers without Pods'],
  ['Services and their controllers must not be created in the default namespace.', 'controllers of no pods'],
  ['Pods and pod controllers must not be deleted in the default namespace.', 'another operation'],
  ['Pods and pod controllers must not be created in the default namespace, except DaemonSets.', 'an exception'],
];

describeReadings('Pods and pod controllers in a namespace', READ_POD_CONTROLLERS_NS, REFUSED_POD_CONTROLLERS_NS);

// "memory requests are equal to memory limits": every container (init too) has the limit and requests exactly it.
const res = (requests: Record<string, string>, limits: Record<string, string>) =>
  container({ resources: { requests, limits } });
const READ_EQUAL_LIMITS: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'This policy ensures that memory requests are equal to memory limits.',
    'Memory requests must equal memory limits.',
    'Containers must have memory requests equal to their memory limits.',
    'Memory requests and limits must be equal.',
  ].map((text) => ({
    text,
    family: 'requests-equal-limits',
    checks: [
      ['equal', pod([res({ memory: '512Mi' }, { memory: '512Mi' })]), 'allow'],
      ['equal in other units', pod([res({ memory: '1Gi' }, { memory: '1024Mi' })]), 'allow'],
      [
        'a limit only (the request defaults to it)',
        pod([container({ resources: { limits: { memory: '1Gi' } } })]),
        'allow',
      ],
      [
        'CPU request below its limit (not named)',
        pod([res({ memory: '1Gi', cpu: '100m' }, { memory: '1Gi', cpu: '1' })]),
        'allow',
      ],
      ['a request below the limit', pod([res({ memory: '256Mi' }, { memory: '512Mi' })]), 'deny'],
      ['no resources', pod(), 'deny'],
      ['a request and no limit', pod([container({ resources: { requests: { memory: '1Gi' } } })]), 'deny'],
      [
        'an init container below its limit',
        pod([res({ memory: '1Gi' }, { memory: '1Gi' })], {
          initContainers: [res({ memory: '1Mi' }, { memory: '1Gi' })],
        }),
        'deny',
      ],
      ['a Deployment below its limit', deployment([res({ memory: '256Mi' }, { memory: '512Mi' })]), 'deny'],
    ] as Check[],
  })),
  {
    text: 'Pods must have Guaranteed QoS.',
    family: 'requests-equal-limits',
    checks: [
      ['CPU and memory equal', pod([res({ memory: '1Gi', cpu: '500m' }, { memory: '1Gi', cpu: '0.5' })]), 'allow'],
      ['memory only', pod([res({ memory: '1Gi' }, { memory: '1Gi' })]), 'deny'],
      ['CPU request below its limit', pod([res({ memory: '1Gi', cpu: '100m' }, { memory: '1Gi', cpu: '1' })]), 'deny'],
    ],
  },
];

const REFUSED_EQUAL_LIMITS: Array<[string, string]> = [
  ['This policy ensures that requests are equal to limits.', 'no resource named'],
  ['This policy ensures that memory requests are equal to memory limits if set.', 'a condition'],
  ['Memory requests must not equal memory limits.', 'the opposite'],
  ['Memory requests must be less than or equal to memory limits.', 'a bound'],
  ['Memory requests must be equal to CPU limits.', 'two resources'],
  ['Init containers must have memory requests equal to memory limits.', 'init containers alone'],
];

describeReadings('requests equal to limits', READ_EQUAL_LIMITS, REFUSED_EQUAL_LIMITS);

// A Secret's type and the `immutable` field of ConfigMaps and Secrets, by their bare names (known-field). A type
// cannot change once set, as a claim's storageClassName cannot: an older object keeping it is not denied.
const typedSecret = (type?: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds', namespace: NS },
  ...(type !== undefined ? { type } : {}),
  ...extra,
});
const SA_TOKEN = 'kubernetes.io/service-account-token';
const READ_SECRET_FIELDS: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Secrets of type kubernetes.io/service-account-token are not allowed.',
    'Deny Secrets whose type is kubernetes.io/service-account-token.',
    'Long-lived tokens never expire. Secrets must not have the type `kubernetes.io/service-account-token`.',
  ].map((text) => ({
    text,
    family: 'known-field',
    checks: [
      ['a service-account token Secret', typedSecret(SA_TOKEN), 'deny'],
      ['an Opaque Secret', typedSecret('Opaque'), 'allow'],
      ['a TLS Secret', typedSecret('kubernetes.io/tls'), 'allow'],
      ['an older token Secret, relabelled', [typedSecret(SA_TOKEN), relabelled(typedSecret(SA_TOKEN))], 'allow'],
    ] as Check[],
  })),
  {
    text: 'Secrets must have type kubernetes.io/tls.',
    family: 'known-field',
    checks: [
      ['a TLS Secret', typedSecret('kubernetes.io/tls'), 'allow'],
      ['an Opaque Secret', typedSecret('Opaque'), 'deny'],
      ['an older Opaque Secret, relabelled', [typedSecret('Opaque'), relabelled(typedSecret('Opaque'))], 'allow'],
    ],
  },
  ...['ConfigMaps must be immutable.', 'ConfigMaps must set immutable to true.'].map((text) => ({
    text,
    family: 'known-field',
    checks: [
      ['immutable', { ...configMap(), immutable: true }, 'allow'],
      ['immutable false', { ...configMap(), immutable: false }, 'deny'],
      ['unset', configMap(), 'deny'],
      ['a Secret is not a ConfigMap', typedSecret('Opaque'), 'allow'],
    ] as Check[],
  })),
  {
    text: 'Secrets in the shop namespace must be immutable.',
    family: 'known-field',
    checks: [
      ['immutable', typedSecret('Opaque', { immutable: true }), 'allow'],
      ['unset', typedSecret('Opaque'), 'deny'],
    ],
  },
];

const REFUSED_SECRET_FIELDS: Array<[string, string]> = [
  ['Secrets must set type.', 'the API server gives every Secret a type before admission'],
  ['Deny Secrets of type example.com/custom.', 'not a type Kubernetes defines'],
  ['Every ConfigMap must set immutable.', 'true to most, any value to the letter'],
  ['ConfigMaps are immutable.', 'a statement, not a requirement'],
  ['The data of ConfigMaps is immutable.', 'a rule on changes to data'],
];

describeReadings('a Secret type, and immutable ConfigMaps and Secrets', READ_SECRET_FIELDS, REFUSED_SECRET_FIELDS);

// storageClassName cannot change once set: known-field's reading of it lets an older claim keep its class.
const READ_KNOWN_FIXED: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'PersistentVolumeClaims must set storageClassName to fast.ssd.',
    family: 'known-field',
    checks: [
      ['fast.ssd', classClaim('fast.ssd'), 'allow'],
      ['fast (not the whole name)', classClaim('fast'), 'deny'],
      ['an older claim of the class slow, relabelled', [classClaim('slow'), relabelled(classClaim('slow'))], 'allow'],
      ['changed from fast.ssd to slow', [classClaim('fast.ssd'), classClaim('slow')], 'deny'],
    ],
  },
];

describeReadings('a field that cannot change once set, named by its bare name', READ_KNOWN_FIXED);

// "This policy limits Deployments to at most 5 replicas": "limits" is the verb of the bound, not a resource limit.
const scaled = (replicas: number): KubeObject => deployment([container()], {}, { replicas });
const READ_REPLICAS_LIMITED: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Running with a large number of replicas may exhaust the cluster. This policy limits Deployments to at most 5 replicas.',
    'Limit Deployments to a maximum of 5 replicas.',
    'This policy limits Deployments to no more than 5 replicas.',
  ].map((text) => ({
    text,
    family: 'replicas',
    checks: [
      ['5 replicas', scaled(5), 'allow'],
      ['6 replicas', scaled(6), 'deny'],
    ] as Check[],
  })),
];

const REFUSED_REPLICAS_LIMITED: Array<[string, string]> = [
  ['This policy limits Deployments to 5 replicas.', 'exactly 5, or at most 5?'],
  ['This policy limits the CPU limits of Deployments to at most 5 replicas.', 'a resource limit named too'],
];

describeReadings('"limits … to at most N replicas"', READ_REPLICAS_LIMITED, REFUSED_REPLICAS_LIMITED);

// "a host that starts with a wildcard": a wildcard host, which only "*." may lead (the API server's rule).
const READ_WILDCARD_LEAD: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Wildcard hosts can route traffic for every subdomain. This policy prevents Ingresses from using a host that starts with a wildcard.',
    'Ingress hosts must not begin with *.',
    'Ingress hosts must not start with `*.`.',
  ].map((text) => ({
    text,
    family: 'ingress-open-host',
    checks: [
      ['*.example.com', ingress('*.example.com'), 'deny'],
      ['shop.example.com', ingress('shop.example.com'), 'allow'],
    ] as Check[],
  })),
];

const REFUSED_WILDCARD_LEAD: Array<[string, string]> = [
  ['Ingress hosts must begin with a wildcard.', 'a requirement of wildcards'],
  ['Ingress hosts must not start with www.', 'a prefix other than the wildcard'],
];

describeReadings('a host that starts with a wildcard', READ_WILDCARD_LEAD, REFUSED_WILDCARD_LEAD);

// "The concurrencyPolicy of CronJobs must be Forbid", "CronJob concurrencyPolicy must be Forbid": the value after
// the modal is the field's value. Read before as "must set concurrencyPolicy" (any value), and "The volumeMode of
// PersistentVolumeClaims must be Block" counted "Block" as the verb, forbidding the mode it required.
const READ_FIELD_MUST_BE: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'CronJob concurrencyPolicy must be Forbid.',
    'The concurrencyPolicy of CronJobs must be Forbid.',
    'The concurrencyPolicy of every CronJob should be set to Forbid.',
    'For CronJobs, concurrencyPolicy must be Forbid.',
  ].map((text) => ({
    text,
    family: 'known-field',
    checks: [
      ['Forbid', cronJob({ concurrencyPolicy: 'Forbid' }), 'allow'],
      ['Allow', cronJob({ concurrencyPolicy: 'Allow' }), 'deny'],
      ['Replace', cronJob({ concurrencyPolicy: 'Replace' }), 'deny'],
    ] as Check[],
  })),
  {
    text: 'The concurrencyPolicy of CronJobs must not be Allow.',
    family: 'known-field',
    checks: [
      ['Allow', cronJob({ concurrencyPolicy: 'Allow' }), 'deny'],
      ['Forbid', cronJob({ concurrencyPolicy: 'Forbid' }), 'allow'],
    ],
  },
  {
    text: 'The volumeMode of PersistentVolumeClaims must be Block.',
    family: 'known-field',
    checks: [
      ['Block', withSpec(classClaim('fast'), { volumeMode: 'Block' }), 'allow'],
      ['Filesystem', withSpec(classClaim('fast'), { volumeMode: 'Filesystem' }), 'deny'],
    ],
  },
];

const REFUSED_FIELD_MUST_BE: Array<[string, string]> = [
  ['The concurrencyPolicy of CronJobs must be Forbid or Replace.', 'a list of values'],
  ['The concurrencyPolicy of CronJobs must be Forbid, not Allow.', 'a second clause'],
  ['If a CronJob sets concurrencyPolicy it must be Forbid.', 'a condition'],
  ['The sessionAffinity of Services must be ClientIP when they are of type LoadBalancer.', 'a condition'],
];

describeReadings('"the F of Ks must be V"', READ_FIELD_MUST_BE, REFUSED_FIELD_MUST_BE);

// "of <kind>" after a field or key names whose it is, never its value: "The label team of Namespaces must be set"
// required team=Namespaces, and "The field spec.restartPolicy of Pods must be Never" forbade restartPolicy "Pods"
// (with "Never" counted as the negation) and let Never through.
const READ_OF_KIND: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'The label team of Namespaces must be set.',
    family: 'metadata-required',
    checks: [
      ['team=payments', namespaceObject({ team: 'payments' }), 'allow'],
      ['no labels', namespaceObject(undefined), 'deny'],
    ],
  },
];

const REFUSED_OF_KIND: Array<[string, string]> = [
  ['The field spec.restartPolicy of Pods must be Never.', 'a required value field-equality does not read'],
];

describeReadings('"of <kind>" after a field or a key', READ_OF_KIND, REFUSED_OF_KIND);

// "LoadBalancer Services are only allowed in the edge namespace" (the issue's inversion example): not allowed in any
// other namespace, anything goes in edge. Read as "… are not allowed outside the edge namespace".
const inNamespace = (o: KubeObject, namespace: string): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, namespace },
});
const READ_ONLY_IN_NAMESPACE: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'LoadBalancer services are only allowed in the edge namespace.',
    'Services of type LoadBalancer may only be created in the edge namespace.',
    'LoadBalancer Services are allowed only in namespace edge.',
  ].map((text) => ({
    text,
    family: 'service-type',
    checks: [
      ['a LoadBalancer in edge', inNamespace(service({ type: 'LoadBalancer' }), 'edge'), 'allow'],
      ['a LoadBalancer elsewhere', service({ type: 'LoadBalancer' }), 'deny'],
      ['a ClusterIP Service elsewhere', service({ type: 'ClusterIP' }), 'allow'],
      ['a NodePort Service in edge', inNamespace(service({ type: 'NodePort' }), 'edge'), 'allow'],
    ] as Check[],
  })),
  {
    text: 'Privileged containers are only allowed in the ops namespace.',
    family: 'privileged',
    checks: [
      ['privileged in ops', pod([sc({ privileged: true })], {}, 'ops'), 'allow'],
      ['privileged elsewhere', pod([sc({ privileged: true })]), 'deny'],
      ['a privileged Deployment elsewhere', deployment([sc({ privileged: true })]), 'deny'],
      ['plain elsewhere', pod(), 'allow'],
    ],
  },
];

READ_ONLY_IN_NAMESPACE.push(
  {
    text: 'LoadBalancer Services cost money. This policy ensures LoadBalancer Services are only allowed in the `edge` namespace.',
    family: 'service-type',
    checks: [
      ['a LoadBalancer in edge', inNamespace(service({ type: 'LoadBalancer' }), 'edge'), 'allow'],
      ['a LoadBalancer elsewhere', service({ type: 'LoadBalancer' }), 'deny'],
    ],
  },
  {
    text: 'Volumes of type hostPath are only allowed in namespace ops.',
    family: 'host-path',
    checks: [
      ['hostPath in ops', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }, 'ops'), 'allow'],
      ['hostPath elsewhere', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }), 'deny'],
    ],
  },
  {
    text: 'Ephemeral containers are allowed only in namespace dev.',
    family: 'ephemeral-containers',
    checks: [
      ['kubectl debug in dev', addingEphemeral([], ['debugger'], 'dev'), 'allow'],
      ['kubectl debug elsewhere', addingEphemeral([], ['debugger']), 'deny'],
    ],
  },
);

const REFUSED_ONLY_IN_NAMESPACE: Array<[string, string]> = [
  ['Only privileged containers are allowed in the ops namespace.', 'every other container denied in ops'],
  ['Services of type LoadBalancer are only allowed in the edge and dmz namespaces.', 'two namespaces'],
  ['Services of type LoadBalancer are only allowed in namespaces labelled edge=true.', 'a namespace selector'],
];

describeReadings('"X are only allowed in the N namespace"', READ_ONLY_IN_NAMESPACE, REFUSED_ONLY_IN_NAMESPACE);

// A bound on a well-known number field (known-field-bound). Unset is the API server's default where it has one
// (backoffLimit 6, revisionHistoryLimit 10); else no limit, which breaks an upper bound the statement asks to be set
// and not one it only forbids going over.
const job = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j', namespace: NS },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } }, ...spec },
});
const hpa = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'h', namespace: NS },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, ...spec },
});
const READ_FIELD_BOUND: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Jobs must set activeDeadlineSeconds to at most 3600.',
    family: 'known-field-bound',
    checks: [
      ['3600', job({ activeDeadlineSeconds: 3600 }), 'allow'],
      ['3601', job({ activeDeadlineSeconds: 3601 }), 'deny'],
      ['unset (no deadline)', job({}), 'deny'],
    ],
  },
  ...['Jobs must not set activeDeadlineSeconds above 3600.', 'Jobs activeDeadlineSeconds must not exceed 3600.'].map(
    (text) => ({
      text,
      family: 'known-field-bound',
      checks: [
        ['3600', job({ activeDeadlineSeconds: 3600 }), 'allow'],
        ['3601', job({ activeDeadlineSeconds: 3601 }), 'deny'],
        ['unset: nothing set above 3600', job({}), 'allow'],
      ] as Check[],
    }),
  ),
  {
    text: 'The activeDeadlineSeconds of Jobs must be between 60 and 3600.',
    family: 'known-field-bound',
    checks: [
      ['59', job({ activeDeadlineSeconds: 59 }), 'deny'],
      ['60', job({ activeDeadlineSeconds: 60 }), 'allow'],
      ['3601', job({ activeDeadlineSeconds: 3601 }), 'deny'],
    ],
  },
  {
    text: 'Jobs with a backoffLimit above 10 are not allowed.',
    family: 'known-field-bound',
    checks: [
      ['11', job({ backoffLimit: 11 }), 'deny'],
      ['10', job({ backoffLimit: 10 }), 'allow'],
      ['unset (the default, 6)', job({}), 'allow'],
    ],
  },
  {
    text: 'Jobs must set backoffLimit to at most 3.',
    family: 'known-field-bound',
    checks: [
      ['3', job({ backoffLimit: 3 }), 'allow'],
      ['unset (the default, 6)', job({}), 'deny'],
    ],
  },
  {
    text: 'Deployments must set revisionHistoryLimit to at most 5.',
    family: 'known-field-bound',
    checks: [
      ['5', withSpec(deployment([container()]), { revisionHistoryLimit: 5 }), 'allow'],
      ['unset (the default, 10)', deployment([container()]), 'deny'],
    ],
  },
  {
    text: 'HorizontalPodAutoscalers must have maxReplicas of at most 20.',
    family: 'known-field-bound',
    checks: [
      ['20', hpa({ minReplicas: 1, maxReplicas: 20 }), 'allow'],
      ['21', hpa({ minReplicas: 1, maxReplicas: 21 }), 'deny'],
    ],
  },
];

const REFUSED_FIELD_BOUND: Array<[string, string]> = [
  ['Jobs must not set backoffLimit to at most 3.', 'a negated "at most": which values are meant?'],
  ['Jobs must set backoffLimit to at least 1 or at most 10.', 'two ranges'],
  ['Jobs must set activeDeadlineSeconds to at most 3600 unless they are in dev.', 'an exception'],
  ['Deployments with more than 3 replicas must set revisionHistoryLimit to at most 5.', 'a condition'],
  ['Deployments must keep revisionHistoryLimit at most 5.', '"keep" is not placed'],
];

describeReadings('a bound on a well-known number field', READ_FIELD_BOUND, REFUSED_FIELD_BOUND);

// "… unless they are in the dev namespace" (the whole tail, one namespace named as one): the exception "except in the
// dev namespace" names. An exception by label, or a bare name without "namespace", stays refused.
const READ_UNLESS_IN_NAMESPACE: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'This policy ensures that every Deployment has at least 3 replicas unless it is in the `dev` namespace.',
    family: 'replicas',
    checks: [
      ['2 replicas elsewhere', deployment([container()], {}, { replicas: 2 }), 'deny'],
      ['2 replicas in dev', inNamespace(deployment([container()], {}, { replicas: 2 }), 'dev'), 'allow'],
    ],
  },
  {
    text: 'Pods must not use hostNetwork unless they are in the monitoring namespace.',
    family: 'host-namespaces',
    checks: [
      ['hostNetwork elsewhere', pod([container()], { hostNetwork: true }), 'deny'],
      ['hostNetwork in monitoring', pod([container()], { hostNetwork: true }, 'monitoring'), 'allow'],
      ['a Deployment with hostNetwork elsewhere', deployment([container()], { hostNetwork: true }), 'deny'],
    ],
  },
  {
    text: 'Secrets must be immutable unless they are in the dev namespace.',
    family: 'known-field',
    checks: [
      ['mutable elsewhere', typedSecret('Opaque'), 'deny'],
      ['mutable in dev', inNamespace(typedSecret('Opaque'), 'dev'), 'allow'],
    ],
  },
  {
    text: 'Ingresses must not use a host that starts with a wildcard unless it is in the dev namespace.',
    family: 'ingress-open-host',
    checks: [
      ['a wildcard elsewhere', ingress('*.example.com'), 'deny'],
      ['a wildcard in dev', inNamespace(ingress('*.example.com'), 'dev'), 'allow'],
    ],
  },
  // the planned cases include the excluded namespace's (allowed) and another's (denied)
  ...(
    [
      ['Pods must not set the kernel.msgmax sysctl unless they are in namespace db.', 'sysctls'],
      ['Pods must not use the default service account unless they are in namespace ci.', 'default-service-account'],
      ['Pods must not set hostAliases unless they run in namespace legacy.', 'pod-field-forbidden'],
      ['Deny Ingresses without an ingressClassName unless they are in namespace legacy.', 'known-field'],
    ] as const
  ).map(([text, family]) => ({ text, family, checks: [] as Check[] })),
];

const REFUSED_UNLESS_IN_NAMESPACE: Array<[string, string]> = [
  ['Pods must not use hostNetwork unless they are labelled monitoring=true.', 'an exception by label'],
  [
    'Jobs must set activeDeadlineSeconds to at most 3600 unless they are in dev.',
    '"dev" is not said to be a namespace',
  ],
  ['Pods must not use hostNetwork unless they are in the monitoring namespace or labelled x=y.', 'a second exception'],
];

describeReadings('"… unless they are in the N namespace"', READ_UNLESS_IN_NAMESPACE, REFUSED_UNLESS_IN_NAMESPACE);

// Background that only looks limiting: the kernel's namespaces ("the host's PID namespace") are no Kubernetes namespace
// a rule is scoped to, and a leading purpose ("To avoid noisy neighbours, …") says why, not what.
const READ_BACKGROUND: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: "Sharing the host's PID namespace allows a container to see all processes on the node. Pods should not set hostPID to true.",
    family: 'host-namespaces',
    checks: [
      ['hostPID', pod([container()], { hostPID: true }), 'deny'],
      ['plain', pod(), 'allow'],
    ],
  },
  {
    text: 'To avoid noisy neighbours, CPU limits should be set on all containers.',
    family: 'resources',
    checks: [
      ['a CPU limit', pod([container({ resources: { limits: { cpu: '1' } } })]), 'allow'],
      ['none', pod(), 'deny'],
    ],
  },
];

const REFUSED_BACKGROUND: Array<[string, string]> = [
  [
    'To avoid noisy neighbours in the shared namespace, CPU limits should be set on all containers.',
    'a namespace named',
  ],
  [
    "Sharing the host's PID namespace is only safe in the ops namespace. Pods should not set hostPID to true.",
    'a scope',
  ],
];

describeReadings('background that only looks limiting', READ_BACKGROUND, REFUSED_BACKGROUND);

// "Volumes of type emptyDir …" and "sets securityContext.privileged to true": the subject said another way.
const READ_SAID_OTHERWISE: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Volumes of type emptyDir must set a sizeLimit.',
    family: 'emptydir-size-limit',
    checks: [
      ['no sizeLimit', pod(undefined, { volumes: [{ name: 'e', emptyDir: {} }] }), 'deny'],
      ['a sizeLimit', pod(undefined, { volumes: [{ name: 'e', emptyDir: { sizeLimit: '1Gi' } }] }), 'allow'],
    ],
  },
  {
    text: 'Any container that sets securityContext.privileged to true must be rejected.',
    family: 'privileged',
    checks: [
      ['privileged', pod([sc({ privileged: true })]), 'deny'],
      ['privileged false', pod([sc({ privileged: false })]), 'allow'],
    ],
  },
];

const REFUSED_SAID_OTHERWISE: Array<[string, string]> = [
  ['Containers must set privileged to true.', 'requires what the family forbids'],
  ['Containers must not set privileged to false.', 'a ban on false'],
];

describeReadings('a subject said another way', READ_SAID_OTHERWISE, REFUSED_SAID_OTHERWISE);

// "only the following volume types are used: configMap, csi, …" (the restricted profile's list, said as a list).
const READ_FOLLOWING_VOLUMES: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'This policy ensures that only the following volume types are used: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, and secret.',
    family: 'volume-types',
    checks: [
      ['a csi volume', pod(undefined, { volumes: [{ name: 'c', csi: { driver: 'x' } }] }), 'allow'],
      ['a hostPath volume', pod(undefined, { volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'deny'],
      ['an nfs volume', pod(undefined, { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] }), 'deny'],
    ],
  },
];

const REFUSED_FOLLOWING_VOLUMES: Array<[string, string]> = [
  ['Only the following volume types are used: configMap, nfs-thing.', 'not a volume type'],
];

describeReadings('"only the following volume types are used: …"', READ_FOLLOWING_VOLUMES, REFUSED_FOLLOWING_VOLUMES);

// "a non-zero runAsGroup": root-group's ban on GID 0 said positively; an unset field stays allowed, as the family's.
const READ_NON_ZERO: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Containers must run with a non-zero runAsGroup, fsGroup and supplementalGroups.',
    family: 'root-group',
    checks: [
      ['runAsGroup 0', pod([sc({ runAsGroup: 0 })]), 'deny'],
      ['fsGroup 0', pod(undefined, { securityContext: { fsGroup: 0 } }), 'deny'],
      ['supplementalGroups with 0', pod(undefined, { securityContext: { supplementalGroups: [5, 0] } }), 'deny'],
      ['all 1000', pod([sc({ runAsGroup: 1000 })], { securityContext: { fsGroup: 1000 } }), 'allow'],
      ['none set', pod(), 'allow'],
    ],
  },
];

const REFUSED_NON_ZERO: Array<[string, string]> = [
  ['runAsGroup must be set to a non-zero value.', 'asks for the field to be set'],
  ['Containers must not run with a non-zero runAsGroup.', 'requires the root group'],
];

describeReadings('"a non-zero runAsGroup"', READ_NON_ZERO, REFUSED_NON_ZERO);

// `safe-to-evict: "true"`: a key: value whose value carries its own quotes is that value (the quotes are not part of it).
const annotatedWith = (annotations?: Record<string, string>): KubeObject => ({
  ...pod(),
  metadata: { name: 'p', namespace: NS, ...(annotations ? { annotations } : {}) },
});
const READ_QUOTED_VALUE: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Add the annotation cluster-autoscaler.kubernetes.io/safe-to-evict: "true" to all Pods.',
    family: 'metadata-default',
    checks: [
      ['a Pod without it gets it', annotatedWith(), 'mutate'],
      [
        'a Pod that has it is left alone',
        annotatedWith({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' }),
        'allow',
      ],
    ],
  },
];

describeReadings('a key: "value" with quotes around the value', READ_QUOTED_VALUE);

// "should trigger a warning", "Log a warning for …": a warning said with another verb (warn(), never deny()).
const READ_WARNING_VERBS: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Log a warning for Services of type NodePort.',
    family: 'service-type',
    checks: [
      ['NodePort', service({ type: 'NodePort' }), 'warn'],
      ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
    ],
  },
  {
    text: 'Privileged containers should trigger a warning.',
    family: 'privileged',
    checks: [
      ['privileged', pod([sc({ privileged: true })]), 'warn'],
      ['plain', pod(), 'allow'],
    ],
  },
];

const REFUSED_WARNING_VERBS: Array<[string, string]> = [
  ['Flag containers that run as root.', '"flag" is not placed'],
  ['Audit Pods that run privileged containers.', 'audit: warn or Dry is not said'],
];

describeReadings('a warning said with another verb', READ_WARNING_VERBS, REFUSED_WARNING_VERBS);

// A Job's own field also holds for the Jobs a CronJob makes from spec.jobTemplate: checked on Jobs alone, a CronJob
// without it was admitted and every Job it started was denied.
const cronJobOf = (jobSpec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'c', namespace: NS },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } }, ...jobSpec } },
  },
});
const READ_JOB_TEMPLATES: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Jobs must set ttlSecondsAfterFinished.',
    family: 'known-field',
    checks: [
      ['a Job without it', job({}), 'deny'],
      ['a CronJob whose template lacks it', cronJobOf({}), 'deny'],
      ['a CronJob whose template sets it', cronJobOf({ ttlSecondsAfterFinished: 100 }), 'allow'],
    ],
  },
  {
    text: 'Jobs must set activeDeadlineSeconds to at most 3600.',
    family: 'known-field-bound',
    checks: [
      ['a CronJob whose template allows 7200', cronJobOf({ activeDeadlineSeconds: 7200 }), 'deny'],
      ['a CronJob whose template allows 600', cronJobOf({ activeDeadlineSeconds: 600 }), 'allow'],
    ],
  },
];

describeReadings("a Job's field reaches CronJobs' job templates", READ_JOB_TEMPLATES);

// A rule of its own beside "This policy …": "Services must not use NodePort. This policy ensures Services of type
// LoadBalancer are denied." was read as the LoadBalancer ban alone (the first rule set aside as rationale).
const READ_RULE_BESIDE_POLICY: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Services must not use NodePort. This policy ensures Services of type LoadBalancer are denied.',
    family: 'service-type',
    checks: [
      ['NodePort', service({ type: 'NodePort' }), 'deny'],
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
      ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
    ],
  },
];

describeReadings('a rule of its own beside the "This policy …" sentence', READ_RULE_BESIDE_POLICY);

// "without the label team" names the key; "in any namespace other than dev" and "In all namespaces except dev, …" are
// the exception "except in the dev namespace".
const READ_WITHOUT_AND_OTHER_THAN: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Namespaces without the label team are not allowed.',
    family: 'metadata-required',
    checks: [
      ['team=payments', namespaceObject({ team: 'payments' }), 'allow'],
      ['no labels', namespaceObject(undefined), 'deny'],
    ],
  },
  ...[
    'Privileged containers are not allowed in any namespace other than dev.',
    'In all namespaces except dev, privileged containers are not allowed.',
  ].map((text) => ({
    text,
    family: 'privileged',
    checks: [
      ['privileged elsewhere', pod([sc({ privileged: true })]), 'deny'],
      ['privileged in dev', pod([sc({ privileged: true })], {}, 'dev'), 'allow'],
    ] as Check[],
  })),
];

const REFUSED_WITHOUT_AND_OTHER_THAN: Array<[string, string]> = [
  ['Namespaces without the label team or owner are not allowed.', 'two keys, either missing'],
  ['Pods must not use hostNetwork in any namespace other than dev and qa.', 'two namespaces'],
];

describeReadings(
  '"without the label K", "in any namespace other than N"',
  READ_WITHOUT_AND_OTHER_THAN,
  REFUSED_WITHOUT_AND_OTHER_THAN,
);

// "Images must have a tag", "Images must be tagged", "Image tags are required": the untagged rule said as a need.
const READ_NEEDS_TAG: Array<{ text: string; family: string; checks: Check[] }> = [
  ...['Images must have a tag.', 'Images must be tagged.', 'Image tags are required.'].map((text) => ({
    text,
    family: 'image-tag',
    checks: [
      ['untagged', pod([container({ image: 'nginx' })]), 'deny'],
      ['tagged', pod([container({ image: 'nginx:1.27' })]), 'allow'],
      [':latest is a tag', pod([container({ image: 'nginx:latest' })]), 'allow'],
    ] as Check[],
  })),
];

const REFUSED_NEEDS_TAG: Array<[string, string]> = [
  ['Images must not be tagged.', 'a ban on tags'],
  ['Images must have a tag unless they use a digest.', 'an exception'],
];

describeReadings('the untagged rule said as a need', READ_NEEDS_TAG, REFUSED_NEEDS_TAG);

// "Services must be of type ClusterIP (or NodePort)": service-type's allow-list said as a need.
const READ_TYPE_NEEDED: Array<{ text: string; family: string; checks: Check[] }> = [
  {
    text: 'Services must be of type ClusterIP.',
    family: 'service-type',
    checks: [
      ['ClusterIP', service({ type: 'ClusterIP' }), 'allow'],
      ['no type (ClusterIP)', service({}), 'allow'],
      ['NodePort', service({ type: 'NodePort' }), 'deny'],
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
    ],
  },
  {
    text: 'Services must be of type ClusterIP or NodePort.',
    family: 'service-type',
    checks: [
      ['NodePort', service({ type: 'NodePort' }), 'allow'],
      ['LoadBalancer', service({ type: 'LoadBalancer' }), 'deny'],
    ],
  },
];

const REFUSED_TYPE_NEEDED: Array<[string, string]> = [
  ['Services must be of type ClusterIP and NodePort.', 'no Service is both'],
];

describeReadings('a Service type said as a need', READ_TYPE_NEEDED, REFUSED_TYPE_NEEDED);

// "must not be granted / request the NET_ADMIN capability": adding it, said from the container's side.
const READ_GRANTED_CAPABILITY: Array<{ text: string; family: string; checks: Check[] }> = [
  ...[
    'Pods must not be granted the NET_ADMIN capability.',
    'Containers must not request the NET_ADMIN capability.',
  ].map((text) => ({
    text,
    family: 'capabilities',
    checks: [
      ['adds NET_ADMIN', pod([sc({ capabilities: { add: ['NET_ADMIN'] } })]), 'deny'],
      ['adds CHOWN', pod([sc({ capabilities: { add: ['CHOWN'] } })]), 'allow'],
    ] as Check[],
  })),
];

const REFUSED_GRANTED_CAPABILITY: Array<[string, string]> = [
  ['Containers must not request more memory than the SYS_ADMIN capability.', 'a request of memory'],
];

describeReadings('a capability granted or requested', READ_GRANTED_CAPABILITY, REFUSED_GRANTED_CAPABILITY);

// "must be set" after a field asks for the field; it names no value (read as the value "set", the reading was lost).
describeReadings('"F must be set for Ks"', [
  {
    text: 'activeDeadlineSeconds must be set for Jobs.',
    family: 'known-field',
    checks: [
      ['unset', job({}), 'deny'],
      ['600', job({ activeDeadlineSeconds: 600 }), 'allow'],
    ],
  },
]);

// A lower bound is met by "no limit" unless the statement asks for the field itself: "must set / specify / have" (was
// read as allowing a Job without ttlSecondsAfterFinished, which is never cleaned up, against "must set").
describeReadings('a lower bound on a field the statement asks to be set', [
  {
    text: 'Jobs must set ttlSecondsAfterFinished to at least 100.',
    family: 'known-field-bound',
    checks: [
      ['unset: the statement asks for it', job({}), 'deny'],
      ['99', job({ ttlSecondsAfterFinished: 99 }), 'deny'],
      ['100', job({ ttlSecondsAfterFinished: 100 }), 'allow'],
      ['a CronJob whose Jobs lack it', cronJobOf({}), 'deny'],
    ],
  },
  {
    text: 'Jobs must specify an activeDeadlineSeconds of at least 60.',
    family: 'known-field-bound',
    checks: [
      ['unset', job({}), 'deny'],
      ['60', job({ activeDeadlineSeconds: 60 }), 'allow'],
    ],
  },
  {
    // Without "set", no deadline is no limit, which meets a lower bound.
    text: 'The activeDeadlineSeconds of Jobs must be at least 60.',
    family: 'known-field-bound',
    checks: [
      ['unset: no limit', job({}), 'allow'],
      ['59', job({ activeDeadlineSeconds: 59 }), 'deny'],
    ],
  },
]);
