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
  isPolicyforgeError,
  parseIntent,
  silentLogger,
  type Finding,
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
import {
  builtinSkills,
  prependSkills,
  skillsReferenced,
  skillsToInline,
  type SkillLibrary,
} from '../../skills/index.js';
import { checkpointOf, resumableCheckpoint, type LoopCheckpoint, type RunState } from './checkpoint.js';

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
  /**
   * Server-side dry-run against a cluster, when there is one: the API server's errors. Called on a draft
   * that passed verify(), in the form the result would carry (mode applied, annotated); its errors are
   * the round's blocking `cluster/dry-run` findings and so the next round's feedback.
   */
  dryRun?: (p: JsPolicy) => Promise<string[]>;
  /** Run the fuzzer in verify(). @defaultValue true */
  fuzz?: boolean;
  /** @defaultValue Date.now */
  now?: () => number;
  /** Aborted when the run is no longer wanted (its job was handed back or superseded): checked between steps. */
  signal?: AbortSignal;
  /**
   * A checkpoint an earlier run of this same intent passed to `onCheckpoint` (a JSON copy will do): the
   * run goes on after its last round without asking the model again. Anything else is ignored (logged).
   */
  resume?: unknown;
  /**
   * Receives the run's checkpoint once the plan is checked and after every round that does not end the
   * run. Awaited, so a caller that persists it knows the round is kept before the next one starts; a
   * rejection is logged and the run goes on.
   */
  onCheckpoint?: (checkpoint: LoopCheckpoint) => Promise<void> | void;
}

/** @defaultValue 4, as Voyager's bounded retries; intent.options.maxRounds overrides it. */
export const DEFAULT_MAX_ROUNDS = 4;
const RETRIEVED_SKILLS = 5;
/** Plans sent back to the planner when the judge or the catalog check objects, before the run fails. @defaultValue 2 */
export const MAX_REPLANS = 2;
/** Marks a policy whose reading an independent judge checked (kept with the library's copy). */
const JUDGED_ANNOTATION = 'policyforge.dev/judged';

/** What a run carries from step to step besides its RunState: the request, its parts and its clock. */
interface RunBase {
  intent: Intent;
  deps: GenerateDeps;
  catalog: ApiCatalog;
  /** Refuses new work once the run is aborted. */
  sandbox: SandboxRunner;
  /** Drafts are verified in Enforce terms (enforceTerms); the mode asked for is applied to the result. */
  verifyIntent: Intent;
  mode: NonNullable<Intent['options']>['mode'];
  log: Logger;
  emit: (e: ProgressEvent) => void;
  now: () => number;
  started: number;
}

interface Run extends RunBase {
  agents: Agents;
}

/** How a round ended: a verified draft the critic accepted, another round, or no point in another. */
type RoundOutcome =
  | { ended: 'verified'; policy: JsPolicy; report: Report; skillsUsed: string[] }
  | { ended: 'again' }
  | { ended: 'stuck' };

/**
 * The loop, after Voyager's learn(): retrieve skills, plan and check the reading, then rounds (runRound,
 * Voyager's step()) until a draft passes verify, the dry-run and the critic; keep what it taught. Every
 * round is recorded, the best draft is kept, a failed result is never safe to apply, and every result is
 * built by resultOf. A checkpoint after the plan and after each round lets a re-run resume
 * (GenerateDeps.resume).
 */
