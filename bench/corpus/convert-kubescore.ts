import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import { parseCase, type KubeObject, type TestCase } from '../../common/index.js';
import {
  catalogCase,
  runConverter,
  writeConvertedCorpus,
  suiteFileText,
  type ConverterCommand,
  conversionLine,
} from './checkout.js';

/**
 * Turns zegl/kube-score's checks (registered in score/<package>/*.go with a name and a description) and the
 * fixture tests of score/*_test.go into suites in the shared format: a seventh development corpus, in a fifth house
 * style (a linter's "Makes sure that all pods have a security context with read only filesystem set"). Read at
 * zegl/kube-score@06dedc9ccce58bff50a4f42a3ce0633dc72b0dfa (MIT, © Gustav Westling); only the descriptions, the
 * fixture objects and the grades the tests assert are taken, never Go code.
 *
 * Verdicts as kube-score's own tests decide them. A fixture test calls `testExpectedScore(t, "<fixture>", "<Check
 * Name>", scorecard.Grade…)` or `testExpectedScoreWithConfig(t, []ks.NamedReader{testFile("<fixture>")}, <checks
 * config>, &config.RunConfiguration{…}, "<Check Name>", scorecard.Grade…)`, sometimes inside a `for _, v := range
 * []string{…}` loop that names the fixture (`"cronjob-"+v+"-deadline-set.yaml"`, expanded here). The helper scores
 * every object of the fixture and asserts the grade of the first scored object that carries the check, in the order
 * of a Go map (scorecard.Scorecard): so a verdict belongs to an object only when the fixture holds exactly one object
 * the check judges; a fixture with several is left out (not attributable), whatever the others are.
 * - GradeCritical → deny; GradeWarning → deny: in every kept check a warning marks an object that does not do what
 *   the description says (only limits and no requests, "resource limits and requests set"; no ephemeral-storage
 *   request; no or a non-matching podAntiAffinity; no seccomp profile; a NodePort Service, "type is not NodePort"),
 *   and kube-score reports it as a finding; GradeAllOK → allow. Grade 0 (kube-score skipped the object: a
 *   one-replica Deployment has no anti-affinity to check) and GradeAlmostOK are not verdicts: left out.
 * - A check judges Pods and the pod controllers kube-score reads a pod template from (parser/parse.go: Job,
 *   CronJob, Deployment, StatefulSet, DaemonSet) through their template, the fixture's kind kept as the case object;
 *   the others judge their own kind (Deployment, StatefulSet, CronJob, Service, …) or, for meta checks, every object.
 * - Configuration: a check's registration may take a run-configuration value (score/score.go RegisterAllChecks
 *   passes `runConfig.<Field>` to the package's Register). Its description states kube-score's default behaviour,
 *   the command line's defaults (cmd/kube-score/main.go: --min-replicas-hpa 2, --ignore-container-cpu-limit false,
 *   --kubernetes-version v1.18, …), so a test run with another value for a field the check reads (MinReplicasHPA: 5;
 *   IgnoreContainerCpuLimitRequirement: true; `testExpectedScore`'s zero MinReplicasHPA) is left out. Enabling an
 *   optional check (EnabledOptionalTests, the kube-score/enable annotation) does not change its grade: kept.
 *
 * The intent is the description, as written, except: a sentence on how to use a command-line flag ("The
 * --ignore-container-cpu-limit flag can be used to disable the requirement of having a CPU limit") and a bare
 * reference link (https://kubernetes.io/docs/…) are removed, each edit recorded in the suite's header and
 * index.json.
 *
 * Skipped, with the reason in index.json: checks whose verdict depends on other objects of the input (their
 * registration is handed the parsed objects: Services targeting pods, HPAs, PodDisruptionBudgets,
 * NetworkPolicies, Ingress backends), the apiVersion check (it judges apiVersions the API server no longer serves,
 * so no admitted object carries its deny), optional checks whose description names no rule ("Container Ports
 * Checks"), checks no fixture test asserts a grade for (the unit tests of score/<package>/*_test.go build their
 * objects in Go and are not read), and checks whose converted cases have only one verdict.
 *
 * `node dist/bench/corpus/convert-kubescore.js <kube-score checkout or bare git dir> [out dir]`
 */

