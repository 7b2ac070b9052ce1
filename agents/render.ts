import { stringify } from 'yaml';
import type { Plan, Skill, TestCase } from '../common/index.js';

/** Compact text forms of plans, skills and cases for prompts. */

export function renderPlan(plan: Plan, maxChars = 8000): string {
  const sideEffects = plan.sideEffects?.length ? { sideEffects: plan.sideEffects } : {};
  return clip(
    stringify(
      { target: plan.target, ...sideEffects, steps: plan.steps, tests: plan.tests.map(caseForPrompt) },
      { lineWidth: 0 },
    ),
    maxChars,
  );
}

/** `name(params)` from a skill's declaration: how a skill is listed when its body is not shown. */
export function skillSignature(skill: Pick<Skill, 'name' | 'code'>): string {
  const params = new RegExp(`function\\s+${skill.name.replace(/\$/g, '\\$')}\\s*\\(([^)]*)\\)`).exec(skill.code)?.[1];
  return `${skill.name}(${params === undefined ? '…' : params.replace(/\s+/g, ' ').trim()})`;
}

/**
 * The coder's retrieved skills: the code of each skill it may call, except skills that another shown skill
 * already calls. Those are listed by signature and description: the caller's code shows how they are used,
 * our code inlines them, and repeating their bodies would only make every prompt longer as the library grows.
 * Skills that call each other in a cycle, with no caller outside it, are all shown.
 */
export function renderSkills(skills: readonly Skill[]): string {
  if (skills.length === 0) return '(none retrieved)';
  const names = new Set(skills.map((s) => s.name));
  const callees = (s: Skill): string[] => (s.dependsOn ?? []).filter((d) => d !== s.name && names.has(d));
  const called = new Set(skills.flatMap(callees));
  const shown = skills.filter((s) => !called.has(s.name));
  const listed = new Set<string>();
  const visit = (s: Skill): void => {
    for (const d of callees(s)) {
      if (listed.has(d)) continue;
      listed.add(d);
      const dep = skills.find((x) => x.name === d);
      if (dep) visit(dep);
    }
  };
  shown.forEach(visit);
  for (const s of skills) if (!shown.includes(s) && !listed.has(s.name)) shown.push(s); // a cycle nobody outside calls
  const full = skills.filter((s) => shown.includes(s)).map((s) => `// ${s.name}: ${s.description}\n${s.code.trim()}`);
  const byName = skills
    .filter((s) => listed.has(s.name) && !shown.includes(s))
    .map((s) => `// ${skillSignature(s)}: ${s.description}`);
  return [
    ...full,
    ...(byName.length
      ? [`// Called by the skills above (also callable; their code is added for you):\n${byName.join('\n')}`]
      : []),
  ].join('\n\n');
}

/**
 * The library skills a draft calls, for the critic: approved ones by signature, description and review
 * (people read them, they carry their own sandbox tests, and verify() ran the policy with them inlined), so
 * the critic reads the decision code and not the same reviewed helpers again; anything not yet approved
 * is shown with its code, since nobody has vouched for it.
 */
export function renderSkillsForReview(skills: readonly Skill[]): string {
  if (skills.length === 0) return '(none: the code above is the whole policy)';
  return skills
    .map((s) => {
      const head = `- ${skillSignature(s)}: ${s.description}`;
      if (s.state === 'approved') {
        const last = s.reviews.at(-1);
        return `${head} (approved${last?.reviewer ? ` by ${last.reviewer}` : ''}; ${s.tests.length} sandbox test(s))`;
      }
      return `${head} (${s.state}, NOT reviewed: read its code)\n\`\`\`js\n${s.code.trim()}\n\`\`\``;
    })
    .join('\n');
}

export function renderCases(cases: readonly TestCase[], maxChars = 6000): string {
  if (cases.length === 0) return '(none)';
  return clip(stringify(cases.map(caseForPrompt), { lineWidth: 0 }), maxChars);
}

function caseForPrompt(c: TestCase): Record<string, unknown> {
  const { fixtures: _fixtures, ...rest } = c;
  return rest;
}

export function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`;
}
