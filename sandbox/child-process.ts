import { PolicyforgeError } from '../common/errors.js';
import { PolicyEngine } from './engine.js';
import type { ChildItem, ChildOutcome, ChildRequest, ChildResponse, ScriptRef } from './process-pool.js';

/**
 * Entry point of a sandbox child process ('process' isolation): the same PolicyEngine as inline mode,
 * driven over the IPC channel, one message at a time. If an isolate takes the whole process down, the
 * parent sees this process exit and replaces it.
 */
const memoryLimitMb = Number(process.argv[2]) || 64;
const engine = new PolicyEngine({ memoryLimitMb, globalContext: process.env.POLICYFORGE_SANDBOX_GLOBAL_CONTEXT ?? '' });

/**
 * Policy sources by the pool's id, most recently used last. The pool mirrors this list (process-pool.ts) and
 * sends a source only when it is not here; keeping the same string also lets the engine find its context
 * without hashing a freshly parsed copy of the source.
 */
const scripts = new Map<number, string>();
const scriptLimit = Number(process.env.POLICYFORGE_SANDBOX_SCRIPTS) || 64;

function script(ref: ScriptRef): string {
  const javascript = ref.javascript ?? scripts.get(ref.id);
  if (javascript === undefined) {
    const why = `script ${ref.id} is not held by this sandbox child (the pool's list disagrees)`;
    throw new PolicyforgeError('PF_ERR_INTERNAL', [why]);
  }
  scripts.delete(ref.id);
  scripts.set(ref.id, javascript);
  if (scripts.size > scriptLimit) scripts.delete(scripts.keys().next().value as number);
  return javascript;
}

function answer(item: ChildItem): ChildOutcome {
  try {
    switch (item.op) {
      case 'check':
        return { ok: true, result: engine.checkCompiles(item.javascript) };
      case 'run': {
        const javascript = script(item.script);
        return { ok: true, result: item.inputs.map((input) => engine.run(javascript, input)) };
      }
      case 'fn':
        return { ok: true, result: engine.runFunctionTests(item.code, item.fnName, item.tests, item.timeoutMs) };
      case 'crash':
        // Test hook: lets the pool's crash handling be exercised without a V8 fatal error.
        return process.exit(70);
    }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

// A message's items are answered in order (the script list depends on it) and together, in one reply.
process.on('message', (raw) => {
  const msg = raw as ChildRequest;
  process.send?.({ id: msg.id, outcomes: msg.items.map(answer) } satisfies ChildResponse);
});
process.on('disconnect', () => process.exit(0));
