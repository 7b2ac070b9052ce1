import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import type { CaseOutcome, JsPolicy, KubeObject, Operation, TestCase } from '../common/index.js';
import { buildAdmissionRequest, isControllerRequest, marshalRequest } from './admission.js';
import { PolicyEngine, type CompileResult } from './engine.js';
import { explainMismatch } from './matching.js';
import { interpretRun, runLimit, unmatchedOutcome, type RunLimit } from './outcome.js';
import { SANDBOX_DEFAULTS } from './runner.js';

/**
 * Replays recorded or existing objects through one JsPolicy as admission requests (the impact preview,
 * src/impact). Unlike runSuite it has no expectations and sees requests one at a time as a source streams
 * them, so it holds one engine with the policy compiled once in one context: the per-request cost is
 * building the request, matching, and one run in the already-hardened context.
 *
 * Runs inline (in this process): the CLI's `test --against` and `generate --against` use it, as `test`
 * runs suites inline. A service replaying uploads should run it in a sandbox child process instead.
 */

/** One request to replay: what an API server would have sent the webhook. */
export interface ReplayRequest {
  operation: Operation;
  /** The object (absent on DELETE). */
  object?: KubeObject;
  /** The object before the change (UPDATE, DELETE). */
  oldObject?: KubeObject;
  /** The request namespace when known (audit events record it); derived from the object otherwise. */
  namespace?: string;
  subResource?: string;
  userInfo?: TestCase['userInfo'];
  /** Labels of the request's namespace, for namespaceSelector; the name label is always implied. */
  namespaceLabels?: Record<string, string>;
}

export interface ReplayerOptions {
  /** Resolves kind → resource plural and scope. @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /** V8 heap limit of the isolate, in MB. @defaultValue 64 */
  memoryLimitMb?: number;
  /**
   * Cap on one request's wall-clock time below the policy's own limit (spec.timeoutSeconds, else jsPolicy's
   * 10 s): a replay of many objects cannot wait 10 s on each. @defaultValue 2000
   */
  maxTimeoutMs?: number;
}

export class PolicyReplayer {
  private readonly engine: PolicyEngine;
  private readonly catalog: ApiCatalog;
  private readonly javascript: string;
  private readonly limit: RunLimit;
  /** Set by the constructor: a policy that does not compile replays nothing (jsPolicy would delete its webhook). */
  readonly compiled: CompileResult;

  constructor(
    readonly policy: JsPolicy,
    options: ReplayerOptions = {},
  ) {
    this.engine = new PolicyEngine({ memoryLimitMb: options.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb, maxContexts: 1 });
    this.catalog = options.catalog ?? builtinCatalog();
    this.javascript = policy.spec.javascript ?? '';
    this.limit = runLimit(policy, options.maxTimeoutMs ?? SANDBOX_DEFAULTS.maxTimeoutMs);
    this.compiled = this.engine.checkCompiles(this.javascript);
  }

  /**
   * What the policy does to this request, as the client would see it: not selected (matched false),
   * allowed, warned, mutated or denied (an uncaught error denies with 500). Synchronous: the caller
   * decides when to yield to the event loop.
   */
  replay(r: ReplayRequest): CaseOutcome {
    if (!this.compiled.ok) return unmatchedOutcome(`the policy does not compile (${this.compiled.error})`);
    const spec = this.policy.spec;
    const asCase: TestCase = {
      name: '',
      expect: 'allow',
      operation: r.operation,
      ...(r.object ? { object: r.object } : {}),
      ...(r.oldObject ? { oldObject: r.oldObject } : {}),
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...(r.subResource ? { subResource: r.subResource } : {}),
      ...(r.userInfo ? { userInfo: r.userInfo } : {}),
    };
    const request = buildAdmissionRequest(asCase, spec.type, this.catalog);
    // A Controller sees an update as CREATE: match on the webhook-shaped request with that operation (as runSuite does).
    const matchOn =
      spec.type === 'Controller' ? buildAdmissionRequest({ ...asCase, operation: r.operation === 'DELETE' ? 'DELETE' : 'CREATE' }, 'Validating', this.catalog) : request;
    const mismatch = explainMismatch(spec, matchOn, r.namespaceLabels ?? {}, { catalog: this.catalog });
    if (mismatch !== undefined) return unmatchedOutcome(mismatch);
    const raw = this.engine.run(this.javascript, { requestJson: marshalRequest(request), timeoutMs: this.limit.limitMs, policyName: this.policy.metadata.name });
    return interpretRun(this.policy, raw, isControllerRequest(request) ? request.object : request.object, this.limit, request);
  }

  close(): void {
    this.engine.dispose();
  }
}
