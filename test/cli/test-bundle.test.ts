import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../sandbox/index.js';

// `policyforge test` bundles as jsPolicy does and models its busy VM pool (issue 13 items 1, 2), through the
// real bin. Dependencies come from file: specs beside the policy and a cache folder of this test's own.
const ROOT = resolve(import.meta.dirname, '..', '..');
let dir: string;
let env: NodeJS.ProcessEnv;

function cli(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', ['bin/policyforge.js', ...args], { cwd: ROOT, env, timeout: 170_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: string }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : (e.signal ?? 'unknown')) : 0, stdout, stderr });
    });
  });
}

const doc = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name },
    spec: { operations: ['CREATE'], resources: ['pods'], ...spec },
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-cli-bundle-'));
  env = {
    ...process.env,
    POLICYFORGE_CACHE_DIR: join(dir, 'cache'),
    npm_config_cache: join(dir, 'npm-cache'),
    POLICYFORGE_OFFLINE: '1',
  };
  await mkdir(join(dir, 'policies', 'team-rules'), { recursive: true });
  await writeFile(
    join(dir, 'policies', 'team-rules', 'package.json'),
    JSON.stringify({ name: 'team-rules', version: '1.0.0', main: 'index.js' }),
  );
  await writeFile(
    join(dir, 'policies', 'team-rules', 'index.js'),
    'module.exports.teamOf = (o) => (o.metadata.labels || {}).team;\n',
  );
  await writeFile(
    join(dir, 'suite.yaml'),
    'intent: pods name their team\ncases:\n  - name: no team\n    object: {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: default}}\n    expect: deny\n    message: needs a team\n  - name: a team\n    object: {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: default, labels: {team: web}}}\n    expect: allow\n',
  );
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('policyforge test with bundled policies', { timeout: 180_000 }, () => {
  it('installs a file: dependency given relative to the policy file, bundles, and runs the bundle', async () => {
    const policy = join(dir, 'policies', 'deps.yaml');
    await writeFile(
      policy,
      doc('deps.policyforge.dev', {
        dependencies: { 'team-rules': 'file:./team-rules' },
        javascript: "import { teamOf } from 'team-rules';\nif (!teamOf(request.object)) deny('needs a team');\n",
      }),
    );
    const r = await cli('test', join(dir, 'suite.yaml'), '--policy', policy);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS {2}2\/2 case\(s\) passed/m);
  });

  it('a policy without javascript runs the JsPolicyBundle given with --bundle, and fails to compile without it', async () => {
    const policy = join(dir, 'precompiled.yaml');
    const bundle = join(dir, 'precompiled.bundle.yaml');
    await writeFile(policy, doc('pre.policyforge.dev', {}));
    const js = "(()=>{var t=request.object.metadata.labels;t&&t.team||deny('needs a team')})();";
    await writeFile(
      bundle,
      JSON.stringify({
        apiVersion: 'policy.jspolicy.com/v1beta1',
        kind: 'JsPolicyBundle',
        metadata: { name: 'pre.policyforge.dev' },
        spec: { bundle: encodeBundle(js) },
      }),
    );
    const ok = await cli('test', join(dir, 'suite.yaml'), '--policy', policy, '--bundle', bundle);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const missing = await cli('test', join(dir, 'suite.yaml'), '--policy', policy);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(
      "COMPILE ERROR  fails to compile: jsPolicy would delete this policy's webhook (fails open): couldn't find js policy bundle, but no javascript provided",
    );
  });

  it('a dependency npm cannot get offline is exit 2, naming the package', async () => {
    const policy = join(dir, 'policies', 'missing.yaml');
    await writeFile(
      policy,
      doc('missing.policyforge.dev', {
        dependencies: { 'left-pad': '^1.3.0' },
        javascript: "import pad from 'left-pad';\ndeny(pad('x', 3))",
      }),
    );
    const r = await cli('test', join(dir, 'suite.yaml'), '--policy', policy);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "cannot install the policy's dependency left-pad: not in npm's cache, and offline mode allows no download",
    );
  });

  it('--vm-wait-ms: every request first waits for a VM; past the deadline failurePolicy decides, and the output says so', async () => {
    const policy = join(dir, 'plain.yaml');
    await writeFile(
      policy,
      doc('plain.policyforge.dev', {
        timeoutSeconds: 3,
        javascript: "if (!request.object.metadata.labels?.team) deny('needs a team')",
      }),
    );
    const r = await cli('test', join(dir, 'suite.yaml'), '--policy', policy, '--vm-wait-ms', '3000');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('each request first waits 3000 ms for a free VM');
    expect(r.stdout).toContain(
      "timeout: all of jsPolicy's VMs stayed busy for 3000 ms, past the API server's deadline of 3000 ms (spec.timeoutSeconds): the script never ran, failurePolicy Fail decided (rejected)",
    );
    expect(r.stdout).toMatch(/^FAIL {2}a team {2}expected allow, got deny \(500\)/m);
  });
});
