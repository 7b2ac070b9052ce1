/**
 * The user's first real failure as a scripted model answers it: the IAMPolicy intent, a plan, the user's
 * actual first draft (the wrong API group and an unguarded `spec.resourceRef.kind`), the fixed draft a
 * model writes once the critic's findings reach it, and the critic agent's approval. Shared by the loop's
 * and the service's model-path tests so both tell the same story.
 */
export const IAM_INTENT = 'Deny any IAMPolicy Config Connector resources that reference a Project.';

export function iamPolicy(name: string, resourceRef?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPolicy',
    metadata: { name, namespace: 'config' },
    spec: {
      ...(resourceRef ? { resourceRef } : {}),
      bindings: [{ role: 'roles/viewer', members: ['user:dev@example.com'] }],
    },
  };
}

export const iamPlan = {
  rationale: 'IAMPolicy objects whose spec.resourceRef.kind is Project are denied; every other reference is allowed.',
  target: {
    type: 'Validating',
    resources: ['iampolicies'],
    apiGroups: ['iam.cnrm.cloud.google.com'],
    apiVersions: ['v1beta1'],
    operations: ['CREATE', 'UPDATE'],
    scope: 'Namespaced',
    namespaces: [],
  },
  steps: [{ name: 'referencesProject', description: 'spec.resourceRef.kind is Project' }],
  tests: [
    {
      name: 'IAMPolicy on a Project is denied',
      object: iamPolicy('p', { kind: 'Project', name: 'my-project' }),
      expect: 'deny',
    },
    {
      name: 'IAMPolicy on a Project by external id is denied',
      object: iamPolicy('e', { kind: 'Project', external: 'projects/x' }),
      expect: 'deny',
    },
    {
      name: 'IAMPolicy on a StorageBucket is allowed',
      object: iamPolicy('b', { kind: 'StorageBucket', name: 'logs' }),
      expect: 'allow',
    },
    { name: 'IAMPolicy without a resourceRef is allowed', object: iamPolicy('n'), expect: 'allow' },
  ],
};

/** The user's real first draft: the wrong group and an unguarded resourceRef. */
export const flawedDraft = {
  explanation: 'deny IAMPolicies on projects',
  plan: 'read the resourceRef kind',
  spec: {
    type: 'Validating',
    operations: ['CREATE', 'UPDATE'],
    resources: ['iampolicies'],
    apiGroups: ['configconnector.cnrm.cloud.google.com'],
    javascript:
      "if (request.object.spec.resourceRef.kind === 'Project') { deny('IAMPolicy must not target a Project'); }",
  },
};

export const fixedDraft = {
  explanation: 'use the group that serves iampolicies and optional chaining',
  plan: 'read the resourceRef kind safely',
  spec: {
    type: 'Validating',
    operations: ['CREATE', 'UPDATE'],
    resources: ['iampolicies'],
    apiGroups: ['iam.cnrm.cloud.google.com'],
    scope: 'Namespaced',
    javascript:
      "function referencesProject(obj) { return obj?.spec?.resourceRef?.kind === 'Project'; }\nif (referencesProject(request.object)) { deny('IAMPolicy must not target a Project'); }",
  },
};

export const approve = { reasoning: 'denies exactly IAMPolicies on projects', success: true, critique: '' };
