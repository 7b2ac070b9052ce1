import { assemblePolicy, understandOffline } from '../../agents/index.js';
import { isPolicyforgeError, type Intent, type TestCase } from '../../common/index.js';
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
  const assembled = assemblePolicy(u.spec, intent);
  const inlined = {
    ...assembled,
    spec: { ...assembled.spec, javascript: inlineSkills(assembled.spec.javascript ?? '', builtinSkills) },
  };
  const policy = harden(inlined, u.plan, intent);
  const run = await sandbox.runSuite(policy, [...u.plan.tests, ...cases]);
  return run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`);
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
