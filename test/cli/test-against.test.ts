import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { runCli, type CliRun } from './run-cli.js';

// The impact preview in-process through main(argv) (run-cli.ts): `test --policy P --against SOURCE…` and
// `generate --against SOURCE…`, on the example snapshot (examples/impact/), stdin and the test API server.

const home = mkdtempSync(join(tmpdir(), 'pf-cli-impact-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const INVERTED = 'examples/impact/no-prod-pods-in-test.inverted.policy.yaml';
const CORRECT = 'examples/no-prod-pods-in-test.policy.yaml';
const SNAPSHOT = 'examples/impact/cluster-snapshot';

/** A clean environment (no kubeconfig or key from the machine running the tests), stdin when given. */
function cli(args: string[], stdin?: string): Promise<CliRun> {
  const cleanEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    POLICYFORGE_HOME: join(home, 'pf'),
    LOG_LEVEL: 'silent',
  };
  return runCli(args, { stdin, cleanEnv });
}

let server: KubeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('policyforge test --against', { timeout: 240_000 }, () => {
  it('shows what an inverted policy would deny among the existing objects, grouped by reason, and exits 0 without --fail-on', async () => {
    const r = await cli(['test', '--policy', INVERTED, '--against', SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('would deny 7 of 13 objects; warn 0; mutate 0');
    expect(r.stdout).toMatch(/^deny × 7: 403 pod <name> is labelled env=prod/m);
    expect(r.stdout).toContain('e.g. Pod test/api-7d9f0 (examples/impact/cluster-snapshot/pods.yaml:1 item 1)');
    const correct = await cli(['test', '--policy', CORRECT, '--against', SNAPSHOT, '--fail-on', 'deny']);
    expect(correct.stdout).toContain('would deny 1 of 13 objects');
    expect(correct.code).toBe(1);
  });

  it('--json streams every verdict and the summary; audit events come from stdin, those without an object counted as skipped', async () => {
    const event = (verb: string, labels: Record<string, string> | undefined): string =>
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: labels ? 'Request' : 'Metadata',
        stage: 'ResponseComplete',
        verb,
        user: { username: 'alice', groups: ['dev'] },
        objectRef: { resource: 'pods', namespace: 'test', name: 'api', apiVersion: 'v1' },
        ...(labels
          ? { requestObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'test', labels } } }
          : {}),
      });
    const log = [
      event('create', { env: 'prod' }),
      event('update', { env: 'staging' }),
      event('update', undefined),
    ].join('\n');
    const r = await cli(['test', '--policy', CORRECT, '--against', '-', '--json', '--fail-on', 'warn'], log);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as {
      policy: string;
      verdicts: Array<{ ref: string; verdict: string; at: string }>;
      summary: Record<string, unknown>;
    };
    expect(out.verdicts.map((v) => `${v.ref}: ${v.verdict}`)).toEqual([
      'create Pod test/api by alice: deny',
      'update Pod test/api by alice: allow',
    ]);
    expect(out.verdicts[0].at).toBe('stdin:1');
    expect(out.summary).toMatchObject({
      sources: ['-'],
      checked: 2,
      wouldDeny: 1,
      skipped: { 'audit event without a request object (audit level Metadata)': 1 },
    });
  });

  it('--against cluster reads the kubeconfig cluster read-only and replays its objects', async () => {
    server = await startKubeApiServer({
      types: [{ group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }],
    });
    server.putObject('', 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'test', labels: { env: 'staging' } },
      spec: { containers: [] },
    });
    server.putObject('', 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db', namespace: 'prod', labels: { env: 'staging' } },
      spec: { containers: [] },
    });
    const kubeconfig = join(home, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, server.kubeconfig());
    const r = await cli(['test', '--policy', INVERTED, '--against', 'cluster', '--kubeconfig', kubeconfig]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('against cluster');
    // The selector names namespace test: only that namespace's pods are listed, and only with GET.
    expect(r.stdout).toContain('would deny 1 of 1 object;');
    expect(server.requests.every((q) => q.method === 'GET')).toBe(true);
    expect(server.requests.filter((q) => q.query.limit).map((q) => q.path)).toEqual(['/api/v1/namespaces/test/pods']);
  });

  it('refuses a suite together with --against, and an unknown --fail-on', async () => {
    expect(
      (await cli(['test', 'examples/no-prod-pods-in-test.yaml', '--policy', CORRECT, '--against', SNAPSHOT])).code,
    ).toBe(2);
    const r = await cli(['test', '--policy', CORRECT, '--against', SNAPSHOT, '--fail-on', 'mutate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PF_ERR_INPUT_INVALID');
  });
});

describe('policyforge generate --against', { timeout: 240_000 }, () => {
  it('reports a verified policy that would deny more than the threshold of existing objects instead of passing it as safe', async () => {
    const r = await cli([
      'generate',
      'Pods must not run in the test namespace.',
      '--offline',
      '--json',
      '--against',
      SNAPSHOT,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout) as { status: string; safeToApply: boolean; impact: Record<string, unknown> };
    expect(result.status).toBe('succeeded');
    expect(result.safeToApply).toBe(false);
    expect(result.impact).toMatchObject({ checked: 13, wouldDeny: 8, overThreshold: true });
    const text = await cli([
      'generate',
      'Pods must not run in the test namespace.',
      '--offline',
      '--against',
      SNAPSHOT,
      '--deny-threshold',
      '70%',
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/^impact: would deny 8 of 13 objects/m);
  });
});
