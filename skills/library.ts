import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import {
  logger as rootLogger,
  type GenerationResult,
  type JsPolicy,
  type Logger,
  type Plan,
  type Provenance,
  type ReviewState,
  type Skill,
  type SkillTest,
  type StoredPolicy,
  type SuiteResult,
  type TestCase,
} from '../common/index.js';
import { builtinSkills } from './builtin.js';
import { extractSkills, type ExtractedSkill } from './extract.js';
import { inlineSkills } from './inline.js';
import { normaliseIntent, sha256 } from './normalise.js';
import { embeddingHash, embeddingText, SkillIndex, type IndexedSkill } from './retrieval.js';
import type { SkillStore } from './types.js';

/**
 * What the library needs from the sandbox (a structural subset of sandbox's SandboxRunner): running a
 * policy's cases (to see which helper calls they make) and checking a function against its tests.
 */
export interface SkillSandbox {
  runSuite(policy: JsPolicy, cases: TestCase[], options?: { ignoreSelectors?: boolean }): Promise<SuiteResult>;
  runFunctionTests(
    code: string,
    fnName: string,
    tests: SkillTest[],
  ): Promise<Array<{ name: string; passed: boolean; actual?: unknown; error?: string }>>;
}

export interface SkillLibraryOptions {
  /** Embedding model for hybrid retrieval; without it retrieval is lexical only (offline). @defaultValue undefined */
  embeddings?: EmbeddingsInterface;
  /** Cache namespace of the vectors (vectors of different models never mix). @defaultValue the client's `model` field, else 'default' */
  embeddingModel?: string;
  /** Retrieve candidate skills too (after approved ones). Rejected and deprecated skills are never retrieved. @defaultValue false */
  includeCandidates?: boolean;
  /**
   * Retrieve exactly the skills in these review states instead (approved still ranked before the others);
   * for reviewers, who search candidates, rejected or deprecated skills only when they ask to. Overrides
   * includeCandidates. @defaultValue undefined (approved, plus candidates with includeCandidates)
   */
  states?: readonly ReviewState[];
  /** Count `usage.retrieved` for the skills search returns; off for searches that are not retrievals for a policy (a reviewer's lookup). @defaultValue true */
  countRetrievals?: boolean;
  /** Used by learn() to turn the calls the policy's cases made into tests for the extracted skills. @defaultValue undefined (skills get no tests) */
  sandbox?: SkillSandbox;
  /** After embedding skills failed, how long the lexical-only index is used before trying again. @defaultValue 60000 */
  embeddingRetryMs?: number;
  /** Share of the lexical score in hybrid ranking. @defaultValue 0.5 */
  lexicalWeight?: number;
  /** Tests kept per extracted skill (distinct argument lists). @defaultValue 5 */
  maxTestsPerSkill?: number;
  /**
   * Persist the built retrieval index in the store (when it can keep one: SQLite), so the first search
   * after a restart restores it instead of rebuilding it from every skill. false: the library neither
   * writes nor reads a persisted index (it always builds its own). @defaultValue true
   */
  persistIndex?: boolean;
  /** @defaultValue () => new Date() */
  now?: () => Date;
  /** @defaultValue logger().child({ module: 'skills' }) */
  logger?: Logger;
}

/** A line the traced policy prints for every helper call (see traceHelpers). */
const TRACE_MARK = '__policyforge_skill_call__ ';
/** Characters per printed trace chunk (below the sandbox's 2,000-char line clip) and chunks per call. */
const TRACE_CHUNK = 1500;
const TRACE_MAX_CHUNKS = 40;

/**
 * The skill library: retrieval for the coder (Voyager's top-k), whole verified policies for identical
 * intents, and learning from successful runs. The index is rebuilt only when the store's revision moves,
 * and a skill's embedding is computed once per content (cached in the store by hash).
 */
