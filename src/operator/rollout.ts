import { GO_DURATION } from '../../common/index.js';
import type { GPTPolicyRolloutSpec, RolloutStage, RolloutStatus } from './types.js';

/**
 * Staged rollout (issue 14 item 5): a new draft goes Dry → Warn → Deny (up to what the mode asks for), one
 * stage per observation window, promoted only when the window passed with at most `violationBudget`
 * violations recorded by jsPolicy (its JsPolicyViolations object, named as the JsPolicy) in that stage.
 * Beyond the budget the rollout holds and says why; a person can promote, hold or resume it with the
 * annotation gpt.drzzl.io/rollout. Everything here is a pure decision: the controller reads the violations,
 * writes the status, patches the JsPolicy and records the events.
 */

export const STAGES: readonly RolloutStage[] = ['Dry', 'Warn', 'Deny'];
export const DEFAULT_WINDOW = '1h';
export const DEFAULT_BUDGET = 0;
/** jsPolicy keeps the last auditLogSize violations (default 20, at most 39: audit.go). */
const DEFAULT_AUDIT_LOG_SIZE = 20;

/** Commands a person gives through the annotation gpt.drzzl.io/rollout. */
export type RolloutCommand = 'promote' | 'hold' | 'resume';
export const ROLLOUT_COMMANDS: readonly RolloutCommand[] = ['promote', 'hold', 'resume'];

/** One entry of jsPolicy's JsPolicyViolations status.violations (pkg/apis/policy/v1beta1). */
export interface PolicyViolation {
  action?: string;
  code?: number;
  reason?: string;
  message?: string;
  requestInfo?: { name?: string; namespace?: string; kind?: string; apiVersion?: string; operation?: string };
  userInfo?: { username?: string; uid?: string };
  timestamp?: string;
}

