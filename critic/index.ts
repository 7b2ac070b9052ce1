export { lintPolicy, SAFE_TIMEOUT_SECONDS, type LintContext } from './lint.js';
export { harden, scopedSelector } from './harden.js';
export { renderReport, type RenderOptions } from './render.js';
export { namespacesFromIntent, selectorMaySelect, selectedNames, SYSTEM_NAMESPACES, NAMESPACE_NAME_LABEL } from './namespaces.js';
export { codeFacts, JSPOLICY_GLOBALS, type CodeFacts } from './code-facts.js';
export { fuzzPolicy, objectVariants, type FuzzOptions, type SuiteRunner } from './fuzz.js';
export { narrowScope, UNRELATED_NAMESPACE, type ScopeExperiment } from './narrow.js';
export { verify, type VerifyDeps } from './verify.js';
