export * from './contracts.js';
export * from './errors.js';
export { createLogger, logger, silentLogger, redactSecrets, redactAndClip, type Logger } from './logger.js';
export { packageRoot, assetPath, policyforgeHome } from './paths.js';
export { readInputFile, INPUT_FILE_MAX_BYTES, type ReadInputOptions } from './input-file.js';
export {
  POD_CONTROLLER_RESOURCES,
  isPodControllerResource,
  NAMESPACE_NAME_LABEL,
  SYSTEM_NAMESPACES,
  MODE_TO_VIOLATION_POLICY,
  type PodControllerResource,
  type PolicyMode,
} from './kubernetes.js';
export { canonicalJson, sortKeys } from './canonical-json.js';
export {
  ownJsPolicy,
  ownerPolicyName,
  ownerLabelKey,
  POLICY_NAME_SUFFIX,
  MANAGED_BY_LABEL,
  type EnvelopeOptions,
} from './envelope.js';
export {
  INTENT_LIMITS,
  EXPECTATIONS,
  MODES,
  APPROVALS,
  ROLLOUT_STRATEGIES,
  NAMESPACE_NAME,
  OwnerReferenceSchema,
  KubeObjectSchema,
  FixturesSchema,
  UserInfoSchema,
  TestCaseFieldsSchema,
  TestCaseSchema,
  IntentOptionsSchema,
  IntentSchema,
  LabelSelectorSchema,
  JsPolicySpecSchema,
  GO_DURATION,
  GPTPolicyRolloutSchema,
  GPTPolicySpecSchema,
  schemaIssues,
  fieldPath,
  describeIssues,
  parseIntent,
  parseCase,
  type SchemaIssue,
  type GPTPolicySpec,
  type GPTPolicyRolloutSpec,
} from './schemas.js';
export {
  parsePolicyCode,
  policyCodeParses,
  POLICY_CODE_CACHE_SIZE,
  POLICY_CODE_CACHE_MAX_CHARS,
  type PolicyCodeFacts,
} from './policy-code.js';