export class SkillLibrary {
  private index?: {
    revision: number;
    index: SkillIndex<IndexedSkill>;
    missingVectors: boolean;
    builtAt: number;
    /** Restored from the store's snapshot: its rows hold id, name and state only. */
    restored: boolean;
  };
  /**
   * How this library got its indexes: built from the skills, restored from the store's snapshot, snapshots
   * rejected (stale stamp, damaged, unreadable: rebuilt instead) and snapshots persisted.
   */
  readonly indexStats = { built: 0, restored: 0, rejected: 0, persisted: 0 };
  private readonly vectorCache = new Map<string, ArrayLike<number>>();
  private readonly queryVectors = new Map<string, number[]>();
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly model: string;

  constructor(
    readonly store: SkillStore,
    private readonly options: SkillLibraryOptions = {},
  ) {
    this.log = options.logger ?? rootLogger().child({ module: 'skills' });
    this.now = options.now ?? (() => new Date());
    const clientModel = (options.embeddings as { model?: unknown } | undefined)?.model;
    this.model = options.embeddingModel ?? (typeof clientModel === 'string' ? clientModel : 'default');
  }

  /**
   * The k skills that best fit the query (intent text plus plan steps), approved first; candidates only
   * with includeCandidates (or exactly the `states` asked for); one version per name (approved preferred,
   * then the highest). Counts as a retrieval for each skill returned (unless countRetrievals is false).
   */
  async search(query: string, k = 5): Promise<Skill[]> {
    const { index, restored } = await this.currentIndex();
    let queryVector: number[] | undefined;
    const embeddings = this.options.embeddings;
    if (embeddings && index.skills.length) queryVector = await this.embedQuery(embeddings, query);
    const hits = index.search(query, k, queryVector, this.options.lexicalWeight ?? 0.5);
    // A restored index knows ids, names and states: the k skills are read whole (with today's usage counts).
    const states = this.states();
    const skills = restored
      ? (await Promise.all(hits.map((h) => this.store.getSkill(h.skill.id)))).filter(
          (s): s is Skill => s !== undefined && states.includes(s.state),
        )
      : hits.map((h) => h.skill as Skill);
    if (skills.length && (this.options.countRetrievals ?? true))
      await this.store.recordUsage(
        skills.map((s) => s.id),
        'retrieved',
      );
    return skills;
  }

  /** A stored verified policy for this exact (normalised) intent, unless it was rejected or deprecated. */
  async lookupPolicy(intentText: string): Promise<StoredPolicy | undefined> {
    const key = normaliseIntent(intentText);
    const stored = await this.store.findPolicy(key);
    // The stored intent is keyed again with today's rules: a key written by an older, case-folding
    // normaliser ("env=PROD" stored under "env=prod") must not answer an intent it no longer equals.
    if (!stored || normaliseIntent(stored.intent) !== key) return undefined;
    return stored.state === 'approved' || stored.state === 'candidate' ? stored : undefined;
  }

  /**
   * Keeps what a successful run taught: the policy itself (by normalised intent) and its pure helper
   * functions as candidate skills, each with tests made from the calls the run's cases made to it.
   * Returns the ids of the skills added (new names or new versions). Failed runs teach nothing.
   */
  async learn(result: GenerationResult, suite: TestCase[]): Promise<string[]> {
    const javascript = result.policy?.spec.javascript;
    if (result.status !== 'succeeded' || !result.policy || !javascript) return [];
    if (result.source === 'library') return []; // answered from the library: nothing new to learn

    const provenance: Provenance = {
      intent: result.intent.text,
      model: result.intent.options?.model ?? (result.source === 'offline' ? 'offline' : undefined),
      round: result.rounds.length || undefined,
      tokens: result.usage.totalTokens,
      date: this.now().toISOString(),
      source: 'generated',
    };
    await this.storePolicy(result, result.policy, suite, provenance);

    const used = result.skillsUsed.length
      ? await Promise.all(result.skillsUsed.map((id) => this.store.getSkill(id)))
      : [];
    const known = [...builtinSkills, ...used.filter((s): s is Skill => s !== undefined)];
    const extracted = extractSkills(javascript, { plan: result.plan, provenance, known });
    if (result.skillsUsed.length) await this.store.recordUsage(result.skillsUsed, 'used');
    if (!extracted.length) return [];

    const tests = await this.testsFromRun(result.policy, javascript, extracted, suite, known);
    const added: string[] = [];
    for (const draft of extracted) {
      const { form: _form, span: _span, ...skill } = draft;
      const put = await this.store.putSkill({ ...skill, tests: tests.get(draft.name) ?? [] });
      if (put.status !== 'duplicate') added.push(put.skill.id);
    }
    if (added.length) this.log.info({ added }, 'learned candidate skills');
    return added;
  }

