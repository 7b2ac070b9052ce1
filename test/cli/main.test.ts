import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the policyforge bin', () => {
  it('prints its commands with --help and exits 0', async () => {
    const { stdout } = await run('node', ['bin/policyforge.js', '--help']);
    expect(stdout).toContain('Usage: policyforge');
    expect(stdout).toContain('test');
  });

  it('exits 2 on an unknown command', async () => {
    await expect(run('node', ['bin/policyforge.js', 'no-such-command'])).rejects.toMatchObject({ code: 2 });
  });
});
