import { PolicyEngine } from './engine.js';
import type { ChildRequest, ChildResponse } from './process-pool.js';

/**
 * Entry point of a sandbox child process ('process' isolation): the same PolicyEngine as inline mode,
 * driven over the IPC channel, one request at a time. If an isolate takes the whole process down, the
 * parent sees this process exit and replaces it.
 */
const memoryLimitMb = Number(process.argv[2]) || 64;
const engine = new PolicyEngine({ memoryLimitMb, globalContext: process.env.POLICYFORGE_SANDBOX_GLOBAL_CONTEXT ?? '' });

process.on('message', (raw) => {
  const msg = raw as ChildRequest;
  let res: ChildResponse;
  try {
    switch (msg.op) {
      case 'check':
        res = { id: msg.id, ok: true, result: engine.checkCompiles(msg.javascript) };
        break;
      case 'run':
        res = { id: msg.id, ok: true, result: msg.inputs.map((input) => engine.run(msg.javascript, input)) };
        break;
      case 'fn':
        res = { id: msg.id, ok: true, result: engine.runFunctionTests(msg.code, msg.fnName, msg.tests, msg.timeoutMs) };
        break;
      case 'crash':
        // Test hook: lets the pool's crash handling be exercised without a V8 fatal error.
        process.exit(70);
    }
  } catch (err) {
    res = { id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.send?.(res);
});
process.on('disconnect', () => process.exit(0));
