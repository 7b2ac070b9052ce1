import {
  addUsage,
  applyMode,
  assemblePolicy,
  caseCatalogObjections,
  createAgents,
  emptyUsage,
  judgeObjections,
  ModelClient,
  restate,
  withRestatement,
  type Agents,
  type CoderFeedback,
  type ModelConfig,
  type PlanObjections,
} from '../../agents/index.js';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import {
  isPodControllerResource,
  pfError,
  silentLogger,
  type GenerationResult,
  type Intent,
  type JsPolicy,
  type Judgement,
  type Logger,
  type Plan,
  type ProgressEvent,
  type Report,
  type RoundRecord,
  type Skill,
  type StoredPolicy,
  type TestCase,
  type TokenUsage,
} from '../../common/index.js';
import { harden, renderReport, verify } from '../../critic/index.js';
import { parseCase, type SandboxRunner } from '../../sandbox/index.js';
import { builtinSkills, prependSkills, skillsReferenced, skillsToInline, type SkillLibrary } from '../../skills/index.js';

export interface GenerateDeps {
  library: SkillLibrary;
  sandbox: SandboxRunner;
  /** @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /** No model → the offline planner and coder. */
  model?: ModelConfig;
  /** A prebuilt model client (injected delay, another provider); wins over `model`. */
  client?: ModelClient;
  onProgress?: (e: ProgressEvent) => void;
  logger?: Logger;
  /** Server-side dry-run against a cluster, when there is one: the API server's errors. */
  dryRun?: (p: JsPolicy) => Promise<string[]>;
  /** Run the fuzzer in verify(). @defaultValue true */
  fuzz?: boolean;
  /** @defaultValue Date.now */
  now?: () => number;
  /** Aborted when the run is no longer wanted (its job was handed back or superseded): checked between steps. */
  signal?: AbortSignal;
}

/** @defaultValue 4, as Voyager's bounded retries; intent.options.maxRounds overrides it. */
export const DEFAULT_MAX_ROUNDS = 4;
const RETRIEVED_SKILLS = 5;
/** Plans sent back to the planner when the judge or the catalog check objects, before the run fails. @defaultValue 2 */
export const MAX_REPLANS = 2;
/** Marks a policy whose reading an independent judge checked (kept with the library's copy). */
const JUDGED_ANNOTATION = 'policyforge.dev/judged';

/**
 * The loop, after Voyager's learn loop: retrieve skills, plan, then rounds of draft → harden → verify →
 * critic until a draft passes both, and keep what it taught. Every round is recorded; the best draft is
 * kept; a failed result is never safe to apply.
 */
