import type { JsPolicy, JsPolicySpec, KubeObject, TestCase } from '../../common/index.js';

/** A JsPolicy around `javascript`; pods, CREATE/UPDATE, no selectors unless `spec` says otherwise. */
export function policy(javascript: string, spec: Partial<JsPolicySpec> = {}, name = 'test.policyforge.dev'): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name },
    spec: { operations: ['CREATE', 'UPDATE'], resources: ['pods'], ...spec, javascript },
  };
}

export function pod(
  name = 'web',
  namespace = 'default',
  labels?: Record<string, string>,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] },
    ...extra,
  };
}

export function podCase(name: string, expect: TestCase['expect'], extra: Partial<TestCase> = {}): TestCase {
  return { name, object: pod(), expect, ...extra };
}
