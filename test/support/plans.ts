import type { Plan, TestCase } from '../../common/index.js';

/**
 * The plan most tests need and none is about: a Validating policy on core/v1 Pods, no namespaces named, no steps.
 * Tests that are about the target say what differs through `target`; the rest of the plan is theirs to add.
 */
export function podsPlan(
  tests: TestCase[] = [],
  target: Partial<Plan['target']> = {},
  rest: Partial<Omit<Plan, 'target' | 'tests'>> = {},
): Plan {
  return {
    target: {
      type: 'Validating',
      resources: ['pods'],
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE'],
      scope: 'Namespaced',
      namespaces: [],
      ...target,
    },
    steps: [],
    tests,
    ...rest,
  };
}
