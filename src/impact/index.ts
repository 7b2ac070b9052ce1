/**
 * src/impact: the impact preview. What a JsPolicy would do to the objects that exist (manifests, Lists,
 * a live cluster, read-only) and to the requests a cluster recorded (audit logs), before it enforces
 * anything. Sources stream (sources.ts, audit.ts, cluster.ts) into the sandbox's PolicyReplayer
 * (impact.ts); the CLI's `test --against` and `generate --against` print it (format.ts).
 */
export {
  previewImpact,
  type ImpactOptions,
  type ImpactVerdict,
  type ImpactVerdictKind,
  type ImpactProgress,
} from './impact.js';
export { readFileEntries, sourceFiles, type SourceEntry, type ReadSourceOptions } from './sources.js';
export { auditEntry, isAuditEvent, type AuditEntry } from './audit.js';
export { formatImpact, impactHeadline } from './format.js';
export { clusterEntries, type ClusterSourceOptions } from './cluster.js';
export { assessClusterImpact, impactStatus, impactCondition, IMPACT_CONDITION, type ImpactStatus } from './status.js';
export {
  inspectUpload,
  previewUpload,
  applyDenyThreshold,
  storeUpload,
  loadUpload,
  uploadKey,
  withImpactPreview,
  UPLOAD_LIMITS,
  DEFAULT_DENY_THRESHOLD,
  type UploadLimits,
  type InspectedUpload,
  type GenerationImpactDeps,
} from './upload.js';
