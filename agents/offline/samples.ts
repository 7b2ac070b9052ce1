import type { ApiResource } from '../../catalog/index.js';
import type { KubeObject } from '../../common/index.js';

/** Well-formed sample objects for the offline planner's test cases. */

export interface SampleOptions {
  namespace?: string;
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Replaces the pod spec of pods and workloads. */
  podSpec?: Record<string, unknown>;
  /** Labels and annotations merged into the pod template's metadata of workloads (a Pod's own are `labels`). */
  template?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Merged into `spec` (top level) for every kind. */
  spec?: Record<string, unknown>;
  /** Extra top-level fields (e.g. roleRef, subjects). */
  extra?: Record<string, unknown>;
}

export const SAMPLE_IMAGE = 'registry.example.com/app:1.4.2';

export function samplePodSpec(containers: Array<Record<string, unknown>> = [{}]): Record<string, unknown> {
  return { containers: containers.map((c, i) => ({ name: `c${i}`, image: SAMPLE_IMAGE, ...c })) };
}

export function apiVersionOf(r: ApiResource): string {
  return r.group ? `${r.group}/${r.versions[0]}` : r.versions[0];
}

export function sampleObject(r: ApiResource, o: SampleOptions = {}): KubeObject {
  const metadata: Record<string, unknown> = { name: o.name ?? `sample-${r.kind.toLowerCase()}` };
  if (r.namespaced) metadata.namespace = o.namespace ?? 'default';
  if (o.labels) metadata.labels = o.labels;
  if (o.annotations) metadata.annotations = o.annotations;
  const obj: KubeObject = { apiVersion: apiVersionOf(r), kind: r.kind, metadata: metadata as KubeObject['metadata'] };
  const podSpec = o.podSpec ?? samplePodSpec();
  const app = { app: String(metadata.name) };
  /** A pod template's metadata: the selector label where the kind has one, then what the caller adds. */
  const templateMeta = (selector?: Record<string, string>): Record<string, unknown> | undefined => {
    const labels = selector || o.template?.labels ? { ...selector, ...o.template?.labels } : undefined;
    if (!labels && !o.template?.annotations) return undefined;
    return {
      ...(labels ? { labels } : {}),
      ...(o.template?.annotations ? { annotations: o.template.annotations } : {}),
    };
  };
  const template = (spec: Record<string, unknown>, selector?: Record<string, string>) => {
    const meta = templateMeta(selector);
    return meta ? { metadata: meta, spec } : { spec };
  };
  switch (r.kind) {
    case 'Pod':
      obj.spec = { ...podSpec, ...o.spec };
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
      obj.spec = {
        replicas: 1,
        selector: { matchLabels: app },
        template: template(podSpec, app),
        ...o.spec,
      };
      break;
    case 'DaemonSet':
      obj.spec = { selector: { matchLabels: app }, template: template(podSpec, app), ...o.spec };
      break;
    case 'ReplicationController':
      obj.spec = { replicas: 1, selector: app, template: template(podSpec, app), ...o.spec };
      break;
    case 'Job':
      obj.spec = { template: template({ ...podSpec, restartPolicy: 'Never' }), ...o.spec };
      break;
    case 'CronJob':
      obj.spec = {
        schedule: '0 * * * *',
        jobTemplate: { spec: { template: template({ ...podSpec, restartPolicy: 'Never' }) } },
        ...o.spec,
      };
      break;
    case 'PodTemplate':
      obj.template = template(podSpec, app);
      break;
    case 'Namespace':
      if (o.spec) obj.spec = o.spec;
      break;
    case 'Service':
      obj.spec = { type: 'ClusterIP', selector: app, ports: [{ port: 80 }], ...o.spec };
      break;
    case 'Ingress':
      obj.spec = { rules: [], ...o.spec };
      break;
    case 'ConfigMap':
      obj.data = { key: 'value' };
      break;
    case 'ClusterRoleBinding':
    case 'RoleBinding':
      obj.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };
      obj.subjects = [{ kind: 'Group', name: 'readers', apiGroup: 'rbac.authorization.k8s.io' }];
      break;
    default:
      obj.spec = { ...o.spec };
  }
  if (o.extra) Object.assign(obj, o.extra);
  return obj;
}

/** Deep copy with a change applied: tests derive variants without sharing nested objects. */
export function variant<T>(value: T, change?: (copy: T) => void): T {
  const copy = structuredClone(value);
  change?.(copy);
  return copy;
}