export async function generatePolicy(intent: Intent, deps: GenerateDeps): Promise<GenerationResult> {
  // A library caller may hand the loop anything: parsed once with common's IntentSchema (the limits, 1..20
  // rounds among them, are defined there), and trusted from here on.
  intent = parseIntent(intent);
  const base = startRun(intent, deps);

  // 0. An intent already answered and verified: from the library, with no model call.
  const stored = await answerFromLibrary(base);
  if (stored) return finished(base, stored);

  const run: Run = { ...base, agents: agentsFor(deps) };
  // 1–2. Retrieve skills, plan and check the reading; or take all of that, and the rounds already paid
  //      for, from a checkpoint of this intent.
  const resumed = resumableCheckpoint(deps.resume, intent, run.log);
  const { state, objections } = resumed ? resumeFrom(run, resumed) : await prepare(run);
  if (objections.length) {
    run.log.warn({ objections }, 'reading rejected: no code written');
    const reason = rejectionReason(state.judgement, objections);
    return finished(run, resultOf(run, state, { status: 'failed', reason, source: run.agents.source }));
  }
  if (!resumed) await checkpoint(run, state);

  // 3. Rounds: draft → harden → verify → dry-run → critic, each told what was wrong with the last.
  const maxRounds = intent.options?.maxRounds ?? DEFAULT_MAX_ROUNDS;
  for (let round = state.rounds.length + 1; round <= maxRounds; round++) {
    const outcome = await runRound(run, state, round);
    // 4. Success: keep what the run taught (Voyager's skill library) and return.
    if (outcome.ended === 'verified') return finished(run, await succeeded(run, state, round, outcome));
    if (outcome.ended === 'stuck') break;
    await checkpoint(run, state);
  }

  // 5. No draft passed: the best one, never safe to apply.
  const reason = failureReason(state.rounds, bestOf(state)?.report);
  run.log.warn({ rounds: state.rounds.length, reason }, 'no verified policy');
  return finished(run, resultOf(run, state, { status: 'failed', reason, source: run.agents.source }));
}

/**
 * One round, Voyager's step(): the coder drafts from the last round's errors; our code hardens the draft;
 * verify() runs lints, the plan's and the critic's cases and the fuzzer; a verified draft is dry-run by the
 * API server and read by the critic, whose added cases (judged first) must pass too before the round may
 * end the run. The round is recorded in `state`, with the next round's feedback.
 */
async function runRound(run: Run, state: RunState, round: number): Promise<RoundOutcome> {
  const { intent, agents, deps, emit } = run;
  deps.signal?.throwIfAborted();
  const roundStarted = run.now();
  emit({ type: 'round-started', round });
  const plan = planWithCases(state);

  // Draft: the coder proposes a spec; unusable output is fed back, not fatal.
  const draft = await agents.write({ intent, plan, skills: state.coderSkills, feedback: state.feedback });
  addUsage(state.usage, draft.usage);
  if (!draft.spec) {
    const durationMs = run.now() - roundStarted;
    state.rounds.push({ round, error: draft.error, promptChars: draft.promptChars, usage: draft.usage, durationMs });
    emit({ type: 'drafted', round, error: draft.error });
    state.feedback = { ...state.feedback, error: draft.error };
    return { ended: 'again' };
  }

  // Harden: our code names and owns the policy, inlines the skills it calls, applies the safety defaults.
  const callable: Skill[] = [...builtinSkills, ...state.skills, ...state.coderSkills];
  const assembled = assemblePolicy(draft.spec, intent);
  const skillsUsed = skillIds(draft.spec.javascript ?? '', callable);
  const asWritten = assembled.spec.javascript ?? '';
  const calls = skillsToInline(asWritten, callable);
  const inlined: JsPolicy = { ...assembled, spec: { ...assembled.spec, javascript: prependSkills(asWritten, calls) } };
  const policy = harden(inlined, plan, run.verifyIntent, run.catalog);
  emit({ type: 'drafted', round, policy });

  // Verify: lints, schema, catalog, the cases in the sandbox, fuzzing; then the API server's dry-run.
  let report = await verifyDraft(run, policy, plan, round);
  if (report.passed && deps.dryRun) report = await dryRunApplied(deps.dryRun, run, state, policy, report, round);

  // Critic: self-verification, only for drafts that passed. Offline there is no critic agent: the
  // family's own cases, passed under verify(), are the judgement.
  let critique: RoundRecord['critique'];
  let added: TestCase[] = [];
  const roundUsage = { ...draft.usage };
  let promptChars = draft.promptChars;
  if (report.passed && agents.review) {
    // The critic reads the code as the coder wrote it; the skills it calls are listed, not repeated.
    const reviewed: JsPolicy = { ...policy, spec: { ...policy.spec, javascript: asWritten } };
    const verdict = await agents.review({ intent, plan, policy: reviewed, skills: calls, suite: report.suite });
    addUsage(state.usage, verdict.usage);
    addUsage(roundUsage, verdict.usage);
    promptChars = {
      system: promptChars.system + verdict.promptChars.system,
      human: promptChars.human + verdict.promptChars.human,
    };
    critique = { success: verdict.success, reasoning: verdict.reasoning, critique: verdict.critique };
    const planned = new Set(plan.tests.map((t) => t.name));
    const missing = usableCases(verdict.missingCases, undefined, run.log).filter((c) => !planned.has(c.name));
    // The judge reads the critic's cases too: a case the intent does not demand is not added.
    const judged = await judgeAddedCases(
      agents,
      intent,
      plan,
      missing,
      run.catalog,
      state.judgement,
      state.usage,
      emit,
    );
    state.judgement = judged.judgement;
    added = judged.accepted;
    emit({ type: 'critiqued', round, success: critique.success, critique: critique.critique });
    // A draft the critic accepts while naming cases the suite lacked is not verified until they have run.
    if (critique.success && added.length) {
      report = await verifyDraft(run, policy, { ...plan, tests: [...plan.tests, ...added] }, round);
    }
  } else if (report.passed) {
    const reasoning = 'verify() passed every planned case; offline mode has no critic agent';
    critique = { success: true, reasoning, critique: '' };
  }
  state.added = [...state.added, ...added];
  const best = bestOf(state);
  if (!best || score(report) > score(best.report)) state.best = { round, skillsUsed };
  const durationMs = run.now() - roundStarted;
  const { explanation } = draft;
  const usage = roundUsage;
  state.rounds.push({ round, draft: policy, explanation, report, critique, promptChars, usage, durationMs });

  if (report.passed && critique?.success) return { ended: 'verified', policy, report, skillsUsed };
  // Otherwise the report and the critique are the next round's feedback (Voyager's "errors").
  state.feedback = { code: draft.spec.javascript, report: renderReport(report), critique: critique?.critique };
  // A deterministic coder would answer the same again: stop unless the critic changed the cases.
  return agents.deterministic && added.length === 0 ? { ended: 'stuck' } : { ended: 'again' };
}

