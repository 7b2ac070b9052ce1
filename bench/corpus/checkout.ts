import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CorpusTree {
  root: string;
  /** The commit converted, recorded beside the corpus for its licence note ('unknown' for a plain copy). */
  commit: string;
  cleanup: () => void;
}

/**
 * A policy library to convert: a work tree that already holds `marker` is used as it is; a bare git directory
 * has only `paths` extracted from HEAD into a temporary folder, so a converter never needs a full checkout.
 */
export function checkoutCorpus(source: string, options: { marker: string; paths: string[]; name: string }): CorpusTree {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: source, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
  let commit = 'unknown';
  try {
    commit = git('rev-parse', 'HEAD');
  } catch {
    // not a git repository: a plain copy of the library
  }
  if (existsSync(join(source, options.marker))) return { root: source, commit, cleanup: () => {} };
  const root = mkdtempSync(join(tmpdir(), `pf-${options.name}-`));
  const tar = join(root, `${options.name}.tar`);
  git('archive', '-o', tar, 'HEAD', ...options.paths);
  execFileSync('tar', ['-xf', tar, '-C', root]);
  return { root, commit, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
