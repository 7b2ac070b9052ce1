import type { Skill } from '../common/index.js';
import { referencedIdentifiers, topLevelDeclarations } from './analyse.js';

/** The first line of the block inlineSkills prepends; it names the skill versions for reviewers. */
export const INLINED_MARKER = '// policyforge skills:';

/**
 * Makes a policy self-contained: prepends the declarations of the skills its code references, directly or
 * through other skills (dependsOn and identifiers in their code), each once, and none the code already
 * declares. Running it again on its own output changes nothing. When several versions of a name are
 * given, the highest is used.
 */
export function inlineSkills(javascript: string, skills: readonly Skill[]): string {
  return prependSkills(javascript, skillsToInline(javascript, skills));
}

/** The code with the declarations of `needed` (skillsToInline's answer for it) prepended under the marker. */
export function prependSkills(javascript: string, needed: readonly Skill[]): string {
  if (needed.length === 0) return javascript;
  const header = `${INLINED_MARKER} ${needed.map((s) => s.id).join(', ')}`;
  return `${header}\n${needed.map((s) => s.code.trim()).join('\n\n')}\n\n${javascript}`;
}

/** The skills inlineSkills would prepend to this code, dependencies before their callers. */
export function skillsToInline(javascript: string, skills: readonly Skill[]): Skill[] {
  const byName = new Map<string, Skill>();
  for (const s of skills) if ((byName.get(s.name)?.version ?? 0) < s.version) byName.set(s.name, s);
  if (byName.size === 0) return [];

  const declared = topLevelDeclarations(javascript);
  const needed: Skill[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || declared.has(name)) return;
    const skill = byName.get(name);
    if (!skill) return;
    seen.add(name);
    for (const dep of dependenciesOf(skill, byName)) visit(dep);
    needed.push(skill); // after its dependencies: reads top-down
  };
  const refs = [...referencedIdentifiers(javascript)].filter((n) => byName.has(n)).sort();
  for (const name of refs) visit(name);
  return needed;
}

/** Names of the given skills that this skill calls. */
export function dependenciesOf(skill: Skill, byName: ReadonlyMap<string, Skill>): string[] {
  const names = new Set(skill.dependsOn ?? []);
  for (const id of referencedIdentifiers(skill.code)) if (byName.has(id) && id !== skill.name) names.add(id);
  return [...names].sort();
}

/** The skills (by name) whose declarations a script uses, as inlineSkills would pick them. */
export function skillsReferenced(javascript: string, skills: readonly Skill[]): string[] {
  const names = new Set(skills.map((s) => s.name));
  return [...referencedIdentifiers(javascript)].filter((n) => names.has(n)).sort();
}
