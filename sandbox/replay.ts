import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import type { CaseOutcome, JsPolicy, KubeObject, Operation, TestCase } from '../common/index.js';
import {
  buildAdmissionRequest,
  isControllerRequest,
  marshalRequest,
  type AdmissionRequest,
  type ControllerRequest,
} from './admission.js';
import { InlineBackend, type Backend } from './backend.js';
import type { CompileResult } from './engine.js';
import { explainMismatch } from './matching.js';
import { interpretRun, runLimit, unmatchedOutcome, type RunLimit } from './outcome.js';
import { ProcessPoolBackend } from './process-pool.js';
import { SANDBOX_DEFAULTS } from './runner.js';

/**
 * Replays recorded or existing objects through one JsPolicy as admission requests (the impact preview,
 * src/impact). Unlike runSuite it has no expectations and sees requests in batches as a source streams
 * them; the policy is compiled once into one context of one engine (inline, or in one sandbox child
 * process), so a request costs building it, matching, and one run in the already-hardened context.
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

/**
 * One sandbox child kept for many replays (the operator's impact previews): a replayer opened with it runs
 * there and leaves it open; whoever made the pool closes it. Starting a child per preview was most of the
 * operator's cost at scale (docs/benchmarks.md, operator at 500).
 */
export class ReplayPool {
  /** @internal */
  readonly backend: Backend;

  constructor(options: { memoryLimitMb?: number } = {}) {
    this.backend = new ProcessPoolBackend({
      processes: 1,
      memoryLimitMb: options.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb,
    });
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

export interface ReplayerOptions {
  /** Run in this long-lived child instead of starting one (isolation and memoryLimitMb are the pool's then). */
  pool?: ReplayPool;
  /** 'process' runs the policy in a sandbox child process (a fatal isolate error costs the child); 'inline' in this process. @defaultValue 'process' */
  isolation?: 'inline' | 'process';
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
  private constructor(
    readonly policy: JsPolicy,
    private readonly backend: Backend,
    private readonly catalog: ApiCatalog,
    private readonly limit: RunLimit,
    /** A policy that does not compile replays nothing (jsPolicy would delete its webhook). */
    readonly compiled: CompileResult,
    /** False when the backend is a ReplayPool's: close() leaves it to its owner. */
    private readonly ownsBackend: boolean,
  ) {}

  static async open(policy: JsPolicy, options: ReplayerOptions = {}): Promise<PolicyReplayer> {
    const memoryLimitMb = options.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb;
    const owns = !options.pool;
    const backend: Backend =
      options.pool?.backend ??
      ((options.isolation ?? 'process') === 'process'
        ? new ProcessPoolBackend({ processes: 1, memoryLimitMb })
        : new InlineBackend(memoryLimitMb));
    try {
      const compiled = await backend.checkCompiles(policy.spec.javascript ?? '');
      const limit = runLimit(policy, options.maxTimeoutMs ?? SANDBOX_DEFAULTS.maxTimeoutMs);
      return new PolicyReplayer(policy, backend, options.catalog ?? builtinCatalog(), limit, compiled, owns);
    } catch (err) {
      if (owns) await backend.close();
      throw err;
    }
  }

  /**
   * What the policy does to each request, as the client would see it: not selected (matched false),
   * allowed, warned, mutated or denied (an uncaught error denies with 500; a timeout is decided by
   * failurePolicy, as the API server decides it). One call to the backend per batch.
   */
  async replayBatch(requests: ReplayRequest[]): Promise<CaseOutcome[]> {
    if (!this.compiled.ok)
      return requests.map(() =>
        unmatchedOutcome(`the policy does not compile (${(this.compiled as { error: string }).error})`),
      );
    const prepared = requests.map((r) => this.prepare(r));
    const toRun = prepared.filter(
      (p): p is { request: AdmissionRequest | ControllerRequest; mismatch: undefined } => p.mismatch === undefined,
    );
    const policyName = this.policy.metadata.name;
    const raws = toRun.length
      ? await this.backend.runCases(
          this.policy.spec.javascript ?? '',
          toRun.map((p) => ({ requestJson: marshalRequest(p.request), timeoutMs: this.limit.limitMs, policyName })),
        )
      : [];
    let next = 0;
    return prepared.map((p) => {
      if (p.mismatch !== undefined) return unmatchedOutcome(p.mismatch);
      const raw = raws[next++];
      return interpretRun(
        this.policy,
        raw,
        isControllerRequest(p.request) ? p.request.object : p.request.object,
        this.limit,
        p.request,
      );
    });
  }

  private prepare(r: ReplayRequest): { request: AdmissionRequest | ControllerRequest; mismatch: string | undefined } {
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
      spec.type === 'Controller'
        ? buildAdmissionRequest(
            { ...asCase, operation: r.operation === 'DELETE' ? 'DELETE' : 'CREATE' },
            'Validating',
            this.catalog,
          )
        : request;
    return { request, mismatch: explainMismatch(spec, matchOn, r.namespaceLabels ?? {}, { catalog: this.catalog }) };
  }

  /** The per-request time limit that applies (the policy's own, or the cap). */
  get limitMs(): number {
    return this.limit.limitMs;
  }

  close(): Promise<void> {
    return this.ownsBackend ? this.backend.close() : Promise.resolve();
  }
}
