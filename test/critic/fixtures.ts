import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsPolicy, Suite } from '../../common/index.js';
import { parsePolicy, parseSuite } from '../../sandbox/index.js';
import { SHARED_INTENTS, sharedIntentIds } from '../support/shared-intents.js';

export const INTENTS_DIR = SHARED_INTENTS;

/** The user's IAMPolicy draft: wrong API group, and code reading spec.resourceRef.kind without guards. */
export const userIamPolicyDraft = (): JsPolicy => ({
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: { name: 'deny-project-iampolicies.example.com' },
  spec: {
    type: 'Validating',
    operations: ['CREATE', 'UPDATE'],
    resources: ['iampolicies'],
    apiGroups: ['configconnector.cnrm.cloud.google.com'],
    javascript:
      "if (request.object.spec.resourceRef.kind === 'Project') {\n  deny('IAMPolicy must not target a Project');\n}\n",
  },
});

/** The user's env=prod draft: pods in every namespace, failurePolicy left at its default (Fail). */
export const userProdPodsDraft = (): JsPolicy => ({
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: { name: 'no-prod-pods-in-test.example.com' },
  spec: {
    operations: ['CREATE', 'UPDATE'],
    resources: ['pods'],
    javascript:
      "if (request.namespace === 'test' && request.object.metadata.labels?.env === 'prod') {\n  deny('pods labelled env=prod are not allowed in namespace test');\n}\n",
  },
});

export interface Reference {
  id: string;
  suite: Suite;
  policy: JsPolicy;
}

/** Every intent suite in the shared directory with its reference policy. */
export function referencePolicies(): Reference[] {
  return sharedIntentIds().map((id) => {
    const suite = parseSuite(readFileSync(join(INTENTS_DIR, `${id}.yaml`), 'utf8'), `${id}.yaml`);
    return {
      id,
      suite,
      policy: parsePolicy(readFileSync(join(INTENTS_DIR, `${id}.policy.yaml`), 'utf8'), `${id}.policy.yaml`),
    };
  });
}
