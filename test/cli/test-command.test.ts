import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedIntentIds, SHARED_INTENTS } from '../support/shared-intents.js';
import { runCli, type CliRun } from './run-cli.js';

// `policyforge test` in-process through main(argv) (run-cli.ts); the sandbox runs in its child process as
// the bin's does. The bin itself: main.test.ts and test-untrusted.test.ts.
const ROOT = resolve(import.meta.dirname, '..', '..');

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-cli-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('policyforge test', { timeout: 240_000 }, () => {
  it('exits 0 and prints one line per case and a summary when every case passes', async () => {
    const r = await cli(
      'test',
      'examples/no-prod-pods-in-test.yaml',
      '--policy',
      'examples/no-prod-pods-in-test.policy.yaml',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ok {4}a prod-labelled pod created in test is rejected {2}expected deny, got deny \(403\)/m,
    );
    expect(r.stdout).toMatch(/^PASS {2}6\/6 case\(s\) passed/m);
  });

  it.each(['owner-annotation', 'warn-many-replicas', 'configmap-owner-controller'])(
    'runs the %s example',
    async (id) => {
      const r = await cli('test', `examples/${id}.yaml`, '--policy', `examples/${id}.policy.yaml`);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    },
  );

  it('exits 1 and names the failing case for a broken policy', async () => {
    const original = await readFile(join(ROOT, 'examples/no-prod-pods-in-test.policy.yaml'), 'utf8');
    const broken = await tempFile(
      'broken.policy.yaml',
      original.replace("labels.env === 'prod'", "labels.env === 'production'"),
    );
    const r = await cli('test', 'examples/no-prod-pods-in-test.yaml', '--policy', broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}a prod-labelled pod created in test is rejected {2}expected deny, got allow/m);
    expect(r.stdout).toMatch(/^FAIL {2}relabelling a running test pod to prod is rejected/m);
    expect(r.stdout).toMatch(/^FAIL {2}4\/6 case\(s\) passed, 2 failed/m);
  });

  it('prints the full result as JSON with --json', async () => {
    const r = await cli(
      'test',
      'examples/owner-annotation.yaml',
      '--policy',
      'examples/owner-annotation.policy.yaml',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      passed: true,
      total: 4,
      failed: 0,
      policy: 'owner-annotation.examples.policyforge.dev',
    });
    expect(out.cases[0]).toMatchObject({
      name: 'the creator is recorded',
      expected: 'mutate',
      passed: true,
      outcome: { actual: 'mutate' },
    });
    expect(out.cases[0].outcome.patch[0]).toMatchObject({ op: 'add', path: '/metadata/annotations' });
  });

  it('exits 1 with the compile error when the javascript does not compile', async () => {
    const original = await readFile(join(ROOT, 'examples/no-prod-pods-in-test.policy.yaml'), 'utf8');
    const broken = await tempFile(
      'syntax.policy.yaml',
      original.replace("if (labels.env === 'prod') {", "if (labels.env === 'prod' {"),
    );
    const r = await cli('test', 'examples/no-prod-pods-in-test.yaml', '--policy', broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "COMPILE ERROR  fails to compile: jsPolicy would delete this policy's webhook (fails open): SyntaxError",
    );
  });

  it('exits 2 naming the file, the case and the field for an unusable suite', async () => {
    const suite = await tempFile(
      'bad.yaml',
      'intent: x\ncases:\n  - name: first\n    object: {apiVersion: v1, kind: Pod, metadata: {name: a}}\n    expect: denied\n',
    );
    const r = await cli('test', suite, '--policy', 'examples/no-prod-pods-in-test.policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`PF_ERR_SUITE_INVALID: ${suite} case "first": field \`expect\``);
  });

  it('exits 2 for an unusable policy and for a missing file', async () => {
    const policy = await tempFile(
      'bad.policy.yaml',
      'apiVersion: policy.jspolicy.com/v1beta1\nkind: JsPolicy\nmetadata: {name: a.b.c}\nspec: {operations: [CREATE], resources: [pods], violationPolicy: deny, javascript: x}\n',
    );
    const [bad, missing, noPolicy] = await Promise.all([
      cli('test', 'examples/no-prod-pods-in-test.yaml', '--policy', policy),
      cli('test', 'examples/nope.yaml', '--policy', 'examples/no-prod-pods-in-test.policy.yaml'),
      cli('test', 'examples/no-prod-pods-in-test.yaml'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`PF_ERR_POLICY_INVALID: ${policy}: field \`spec.violationPolicy\``);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('PF_ERR_INPUT_FILE: cannot read examples/nope.yaml: ENOENT');
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toContain("required option '--policy <file>' not specified");
  });

  it('runs in this process with --isolation inline (the default is a sandbox child process)', async () => {
    const r = await cli(
      'test',
      'examples/warn-many-replicas.yaml',
      '--policy',
      'examples/warn-many-replicas.policy.yaml',
      '--isolation',
      'inline',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS {2}4\/4/m);
  });

  // The suites live where POLICYFORGE_SHARED_INTENTS points (test/support/shared-intents.ts),
  // ../shared/intents by default.
  const ids = sharedIntentIds();
  it.skipIf(!ids.length)('exits 0 for every shared intent suite with its reference policy', async () => {
    const runs: Array<[string, CliRun]> = [];
    for (const id of ids)
      runs.push([
        id,
        await cli('test', join(SHARED_INTENTS, `${id}.yaml`), '--policy', join(SHARED_INTENTS, `${id}.policy.yaml`)),
      ]);
    expect(runs.map(([id, r]) => `${id}: ${r.code}${r.code ? ` ${r.stdout}${r.stderr}` : ''}`)).toEqual(
      ids.map((id) => `${id}: 0`),
    );
  });
});
