import { canonicalJson, redactSecrets, type GenerationResult } from '../../common/index.js';
import { impactCondition, type ImpactStatus } from '../impact/index.js';
import {
  CONDITION_TYPES,
  PHASES,
  REASONS,
  type Condition,
  type ConditionType,
  type GPTPolicyImpact,
  type GPTPolicyStatus,
  type Phase,
  type RolloutStatus,
} from './types.js';

/** A condition to set; lastTransitionTime and observedGeneration are filled in by `setConditions`. */
export interface ConditionUpdate {
  type: ConditionType;
  status: Condition['status'];
  reason: string;
  message: string;
}

/** Longest message kept in a condition or lastError: status objects are read by humans and etcd has limits. */
const MAX_MESSAGE = 1024;

/**
 * Merges condition updates into the previous list the Kubernetes way: lastTransitionTime changes only when
 * a condition's status changes; the list stays in the order Generated, Verified, ImpactAssessed, Applied, Ready.
 */
export function setConditions(
  previous: Condition[] | undefined,
  updates: ConditionUpdate[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  const byType = new Map<string, Condition>((previous ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const old = byType.get(u.type);
    byType.set(u.type, {
      type: u.type,
      status: u.status,
      reason: u.reason,
      message: clip(redactSecrets(u.message)),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime:
        old && old.status === u.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    });
  }
  return CONDITION_TYPES.flatMap((t) => byType.get(t) ?? []);
}

export function conditionOf(status: GPTPolicyStatus | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The figures a finished generation contributes to the status. */
export function resultSummary(
  result: GenerationResult,
): Pick<GPTPolicyStatus, 'rounds' | 'source' | 'cases' | 'findings' | 'tokens' | 'restatement' | 'judged'> {
  const withReport = [...result.rounds].reverse().find((r) => r.report);
  const report = withReport?.report;
  const suite = report?.suite;
  const passed = suite ? suite.total - suite.failed : 0;
  const failed = suite ? suite.failed : 0;
  const findings = report?.findings ?? [];
  return {
    rounds: result.rounds.length,
    source: result.source,
    cases: { passed, failed, summary: `${passed}/${passed + failed}` },
    findings: {
      blocking: findings.filter((f) => f.severity === 'blocking').length,
      advisory: findings.filter((f) => f.severity === 'advisory').length,
      rules: [...new Set(findings.map((f) => f.rule))].slice(0, 20),
    },
    tokens: {
      prompt: result.usage.promptTokens,
      completion: result.usage.completionTokens,
      total: result.usage.totalTokens,
      calls: result.usage.calls,
    },
    ...(result.restatement
      ? { restatement: clipRestatement(result.restatement.text), judged: result.restatement.judged }
      : {}),
  };
}

/** The restatement is several short lines; a status keeps the first MAX_RESTATEMENT characters of them. */
const MAX_RESTATEMENT = 2048;
function clipRestatement(text: string): string {
  return text.length > MAX_RESTATEMENT ? `${text.slice(0, MAX_RESTATEMENT - 1)}…` : text;
}

export interface StatusContext {
  generation?: number;
  specHash: string;
  now: Date;
}

/** A new spec was handed to the queue. */
export function queuedStatus(
  prev: GPTPolicyStatus | undefined,
  ctx: StatusContext,
  jobId: string,
  round: number,
): GPTPolicyStatus {
  const keepsPolicy = hasWorkingPolicy(prev);
  return {
    ...prev,
    phase: PHASES.Generating,
    observedGeneration: ctx.generation,
    specHash: ctx.specHash,
    jobId,
    lastError: undefined,
    conditions: setConditions(
      prev?.conditions,
      [
        {
          type: 'Generated',
          status: 'Unknown',
          reason: REASONS.Queued,
          message:
            round > 1
              ? `round ${round} queued as job ${jobId} with the API server's errors as feedback`
              : `queued as job ${jobId}`,
        },
        ...(keepsPolicy
          ? []
          : [
              {
                type: 'Ready' as const,
                status: 'False' as const,
                reason: REASONS.Generating,
                message: 'the policy is being generated',
              },
            ]),
      ],
      ctx.generation,
      ctx.now,
    ),
  };
}

/** Generation (or its verification) failed: the existing JsPolicy, if any, is left as it was. */
export function failedStatus(
  prev: GPTPolicyStatus | undefined,
  ctx: StatusContext,
  failure: { reason: string; message: string; result?: GenerationResult; stage: 'Generated' | 'Verified' },
): GPTPolicyStatus {
  const keepsPolicy = hasWorkingPolicy(prev);
  const summary = failure.result ? resultSummary(failure.result) : {};
  const message = clip(redactSecrets(failure.message));
  const updates: ConditionUpdate[] = [];
  if (failure.stage === 'Generated') {
    updates.push({ type: 'Generated', status: 'False', reason: failure.reason, message });
  } else {
    updates.push({
      type: 'Generated',
      status: 'True',
      reason: REASONS.Succeeded,
      message: 'a draft policy was generated',
    });
    updates.push({ type: 'Verified', status: 'False', reason: failure.reason, message });
  }
  updates.push(
    keepsPolicy
      ? {
          type: 'Ready',
          status: 'True',
          reason: REASONS.PreviousPolicyKept,
          message: `the latest spec failed (${failure.reason}); the JsPolicy from the previous spec stays in force, untouched`,
        }
      : { type: 'Ready', status: 'False', reason: failure.reason, message },
  );
  return failureOutcome(prev, ctx, { keepsPolicy, summary, message, updates });
}

/**
 * The status after any failure: Degraded while an earlier JsPolicy stays in force, Failed otherwise.
 * `message` (lastError) is already clipped and redacted; setConditions does the same for conditions.
 */
function failureOutcome(
  prev: GPTPolicyStatus | undefined,
  ctx: StatusContext,
  outcome: { keepsPolicy: boolean; summary: Partial<GPTPolicyStatus>; message: string; updates: ConditionUpdate[] },
): GPTPolicyStatus {
  return {
    ...prev,
    ...outcome.summary,
    phase: outcome.keepsPolicy ? PHASES.Degraded : PHASES.Failed,
    observedGeneration: ctx.generation,
    specHash: ctx.specHash,
    lastError: outcome.message,
    conditions: setConditions(prev?.conditions, outcome.updates, ctx.generation, ctx.now),
  };
}

/** Why the applied JsPolicy is not (yet) at the violationPolicy the mode asks for. */
export interface Hold {
  phase: typeof PHASES.AwaitingApproval | typeof PHASES.RollingOut;
  /** The Ready condition's reason and message. */
  reason: string;
  message: string;
  /** The Applied condition's reason and message suffix, when they differ from the plain ones. */
  appliedReason?: string;
  appliedMessage?: string;
}

export interface AppliedOutcome {
  result?: GenerationResult;
  policyName: string;
  violationPolicy: string;
  verb: 'created' | 'updated' | 'unchanged' | 'adopted';
  /** Undefined: in force as the mode asks (phase Ready). */
  hold?: Hold;
  /** Written with its ImpactAssessed condition when given. */
  impact?: GPTPolicyImpact;
  /** A staged rollout's state; null removes it (strategy Immediate). */
  rollout?: RolloutStatus | null;
}

/** The ImpactAssessed condition for status.impact. */
export function impactConditionUpdate(impact: GPTPolicyImpact): ConditionUpdate {
  if (impact.error !== undefined || impact.checked === undefined) {
    const message = `could not list and replay the existing objects: ${impact.error ?? 'no result'}`;
    return { type: 'ImpactAssessed', status: 'False', reason: REASONS.ImpactUnknown, message };
  }
  const c = impactCondition(impact as ImpactStatus);
  return { type: 'ImpactAssessed', status: c.status, reason: c.reason, message: c.message };
}

/** The JsPolicy was created or updated. */
export function appliedStatus(
  prev: GPTPolicyStatus | undefined,
  ctx: StatusContext,
  applied: AppliedOutcome,
): GPTPolicyStatus {
  const summary = applied.result ? resultSummary(applied.result) : {};
  const cases = summary.cases ?? prev?.cases;
  const updates: ConditionUpdate[] = [];
  if (applied.result) {
    updates.push({
      type: 'Generated',
      status: 'True',
      reason: REASONS.Succeeded,
      message: applied.result.reason || `generated in ${applied.result.rounds.length} round(s)`,
    });
    updates.push({
      type: 'Verified',
      status: 'True',
      reason: REASONS.CasesPassed,
      message: `${cases?.passed ?? 0} case(s) passed, ${cases?.failed ?? 0} failed; the API server accepted a dry-run`,
    });
  } else if (applied.verb === 'adopted') {
    updates.push({
      type: 'Generated',
      status: 'True',
      reason: REASONS.Migrated,
      message: 'adopted the JsPolicy the earlier operator applied for this description',
    });
    updates.push({
      type: 'Verified',
      status: 'Unknown',
      reason: REASONS.Migrated,
      message: 'adopted without re-verification; change the description to regenerate and verify',
    });
  }
  if (applied.impact) updates.push(impactConditionUpdate(applied.impact));
  const hold = applied.hold;
  const plain = `JsPolicy ${applied.policyName} ${applied.verb} with violationPolicy ${applied.violationPolicy}`;
  updates.push({
    type: 'Applied',
    status: 'True',
    reason: hold?.appliedReason ?? REASONS.Applied,
    message: hold?.appliedMessage ? `${plain} ${hold.appliedMessage}` : plain,
  });
  updates.push(
    hold
      ? { type: 'Ready', status: 'False', reason: hold.reason, message: hold.message }
      : { type: 'Ready', status: 'True', reason: REASONS.Ready, message: `JsPolicy ${applied.policyName} is in force` },
  );
  const phase: Phase = hold?.phase ?? PHASES.Ready;
  const next: GPTPolicyStatus = {
    ...prev,
    ...summary,
    phase,
    observedGeneration: ctx.generation,
    specHash: ctx.specHash,
    policyName: applied.policyName,
    lastError: undefined,
    conditions: setConditions(prev?.conditions, updates, ctx.generation, ctx.now),
  };
  if (applied.impact) next.impact = applied.impact;
  if (applied.rollout === null) delete next.rollout;
  else if (applied.rollout) next.rollout = applied.rollout;
  return next;
}

/** Applying failed for a reason retries will not fix (the name belongs to another object, or the API refuses it). */
export function applyFailedStatus(
  prev: GPTPolicyStatus | undefined,
  ctx: StatusContext,
  reason: string,
  message: string,
  result?: GenerationResult,
): GPTPolicyStatus {
  const keepsPolicy = hasWorkingPolicy(prev) && reason !== REASONS.NotOwned;
  return failureOutcome(prev, ctx, {
    keepsPolicy,
    summary: result ? resultSummary(result) : {},
    message: clip(redactSecrets(message)),
    updates: [
      // a result here was generated and passed the cases and the dry-run: only applying it failed
      ...(result
        ? [
            {
              type: 'Generated' as const,
              status: 'True' as const,
              reason: REASONS.Succeeded,
              message: result.reason || `generated in ${result.rounds.length} round(s)`,
            },
            {
              type: 'Verified' as const,
              status: 'True' as const,
              reason: REASONS.CasesPassed,
              message: 'the generated policy passed its cases',
            },
          ]
        : []),
      { type: 'Applied', status: 'False', reason, message },
      keepsPolicy
        ? {
            type: 'Ready',
            status: 'True',
            reason: REASONS.PreviousPolicyKept,
            message: 'the JsPolicy from the previous spec stays in force',
          }
        : { type: 'Ready', status: 'False', reason, message },
    ],
  });
}

/** A working JsPolicy of ours is in force (Applied True now), so a failure must not be reported as an outage. */
export function hasWorkingPolicy(status: GPTPolicyStatus | undefined): boolean {
  return conditionOf(status, 'Applied')?.status === 'True' && !!status?.policyName;
}

/** Status equality ignoring nothing but undefined fields: avoids writes (and watch events) that change nothing. */
export function sameStatus(a: GPTPolicyStatus | undefined, b: GPTPolicyStatus | undefined): boolean {
  return strip(a ?? {}) === strip(b ?? {});
}

function strip(v: unknown): string {
  return canonicalJson(JSON.parse(JSON.stringify(v ?? null)));
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
