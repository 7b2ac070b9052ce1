import { randomBytes } from 'node:crypto';
import ivm from 'isolated-vm';
import type { Fixtures } from '../common/index.js';
import { COMPILE_FAILURE, instrumentPolicy, wrapPolicy } from './instrument.js';
import { PRELUDE_SOURCE } from './prelude.js';

/**
 * The evaluation engine: one isolated-vm isolate, one hardened context per policy (kept in a small LRU),
 * the policy compiled once per context. Used in-process ('inline') and inside each sandbox child process
 * ('process'); it knows nothing about suites, matching or expectations, only "run this request".
 */

/** Output caps: what a policy can make the host hold per case. */
export const OUTPUT_LIMITS = {
  /** printed lines kept per case */
  lines: 200,
  lineChars: 2_000,
  warnings: 100,
  /** deny/warn/requeue message length */
  messageChars: 4_096,
  calls: 200,
  callChars: 65_536,
  /** mutate(obj) serialised size */
  objectChars: 4_000_000,
} as const;

export interface EngineOptions {
  /** V8 heap limit per isolate. @defaultValue 64 */
  memoryLimitMb?: number;
  /** Contexts (compiled policies) kept alive per isolate. @defaultValue 16 */
  maxContexts?: number;
}

export interface CaseInput {
  /** The request object (AdmissionRequest or Controller request) as JSON. */
  requestJson: string;
  fixtures?: Fixtures;
  /** Wall-clock budget of this case, virtual sleep included. */
  timeoutMs: number;
  /** The JsPolicy's name, visible to the script as `__policy` as in jsPolicy. */
  policyName?: string;
}

export type Verdict =
  | { kind: 'allow' }
  | { kind: 'deny'; message: string; reason: string; code: number }
  | { kind: 'mutate'; object: string }
  | { kind: 'requeue'; message: string }
  | { kind: 'timeout' };

/** What one run did, before expectations and violationPolicy are applied. */
export interface RawRun {
  /** The first ending call; undefined when the script ran to its end (allowed) or failed. */
  verdict?: Verdict;
  /** `Uncaught …` when the script threw, ran out of time or memory. */
  error?: string;
  errorKind?: 'throw' | 'timeout' | 'memory';
  warnings: string[];
  printed: string[];
  calls: Array<{ fn: string; args: unknown[] }>;
  durationMs: number;
}

export type CompileResult = { ok: true } | { ok: false; error: string };

interface PolicyContext {
  context: ivm.Context;
  runCase: ivm.Reference<(input: string) => string>;
  abort: ivm.Reference<() => string>;
}

interface InnerResult {
  decided: (Verdict & { kind: string }) | null;
  error: string | null;
  warnings: string[];
  printed: string[];
  calls: Array<{ fn: string; args: string }>;
  virtualMs: number;
  truncated: { printed?: boolean; warnings?: boolean; calls?: boolean };
  tainted: boolean;
  /** abort() found the case already finished: the error came from a promise job after it. */
  afterFinish?: boolean;
  /** The context was found tainted before the case started: run it again in a fresh context. */
  retry?: boolean;
}

const TIMED_OUT = 'Script execution timed out.';

export class PolicyEngine {
  private isolate?: ivm.Isolate;
  private readonly contexts = new Map<string, PolicyContext>();
  private readonly compiled = new Map<string, CompileResult>();
  private readonly memoryLimitMb: number;
  private readonly maxContexts: number;
  /** Names of the in-isolate stop helpers, random per engine so policy code cannot name them in advance. */
  private readonly stopName = `__pf_stop_${randomBytes(6).toString('hex')}`;
  private readonly doneName = `__pf_done_${randomBytes(6).toString('hex')}`;
  private lastSource?: string;
  private lastContext?: PolicyContext;
  /** Isolates recreated after a memory limit or a fatal error (for tests and stats). */
  recycled = 0;

  constructor(options: EngineOptions = {}) {
    this.memoryLimitMb = Math.max(8, options.memoryLimitMb ?? 64);
    this.maxContexts = options.maxContexts ?? 16;
  }

  private iso(): ivm.Isolate {
    if (!this.isolate || this.isolate.isDisposed) {
      if (this.isolate) this.recycled++;
      this.contexts.clear();
      this.isolate = new ivm.Isolate({ memoryLimit: this.memoryLimitMb });
    }
    return this.isolate;
  }