/** A Go-style duration (`90s`, `30m`, `1h30m`, `24h`) in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = GO_DURATION.exec(text.trim());
  if (!m || !text.trim() || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

export function isStaged(spec: { rollout?: GPTPolicyRolloutSpec }): boolean {
  return spec.rollout?.strategy === 'Staged';
}

/** The stages a rollout to `target` goes through: Dry, then Warn, then Deny, stopping at the target. */
export function stagesTo(target: RolloutStage): RolloutStage[] {
  return STAGES.slice(0, STAGES.indexOf(target) + 1);
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Seconds resolution, rounded down: jsPolicy's timestamps are metav1.Time (seconds). */
function floorSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function windowMs(spec: Spec): number {
  return parseDuration(spec?.window ?? DEFAULT_WINDOW) ?? 3_600_000;
}

/** A fresh window in `stage` from now. */
type Spec = GPTPolicyRolloutSpec | undefined;

function inStage(prev: RolloutStatus, stage: RolloutStage, spec: Spec, now: Date): RolloutStatus {
  const start = floorSecond(now);
  const ends = new Date(start.getTime() + windowMs(spec));
  const budget = spec?.violationBudget ?? DEFAULT_BUDGET;
  const complete = stage === prev.target;
  return {
    ...prev,
    stage,
    stageStartedAt: iso(start),
    windowEndsAt: iso(ends),
    window: spec?.window ?? DEFAULT_WINDOW,
    budget,
    violations: 0,
    state: complete ? 'Complete' : 'Observing',
    reason: complete ? 'RolloutComplete' : 'Observing',
    message: complete ? inForce(stage) : observingMessage({ ...prev, stage, budget }, 0, ends),
  };
}

function nextStage(stage: RolloutStage): RolloutStage {
  return STAGES[Math.min(STAGES.indexOf(stage) + 1, STAGES.length - 1)];
}

const inForce = (stage: RolloutStage): string => `in force with violationPolicy ${stage}`;

function observingMessage(r: Pick<RolloutStatus, 'stage' | 'target' | 'budget'>, count: number, ends: Date): string {
  return (
    `stage ${r.stage} of ${stagesTo(r.target).join(' → ')}: ${count} violation(s) so far (budget ${r.budget}); ` +
    `promotes to ${nextStage(r.stage)} at ${iso(ends)} if still within budget`
  );
}

/**
 * A rollout at `stage` with a fresh window: Dry for a new draft; for a policy already in force when its
 * GPTPolicy switches to Staged, what it enforces now (it is not demoted; it goes on from there).
 */
export function rolloutFrom(
  stage: RolloutStage,
  spec: GPTPolicyRolloutSpec | undefined,
  target: RolloutStage,
  jobId: string | undefined,
  now: Date,
): RolloutStatus {
  const capped = STAGES.indexOf(stage) <= STAGES.indexOf(target) ? stage : target;
  const base: RolloutStatus = {
    jobId,
    stage: capped,
    target,
    stageStartedAt: '',
    windowEndsAt: '',
    window: '',
    budget: 0,
    violations: 0,
    state: 'Observing',
    reason: 'Observing',
    message: '',
  };
  return inStage(base, capped, spec, now);
}

/** Violations jsPolicy recorded for the current stage inside its window. */
export function countViolations(violations: PolicyViolation[], rollout: RolloutStatus, now: Date): number {
  const from = Date.parse(rollout.stageStartedAt);
  const to = Math.min(Date.parse(rollout.windowEndsAt), now.getTime());
  return violations.filter((v) => {
    const at = Date.parse(v.timestamp ?? '');
    // a violation under the previous stage's violationPolicy, in the same second, is not this stage's
    return at >= from && at <= to && (v.action === rollout.stage || v.action === 'Controller');
  }).length;
}

export interface RolloutTransition {
  type: 'Normal' | 'Warning';
  reason: 'RolloutPromoted' | 'RolloutHeld' | 'RolloutResumed' | 'RolloutComplete' | 'RolloutCommandRefused';
  message: string;
}

export interface RolloutDecision {
  status: RolloutStatus;
  transitions: RolloutTransition[];
  /** The command annotation was acted on and is to be removed (promote and resume act once). */
  consumed: boolean;
}

export interface ObserveInput {
  prev: RolloutStatus;
  spec: GPTPolicyRolloutSpec | undefined;
  /** What the mode asks for now (the mode may have changed since the rollout started). */
  target: RolloutStage;
  /** Manual approval given (or approval Auto). */
  approved: boolean;
  violations: PolicyViolation[];
  /** The JsPolicy's spec.auditLogSize: how many violations jsPolicy keeps. */
  auditLogSize?: number;
  command?: RolloutCommand;
  /** The JsPolicy's name (its JsPolicyViolations has the same), for the messages. */
  policyName: string;
  now: Date;
}

const completeEvent = (stage: RolloutStage): RolloutTransition => ({
  type: 'Normal',
  reason: 'RolloutComplete',
  message: `rollout complete: violationPolicy ${stage}`,
});

/** The next stage with a fresh window, and its events. */
function promote(observed: RolloutStatus, input: ObserveInput, why: string, consumed: boolean): RolloutDecision {
  const promoted = inStage(observed, nextStage(observed.stage), input.spec, input.now);
  const transitions: RolloutTransition[] = [{ type: 'Normal', reason: 'RolloutPromoted', message: why }];
  if (promoted.state === 'Complete') transitions.push(completeEvent(promoted.stage));
  return { status: promoted, transitions, consumed };
}

function heldEvent(type: RolloutTransition['type'], message: string): RolloutTransition {
  return { type, reason: 'RolloutHeld', message };
}

function held(
  observed: RolloutStatus,
  why: { reason: string; message: string },
  event: RolloutTransition | undefined,
  consumed: boolean,
): RolloutDecision {
  return { status: { ...observed, state: 'Held', ...why }, transitions: event ? [event] : [], consumed };
}

function waiting(
  observed: RolloutStatus,
  state: 'Observing' | 'AwaitingApproval',
  message: string,
  consumed: boolean,
): RolloutDecision {
  return { status: { ...observed, state, reason: state, message }, transitions: [], consumed };
}

/**
 * One observation: count, then promote, hold, resume or wait. Never more than one stage per observation,
 * so no stage is skipped, whatever the clock did meanwhile.
 */
export function observeRollout(input: ObserveInput): RolloutDecision {
  const { spec, target, now, command } = input;
  let prev: RolloutStatus = { ...input.prev, target };
  const budget = spec?.violationBudget ?? DEFAULT_BUDGET;
  const consumed = command === 'promote' || command === 'resume';
  // the mode was lowered below the current stage: the stage follows at once (less enforcement is never a risk)
  if (STAGES.indexOf(prev.stage) > STAGES.indexOf(target)) prev = { ...prev, stage: target };
  if (prev.stage === target) {
    const done: RolloutStatus = { ...prev, state: 'Complete', reason: 'RolloutComplete', message: inForce(target) };
    return { status: done, transitions: prev.state === 'Complete' ? [] : [completeEvent(target)], consumed };
  }
  const stage = prev.stage;
  const next = nextStage(stage);
  const count = countViolations(input.violations, prev, now);
  const size = input.auditLogSize;
  const logSize = size !== undefined && size >= 0 && size < 40 ? size : DEFAULT_AUDIT_LOG_SIZE;
  const observed: RolloutStatus = { ...prev, violations: count, budget };
  const tally = `${count} violation(s) in ${stage}, budget ${budget}`;

  if (command === 'promote') {
    if (!input.approved) {
      const message = 'approve first (annotation gpt.drzzl.io/approved), then promote';
      const refused = `not promoted from ${stage}: the GPTPolicy needs approval first (approval: Manual)`;
      return {
        status: { ...observed, state: 'AwaitingApproval', reason: 'AwaitingApproval', message },
        transitions: [{ type: 'Warning', reason: 'RolloutCommandRefused', message: refused }],
        consumed,
      };
    }
    return promote(observed, input, `promoted by hand from ${stage} to ${next} (${tally})`, consumed);
  }
  if (command === 'hold') {
    const message =
      `held by hand in stage ${stage} (annotation gpt.drzzl.io/rollout=hold); ${count} violation(s) so far. ` +
      'Remove the annotation to resume with a fresh window';
    const fresh = prev.reason !== 'ManualHold';
    const event = fresh ? heldEvent('Normal', `held by hand in stage ${stage}`) : undefined;
    return held(observed, { reason: 'ManualHold', message }, event, false);
  }
  // a hold by hand ends when its annotation goes; `resume` ends any hold: both start a fresh window
  if (prev.state === 'Held' && (prev.reason === 'ManualHold' || command === 'resume')) {
    const resumed = inStage(observed, stage, spec, now);
    const message = `resumed in stage ${stage} with a fresh window until ${resumed.windowEndsAt}`;
    return { status: resumed, transitions: [{ type: 'Normal', reason: 'RolloutResumed', message }], consumed };
  }
  if (prev.state === 'Held') return { status: { ...prev, budget }, transitions: [], consumed };

  if (count > budget) {
    const message =
      `held in stage ${stage}: ${count} violation(s) since ${prev.stageStartedAt}, over the budget of ${budget}. ` +
      `Read them with kubectl get jspolicyviolations ${input.policyName} -o yaml; promote by hand ` +
      '(gpt.drzzl.io/rollout=promote) or start a fresh window (gpt.drzzl.io/rollout=resume)';
    const short = `held in stage ${stage}: ${count} violation(s) in the window, budget ${budget}`;
    return held(observed, { reason: 'BudgetExceeded', message }, heldEvent('Warning', short), consumed);
  }
  if (count >= logSize) {
    // jsPolicy dropped older entries: more may have happened than it still shows, so the budget cannot be checked
    const message =
      `held in stage ${stage}: jsPolicy keeps only the last ${logSize} violations and all of them are in ` +
      'this window, ' +
      `so the budget of ${budget} cannot be checked; lower the budget below ${logSize} or promote by hand`;
    return held(observed, { reason: 'ViolationLogFull', message }, heldEvent('Warning', message), consumed);
  }
  const ends = new Date(Date.parse(prev.windowEndsAt));
  if (now.getTime() < ends.getTime()) {
    return waiting(observed, 'Observing', observingMessage(observed, count, ends), consumed);
  }
  if (!input.approved) {
    const message =
      `the ${stage} window passed within budget (${count} of ${budget}); ` +
      `approve (annotation gpt.drzzl.io/approved) to go on to ${next}`;
    return waiting(observed, 'AwaitingApproval', message, consumed);
  }
  const why =
    `promoted from ${stage} to ${next}: ${count} violation(s) in the ${prev.window} window` + ` (budget ${budget})`;
  return promote(observed, input, why, consumed);
}