export const KUBESCORE_REPOSITORY = 'zegl/kube-score';

const SCORE_DIR = 'score';
const TESTDATA_DIR = 'score/testdata';

/** The kinds a pod check judges: Pod, and the controllers kube-score reads a pod template from (parser/parse.go). */
const POD_KINDS = ['Pod', 'Job', 'CronJob', 'Deployment', 'StatefulSet', 'DaemonSet'];

/**
 * The run-configuration fields a check can read, with the command line's default (cmd/kube-score/main.go) and Go's
 * zero value (what a test that does not set the field runs with).
 */
const RUN_CONFIG: Record<string, { flag: string; cliDefault: string; zero: string }> = {
  IgnoreContainerCpuLimitRequirement: { flag: '--ignore-container-cpu-limit', cliDefault: 'false', zero: 'false' },
  IgnoreContainerMemoryLimitRequirement: {
    flag: '--ignore-container-memory-limit',
    cliDefault: 'false',
    zero: 'false',
  },
  KubernetesVersion: { flag: '--kubernetes-version', cliDefault: '1.18', zero: '0.0' },
  MinReplicasDeployment: { flag: '--min-replicas-deployment', cliDefault: '2', zero: '0' },
  MinReplicasHPA: { flag: '--min-replicas-hpa', cliDefault: '2', zero: '0' },
};

/** What `testExpectedScore` runs with (score/score_test.go): Kubernetes 1.18, every other field its zero value. */
const TEST_EXPECTED_SCORE_CONFIG: Record<string, string> = { KubernetesVersion: '1.18' };

/** Optional checks whose description names the check, not what it requires: a reader has nothing to read. */
const UNCLEAR_OPTIONAL: Record<string, string> = {
  'container-ports-check':
    'an optional check whose description ("Container Ports Checks") names no rule; its tests judge duplicate port names, name length and a missing containerPort',
};

/** A check as score/<package>/*.go registers it. */
export interface KubeScoreCheck {
  /** `Container Security Context Privileged`: the name the tests use. */
  name: string;
  /** `container-security-context-privileged` (checks.go machineFriendlyName), also the suite id. */
  id: string;
  description: string;
  /** `Pod`, `Deployment`, `StatefulSet`, `CronJob`, `Service`, … or `all` (a meta check). */
  target: string;
  optional: boolean;
  /** The Go file that registers it, under score/. */
  file: string;
  /** The run-configuration fields its registration reads (`MinReplicasHPA`). */
  config: string[];
  /** The other inputs its registration reads (`allObjects.Services()`): its verdict depends on other objects. */
  objects: string[];
}

/** checks.go machineFriendlyName: lower case, spaces to dashes. */
export const checkId = (name: string): string => name.toLowerCase().replaceAll(' ', '-');

/** The kinds a check judges; undefined for a meta check (every object). */
export function checkKinds(target: string): string[] | undefined {
  if (target === 'all') return undefined;
  return target === 'Pod' ? POD_KINDS : [target];
}

