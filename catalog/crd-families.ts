import { pfError } from '../common/index.js';
import type { ApiResource } from './types.js';

/**
 * Widely used CRD families, so a policy on them can be checked without a cluster. Each family lists its
 * kinds in one string: `Kind` is namespaced, `^Kind` cluster-scoped, `Kind=plural` when the plural is
 * not the regular one, `Kind+scale` adds subresources beyond the family default.
 */
interface Family {
  group: string;
  versions: string;
  kinds: string;
  /** Subresources every kind of the family has. @defaultValue `status` */
  subresources?: string;
}

// Config Connector: one API group per Google Cloud service, `<service>.cnrm.cloud.google.com`.
const CNRM: Array<[service: string, kinds: string, versions?: string]> = [
  [
    'iam',
    'IAMPolicy IAMPolicyMember IAMPartialPolicy IAMAuditConfig IAMServiceAccount IAMServiceAccountKey IAMCustomRole IAMWorkloadIdentityPool IAMWorkloadIdentityPoolProvider',
  ],
  ['resourcemanager', 'Project Folder ResourceManagerPolicy ResourceManagerLien'],
  [
    'storage',
    'StorageBucket StorageBucketAccessControl StorageDefaultObjectAccessControl StorageNotification StorageTransferJob',
  ],
  [
    'compute',
    'ComputeInstance ComputeInstanceTemplate ComputeInstanceGroup ComputeNetwork ComputeSubnetwork ComputeFirewall ComputeFirewallPolicy ComputeAddress ComputeDisk ComputeImage ComputeSnapshot ComputeRouter ComputeRouterNAT ComputeRoute ComputeForwardingRule ComputeBackendService ComputeBackendBucket ComputeHealthCheck ComputeSSLCertificate ComputeSSLPolicy ComputeURLMap ComputeTargetHTTPProxy ComputeTargetHTTPSProxy ComputeSecurityPolicy ComputeNetworkPeering ComputeVPNGateway',
  ],
  ['sql', 'SQLInstance SQLDatabase SQLUser SQLSSLCert'],
  ['pubsub', 'PubSubTopic PubSubSubscription PubSubSchema'],
  ['container', 'ContainerCluster ContainerNodePool'],
  ['serviceusage', 'Service ServiceIdentity'],
  ['secretmanager', 'SecretManagerSecret SecretManagerSecretVersion'],
  ['dns', 'DNSManagedZone DNSRecordSet DNSPolicy'],
  ['bigquery', 'BigQueryDataset BigQueryTable BigQueryJob'],
  ['kms', 'KMSKeyRing KMSCryptoKey'],
  ['logging', 'LoggingLogSink LoggingLogBucket LoggingLogMetric'],
  ['monitoring', 'MonitoringAlertPolicy MonitoringNotificationChannel MonitoringDashboard'],
  ['redis', 'RedisInstance'],
  ['artifactregistry', 'ArtifactRegistryRepository'],
  ['run', 'RunService RunJob'],
  ['cloudfunctions', 'CloudFunctionsFunction'],
  ['spanner', 'SpannerInstance SpannerDatabase'],
  ['gkehub', 'GKEHubFeature GKEHubMembership GKEHubFeatureMembership'],
  ['core', 'ConfigConnectorContext ^ConfigConnector', 'v1beta1'],
];

