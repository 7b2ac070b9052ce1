import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import {
  PolicyforgeError,
  type CaseResult,
  type JsPolicy,
  type SkillTest,
  type Suite,
  type SuiteResult,
  type TestCase,
} from '../common/index.js';
import { buildAdmissionRequest, isControllerRequest, marshalRequest } from './admission.js';
import { InlineBackend, type Backend } from './backend.js';
import { DEFAULT_MEMORY_LIMIT_MB } from './child-fork.js';
import { bundlePolicy, decodeBundle, needsBundling, type BundleOptions, type BundleResult } from './bundle.js';
import type { CaseInput, RawRun } from './engine.js';
import { COMPILE_FAILURE } from './instrument.js';
import { explainMismatch } from './matching.js';
import { interpretRun, judge, runLimit, unmatchedOutcome } from './outcome.js';
import { ProcessPoolBackend } from './process-pool.js';

export interface SandboxOptions {
  /** 'inline' runs isolates in this process; 'process' in a pool of child processes (a crash costs one child). @defaultValue 'inline' */
  isolation?: 'inline' | 'process';
  /** Child processes for 'process' isolation. @defaultValue 2 */
  processes?: number;
  /** V8 heap limit per isolate, in MB. @defaultValue 64 */
  memoryLimitMb?: number;
  /**
   * A cap on a case's wall-clock time below jsPolicy's own limit (spec.timeoutSeconds, else 10 s), for drafts
   * in the loop and the service; null runs every case with jsPolicy's own limit (`policyforge test`). Each
   * timed-out outcome says which limit applied. @defaultValue 2000
   */
  maxTimeoutMs?: number | null;
  /** jsPolicy's GLOBAL_CONTEXT: code run in every context before the policy (pkg/vm/vm.go 214). @defaultValue none */
  globalContext?: string;
  /** Resolves kind → resource plural and scope. @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /**
   * JsPolicyBundles, as the cluster would hold them: a policy without spec.javascript runs the bundle of its
   * own name (pkg/webhook/handler.go 135-152). @defaultValue none
   */
  bundles?: PolicyBundle[];
  /** Where and how spec.dependencies are installed and policies bundled (sandbox/bundle.ts). */
  bundling?: BundleOptions;
}

/** A JsPolicyBundle: spec.bundle is the gzipped javascript, base64 in YAML (jspolicybundle_types.go). */
export interface PolicyBundle {
  apiVersion?: string;
  kind?: 'JsPolicyBundle';
  metadata: { name: string };
  spec: { bundle?: string };
}

export interface RunOptions {
  /** Run the script even when namespaceSelector/objectSelector do not select the request (scope experiments). @defaultValue false */
  ignoreSelectors?: boolean;
  /**
   * Each request arrives while all of jsPolicy's VMs (VM_POOL_SIZE, 4 by default) are busy, and waits this
   * long for one (pkg/vm/vmpool/vmpool.go 37-49). The API server's deadline counts from the arrival: a wait
   * past it leaves failurePolicy to decide without the script running. Controller policies just wait.
   * @defaultValue 0
   */
  vmWaitMs?: number;
}

/** A run in which no script ran: each request failed the same way before it. */
const nothingRan = (): RawRun => ({ warnings: [], printed: [], calls: [], durationMs: 0 });

/** What a policy runs: its (bundled) javascript, or why it cannot run at all. */
type Script =
  | { ok: true; javascript: string; precompiled: boolean }
  | { ok: false; compileError: string }
  | { ok: false; requestError: string };

export interface FunctionTestResult {
  name: string;
  passed: boolean;
  actual?: unknown;
  error?: string;
}

export interface SandboxRunner {
  runSuite(policy: JsPolicy, cases: Suite | TestCase[], options?: RunOptions): Promise<SuiteResult>;
  runFunctionTests(code: string, fnName: string, tests: SkillTest[]): Promise<FunctionTestResult[]>;
  close(): Promise<void>;
}

export const SANDBOX_DEFAULTS = {
  isolation: 'inline',
  processes: 2,
  memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
  maxTimeoutMs: 2000,
  specTimeoutSeconds: 10,
} as const;