/** A Go string literal's value: "…" with its escapes, or `…` raw. */
function goString(literal: string): string | undefined {
  const t = literal.trim();
  if (t.startsWith('`') && t.endsWith('`')) return t.slice(1, -1);
  if (t.startsWith('"') && t.endsWith('"')) return JSON.parse(t) as string;
  return undefined;
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas; and where the call ends. */
function callArgs(src: string, open: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < src.length; i++) {
    const ch = src[i];
    if (ch === '"' || ch === '`') {
      const close = ch === '"' ? /(?<!\\)"/g : /`/g;
      close.lastIndex = i + 1;
      const m = close.exec(src);
      if (!m) break;
      i = m.index;
    } else if ('({['.includes(ch)) depth++;
    else if (')}]'.includes(ch)) {
      depth--;
      if (depth === 0) {
        args.push(src.slice(start, i).trim());
        return { args: args.filter((a, n) => a || n < args.length - 1), end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(src.slice(start, i).trim());
      start = i + 1;
    }
  }
  return { args, end: src.length };
}

/** `allChecks *checks.Checks, ignoreCpu, ignoreMemory bool` → the parameter names, in order. */
function goParams(list: string): string[] {
  return list
    .split(',')
    .map((p) => p.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** `pkg.Register(…)` in score/score.go RegisterAllChecks: package → its arguments. */
function registerCalls(scoreGo: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of scoreGo.matchAll(/^\s*(\w+)\.Register\(/gm)) {
    out.set(m[1], callArgs(scoreGo, m.index + m[0].length - 1).args);
  }
  return out;
}

/** Every check registered under score/ (not its tests), in file and registration order. */
export function readChecks(root: string): KubeScoreCheck[] {
  const scoreDir = join(root, SCORE_DIR);
  const calls = registerCalls(readFileSync(join(scoreDir, 'score.go'), 'utf8'));
  const checks: KubeScoreCheck[] = [];
  for (const pkg of readdirSync(scoreDir).sort()) {
    const dir = join(scoreDir, pkg);
    if (!statSync(dir).isDirectory() || pkg === 'testdata' || pkg === 'checks') continue;
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.go') && !x.endsWith('_test.go'))
      .sort()) {
      const go = readFileSync(join(dir, f), 'utf8');
      const register = /^func Register\(([^)]*)\)/m.exec(go);
      if (!register) continue;
      const params = goParams(register[1]);
      const args = calls.get(pkg) ?? [];
      // A parameter is what RegisterAllChecks passes in its place: `runConfig.Field`, or the parsed objects.
      const passed = new Map(params.map((p, i) => [p, args[i] ?? '']));
      for (const m of go.matchAll(/\ballChecks\.Register(Optional)?(\w+?)Check\(/g)) {
        const [nameArg, descArg, fnArg] = callArgs(go, m.index + m[0].length - 1).args;
        const name = goString(nameArg ?? '');
        const description = goString(descArg ?? '');
        if (!name || description === undefined || !fnArg) continue;
        const config = new Set<string>();
        const objects = new Set<string>();
        // `all.Services()` with `all` a parameter RegisterAllChecks fills with `allObjects`: `allObjects.Services()`.
        for (const use of fnArg.matchAll(/\b([A-Za-z_]\w*)((?:\.\w+\(\))*)/g)) {
          const arg = passed.get(use[1]);
          if (arg === undefined || use[1] === 'allChecks') continue;
          const field = /^runConfig\.(\w+)$/.exec(arg)?.[1];
          if (field) config.add(field);
          else objects.add(`${arg || use[1]}${use[2]}`);
        }
        checks.push({
          name,
          id: checkId(name),
          description,
          target: m[2] === 'Meta' ? 'all' : m[2],
          optional: Boolean(m[1]),
          file: `${SCORE_DIR}/${pkg}/${f}`,
          config: [...config],
          objects: [...objects],
        });
      }
    }
  }
  return checks;
}

export type Grade = 'critical' | 'warning' | 'almost-ok' | 'all-ok' | 'skipped';

/** One grade a fixture test asserts. */
export interface Assertion {
  /** `security_test.go:TestContainerSecurityContextPrivilegedPrivileged`. */
  test: string;
  check: string;
  /** The fixtures named (several only where one call names several files; a loop gives one assertion each). */
  files: string[];
  grade: Grade | string;
  /** The run configuration's fields as the call sets them (`MinReplicasHPA` → `5`, `KubernetesVersion` → `1.4`). */
  config: Record<string, string>;
  /** The checks configuration, when not nil (ignored checks). */
  checksConfig?: string;
}

const GRADES: Record<string, Grade> = {
  'scorecard.GradeCritical': 'critical',
  'scorecard.GradeWarning': 'warning',
  'scorecard.GradeAlmostOK': 'almost-ok',
  'scorecard.GradeAllOK': 'all-ok',
  '0': 'skipped',
};

/** `"a" + v + ".yaml"` with `v` a loop variable → every value; undefined when it is not such an expression. */
function stringValues(expr: string, loops: Map<string, string[]>): string[] | undefined {
  let values = [''];
  for (const part of expr.split('+').map((p) => p.trim())) {
    const literal = goString(part);
    const options = literal !== undefined ? [literal] : loops.get(part);
    if (!options) return undefined;
    values = values.flatMap((v) => options.map((o) => v + o));
  }
  return values;
}

/** `&config.RunConfiguration{ MinReplicasHPA: 5, KubernetesVersion: config.Semver{Major: 1, Minor: 4} }` → fields. */
function runConfiguration(expr: string): Record<string, string> {
  const open = expr.indexOf('{');
  if (expr.trim() === 'nil' || open < 0) return {};
  const fields: Record<string, string> = {};
  for (const field of callArgs(expr, open).args) {
    const m = /^(\w+)\s*:\s*([\s\S]+)$/.exec(field.trim());
    if (!m) continue;
    const semver = /Major:\s*(\d+),\s*Minor:\s*(\d+)/.exec(m[2]);
    fields[m[1]] = semver ? `${semver[1]}.${semver[2]}` : m[2].trim();
  }
  return fields;
}

/** Every `testExpectedScore` / `testExpectedScoreWithConfig` call of one score/*_test.go, loops expanded. */
export function readAssertions(file: string, go: string): Assertion[] {
  const out: Assertion[] = [];
  for (const fn of go.matchAll(/^func (Test\w+)\(t \*testing\.T\) \{\n([\s\S]*?)^\}/gm)) {
    const body = fn[2];
    const loops = new Map<string, string[]>();
    for (const loop of body.matchAll(/for _, (\w+) := range \[\]string\{([^}]*)\}/g))
      loops.set(
        loop[1],
        [...loop[2].matchAll(/"([^"]*)"/g)].map((s) => s[1]),
      );
    for (const call of body.matchAll(/\btestExpectedScore(WithConfig)?\(/g)) {
      const { args } = callArgs(body, call.index + call[0].length - 1);
      const withConfig = Boolean(call[1]);
      if (args.length !== (withConfig ? 6 : 4)) continue;
      const [fileArg, checkArg, gradeArg] = withConfig ? [args[1], args[4], args[5]] : [args[1], args[2], args[3]];
      const check = goString(checkArg);
      const files = withConfig
        ? [...fileArg.matchAll(/testFile\(([^)]*)\)/g)].map((t) => stringValues(t[1], loops))
        : [stringValues(fileArg, loops)];
      if (!check || files.some((f) => f === undefined)) continue;
      const config = withConfig ? runConfiguration(args[3]) : TEST_EXPECTED_SCORE_CONFIG;
      const checksConfig = withConfig && args[2] !== 'nil' ? args[2] : undefined;
      const grade = GRADES[gradeArg] ?? gradeArg;
      // A loop over fixture names is one assertion per name; several files in one call stay one assertion.
      const perCall = files.length === 1 ? (files[0] as string[]).map((f) => [f]) : [files.flat() as string[]];
      for (const names of perCall)
        out.push({
          test: `${file}:${fn[1]}`,
          check,
          files: names,
          grade,
          config,
          ...(checksConfig ? { checksConfig } : {}),
        });
    }
  }
  return out;
}

export interface KubeScoreSuite {
  /** The check's id (`container-security-context-privileged`), also the file name. */
  id: string;
  check: string;
  target: string;
  optional: boolean;
  file: string;
  intent: string;
  /** What was removed from the description on the way to the intent. */
  intentEdits: string[];
  /** The tests whose assertions became cases. */
  tests: string[];
  /** The deny cases whose test asserts GradeWarning (the others GradeCritical). */
  warnings: string[];
  cases: TestCase[];
  dropped: Array<{ case: string; reason: string }>;
  adjusted: Array<{ case: string; change: string }>;
}

export interface KubeScoreConversion {
  suites: KubeScoreSuite[];
  skipped: Array<{ id: string; check: string; intent: string; reason: string }>;
}

/** The description as an intent: flag-usage sentences and bare reference links removed, each edit named. */
export function intentOf(description: string): { intent: string; edits: string[] } {
  const edits: string[] = [];
  let text = description;
  for (const m of description.matchAll(/(?:^|(?<=[.!?]\s))The --[a-z-]+ flag can be used[^.]*(?:\.|$)/g)) {
    edits.push(`removed the flag-usage sentence "${m[0].trim()}"`);
    text = text.replace(m[0], '');
  }
  for (const m of text.matchAll(/https?:\/\/\S+/g)) {
    edits.push(`removed the reference link ${m[0]}`);
    text = text.replace(m[0], '');
  }
  return { intent: text.replace(/\s+/g, ' ').trim(), edits };
}

interface Doc {
  name: string;
  object: KubeObject & Record<string, unknown>;
}

/** A fixture's objects (`kind: List` expanded), named `<stem>` or `<stem>#<n>` when it holds several. */
function fixtureDocs(path: string): Doc[] {
  const isObject = (d: unknown): d is Doc['object'] => Boolean(d && typeof d === 'object' && !Array.isArray(d));
  const objects = parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter(isObject)
    .flatMap((d) => (d.kind === 'List' && Array.isArray(d.items) ? d.items.filter(isObject) : [d]));
  const stem = path.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  return objects.map((object, i) => ({ name: objects.length > 1 ? `${stem}#${i + 1}` : stem, object }));
}

/** Why a run configuration is not the one the description states (for the fields the check reads), or undefined. */
function configProblem(check: KubeScoreCheck, config: Record<string, string>): string | undefined {
  for (const field of check.config) {
    const known = RUN_CONFIG[field];
    if (!known) return `the check reads ${field}, a configuration this converter does not know`;
    const value = config[field] ?? known.zero;
    if (value !== known.cliDefault)
      return `run with ${field} ${value}; the description states kube-score's default (${known.flag} ${known.cliDefault})`;
  }
  return undefined;
}

/** Why the suite format rejects the case, or undefined. */
function formatProblem(c: TestCase): string | undefined {
  try {
    parseCase(structuredClone(c), c.name);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `not a valid suite object: ${message.replace(/^.*?: /, '')}`;
  }
}

/** Why a check is not a single-object admission rule, or undefined. */
export function checkSkipReason(c: KubeScoreCheck): string | undefined {
  if (c.objects.length)
    return `its verdict depends on other objects of the input (its registration is handed ${c.objects.join(', ')}): not a rule one object can be admitted by`;
  if (c.config.includes('KubernetesVersion'))
    return "judges the object's apiVersion against a Kubernetes version: the apiVersions it warns about are ones the API server no longer serves, so no object it could admit carries a deny";
  if (c.optional && UNCLEAR_OPTIONAL[c.id]) return UNCLEAR_OPTIONAL[c.id];
  return undefined;
}

/** Converts a kube-score tree (`root` holds score/). */
export function convertKubeScore(root: string, catalog: ApiCatalog = builtinCatalog()): KubeScoreConversion {
  const checks = readChecks(root);
  const assertions: Assertion[] = [];
  const scoreDir = join(root, SCORE_DIR);
  for (const f of readdirSync(scoreDir)
    .filter((x) => x.endsWith('_test.go'))
    .sort())
    assertions.push(...readAssertions(f, readFileSync(join(scoreDir, f), 'utf8')));
  const suites: KubeScoreSuite[] = [];
  const skipped: KubeScoreConversion['skipped'] = [];
  for (const c of [...checks].sort((a, b) => a.id.localeCompare(b.id))) {
    const { intent, edits } = intentOf(c.description);
    const skip = (reason: string): void => void skipped.push({ id: c.id, check: c.name, intent, reason });
    const why = checkSkipReason(c);
    if (why) {
      skip(why);
      continue;
    }
    const mine = assertions.filter((a) => a.check === c.name);
    if (!mine.length) {
      skip('no fixture test (score/*_test.go testExpectedScore…) asserts a grade for it');
      continue;
    }
    const kinds = checkKinds(c.target);
    const dropped: KubeScoreSuite['dropped'] = [];
    const adjusted: KubeScoreSuite['adjusted'] = [];
    const found = new Map<string, { expect: 'allow' | 'deny'; test: string; doc: Doc; warning: boolean }>();
    const conflicting = new Set<string>();
    for (const a of mine) {
      const label = a.files.map((f) => f.replace(/\.ya?ml$/, '')).join(' + ');
      const leaveOut = (reason: string): void => void dropped.push({ case: label, reason: `${a.test}: ${reason}` });
      if (a.grade !== 'critical' && a.grade !== 'warning' && a.grade !== 'all-ok') {
        leaveOut(
          a.grade === 'skipped'
            ? 'asserts grade 0, kube-score skipping the object: not a verdict'
            : `asserts ${a.grade}: neither a finding nor all OK`,
        );
        continue;
      }
      const problem = a.checksConfig
        ? `run with the checks configuration ${a.checksConfig}`
        : configProblem(c, a.config);
      if (problem) {
        leaveOut(problem);
        continue;
      }
      if (a.files.length !== 1) {
        leaveOut('scores several fixtures together: not attributable to one object');
        continue;
      }
      const path = join(root, TESTDATA_DIR, a.files[0]);
      if (!existsSync(path)) {
        leaveOut(`${a.files[0]} is not in ${TESTDATA_DIR}`);
        continue;
      }
      const docs = fixtureDocs(path);
      const judged = docs.filter((d) => typeof d.object.kind === 'string' && (!kinds || kinds.includes(d.object.kind)));
      if (judged.length !== 1) {
        leaveOut(
          judged.length
            ? `the fixture holds ${judged.length} objects the check judges (${judged.map((d) => d.object.kind).join(', ')}); the test asserts the grade of whichever kube-score meets first: not attributable`
            : `the fixture holds no object the check judges (${kinds?.join(', ')})`,
        );
        continue;
      }
      const [doc] = judged;
      const expect = a.grade === 'all-ok' ? 'allow' : 'deny';
      const seen = found.get(doc.name);
      if (seen && seen.expect !== expect) conflicting.add(doc.name);
      else if (!seen) found.set(doc.name, { expect, test: a.test, doc, warning: a.grade === 'warning' });
    }
    const cases: TestCase[] = [];
    const warnings: string[] = [];
    for (const [name, f] of found) {
      if (conflicting.has(name)) {
        dropped.push({ case: name, reason: 'the tests assert both a finding and all OK for it' });
        continue;
      }
      const made = catalogCase(structuredClone(f.doc.object), name, f.expect, catalog);
      const invalid = 'reason' in made ? made.reason : formatProblem(made.testCase);
      if (invalid) dropped.push({ case: name, reason: invalid });
      else if (!('reason' in made)) {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: name, change: made.change });
        if (f.warning) warnings.push(name);
      }
    }
    const deny = cases.filter((x) => x.expect === 'deny').length;
    const allow = cases.length - deny;
    if (!deny || !allow) {
      skip(
        `needs both a deny and an allow case (its fixture tests give ${deny} deny, ${allow} allow${dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason.replace(/^[^:]+:\w+: /, '')))].join('; ')}` : ''})`,
      );
      continue;
    }
    suites.push({
      id: c.id,
      check: c.name,
      target: c.target,
      optional: c.optional,
      file: c.file,
      intent,
      intentEdits: edits,
      tests: [...new Set([...found.values()].filter((f) => !conflicting.has(f.doc.name)).map((f) => f.test))],
      warnings,
      cases,
      dropped,
      adjusted,
    });
  }
  return { suites, skipped };
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderKubeScoreSuite(s: KubeScoreSuite, commit: string): string {
  const header = [
    `# From ${KUBESCORE_REPOSITORY}@${commit.slice(0, 12)} (MIT, © Gustav Westling): ${s.file}, check "${s.check}"${s.optional ? ' (optional)' : ''}.`,
    `# Cases: ${TESTDATA_DIR}/, verdicts from the grades its fixture tests assert (Critical and Warning → deny, AllOK → allow).`,
    ...(s.intentEdits.length ? [`# Intent: the check's description; ${s.intentEdits.join('; ')}.`] : []),
    ...(s.warnings.length ? [`# Warning (a finding) → deny: ${s.warnings.join(', ')}.`] : []),
    '# Generated by bench/corpus/convert-kubescore.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

export function writeKubeScoreCorpus(conversion: KubeScoreConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    { repository: KUBESCORE_REPOSITORY, licence: 'MIT', attribution: 'Copyright (c) 2018 Gustav Westling' },
    conversion,
    {
      render: (s) => renderKubeScoreSuite(s, commit),
      names: (s) => ({ check: s.check, target: s.target, optional: s.optional, source: s.file, tests: s.tests }),
      notes: (s) => ({ intentEdits: s.intentEdits, warnings: s.warnings, dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-kubescore.js',
  source: '<kube-score checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'kube-score'],
  checkout: { marker: `${SCORE_DIR}/score.go`, paths: [SCORE_DIR], name: 'kube-score' },
  convert: (root, commit, out) => {
    const conversion = convertKubeScore(root);
    writeKubeScoreCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
