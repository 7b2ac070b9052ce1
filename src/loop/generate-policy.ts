import {
  addUsage,
  applyMode,
  assemblePolicy,
  createAgents,
  emptyUsage,
  ModelClient,
  type Agents,
  type CoderFeedback,
  type ModelConfig,
} from '../../agents/index.js';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import {
  pfError,
  silentLogger,
  type GenerationResult,
  type Intent,
  type JsPolicy,
  type Logger,
  type Plan,
  type ProgressEvent,
  type Report,
  type RoundRecord,
  type Skill,
  type StoredPolicy,
  type TestCase,
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
}

/** @defaultValue 4, as Voyager's bounded retries; intent.options.maxRounds overrides it. */
export const DEFAULT_MAX_ROUNDS = 4;
const RETRIEVED_SKILLS = 5;

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
  const maxRounds = intent.options?.maxRounds ?? DEFAULT_MAX_ROUNDS;

  // 0. An intent already answered and verified: from the library, with no model call.
  const stored = await answerFromLibrary(intent, deps, started, now);
  if (stored) {
    emit({ type: 'finished', status: stored.status, reason: stored.reason });
    return stored;
  }

  const client = deps.client ?? (deps.model ? new ModelClient(deps.model, { logger: deps.logger }) : undefined);
  const agents: Agents = createAgents({ client, catalog });
  const usage = emptyUsage();

  // 1. Retrieval: the top skills for this intent (Voyager's top-5).
  const skills = await deps.library.search(intent.text, RETRIEVED_SKILLS);
  emit({ type: 'retrieved', skills: skills.map((s) => s.name) });

  // 2. Plan: target, steps and test cases; the user's examples are part of it, unchanged.
  const planned = await agents.plan(intent, skills, catalog);
  addUsage(usage, planned.usage);
  const plan: Plan = { ...planned.plan, tests: usableCases(planned.plan.tests, intent, log) };
  emit({ type: 'planned', plan });
  log.info({ source: agents.source, steps: plan.steps.map((s) => s.name), cases: plan.tests.length }, 'planned');

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
    const report = await verify(policy, plan, { sandbox: deps.sandbox, catalog, intent: verifyIntent, fuzz: deps.fuzz, dryRun: deps.dryRun });
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
      const result: GenerationResult = {
        status: 'succeeded',
        reason: `verified in ${round} round(s): ${report.suite ? `${report.suite.total} case(s) passed` : 'no cases'}, no blocking findings`,
        intent,
        plan,
        policy: applyMode(policy, mode),
        safeToApply: true,
        rounds,
        usage,
        skillsUsed,
        skillsAdded: [],
        source: agents.source,
        durationMs: 0,
      };
      // The library keeps the verified (Enforce) form; a later lookup applies that intent's own mode.
      result.skillsAdded = await learn(deps.library, { ...result, policy }, plan.tests, log);
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
  return {
    status: 'failed',
    reason,
    intent,
    plan,
    ...(best ? { policy: applyMode(best.policy, mode) } : {}),
    safeToApply: false,
    rounds,
    usage,
    skillsUsed: best?.skillsUsed ?? [],
    skillsAdded: [],
    source: agents.source,
    durationMs: now() - started,
  };
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
  const policy = applyMode(verified, intent.options?.mode);
  return {
    status: 'succeeded',
    reason: `answered from the skill library (${stored.id}, ${stored.state}) without a model call`,
    intent,
    plan: stored.plan,
    policy,
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
  return !failurePolicy || (stored.policy.spec.failurePolicy ?? 'Fail') === failurePolicy;
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
    best.fuzz.length ? `${best.fuzz.length} fuzz crash(es)` : '',
    best.passed ? `the critic did not accept it: ${rounds.at(-1)?.critique?.critique ?? ''}` : '',
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