export function createSandbox(options: SandboxOptions = {}): SandboxRunner {
  const memoryLimitMb = options.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb;
  const backend: Backend =
    (options.isolation ?? SANDBOX_DEFAULTS.isolation) === 'process'
      ? new ProcessPoolBackend({
          processes: options.processes ?? SANDBOX_DEFAULTS.processes,
          memoryLimitMb,
          globalContext: options.globalContext,
        })
      : new InlineBackend(memoryLimitMb, options.globalContext);
  const cap = options.maxTimeoutMs === null ? undefined : (options.maxTimeoutMs ?? SANDBOX_DEFAULTS.maxTimeoutMs);
  const bundles = new Map((options.bundles ?? []).map((b) => [b.metadata.name, b.spec.bundle ?? '']));
  return new Sandbox(backend, options.catalog ?? builtinCatalog(), cap, bundles, options.bundling ?? {});
}

class Sandbox implements SandboxRunner {
  private closed = false;
  private closing?: Promise<void>;
  /** Bundles made in this sandbox, by source and dependencies: fuzzing and the loop run one policy many times. */
  private readonly bundled = new Map<string, Promise<BundleResult>>();

  constructor(
    private readonly backend: Backend,
    private readonly catalog: ApiCatalog,
    private readonly maxTimeoutMs: number | undefined,
    private readonly bundles: Map<string, string>,
    private readonly bundling: BundleOptions,
  ) {}

  /**
   * The script jsPolicy would run: spec.javascript bundled by webpack when webpack would change it (dependencies,
   * import/require; sandbox/bundle.ts), as written otherwise; without javascript, the JsPolicyBundle of the
   * policy's name (pkg/controllers/jspolicy.go 230-303).
   */
  private async scriptOf(policy: JsPolicy): Promise<Script> {
    const javascript = policy.spec.javascript ?? '';
    if (!javascript) {
      const encoded = this.bundles.get(policy.metadata.name);
      // jspolicy.go 296-297: no javascript and no bundle fails the policy; its webhook is deleted.
      if (encoded === undefined) {
        return {
          ok: false,
          compileError: `${COMPILE_FAILURE}: couldn't find js policy bundle, but no javascript provided`,
        };
      }
      try {
        return { ok: true, javascript: decodeBundle(encoded), precompiled: true };
      } catch {
        // handler.go 145-149: every request is answered with this 500.
        const requestError = `error decompressing javascript bundle for js policy ${policy.metadata.name}`;
        return { ok: false, requestError };
      }
    }
    const dependencies = policy.spec.dependencies ?? {};
    if (!needsBundling(javascript, dependencies)) return { ok: true, javascript, precompiled: false };
    const key = JSON.stringify([javascript, dependencies]);
    let pending = this.bundled.get(key);
    if (!pending) {
      pending = bundlePolicy(javascript, dependencies, this.bundling);
      this.bundled.set(key, pending);
      // A dependency that could not be installed may be there next time.
      pending.catch(() => this.bundled.delete(key));
    }
    const result = await pending;
    if (!result.ok) return { ok: false, compileError: `${COMPILE_FAILURE}: ${result.error}` };
    return { ok: true, javascript: result.javascript, precompiled: false };
  }