function startRun(intent: Intent, deps: GenerateDeps): RunBase {
  const now = deps.now ?? Date.now;
  const log = (deps.logger ?? silentLogger).child({ module: 'loop' });
  return {
    intent,
    deps,
    catalog: deps.catalog ?? builtinCatalog(),
    sandbox: deps.signal ? stopsWhenAborted(deps.sandbox, deps.signal) : deps.sandbox,
    // With a mode asked for, harden() sets violationPolicy Deny on every draft, so a violationPolicy the
    // draft carries itself (a model that read "warn" somewhere) cannot turn the planned denials into warnings.
    verifyIntent: enforceTerms(intent),
    mode: intent.options?.mode,
    log,
    emit: (e) => deps.onProgress?.(e),
    now,
    started: now(),
  };
}

function agentsFor(deps: GenerateDeps): Agents {
  // A stopped run also stops the model call in flight, not only the next step.
  const client = deps.client ?? (deps.model ? new ModelClient(deps.model, { logger: deps.logger }) : undefined);
  return createAgents({ client: client?.withSignal(deps.signal), catalog: deps.catalog ?? builtinCatalog() });
}

/**
 * Steps 1 and 2: the top skills for this intent (Voyager's top-5); the plan, its reading checked before any
 * code is written (the case objects against the API catalog, then in model mode an independent judge of
 * every planned verdict, objections going back to the planner); then retrieval again with the plan's steps,
 * which name the helpers the coder will need.
 */