  /** Adds the built-in skills (approved) to the store; unchanged ones are skipped, changed ones become new versions. */
  async seedBuiltins(): Promise<void> {
    for (const skill of builtinSkills) {
      await this.store.putSkill({
        name: skill.name,
        description: skill.description,
        code: skill.code,
        tests: skill.tests,
        provenance: skill.provenance,
        state: 'approved',
        reviews: skill.reviews,
        dependsOn: skill.dependsOn,
      });
    }
  }

  /** Drops the cached index (the next search rebuilds it from the store). */
  invalidate(): void {
    this.index = undefined;
  }

  private async storePolicy(
    result: GenerationResult,
    policy: JsPolicy,
    suite: TestCase[],
    provenance: Provenance,
  ): Promise<void> {
    const key = normaliseIntent(result.intent.text);
    const existing = await this.store.findPolicy(key);
    // A person approved the existing answer: a new run does not replace it silently.
    if (existing?.state === 'approved') return;
    const plan: Plan = result.plan ?? {
      target: {
        type: policy.spec.type ?? 'Validating',
        resources: policy.spec.resources,
        apiGroups: policy.spec.apiGroups ?? ['*'],
        apiVersions: policy.spec.apiVersions ?? ['*'],
        operations: policy.spec.operations.filter((o): o is Plan['target']['operations'][number] => o !== '*'),
        scope: policy.spec.scope ?? '*',
        namespaces: [],
      },
      steps: [],
      tests: suite,
    };
    await this.store.putPolicy({
      id: `policy-${sha256(key).slice(0, 12)}`,
      intent: result.intent.text,
      key,
      policy,
      plan,
      skills: result.skillsUsed,
      provenance,
      state: 'candidate',
    });
  }

