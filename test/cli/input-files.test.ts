import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

// Files given to the CLI are read with a size cap, and only when they are regular files (common/input-file.ts).
const dir = mkdtempSync(join(tmpdir(), 'pf-cli-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

describe('policyforge test with unusable input files', { timeout: 120_000 }, () => {
  it('exits 2 at once on a FIFO as the suite, saying it is not a regular file', async () => {
    const fifo = join(dir, 'suite.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await cli('test', fifo, '--policy', 'examples/no-nodeport-services.policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PF_ERR_INPUT_FILE/);
    expect(r.stderr).toContain(`cannot read ${fifo}: it is not a regular file (a FIFO)`);
  });

  it('exits 2 on a suite over the size cap, naming the limit', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `intent: x\n# ${'y'.repeat(5 * 1024 * 1024)}\ncases: []\n`);
    const r = await cli('test', big, '--policy', 'examples/no-nodeport-services.policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the limit is 4194304/);
  });

  it('exits 2 on a YAML alias bomb, as invalid YAML', async () => {
    const bomb = join(dir, 'bomb.yaml');
    writeFileSync(
      bomb,
      [
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
      ].join('\n'),
    );
    const r = await cli('test', bomb, '--policy', 'examples/no-nodeport-services.policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PF_ERR_INPUT_YAML/);
  });

  it('exits 2 at once on a FIFO as the --global-context file', async () => {
    const fifo = join(dir, 'context.js');
    execFileSync('mkfifo', [fifo]);
    const r = await cli(
      'test',
      'examples/no-nodeport-services.yaml',
      '--policy',
      'examples/no-nodeport-services.policy.yaml',
      '--global-context',
      fifo,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read ${fifo}: it is not a regular file (a FIFO)`);
  });
});
