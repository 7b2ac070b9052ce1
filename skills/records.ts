import { pfError, type Skill } from '../common/index.js';
import type { SkillDraft, SkillFilter } from './types.js';

/* Record helpers shared by the store implementations. */

/** A full Skill from a draft and the version the store assigned. */
export function materialise(draft: SkillDraft, version: number): Skill {
  return {
    id: `${draft.name}@${version}`,
    name: draft.name,
    version,
    description: draft.description,
    code: draft.code,
    tests: draft.tests ?? [],
    provenance: draft.provenance,
    state: draft.state ?? 'candidate',
    reviews: draft.reviews ?? [],
    usage: draft.usage ?? { retrieved: 0, used: 0 },
    ...(draft.dependsOn?.length ? { dependsOn: draft.dependsOn } : {}),
  };
}

/** The parts of a skill kept as JSON (id, name, version, state and usage have their own columns/fields). */
export function dataOf(skill: Skill): Omit<Skill, 'id' | 'name' | 'version' | 'state' | 'usage'> {
  const { id: _id, name: _name, version: _version, state: _state, usage: _usage, ...data } = skill;
  return data;
}

export function applyFilter(skills: Skill[], filter: SkillFilter): Skill[] {
  let out = skills;
  if (filter.state) {
    const states: readonly string[] = typeof filter.state === 'string' ? [filter.state] : filter.state;
    out = out.filter((s) => states.includes(s.state));
  }
  if (filter.query) {
    const q = filter.query.toLowerCase();
    out = out.filter((s) => s.name.toLowerCase().includes(q) || s.description.toLowerCase().includes(q));
  }
  if (filter.latestOnly) {
    const latest = new Map<string, Skill>();
    for (const s of out) if ((latest.get(s.name)?.version ?? 0) < s.version) latest.set(s.name, s);
    out = out.filter((s) => latest.get(s.name) === s);
  }
  return out;
}

export function parseJson<T>(text: string, where: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw pfError('PF_ERR_STORE_CORRUPT', where, `${what} is not valid JSON: ${(err as Error).message}`);
  }
}
