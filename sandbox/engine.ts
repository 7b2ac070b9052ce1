import { randomBytes } from 'node:crypto';
import ivm from 'isolated-vm';
import type { Fixtures } from '../common/index.js';
// errors.js directly, not the index: the sandbox child loads this file and should not pay for the logger.
import { PolicyforgeError } from '../common/errors.js';
// policy-code.js directly, not the index, for the same reason.
import { parsePolicyCode } from '../common/policy-code.js';
import { COMPILE_FAILURE, changesBuiltins, instrumentPolicy, wrapPolicy } from './instrument.js';
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
  /**
   * deny/warn/requeue message length. jsPolicy clips none; this bound only keeps what a policy can make
   * the host hold finite (the terminal output clips further, and says so).
   */
  messageChars: 1_048_576,
  calls: 200,
  callChars: 65_536,
  /** mutate(obj) serialised size */
  objectChars: 4_000_000,
  /** What one run may grow resizable ArrayBuffers by: they live outside the isolate's heap limit. */
  bufferGrowthBytes: 4 * 1024 * 1024,
} as const;

/** The prelude's file name: its frames are dropped from the stacks a policy's errors report. */
const PRELUDE_FILE = 'policyforge-prelude.js';
/** Fresh (unhardened, single-use) contexts made on one isolate before it is replaced: released contexts are collected lazily. */
const FRESH_CONTEXTS_PER_ISOLATE = 32;

export interface EngineOptions {
  /** V8 heap limit per isolate. @defaultValue 64 */
  memoryLimitMb?: number;
  /** Contexts (compiled policies) kept alive per isolate. @defaultValue 16 */
  maxContexts?: number;
  /** jsPolicy's GLOBAL_CONTEXT: code run in every context before the policy (pkg/vm/vm.go 214). */
  globalContext?: string;
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
  | { kind: 'error'; message: string }
  | { kind: 'deny'; message: string; reason: string; code: number }
  | { kind: 'mutate'; object: string }
  | { kind: 'requeue'; message: string }
  | { kind: 'timeout' };

/** What one run did, before expectations and violationPolicy are applied. */
export interface RawRun {
  /** The first ending call; undefined when the script ran to its end (allowed) or failed. */
  verdict?: Verdict;
  /** `Uncaught …` when the script threw, ran out of time or memory; encoding/json's text when its result does not decode. */
  error?: string;
  errorKind?: 'throw' | 'timeout' | 'memory' | 'decode';
  /** The wall-clock limit the run had (ms). */
  timeoutMs?: number;
  /** The run used a fresh, unfrozen context of its own (the policy changes built-ins, as polyfills do). */
  fresh?: boolean;
  warnings: string[];
  printed: string[];
  calls: Array<{ fn: string; args: unknown[] }>;
  durationMs: number;
}

/** `memory`: V8 ran out of the sandbox's memory while compiling, which says nothing of whether jsPolicy compiles it. */
export type CompileResult = { ok: true } | { ok: false; error: string; memory?: true };

interface PolicyContext {
  context: ivm.Context;
  runCase: ivm.Reference<(input: string) => string>;
  collect: ivm.Reference<() => string>;
  abort: ivm.Reference<() => string>;
}

interface InnerResult {
  decided: (Verdict & { kind: string }) | null;
  error: string | null;
  decodeError?: string | null;
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

/**
 * isolated-vm on Node 20+ can crash the whole process creating an isolate in a process started from
 * Node's startup snapshot (laverdet/isolated-vm#420; its README requires --no-node-snapshot). The CLI
 * skips its re-exec for commands whose isolates live in sandbox children (bin/policyforge.js): if one of
 * them ever created an isolate in its own process, this refuses (exit 2) instead of risking that crash.
 */
function assertNoNodeSnapshot(): void {
  const flag = '--no-node-snapshot';
  if (process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag)) return;
  throw new PolicyforgeError('PF_ERR_CONFIG', [
    `isolated-vm needs node ${flag} (Node 20+): start node with it to run policies in this process`,
  ]);
}

export class PolicyEngine {
  private isolate?: ivm.Isolate;
  /** The isolate of single-use contexts (policies that change built-ins), replaced every few contexts. */
  private freshIsolate?: ivm.Isolate;
  private freshMade = 0;
  private readonly contexts = new Map<string, PolicyContext>();
  private readonly compiled = new Map<string, CompileResult>();
  private readonly changesBuiltins = new Map<string, boolean>();
  private readonly preludes = new WeakMap<ivm.Isolate, ivm.Script>();
  private readonly memoryLimitMb: number;
  private readonly maxContexts: number;
  private readonly globalContext: string;
  /** Names of the in-isolate stop helpers, random per engine so policy code cannot name them in advance. */
  private readonly stopName = `__pf_stop_${randomBytes(6).toString('hex')}`;
  private readonly doneName = `__pf_done_${randomBytes(6).toString('hex')}`;
  private lastKey?: string;
  private lastContext?: PolicyContext;
  /** Isolates recreated after a memory limit or a fatal error (for tests and stats). */
  recycled = 0;

