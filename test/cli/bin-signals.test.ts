import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('the policyforge bin wrapper', () => {
  it('passes SIGTERM on to the re-executed service, which shuts down instead of being orphaned', async () => {
    // The wrapper re-executes node with --no-node-snapshot; a supervisor only ever signals the wrapper.
    const wrapper = spawn(process.execPath, ['bin/policyforge.js', 'serve', '--worker-only', '--insecure-no-auth'], {
      env: {
        ...process.env,
        REDIS_URL,
        PORT: '0',
        POLICYFORGE_HOME: mkdtempSync(join(tmpdir(), 'pf-bin-')),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const serving = new Promise<void>((resolve) => {
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('policyforge serving')) resolve();
      };
      wrapper.stdout.on('data', onData);
      wrapper.stderr.on('data', onData);
    });
    await serving;
    const [inner] = childrenOf(wrapper.pid!);
    expect(inner, 'the wrapper runs the CLI in a child process').toBeGreaterThan(0);

    wrapper.kill('SIGTERM');
    const [code] = await once(wrapper, 'exit');
    await expect.poll(() => isAlive(inner), { timeout: 10_000, interval: 100 }).toBe(false);
    // the inner process handled SIGTERM (graceful shutdown, exit 0) and the wrapper passed its code through
    expect({ code, output }).toMatchObject({ code: 0 });
  });
});