const FAMILIES: Family[] = [
  ...CNRM.map(([service, kinds, versions]) => ({
    group: `${service}.cnrm.cloud.google.com`,
    versions: versions ?? 'v1beta1',
    kinds,
  })),
  // cert-manager
  { group: 'cert-manager.io', versions: 'v1', kinds: 'Certificate CertificateRequest Issuer ^ClusterIssuer' },
  { group: 'acme.cert-manager.io', versions: 'v1', kinds: 'Order Challenge' },
  // Argo CD, Argo Workflows, Argo Rollouts (all in argoproj.io)
  {
    group: 'argoproj.io',
    versions: 'v1alpha1',
    kinds:
      'Application ApplicationSet AppProject Workflow WorkflowTemplate ^ClusterWorkflowTemplate CronWorkflow WorkflowTaskSet WorkflowTaskResult WorkflowEventBinding WorkflowArtifactGCTask Rollout+scale AnalysisTemplate ^ClusterAnalysisTemplate AnalysisRun Experiment',
  },
  // Istio
  {
    group: 'networking.istio.io',
    versions: 'v1 v1beta1 v1alpha3',
    kinds: 'VirtualService DestinationRule Gateway ServiceEntry Sidecar WorkloadEntry WorkloadGroup ProxyConfig',
  },
  { group: 'networking.istio.io', versions: 'v1alpha3', kinds: 'EnvoyFilter' },
  {
    group: 'security.istio.io',
    versions: 'v1 v1beta1',
    kinds: 'AuthorizationPolicy PeerAuthentication RequestAuthentication',
  },
  { group: 'telemetry.istio.io', versions: 'v1 v1alpha1', kinds: 'Telemetry' },
  { group: 'extensions.istio.io', versions: 'v1alpha1', kinds: 'WasmPlugin' },
  { group: 'install.istio.io', versions: 'v1alpha1', kinds: 'IstioOperator' },
  // Gatekeeper (constraint kinds are generated per ConstraintTemplate and only discovery knows them)
  { group: 'templates.gatekeeper.sh', versions: 'v1 v1beta1', kinds: '^ConstraintTemplate' },
  { group: 'config.gatekeeper.sh', versions: 'v1alpha1', kinds: 'Config' },
  { group: 'mutations.gatekeeper.sh', versions: 'v1 v1beta1', kinds: '^Assign ^AssignMetadata ^ModifySet' },
  { group: 'mutations.gatekeeper.sh', versions: 'v1alpha1', kinds: '^AssignImage' },
  { group: 'expansion.gatekeeper.sh', versions: 'v1beta1', kinds: '^ExpansionTemplate' },
  { group: 'externaldata.gatekeeper.sh', versions: 'v1beta1', kinds: '^Provider' },
  {
    group: 'status.gatekeeper.sh',
    versions: 'v1beta1',
    kinds: 'ConstraintPodStatus ConstraintTemplatePodStatus MutatorPodStatus',
    subresources: '',
  },
  // Kyverno
  { group: 'kyverno.io', versions: 'v1', kinds: '^ClusterPolicy Policy' },
  {
    group: 'kyverno.io',
    versions: 'v2 v2beta1',
    kinds: 'PolicyException CleanupPolicy ^ClusterCleanupPolicy UpdateRequest',
  },
  { group: 'wgpolicyk8s.io', versions: 'v1alpha2', kinds: 'PolicyReport ^ClusterPolicyReport', subresources: '' },
  { group: 'reports.kyverno.io', versions: 'v1', kinds: 'EphemeralReport ^ClusterEphemeralReport', subresources: '' },
  // jsPolicy itself and our own GPTPolicy
  {
    group: 'policy.jspolicy.com',
    versions: 'v1beta1',
    kinds: '^JsPolicy=jspolicies ^JsPolicyViolations=jspolicyviolations',
  },
  { group: 'policy.jspolicy.com', versions: 'v1beta1', kinds: '^JsPolicyBundle', subresources: '' },
  { group: 'gpt.drzzl.io', versions: 'v1', kinds: '^GPTPolicy=gptpolicies' },
  // Gateway API and the Prometheus operator: present on most clusters that run the families above
  { group: 'gateway.networking.k8s.io', versions: 'v1 v1beta1', kinds: '^GatewayClass Gateway HTTPRoute GRPCRoute' },
  { group: 'gateway.networking.k8s.io', versions: 'v1beta1', kinds: 'ReferenceGrant', subresources: '' },
  {
    group: 'monitoring.coreos.com',
    versions: 'v1',
    kinds: 'ServiceMonitor PodMonitor PrometheusRule Probe Prometheus+scale Alertmanager',
    subresources: '',
  },
  {
    group: 'snapshot.storage.k8s.io',
    versions: 'v1',
    kinds: 'VolumeSnapshot ^VolumeSnapshotContent ^VolumeSnapshotClass',
  },
];

/** The regular plural Kubernetes and controller-gen derive from a kind: `Policy` → `policies`. */
export function regularPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

function expand(family: Family): ApiResource[] {
  const base = (family.subresources ?? 'status').split(' ').filter(Boolean);
  return family.kinds.split(/\s+/).map((token) => {
    const m = /^(\^?)([A-Za-z0-9]+)(?:=([a-z0-9]+))?((?:\+[a-z]+)*)$/.exec(token);
    if (!m) throw pfError('PF_ERR_INTERNAL', `catalog: malformed CRD family entry ${token}`);
    const [, cluster, kind, plural, extra] = m;
    return {
      group: family.group,
      versions: family.versions.split(' '),
      kind,
      plural: plural ?? regularPlural(kind),
      singular: kind.toLowerCase(),
      namespaced: cluster !== '^',
      subresources: [...base, ...extra.split('+').filter(Boolean)],
      source: 'crd-family' as const,
    };
  });
}

export const crdFamilies: ApiResource[] = FAMILIES.flatMap(expand);
