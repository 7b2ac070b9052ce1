import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import { PolicyforgeError, type CaseResult, type JsPolicy, type SkillTest, type Suite, type SuiteResult, type TestCase } from '../common/index.js';
import { buildAdmissionRequest, isControllerRequest, marshalRequest } from './admission.js';
import { InlineBackend, type Backend } from './backend.js';
import type { CaseInput } from './engine.js';
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
}

export interface RunOptions {
  /** Run the script even when namespaceSelector/objectSelector do not select the request (scope experiments). @defaultValue false */
  ignoreSelectors?: boolean;
}

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

export const SANDBOX_DEFAULTS = { isolation: 'inline', processes: 2, memoryLimitMb: 64, maxTimeoutMs: 2000, specTimeoutSeconds: 10 } as const;

export function createSandbox(options: SandboxOptions = {}): SandboxRunner {
  const memoryLimitMb = options.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb;
  const backend: Backend =
    (options.isolation ?? SANDBOX_DEFAULTS.isolation) === 'process'
      ? new ProcessPoolBackend({ processes: options.processes ?? SANDBOX_DEFAULTS.processes, memoryLimitMb, globalContext: options.globalContext })
      : new InlineBackend(memoryLimitMb, options.globalContext);
  const cap = options.maxTimeoutMs === null ? undefined : (options.maxTimeoutMs ?? SANDBOX_DEFAULTS.maxTimeoutMs);
  return new Sandbox(backend, options.catalog ?? builtinCatalog(), cap);
}

class Sandbox implements SandboxRunner {
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    private readonly backend: Backend,
    private readonly catalog: ApiCatalog,
    private readonly maxTimeoutMs: number | undefined,
  ) {}

  async runSuite(policy: JsPolicy, cases: Suite | TestCase[], options: RunOptions = {}): Promise<SuiteResult> {
    if (this.closed) throw new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']);
    const started = performance.now();
    const list = Array.isArray(cases) ? cases : cases.cases;
    const source = Array.isArray(cases) ? 'cases' : (cases.source ?? 'suite');
    list.forEach((c, i) => checkCase(c, i, source));
    const spec = policy.spec;
    const javascript = spec.javascript ?? '';
    const compiled = await this.backend.checkCompiles(javascript);
    if (!compiled.ok) {
      const results: CaseResult[] = list.map((c) => ({
        name: c.name,
        expected: c.expect,
        passed: false,
        failure: compiled.error,
        outcome: { matched: false, allowed: true, actual: 'allow', warnings: [], printed: [], calls: [], error: compiled.error, errorKind: 'compile', durationMs: 0 },
      }));
      return { passed: false, total: list.length, failed: list.length, cases: results, compileError: compiled.error, durationMs: performance.now() - started };
    }
    const limit = runLimit(policy, this.maxTimeoutMs);
    const timeoutMs = limit.limitMs;
    const prepared = list.map((c) => {
      const request = buildAdmissionRequest(c, spec.type, this.catalog);
      // A Controller sees an update as CREATE and matches its selectors against the object the event
      // carries (the deleted one on DELETE): match with that operation on the webhook-shaped request.
      const matchOn =
        spec.type === 'Controller'
          ? buildAdmissionRequest({ ...c, operation: (c.operation ?? 'CREATE') === 'DELETE' ? 'DELETE' : 'CREATE' }, 'Validating', this.catalog)
          : request;
      const mismatch = explainMismatch(spec, matchOn, c.namespaceLabels ?? {}, { ignoreSelectors: options.ignoreSelectors, catalog: this.catalog });
      return { c, request, mismatch };
    });
    const toRun = prepared.filter((p) => p.mismatch === undefined);
    const policyName = policy.metadata.name;
    const inputs: CaseInput[] = toRun.map((p) => ({ requestJson: marshalRequest(p.request), fixtures: p.c.fixtures, timeoutMs, policyName }));
    const raws = inputs.length ? await this.backend.runCases(javascript, inputs) : [];
    const rawByCase = new Map(toRun.map((p, i) => [p, raws[i]]));
    const results = prepared.map((p) => {
      const raw = rawByCase.get(p);
      const original = isControllerRequest(p.request) ? p.request.object : p.request.object;
      const outcome = raw ? interpretRun(policy, raw, original, limit, p.request) : unmatchedOutcome(p.mismatch ?? 'not run');
      return judge(p.c, outcome);
    });
    const failed = results.filter((r) => !r.passed).length;
    return { passed: failed === 0, total: results.length, failed, cases: results, durationMs: performance.now() - started };
  }

  async runFunctionTests(code: string, fnName: string, tests: SkillTest[]): Promise<FunctionTestResult[]> {
    if (this.closed) throw new PolicyforgeError('PF_ERR_CONFIG', ['the sandbox is closed']);
    const runs = await this.backend.runFunctionTests(code, fnName, tests.map((t) => ({ name: t.name, args: t.args })), this.maxTimeoutMs ?? SANDBOX_DEFAULTS.specTimeoutSeconds * 1000);
    return runs.map((r, i) => {
      if (r.error !== undefined) return { name: r.name, passed: false, error: r.error };
      const passed = deepEqual(r.actual, tests[i].expected);
      return { name: r.name, passed, actual: r.actual, ...(passed ? {} : { error: `expected ${JSON.stringify(tests[i].expected)}, got ${JSON.stringify(r.actual)}` }) };
    });
  }

  /** Idempotent: every caller waits for the same shutdown (a second close() must not return while children still run). */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.backend.close();
    return this.closing;
  }
}

/** The checks that keep a hand-built TestCase[] (from a plan, a model) from failing obscurely later. */
function checkCase(c: TestCase, index: number, source: string): void {
  const where = `${source} case ${c && typeof c.name === 'string' && c.name ? `"${c.name}"` : `#${index + 1}`}`;
  const fail = (field: string, why: string): never => {
    throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [where, `field \`${field}\`: ${why}`]);
  };
  if (!c || typeof c !== 'object') fail('(case)', 'must be an object');
  if (typeof c.name !== 'string' || !c.name) fail('name', 'is required');
  if (!['allow', 'deny', 'warn', 'mutate'].includes(c.expect)) fail('expect', 'must be allow, deny, warn or mutate');
  const op = c.operation ?? 'CREATE';
  if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(op)) fail('operation', 'must be CREATE, UPDATE, DELETE or CONNECT');
  const obj = op === 'DELETE' ? (c.oldObject ?? c.object) : c.object;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) fail(op === 'DELETE' ? 'oldObject' : 'object', 'must be a Kubernetes object');
  if (typeof obj?.kind !== 'string' || typeof obj?.apiVersion !== 'string') fail(op === 'DELETE' ? 'oldObject' : 'object', 'needs apiVersion and kind');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