export async function generatePolicy(intent: Intent, deps: GenerateDeps): Promise<GenerationResult> {
  checkIntent(intent);
  const now = deps.now ?? Date.now;
  const started = now();
  const log = (deps.logger ?? silentLogger).child({ module: 'loop' });
  const emit = (e: ProgressEvent): void => deps.onProgress?.(e);
  const catalog = deps.catalog ?? builtinCatalog();
  const sandbox = deps.signal ? stopsWhenAborted(deps.sandbox, deps.signal) : deps.sandbox;
  const maxRounds = intent.options?.maxRounds ?? DEFAULT_MAX_ROUNDS;

  // 0. An intent already answered and verified: from the library, with no model call.
  const stored = await answerFromLibrary(intent, deps, started, now);
  if (stored) {
    emit({ type: 'finished', status: stored.status, reason: stored.reason });
    return stored;
  }

  // A stopped run also stops the model call in flight, not only the next step.
  const client = (deps.client ?? (deps.model ? new ModelClient(deps.model, { logger: deps.logger }) : undefined))?.withSignal(deps.signal);
  const agents: Agents = createAgents({ client, catalog });
  const usage = emptyUsage();

  // 1. Retrieval: the top skills for this intent (Voyager's top-5).
  const skills = await deps.library.search(intent.text, RETRIEVED_SKILLS);
  emit({ type: 'retrieved', skills: skills.map((s) => s.name) });

  // 2. Plan, and check the reading before any code is written: the case objects against the API catalog,
  //    then (model mode) an independent judge of every planned verdict. Objections go back to the planner.
  deps.signal?.throwIfAborted();
  const checked = await planAndCheckReading(intent, agents, skills, catalog, usage, emit, log);
  const plan = checked.plan;
  let judgement = checked.judgement;
  if (checked.objections.length) return readingRejected(intent, checked, agents, usage, catalog, now() - started, emit, log);

  // Voyager retrieves again with the plan: the steps name the helpers the coder will need.
  const stepsQuery = plan.steps.map((s) => `${s.name}: ${s.description}`).join('\n');
  const coderSkills = stepsQuery ? await deps.library.search(`${intent.text}\n${stepsQuery}`, RETRIEVED_SKILLS) : skills;
  if (stepsQuery) emit({ type: 'retrieved', skills: coderSkills.map((s) => s.name) });
  const callable: Skill[] = [...builtinSkills, ...skills, ...coderSkills];
  // Drafts are verified in Enforce terms; the mode (Warn/Audit) is applied to the result (see applyMode).
  // With a mode asked for, harden() sets violationPolicy Deny on every draft, so a violationPolicy the draft
  // carries itself (a model that read "warn" somewhere) cannot turn the planned denials into warnings.
  const mode = intent.options?.mode;
  const verifyIntent = enforceTerms(intent);
  const rounds: RoundRecord[] = [];
  let best: { policy: JsPolicy; report: Report; skillsUsed: string[] } | undefined;
  let feedback: CoderFeedback = intent.feedback?.length ? { report: `Errors from the previous attempt:\n${intent.feedback.join('\n')}` } : {};

  for (let round = 1; round <= maxRounds; round++) {
    deps.signal?.throwIfAborted();
    const roundStarted = now();
    emit({ type: 'round-started', round });

    // 3. Draft: the coder proposes a spec; unusable output is fed back, not fatal.
    const draft = await agents.write({ intent, plan, skills: coderSkills, feedback });
    addUsage(usage, draft.usage);
    if (!draft.spec) {
      rounds.push({ round, error: draft.error, promptChars: draft.promptChars, usage: draft.usage, durationMs: now() - roundStarted });
      emit({ type: 'drafted', round, error: draft.error });
      feedback = { ...feedback, error: draft.error };
      continue;
    }

    // 4. Harden: our code names and owns the policy, inlines the skills it calls, applies the safety defaults.
    const assembled = assemblePolicy(draft.spec, intent);
    const skillsUsed = skillIds(draft.spec.javascript ?? '', callable);
    const asWritten = assembled.spec.javascript ?? '';
    const calls = skillsToInline(asWritten, callable);
    const inlined: JsPolicy = { ...assembled, spec: { ...assembled.spec, javascript: prependSkills(asWritten, calls) } };
    const policy = harden(inlined, plan, verifyIntent, catalog);
    emit({ type: 'drafted', round, policy });

    // 5. Verify: lints, schema, catalog, the plan's cases in the sandbox, fuzzing, dry-run.
    deps.signal?.throwIfAborted();
    const report = await verify(policy, plan, { sandbox, catalog, intent: verifyIntent, fuzz: deps.fuzz, dryRun: deps.dryRun });
    deps.signal?.throwIfAborted();
    emit(verifiedEvent(round, report));

    // 6. Critic: self-verification, only for drafts that passed verify().
    let critique: RoundRecord['critique'];
    let missingCases: TestCase[] = [];
    const roundUsage = { ...draft.usage };
    let promptChars = draft.promptChars;
    if (report.passed) {
      if (agents.review) {
        // The critic reads the code as the coder wrote it; the skills it calls are listed, not repeated.
        const reviewed: JsPolicy = { ...policy, spec: { ...policy.spec, javascript: asWritten } };
        const verdict = await agents.review({ intent, plan, policy: reviewed, skills: calls, suite: report.suite });
        addUsage(usage, verdict.usage);
        addUsage(roundUsage, verdict.usage);
        promptChars = { system: promptChars.system + verdict.promptChars.system, human: promptChars.human + verdict.promptChars.human };
        critique = { success: verdict.success, reasoning: verdict.reasoning, critique: verdict.critique };
        missingCases = usableCases(verdict.missingCases, undefined, log).filter((c) => !plan.tests.some((t) => t.name === c.name));
        // The judge reads the critic's cases too: a case the intent does not demand is not added.
        const judgedCritic = await judgeAddedCases(agents, intent, plan, missingCases, catalog, judgement, usage, emit);
        judgement = judgedCritic.judgement;
        missingCases = judgedCritic.accepted;
        plan.tests.push(...missingCases);
        emit({ type: 'critiqued', round, success: critique.success, critique: critique.critique });
      } else {
        // Offline there is no critic agent: the family's own cases, passed under verify(), are the judgement.
        critique = { success: true, reasoning: 'verify() passed every planned case; offline mode has no critic agent', critique: '' };
      }
    }
    rounds.push({ round, draft: policy, explanation: draft.explanation, report, critique, promptChars, usage: roundUsage, durationMs: now() - roundStarted });
    if (!best || score(report) > score(best.report)) best = { policy, report, skillsUsed };

    // 7. Success: keep what the run taught (Voyager's skill library) and return.
    if (report.passed && critique?.success) {
      const shown = shownPolicy(applyMode(policy, mode), plan, catalog, judgement);
      const result: GenerationResult = {
        status: 'succeeded',
        reason: `verified in ${round} round(s): ${report.suite ? `${report.suite.total} case(s) passed` : 'no cases'}, no blocking findings${judgement.judged ? '' : '; the reading was not independently judged'}`,
        intent,
        plan,
        policy: shown.policy,
        restatement: shown.restatement,
        judgement,
        safeToApply: true,
        rounds,
        usage,
        skillsUsed,
        skillsAdded: [],
        source: agents.source,
        durationMs: 0,
      };
      // The library keeps the verified (Enforce) form; a later lookup applies that intent's own mode.
      deps.signal?.throwIfAborted();
      result.skillsAdded = await learn(deps.library, { ...result, policy: shownPolicy(policy, plan, catalog, judgement).policy }, plan.tests, log);
      result.durationMs = now() - started;
      emit({ type: 'finished', status: result.status, reason: result.reason });
      return result;
    }

    // Otherwise the report and the critique are the next round's feedback (Voyager's "errors").
    feedback = { code: draft.spec.javascript, report: renderReport(report), critique: critique?.critique };
    // A deterministic coder would answer the same again: stop unless the critic changed the cases.
    if (agents.deterministic && missingCases.length === 0) break;
  }

  const reason = failureReason(rounds, best?.report);
  emit({ type: 'finished', status: 'failed', reason });
  log.warn({ rounds: rounds.length, reason }, 'no verified policy');
  const shown = best ? shownPolicy(applyMode(best.policy, mode), plan, catalog, judgement) : undefined;
  return {
    status: 'failed',
    reason,
    intent,
    plan,
    ...(shown ? { policy: shown.policy } : {}),
    restatement: shown?.restatement ?? restate({ plan, catalog, judged: judgement.judged, judgedNote: judgement.note }),
    judgement,
    safeToApply: false,
    rounds,
    usage,
    skillsUsed: best?.skillsUsed ?? [],
    skillsAdded: [],
    source: agents.source,
    durationMs: now() - started,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checking the reading (issue 11): the plan's cases against the catalog, then an independent judge

interface CheckedPlan {
  plan: Plan;
  judgement: Judgement;
  /** Left after MAX_REPLANS re-plans (or at once offline): the run stops with them, no code is written. */
  objections: string[];
}

const OFFLINE_NOTE = "offline: no model judged the reading; the offline reader's strictness is the guard";

/**
 * Plans, then checks the reading before any code is written. The case objects must be ones the API catalog
 * serves; then, with a model, a judge with a fresh context says per case whether the intent demands the
 * planned verdict (judging the plan is cheap: one call, before the coder's first round). Any objection goes
 * back to the planner, at most MAX_REPLANS times; a deterministic (offline) planner is not asked again.
 */
async function planAndCheckReading(
  intent: Intent,
  agents: Agents,
  skills: readonly Skill[],
  catalog: ApiCatalog,
  usage: TokenUsage,
  emit: (e: ProgressEvent) => void,
  log: Logger,
): Promise<CheckedPlan> {
  const examples = (intent.examples ?? []).map((e) => e.name);
  let replan: PlanObjections | undefined;
  for (let replans = 0; ; replans++) {
    // The planner: target, steps and test cases; the user's examples are part of it, unchanged.
    const planned = await agents.plan(intent, skills, catalog, replan);
    addUsage(usage, planned.usage);
    const plan: Plan = { ...planned.plan, tests: usableCases(planned.plan.tests, intent, log) };
    emit({ type: 'planned', plan });
    log.info({ source: agents.source, steps: plan.steps.map((s) => s.name), cases: plan.tests.length, replans }, 'planned');

    let objections = caseCatalogObjections(plan, catalog, examples);
    let judgement: Judgement = { judged: false, cases: [], replans, note: agents.judge ? 'not judged: the plan failed the catalog check' : OFFLINE_NOTE };
    if (!objections.length) {
      const judged = await judgeCasesOf(agents, intent, plan, plan.tests, catalog, usage, emit);
      judgement = { ...judged.judgement, replans };
      objections = judged.objections;
    }
    if (!objections.length || agents.deterministic || replans >= MAX_REPLANS) return { plan, judgement, objections };
    log.info({ objections: objections.length, replans: replans + 1 }, 're-planning: the reading was objected to');
    replan = { previous: plan, objections };
  }
}

/** The judge's verdicts on `cases` (the whole plan, or the critic's additions); offline there is no judge. */
async function judgeCasesOf(
  agents: Agents,
  intent: Intent,
  plan: Plan,
  cases: readonly TestCase[],
  catalog: ApiCatalog,
  usage: TokenUsage,
  emit: (e: ProgressEvent) => void,
): Promise<{ judgement: Judgement; objections: string[] }> {
  if (!agents.judge) return { judgement: { judged: false, cases: [], replans: 0, note: OFFLINE_NOTE }, objections: [] };
  const restatement = restate({ plan, catalog, judged: false });
  const answer = await agents.judge({ intent, restatement, cases });
  addUsage(usage, answer.usage);
  if (!answer.ok) {
    // An unusable judge answer blocks nothing, but the result says the reading was not checked.
    return { judgement: { judged: false, cases: [], replans: 0, note: `the judge's answer could not be used: ${answer.error ?? 'no answer'}` }, objections: [] };
  }
  const objections = judgeObjections(answer.verdicts, cases);
  const count = (v: string): number => answer.verdicts.filter((x) => x.verdict === v).length;
  emit({ type: 'judged', agreed: count('agree'), disagreed: count('disagree'), unsure: count('unsure'), objections });
  const note = objections.length ? objections.slice(0, 3).join('; ') : `agreed with ${count('agree')} of ${cases.length} case(s)${count('unsure') ? `, unsure of ${count('unsure')}` : ''}`;
  return { judgement: { judged: true, cases: answer.verdicts, replans: 0, note }, objections };
}

/**
 * The critic's missing cases are judged before they join the plan: one the judge disagrees with is a
 * misreading of the critic's and is left out (it would make the coder chase a verdict the intent does not ask for).
 */
async function judgeAddedCases(
  agents: Agents,
  intent: Intent,
  plan: Plan,
  added: TestCase[],
  catalog: ApiCatalog,
  judgement: Judgement,
  usage: TokenUsage,
  emit: (e: ProgressEvent) => void,
): Promise<{ accepted: TestCase[]; judgement: Judgement }> {
  if (!added.length || !agents.judge) return { accepted: added, judgement };
  const judged = await judgeCasesOf(agents, intent, { ...plan, tests: [...plan.tests, ...added] }, added, catalog, usage, emit);
  const rejected = new Set(judged.judgement.cases.filter((c) => c.verdict === 'disagree').map((c) => c.case));
  const merged: Judgement = {
    judged: judgement.judged && judged.judgement.judged,
    cases: [...judgement.cases, ...judged.judgement.cases],
    replans: judgement.replans,
    note: judged.judgement.judged ? judgement.note : `the critic's cases were not judged: ${judged.judgement.note ?? ''}`,
  };
  return { accepted: added.filter((c) => !rejected.has(c.name)), judgement: merged };
}

/** The run ends before any code: the reading is still objected to after the re-plans. Nothing is stored. */
function readingRejected(
  intent: Intent,
  checked: CheckedPlan,
  agents: Agents,
  usage: TokenUsage,
  catalog: ApiCatalog,
  durationMs: number,
  emit: (e: ProgressEvent) => void,
  log: Logger,
): GenerationResult {
  const { plan, judgement, objections } = checked;
  const who = objections.some((o) => o.startsWith('judge:')) ? 'the independent judge disagreed with the plan' : "the plan's case objects are not served by the API catalog";
  const reason = `${who} after ${judgement.replans} re-plan(s): ${objections.slice(0, 3).join('; ')}${objections.length > 3 ? `; … ${objections.length - 3} more` : ''}`;
  emit({ type: 'finished', status: 'failed', reason });
  log.warn({ objections }, 'reading rejected: no code written');
  return {
    status: 'failed',
    reason,
    intent,
    plan,
    restatement: restate({ plan, catalog, judged: judgement.judged, judgedNote: judgement.note }),
    judgement,
    safeToApply: false,
    rounds: [],
    usage,
    skillsUsed: [],
    skillsAdded: [],
    source: agents.source,
    durationMs,
  };
}

/** The policy as shown: the restatement rendered from the plan and this policy, carried as annotations. */
function shownPolicy(policy: JsPolicy, plan: Plan, catalog: ApiCatalog, judgement: Judgement): { policy: JsPolicy; restatement: GenerationResult['restatement'] & object } {
  const restatement = restate({ plan, policy, catalog, judged: judgement.judged, judgedNote: judgement.note });
  const annotated = withRestatement(policy, restatement);
  const annotations = { ...annotated.metadata.annotations };
  if (judgement.judged) annotations[JUDGED_ANNOTATION] = 'true';
  else delete annotations[JUDGED_ANNOTATION];
  return { policy: { ...annotated, metadata: { ...annotated.metadata, annotations } }, restatement };
}

/** The intent as drafts are verified: a mode asked for becomes Enforce (violationPolicy Deny); none stays none. */
function enforceTerms(intent: Intent): Intent {
  return intent.options?.mode ? { ...intent, options: { ...intent.options, mode: 'Enforce' } } : intent;
}

function checkIntent(intent: Intent): void {
  if (!intent || typeof intent.text !== 'string' || !intent.text.trim()) throw pfError('PF_ERR_INTENT_INVALID', 'text must be a non-empty string');
  const max = intent.options?.maxRounds;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 20)) throw pfError('PF_ERR_INTENT_INVALID', `options.maxRounds must be a whole number in 1..20, got ${max}`);
}

