import type { ApiResource } from './types.js';

// Widely used CRD families. Config Connector: one group per GCP service (iam, storage, compute, …).
type Row = [group: string, versions: string, kind: string, plural: string, namespaced: boolean, subresources?: string];

const ROWS: Row[] = [
  ['iam.cnrm.cloud.google.com', 'v1beta1', 'IAMPolicy', 'iampolicies', true, 'status'],
  ['iam.cnrm.cloud.google.com', 'v1beta1', 'IAMPolicyMember', 'iampolicymembers', true, 'status'],
  ['iam.cnrm.cloud.google.com', 'v1beta1', 'IAMPartialPolicy', 'iampartialpolicies', true, 'status'],
  ['iam.cnrm.cloud.google.com', 'v1beta1', 'IAMServiceAccount', 'iamserviceaccounts', true, 'status'],
  ['resourcemanager.cnrm.cloud.google.com', 'v1beta1', 'Project', 'projects', true, 'status'],
  ['storage.cnrm.cloud.google.com', 'v1beta1', 'StorageBucket', 'storagebuckets', true, 'status'],
  ['pubsub.cnrm.cloud.google.com', 'v1beta1', 'PubSubTopic', 'pubsubtopics', true, 'status'],
  ['core.cnrm.cloud.google.com', 'v1beta1', 'ConfigConnector', 'configconnectors', false, 'status'],
  ['policy.jspolicy.com', 'v1beta1', 'JsPolicy', 'jspolicies', false, 'status'],
  ['policy.jspolicy.com', 'v1beta1', 'JsPolicyBundle', 'jspolicybundles', false],
  ['policy.jspolicy.com', 'v1beta1', 'JsPolicyViolations', 'jspolicyviolations', false, 'status'],
  ['gpt.drzzl.io', 'v1', 'GPTPolicy', 'gptpolicies', false, 'status'],
];

export const crdFamilies: ApiResource[] = ROWS.map(([group, versions, kind, plural, namespaced, subs]) => ({
  group,
  versions: versions.split(' '),
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced,
  subresources: subs ? subs.split(' ') : [],
  source: 'crd-family',
}));