  /**
   * Runs the policy's own cases with each traceable helper wrapped so its calls are printed, then keeps
   * up to maxTestsPerSkill distinct calls per helper as tests, each checked again on its own in the sandbox
   * (only passing ones are kept: a helper that is not deterministic gets none).
   */
  private async testsFromRun(
    policy: JsPolicy,
    javascript: string,
    extracted: ExtractedSkill[],
    suite: TestCase[],
    known: Skill[],
  ): Promise<Map<string, SkillTest[]>> {
    const out = new Map<string, SkillTest[]>();
    const sandbox = this.options.sandbox;
    if (!sandbox || !suite.length) return out;
    const limit = this.options.maxTestsPerSkill ?? 5;
    // `const f = (…) => …` bindings cannot be wrapped: run the cases with them as the declarations they
    // were extracted as (the same behaviour; arrows using this/arguments are never extracted).
    let source = javascript;
    for (const s of [...extracted].filter((e) => e.form === 'const').sort((a, b) => b.span[0] - a.span[0])) {
      source = source.slice(0, s.span[0]) + s.code.trim() + source.slice(s.span[1]);
    }
    const instrumented: JsPolicy = {
      ...policy,
      spec: {
        ...policy.spec,
        javascript: traceHelpers(
          source,
          extracted.map((s) => s.name),
        ),
      },
    };
    let run: SuiteResult;
    try {
      run = await sandbox.runSuite(instrumented, suite);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not run the cases to derive skill tests');
      return out;
    }
    const seen = new Map<string, Set<string>>();
    for (const c of run.cases) {
      let n = 0;
      for (const call of readTrace(c.outcome.printed ?? [])) {
        const keys = seen.get(call.name) ?? new Set<string>();
        seen.set(call.name, keys);
        const argKey = JSON.stringify(call.args);
        if (keys.has(argKey) || keys.size >= limit) continue;
        keys.add(argKey);
        const list = out.get(call.name) ?? [];
        list.push({ name: `case "${c.name}" call ${++n}`, args: call.args, expected: call.result });
        out.set(call.name, list);
      }
    }
    // Each skill's tests must hold for the skill alone (with its dependencies), not just inside the policy.
    const pool = [
      ...known,
      ...extracted.map((e, i) => ({
        ...e,
        id: `${e.name}@extracted${i}`,
        version: 0,
        reviews: [],
        usage: { retrieved: 0, used: 0 },
        state: 'candidate' as const,
      })),
    ];
    for (const [name, tests] of out) {
      const draft = extracted.find((e) => e.name === name);
      if (!draft) continue;
      const code = inlineSkills(
        draft.code,
        pool.filter((s) => s.name !== name),
      );
      try {
        const results = await sandbox.runFunctionTests(code, name, tests);
        const passed = new Set(results.filter((r) => r.passed).map((r) => r.name));
        out.set(
          name,
          tests.filter((t) => passed.has(t.name)),
        );
      } catch (err) {
        this.log.warn({ skill: name, err: (err as Error).message }, 'could not check derived skill tests');
        out.delete(name);
      }
    }
    return out;
  }

  private states(): readonly ReviewState[] {
    return this.options.states ?? (this.options.includeCandidates ? ['approved', 'candidate'] : ['approved']);
  }

  /**
   * The index for the store's current revision: the one in memory; else the store's persisted snapshot
   * when it was taken at this revision for the same states and model (and its CRCs and shape check out);
   * else built from the skills, then persisted for the next start.
   */
  private async currentIndex(): Promise<NonNullable<SkillLibrary['index']>> {
    const revision = await this.store.revision();
    const current = this.index?.revision === revision ? this.index : undefined;
    // An index built while the embedding model was failing is retried after a while, not kept forever.
    const retryEmbeddings =
      !!current &&
      current.missingVectors &&
      this.now().getTime() - current.builtAt >= (this.options.embeddingRetryMs ?? 60_000);
    if (current && !retryEmbeddings) return current;
    const states = this.states();
    const key = `retrieval:${[...states].sort().join(',')}:${this.options.embeddings ? `model=${this.model}` : 'lexical'}`;
    // Which skills an index holds is decided here (pickOnePerName): a version that decides otherwise rebuilds.
    const stamp = { key, revision, pick: PICK_FINGERPRINT };
    const persist = this.options.persistIndex ?? true;
    const restored = persist && !retryEmbeddings ? await this.restoreIndex(key, revision, stamp) : undefined;
    if (restored) {
      this.index = { revision, index: restored, missingVectors: false, builtAt: this.now().getTime(), restored: true };
      return this.index;
    }
    const all = await this.store.listSkills({ state: states });
    const eligible = pickOnePerName(all);
    const embeddings = this.options.embeddings;
    const embedded = embeddings ? await this.vectorsFor(embeddings, eligible) : undefined;
    const index = new SkillIndex(eligible, embedded?.vectors);
    this.indexStats.built++;
    const missingVectors = !!embedded && embedded.vectors.size < eligible.length;
    this.index = { revision, index, missingVectors, builtAt: this.now().getTime(), restored: false };
    // A restored index reads its rows' vectors from the store: one built on vectors the store could not keep
    // would rank differently after a restart, so it is not persisted.
    if (persist && this.store.putIndexSnapshot && !missingVectors && !embedded?.unstored) {
      try {
        const snapshot = index.snapshot(stamp, embedded && ((s) => embedded.hashes.get(s.id)));
        if (snapshot && (await this.store.putIndexSnapshot(key, revision, snapshot))) this.indexStats.persisted++;
      } catch (err) {
        this.log.warn({ err: (err as Error).message, key }, 'could not persist the retrieval index');
      }
    }
    return this.index;
  }