  constructor(options: EngineOptions = {}) {
    assertNoNodeSnapshot();
    this.memoryLimitMb = Math.max(8, options.memoryLimitMb ?? 64);
    this.maxContexts = options.maxContexts ?? 16;
    this.globalContext = options.globalContext ?? '';
  }

  private iso(): ivm.Isolate {
    if (!this.isolate || this.isolate.isDisposed) {
      if (this.isolate) this.recycled++;
      this.forgetContexts();
      this.isolate = new ivm.Isolate({ memoryLimit: this.memoryLimitMb });
    }
    return this.isolate;
  }

  /** Every context of a disposed isolate is gone with it: none may be handed out again. */
  private forgetContexts(): void {
    this.contexts.clear();
    this.lastKey = undefined;
    this.lastContext = undefined;
  }

  /** V8's verdict on the source as jsPolicy would compile it (a script, not a module; a top-level return allowed). */
  checkCompiles(javascript: string): CompileResult {
    // Keyed by the source itself: V8 caches a string's hash, so this is cheaper than any digest.
    const key = javascript;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    // The isolate is shared with other policies' contexts: running out of memory while compiling there says
    // nothing of this source. Once more on a new isolate; memory that runs out there too is reported as such (a
    // 500 on every request), never as "fails to compile" (jsPolicy would delete the webhook), and never cached.
    let result = this.compileOnce(javascript);
    if (!result.ok && result.memory) result = this.compileOnce(javascript);
    if (!result.ok && result.memory) return result;
    if (this.compiled.size > 256) this.compiled.clear();
    this.compiled.set(key, result);
    return result;
  }

