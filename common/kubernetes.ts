/**
 * Kubernetes words every module shares, defined once. (More of the domain's constants move here as the
 * modules that copy them are touched: issue 16.)
 */

/** Resources whose objects carry a pod template: an intent about a pod's spec covers them by default. */
export const POD_CONTROLLER_RESOURCES = ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers'] as const;
export type PodControllerResource = (typeof POD_CONTROLLER_RESOURCES)[number];

export function isPodControllerResource(plural: string): plural is PodControllerResource {
  return (POD_CONTROLLER_RESOURCES as readonly string[]).includes(plural);
}
