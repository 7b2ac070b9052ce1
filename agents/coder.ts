import {
  isPolicyforgeError,
  type Intent,
  type JsPolicySpec,
  type Plan,
  type Skill,
  type TokenUsage,
} from '../common/index.js';
import type { ModelClient } from './chat-model.js';
import { renderPrompt } from './prompts.js';
import { clip, renderPlan, renderSkills } from './render.js';
import { DraftSchema } from './schemas.js';

/**
 * The coder: Voyager's two-message round. The system message carries the jsPolicy reference, the rules and
 * the retrieved skills' code; the human message carries the intent, the plan, the last round's code, the
 * rendered verify() report and the critique. Unusable output is returned as an error for the next round.
 */

export interface CoderFeedback {
  /** The javascript of the last round's draft. */
  code?: string;
  /** renderReport(verify(...)) of the last draft. */
  report?: string;
  /** The critic's critique, when verify passed but the critic did not. */
  critique?: string;
  /** Why the last answer could not be used (malformed JSON, schema violation). */
  error?: string;
}

export interface CoderInput {
  intent: Intent;
  plan: Plan;
  skills: readonly Skill[];
  feedback: CoderFeedback;
}

export interface CoderOutput {
  spec?: JsPolicySpec;
  explanation?: string;
  /** Set when the answer could not be used. */
  error?: string;
  usage: TokenUsage;
  promptChars: { system: number; human: number };
}

export function coderMessages(input: CoderInput): { system: string; human: string } {
  const system = renderPrompt('coder', {
    reference: renderPrompt('reference', {}),
    skills: renderSkills(input.skills),
  });
  const f = input.feedback;
  const report = [f.error ? `Your last answer could not be used: ${f.error}` : '', f.report ?? '']
    .filter(Boolean)
    .join('\n\n');
  const human = renderPrompt('coderHuman', {
    intent: input.intent.text,
    plan: renderPlan(input.plan),
    lastCode: f.code ? clip(f.code, 6000) : '(first round)',
    report: report || '(first round)',
    critique: f.critique || '(none)',
  });
  return { system, human };
}

export async function writePolicy(client: ModelClient, input: CoderInput): Promise<CoderOutput> {
  try {
    return await writePolicyOnce(client, input);
  } catch (err) {
    // A prompt longer than the model's context: send less once (half the skills, shorter feedback), then give up.
    if (!isPolicyforgeError(err, 'PF_ERR_MODEL_CONTEXT_TOO_LONG')) throw err;
    return writePolicyOnce(client, shrink(input));
  }
}

/** The same ask, smaller: the better-ranked half of the skills and the feedback cut to its start. */
export function shrink(input: CoderInput): CoderInput {
  const f = input.feedback;
  return {
    ...input,
    skills: input.skills.slice(0, Math.floor(input.skills.length / 2)),
    feedback: {
      ...(f.code ? { code: clip(f.code, 2000) } : {}),
      ...(f.report ? { report: clip(f.report, 1500) } : {}),
      ...(f.critique ? { critique: clip(f.critique, 800) } : {}),
      ...(f.error ? { error: clip(f.error, 400) } : {}),
    },
  };
}

async function writePolicyOnce(client: ModelClient, input: CoderInput): Promise<CoderOutput> {
  const { system, human } = coderMessages(input);
  const promptChars = { system: system.length, human: human.length };
  const answer = await client.structured({
    tool: 'submit_policy',
    description: 'Submit the JsPolicy spec',
    schema: DraftSchema,
    system,
    human,
  });
  if (!answer.ok) return { error: answer.error, usage: answer.usage, promptChars };
  return {
    spec: answer.value.spec as JsPolicySpec,
    explanation: answer.value.explanation,
    usage: answer.usage,
    promptChars,
  };
}
