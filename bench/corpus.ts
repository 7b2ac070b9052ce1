import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assetPath, isPolicyforgeError, type GenerationResult, type Intent, type Suite } from '../common/index.js';
import { createSandbox, loadSuite, type SandboxRunner } from '../sandbox/index.js';
import { createGenerator } from '../src/loop/index.js';
import type { BenchSection } from './benches.js';

/**
 * The development corpus (bench/corpus/): every suite's intent generated offline exactly as `policyforge
 * generate --offline` does (a fresh SQLite skill store per intent, so no earlier answer leaks; fuzzing on, as
 * in the CLI; POLICYFORGE_CORPUS_FUZZ=0 turns it off), then the suite's reference cases run on the result as
 * `policyforge test` runs them.
 * Each suite is refused, agrees, or VERIFIED BUT WRONG: reported as safe to apply while some reference case
 * fails. Writes bench/corpus/last-report.json beside the docs/benchmarks.md section.
 *
 * `POLICYFORGE_CORPUS_FILTER=<substring>` runs only the suites whose id contains it (report: last-report.partial.json).
 */

export type Outcome = 'refused' | 'agrees' | 'verified-but-wrong';

export interface SuiteOutcome {
  outcome: Outcome;
  intent: string;
  /** Why it was refused: the error code (PF_ERR_OFFLINE_UNSUPPORTED, …) or `failed` for a failed generation. */
  code?: string;
  reason?: string;
  /** A refusal's structured details (e.g. the words the reader could not place), when the error carries them. */
  details?: Record<string, unknown>;
  /** The planner's one-line account of its reading (plan.rationale), when it produced a plan. */
  reading?: string;
  /** Reference cases passed / run, when a policy was produced. */
  passed?: number;
  total: number;
  failing?: Array<{ name: string; expected: string; actual: string; why?: string }>;
  durationMs: number;
}

export type Generate = (intent: Intent) => Promise<GenerationResult>;

/**
 * One suite: generate from its intent alone (never its cases), then judge the result by the cases.
 * A result that is not `succeeded` + `safeToApply` counts as refused: the tool said it could not.
 */
export async function evaluateSuite(suite: Suite, generate: Generate, sandbox: SandboxRunner): Promise<SuiteOutcome> {
  const started = performance.now();
  const base = { intent: suite.intent, total: suite.cases.length };
  let result: GenerationResult;
  try {
    result = await generate({ text: suite.intent });
  } catch (err) {
    const code = isPolicyforgeError(err) ? err.code : 'error';
    // `families` is the whole offline catalogue, the same in every refusal: left out of the report.
    const { families: _catalogue, ...details } = (isPolicyforgeError(err) ? err.details : undefined) ?? {};
    const reason = oneLine(err instanceof Error ? err.message : String(err), 1000);
    return {
      ...base,
      outcome: 'refused',
      code,
      reason,
      ...(Object.keys(details).length ? { details } : {}),
      durationMs: performance.now() - started,
    };
  }
  const reading = result.plan?.rationale;
  if (result.status !== 'succeeded' || !result.safeToApply || !result.policy) {
    return {
      ...base,
      outcome: 'refused',
      code: 'failed',
      reason: oneLine(result.reason),
      reading,
      durationMs: performance.now() - started,
    };
  }
  const run = await sandbox.runSuite(result.policy, suite);
  const failing = run.cases
    .filter((c) => !c.passed)
    .map((c) => ({
      name: c.name,
      expected: c.expected,
      actual: c.outcome.actual,
      ...(c.failure ? { why: c.failure } : {}),
    }));
  return {
    ...base,
    outcome: run.passed ? 'agrees' : 'verified-but-wrong',
    reading,
    passed: run.total - run.failed,
    ...(failing.length ? { failing } : {}),
    ...(run.compileError ? { reason: `does not compile: ${oneLine(run.compileError)}` } : {}),
    durationMs: performance.now() - started,
  };
}

/** Whitespace collapsed (messages quote intents, which may span lines), cut at `max`. */
function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export interface CorpusSource {
  name: string;
  dir: string;
}

/** The corpora this bench runs: the Gatekeeper-, Polaris-, Pod Security Admission-, Kubescape-, trivy-checks-, Checkov-, kube-score- and kube-linter-derived suites, and our own shared intents when present. */
export function corpusSources(env: NodeJS.ProcessEnv = process.env): CorpusSource[] {
  const shared = resolve(
    env.POLICYFORGE_SHARED_INTENTS ?? env.POLICYFORGE_INTENTS_DIR ?? join(assetPath(), '..', 'shared', 'intents'),
  );
  return [
    { name: 'gatekeeper-library', dir: assetPath('bench', 'corpus', 'gatekeeper') },
    { name: 'polaris-checks', dir: assetPath('bench', 'corpus', 'polaris') },
    { name: 'pod-security-admission', dir: assetPath('bench', 'corpus', 'pod-security') },
    { name: 'kubescape-regolibrary', dir: assetPath('bench', 'corpus', 'kubescape') },
    { name: 'trivy-checks', dir: assetPath('bench', 'corpus', 'trivy') },
    { name: 'checkov-k8s', dir: assetPath('bench', 'corpus', 'checkov') },
    { name: 'kube-score', dir: assetPath('bench', 'corpus', 'kube-score') },
    { name: 'kube-linter', dir: assetPath('bench', 'corpus', 'kube-linter') },
    ...(existsSync(shared) ? [{ name: 'shared intents', dir: shared }] : []),
  ];
}