async function prepare(run: Run): Promise<{ state: RunState; objections: string[] }> {
  const { intent, deps, emit } = run;
  const usage = emptyUsage();
  const skills = await deps.library.search(intent.text, RETRIEVED_SKILLS);
  emit({ type: 'retrieved', skills: skills.map((s) => s.name) });

  deps.signal?.throwIfAborted();
  const checked = await planAndCheckReading(intent, run.agents, skills, run.catalog, usage, emit, run.log);
  const feedback: CoderFeedback = intent.feedback?.length
    ? { report: `Errors from the previous attempt:\n${intent.feedback.join('\n')}` }
    : {};
  const { plan, judgement } = checked;
  const state: RunState = { skills, coderSkills: skills, plan, judgement, added: [], rounds: [], feedback, usage };
  if (checked.objections.length) return { state, objections: checked.objections };

  const stepsQuery = checked.plan.steps.map((s) => `${s.name}: ${s.description}`).join('\n');
  if (stepsQuery) {
    state.coderSkills = await deps.library.search(`${intent.text}\n${stepsQuery}`, RETRIEVED_SKILLS);
    emit({ type: 'retrieved', skills: state.coderSkills.map((s) => s.name) });
  }
  return { state, objections: [] };
}

/** A checkpoint of this intent taken up: what it holds is not asked for again. */
function resumeFrom(run: Run, checkpoint: LoopCheckpoint): { state: RunState; objections: string[] } {
  const { v: _v, intentKey: _key, ...state } = checkpoint;
  const paid = { rounds: state.rounds.length, calls: state.usage.calls };
  run.log.info(paid, 'resumed from a checkpoint: its plan and rounds are not asked for again');
  return { state, objections: [] };
}

async function checkpoint(run: Run, state: RunState): Promise<void> {
  if (!run.deps.onCheckpoint) return;
  try {
    await run.deps.onCheckpoint(checkpointOf(run.intent, state));
  } catch (err) {
    // A checkpoint only saves work on a re-run: losing one must not cost this run.
    run.log.warn({ err: (err as Error).message }, 'checkpoint not kept: a re-run would start from an earlier step');
  }
}

async function verifyDraft(run: Run, policy: JsPolicy, plan: Plan, round: number): Promise<Report> {
  run.deps.signal?.throwIfAborted();
  const { sandbox, catalog, verifyIntent: intent } = run;
  const report = await verify(policy, plan, { sandbox, catalog, intent, fuzz: run.deps.fuzz });
  run.deps.signal?.throwIfAborted();
  run.emit(verifiedEvent(round, report));
  return report;
}

/**
 * The API server reads a verified draft as the result would carry it (mode applied, annotated): its
 * refusals are blocking findings, so the round fails and the next one is told which field to correct.
 */
async function dryRunApplied(
  dryRun: NonNullable<GenerateDeps['dryRun']>,
  run: Run,
  state: RunState,
  policy: JsPolicy,
  report: Report,
  round: number,
): Promise<Report> {
  const applied = shownPolicy(applyMode(policy, run.mode), planWithCases(state), run.catalog, state.judgement).policy;
  let errors: string[];
  try {
    errors = await dryRun(applied);
  } catch (err) {
    // An unreachable API server is a fault to retry (a job resumes from its checkpoint), not the draft's.
    if (isPolicyforgeError(err) && err.retryable) throw err;
    errors = [`dry-run failed: ${err instanceof Error ? err.message : String(err)}`];
  }
  run.deps.signal?.throwIfAborted();
  if (!errors.length) return report;
  const findings: Finding[] = errors.map((e) => ({
    rule: 'cluster/dry-run',
    severity: 'blocking',
    message: `the API server rejects the policy: ${e}`.replace(/\s+/g, ' '),
    fix: 'correct the field the API server names',
  }));
  const refused: Report = {
    ...report,
    passed: false,
    findings: [...findings, ...report.findings],
    dryRunErrors: errors,
  };
  run.emit(verifiedEvent(round, refused));
  return refused;
}

