import type { ApiCatalog } from '../catalog/index.js';
import type { Intent, JsPolicySpec, Plan, Skill, TokenUsage } from '../common/index.js';
import { emptyUsage, type ModelClient } from './chat-model.js';
import { writePolicy, type CoderFeedback } from './coder.js';
import { reviewPolicy, type ReviewInput, type ReviewOutput } from './critic-agent.js';
import { understandOffline } from './offline/index.js';
import { judgeCases, type JudgeInput, type JudgeOutput } from './judge.js';
import { planIntent, type PlanObjections } from './planner.js';

/**
 * The three agents behind one interface, so the loop reads the same with a model and without one.
 * Offline: the planner matches a family, the coder writes that family's code, and there is no critic
 * agent (the family's own cases are its self-verification).
 */
export interface Agents {
  source: 'model' | 'offline';
  /** A label safe to log and record, e.g. `openai:gpt-4o` or `offline`. */
  label: string;
  /** The coder answers the same for the same input: a failed round cannot be improved by asking again. */
  deterministic: boolean;
  /** `replan`: the plan sent back and the objections to it (model mode; offline plans are not re-asked). */
  plan(
    intent: Intent,
    skills: readonly Skill[],
    catalog?: ApiCatalog,
    replan?: PlanObjections,
  ): Promise<{ plan: Plan; usage: TokenUsage; promptChars: { system: number; human: number } }>;
  write(input: { intent: Intent; plan: Plan; skills: readonly Skill[]; feedback: CoderFeedback }): Promise<{
    spec?: JsPolicySpec;
    explanation?: string;
    error?: string;
    usage: TokenUsage;
    promptChars: { system: number; human: number };
  }>;
  /** Self-verification after verify() passed; absent offline. */
  review?(input: ReviewInput): Promise<ReviewOutput>;
  /** The independent judge of the reading (a fresh context); absent offline, where nothing checks the reading. */
  judge?(input: JudgeInput): Promise<JudgeOutput>;
}

export function createAgents(options: { client?: ModelClient; catalog?: ApiCatalog }): Agents {
  const { client } = options;
  if (client) {
    return {
      source: 'model',
      label: client.label,
      deterministic: false,
      plan: (intent, skills, catalog, replan) =>
        planIntent(client, { intent, skills, catalog: catalog ?? options.catalog, replan }),
      write: (input) => writePolicy(client, input),
      review: (input) => reviewPolicy(client, input),
      judge: (input) => judgeCases(client, input),
    };
  }
  let understood: ReturnType<typeof understandOffline> | undefined;
  return {
    source: 'offline',
    label: 'offline',
    deterministic: true,
    plan: async (intent, _skills, catalog) => {
      understood = understandOffline(intent, catalog ?? options.catalog);
      return { plan: understood.plan, usage: emptyUsage(), promptChars: { system: 0, human: 0 } };
    },
    write: async ({ intent, plan }) => {
      understood ??= understandOffline(intent, options.catalog);
      return {
        spec: structuredClone(understood.spec),
        explanation: plan.rationale ?? `offline family ${understood.family}`,
        usage: emptyUsage(),
        promptChars: { system: 0, human: 0 },
      };
    },
  };
}
