import type { JSONSchemaProps } from './structural-schema.js';

/**
 * The structural schemas of jsPolicy's CRDs (policy.jspolicy.com/v1beta1, chart/crds/crds.yaml, generated
 * from pkg/apis/policy/v1beta1 by controller-gen), written down field by field for the test API server:
 * types only, no enums, defaults or required fields (jsPolicy's webhook checks values; see
 * /work/shared/jspolicy.md). A field these schemas do not list is pruned on a cluster, so it is pruned here.
 */

const str: JSONSchemaProps = { type: 'string' };
const int: JSONSchemaProps = { type: 'integer' };
const strings: JSONSchemaProps = { type: 'array', items: str };

const labelSelector: JSONSchemaProps = {
  type: 'object',
  properties: {
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: { key: str, operator: str, values: strings },
      },
    },
    matchLabels: { type: 'object', additionalProperties: str },
  },
};

export const JSPOLICY_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        apiGroups: strings,
        apiVersions: strings,
        auditLogSize: int,
        auditPolicy: str,
        dependencies: { type: 'object', additionalProperties: str },
        failurePolicy: str,
        javascript: str,
        matchPolicy: str,
        namespaceSelector: labelSelector,
        objectSelector: labelSelector,
        operations: strings,
        reinvocationPolicy: str,
        resources: strings,
        scope: str,
        timeoutSeconds: int,
        type: str,
        violationPolicy: str,
      },
    },
    status: {
      type: 'object',
      properties: {
        bundleHash: str,
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['status', 'type'],
            properties: {
              lastTransitionTime: { type: 'string', format: 'date-time' },
              message: str,
              reason: str,
              severity: str,
              status: str,
              type: str,
            },
          },
        },
        message: str,
        observedGeneration: int,
        phase: str,
        reason: str,
      },
    },
  },
};

/** JsPolicyViolations: spec is a bare object (everything in it is pruned); status.violations the audit log. */
export const JSPOLICY_VIOLATIONS_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: { type: 'object' },
    status: {
      type: 'object',
      properties: {
        violations: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              action: str,
              code: int,
              message: str,
              reason: str,
              requestInfo: {
                type: 'object',
                properties: { apiVersion: str, kind: str, name: str, namespace: str, operation: str },
              },
              timestamp: { type: 'string', format: 'date-time' },
              userInfo: { type: 'object', properties: { uid: str, username: str } },
            },
          },
        },
      },
    },
  },
};