  private compileOnce(javascript: string): CompileResult {
    let result: CompileResult;
    try {
      this.iso().compileScriptSync(javascript, { filename: 'policy.js' }).release();
      result = { ok: true };
    } catch (err) {
      if (this.isolate?.isDisposed) {
        this.iso();
        return {
          ok: false,
          memory: true,
          error: `Uncaught RangeError: the policy ran out of memory while compiling (sandbox limit ${this.memoryLimitMb} MB)`,
        };
      }
      result = {
        ok: false,
        error: `${COMPILE_FAILURE}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      };
      // webpack's bundling step (pkg/bundle/bundle.go) wraps the policy in a function, so a top-level return
      // compiles in jsPolicy: accept it when the source is one whole program with it (acorn), so code that
      // closes the sandbox's own wrapper early is still refused.
      if (
        err instanceof Error &&
        /Illegal return statement/.test(err.message) &&
        parsePolicyCode(javascript).script !== undefined
      ) {
        try {
          this.iso().compileScriptSync(wrapPolicy(javascript), { filename: 'policy.js', lineOffset: -1 }).release();
          result = { ok: true };
        } catch {
          // keep the first error
        }
      }
    }
    return result;
  }

  /** Builds a context: prelude, then the policy compiled into it as a function. */
  private makeContext(isolate: ivm.Isolate, javascript: string, filename: string, harden: boolean): PolicyContext {
    const context = isolate.createContextSync();
    // Compiled once per isolate: a fresh context per case would otherwise recompile the whole prelude.
    let prelude = this.preludes.get(isolate);
    if (!prelude) {
      prelude = isolate.compileScriptSync(PRELUDE_SOURCE, { filename: PRELUDE_FILE });
      this.preludes.set(isolate, prelude);
    }
    const init = prelude.runSync(context, { reference: true }) as ivm.Reference<(c: string) => unknown>;
    const config = JSON.stringify({
      limits: OUTPUT_LIMITS,
      stopName: this.stopName,
      doneName: this.doneName,
      preludeFile: PRELUDE_FILE,
      harden,
      globalContext: this.globalContext,
    });
    const api = init.applySync(undefined, [config], { result: { reference: true } }) as unknown as ivm.Reference<
      Record<string, unknown>
    >;
    const { code } = instrumentPolicy(javascript, this.stopName, this.doneName);
    // Named after the policy and shifted one line up (wrapPolicy's first line), so stack lines read as
    // jsPolicy's do: `at <policy>:<line>:<column>`.
    const origin = { filename, lineOffset: -1 };
    let script: ivm.Script;
    try {
      script = isolate.compileScriptSync(wrapPolicy(code), origin);
    } catch {
      // Should the rewrite ever produce code V8 rejects, run the source as written: the first-verdict
      // rule still holds in the prelude, only a swallowed stop would then run on to the timeout.
      script = isolate.compileScriptSync(wrapPolicy(javascript), origin);
    }
    const fn = script.runSync(context, { reference: true, timeout: 1000 }) as ivm.Reference<() => void>;
    script.release();
    (api.getSync('setPolicy', { reference: true }) as ivm.Reference<(f: unknown) => void>).applySync(undefined, [
      fn.derefInto(),
    ]);
    return {
      context,
      runCase: api.getSync('runCase', { reference: true }) as ivm.Reference<(input: string) => string>,
      collect: api.getSync('collect', { reference: true }) as ivm.Reference<() => string>,
      abort: api.getSync('abort', { reference: true }) as ivm.Reference<() => string>,
    };
  }

  private contextFor(key: string, javascript: string, filename: string): PolicyContext {
    // Suites run one policy many times: skip the map lookup when it is the same policy as last time.
    if (key === this.lastKey && this.lastContext && this.contexts.has(key)) return this.lastContext;
    this.lastKey = key;
    const existing = this.contexts.get(key);
    if (existing) {
      this.contexts.delete(key);
      this.contexts.set(key, existing); // most recently used last
      this.lastContext = existing;
      return existing;
    }
    const ctx = this.makeContext(this.iso(), javascript, filename, true);
    this.contexts.set(key, ctx);
    this.lastContext = ctx;
    while (this.contexts.size > this.maxContexts) {
      const [oldest, old] = this.contexts.entries().next().value as [string, PolicyContext];
      this.contexts.delete(oldest);
      old.context.release();
    }
    return ctx;
  }

  /** A single-use, unfrozen context, as jsPolicy gives every request (vmpool.Put recreates the context). */
  private freshContext(javascript: string, filename: string): PolicyContext {
    if (!this.freshIsolate || this.freshIsolate.isDisposed || this.freshMade >= FRESH_CONTEXTS_PER_ISOLATE) {
      if (this.freshIsolate && !this.freshIsolate.isDisposed) this.freshIsolate.dispose();
      this.freshIsolate = new ivm.Isolate({ memoryLimit: this.memoryLimitMb });
      this.freshMade = 0;
    }
    this.freshMade++;
    return this.makeContext(this.freshIsolate, javascript, filename, false);
  }

  private dropContext(key: string): void {
    const ctx = this.contexts.get(key);
    if (!ctx) return;
    this.contexts.delete(key);
    if (this.lastKey === key) this.lastContext = undefined;
    if (this.isolate && !this.isolate.isDisposed) ctx.context.release();
  }

  /** Does the policy change built-ins (polyfills)? Then each case gets a fresh, unfrozen context. */
  private needsFreshContext(javascript: string): boolean {
    let v = this.changesBuiltins.get(javascript);
    if (v === undefined) {
      v = changesBuiltins(javascript);
      if (this.changesBuiltins.size > 256) this.changesBuiltins.clear();
      this.changesBuiltins.set(javascript, v);
    }
    return v;
  }

  /**
   * Runs one case. Never throws for anything the policy does: errors, timeouts and memory exhaustion
   * become a RawRun with `error`. The caller must have checked that the policy compiles.
   */
  run(javascript: string, input: CaseInput): RawRun {
    const started = performance.now();
    const policyName = input.policyName || 'policy.js';
    const timeoutMs = Math.max(1, Math.round(input.timeoutMs));
    const payload = `{"request":${input.requestJson},"fixtures":${input.fixtures ? JSON.stringify(input.fixtures) : '{}'},"timeoutMs":${Number(input.timeoutMs)},"policyName":${JSON.stringify(input.policyName ?? '')}}`;
    const fresh = this.needsFreshContext(javascript);
    const key = `${policyName}\n${javascript}`;
    let inner: InnerResult | undefined;
    let hostError: { error: string; errorKind: RawRun['errorKind'] } | undefined;
    let ctx: PolicyContext | undefined;
    const isolate = (): ivm.Isolate | undefined => (fresh ? this.freshIsolate : this.isolate);
    const forget = (): void => {
      if (fresh) return;
      this.dropContext(key);
    };
    const attempt = (): void => {
      ctx = fresh ? this.freshContext(javascript, policyName) : this.contextFor(key, javascript, policyName);
      inner = this.runIn(ctx, payload, timeoutMs);
      if (inner.retry) {
        forget();
        ctx = this.contextFor(key, javascript, policyName);
        inner = this.runIn(ctx, payload, timeoutMs);
      }
    };
    try {
      try {
        attempt();
      } catch (err) {
        // The isolate is shared with other policies' contexts (jsPolicy gives each policy VMs of its own): the heap
        // they left may be what ran out. The case runs once more on a new isolate, so only a policy that exhausts
        // memory on its own is reported as doing so.
        if (!isolate()?.isDisposed) throw err;
        if (!fresh) this.forgetContexts();
        inner = undefined;
        ctx = undefined;
        attempt();
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (isolate()?.isDisposed) {
        // The isolate is gone with everything in it: the next case starts on a new one.
        if (!fresh) this.forgetContexts();
        hostError = {
          error: `Uncaught RangeError: the policy ran out of memory (sandbox limit ${this.memoryLimitMb} MB)`,
          errorKind: 'memory',
        };
      } else if (message === TIMED_OUT) {
        // pkg/vm/vm.go 253-256: the VM gives up with "script <origin> timed out".
        hostError = { error: `script ${policyName} timed out`, errorKind: 'timeout' };
        try {
          inner = ctx ? (JSON.parse(ctx.abort.applySync(undefined, [], { timeout: 250 })) as InnerResult) : undefined;
        } catch {
          inner = undefined;
          forget();
        }
      } else {
        // The isolate failed in a way the policy did not cause directly.
        hostError = { error: `Uncaught Error: ${message}`, errorKind: 'throw' };
        try {
          inner = ctx ? (JSON.parse(ctx.abort.applySync(undefined, [], { timeout: 250 })) as InnerResult) : undefined;
          if (inner?.afterFinish) hostError = undefined;
        } catch {
          inner = undefined;
        }
        forget();
      }
    } finally {
      if (fresh && ctx && this.freshIsolate && !this.freshIsolate.isDisposed) ctx.context.release();
    }
    if (inner?.tainted) forget();
    // In a fresh, unfrozen context the policy can reach the built-ins the prelude reports with: take
    // nothing from there on trust that the host goes on to use.
    if (fresh && inner) inner = checkedShape(inner);
    const durationMs = performance.now() - started;
    const base: RawRun = {
      warnings: inner?.warnings ?? [],
      printed: inner?.printed ?? [],
      calls: (inner?.calls ?? []).map((c) => ({ fn: c.fn, args: parseArgs(c.args) })),
      durationMs: durationMs + (inner?.virtualMs ?? 0),
      timeoutMs,
      ...(fresh ? { fresh: true } : {}),
    };
    if (inner?.truncated.printed) base.printed.push(`… more lines dropped (limit ${OUTPUT_LIMITS.lines})`);
    if (inner?.truncated.warnings) base.warnings.push(`… more warnings dropped (limit ${OUTPUT_LIMITS.warnings})`);
    const decided = inner?.decided ?? undefined;
    if (decided && decided.kind === 'timeout') {
      return { ...base, error: `script ${policyName} timed out`, errorKind: 'timeout' };
    }
    // A verdict given before the run was stopped stands: upstream's exit() ends the script on the spot.
    if (decided) return { ...base, verdict: decided };
    if (hostError) return { ...base, ...hostError };
    if (inner?.error) return { ...base, error: inner.error, errorKind: 'throw' };
    if (inner?.decodeError) return { ...base, error: inner.decodeError, errorKind: 'decode' };
    return base;
  }

  /**
   * Starts the case, lets isolated-vm run the promise jobs it queued (at the end of that call, as v8go
   * does at the end of RunScript), then reads the result. An error a promise job leaves unhandled is
   * not the script's error: jsPolicy never looks at it.
   */
  private runIn(ctx: PolicyContext, payload: string, timeoutMs: number): InnerResult {
    const begun = performance.now();
    let started: string;
    try {
      started = ctx.runCase.applySync(undefined, [payload], { timeout: timeoutMs });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message === TIMED_OUT || this.isolate?.isDisposed || this.freshIsolate?.isDisposed) throw err;
      started = '';
    }
    if (started) return JSON.parse(started) as InnerResult;
    const left = Math.max(1, Math.round(timeoutMs - (performance.now() - begun)));
    return JSON.parse(ctx.collect.applySync(undefined, [], { timeout: Math.max(left, 250) })) as InnerResult;
  }

  /**
   * Runs `code` (function declarations) and calls `fnName(...args)` for each test in one fresh,
   * unhardened context: skill functions are pure, and the context is discarded afterwards.
   */
  runFunctionTests(
    code: string,
    fnName: string,
    tests: Array<{ name: string; args: unknown[] }>,
    timeoutMs: number,
  ): Array<{ name: string; actual?: unknown; error?: string }> {
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
          const out = JSON.parse(
            call.applySync(undefined, [fnName, JSON.stringify(t.args)], { timeout: timeoutMs }),
          ) as { v?: unknown; u?: 1 };
          return { name: t.name, actual: out.u ? undefined : out.v };
        } catch (err) {
          if (isolate.isDisposed)
            return {
              name: t.name,
              error: `Uncaught RangeError: out of memory (sandbox limit ${this.memoryLimitMb} MB)`,
            };
          const m = err instanceof Error ? err.message : String(err);
          return {
            name: t.name,
            error:
              m === TIMED_OUT
                ? `Uncaught Error: timed out after ${timeoutMs} ms`
                : `Uncaught ${err instanceof Error ? `${err.name}: ${m}` : m}`,
          };
        }
      });
    } catch (err) {
      const m = isolate.isDisposed
        ? `out of memory (sandbox limit ${this.memoryLimitMb} MB)`
        : err instanceof Error
          ? err.message
          : String(err);
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
    if (this.freshIsolate && !this.freshIsolate.isDisposed) this.freshIsolate.dispose();
    this.freshIsolate = undefined;
    this.forgetContexts();
  }
}

const VERDICTS = new Set(['allow', 'deny', 'mutate', 'requeue', 'timeout', 'error']);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function checkedShape(inner: InnerResult): InnerResult {
  const d = inner.decided as Record<string, unknown> | null;
  const decided =
    d && typeof d === 'object' && typeof d.kind === 'string' && VERDICTS.has(d.kind)
      ? ({
          ...d,
          message: typeof d.message === 'string' ? d.message : '',
          reason: typeof d.reason === 'string' ? d.reason : 'Forbidden',
          code: typeof d.code === 'number' ? d.code : 403,
          object: typeof d.object === 'string' ? d.object : '{}',
        } as unknown as InnerResult['decided'])
      : null;
  return {
    decided,
    error: typeof inner.error === 'string' ? inner.error : null,
    decodeError: typeof inner.decodeError === 'string' ? inner.decodeError : null,
    warnings: strings(inner.warnings).slice(0, OUTPUT_LIMITS.warnings),
    printed: strings(inner.printed).slice(0, OUTPUT_LIMITS.lines),
    calls: (Array.isArray(inner.calls) ? inner.calls : [])
      .filter((c) => c && typeof c.fn === 'string' && typeof c.args === 'string')
      .slice(0, OUTPUT_LIMITS.calls),
    virtualMs: typeof inner.virtualMs === 'number' && inner.virtualMs >= 0 ? inner.virtualMs : 0,
    truncated: inner.truncated && typeof inner.truncated === 'object' ? inner.truncated : {},
    tainted: true,
  };
}

function parseArgs(json: string): unknown[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch {
    return [json];
  }
}
