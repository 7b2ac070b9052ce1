import { createHash } from 'node:crypto';
import type { CoderFeedback } from '../../agents/index.js';
import {
  canonicalJson,
  type Intent,
  type Judgement,
  type Logger,
  type Plan,
  type RoundRecord,
  type Skill,
  type TestCase,
  type TokenUsage,
} from '../../common/index.js';

/**
 * What a run has paid for between two rounds: the skills it retrieved, the checked plan and its judgement,
 * the critic's added cases, every round (drafts, reports, critiques), the best round, the next round's
 * feedback and the tokens spent. It is the loop's whole state between rounds, so a run given it back
 * (`GenerateDeps.resume`) goes on with the next round and asks the model nothing it already answered.
 * Plain JSON: it holds no intent (only its key), no client and no secret the loop knows of.
 */
export interface RunState {
  /** Retrieved for the planner (shown to the critic's skills list through the callable set). */
  skills: Skill[];
  /** Retrieved again with the plan's steps: the coder's. */
  coderSkills: Skill[];
  /** The plan as planned and checked; never changed after it was emitted. */
  plan: Plan;
  judgement: Judgement;
  /** Cases the critic added and the judge did not reject: run in every round after the plan's own. */
  added: TestCase[];
  rounds: RoundRecord[];
  /** The round with the best report so far and the skills its draft called. */
  best?: { round: number; skillsUsed: string[] };
  /** What the next round's coder is told (Voyager's errors). */
  feedback: CoderFeedback;
  usage: TokenUsage;
}

export const CHECKPOINT_VERSION = 1;

export interface LoopCheckpoint extends RunState {
  v: typeof CHECKPOINT_VERSION;
  /** Of the intent the run was for: a checkpoint is only resumed by a run of the same intent. */
  intentKey: string;
}

/** SHA-256 of the intent's canonical JSON: any change to text, examples, options or owner changes it. */
export function checkpointKeyOf(intent: Intent): string {
  return createHash('sha256').update(canonicalJson(intent)).digest('hex');
}

export function checkpointOf(intent: Intent, state: RunState): LoopCheckpoint {
  // A copy: the run goes on mutating its state while the caller may still be writing this one.
  return structuredClone({ v: CHECKPOINT_VERSION, intentKey: checkpointKeyOf(intent), ...state });
}

/**
 * `value` as a checkpoint of this intent, or undefined (logged) when it is none: another version, another
 * intent, or not the shape this version writes. A checkpoint is only an optimisation, so a doubtful one
 * is dropped and the run starts from its first step.
 */
export function resumableCheckpoint(value: unknown, intent: Intent, log: Logger): LoopCheckpoint | undefined {
  if (value === undefined || value === null) return undefined;
  const c = value as Partial<LoopCheckpoint>;
  const why =
    c.v !== CHECKPOINT_VERSION
      ? `version ${String(c.v)} is not ${CHECKPOINT_VERSION}`
      : c.intentKey !== checkpointKeyOf(intent)
        ? 'it is for another intent'
        : !isShaped(c)
          ? 'it is not shaped as this version writes it'
          : undefined;
  if (why) {
    log.warn({ why }, 'checkpoint ignored: the run starts from its first step');
    return undefined;
  }
  return c as LoopCheckpoint;
}

function isShaped(c: Partial<LoopCheckpoint>): boolean {
  const plan = c.plan as Partial<Plan> | undefined;
  return (
    Array.isArray(c.skills) &&
    Array.isArray(c.coderSkills) &&
    Array.isArray(c.added) &&
    Array.isArray(c.rounds) &&
    c.rounds.every((r, i) => r?.round === i + 1) &&
    typeof plan === 'object' &&
    Array.isArray(plan?.tests) &&
    Array.isArray(plan?.steps) &&
    typeof plan?.target === 'object' &&
    typeof c.judgement?.judged === 'boolean' &&
    typeof c.feedback === 'object' &&
    c.feedback !== null &&
    typeof c.usage?.calls === 'number' &&
    (c.best === undefined || c.rounds.some((r) => r.round === c.best?.round && r.draft && r.report))
  );
}
