/**
 * agents/: the planner, the coder and the critic agent with their prompts (agents/prompts/), the model
 * factory, and the offline (no-model) planner and coder. Nothing here runs generated code.
 */
export {
  loadModelConfig,
  describeModel,
  MODEL_DEFAULTS,
  PROVIDERS,
  type ModelConfig,
  type Provider,
} from './model-config.js';
export {
  createChatModel,
  createEmbeddings,
  redactingEmbeddings,
  ModelClient,
  classify as classifyModelError,
  retryAfterMs,
  emptyUsage,
  addUsage,
  type ModelClientOptions,
  type StructuredRequest,
  type StructuredAnswer,
} from './chat-model.js';
export {
  planIntent,
  withExamples,
  catalogHint,
  PLAN_ATTEMPTS,
  type PlanInput,
  type PlanOutput,
  type PlanObjections,
} from './planner.js';
export { writePolicy, coderMessages, type CoderInput, type CoderOutput, type CoderFeedback } from './coder.js';
export { reviewPolicy, type ReviewInput, type ReviewOutput } from './critic-agent.js';
export { assemblePolicy, applyMode, policyNameFor, POLICY_NAME_SUFFIX, MODE_TO_VIOLATION_POLICY } from './assemble.js';
export { PlanSchema, DraftSchema, SpecSchema, CritiqueSchema, TestCaseSchema, SideEffectSchema } from './schemas.js';
export { loadPrompt, renderPrompt, unfenced, INTENT_FENCE, PROMPTS, type PromptName } from './prompts.js';
export {
  offlineFamilies,
  understandOffline,
  OFFLINE_FAMILIES,
  type OfflineUnderstanding,
  type OfflineFamily,
} from './offline/index.js';
export { createAgents, type Agents } from './agents.js';
export { judgeCases, judgeObjections, type JudgeInput, type JudgeOutput } from './judge.js';
export { caseCatalogObjections } from './case-catalog.js';
export { JudgementSchema } from './schemas.js';
export {
  restate,
  restatementAnnotation,
  withRestatement,
  RESTATEMENT_ANNOTATION,
  type RestateInput,
} from './restate.js';