/** The critic accepted a verified draft: the run succeeds, and the library learns from it first. */
async function succeeded(
  run: Run,
  state: RunState,
  round: number,
  outcome: RoundOutcome & { ended: 'verified' },
): Promise<GenerationResult> {
  const { report, policy, skillsUsed } = outcome;
  const cases = report.suite ? `${report.suite.total} case(s) passed` : 'no cases';
  const judged = state.judgement.judged ? '' : '; the reading was not independently judged';
  const reason = `verified in ${round} round(s): ${cases}, no blocking findings${judged}`;
  const ending = { status: 'succeeded', reason, policy, skillsUsed, source: run.agents.source } as const;
  run.deps.signal?.throwIfAborted();
  // The library keeps the verified (Enforce) form; a later lookup applies that intent's own mode.
  const stored = resultOf(run, state, { ...ending, enforceTerms: true });
  const skillsAdded = await learn(run.deps.library, stored, planWithCases(state).tests, run.log);
  return resultOf(run, state, { ...ending, skillsAdded });
}

interface Ending {
  status: GenerationResult['status'];
  reason: string;
  source: GenerationResult['source'];
  /** The policy in Enforce terms; the best round's draft when not given. */
  policy?: JsPolicy;
  skillsUsed?: string[];
  skillsAdded?: string[];
  /** Keep the policy in Enforce terms (the library's copy) instead of applying the mode asked for. */
  enforceTerms?: boolean;
}

/**
 * Every result is built here, whichever way the run ended: the plan with the critic's cases, the policy as
 * shown (the mode applied, the restatement and the judged mark annotated), the transcript and the usage.
 */
function resultOf(run: RunBase, state: RunState, ending: Ending): GenerationResult {
  const plan = planWithCases(state);
  const policy = ending.policy ?? bestOf(state)?.policy;
  const form = policy && (ending.enforceTerms ? policy : applyMode(policy, run.mode));
  const shown = form ? shownPolicy(form, plan, run.catalog, state.judgement) : undefined;
  const { judged, note } = state.judgement;
  return {
    status: ending.status,
    reason: ending.reason,
    intent: run.intent,
    plan,
    ...(shown ? { policy: shown.policy } : {}),
    restatement: shown?.restatement ?? restate({ plan, catalog: run.catalog, judged, judgedNote: note }),
    judgement: state.judgement,
    safeToApply: ending.status === 'succeeded',
    rounds: state.rounds,
    usage: state.usage,
    skillsUsed: ending.skillsUsed ?? state.best?.skillsUsed ?? [],
    skillsAdded: ending.skillsAdded ?? [],
    source: ending.source,
    durationMs: run.now() - run.started,
  };
}

function finished(run: RunBase, result: GenerationResult): GenerationResult {
  run.emit({ type: 'finished', status: result.status, reason: result.reason });
  return result;
}

/** The plan as emitted with the critic's accepted cases after its own: a new object, the plan is never changed. */
function planWithCases(state: RunState): Plan {
  return state.added.length ? { ...state.plan, tests: [...state.plan.tests, ...state.added] } : state.plan;
}

function bestOf(state: RunState): { policy: JsPolicy; report: Report } | undefined {
  const record = state.best && state.rounds.find((r) => r.round === state.best?.round);
  return record?.draft && record.report ? { policy: record.draft, report: record.report } : undefined;
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
    log.info(
      { source: agents.source, steps: plan.steps.map((s) => s.name), cases: plan.tests.length, replans },
      'planned',
    );

    let objections = caseCatalogObjections(plan, catalog, examples);
    let judgement: Judgement = {
      judged: false,
      cases: [],
      replans,
      note: agents.judge ? 'not judged: the plan failed the catalog check' : OFFLINE_NOTE,
    };
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
    return {
      judgement: {
        judged: false,
        cases: [],
        replans: 0,
        note: `the judge's answer could not be used: ${answer.error ?? 'no answer'}`,
      },
      objections: [],
    };
  }
  const objections = judgeObjections(answer.verdicts, cases);
  const count = (v: string): number => answer.verdicts.filter((x) => x.verdict === v).length;
  emit({ type: 'judged', agreed: count('agree'), disagreed: count('disagree'), unsure: count('unsure'), objections });
  const note = objections.length
    ? objections.slice(0, 3).join('; ')
    : `agreed with ${count('agree')} of ${cases.length} case(s)${count('unsure') ? `, unsure of ${count('unsure')}` : ''}`;
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
  const judged = await judgeCasesOf(
    agents,
    intent,
    { ...plan, tests: [...plan.tests, ...added] },
    added,
    catalog,
    usage,
    emit,
  );
  const rejected = new Set(judged.judgement.cases.filter((c) => c.verdict === 'disagree').map((c) => c.case));
  const merged: Judgement = {
    judged: judgement.judged && judged.judgement.judged,
    cases: [...judgement.cases, ...judged.judgement.cases],
    replans: judgement.replans,
    note: judged.judgement.judged
      ? judgement.note
      : `the critic's cases were not judged: ${judged.judgement.note ?? ''}`,
  };
  return { accepted: added.filter((c) => !rejected.has(c.name)), judgement: merged };
}

