import { stringify } from 'yaml';
import type { Intent, JsPolicy, Plan, Skill, SuiteResult, TestCase, TokenUsage } from '../common/index.js';
import type { ModelClient } from './chat-model.js';
import { renderPrompt } from './prompts.js';
import { clip, renderPlan, renderSkillsForReview } from './render.js';
import { CritiqueSchema } from './schemas.js';

/**
 * The critic agent: Voyager's self-verification, asked only after verify() passed. It judges whether the
 * policy does what the intent asks and whether the cases cover the intent, and may add missing cases.
 */

export interface ReviewInput {
  intent: Intent;
  plan: Plan;
  /** The verified policy with the code as the coder wrote it: library skills it calls are not inlined here. */
  policy: JsPolicy;
  /** The library skills the policy calls (directly or through each other), inlined when it is applied. */
  skills?: readonly Skill[];
  suite?: SuiteResult;
}

export interface ReviewOutput {
  /** The critic's own verdict. Cases it adds are the loop's to judge and run before a success counts. */
  success: boolean;
  reasoning: string;
  critique: string;
  missingCases: TestCase[];
  usage: TokenUsage;
  promptChars: { system: number; human: number };
}

export async function reviewPolicy(client: ModelClient, input: ReviewInput): Promise<ReviewOutput> {
  const system = renderPrompt('critic', {});
  const cases = (input.suite?.cases ?? []).map(
    (c) =>
      `- ${c.passed ? 'PASS' : 'FAIL'} ${c.name}: expected ${c.expected}, got ${c.outcome.actual}${c.outcome.message ? ` (${c.outcome.message})` : ''}`,
  );
  const human = renderPrompt('criticHuman', {
    intent: input.intent.text,
    plan: renderPlan(input.plan, 4000),
    policy: clip(stringify(input.policy, { lineWidth: 0 }), 8000),
    skills: renderSkillsForReview(input.skills ?? []),
    cases: cases.join('\n') || '(none)',
  });
  const promptChars = { system: system.length, human: human.length };
  const answer = await client.structured({
    tool: 'submit_review',
    description: 'Submit the review of the policy',
    schema: CritiqueSchema,
    system,
    human,
  });
  if (!answer.ok) {
    // An unusable review never approves a policy: the round counts as not yet successful.
    return {
      success: false,
      reasoning: 'the critic answer could not be used',
      critique: `critic output unusable: ${answer.error}`,
      missingCases: [],
      usage: answer.usage,
      promptChars,
    };
  }
  const v = answer.value;
  const missingCases = (v.missingCases ?? []) as TestCase[];
  return {
    success: v.success,
    reasoning: v.reasoning,
    critique: v.critique,
    missingCases,
    usage: answer.usage,
    promptChars,
  };
}
