import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assetPath, type JsPolicy, type Suite } from '../common/index.js';
import { loadPolicy, loadSuite } from '../sandbox/index.js';

/**
 * The policies and suites the sandbox benchmarks run: `../shared/intents` when it is beside the checkout, else the
 * examples that ship with the package, so a clean clone still has something to measure (and says which it used).
 */
export async function loadBenchSuites(): Promise<{
  loaded: Array<{ id: string; policy: JsPolicy; suite: Suite }>;
  source: string;
}> {
  const shared = join(assetPath(), '..', 'shared', 'intents');
  const dir = existsSync(shared) ? shared : assetPath('examples');
  const ids = readdirSync(dir)
    .filter((f) => f.endsWith('.policy.yaml'))
    .map((f) => f.slice(0, -'.policy.yaml'.length))
    .sort();
  const loaded: Array<{ id: string; policy: JsPolicy; suite: Suite }> = [];
  for (const id of ids) {
    loaded.push({
      id,
      policy: await loadPolicy(join(dir, `${id}.policy.yaml`)),
      suite: await loadSuite(join(dir, `${id}.yaml`)),
    });
  }
  return { loaded, source: dir === shared ? '../shared/intents' : 'examples/' };
}
