import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

describe('main(argv), in-process', () => {
  it('runs a command without spawning a process: importing main.ts does not start the CLI', async () => {
    const { main } = await import('../../src/cli/main.js');
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['--version'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(stdout.join('').trim()).toBe(version);
  });

  it('prints the package version for a bare --version, from the bin too', async () => {
    const { stdout } = await run('node', ['bin/policyforge.js', '--version']);
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(version);
  });
});
