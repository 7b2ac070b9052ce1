import { assemblePolicy, understandOffline, type OfflineUnderstanding } from '../../agents/index.js';
import { isPolicyforgeError, type Intent, type JsPolicy, type KubeObject, type TestCase } from '../../common/index.js';
import { harden } from '../../critic/index.js';
import type { SandboxRunner } from '../../sandbox/index.js';
import { builtinSkills, inlineSkills } from '../../skills/index.js';

// What the offline tests share: the policy offline generation writes for an intent (assembled, skills inlined,
// hardened, as the loop does), and whether the offline planner refuses a text.

/**
 * Generates offline and runs `cases` (written from the intent's true meaning) on the policy, together with the
 * planner's own cases, which are what "verified" rests on. Returns the failures, empty when all pass.
 */
export async function offlineFailures(sandbox: SandboxRunner, intent: Intent, cases: TestCase[]): Promise<string[]> {
  const u = understandOffline(intent);
  const run = await sandbox.runSuite(offlinePolicy(u, intent), [...u.plan.tests, ...cases]);
  return run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`);
}

/** The JsPolicy offline generation writes for an understanding: assembled, skills inlined, hardened. */
export function offlinePolicy(u: OfflineUnderstanding, intent: Intent): JsPolicy {
  const assembled = assemblePolicy(u.spec, intent);
  const inlined = {
    ...assembled,
    spec: { ...assembled.spec, javascript: inlineSkills(assembled.spec.javascript ?? '', builtinSkills) },
  };
  return harden(inlined, u.plan, intent);
}

/** A Pod in `namespace` with one ordinary container, `spec` merged over it. */
export function podWithSpec(spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...spec },
  };
}

/** True when the offline planner refuses the text (PF_ERR_OFFLINE_UNSUPPORTED); any other error is rethrown. */
export function refusedOffline(text: string): boolean {
  try {
    understandOffline({ text });
    return false;
  } catch (err) {
    if (!isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')) throw err;
    return true;
  }
}