  /** The store's snapshot of this index at this revision, restored; undefined to build instead. */
  private async restoreIndex(
    key: string,
    revision: number,
    stamp: Record<string, unknown>,
  ): Promise<SkillIndex<IndexedSkill> | undefined> {
    const store = this.store;
    if (!store.getIndexSnapshot || (this.options.embeddings && !store.vectorReader)) return undefined;
    try {
      const snapshot = await store.getIndexSnapshot(key, revision);
      if (!snapshot) return undefined;
      const index = SkillIndex.restore(snapshot, stamp, this.options.embeddings && store.vectorReader?.(this.model));
      this.indexStats.restored++;
      return index;
    } catch (err) {
      this.indexStats.rejected++;
      this.log.warn({ err: (err as Error).message, key }, 'persisted retrieval index not used; rebuilding it');
      return undefined;
    }
  }

  /** Vectors by skill id: memory first, then the store's cache, then the model for what is left. */
  private async vectorsFor(
    embeddings: EmbeddingsInterface,
    skills: Skill[],
  ): Promise<{ vectors: Map<string, ArrayLike<number>>; hashes: Map<string, string>; unstored: boolean }> {
    const hashed = skills.map((s) => ({ skill: s, hash: embeddingHash(s) }));
    const hashes = new Map(hashed.map(({ skill, hash }) => [skill.id, hash]));
    const missing = [...new Set(hashes.values())].filter((h) => !this.vectorCache.has(h));
    if (missing.length) {
      const stored = await this.store.getEmbeddings(this.model, missing);
      stored.forEach((v, h) => this.vectorCache.set(h, v));
    }
    const toEmbed = new Map<string, string>();
    for (const { skill, hash } of hashed) if (!this.vectorCache.has(hash)) toEmbed.set(hash, embeddingText(skill));
    let unstored = false;
    if (toEmbed.size) {
      try {
        const texts = [...toEmbed.values()];
        const vectors = await embeddings.embedDocuments(texts);
        // Kept as float32, the precision the store keeps: an index built now and one restored after a
        // restart (which reads the stored vectors) then score the same rows with the same bits.
        const fresh = new Map<string, Float32Array>();
        [...toEmbed.keys()].forEach((h, i) => {
          if (vectors[i]) fresh.set(h, Float32Array.from(vectors[i]));
        });
        fresh.forEach((v, h) => this.vectorCache.set(h, v));
        unstored = fresh.size > 0;
        await this.store.putEmbeddings(this.model, fresh);
        unstored = false;
      } catch (err) {
        // Retrieval still works lexically; the next index build tries again.
        this.log.warn(
          { err: (err as Error).message, skills: toEmbed.size },
          'embedding skills failed; ranking lexically',
        );
      }
    }
    const out = new Map<string, ArrayLike<number>>();
    for (const { skill, hash } of hashed) {
      const v = this.vectorCache.get(hash);
      if (v) out.set(skill.id, v);
    }
    return { vectors: out, hashes, unstored };
  }

  private async embedQuery(embeddings: EmbeddingsInterface, query: string): Promise<number[] | undefined> {
    const cached = this.queryVectors.get(query);
    if (cached) return cached;
    try {
      const v = await embeddings.embedQuery(query);
      if (this.queryVectors.size >= 256) this.queryVectors.delete(this.queryVectors.keys().next().value as string);
      this.queryVectors.set(query, v);
      return v;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'embedding the query failed; ranking lexically');
      return undefined;
    }
  }
}

