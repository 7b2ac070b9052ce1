/**
 * Kubernetes words every module shares, defined once. (More of the domain's constants move here as the
 * modules that copy them are touched: issue 16.)
 */

/** Resources whose objects carry a pod template: an intent about a pod's spec covers them by default. */
export const POD_CONTROLLER_RESOURCES = [
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
] as const;
export type PodControllerResource = (typeof POD_CONTROLLER_RESOURCES)[number];

export function isPodControllerResource(plural: string): plural is PodControllerResource {
  return (POD_CONTROLLER_RESOURCES as readonly string[]).includes(plural);
}

/** The label the API server sets on every namespace: selecting by it cannot be defeated by missing labels. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Namespaces no generated policy may act in: Kubernetes' own, jsPolicy's and policyforge's. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'jspolicy', 'policyforge'] as const;

/** An intent's mode as the JsPolicy's violationPolicy: Enforce denies, Warn warns, Audit only records (Dry). */
export const MODE_TO_VIOLATION_POLICY = { Enforce: 'Deny', Warn: 'Warn', Audit: 'Dry' } as const;
export type PolicyMode = keyof typeof MODE_TO_VIOLATION_POLICY;
