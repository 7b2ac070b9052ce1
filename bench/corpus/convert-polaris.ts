import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import {
  catalogCase,
  runConverter,
  writeConvertedCorpus,
  suiteFileText,
  type CatalogCase,
  type ConverterCommand,
  conversionLine,
} from './checkout.js';

/**
 * Turns the Fairwinds Polaris checks (pkg/config/checks/<check>.yaml, their test objects under
 * test/checks/<check>/ and the check tables of docs/checks/*.md) into suites in the shared format: a second
 * development corpus, independent of the Gatekeeper one, written in another house style (short rule sentences,
 * "Fails when …"). Polaris' own test runner (test/schema_test.go) decides a file's verdict by its name: a
 * `failure*` object must fail the check (deny), any other must pass it (allow); `mutated*` files are mutation
 * fixtures, not verdicts. Only the people-written texts and the test objects are taken; no check schema is copied.
 *
 * Two suites per check, never merged: `<check>--message` (the check's failureMessage, as written) and
 * `<check>--docs` (its row in docs/checks/*.md). Both describe the same check; a corpus of both measures how
 * the reader copes with two phrasings of one rule.
 *
 * `node dist/bench/corpus/convert-polaris.js <polaris checkout or bare git dir> [out dir]`
 */

export const POLARIS_REPOSITORY = 'FairwindsOps/polaris';

export type PolarisVariant = 'message' | 'docs';

export interface PolarisSuite {
  /** `<check>--<variant>`, also the file name. */
  id: string;
  check: string;
  variant: PolarisVariant;
  intent: string;
  cases: TestCase[];
  /** Test objects left out, with why. */
  dropped: Array<{ case: string; reason: string }>;
  /** Test objects changed on the way in (an apiVersion Polaris never reads), with what changed. */
  adjusted: Array<{ case: string; change: string }>;
}

export interface PolarisConversion {
  suites: PolarisSuite[];
  skipped: Array<{ id: string; check: string; reason: string }>;
}

/** `| \`check\` | level | description |` rows of every docs/checks/*.md table: check → description. */
export function docsDescriptions(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = join(root, 'docs', 'checks');
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.md'))
    .sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const m = /^`([A-Za-z0-9]+)`\s*\|\s*`[a-z]+`\s*\|\s*(.+?)\s*$/.exec(line);
      // Rows whose description only links elsewhere ("… listed here](…)") do not say the rule: left out.
      if (m && !out.has(m[1]) && !/\]\(/.test(m[2])) out.set(m[1], m[2].replace(/\s+/g, ' ').trim());
    }
  }
  return out;
}

/** The failureMessage of a check file (one key, any capitalisation, as the library spells it). */
function failureMessage(text: string): string | undefined {
  const m = /^failureMessage:\s*(.+)$/im.exec(text);
  return m ? m[1].trim().replace(/^(['"])(.*)\1$/, '$2') : undefined;
}

/** Converts a checked-out Polaris tree (`root` holds pkg/config/checks and test/checks). */
export function convertPolaris(root: string, catalog: ApiCatalog = builtinCatalog()): PolarisConversion {
  const suites: PolarisSuite[] = [];
  const skipped: PolarisConversion['skipped'] = [];
  const docs = docsDescriptions(root);
  const checksDir = join(root, 'pkg', 'config', 'checks');
  const testsDir = join(root, 'test', 'checks');
  const checks = readdirSync(checksDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
  for (const check of checks) {
    const message = failureMessage(readFileSync(join(checksDir, `${check}.yaml`), 'utf8'));
    const dir = join(testsDir, check);
    const texts: Array<[PolarisVariant, string | undefined]> = [
      ['message', message],
      ['docs', docs.get(check)],
    ];
    if (!existsSync(dir)) {
      for (const [v] of texts) skipped.push({ id: `${check}--${v}`, check, reason: 'the check has no test objects' });
      continue;
    }
    const dropped: PolarisSuite['dropped'] = [];
    const adjusted: PolarisSuite['adjusted'] = [];
    const cases: TestCase[] = [];
    for (const file of readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()) {
      const name = basename(file).replace(/\.ya?ml$/, '');
      if (file === 'check.yaml') continue;
      if (name.startsWith('mutated')) continue; // mutation fixtures: Polaris' test runner gives them no verdict
      const made = convertObject(readFileSync(join(dir, file), 'utf8'), name, catalog);
      if ('reason' in made) dropped.push({ case: name, reason: made.reason });
      else {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: name, change: made.change });
      }
    }
    for (const [variant, text] of texts) {
      const id = `${check}--${variant}`;
      if (!text) {
        const reason = variant === 'docs' ? 'no description of its own in docs/checks' : 'no failureMessage';
        skipped.push({ id, check, reason });
        continue;
      }
      if (!cases.some((c) => c.expect === 'deny') || !cases.some((c) => c.expect === 'allow')) {
        const why = dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : '';
        skipped.push({ id, check, reason: `needs both a deny and an allow case${why}` });
        continue;
      }
      suites.push({ id, check, variant, intent: text, cases: structuredClone(cases), dropped, adjusted });
    }
  }
  return { suites, skipped };
}

/**
 * One Polaris test file → one case, or why it cannot be one. Polaris reads objects without checking apiVersion, and
 * some test files say `v1` for a Deployment: catalogCase moves them to the one apiVersion the catalog serves the kind
 * at (recorded as an adjustment), else leaves them out.
 */
function convertObject(text: string, name: string, catalog: ApiCatalog): CatalogCase {
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d && typeof d === 'object');
  if (docs.length !== 1) {
    return { reason: 'several objects in one file: the verdict depends on objects besides the one admitted' };
  }
  return catalogCase(docs[0] as KubeObject, name, name.includes('failure') ? 'deny' : 'allow', catalog);
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderPolarisSuite(s: PolarisSuite, commit: string): string {
  const header = [
    `# From ${POLARIS_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © FairwindsOps, Inc.): check ${s.check}.`,
    `# Variant: ${s.variant} (${s.variant === 'message' ? 'the failureMessage' : 'its docs/checks row'}).`,
    '# Generated by bench/corpus/convert-polaris.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

/** Writes `<out>/<id>.yaml` per suite and `<out>/index.json`. */
export function writePolarisCorpus(conversion: PolarisConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: POLARIS_REPOSITORY,
      licence: 'Apache-2.0',
      attribution: 'Copyright FairwindsOps, Inc.',
    },
    conversion,
    {
      render: (s) => renderPolarisSuite(s, commit),
      names: (s) => ({ check: s.check, variant: s.variant }),
      notes: (s) => ({ dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-polaris.js',
  source: '<polaris checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'polaris'],
  checkout: {
    marker: join('pkg', 'config', 'checks'),
    paths: ['pkg/config/checks', 'test/checks', 'docs/checks'],
    name: 'polaris',
  },
  convert: (root, commit, out) => {
    const conversion = convertPolaris(root);
    writePolarisCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