/** Why the run ended before any code: the reading is still objected to after the re-plans. Nothing is stored. */
function rejectionReason(judgement: Judgement, objections: string[]): string {
  const who = objections.some((o) => o.startsWith('judge:'))
    ? 'the independent judge disagreed with the plan'
    : "the plan's case objects are not served by the API catalog";
  const more = objections.length > 3 ? `; … ${objections.length - 3} more` : '';
  return `${who} after ${judgement.replans} re-plan(s): ${objections.slice(0, 3).join('; ')}${more}`;
}

/** The policy as shown: the restatement rendered from the plan and this policy, carried as annotations. */
function shownPolicy(
  policy: JsPolicy,
  plan: Plan,
  catalog: ApiCatalog,
  judgement: Judgement,
): { policy: JsPolicy; restatement: GenerationResult['restatement'] & object } {
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

/** An identical (normalised) intent verified before: its policy, renamed and owned for this intent. */
async function answerFromLibrary(run: RunBase): Promise<GenerationResult | undefined> {
  const { intent, deps } = run;
  const stored = await deps.library.lookupPolicy(intent.text);
  if (!stored || !sameScope(stored, intent)) return undefined;
  const fresh = assemblePolicy(stored.policy.spec, intent);
  const annotations = { ...stored.policy.metadata.annotations, 'policyforge.dev/from-library': stored.id };
  const verified: JsPolicy = { ...fresh, metadata: { ...fresh.metadata, annotations } };
  // The user's examples are ground truth: a stored answer that contradicts them is not an answer. With a
  // mode asked for they are in Enforce terms, as in the loop, whatever violationPolicy was stored.
  if (intent.examples?.length) {
    const check = await run.sandbox.runSuite(applyMode(verified, run.verifyIntent.options?.mode), intent.examples);
    if (!check.passed) return undefined;
  }
  const judged = stored.policy.metadata.annotations?.[JUDGED_ANNOTATION] === 'true';
  const note = judged ? 'judged when it was generated' : 'not judged when it was generated';
  const judgement: Judgement = { judged, cases: [], replans: 0, note };
  const state: RunState = {
    skills: [],
    coderSkills: [],
    plan: stored.plan,
    judgement,
    added: [],
    rounds: [],
    feedback: {},
    usage: emptyUsage(),
  };
  const reason = `answered from the skill library (${stored.id}, ${stored.state}) without a model call`;
  return resultOf(run, state, {
    status: 'succeeded',
    reason,
    policy: verified,
    skillsUsed: stored.skills,
    source: 'library',
  });
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
  if (intent.options?.podControllers === false && stored.plan.target.resources.some(isPodControllerResource))
    return false;
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
    best.passed
      ? rounds.at(-1)?.critique?.critique?.trim()
        ? `the critic did not accept it: ${rounds.at(-1)?.critique?.critique}`
        : 'the critic rejected it without a reason'
      : '',
  ].filter(Boolean);
  return `no verified policy after ${n} round(s): ${parts.join('; ') || 'verification failed'}`;
}

async function learn(
  library: SkillLibrary,
  result: GenerationResult,
  suite: TestCase[],
  log: Logger,
): Promise<string[]> {
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