export interface CorpusReport {
  generatedAt: string;
  /** The code measured: a commit, `+ uncommitted changes` when the tree was dirty. */
  code: string;
  command: string;
  machine: { nproc: number; node: string; loadAverage1m: number };
  settings: { model: 'none (offline)'; fuzz: boolean; store: 'fresh SQLite per suite'; filter?: string };
  corpora: Array<{
    name: string;
    suites: number;
    refused: number;
    agrees: number;
    verifiedButWrong: number;
    durationMs: number;
  }>;
  /** `variant`: the converter's (bench/corpus/<corpus>/index.json), when the corpus has one. */
  suites: Array<SuiteOutcome & { corpus: string; id: string; variant?: string }>;
}

/** Runs every suite of every source, sequentially (2 shared cores), one fresh store per generation. */
export async function runCorpus(
  sources: CorpusSource[],
  options: { filter?: string; fuzz?: boolean } = {},
): Promise<CorpusReport> {
  const { filter, fuzz = true } = options;
  const report: CorpusReport = {
    generatedAt: new Date().toISOString(),
    code: codeVersion(),
    command: 'npm run bench -- corpus',
    machine: { nproc: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0].toFixed(2)) },
    settings: { model: 'none (offline)', fuzz, store: 'fresh SQLite per suite', ...(filter ? { filter } : {}) },
    corpora: [],
    suites: [],
  };
  const sandbox = createSandbox({ isolation: 'inline' });
  const home = mkdtempSync(join(tmpdir(), 'pf-bench-corpus-'));
  try {
    for (const source of sources) {
      const started = performance.now();
      const files = readdirSync(source.dir)
        .filter((f) => f.endsWith('.yaml') && !f.endsWith('.policy.yaml'))
        .filter((f) => !filter || f.includes(filter))
        .sort();
      const counts = { refused: 0, agrees: 0, verifiedButWrong: 0 };
      const variants = variantsOf(source.dir);
      for (const [i, file] of files.entries()) {
        const suite = await loadSuite(join(source.dir, file));
        const store = join(home, `${source.name.replace(/\W+/g, '-')}-${i}.sqlite`);
        // As the CLI's `generate --offline`: createGenerator with no model; the sandbox is shared to save start-up.
        const generator = await createGenerator({ model: null, store, sandbox, fuzz });
        let outcome: SuiteOutcome;
        try {
          outcome = await evaluateSuite(suite, (intent) => generator.generate(intent), sandbox);
        } finally {
          await generator.close();
          rmSync(store, { force: true });
        }
        counts[outcome.outcome === 'verified-but-wrong' ? 'verifiedButWrong' : outcome.outcome]++;
        const id = file.replace(/\.yaml$/, '');
        report.suites.push({
          corpus: source.name,
          id,
          ...(variants.has(id) ? { variant: variants.get(id) } : {}),
          ...outcome,
        });
        process.stderr.write(
          `  ${source.name} ${file}: ${outcome.outcome}${outcome.code ? ` (${outcome.code})` : ''}\n`,
        );
      }
      report.corpora.push({
        name: source.name,
        suites: files.length,
        ...counts,
        durationMs: Math.round(performance.now() - started),
      });
    }
  } finally {
    await sandbox.close();
    rmSync(home, { recursive: true, force: true });
  }
  return report;
}

/** id → variant from the converter's index.json, when the corpus has one. */
function variantsOf(dir: string): Map<string, string> {
  const index = join(dir, 'index.json');
  if (!existsSync(index)) return new Map();
  const suites =
    (JSON.parse(readFileSync(index, 'utf8')) as { suites?: Array<{ id: string; variant: string }> }).suites ?? [];
  return new Map(suites.map((s) => [s.id, s.variant]));
}

