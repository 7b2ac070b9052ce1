import type { Skill } from '../../common/index.js';

/**
 * A stored skill for tests: `name@version`, approved, with a trivial pure function and no tests unless
 * overridden. Tests name only what their behaviour depends on.
 */
export function aSkill(name: string, overrides: Partial<Skill> = {}): Skill {
  const version = overrides.version ?? 1;
  return {
    id: `${name}@${version}`,
    name,
    version,
    description: name,
    code: `function ${name}(obj) { return obj; }`,
    tests: [],
    provenance: { date: '2026-11-25T00:00:00.000Z', source: 'generated' },
    state: 'approved',
    reviews: [],
    usage: { retrieved: 0, used: 0 },
    ...overrides,
  };
}
