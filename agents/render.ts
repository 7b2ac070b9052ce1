import { stringify } from 'yaml';
import type { Plan, Skill, TestCase } from '../common/index.js';

/** Compact text forms of plans, skills and cases for prompts. */

export function renderPlan(plan: Plan, maxChars = 8000): string {
  return clip(stringify({ target: plan.target, steps: plan.steps, tests: plan.tests.map(caseForPrompt) }, { lineWidth: 0 }), maxChars);
}

export function renderSkills(skills: readonly Skill[]): string {
  if (skills.length === 0) return '(none retrieved)';
  return skills.map((s) => `// ${s.name}: ${s.description}\n${s.code.trim()}`).join('\n\n');
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
