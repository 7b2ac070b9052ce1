import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseApiVersion, type ApiCatalog } from '../../catalog/index.js';
import { assetPath, type KubeObject, type TestCase } from '../../common/index.js';

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

/** Writes `<out>/<id>.yaml` for every suite (removing the suites of an earlier run) and `<out>/index.json`. */
function writeCorpusFiles(out: string, suites: Array<{ id: string; text: string }>, index: unknown): void {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.yaml')) rmSync(join(out, f));
  for (const s of suites) writeFileSync(join(out, `${s.id}.yaml`), s.text);
  writeFileSync(join(out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
}

/** The library a corpus is converted from, as `index.json` records it. */
export interface CorpusLibrary {
  /** `owner/name` on GitHub. */
  repository: string;
  /** The release the conversion reads, where the library has one (Pod Security Admission's `v1.37`). */
  version?: string;
  licence: string;
  attribution: string;
}

/** How one suite is written: its file, and its line in `index.json`. */
export interface SuiteLine<S> {
  render: (s: S) => string;
  /** What names the suite in the library (template, check, rule, variant, …), after its id and file. */
  names: (s: S) => Record<string, unknown>;
  /** After the verdict counts: what was dropped or adjusted on the way in. */
  notes?: (s: S) => Record<string, unknown>;
}

/**
 * Writes a converted corpus: `<out>/<id>.yaml` per suite and `<out>/index.json`, which records the library at
 * `commit`, one line per suite (id, file, what names it, its allow / deny counts, what was dropped or adjusted) and
 * what was skipped, with why.
 */
export function writeConvertedCorpus<S extends { id: string; cases: TestCase[] }>(
  out: string,
  commit: string,
  library: CorpusLibrary,
  conversion: { suites: readonly S[]; skipped: unknown },
  line: SuiteLine<S>,
): void {
  const { repository, version, licence, attribution } = library;
  writeCorpusFiles(
    out,
    conversion.suites.map((s) => ({ id: s.id, text: line.render(s) })),
    {
      source: {
        repository: `https://github.com/${repository}`,
        commit,
        ...(version === undefined ? {} : { version }),
        licence,
        attribution,
      },
      suites: conversion.suites.map((s) => ({
        id: s.id,
        file: `${s.id}.yaml`,
        ...line.names(s),
        allow: s.cases.filter((c) => c.expect === 'allow').length,
        deny: s.cases.filter((c) => c.expect === 'deny').length,
        ...line.notes?.(s),
      })),
      skipped: conversion.skipped,
    },
  );
}

/** What a converter's command line needs: its library, where the corpus goes, and the conversion itself. */
export interface ConverterCommand {
  /** `convert-pss.js`, for the usage line. */
  script: string;
  /** `<pod-security-admission checkout or git dir>`, for the usage line. */
  source: string;
  /** The corpus folder under the package, `['bench', 'corpus', 'pod-security']`. */
  defaultOut: string[];
  checkout: { marker: string; paths: string[]; name: string };
  /** Converts the tree and writes the corpus to `out`; returns the line reported on stderr. */
  convert: (root: string, commit: string, out: string) => string;
}

/** The line a converter reports: how many suites and cases it wrote, and how many checks it skipped. */
export function conversionLine(conversion: { suites: Array<{ cases: unknown[] }>; skipped: unknown[] }): string {
  const cases = conversion.suites.reduce((n, s) => n + s.cases.length, 0);
  return `${conversion.suites.length} suites (${cases} cases), ${conversion.skipped.length} skipped`;
}

/**
 * `node dist/bench/corpus/<script> <source> [out dir]`: a bare git dir (the `fetch` mirror) is exported to a
 * temporary tree, a checkout is used as it is; the corpus is written and one line says what came of it.
 */
export async function runConverter(argv: string[], command: ConverterCommand): Promise<void> {
  const [source, outArg] = argv;
  if (!source) {
    process.stderr.write(`usage: node dist/bench/corpus/${command.script} ${command.source} [out dir]\n`);
    process.exit(2);
  }
  const out = outArg ? resolve(outArg) : assetPath(...command.defaultOut);
  const tree = checkoutCorpus(resolve(source), command.checkout);
  try {
    process.stderr.write(`${command.convert(tree.root, tree.commit, out)} → ${out}\n`);
  } finally {
    tree.cleanup();
  }
}

/** A suite file: the header's comment lines, what was left out or adjusted, then the shared format (intent, cases). */
export function suiteFileText(
  header: string[],
  s: {
    intent: string;
    cases: TestCase[];
    dropped?: Array<{ case: string; reason: string }>;
    adjusted?: Array<{ case: string; change: string }>;
  },
): string {
  const lines = [
    ...header,
    ...(s.dropped?.length ? [`# Cases left out: ${s.dropped.map((d) => `${d.case} (${d.reason})`).join('; ')}.`] : []),
    ...(s.adjusted?.length ? [`# Adjusted: ${s.adjusted.map((a) => `${a.case} (${a.change})`).join('; ')}.`] : []),
  ];
  return `${lines.join('\n')}\n${stringify({ intent: s.intent, cases: s.cases }, { lineWidth: 0 })}`;
}

/** A test object as a case, or why it cannot be one; `change` names an apiVersion moved to the one the API serves. */
export type CatalogCase = { testCase: TestCase; change?: string } | { reason: string };

/**
 * A library's test object as a case: it must name a kind the catalog knows. Scanners read objects without checking
 * apiVersion, and tests written for an apiVersion the API no longer serves (batch/v1beta1 CronJobs) are moved to the
 * one apiVersion the catalog serves the kind at (recorded as an adjustment), else left out. The namespace is the
 * object's, else `default` for a namespaced kind.
 */
export function catalogCase(
  object: KubeObject,
  name: string,
  expect: 'allow' | 'deny',
  catalog: ApiCatalog,
): CatalogCase {
  if (!object.kind || !object.apiVersion) return { reason: 'the object has no apiVersion/kind' };
  const { version } = parseApiVersion(object.apiVersion);
  let resource = catalog.byKind(object.apiVersion, object.kind);
  let change: string | undefined;
  if (!resource || !resource.versions.includes(version)) {
    const known = catalog.kindsNamed(object.kind);
    if (known.length !== 1) return { reason: `${object.kind} at ${object.apiVersion} is not in the catalog` };
    resource = known[0];
    const fixed = resource.group ? `${resource.group}/${resource.versions[0]}` : resource.versions[0];
    change = `apiVersion ${object.apiVersion} → ${fixed}`;
    object.apiVersion = fixed;
  }
  const namespace = object.metadata?.namespace ?? (resource.namespaced ? 'default' : undefined);
  const own = namespace && namespace !== object.metadata?.namespace ? { namespace } : {};
  return { testCase: { name, object, ...own, expect }, ...(change ? { change } : {}) };
}