/** One version per name: the highest approved one, else the highest candidate. */
function pickOnePerName(skills: Skill[]): Skill[] {
  const best = new Map<string, Skill>();
  for (const s of skills) {
    const cur = best.get(s.name);
    if (!cur) best.set(s.name, s);
    else if (s.state === 'approved' && cur.state !== 'approved') best.set(s.name, s);
    else if (s.state === cur.state && s.version > cur.version) best.set(s.name, s);
  }
  return [...best.values()];
}

/** Part of a persisted index's stamp: a version whose pickOnePerName differs rebuilds rather than restores. */
const PICK_FINGERPRINT = sha256(String(pickOnePerName)).slice(0, 16);

/**
 * Wraps each named top-level function so every call prints one trace line (arguments as they were on
 * entry, the result). Function declarations are hoisted, so the wrappers are in place before the policy's
 * own code runs. Tracing never changes what the policy decides: a value that cannot be serialised is
 * simply not traced.
 */
export function traceHelpers(javascript: string, names: readonly string[]): string {
  const wrap = names.map((n) => `${n} = __policyforgeTrace(${JSON.stringify(n)}, ${n});`).join('\n');
  // The sandbox clips printed lines (2,000 chars) and keeps 200 per case: long calls are split into
  // numbered chunks, calls too big to keep are skipped, and each helper is traced at most 20 times.
  return `var __policyforgeTraceSeq = 0;
function __policyforgeTrace(name, fn) {
  var traced = 0;
  return function () {
    var args;
    if (traced < 20) { try { args = JSON.stringify(Array.prototype.slice.call(arguments)); } catch (e) { args = undefined; } }
    var result = fn.apply(this, arguments);
    if (args !== undefined) {
      try {
        var payload = '{"name":' + JSON.stringify(name) + ',"args":' + args + ',"result":' + (result === undefined ? 'null' : JSON.stringify(result)) + '}';
        var n = Math.ceil(payload.length / ${TRACE_CHUNK});
        if (n <= ${TRACE_MAX_CHUNKS}) {
          traced++;
          var id = ++__policyforgeTraceSeq;
          for (var i = 0; i < n; i++) print(${JSON.stringify(TRACE_MARK)} + id + ' ' + i + ' ' + n + ' ' + payload.slice(i * ${TRACE_CHUNK}, (i + 1) * ${TRACE_CHUNK}));
        }
      } catch (e) {}
    }
    return result;
  };
}
${wrap}
${javascript}`;
}

/** Reassembles the trace lines of one case into calls (incomplete ones, cut by the line limit, are dropped). */
export function readTrace(printed: readonly string[]): Array<{ name: string; args: unknown[]; result: unknown }> {
  const parts = new Map<string, { n: number; chunks: string[] }>();
  const order: string[] = [];
  for (const line of printed) {
    const at = line.indexOf(TRACE_MARK);
    if (at < 0) continue;
    const m = /^(\d+) (\d+) (\d+) /.exec(line.slice(at + TRACE_MARK.length));
    if (!m) continue;
    const [head, id, i, n] = m;
    let entry = parts.get(id);
    if (!entry) {
      entry = { n: Number(n), chunks: [] };
      parts.set(id, entry);
      order.push(id);
    }
    entry.chunks[Number(i)] = line.slice(at + TRACE_MARK.length + head.length);
  }
  const calls: Array<{ name: string; args: unknown[]; result: unknown }> = [];
  for (const id of order) {
    const entry = parts.get(id);
    if (!entry) continue;
    const { n, chunks } = entry;
    if (chunks.filter((c) => c !== undefined).length !== n) continue;
    try {
      const call = JSON.parse(chunks.join('')) as { name: string; args: unknown[]; result: unknown };
      if (typeof call.name === 'string' && Array.isArray(call.args)) calls.push(call);
    } catch {
      // a clipped chunk: not a usable test
    }
  }
  return calls;
}