  /** V8's verdict on the source exactly as jsPolicy would compile it (a script, not a module). */
  checkCompiles(javascript: string): CompileResult {
    // Keyed by the source itself: V8 caches a string's hash, so this is cheaper than any digest.
    const key = javascript;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    let result: CompileResult;
    try {
      const script = this.iso().compileScriptSync(javascript, { filename: 'policy.js' });
      script.release();
      result = { ok: true };
    } catch (err) {
      result = { ok: false, error: `${COMPILE_FAILURE}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` };
    }
    if (this.compiled.size > 256) this.compiled.clear();
    this.compiled.set(key, result);
    return result;
  }

  private contextFor(javascript: string): PolicyContext {
    // Suites run one policy many times: skip the map lookup when it is the same source as last time.
    if (javascript === this.lastSource && this.lastContext && this.contexts.has(this.lastSource)) return this.lastContext;
    const key = javascript;
    this.lastSource = javascript;
    const existing = this.contexts.get(key);
    if (existing) {
      this.contexts.delete(key);
      this.contexts.set(key, existing); // most recently used last
      this.lastContext = existing;
      return existing;
    }
    const isolate = this.iso();
    const context = isolate.createContextSync();
    const init = context.evalSync(PRELUDE_SOURCE, { reference: true, filename: 'policyforge-prelude.js' }) as ivm.Reference<(c: string) => unknown>;
    const config = JSON.stringify({ limits: OUTPUT_LIMITS, stopName: this.stopName, doneName: this.doneName });
    const api = init.applySync(undefined, [config], { result: { reference: true } }) as unknown as ivm.Reference<Record<string, unknown>>;
    const { code } = instrumentPolicy(javascript, this.stopName, this.doneName);
    let script: ivm.Script;
    try {
      script = isolate.compileScriptSync(wrapPolicy(code), { filename: 'policy.js' });
    } catch {
      // Should the rewrite ever produce code V8 rejects, run the source as written: the first-verdict
      // rule still holds in the prelude, only a swallowed stop would then run on to the timeout.
      script = isolate.compileScriptSync(wrapPolicy(javascript), { filename: 'policy.js' });
    }
    const fn = script.runSync(context, { reference: true, timeout: 1000 }) as ivm.Reference<() => void>;
    script.release();
    (api.getSync('setPolicy', { reference: true }) as ivm.Reference<(f: unknown) => void>).applySync(undefined, [fn.derefInto()]);
    const ctx: PolicyContext = {
      context,
      runCase: api.getSync('runCase', { reference: true }) as ivm.Reference<(input: string) => string>,
      abort: api.getSync('abort', { reference: true }) as ivm.Reference<() => string>,
    };
    this.contexts.set(key, ctx);
    this.lastContext = ctx;
    while (this.contexts.size > this.maxContexts) {
      const [oldest, old] = this.contexts.entries().next().value as [string, PolicyContext];
      this.contexts.delete(oldest);
      old.context.release();
    }
    return ctx;
  }

  private dropContext(javascript: string): void {
    const key = javascript;
    const ctx = this.contexts.get(key);
    if (!ctx) return;
    this.contexts.delete(key);
    if (this.isolate && !this.isolate.isDisposed) ctx.context.release();
  }

