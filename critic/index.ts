/**
 * The critic: everything policyforge checks about a draft JsPolicy before anyone sees it. Static lints
 * (schema, code, API catalog, blast radius), the safety defaults (`harden`), the sandbox suite, fuzzing for
 * crashes, scope narrowing by experiment, and one report with a compact rendering for the coder's prompt.
 * It writes nothing and runs policy code only through the sandbox.
 */
export { lintPolicy, SAFE_TIMEOUT_SECONDS, type LintContext } from './lint.js';
export { harden, scopedSelector } from './harden.js';
export { renderReport, type RenderOptions } from './render.js';
export {
  namespacesFromIntent,
  namespaceExclusionsFromIntent,
  selectorMaySelect,
  selectedNames,
  SYSTEM_NAMESPACES,
  NAMESPACE_NAME_LABEL,
} from './namespaces.js';
export { intendedNamespaces, neededOperations } from './rules.js';
export { codeFacts, SIDE_EFFECT_GLOBALS, type CodeFacts } from './code-facts.js';
export {
  CallRecord,
  declaredSideEffectFindings,
  observedSideEffectFindings,
  MAX_DISTINCT_CALLS,
  type ObservedCall,
} from './side-effects.js';
export { fuzzPolicy, objectVariants, type FuzzOptions, type SuiteRunner } from './fuzz.js';
export { narrowScope, UNRELATED_NAMESPACE, type ScopeExperiment } from './narrow.js';
export { verify, type VerifyDeps } from './verify.js';
export { RULES, type RuleId } from './rule-ids.js';