/** An identical (normalised) intent verified before: its policy, renamed and owned for this intent. */
async function answerFromLibrary(intent: Intent, deps: GenerateDeps, started: number, now: () => number): Promise<GenerationResult | undefined> {
  const stored = await deps.library.lookupPolicy(intent.text);
  if (!stored || !sameScope(stored, intent)) return undefined;
  const fresh = assemblePolicy(stored.policy.spec, intent);
  const verified: JsPolicy = { ...fresh, metadata: { ...fresh.metadata, annotations: { ...stored.policy.metadata.annotations, 'policyforge.dev/from-library': stored.id } } };
  // The user's examples are ground truth: a stored answer that contradicts them is not an answer. With a
  // mode asked for they are in Enforce terms, as in the loop, whatever violationPolicy was stored.
  if (intent.examples?.length) {
    const check = await deps.sandbox.runSuite(applyMode(verified, enforceTerms(intent).options?.mode), intent.examples);
    if (!check.passed) return undefined;
  }
  const judged = stored.policy.metadata.annotations?.[JUDGED_ANNOTATION] === 'true';
  const judgement: Judgement = { judged, cases: [], replans: 0, note: judged ? 'judged when it was generated' : 'not judged when it was generated' };
  const shown = shownPolicy(applyMode(verified, intent.options?.mode), stored.plan, deps.catalog ?? builtinCatalog(), judgement);
  return {
    status: 'succeeded',
    reason: `answered from the skill library (${stored.id}, ${stored.state}) without a model call`,
    intent,
    plan: stored.plan,
    policy: shown.policy,
    restatement: shown.restatement,
    judgement,
    safeToApply: true,
    rounds: [],
    usage: emptyUsage(),
    skillsUsed: stored.skills,
    skillsAdded: [],
    source: 'library',
    durationMs: now() - started,
  };
}

