import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInputFile } from '../../common/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error & { code: string },
  );

describe('readInputFile', () => {
  it('reads a regular file under the cap', async () => {
    writeFileSync(join(dir, 'ok.yaml'), 'a: 1\n');
    expect(await readInputFile(join(dir, 'ok.yaml'), { maxBytes: 100 })).toBe('a: 1\n');
  });

  it('refuses a file over the cap by its size, naming the path and both numbers', async () => {
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(2000));
    expect(await failure(readInputFile(join(dir, 'big.yaml'), { maxBytes: 1000 }))).toMatchObject({
      code: 'PF_ERR_INPUT_FILE',
      message: `cannot read ${join(dir, 'big.yaml')}: it is 2000 bytes; the limit is 1000`,
    });
  });

  it('refuses a FIFO without waiting for a writer, and devices and directories without reading them', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    expect((await failure(readInputFile(join(dir, 'pipe.yaml'), { maxBytes: 1000 })))?.message).toMatch(
      /pipe\.yaml: it is not a regular file \(a FIFO\)/,
    );
    expect((await failure(readInputFile('/dev/zero', { maxBytes: 1000 })))?.message).toMatch(
      /it is not a regular file \(a device\)/,
    );
    expect((await failure(readInputFile(dir, { maxBytes: 1000 })))?.message).toMatch(
      /it is not a regular file \(a directory\)/,
    );
  });

  it('follows a symbolic link only when allowed', async () => {
    writeFileSync(join(dir, 'real.yaml'), 'b: 2\n');
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'link.yaml'));
    expect(await readInputFile(join(dir, 'link.yaml'), { maxBytes: 100 })).toBe('b: 2\n');
    expect(
      (await failure(readInputFile(join(dir, 'link.yaml'), { maxBytes: 100, followSymlinks: false })))?.message,
    ).toMatch(/symbolic link/);
  });
});