/** POLICYFORGE_CODE_COMMIT (a run from an exported tree), else the checkout's commit and whether it was dirty. */
function codeVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POLICYFORGE_CODE_COMMIT) return env.POLICYFORGE_CODE_COMMIT;
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: assetPath(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short=12', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The docs/benchmarks.md section: the table per corpus, then every verified-but-wrong suite with its failing cases. */
export function renderCorpusSection(report: CorpusReport): string {
  const lines = [
    'Command: `npm run bench -- corpus` (writes this section and `bench/corpus/last-report.json`, per-suite outcomes).',
    "Each suite's intent is generated offline as `policyforge generate --offline` does (no model, a fresh SQLite skill",
    `store per intent, fuzzing ${report.settings.fuzz ? 'on as in the CLI' : 'off (POLICYFORGE_CORPUS_FUZZ=0)'}), then the suite's reference cases run on the result as \`policyforge test\``,
    'runs them. **refused**: PF_ERR_OFFLINE_UNSUPPORTED or a failed generation (honest). **agrees**: reported safe to',
    'apply and every reference case passes. **verified but wrong**: reported safe to apply while a reference case fails.',
    'The gatekeeper-library corpus is converted from the OPA Gatekeeper library (bench/corpus/gatekeeper/README.md),',
    'the polaris-checks corpus from the Fairwinds Polaris checks and their test objects (bench/corpus/polaris/README.md),',
    "the pod-security-admission corpus from Kubernetes' Pod Security Admission checks and their recorded fixtures",
    "(bench/corpus/pod-security/README.md), the kubescape-regolibrary corpus from Kubescape's regolibrary rules and",
    "their tests (bench/corpus/kubescape/README.md), the trivy-checks corpus from Aqua Security's trivy-checks Kubernetes",
    "checks and their Rego tests (bench/corpus/trivy/README.md), the checkov-k8s corpus from Checkov's Kubernetes checks",
    "and their test objects (bench/corpus/checkov/README.md), the kube-score corpus from kube-score's checks and their",
    "fixture tests (bench/corpus/kube-score/README.md), the kube-linter corpus from kube-linter's built-in checks and",
    'their end-to-end fixtures (bench/corpus/kube-linter/README.md);',
    `"shared intents" are our own suites (../shared/intents). Code: ${report.code}. Machine: nproc ${report.machine.nproc}, Node ${report.machine.node}, load ${report.machine.loadAverage1m}.`,
    ...(report.settings.filter
      ? ['', `**Partial run**: only suites whose id contains \`${report.settings.filter}\`.`]
      : []),
    '',
    '| corpus | suites | refused | agrees | verified but wrong | share of produced policies that are wrong | wall time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...report.corpora.flatMap((c) => {
      const row = (
        name: string,
        n: { suites: number; refused: number; agrees: number; verifiedButWrong: number },
        time: string,
      ): string => {
        const produced = n.agrees + n.verifiedButWrong;
        return `| ${name} | ${n.suites} | ${n.refused} | ${n.agrees} | **${n.verifiedButWrong}** | ${produced ? `${Math.round((100 * n.verifiedButWrong) / produced)} %` : '-'} | ${time} |`;
      };
      const mine = report.suites.filter((s) => s.corpus === c.name);
      const variants = [...new Set(mine.map((s) => s.variant).filter((v): v is string => Boolean(v)))].sort();
      const byVariant = variants.map((v) => {
        const of = mine.filter((s) => s.variant === v);
        const count = (o: Outcome): number => of.filter((s) => s.outcome === o).length;
        return row(
          `↳ variant ${v}`,
          {
            suites: of.length,
            refused: count('refused'),
            agrees: count('agrees'),
            verifiedButWrong: count('verified-but-wrong'),
          },
          '',
        );
      });
      return [row(c.name, c, `${(c.durationMs / 1000).toFixed(1)} s`), ...(variants.length > 1 ? byVariant : [])];
    }),
  ];
  const wrong = report.suites.filter((s) => s.outcome === 'verified-but-wrong');
  if (wrong.length) {
    lines.push(
      '',
      'Verified but wrong:',
      '',
      '| corpus | suite | intent (start) | offline reading | failing reference cases (expected → actual) |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const s of wrong) {
      const failing = (s.failing ?? []).map((f) => `${f.name} (${f.expected} → ${f.actual})`).join('; ');
      lines.push(
        `| ${s.corpus} | ${s.id} | ${cell(s.intent, 120)} | ${cell(s.reading ?? '', 100)} | ${cell(failing, 200)} |`,
      );
    }
  }
  const agrees = report.suites.filter((s) => s.outcome === 'agrees');
  if (agrees.length)
    lines.push(
      '',
      `Agrees: ${agrees.map((s) => `${s.corpus === 'shared intents' ? 'shared/' : ''}${s.id}`).join(', ')}.`,
    );
  return lines.join('\n');
}

function cell(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export async function run(): Promise<BenchSection> {
  const filter = process.env.POLICYFORGE_CORPUS_FILTER || undefined;
  const report = await runCorpus(corpusSources(), { filter, fuzz: process.env.POLICYFORGE_CORPUS_FUZZ !== '0' });
  // A filtered run never overwrites the full report others read.
  writeFileSync(
    assetPath('bench', 'corpus', filter ? 'last-report.partial.json' : 'last-report.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  return { title: 'Development corpus (offline generate vs reference cases)', markdown: renderCorpusSection(report) };
}