/**
 * The library is keyed by intent text, but options outside the text change what a policy may touch: a
 * stored cluster-wide answer must not serve a request scoped to namespaces, nor an Ignore policy one that
 * asked for Fail. Such a request goes through the loop.
 */
function sameScope(stored: StoredPolicy, intent: Intent): boolean {
  const asked = [...new Set(intent.options?.namespaces ?? [])].sort();
  const had = [...new Set(stored.plan.target.namespaces)].sort();
  if (asked.length && asked.join(',') !== had.join(',')) return false;
  const failurePolicy = intent.options?.failurePolicy;
  if (failurePolicy && (stored.policy.spec.failurePolicy ?? 'Fail') !== failurePolicy) return false;
  // A request that keeps pod controllers out must not get an answer that covers them.
  if (intent.options?.podControllers === false && stored.plan.target.resources.some(isPodControllerResource)) return false;
  // Deletes need this request's own approval, whatever an earlier request approved.
  return intent.options?.allowDeletes === true || !(stored.plan.sideEffects ?? []).some((d) => d.fn === 'remove');
}

/** Cases that are well-formed in the suite format; the user's examples must be, generated ones are dropped if not. */
function usableCases(cases: readonly TestCase[], intent: Intent | undefined, log: Logger): TestCase[] {
  const examples = new Set((intent?.examples ?? []).map((e) => e.name));
  const out: TestCase[] = [];
  for (const c of cases) {
    try {
      out.push(examples.has(c.name) ? c : parseCase(c, `plan case "${c.name}"`));
    } catch (err) {
      log.warn({ case: c.name, err: (err as Error).message }, 'dropped a malformed planned case');
    }
  }
  return out;
}