  /**
   * Runs one case. Never throws for anything the policy does: errors, timeouts and memory exhaustion
   * become a RawRun with `error`. The caller must have checked that the policy compiles.
   */
  run(javascript: string, input: CaseInput): RawRun {
    const started = performance.now();
    const payload = `{"request":${input.requestJson},"fixtures":${input.fixtures ? JSON.stringify(input.fixtures) : '{}'},"timeoutMs":${Number(input.timeoutMs)}${input.policyName ? `,"policyName":${JSON.stringify(input.policyName)}` : ''}}`;
    let inner: InnerResult | undefined;
    let hostError: { error: string; errorKind: RawRun['errorKind'] } | undefined;
    let ctx: PolicyContext | undefined;
    try {
      ctx = this.contextFor(javascript);
      inner = JSON.parse(ctx.runCase.applySync(undefined, [payload], { timeout: Math.max(1, Math.round(input.timeoutMs)) })) as InnerResult;
      if (inner.retry) {
        this.dropContext(javascript);
        ctx = this.contextFor(javascript);
        inner = JSON.parse(ctx.runCase.applySync(undefined, [payload], { timeout: Math.max(1, Math.round(input.timeoutMs)) })) as InnerResult;
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.isolate?.isDisposed) {
        hostError = { error: `Uncaught RangeError: the policy ran out of memory (sandbox limit ${this.memoryLimitMb} MB)`, errorKind: 'memory' };
      } else if (message === TIMED_OUT) {
        hostError = { error: `Uncaught Error: script execution timed out after ${input.timeoutMs} ms`, errorKind: 'timeout' };
        try {
          inner = ctx ? (JSON.parse(ctx.abort.applySync(undefined, [], { timeout: 250 })) as InnerResult) : undefined;
        } catch {
          inner = undefined;
          this.dropContext(javascript);
        }
      } else {
        // An error escaped the case: a promise job the policy queued threw after the case finished (its
        // result then stands), or the isolate failed in a way the policy did not cause directly.
        hostError = { error: `Uncaught Error: ${message}`, errorKind: 'throw' };
        try {
          inner = ctx ? (JSON.parse(ctx.abort.applySync(undefined, [], { timeout: 250 })) as InnerResult) : undefined;
          if (inner?.afterFinish) hostError = undefined;
        } catch {
          inner = undefined;
        }
        this.dropContext(javascript);
      }
    }
    if (inner?.tainted) this.dropContext(javascript);
    const durationMs = performance.now() - started;
    const base = {
      warnings: inner?.warnings ?? [],
      printed: inner?.printed ?? [],
      calls: (inner?.calls ?? []).map((c) => ({ fn: c.fn, args: parseArgs(c.args) })),
      durationMs: durationMs + (inner?.virtualMs ?? 0),
    };
    if (inner?.truncated.printed) base.printed.push(`… more lines dropped (limit ${OUTPUT_LIMITS.lines})`);
    if (inner?.truncated.warnings) base.warnings.push(`… more warnings dropped (limit ${OUTPUT_LIMITS.warnings})`);
    const decided = inner?.decided ?? undefined;
    if (decided && decided.kind === 'timeout') {
      return { ...base, error: `Uncaught Error: script execution timed out after ${input.timeoutMs} ms (sleep counted)`, errorKind: 'timeout' };
    }
    if (decided) return { ...base, verdict: decided };
    if (hostError) return { ...base, ...hostError };
    if (inner?.error) return { ...base, error: inner.error, errorKind: 'throw' };
    return base;
  }

  /**
   * Runs `code` (function declarations) and calls `fnName(...args)` for each test in one fresh,
   * unhardened context: skill functions are pure, and the context is discarded afterwards.
   */
  runFunctionTests(code: string, fnName: string, tests: Array<{ name: string; args: unknown[] }>, timeoutMs: number): Array<{ name: string; actual?: unknown; error?: string }> {
    const compiled = this.checkCompiles(code);
    if (!compiled.ok) return tests.map((t) => ({ name: t.name, error: compiled.error }));
    const isolate = this.iso();
    const context = isolate.createContextSync();
    try {
      context.evalSync(code, { timeout: timeoutMs, filename: 'skill.js' });
      const call = context.evalSync(
        `(function (name, argsJson) { const f = globalThis[name]; if (typeof f !== 'function') throw new Error(name + ' is not a function declared by the code'); const r = f.apply(undefined, JSON.parse(argsJson)); return r === undefined ? '{"u":1}' : JSON.stringify({ v: r }); })`,
        { reference: true },
      ) as ivm.Reference<(n: string, a: string) => string>;
      return tests.map((t) => {
        try {
          const out = JSON.parse(call.applySync(undefined, [fnName, JSON.stringify(t.args)], { timeout: timeoutMs })) as { v?: unknown; u?: 1 };
          return { name: t.name, actual: out.u ? undefined : out.v };
        } catch (err) {
          if (isolate.isDisposed) return { name: t.name, error: `Uncaught RangeError: out of memory (sandbox limit ${this.memoryLimitMb} MB)` };
          const m = err instanceof Error ? err.message : String(err);
          return { name: t.name, error: m === TIMED_OUT ? `Uncaught Error: timed out after ${timeoutMs} ms` : `Uncaught ${err instanceof Error ? `${err.name}: ${m}` : m}` };
        }
      });
    } catch (err) {
      const m = isolate.isDisposed ? `out of memory (sandbox limit ${this.memoryLimitMb} MB)` : err instanceof Error ? err.message : String(err);
      return tests.map((t) => ({ name: t.name, error: `Uncaught ${m}` }));
    } finally {
      if (!isolate.isDisposed) context.release();
    }
  }

  dispose(): void {
    for (const c of this.contexts.values()) if (this.isolate && !this.isolate.isDisposed) c.context.release();
    this.contexts.clear();
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
  }
}

function parseArgs(json: string): unknown[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch {
    return [json];
  }
}

