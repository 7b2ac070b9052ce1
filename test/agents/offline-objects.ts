import type { KubeObject } from '../../common/index.js';

// The objects the offline reading tests write from a sentence's meaning: a namespace that is not a system one, an
// ordinary image, containers and Pods built around them.

export const NS = 'shop';
export const IMAGE = 'registry.example.com/app:1.0';

export function container(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'app', image: IMAGE, ...extra };
}

export function sc(securityContext: Record<string, unknown>): Record<string, unknown> {
  return container({ securityContext });
}

export function pod(
  containers: Array<Record<string, unknown>> = [container()],
  spec: Record<string, unknown> = {},
  namespace = NS,
): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec: { containers, ...spec } };
}