function skillIds(javascript: string, skills: readonly Skill[]): string[] {
  const names = new Set(skillsReferenced(javascript, skills));
  const ids = new Map<string, string>();
  for (const s of skills) if (names.has(s.name) && !ids.has(s.name)) ids.set(s.name, s.id);
  return [...ids.values()];
}

/** Passed beats not; then fewer blocking findings and crashes; then more passing cases. */
function score(report: Report): number {
  const blocking = report.findings.filter((f) => f.severity === 'blocking').length;
  const passedCases = report.suite ? report.suite.total - report.suite.failed : 0;
  return (report.passed ? 1e6 : 0) - blocking * 1000 - report.fuzz.length * 100 + passedCases;
}

function verifiedEvent(round: number, report: Report): ProgressEvent {
  return {
    type: 'verified',
    round,
    passed: report.passed,
    casesPassed: report.suite ? report.suite.total - report.suite.failed : 0,
    casesTotal: report.suite?.total ?? 0,
    blocking: report.findings.filter((f) => f.severity === 'blocking').length,
    advisory: report.findings.filter((f) => f.severity === 'advisory').length,
  };
}

function failureReason(rounds: RoundRecord[], best?: Report): string {
  const n = rounds.length;
  if (!best) return `no verified policy after ${n} round(s): no usable draft (${rounds.at(-1)?.error ?? 'no answer'})`;
  const blocking = best.findings.filter((f) => f.severity === 'blocking').map((f) => f.rule);
  const failing = best.suite?.cases.filter((c) => !c.passed).map((c) => c.name) ?? [];
  const parts = [
    failing.length ? `${failing.length} failing case(s): ${failing.slice(0, 3).join('; ')}` : '',
    blocking.length ? `blocking: ${[...new Set(blocking)].slice(0, 4).join(', ')}` : '',
    // What the code did, or the plan allowed it to do, is named: the call, its case and its arguments (critic/side-effects.ts).
    best.findings.find((f) => f.severity === 'blocking' && /^(plan|behaviour)\//.test(f.rule))?.message ?? '',
    best.fuzz.length ? `${best.fuzz.length} fuzz crash(es)` : '',
    best.passed ? (rounds.at(-1)?.critique?.critique?.trim() ? `the critic did not accept it: ${rounds.at(-1)?.critique?.critique}` : 'the critic rejected it without a reason') : '',
  ].filter(Boolean);
  return `no verified policy after ${n} round(s): ${parts.join('; ') || 'verification failed'}`;
}

async function learn(library: SkillLibrary, result: GenerationResult, suite: TestCase[], log: Logger): Promise<string[]> {
  try {
    return await library.learn(result, suite);
  } catch (err) {
    // Learning is a bonus: a store hiccup must not turn a verified policy into a failure.
    log.warn({ err: (err as Error).message }, 'could not add skills to the library');
    return [];
  }
}

/** The sandbox, refusing new work once `signal` is aborted: a run handed back stops between suites. */
function stopsWhenAborted(sandbox: SandboxRunner, signal: AbortSignal): SandboxRunner {
  return {
    async runSuite(policy, cases, options) {
      signal.throwIfAborted();
      return sandbox.runSuite(policy, cases, options);
    },
    async runFunctionTests(code, fnName, tests) {
      signal.throwIfAborted();
      return sandbox.runFunctionTests(code, fnName, tests);
    },
    close: () => sandbox.close(),
  };
}
