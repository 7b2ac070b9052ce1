import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

/**
 * The real bin, for what only a process shows: exit codes, the re-exec with --no-node-snapshot and the
 * refusal to create an isolate without it. Commands' behaviour is tested in-process (run-cli.ts); signals
 * in bin-signals.test.ts, untrusted code killing a sandbox child in test-untrusted.test.ts.
 */
function node(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile('node', args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const exit = (err as { code?: unknown } | null)?.code;
      done({ code: err ? (typeof exit === 'number' ? exit : 99) : 0, stdout, stderr });
    });
  });
}

const bin = (...args: string[]): Promise<CliRun> => node(['bin/policyforge.js', ...args]);
const SUITE = ['examples/no-prod-pods-in-test.yaml', '--policy', 'examples/no-prod-pods-in-test.policy.yaml'];
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('the policyforge bin', { timeout: 240_000 }, () => {
  it('prints its commands with --help and exits 0', async () => {
    const { stdout, code } = await bin('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: policyforge');
    expect(stdout).toContain('test');
  });

  it('exits 2 on an unknown command', async () => {
    expect((await bin('no-such-command')).code).toBe(2);
  });

  it('prints the package version for a bare --version', async () => {
    expect((await bin('--version')).stdout.trim()).toBe(version);
  });

  it('test: exit 0 when every case passes, 1 when one fails; a sandbox child runs them (no re-exec)', async () => {
    const passing = await bin('test', ...SUITE);
    expect(passing.code, passing.stderr).toBe(0);
    expect(passing.stdout).toMatch(/^PASS {2}6\/6/m);
    const wrongPolicy = ['--policy', 'examples/no-prod-pods-in-test.policy.yaml'];
    const failing = await bin('test', 'examples/warn-many-replicas.yaml', ...wrongPolicy);
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL {2}\d+\/\d+ case\(s\) passed/m);
  });

  it('test --isolation inline re-executes node with --no-node-snapshot and runs the policy there', async () => {
    const r = await bin('test', ...SUITE, '--isolation=inline');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS {2}6\/6/m);
  });

  it('a process without --no-node-snapshot refuses to create an isolate (exit 2), not risking a crash', async () => {
    // The compiled entry started directly, skipping the bin's re-exec: isolated-vm would run in a snapshot process.
    const r = await node(['dist/src/cli/run.js', 'test', ...SUITE, '--isolation', 'inline']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PF_ERR_CONFIG: configuration: isolated-vm needs node --no-node-snapshot');
    expect(r.stdout).toBe('');
  });
});

describe('main(argv, io), in-process', () => {
  it('runs a command without spawning a process, writing to the streams it is given', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await runCli(['test', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: policyforge test');
  });

  it('maps errors to exit codes and writes them to its stderr', async () => {
    const r = await runCli(['test', 'examples/nope.yaml', '--policy', 'examples/no-prod-pods-in-test.policy.yaml']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('policyforge: PF_ERR_INPUT_FILE: cannot read examples/nope.yaml');
  });
});
