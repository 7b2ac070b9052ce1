import type { ApiCatalog } from '../catalog/index.js';
import { pfError, type Intent, type Plan, type Skill, type TestCase, type TokenUsage } from '../common/index.js';
import { parseCase } from '../sandbox/index.js';
import { addUsage, emptyUsage, type ModelClient } from './chat-model.js';
import { renderPrompt } from './prompts.js';
import { renderCases } from './render.js';
import { PlanSchema } from './schemas.js';

/**
 * The planner: from the intent, the user's examples, the retrieved skills and the API catalog, a structured
 * plan with test cases. The user's examples are ground truth: they come first, unchanged.
 */

export interface PlanInput {
  intent: Intent;
  skills: readonly Skill[];
  catalog?: ApiCatalog;
  /** A re-plan: the plan sent back and the objections to it (the judge's, the catalog check's). */
  replan?: PlanObjections;
}

/** Why a plan was sent back to the planner: it answers with a new plan that meets every objection. */
export interface PlanObjections {
  previous: Plan;
  objections: string[];
}

export interface PlanOutput {
  plan: Plan;
  usage: TokenUsage;
  promptChars: { system: number; human: number };
}

/** Attempts at a usable plan before giving up; each retry carries the previous answer's error. @defaultValue 3 */
export const PLAN_ATTEMPTS = 3;

export async function planIntent(client: ModelClient, input: PlanInput): Promise<PlanOutput> {
  const system = renderPrompt('planner', { reference: renderPrompt('reference', {}) });
  let baseHuman = renderPrompt('plannerHuman', {
    intent: input.intent.text,
    namespaces: input.intent.options?.namespaces?.join(', ') || '(none)',
    examples: renderCases(input.intent.examples ?? []),
    skills: input.skills.length ? input.skills.map((s) => `- ${s.name}: ${s.description}`).join('\n') : '(none)',
    catalog: catalogHint(input.intent.text, input.catalog),
  });
  const usage = emptyUsage();
  if (input.replan) baseHuman += replanSection(input.replan);
  let human = baseHuman;
  let lastError = '';
  for (let attempt = 1; attempt <= PLAN_ATTEMPTS; attempt++) {
    const answer = await client.structured({
      tool: 'submit_plan',
      description: 'Submit the admission policy plan',
      schema: PlanSchema,
      system,
      human,
    });
    addUsage(usage, answer.usage);
    const caseErrors = answer.ok ? suiteFormatErrors(answer.value.tests as TestCase[]) : [];
    if (answer.ok && caseErrors.length === 0) {
      const plan: Plan = {
        target: {
          ...answer.value.target,
          namespaces: mergeNamespaces(answer.value.target.namespaces, input.intent.options?.namespaces),
        },
        steps: answer.value.steps,
        tests: withExamples(input.intent.examples ?? [], answer.value.tests as TestCase[]),
        // Kept as declared, even when not allowed: verify() judges the declarations and the code against them.
        sideEffects: answer.value.sideEffects ?? [],
        rationale: answer.value.rationale,
      };
      return { plan, usage, promptChars: { system: system.length, human: human.length } };
    }
    lastError = answer.ok ? `test cases not in the suite format: ${caseErrors.join('; ')}` : answer.error;
    human = `${baseHuman}\n\n## Your previous answer could not be used\n${lastError}\nAnswer again by calling submit_plan.`;
  }
  throw pfError('PF_ERR_MODEL_OUTPUT', `no usable plan after ${PLAN_ATTEMPTS} attempts: ${lastError}`);
}

/** The user's examples first and verbatim; generated cases after them, renamed when a name collides. */
export function withExamples(examples: readonly TestCase[], generated: readonly TestCase[]): TestCase[] {
  const names = new Set(examples.map((e) => e.name));
  const out: TestCase[] = [...examples];
  for (const c of generated) {
    let name = c.name;
    for (let i = 2; names.has(name); i++) name = `${c.name} (${i})`;
    names.add(name);
    out.push(name === c.name ? c : { ...c, name });
  }
  return out;
}

export function mergeNamespaces(fromPlan: readonly string[], hinted: readonly string[] = []): string[] {
  return [...new Set([...fromPlan, ...hinted])];
}

/** The catalog rows whose kind or plural the intent mentions, so the model sees the real group and plural. */
export function catalogHint(text: string, catalog?: ApiCatalog): string {
  if (!catalog) return '(no catalog)';
  const words = new Set((text.toLowerCase().match(/[a-z0-9]+/g) ?? []).flatMap((w) => [w, w.replace(/e?s$/, '')]));
  const rows = catalog
    .all()
    .filter((r) => words.has(r.kind.toLowerCase()) || words.has(r.plural) || words.has(r.singular ?? ''))
    .slice(0, 12)
    .map(
      (r) =>
        `- ${r.kind}: group "${r.group}", plural ${r.plural}, versions ${r.versions.join(',')}, ${r.namespaced ? 'Namespaced' : 'Cluster'}`,
    );
  return rows.length ? rows.join('\n') : '(no resource named in the intent matched the catalog)';
}

/** The suite-format checks `policyforge test` applies, one message per bad case (its name and field). */
function suiteFormatErrors(tests: readonly TestCase[]): string[] {
  const errors: string[] = [];
  tests.forEach((t, i) => {
    try {
      parseCase(t, `tests[${i}] "${t.name}"`);
    } catch (err) {
      errors.push((err as Error).message);
    }
  });
  return errors.slice(0, 6);
}

/** The re-plan section of the planner's message: the objections first, then the cases they are about. */
function replanSection(replan: PlanObjections): string {
  const cases = replan.previous.tests.map((t) => `- ${t.name}: ${t.operation ?? 'CREATE'} → ${t.expect}`).join('\n');
  return [
    '',
    '',
    '## Your previous plan was sent back',
    'An independent reading of the intent objected to it. Read the intent again and plan anew: fix the target and',
    'every case the objections name (a verdict the intent does not demand is a misreading of the intent, not a',
    'detail of the code). Keep what was right.',
    '',
    '### Objections',
    ...replan.objections.map((o) => `- ${o}`),
    '',
    '### The previous cases',
    cases || '(none)',
  ].join('\n');
}
