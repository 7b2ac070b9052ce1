import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../sandbox/index.js';
import { builtinSkills, INLINED_MARKER, inlineSkills, skillsReferenced, type SkillDraft } from '../../skills/index.js';
import type { Skill } from '../../common/index.js';
import { aSkill } from '../support/skill-fixture.js';

/** V8's compile verdict, from an engine of this test's own (the sandbox keeps no module-global engine). */
const checkEngine = new PolicyEngine({ memoryLimitMb: 16, maxContexts: 1 });
const checkCompiles = (javascript: string) => checkEngine.checkCompiles(javascript);

function declarationsIn(code: string): string[] {
  return [...code.matchAll(/^function ([A-Za-z_$][\w$]*)\(/gm)].map((m) => m[1]);
}

function skill(name: string, code: string, version = 1, extra: Partial<SkillDraft> = {}): Skill {
  return aSkill(name, { code, version, ...(extra as Partial<Skill>) });
}

describe('inlineSkills', () => {
  const policy = `const c = workloadContainers(request.object);\nif (c.some(isPrivileged)) deny('privileged containers are not allowed');\n`;

  it('prepends the skills the code calls and what they call, dependencies first, then the code unchanged', () => {
    const out = inlineSkills(policy, builtinSkills);
    expect(declarationsIn(out)).toEqual(['isPrivileged', 'allContainers', 'podSpecOf', 'workloadContainers']);
    expect(out.endsWith(policy)).toBe(true);
    expect(out.split('\n')[0]).toBe(
      `${INLINED_MARKER} isPrivileged@1, allContainers@1, podSpecOf@1, workloadContainers@1`,
    );
    expect(checkCompiles(out)).toEqual({ ok: true });
  });

  it('is idempotent: inlining its own output changes nothing', () => {
    const once = inlineSkills(policy, builtinSkills);
    expect(inlineSkills(once, builtinSkills)).toBe(once);
  });

  it('never adds a function the code declares itself', () => {
    const own = `function isPrivileged(c) { return false; }\n${policy}`;
    const out = inlineSkills(own, builtinSkills);
    expect(declarationsIn(out).filter((n) => n === 'isPrivileged')).toHaveLength(1);
    expect(out).toContain('return false;');
  });

  it('returns code that calls no skill untouched', () => {
    const plain = `if (request.object.spec?.type === 'NodePort') deny('no NodePort');`;
    expect(inlineSkills(plain, builtinSkills)).toBe(plain);
  });

  it('uses the highest version given, and follows dependsOn as well as calls', () => {
    const skills = [
      skill('helper', 'function helper() { return 1; }'),
      skill('helper', 'function helper() { return 2; }', 2),
      skill('outer', 'function outer() { return 0; }', 1, { dependsOn: ['helper'] }),
    ];
    const out = inlineSkills('outer();', skills);
    expect(out).toContain('return 2;');
    expect(out).not.toContain('return 1;');
    expect(declarationsIn(out)).toEqual(['helper', 'outer']);
  });

  it('does not loop on skills that call each other', () => {
    const skills = [
      skill('ping', 'function ping(n) { return n > 0 ? pong(n - 1) : 0; }'),
      skill('pong', 'function pong(n) { return ping(n); }'),
    ];
    expect(declarationsIn(inlineSkills('ping(3);', skills))).toEqual(['pong', 'ping']);
  });

  it('still finds the skills of code that does not parse (the sandbox will report the syntax error)', () => {
    expect(declarationsIn(inlineSkills('if (isPrivileged(c) { deny()', builtinSkills))).toEqual(['isPrivileged']);
  });

  it('lists the skills a script references', () => {
    expect(skillsReferenced(policy, builtinSkills)).toEqual(['isPrivileged', 'workloadContainers']);
  });
});