  async runSuite(policy: JsPolicy, cases: Suite | TestCase[], options: RunOptions = {}): Promise<SuiteResult> {
    if (this.closed) throw new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']);
    const started = performance.now();
    // Trusted as TestCases: each was parsed where it came in (parseSuite/parseCase with common's TestCaseSchema,
    // IntentSchema for examples, the planner for a model's cases). No schema again here: the fuzzer's variants
    // are malformed objects on purpose, and a suite already parsed would be parsed twice.
    const list = Array.isArray(cases) ? cases : cases.cases;
    const spec = policy.spec;
    const script = await this.scriptOf(policy);
    const javascript = script.ok ? script.javascript : '';
    // Every request to the policy fails the same way, before any script runs.
    let requestError = !script.ok && 'requestError' in script ? script.requestError : undefined;
    let compileError = !script.ok && 'compileError' in script ? script.compileError : undefined;
    if (script.ok) {
      const compiled = await this.backend.checkCompiles(javascript);
      if (!compiled.ok) {
        // jsPolicy compiles nothing before a request: a precompiled bundle V8 rejects is a 500 on every
        // request (pkg/vm/vm.go 260-271), where javascript of its own would already have failed webpack.
        if (compiled.memory) requestError = compiled.error;
        else if (script.precompiled) requestError = `Uncaught ${compiled.error.slice(COMPILE_FAILURE.length + 2)}`;
        else compileError = compiled.error;
      }
    }
    if (compileError !== undefined) {
      const error = compileError;
      const results: CaseResult[] = list.map((c) => ({
        name: c.name,
        expected: c.expect,
        passed: false,
        failure: error,
        outcome: {
          matched: false,
          allowed: true,
          actual: 'allow',
          warnings: [],
          printed: [],
          calls: [],
          error,
          errorKind: 'compile',
          durationMs: 0,
        },
      }));
      return {
        passed: false,
        total: list.length,
        failed: list.length,
        cases: results,
        compileError: error,
        durationMs: performance.now() - started,
      };
    }
    const limit = runLimit(policy, this.maxTimeoutMs);
    // The API server's deadline is the policy's own limit, counted from the request's arrival (outcome.ts).
    const vmWaitMs = spec.type === 'Controller' ? 0 : Math.max(0, options.vmWaitMs ?? 0);
    const deadlineLeftMs = runLimit(policy).limitMs - vmWaitMs;
    const timeoutMs = vmWaitMs > 0 ? Math.min(limit.limitMs, deadlineLeftMs) : limit.limitMs;
    const prepared = list.map((c) => {
      const request = buildAdmissionRequest(c, spec.type, this.catalog);
      // A Controller sees an update as CREATE and matches its selectors against the object the event
      // carries (the deleted one on DELETE): match with that operation on the webhook-shaped request.
      const matchOn =
        spec.type === 'Controller'
          ? buildAdmissionRequest(
              { ...c, operation: (c.operation ?? 'CREATE') === 'DELETE' ? 'DELETE' : 'CREATE' },
              'Validating',
              this.catalog,
            )
          : request;
      const mismatch = explainMismatch(spec, matchOn, c.namespaceLabels ?? {}, {
        ignoreSelectors: options.ignoreSelectors,
        catalog: this.catalog,
      });
      return { c, request, mismatch };
    });
    const toRun = prepared.filter((p) => p.mismatch === undefined);
    const policyName = policy.metadata.name;
    let raws: RawRun[];
    if (deadlineLeftMs <= 0) {
      // No VM came free before the API server gave up: jsPolicy's pool hands out nothing and the handler
      // answers ctx.Err(), "context canceled", to a closed connection (vmpool.go 37-41; handler.go 155-168).
      const canceled = { error: 'context canceled', errorKind: 'timeout', durationMs: vmWaitMs } as const;
      raws = toRun.map(() => ({ ...nothingRan(), ...canceled }));
    } else if (requestError !== undefined) {
      raws = toRun.map(() => ({ ...nothingRan(), error: requestError, errorKind: 'throw' }));
    } else {
      const inputs: CaseInput[] = toRun.map((p) => {
        return { requestJson: marshalRequest(p.request), fixtures: p.c.fixtures, timeoutMs, policyName };
      });
      raws = inputs.length ? await this.backend.runCases(javascript, inputs) : [];
    }
    const rawByCase = new Map(toRun.map((p, i) => [p, raws[i]]));
    const results = prepared.map((p) => {
      const raw = rawByCase.get(p);
      const original = isControllerRequest(p.request) ? p.request.object : p.request.object;
      const outcome = raw
        ? interpretRun(policy, raw, original, limit, p.request, vmWaitMs)
        : unmatchedOutcome(p.mismatch ?? 'not run');
      return judge(p.c, outcome);
    });
    const failed = results.filter((r) => !r.passed).length;
    return {
      passed: failed === 0,
      total: results.length,
      failed,
      cases: results,
      durationMs: performance.now() - started,
    };
  }

  async runFunctionTests(code: string, fnName: string, tests: SkillTest[]): Promise<FunctionTestResult[]> {
    if (this.closed) throw new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']);
    const runs = await this.backend.runFunctionTests(
      code,
      fnName,
      tests.map((t) => ({ name: t.name, args: t.args })),
      this.maxTimeoutMs ?? SANDBOX_DEFAULTS.specTimeoutSeconds * 1000,
    );
    return runs.map((r, i) => {
      if (r.error !== undefined) return { name: r.name, passed: false, error: r.error };
      const passed = deepEqual(r.actual, tests[i].expected);
      return {
        name: r.name,
        passed,
        actual: r.actual,
        ...(passed ? {} : { error: `expected ${JSON.stringify(tests[i].expected)}, got ${JSON.stringify(r.actual)}` }),
      };
    });
  }

  /** Idempotent: every caller waits for the same shutdown (a second close() must not return while children still run). */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.backend.close();
    return this.closing;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
