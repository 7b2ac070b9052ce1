/**
 * The sandbox: a faithful offline jsPolicy runtime. Runs JsPolicy javascript in isolated-vm with
 * jsPolicy's globals and semantics (../shared/jspolicy.md, checked against loft-sh/jspolicy's pkg/vm and
 * pkg/webhook), matches requests as the webhook would, and runs suites of admission cases.
 *
 * Isolation: 'inline' runs the isolate in this process (CLI, tests); 'process' runs it in a pool of
 * child processes, so a fatal V8 error costs one child (the request in flight fails with
 * PF_ERR_SANDBOX_CRASHED) and never the service. How one context serves many cases with no shared state:
 * sandbox/prelude.ts.
 *
 * Where the sandbox knowingly differs from jsPolicy:
 *  - a policy whose code visibly changes built-ins (polyfills) gets a fresh, unfrozen context per case, as
 *    upstream gives every request; any other policy shares one frozen context per policy, where a write to a
 *    built-in that only obfuscated code can make (e.g. through a computed global name) is ignored or throws;
 *  - sleep() is virtual: charged against the timeout and added to Date.now()/new Date(), not slept;
 *  - WebAssembly, SharedArrayBuffer and Atomics are absent, FinalizationRegistry too, and a resizable
 *    ArrayBuffer grows by at most OUTPUT_LIMITS.bufferGrowthBytes per case (v8go's V8 has none of them);
 *  - messages are bounded (OUTPUT_LIMITS) only to keep the host's memory finite;
 *  - webpack bundles only a policy that webpack would change (dependencies, import/require, module names:
 *    sandbox/bundle.ts); any other runs as written in a function wrapper, which is what its bundle amounts to
 *    (a top-level return works) but for terser's renaming, visible in stack traces and function names;
 *  - bundling runs nothing of the policy on the host: npm installs with --ignore-scripts (jsPolicy's flag
 *    does not exist in npm, so its install scripts run), git dependencies are refused, and webpack's magic
 *    comments are ignored (webpack evaluates them);
 *  - the "all VMs busy" wait is modelled only as given (RunOptions.vmWaitMs), not from concurrent load.
 */
export {
  createSandbox,
  SANDBOX_DEFAULTS,
  type SandboxOptions,
  type SandboxRunner,
  type RunOptions,
  type FunctionTestResult,
} from './runner.js';
export type { PolicyBundle } from './runner.js';
export {
  parseSuite,
  parseCase,
  loadSuite,
  parsePolicy,
  loadPolicy,
  loadPolicyDocument,
  serializePolicy,
} from './suite.js';
export { parsePolicyFile, loadPolicyFile, parsePolicyBundles, loadPolicyBundles } from './suite.js';
export { bundlePolicy, needsBundling, decodeBundle, encodeBundle, defaultCacheDir } from './bundle.js';
export { webpackConfig, BUNDLE_TIMEOUT_MS } from './bundle.js';
export type { BundleOptions, BundleResult } from './bundle.js';
export {
  buildAdmissionRequest,
  marshalRequest,
  pluralise,
  resolveResource,
  DEFAULT_USER_INFO,
  type AdmissionRequest,
  type ControllerRequest,
} from './admission.js';
export {
  matchesPolicy,
  explainMismatch,
  selectorMatches,
  NAMESPACE_NAME_LABEL,
  type MatchOptions,
} from './matching.js';
export { formatSuiteResult, escapeForTerminal, describeTimeout, TERMINAL_TEXT_CHARS } from './format.js';
export { runLimit, apiServerTimeoutMessage, JSPOLICY_DEFAULT_TIMEOUT_SECONDS, type RunLimit } from './outcome.js';
export { subsetDifference } from './outcome.js';
export { COMPILE_FAILURE } from './instrument.js';
export { PolicyReplayer, ReplayPool, type ReplayRequest, type ReplayerOptions } from './replay.js';
export { OUTPUT_LIMITS, PolicyEngine, type CaseInput, type RawRun, type CompileResult } from './engine.js';
