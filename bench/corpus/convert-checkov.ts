import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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
 * Turns Bridgecrew's Checkov Kubernetes checks (checkov/kubernetes/checks/resource/k8s/*.py) and their test
 * objects (tests/kubernetes/checks/example_<Check>/) into suites in the shared format: a fifth development
 * corpus, in a fourth house style (a scanner check's title: "Containers should not run with
 * allowPrivilegeEscalation", "Image Tag should be fixed - not latest or blank"). Only the check's `name`, the test
 * objects and the verdicts are taken; the Python is read only to classify a check (its base class and kinds), never
 * copied.
 *
 * Verdicts as Checkov's own tests decide them. Each check has a tests/kubernetes/checks/test_<Check>.py that runs
 * Checkov on one example folder and asserts the summary counts (`summary['passed']`, `summary['failed']`), and
 * some also the resource ids (`Kind.namespace.name`) that pass and that fail. Checkov judges every document of a
 * supported kind (the check's `supported_kind` / `supported_entities`, or its base class's) one by one:
 * - where the test names the resource ids, an object named as passing is `allow`, as failing `deny`; a supported
 *   object it names in neither list is left out (not judged by Checkov: UNKNOWN);
 * - else the file name's verdict word (`-PASSED`, `-FAILED`, `pass`, `…UNKNOWN`): a file with one word gives its
 *   supported objects that verdict; UNKNOWN is a skip, not a verdict (left out); a file with no word, or with
 *   several (`-1PASSED-1FAILED`, `podFAILED-containerPASSED`), cannot be attributed object by object (left out).
 *   The verdicts so read are then checked against the counts the test asserts: when no file was left out for
 *   ambiguity they must be equal, otherwise no greater; a check where they disagree is skipped (an example folder
 *   shared by several checks is named for one of them).
 *
 * Skipped, with the reason in index.json: PodSecurityPolicy checks (the API no longer serves the kind),
 * control-plane configuration (API server, controller manager, scheduler, kubelet and etcd command-line flags,
 * read from the kube-system static pods: posture, not a rule someone admits workloads by), checks with no test,
 * and checks whose converted cases have only one verdict.
 *
 * `node dist/bench/corpus/convert-checkov.js <checkov checkout or bare git dir> [out dir]`
 */

export const CHECKOV_REPOSITORY = 'bridgecrewio/checkov';

const CHECKS_DIR = 'checkov/kubernetes/checks/resource/k8s';
const TESTS_DIR = 'tests/kubernetes/checks';

export interface CheckovSuite {
  /** `<CKV_K8S id>--<check class>`, also the file name. */
  id: string;
  check: string;
  checkId: string;
  intent: string;
  /** How the verdicts were read: the test's resource ids, or the file names checked against its counts. */
  verdicts: 'resource ids' | 'file names + counts';
  example: string;
  cases: TestCase[];
  dropped: Array<{ case: string; reason: string }>;
  adjusted: Array<{ case: string; change: string }>;
}

export interface CheckovConversion {
  suites: CheckovSuite[];
  skipped: Array<{ id: string; check: string; intent: string; reason: string }>;
}

/** Checkov's container checks (base_container_check.py SUPPORTED_ENTITIES): pods and pod-template controllers. */
const CONTAINER_KINDS = [
  'CronJob',
  'Pod',
  'PodTemplate',
  'Deployment',
  'DeploymentConfig',
  'DaemonSet',
  'Job',
  'ReplicaSet',
  'ReplicationController',
  'StatefulSet',
];
const ROOT_CONTAINER_KINDS = [
  'Pod',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
];
const RBAC_KINDS = ['Role', 'ClusterRole'];

/** A check's Python source, read for what it judges (never copied). */
export interface CheckSource {
  check: string;
  checkId: string;
  name: string;
  base: string;
  kinds: string[];
}

/** The check's name, id, base class and the kinds it judges, from its source. */
export function readCheck(check: string, python: string): CheckSource | undefined {
  const name = /^\s*name\s*=\s*(["'])(.*?)\1/m.exec(python)?.[2];
  const checkId = /^\s*id\s*=\s*(["'])(.*?)\1/m.exec(python)?.[2];
  const base = /^class\s+\w+\((\w+)\)/m.exec(python)?.[1];
  if (!name || !checkId || !base) return undefined;
  return { check, checkId, name, base, kinds: kindsOf(python, base) };
}

function kindsOf(python: string, base: string): string[] {
  const m = /supported_(?:kind|entities)\s*=\s*([[(])/.exec(python);
  if (m) {
    const close = m[1] === '[' ? ']' : ')';
    const start = m.index + m[0].length;
    let depth = 1;
    let end = start;
    for (; end < python.length && depth; end++) {
      if (python[end] === m[1]) depth++;
      else if (python[end] === close) depth--;
    }
    const body = python.slice(start, end - 1);
    const quoted = [...body.matchAll(/(["'])(\w+)\1/g)].map((q) => q[2]);
    // `[entity for entity in BaseK8sContainerCheck.SUPPORTED_ENTITIES if entity not in ("CronJob", "Job")]`
    if (/SUPPORTED_ENTITIES/.test(body) && /\bnot in\b/.test(body))
      return CONTAINER_KINDS.filter((k) => !quoted.includes(k));
    return quoted;
  }
  if (base === 'BaseK8sContainerCheck') return CONTAINER_KINDS;
  if (base === 'BaseK8sRootContainerCheck') return ROOT_CONTAINER_KINDS;
  if (base === 'BaseRbacK8sCheck') return RBAC_KINDS;
  return [];
}

/** What test_<Check>.py asserts: its example folder, the summary counts and, when given, the resource ids. */
export interface CheckTest {
  file: string;
  example: string;
  passed: number;
  failed: number;
  passing?: string[];
  failing?: string[];
}

export function readTest(file: string, python: string): CheckTest | undefined {
  const example = /["'/](example_\w+)/.exec(python)?.[1];
  const count = (what: string): number | undefined => {
    const m = new RegExp(`summary\\[["']${what}["']\\],\\s*(\\d+)`).exec(python);
    return m ? Number(m[1]) : undefined;
  };
  const passed = count('passed');
  const failed = count('failed');
  if (!example || passed === undefined || failed === undefined) return undefined;
  // `passing_resources = {…}`, `expected_failed_resources = […]`: the first literal of each.
  const ids = (word: RegExp): string[] | undefined => {
    for (const m of python.matchAll(/^\s*(\w+)\s*=\s*([{[])([^}\]]*)[}\]]/gm)) {
      const quoted = [...m[3].matchAll(/(["'])([^"']+)\1/g)].map((q) => q[2]);
      if (word.test(m[1]) && /resources/.test(m[1]) && quoted.length) return quoted;
    }
    return undefined;
  };
  const passing = ids(/pass/);
  const failing = ids(/fail/);
  return { file, example, passed, failed, ...(passing && failing ? { passing, failing } : {}) };
}

type Verdict = 'passed' | 'failed' | 'unknown';

/** The verdict words of an example file's name (`-PASSED`, `FAILED_2`, `-pass`, `UNKOWN`), in order. */
export function fileVerdicts(file: string): Verdict[] {
  const stem = basename(file).replace(/\.(ya?ml|json)$/i, '');
  return [...stem.matchAll(/\d*(passed|failed|unknown|unkown|pass)(?![a-z])/gi)].map((m) => {
    const w = m[1].toLowerCase();
    return w === 'failed' ? 'failed' : w.startsWith('pass') ? 'passed' : 'unknown';
  });
}

/** Why a check is not a single-object admission rule; undefined when it is one. */
export function checkSkipReason(c: CheckSource): string | undefined {
  if (c.kinds.includes('PodSecurityPolicy'))
    return 'judges PodSecurityPolicy objects, a kind the API no longer serves (removed in 1.25)';
  if (
    /^(ApiServer|Etcd|Kubelet|Kublet|KubeController|ControllerManager|Scheduler|PeerClient|RotateKubelet)/.test(
      c.check,
    ) ||
    /\s--[a-z-]+|admission control plugin|\bAPI Server\b|\bKubelet\b/.test(c.name)
  )
    return "control-plane configuration: the command-line flags of the API server, controller manager, scheduler, kubelet or etcd (their kube-system static pods' commands), posture rather than a rule workloads are admitted by";
  if (!c.kinds.length) return 'no supported kinds could be read from the check';
  return undefined;
}

interface Doc {
  file: string;
  name: string;
  object: KubeObject & Record<string, unknown>;
}

/** Every document of the example folder, `kind: List` expanded, named `<file stem>` or `<file stem>#<n>`. */
function exampleDocs(dir: string): Doc[] {
  const out: Doc[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()) {
    let docs: unknown[];
    try {
      docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS() as unknown);
    } catch {
      continue;
    }
    const isObject = (d: unknown): d is Doc['object'] => Boolean(d && typeof d === 'object' && !Array.isArray(d));
    const objects = docs
      .filter(isObject)
      .flatMap((d) => (d.kind === 'List' && Array.isArray(d.items) ? d.items.filter(isObject) : [d]));
    const stem = file.replace(/\.(ya?ml|json)$/i, '');
    objects.forEach((object, i) => out.push({ file, name: objects.length > 1 ? `${stem}#${i + 1}` : stem, object }));
  }
  return out;
}

/** Checkov's resource id: `Kind.<namespace, default when none>.<name>`. */
const resourceId = (o: KubeObject): string => `${o.kind}.${o.metadata?.namespace ?? 'default'}.${o.metadata?.name}`;

/** Converts a checked-out Checkov tree (`root` holds checkov/kubernetes/… and tests/kubernetes/checks/). */
export function convertCheckov(root: string, catalog: ApiCatalog = builtinCatalog()): CheckovConversion {
  const suites: CheckovSuite[] = [];
  const skipped: CheckovConversion['skipped'] = [];
  const testsDir = join(root, TESTS_DIR);
  const tests = new Map<string, CheckTest>();
  for (const f of readdirSync(testsDir)
    .filter((x) => /^test_.*\.py$/.test(x))
    .sort()) {
    const python = readFileSync(join(testsDir, f), 'utf8');
    const imported = /from checkov\.kubernetes\.checks\.resource\.k8s\.(\w+) import check/.exec(python)?.[1];
    const test = imported && !tests.has(imported) ? readTest(f, python) : undefined;
    if (imported && test) tests.set(imported, test);
  }
  const checkFiles = readdirSync(join(root, CHECKS_DIR))
    .filter((f) => f.endsWith('.py') && !f.startsWith('__') && f !== 'k8s_check_utils.py')
    .sort();
  for (const f of checkFiles) {
    const check = f.replace(/\.py$/, '');
    const c = readCheck(check, readFileSync(join(root, CHECKS_DIR, f), 'utf8'));
    if (!c) continue;
    const id = `${c.checkId}--${check}`;
    const skip = (reason: string): void => void skipped.push({ id, check, intent: c.name, reason });
    const why = checkSkipReason(c);
    if (why) {
      skip(why);
      continue;
    }
    const test = tests.get(check);
    if (!test || !existsSync(join(testsDir, test.example))) {
      skip('no test of its own (no tests/kubernetes/checks/test_*.py imports it with an example folder)');
      continue;
    }
    const read = readVerdicts(c, test, exampleDocs(join(testsDir, test.example)));
    if ('reason' in read) {
      skip(read.reason);
      continue;
    }
    const cases: TestCase[] = [];
    const dropped = [...read.dropped];
    const adjusted: CheckovSuite['adjusted'] = [];
    for (const v of read.verdicts) {
      const made = catalogCase(
        structuredClone(v.doc.object),
        v.doc.name,
        v.verdict === 'failed' ? 'deny' : 'allow',
        catalog,
      );
      const invalid = 'reason' in made ? made.reason : formatProblem(made.testCase);
      if (invalid) dropped.push({ case: v.doc.name, reason: invalid });
      else if (!('reason' in made)) {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: v.doc.name, change: made.change });
      }
    }
    const deny = cases.filter((x) => x.expect === 'deny').length;
    const allow = cases.length - deny;
    if (!deny || !allow) {
      skip(
        `needs both a deny and an allow case (upstream's tests give ${deny} deny, ${allow} allow${dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : ''})`,
      );
      continue;
    }
    suites.push({
      id,
      check,
      checkId: c.checkId,
      intent: c.name,
      verdicts: test.passing ? 'resource ids' : 'file names + counts',
      example: test.example,
      cases,
      dropped,
      adjusted,
    });
  }
  return { suites, skipped };
}

/** Why the suite format rejects the case (`annotations:` left empty, which parses as null), or undefined. */
function formatProblem(c: TestCase): string | undefined {
  try {
    parseCase(structuredClone(c), c.name);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `not a valid suite object: ${message.replace(/^.*?: /, '')}`;
  }
}

type Read =
  | { verdicts: Array<{ doc: Doc; verdict: 'passed' | 'failed' }>; dropped: CheckovSuite['dropped'] }
  | { reason: string };

/** Each supported object's verdict, from the test's resource ids or from its file's name checked against the counts. */
function readVerdicts(c: CheckSource, test: CheckTest, docs: Doc[]): Read {
  const judged = docs.filter((d) => typeof d.object.kind === 'string' && c.kinds.includes(d.object.kind));
  const verdicts: Array<{ doc: Doc; verdict: 'passed' | 'failed' }> = [];
  const dropped: CheckovSuite['dropped'] = [];
  if (test.passing && test.failing) {
    const passing = new Set(test.passing);
    const failing = new Set(test.failing);
    const seen = judged.map((d) => resourceId(d.object));
    for (const doc of judged) {
      const rid = resourceId(doc.object);
      if (seen.indexOf(rid) !== seen.lastIndexOf(rid))
        dropped.push({ case: doc.name, reason: `several objects share the resource id ${rid}: not attributable` });
      else if (passing.has(rid)) verdicts.push({ doc, verdict: 'passed' });
      else if (failing.has(rid)) verdicts.push({ doc, verdict: 'failed' });
      else dropped.push({ case: doc.name, reason: `${test.file} names ${rid} neither passing nor failing` });
    }
    const found = new Set(seen);
    const missing = [...passing, ...failing].filter((r) => !found.has(r));
    if (missing.length) return { reason: `${test.file} names ${missing.join(', ')}, not found in ${test.example}` };
    return { verdicts, dropped };
  }
  let ambiguous = 0;
  for (const doc of judged) {
    const words = [...new Set(fileVerdicts(doc.file))];
    if (words.length === 1 && words[0] === 'unknown')
      dropped.push({ case: doc.name, reason: 'UNKNOWN in the file name: Checkov skips it, not a verdict' });
    else if (words.length === 1) verdicts.push({ doc, verdict: words[0] as 'passed' | 'failed' });
    else {
      ambiguous++;
      dropped.push({
        case: doc.name,
        reason: words.length
          ? `the file name gives several verdicts (${fileVerdicts(doc.file).join(', ')}) and ${test.file} asserts only counts: not attributable to one object`
          : `the file name gives no verdict and ${test.file} asserts only counts: not attributable`,
      });
    }
  }
  const passed = verdicts.filter((v) => v.verdict === 'passed').length;
  const failed = verdicts.length - passed;
  const agrees = ambiguous
    ? passed <= test.passed && failed <= test.failed
    : passed === test.passed && failed === test.failed;
  if (!agrees)
    return {
      reason: `the file names of ${test.example} give ${passed} passed, ${failed} failed${ambiguous ? ` (${ambiguous} objects not attributable)` : ''}, but ${test.file} asserts ${test.passed} passed, ${test.failed} failed: the names are not this check's verdicts`,
    };
  return { verdicts, dropped };
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderCheckovSuite(s: CheckovSuite, commit: string): string {
  const header = [
    `# From ${CHECKOV_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © Bridgecrew / Palo Alto Networks): ${CHECKS_DIR}/${s.check}.py (${s.checkId}).`,
    `# Cases: ${TESTS_DIR}/${s.example}/, verdicts from ${s.verdicts === 'resource ids' ? "the test's resource ids" : 'the file names, checked against the counts the test asserts'}.`,
    '# Generated by bench/corpus/convert-checkov.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

export function writeCheckovCorpus(conversion: CheckovConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: CHECKOV_REPOSITORY,
      licence: 'Apache-2.0',
      attribution: 'Copyright Bridgecrew (Palo Alto Networks) and the Checkov contributors',
    },
    conversion,
    {
      render: (s) => renderCheckovSuite(s, commit),
      names: (s) => ({ check: s.check, checkId: s.checkId, example: s.example, verdicts: s.verdicts }),
      notes: (s) => ({ dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-checkov.js',
  source: '<checkov checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'checkov'],
  checkout: { marker: CHECKS_DIR, paths: [CHECKS_DIR, TESTS_DIR], name: 'checkov' },
  convert: (root, commit, out) => {
    const conversion = convertCheckov(root);
    writeCheckovCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
