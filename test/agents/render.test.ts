import { describe, expect, it } from 'vitest';
import type { Skill } from '../../common/index.js';
import { renderSkills, renderSkillsForReview, skillSignature } from '../../agents/render.js';
import { aSkill } from '../support/skill-fixture.js';

function skill(name: string, code: string, extra: Partial<Skill> = {}): Skill {
  return aSkill(name, {
    description: `what ${name} does`,
    code,
    tests: [{ name: 't', args: [], expected: null }],
    reviews: [{ state: 'approved', reviewer: 'alice', at: '2026-11-25T00:00:00Z' }],
    ...extra,
  });
}

const all = skill('allContainers', 'function allContainers(podSpec) {\n  return podSpec.containers || [];\n}');
const priv = skill('isPrivileged', 'function isPrivileged(container) { return container.privileged === true; }');
const names = skill(
  'privilegedContainers',
  'function privilegedContainers(podSpec) {\n  return allContainers(podSpec).filter(isPrivileged);\n}',
  { dependsOn: ['allContainers', 'isPrivileged'] },
);
const ns = skill('inNamespaces', 'function inNamespaces(request, names) { return names.includes(request.namespace); }');

describe('skillSignature', () => {
  it('is the name and the declared parameters', () => {
    expect(skillSignature(ns)).toBe('inNamespaces(request, names)');
    expect(skillSignature(skill('multi', 'function multi(\n  a,\n  b = 1\n) {}'))).toBe('multi(a, b = 1)');
  });
  it('marks parameters it cannot read instead of inventing them', () => {
    expect(skillSignature(skill('arrow', 'const arrow = (x) => x;'))).toBe('arrow(…)');
  });
});

describe("renderSkills (the coder's retrieved skills)", () => {
  it('shows the code of every skill when none calls another', () => {
    const text = renderSkills([all, priv, ns]);
    for (const s of [all, priv, ns]) expect(text).toContain(s.code);
  });

  it('lists a skill another shown skill calls by signature and description, without repeating its code', () => {
    const text = renderSkills([names, ns, priv, all]);
    expect(text).toContain(names.code);
    expect(text).toContain(ns.code);
    expect(text).not.toContain('function allContainers(');
    expect(text).not.toContain('function isPrivileged(');
    expect(text).toContain('// allContainers(podSpec): what allContainers does');
    expect(text).toContain('// isPrivileged(container): what isPrivileged does');
  });

  it('shows skills that only call each other in full, so nothing is left without code', () => {
    const a = skill('pingA', 'function pingA(x) { return x ? pingB(x - 1) : 0; }', { dependsOn: ['pingB'] });
    const b = skill('pingB', 'function pingB(x) { return x ? pingA(x - 1) : 1; }', { dependsOn: ['pingA'] });
    const text = renderSkills([a, b]);
    expect(text).toContain(a.code);
    expect(text).toContain(b.code);
  });

  it('says so when nothing was retrieved', () => {
    expect(renderSkills([])).toBe('(none retrieved)');
  });
});

describe("renderSkillsForReview (the critic's list of skills the code calls)", () => {
  it('lists approved skills by signature, description and reviewer, without their code', () => {
    const text = renderSkillsForReview([all, names]);
    expect(text).toContain(
      '- privilegedContainers(podSpec): what privilegedContainers does (approved by alice; 1 sandbox test(s))',
    );
    expect(text).not.toContain('function privilegedContainers(');
  });

  it('shows the code of a skill nobody has approved yet', () => {
    const candidate = skill('imageTag', 'function imageTag(image) { return image.split(":")[1]; }', {
      state: 'candidate',
      reviews: [],
    });
    const text = renderSkillsForReview([candidate]);
    expect(text).toContain('(candidate, NOT reviewed: read its code)');
    expect(text).toContain(candidate.code);
  });
});
