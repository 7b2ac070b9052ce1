import { pfError } from '../../common/index.js';
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
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || !text.trim() || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

export function validateRollout(rollout: unknown, where: string): void {
  if (rollout === undefined) return;
  const r = rollout as GPTPolicyRolloutSpec;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw pfError('PF_ERR_INPUT_INVALID', where, 'spec.rollout must be an object');
  if (r.strategy !== undefined && r.strategy !== 'Immediate' && r.strategy !== 'Staged') {
    throw pfError('PF_ERR_INPUT_INVALID', where, `spec.rollout.strategy must be Immediate or Staged, not "${String(r.strategy)}"`);
  }
  if (r.window !== undefined && (typeof r.window !== 'string' || !parseDuration(r.window))) {
    throw pfError('PF_ERR_INPUT_INVALID', where, `spec.rollout.window must be a duration such as 30m, 1h or 24h, not "${String(r.window)}"`);
  }
  const b = r.violationBudget;
  if (b !== undefined && (!Number.isInteger(b) || b < 0 || b > 38)) {
    throw pfError('PF_ERR_INPUT_INVALID', where, 'spec.rollout.violationBudget must be a whole number from 0 to 38 (jsPolicy keeps at most 39 violations)');
  }
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

function windowMs(spec: GPTPolicyRolloutSpec | undefined): number {
  return parseDuration(spec?.window ?? DEFAULT_WINDOW) ?? 3_600_000;
}

/** A fresh window in `stage` from now. */
function inStage(prev: RolloutStatus, stage: RolloutStage, spec: GPTPolicyRolloutSpec | undefined, now: Date): RolloutStatus {
  const start = floorSecond(now);
  const complete = stage === prev.target;
  return {
    ...prev,
    stage,
    stageStartedAt: iso(start),
    windowEndsAt: iso(new Date(start.getTime() + windowMs(spec))),
    window: spec?.window ?? DEFAULT_WINDOW,
    budget: spec?.violationBudget ?? DEFAULT_BUDGET,
    violations: 0,
    state: complete ? 'Complete' : 'Observing',
    reason: complete ? 'RolloutComplete' : 'Observing',
    message: complete ? `in force with violationPolicy ${stage}` : observingMessage(stage, prev.target, 0, spec?.violationBudget ?? DEFAULT_BUDGET, new Date(start.getTime() + windowMs(spec))),
  };
}

function observingMessage(stage: RolloutStage, target: RolloutStage, violations: number, budget: number, ends: Date): string {
  const next = STAGES[STAGES.indexOf(stage) + 1] ?? target;
  return `stage ${stage} of ${stagesTo(target).join(' → ')}: ${violations} violation(s) so far (budget ${budget}); promotes to ${next} at ${iso(ends)} if still within budget`;
}

/**
 * A rollout at `stage` with a fresh window: Dry for a new draft; for a policy already in force when its
 * GPTPolicy switches to Staged, what it enforces now (it is not demoted; it goes on from there).
 */
export function rolloutFrom(stage: RolloutStage, spec: GPTPolicyRolloutSpec | undefined, target: RolloutStage, jobId: string | undefined, now: Date): RolloutStatus {
  const capped = STAGES.indexOf(stage) <= STAGES.indexOf(target) ? stage : target;
  const base: RolloutStatus = { jobId, stage: capped, target, stageStartedAt: '', windowEndsAt: '', window: '', budget: 0, violations: 0, state: 'Observing', reason: 'Observing', message: '' };
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

/**
 * One observation: count, then promote, hold, resume or wait. Never more than one stage per observation,
 * so no stage is skipped, whatever the clock did meanwhile.
 */
export function observeRollout(input: ObserveInput): RolloutDecision {
  const { spec, target, now, command } = input;
  let prev: RolloutStatus = { ...input.prev, target };
  const transitions: RolloutTransition[] = [];
  const budget = spec?.violationBudget ?? DEFAULT_BUDGET;
  // the mode was lowered below the current stage: the stage follows at once (less enforcement is never a risk)
  if (STAGES.indexOf(prev.stage) > STAGES.indexOf(target)) prev = { ...prev, stage: target };
  if (prev.stage === target) {
    const done = { ...prev, state: 'Complete' as const, reason: 'RolloutComplete', message: `in force with violationPolicy ${target}` };
    return { status: done, transitions: prev.state === 'Complete' ? [] : [{ type: 'Normal', reason: 'RolloutComplete', message: `rollout complete: violationPolicy ${target}` }], consumed: command === 'promote' || command === 'resume' };
  }
  const next = STAGES[STAGES.indexOf(prev.stage) + 1];
  const count = countViolations(input.violations, prev, now);
  const logSize = input.auditLogSize !== undefined && input.auditLogSize >= 0 && input.auditLogSize < 40 ? input.auditLogSize : DEFAULT_AUDIT_LOG_SIZE;
  const observed: RolloutStatus = { ...prev, violations: count, budget };

  if (command === 'promote') {
    if (!input.approved) {
      return {
        status: { ...observed, state: 'AwaitingApproval', reason: 'AwaitingApproval', message: 'approve first (annotation gpt.drzzl.io/approved), then promote' },
        transitions: [{ type: 'Warning', reason: 'RolloutCommandRefused', message: `not promoted from ${prev.stage}: the GPTPolicy needs approval first (approval: Manual)` }],
        consumed: true,
      };
    }
    const promoted = inStage(observed, next, spec, now);
    return {
      status: promoted,
      transitions: [
        { type: 'Normal', reason: 'RolloutPromoted', message: `promoted by hand from ${prev.stage} to ${next} (${count} violation(s) in ${prev.stage}, budget ${budget})` },
        ...(promoted.state === 'Complete' ? [{ type: 'Normal' as const, reason: 'RolloutComplete' as const, message: `rollout complete: violationPolicy ${next}` }] : []),
      ],
      consumed: true,
    };
  }
  if (command === 'hold') {
    const held: RolloutStatus = { ...observed, state: 'Held', reason: 'ManualHold', message: `held by hand in stage ${prev.stage} (annotation gpt.drzzl.io/rollout=hold); ${count} violation(s) so far. Remove the annotation to resume with a fresh window` };
    const fresh = prev.reason !== 'ManualHold';
    return { status: held, transitions: fresh ? [{ type: 'Normal', reason: 'RolloutHeld', message: `held by hand in stage ${prev.stage}` }] : [], consumed: false };
  }
  // a hold by hand ends when its annotation goes; `resume` ends any hold: both start a fresh window
  if ((prev.state === 'Held' && prev.reason === 'ManualHold') || (command === 'resume' && prev.state === 'Held')) {
    const resumed = inStage(observed, prev.stage, spec, now);
    return { status: resumed, transitions: [{ type: 'Normal', reason: 'RolloutResumed', message: `resumed in stage ${prev.stage} with a fresh window until ${resumed.windowEndsAt}` }], consumed: command === 'resume' };
  }
  const consumed = command === 'resume';
  if (prev.state === 'Held') return { status: { ...prev, budget }, transitions: [], consumed };

  if (count > budget) {
    const message = `held in stage ${prev.stage}: ${count} violation(s) since ${prev.stageStartedAt}, over the budget of ${budget}. Read them with kubectl get jspolicyviolations ${input.policyName} -o yaml; promote by hand (gpt.drzzl.io/rollout=promote) or start a fresh window (gpt.drzzl.io/rollout=resume)`;
    return {
      status: { ...observed, state: 'Held', reason: 'BudgetExceeded', message },
      transitions: [{ type: 'Warning', reason: 'RolloutHeld', message: `held in stage ${prev.stage}: ${count} violation(s) in the window, budget ${budget}` }],
      consumed,
    };
  }
  if (count >= logSize) {
    // jsPolicy dropped older entries: more may have happened than it still shows, so the budget cannot be checked
    const message = `held in stage ${prev.stage}: jsPolicy keeps only the last ${logSize} violations and all of them are in this window, so the budget of ${budget} cannot be checked; lower the budget below ${logSize} or promote by hand`;
    return { status: { ...observed, state: 'Held', reason: 'ViolationLogFull', message }, transitions: [{ type: 'Warning', reason: 'RolloutHeld', message }], consumed };
  }
  if (now.getTime() < Date.parse(prev.windowEndsAt)) {
    return { status: { ...observed, state: 'Observing', reason: 'Observing', message: observingMessage(prev.stage, target, count, budget, new Date(Date.parse(prev.windowEndsAt))) }, transitions: [], consumed };
  }
  if (!input.approved) {
    return { status: { ...observed, state: 'AwaitingApproval', reason: 'AwaitingApproval', message: `the ${prev.stage} window passed within budget (${count} of ${budget}); approve (annotation gpt.drzzl.io/approved) to go on to ${next}` }, transitions: [], consumed };
  }
  const promoted = inStage(observed, next, spec, now);
  return {
    status: promoted,
    transitions: [
      { type: 'Normal', reason: 'RolloutPromoted', message: `promoted from ${prev.stage} to ${next}: ${count} violation(s) in the ${prev.window} window (budget ${budget})` },
      ...(promoted.state === 'Complete' ? [{ type: 'Normal' as const, reason: 'RolloutComplete' as const, message: `rollout complete: violationPolicy ${next}` }] : []),
    ],
    consumed,
  };
}
