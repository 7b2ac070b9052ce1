import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { createGenerator, type Generator } from '../../src/loop/index.js';

/**
 * The real loop as the operator runs it without a model key (offline planner and coder), with its own skill
 * store in a temporary folder: for tests that check what the operator does with what the loop really returns.
 */
export interface OfflineLoop {
  home: string;
  sandbox: SandboxRunner;
  generator: Generator;
  close(): Promise<void>;
}

export async function openOfflineLoop(prefix: string): Promise<OfflineLoop> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const sandbox = createSandbox({ isolation: 'inline' });
  const generator = await createGenerator({ store: join(home, 'skills.sqlite'), sandbox, model: null });
  return {
    home,
    sandbox,
    generator,
    async close() {
      await generator.close();
      await sandbox.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
