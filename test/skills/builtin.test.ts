import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { BUILTIN_DIR, builtinSkills, inlineSkills } from '../../skills/index.js';

/** The names and arities the offline planner and coder compose (the brief's list): renaming one breaks them. */
const CONTRACT: Record<string, number> = {
  getPath: 2,
  podSpecOf: 1,
  allContainers: 1,
  workloadContainers: 1,
  parseImage: 1,
  imageTag: 1,
  imageRegistry: 1,
  getLabel: 2,
  hasLabel: 3,
  getAnnotation: 2,
  inNamespaces: 2,
  parseQuantity: 1,
  hasResourceField: 3,
  isPrivileged: 1,
  usesHostNamespaces: 1,
  hostPathVolumes: 1,
  addedCapabilities: 1,
  runsAsNonRoot: 2,
  hasProbe: 2,
  userInGroups: 2,
  rbacSubjects: 1,
  selectorMatches: 2,
  ownerKinds: 1,
  fieldChanged: 2,
  ingressHosts: 1,
  hostHasSuffix: 2,
};

/** Well-formed but unusual values a policy meets: nothing here may make a skill throw. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  {},
  [],
  '',
  0,
  'x',
  true,
  { metadata: {} },
  { metadata: { labels: null, annotations: null, ownerReferences: null } },
  { kind: 'Pod' },
  { kind: 'Pod', spec: null },
  { kind: 'Deployment', spec: { template: null } },
  { kind: 'CronJob', spec: { jobTemplate: {} } },
  { containers: [null, {}], initContainers: 'nope', volumes: [null] },
  { securityContext: null, resources: { limits: null } },
  { spec: { rules: [null, {}], tls: [{ hosts: null }] } },
  { userInfo: {}, object: null, oldObject: {} },
  { matchExpressions: [null], matchLabels: null },
  { subjects: [null, { kind: 1 }] },
];

let sandbox: SandboxRunner;
beforeAll(() => {
  sandbox = createSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

/** A skill with every skill it calls, as a policy would receive it. */
function standalone(name: string): string {
  return inlineSkills(name, builtinSkills);
}

describe('the built-in skill library', () => {
  it('has exactly the contracted names and arities, each approved, built-in and tested', () => {
    expect(builtinSkills.map((s) => s.name).sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const s of builtinSkills) {
      const fn = new Function(`${s.code}; return ${s.name};`)() as (...a: unknown[]) => unknown;
      expect(fn.length, s.name).toBe(CONTRACT[s.name]);
      expect(s).toMatchObject({ id: `${s.name}@1`, version: 1, state: 'approved', provenance: { source: 'builtin' } });
      expect(s.tests.length, `${s.name} needs at least two tests`).toBeGreaterThanOrEqual(2);
      expect(s.description.length).toBeGreaterThan(20);
    }
  });

  it('keeps one reviewable .js + .yaml pair per skill in skills/builtin', () => {
    const files = readdirSync(BUILTIN_DIR).sort();
    expect(files).toEqual(
      Object.keys(CONTRACT)
        .flatMap((n) => [`${n}.js`, `${n}.yaml`])
        .sort(),
    );
  });

  it('records which skills each one calls', () => {
    const byName = new Map(builtinSkills.map((s) => [s.name, s]));
    expect(byName.get('workloadContainers')!.dependsOn).toEqual(['allContainers', 'podSpecOf']);
    expect(byName.get('imageTag')!.dependsOn).toEqual(['parseImage']);
    expect(byName.get('fieldChanged')!.dependsOn).toEqual(['getPath']);
    expect(byName.get('getPath')!.dependsOn).toBeUndefined();
  });

  for (const skill of builtinSkills) {
    it(`${skill.name}: its tests pass in the sandbox`, async () => {
      const results = await sandbox.runFunctionTests(standalone(skill.name), skill.name, skill.tests);
      expect(results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.error}`)).toEqual([]);
      expect(results).toHaveLength(skill.tests.length);
    });

    it(`${skill.name}: never throws on unusual but well-formed values`, async () => {
      const arity = CONTRACT[skill.name];
      const calls = ODD_VALUES.flatMap((v, i) => [
        { name: `all args = value ${i}`, args: Array.from({ length: arity }, () => v), expected: null },
        { name: `first arg = value ${i}`, args: [v, ...(SECOND_ARGS[skill.name] ?? [])], expected: null },
      ]);
      const results = await sandbox.runFunctionTests(
        standalone(skill.name),
        skill.name,
        JSON.parse(JSON.stringify(calls)),
      );
      expect(
        results.filter((r) => r.error && !r.error.startsWith('expected')).map((r) => `${r.name}: ${r.error}`),
      ).toEqual([]);
    });
  }

  it('answers undefined (not an error) when a field is missing', async () => {
    const cases: Array<[string, unknown[]]> = [
      ['getPath', [{ spec: { replicas: 3 } }, 'spec.template.spec']],
      ['getPath', [null, 'metadata.name']],
      ['podSpecOf', [{ kind: 'Service', spec: { type: 'ClusterIP' } }]],
      ['podSpecOf', [{ kind: 'Deployment', spec: {} }]],
      ['getLabel', [{ metadata: { labels: {} } }, 'team']],
      ['getLabel', [{ kind: 'Pod' }, 'team']],
      ['getAnnotation', [{ metadata: {} }, 'owner']],
    ];
    for (const [name, args] of cases) {
      const [r] = await sandbox.runFunctionTests(standalone(name), name, [
        { name: 'missing', args, expected: 'unused' },
      ]);
      expect(r.error, `${name}(${JSON.stringify(args)})`).toContain('got undefined');
      expect(r.actual).toBeUndefined();
    }
  });

  it('uses nothing a jsPolicy runtime lacks (no require, process, Buffer, timers)', () => {
    for (const s of builtinSkills)
      expect(s.code, s.name).not.toMatch(/\b(require|process|Buffer|setTimeout|setInterval|globalThis|import)\b/);
  });
});

/** Second and later arguments that make the odd-first-argument calls meaningful. */
const SECOND_ARGS: Record<string, unknown[]> = {
  getPath: ['spec.template.spec.containers'],
  getLabel: ['team'],
  hasLabel: ['team', 'a'],
  getAnnotation: ['owner'],
  inNamespaces: [['prod']],
  hasResourceField: ['limits', 'cpu'],
  runsAsNonRoot: [{ securityContext: { runAsUser: 0 } }],
  hasProbe: ['readinessProbe'],
  userInGroups: [['admins']],
  selectorMatches: [{ a: 'b' }],
  fieldChanged: ['spec.replicas'],
  hostHasSuffix: [['example.com']],
};
