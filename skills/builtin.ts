import type { Skill } from '../common/index.js';
import { assetPath } from '../common/index.js';
import { referencedIdentifiers } from './analyse.js';
import { readSkillDirSync } from './skill-files.js';

/** Where the built-in skills' sources live: one `<name>.js` + `<name>.yaml` pair each, reviewed like any code. */
export const BUILTIN_DIR = assetPath('skills', 'builtin');

/** The date the built-in library's first version was reviewed; fixed so seeding is reproducible. */
const BUILTIN_DATE = '2026-11-25T00:00:00.000Z';

function loadBuiltins(): Skill[] {
  const pairs = readSkillDirSync(BUILTIN_DIR);
  const names = new Set(pairs.map((p) => p.meta.name));
  return pairs.map(({ meta, code }) => {
    const deps = [...referencedIdentifiers(code)].filter((n) => names.has(n) && n !== meta.name).sort();
    return {
      id: `${meta.name}@1`,
      name: meta.name,
      version: 1,
      description: meta.description,
      code,
      tests: meta.tests,
      provenance: { date: BUILTIN_DATE, source: 'builtin' },
      state: 'approved',
      reviews: [
        { state: 'approved', reviewer: 'policyforge', comment: 'built-in skill; tests run in CI', at: BUILTIN_DATE },
      ],
      usage: { retrieved: 0, used: 0 },
      ...(deps.length ? { dependsOn: deps } : {}),
    } satisfies Skill;
  });
}

/**
 * The built-in library: pure ES2020 helpers for the common policy families (containers of pods and
 * workload templates, image references, labels, namespaces, quantities, RBAC, selectors, owners, UPDATE
 * diffs), approved, each with tests. The offline planner and coder compose these by name.
 */
export const builtinSkills: Skill[] = loadBuiltins();
