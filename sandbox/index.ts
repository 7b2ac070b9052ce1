/**
 * The sandbox: a faithful offline jsPolicy runtime. Runs JsPolicy javascript in isolated-vm with
 * jsPolicy's globals and semantics (../shared/jspolicy.md), matches requests as the webhook would, and
 * runs suites of admission cases.
 */
export { createSandbox, SANDBOX_DEFAULTS, type SandboxOptions, type SandboxRunner, type RunOptions, type FunctionTestResult } from './runner.js';
export { parseSuite, parseCase, loadSuite, parsePolicy, loadPolicy, serializePolicy } from './suite.js';
export { buildAdmissionRequest, pluralise, resolveResource, DEFAULT_USER_INFO, type AdmissionRequest, type ControllerRequest } from './admission.js';
export { matchesPolicy, explainMismatch, selectorMatches, NAMESPACE_NAME_LABEL, type MatchOptions } from './matching.js';
export { formatSuiteResult } from './format.js';
export { subsetDifference } from './outcome.js';
export { COMPILE_FAILURE } from './instrument.js';
export { OUTPUT_LIMITS, PolicyEngine, type CaseInput, type RawRun, type CompileResult } from './engine.js';
import { PolicyEngine, type CompileResult } from './engine.js';

let checker: PolicyEngine | undefined;

/**
 * Does this javascript compile as jsPolicy would compile it? When it does not, jsPolicy deletes the
 * policy's webhook and the policy silently stops being enforced (fails open).
 */
export function checkCompiles(javascript: string): CompileResult {
  checker ??= new PolicyEngine({ memoryLimitMb: 16, maxContexts: 1 });
  return checker.checkCompiles(javascript);
}
