import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { builtinCatalog, parseApiVersion, type ApiCatalog } from '../../catalog/index.js';
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
 * Turns StackRox kube-linter's built-in checks (pkg/builtinchecks/yamls/*.yaml) and their end-to-end tests
 * (e2etests/bats-tests.sh running one check on tests/checks/<fixture>) into suites in the shared format: a seventh
 * development corpus, in a fifth house style (a linter finding's description, "Indicates when containers are not set
 * to runAsNonRoot…", "Alert on deployments with docker.sock mounted in containers", and an imperative remediation,
 * "Ensure the host's IPC namespace is not shared."). Converted from stackrox/kube-linter at
 * 35de568d49825fe0278d25d7fca5aa2467f9dd00, Apache-2.0 (© StackRox / Red Hat and the kube-linter contributors); only
 * the check's texts and scope, the fixture objects and the verdicts the tests assert are taken, no Go is copied.
 *
 * Two suites per check at most: the check's `description` (variant `description`) and, where it states the rule,
 * its `remediation` (variant `remediation`; one that says what to create, rewrite or vet instead is left out, see
 * REMEDIATION_NOT_A_RULE). Sentences that point to documentation (they hold a URL: "Refer to <url> for
 * details.") are cut.
 * kube-linter's descriptions often say when a finding is raised ("Indicates when X"): a reader may refuse them, never
 * read them inverted.
 *
 * Verdicts as the bats tests assert them. A test runs `kube-linter lint --include <check>` on one fixture and
 * asserts, through jq, the kind (sometimes the name) and the message of reports 0…n-1 and their count n. Each report
 * is attributed to the fixture objects the check judges (its scope's kinds, at their API group) that fit what the
 * assertion says: the kind, the name, the container a message names (`container "app"`) and the Service it names.
 * - one object fits: that object is reported, so `deny`;
 * - several fit and exactly one is not named as a non-firing object (`dont-fire…`, `should-pass…`, `good-…`, the
 *   fixtures' own convention): that one (the suite's `verdicts` says so);
 * - otherwise the report cannot be attributed, and every object it might name is left out;
 * - a judged object no report can name is `allow`, which holds only because the test asserts every report: a
 *   test whose count is not asserted, or that leaves a report 0…n-1 undescribed, or a report no object fits,
 *   skips the check.
 *
 * Skipped, with the reason in index.json: checks without an `--include` test (the template tests run a config
 * file), checks that relate several objects (dangling-*, bindings judged by the roles they bind, Services and
 * NetworkPolicies matched to pods, PodDisruptionBudgets to their deployments, env values from ConfigMaps and
 * Secrets, service accounts that must exist), schema and key-order checks, checks about the apiVersion itself,
 * checks whose verdict turns on a parameter none of their texts states (UNSTATED_PARAMETER), and checks whose
 * converted cases have only one verdict (the OpenShift DeploymentConfig and SecurityContextConstraints objects are
 * left out: the catalog does not know them).
 *
 * `node dist/bench/corpus/convert-kubelinter.js <kube-linter checkout or bare git dir> [out dir]`
 */

export const KUBE_LINTER_REPOSITORY = 'stackrox/kube-linter';

const CHECKS_DIR = 'pkg/builtinchecks/yamls';
const BATS_FILE = 'e2etests/bats-tests.sh';
const FIXTURES_DIR = 'tests/checks';

export type KubeLinterVariant = 'description' | 'remediation';

export interface KubeLinterSuite {
  /** `<check>--<variant>`, also the suite's file name. */
  id: string;
  /** The check's name (`run-as-non-root`), as `--include` names it. */
  check: string;
  variant: KubeLinterVariant;
  intent: string;
  /** The fixture the bats test lints (`tests/checks/run-as-non-root.yml`). */
  fixture: string;
  /** How the reports were attributed: all by what they say, or some by the fixture's `dont-fire` names. */
  verdicts: 'reports' | 'reports + dont-fire names';
  cases: TestCase[];
  dropped: Array<{ case: string; reason: string }>;
  adjusted: Array<{ case: string; change: string }>;
}

export interface KubeLinterConversion {
  suites: KubeLinterSuite[];
  skipped: Array<{ id: string; check: string; intent?: string; reason: string }>;
}

/** A built-in check's definition (pkg/builtinchecks/yamls/<file>.yaml). */
export interface CheckDefinition {
  name: string;
  description: string;
  remediation?: string;
  template: string;
  objectKinds: string[];
}

export function readCheckDefinition(yamlText: string): CheckDefinition | undefined {
  const raw = parseYaml(yamlText) as {
    name?: unknown;
    description?: unknown;
    remediation?: unknown;
    template?: unknown;
    scope?: { objectKinds?: unknown };
  } | null;
  if (!raw || typeof raw.name !== 'string' || typeof raw.description !== 'string' || typeof raw.template !== 'string')
    return undefined;
  const kinds = Array.isArray(raw.scope?.objectKinds) ? raw.scope.objectKinds.filter((k) => typeof k === 'string') : [];
  return {
    name: raw.name,
    description: raw.description,
    ...(typeof raw.remediation === 'string' ? { remediation: raw.remediation } : {}),
    template: raw.template,
    objectKinds: kinds,
  };
}

/**
 * The group and kind each scope name matches (pkg/objectkinds/*.go: DeploymentLike and JobLike match these group
 * kinds only, so an `extensions/v1beta1` Deployment is not judged; the others are one kind each).
 */
const SCOPE_KINDS: Record<string, Array<[group: string, kind: string]>> = {
  DeploymentLike: [
    ['apps', 'Deployment'],
    ['apps', 'DaemonSet'],
    ['apps.openshift.io', 'DeploymentConfig'],
    ['apps', 'StatefulSet'],
    ['apps', 'ReplicaSet'],
    ['', 'Pod'],
    ['', 'ReplicationController'],
    ['batch', 'Job'],
    ['batch', 'CronJob'],
  ],
  JobLike: [
    ['batch', 'Job'],
    ['batch', 'CronJob'],
  ],
  Service: [['', 'Service']],
  Role: [['rbac.authorization.k8s.io', 'Role']],
  ClusterRole: [['rbac.authorization.k8s.io', 'ClusterRole']],
  ClusterRoleBinding: [['rbac.authorization.k8s.io', 'ClusterRoleBinding']],
  RoleBinding: [['rbac.authorization.k8s.io', 'RoleBinding']],
  HorizontalPodAutoscaler: [['autoscaling', 'HorizontalPodAutoscaler']],
  PodDisruptionBudget: [['policy', 'PodDisruptionBudget']],
};

/** Templates whose verdict on an object depends on other objects, or on no object's content at all. */
const TEMPLATE_SKIP: Record<string, string> = {
  'access-to-resources':
    'relates several objects: a binding is judged by the rules of the Role or ClusterRole it binds',
  'dangling-horizontalpodautoscaler':
    'relates several objects: the HorizontalPodAutoscaler must target an object that exists',
  'dangling-ingress': 'relates several objects: the Ingress must point at a Service that exists',
  'dangling-networkpolicy': 'relates several objects: the NetworkPolicy must select pods of some deployment',
  'dangling-networkpolicypeer-podselector':
    'relates several objects: the NetworkPolicy peer must select pods of some deployment',
  'dangling-service': 'relates several objects: the Service must select pods of some deployment',
  'dangling-servicemonitor': 'relates several objects: the ServiceMonitor must select some Service',
  'env-value-from': 'relates several objects: env values must name ConfigMaps and Secrets (and keys) that exist',
  'non-existent-service-account': 'relates several objects: the service account must exist',
  'non-isolated-pod': 'relates several objects: the pods must be selected by some NetworkPolicy',
  'pdb-max-unavailable': "relates several objects: judged against the replicas of the PodDisruptionBudget's deployment",
  'pdb-min-available': "relates several objects: judged against the replicas of the PodDisruptionBudget's deployment",
  'disallowed-api-obj':
    'about the apiVersion itself (extensions/v1beta1), which the API no longer serves: moving a test object to a served apiVersion would change what it tests',
  kubeconform: 'schema validation (kubeconform), not a rule about what an object says',
  'sorted-keys': 'judges the order of keys in the YAML file, which an admission request does not keep',
};

/**
 * Checks whose verdict turns on a parameter (the check's `params`) that neither text states: read as written, a
 * text could only guess which values the check takes.
 */
export const UNSTATED_PARAMETER: Record<string, string> = {
  'dnsconfig-options':
    'the check requires the dnsConfig option ndots:2 (params Key/Value); the texts say only that dnsConfig options must be specified',
  'sensitive-host-mounts':
    'which host directories are sensitive is a parameter (/, /boot, /dev, /etc, /lib, /proc, /sys, /usr) neither text lists',
  'unsafe-sysctls':
    'which sysctls are unsafe is a parameter (kernel.msg, kernel.sem, kernel.shm, fs.mqueue., net.) neither text lists',
  'exposed-services':
    'the description says only "forbidden types"; the forbidden service types are a parameter (NodePort, LoadBalancer)',
  'priority-class-name':
    'the accepted priority class names are a parameter (system-cluster-critical, system-node-critical) neither text lists',
  'restart-policy':
    'the description says only "does not use a restart policy" while the check accepts Always and OnFailure only (a parameter of the template)',
  'required-label-owner':
    'both texts ask for an email annotation, while the check requires a label `owner` (params key: owner): the texts do not state the rule checked',
  'env-var-secret':
    'the check judges env vars whose name matches (?i).*secret.* and that have a literal value (params name/value); the texts do not say names decide',
};

/** Remediations that say what to create, rewrite or vet rather than what the object must be. */
export const REMEDIATION_NOT_A_RULE: Record<string, string> = {
  'cluster-admin-role-binding': 'says to create and assign a separate role, not what a binding must not be',
  'default-service-account': 'says to create a dedicated service account, not what the pod must not use',
  'read-secret-from-env-var': 'says to rewrite application code, not what the object must be',
  'use-namespace': 'says to create namespaces, not which namespace an object must not be in',
  'ssh-port':
    'says to ensure non-SSH services do not use port 22 and to vet SSH servers: neither is a rule on the object',
};

/** Cuts the sentences that point to documentation (they hold a URL: "Refer to <url> for details."), collapses whitespace. */
export function cleanText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=\.)\s+(?=[A-Z])/)
    .filter((sentence) => !/https?:\/\//.test(sentence))
    .join(' ');
}

/** What a bats test asserts about one report. */
export interface ReportAssertion {
  kind?: string;
  name?: string;
  message?: string;
}

/** One `@test` of e2etests/bats-tests.sh: the check it includes, its fixture, and what it asserts. */
export interface BatsTest {
  title: string;
  /** The check of `--include`, absent for a test that runs a config file instead. */
  check?: string;
  fixture?: string;
  count?: number;
  reports: Map<number, ReportAssertion>;
  /** Assertions that could not be read (a pattern match `=~`, a jq expression not of the known shapes). */
  unread: string[];
}

type JqPart = { literal: string } | { report: number; field: 'kind' | 'name' | 'message' };

const FIELDS: Record<string, 'kind' | 'name' | 'message'> = {
  '.Object.K8sObject.GroupVersionKind.Kind': 'kind',
  '.Object.K8sObject.Name': 'name',
  '.Diagnostic.Message': 'message',
};

/**
 * A jq expression of the shapes the tests use, as literal and report-field parts: `.Reports[0].Object…Kind + ": " +
 * .Reports[0].Diagnostic.Message`, or `.Reports[0] | .Object…Kind + " " + .Object.K8sObject.Name + ": " + …`.
 */
export function readJq(jq: string): JqPart[] | undefined {
  let body = jq.trim();
  let base: number | undefined;
  const piped = /^\.Reports\[(\d+)\]\s*\|\s*(.*)$/.exec(body);
  if (piped) {
    base = Number(piped[1]);
    body = piped[2];
  }
  const parts: JqPart[] = [];
  for (const token of body.split(/\s*\+\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const t = token.trim();
    const literal = /^"((?:[^"\\]|\\.)*)"$/.exec(t);
    if (literal) {
      parts.push({ literal: literal[1].replace(/\\(.)/g, '$1') });
      continue;
    }
    const path = /^(?:\.Reports\[(\d+)\])?(\.[\w.]+)$/.exec(t);
    const field = path ? FIELDS[path[2]] : undefined;
    const report = path?.[1] !== undefined ? Number(path[1]) : base;
    if (!field || report === undefined) return undefined;
    parts.push({ report, field });
  }
  return parts;
}

/** The value a jq template produced, split back into its fields (a kind or name has no spaces, the message is the rest). */
function splitByTemplate(
  parts: JqPart[],
  value: string,
): Array<{ report: number; field: string; value: string }> | undefined {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = parts
    .map((p) => ('literal' in p ? escape(p.literal) : p.field === 'message' ? '(.*)' : '([^\\s:]+)'))
    .join('');
  const m = new RegExp(`^${pattern}$`, 's').exec(value);
  if (!m) return undefined;
  const fields = parts.filter((p): p is Extract<JqPart, { report: number }> => 'report' in p);
  return fields.map((f, i) => ({ report: f.report, field: f.field, value: m[i + 1] }));
}

/** A bash double-quoted string's value (`\"` → `"`); unescaped quotes (`"*"` inside a string) are left as written. */
const bashString = (s: string): string => s.replace(/\\(["\\`$])/g, '$1');

/** Every `@test` of the bats file. */
export function readBatsTests(text: string): BatsTest[] {
  const tests: BatsTest[] = [];
  const blocks = text.split(/^@test "/m).slice(1);
  for (const block of blocks) {
    const title = block.slice(0, block.indexOf('"'));
    const cmd = /^\s*cmd="([^\n]*)"\s*$/m.exec(block)?.[1] ?? '';
    const check = /--config\b/.test(cmd) ? undefined : /--include\s+(\S+)/.exec(cmd)?.[1];
    const fixture = /^\s*tmp="([^"]+)"/m.exec(block)?.[1];
    const definitions = new Map<string, string>();
    for (const m of block.matchAll(
      /^\s*(\w+)=\$\(get_value_from "\$\{lines\[0\]\}" (?:'([^']*)'|"((?:[^"\\]|\\.)*)")\)\s*$/gm,
    ))
      definitions.set(m[1], m[2] ?? bashString(m[3]));
    const test: BatsTest = {
      title,
      ...(check ? { check } : {}),
      ...(fixture ? { fixture } : {}),
      reports: new Map(),
      unread: [],
    };
    for (const m of block.matchAll(/^\s*\[\[ "\$\{(\w+)(?:\[(\d+)\])?\}" (==|=~) "(.*)" \]\]\s*$/gm)) {
      const [line, variable, index, operator, rawValue] = m;
      const value = bashString(rawValue);
      // `actual_messages[k]`, filled in a loop from `actual_message=… .Reports[${i}] …`: report k.
      const jq =
        index === undefined
          ? definitions.get(variable)
          : [...definitions.entries()]
              .find(([name, q]) => variable.startsWith(name) && q.includes('${i}'))?.[1]
              ?.replace(/\$\{i\}/g, index);
      if (jq === undefined) {
        test.unread.push(line.trim());
        continue;
      }
      if (/^\.Reports\s*\|\s*length$/.test(jq.trim())) {
        if (operator === '==' && /^\d+$/.test(value)) test.count = Number(value);
        else test.unread.push(line.trim());
        continue;
      }
      const parts = readJq(jq);
      const fields = operator === '==' && parts ? splitByTemplate(parts, value) : undefined;
      if (!fields) {
        test.unread.push(line.trim());
        continue;
      }
      for (const f of fields) {
        const r = test.reports.get(f.report) ?? {};
        const key = f.field as keyof ReportAssertion;
        if (r[key] !== undefined && r[key] !== f.value)
          test.unread.push(`${line.trim()} (contradicts report ${f.report}'s ${key})`);
        r[key] = f.value;
        test.reports.set(f.report, r);
      }
    }
    tests.push(test);
  }
  return tests;
}

interface FixtureObject {
  /** `<Kind>/<name>`, with `#<n>` (its document number) when two objects share both. */
  label: string;
  object: KubeObject & Record<string, unknown>;
}

function fixtureObjects(text: string): FixtureObject[] {
  const objects = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d): d is FixtureObject['object'] => Boolean(d && typeof d === 'object' && !Array.isArray(d)));
  const base = (o: KubeObject): string => `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;
  return objects.map((object, i) => {
    const label = base(object);
    const shared = objects.filter((o) => base(o) === label).length > 1;
    return { label: shared ? `${label}#${i + 1}` : label, object };
  });
}

/** The containers of a pod or pod template (pods, controllers, CronJobs' job templates). */
function containerNames(object: Record<string, unknown>): string[] {
  const names: string[] = [];
  const visit = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) {
      if (key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers')
        for (const c of v)
          if (c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string')
            names.push((c as { name: string }).name);
      v.forEach((x) => visit(x));
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(object.spec, 'spec');
  return names;
}

/** Names as not firing, the fixtures' convention (`dont-fire`, `dont-fire2`, `should-pass-secret`, `good-job`). */
const NAMED_NOT_FIRING = /^(dont-?fire|should-pass|good-)/;

/** Whether the report may be about the object: its kind, name, and the container and Service its message names. */
function fits(report: ReportAssertion, o: FixtureObject['object']): boolean {
  if (report.kind !== undefined && o.kind !== report.kind) return false;
  if (report.name !== undefined && o.metadata?.name !== report.name) return false;
  const message = report.message ?? '';
  const mentioned = [...message.matchAll(/\bcontainer "?([\w.-]+)"?/g)].map((m) => m[1]);
  if (mentioned.length && !containerNames(o).some((c) => mentioned.includes(c))) return false;
  const service = /\bservice "([^"]+)"/.exec(message)?.[1];
  if (service !== undefined && o.kind === 'Service' && o.metadata?.name !== service) return false;
  return true;
}

type Attribution =
  | {
      verdicts: Array<{ doc: FixtureObject; expect: 'allow' | 'deny' }>;
      dropped: KubeLinterSuite['dropped'];
      byName: boolean;
    }
  | { reason: string };

/** Which judged objects the test's reports name (deny), which none can name (allow), and which are unclear. */
export function attribute(test: BatsTest, judged: FixtureObject[]): Attribution {
  if (test.count === undefined) return { reason: `the test "${test.title}" does not assert the number of reports` };
  if (test.unread.length)
    return { reason: `the test "${test.title}" has assertions not read: ${test.unread.join('; ')}` };
  const reported = new Set<FixtureObject>();
  const unclear = new Map<FixtureObject, string>();
  let byName = false;
  for (let i = 0; i < test.count; i++) {
    const r = test.reports.get(i);
    if (!r || (r.kind === undefined && r.name === undefined && r.message === undefined))
      return {
        reason: `the test "${test.title}" asserts ${test.count} reports but describes only ${test.reports.size}: an undescribed report could be about any object`,
      };
    const said = `${r.kind ?? '?'}${r.name ? ` ${r.name}` : ''}: ${r.message ?? '?'}`;
    let candidates = judged.filter((d) => fits(r, d.object));
    if (!candidates.length)
      return { reason: `report ${i} ("${said}") fits no object of the check's kinds in ${test.fixture}` };
    if (candidates.length > 1) {
      const firing = candidates.filter((d) => !NAMED_NOT_FIRING.test(d.object.metadata?.name ?? ''));
      if (firing.length === 1) {
        candidates = firing;
        byName = true;
      }
    }
    if (candidates.length === 1) reported.add(candidates[0]);
    else
      for (const d of candidates)
        unclear.set(d, `report ${i} ("${said}") fits ${candidates.length} objects: not attributable`);
  }
  const verdicts: Array<{ doc: FixtureObject; expect: 'allow' | 'deny' }> = [];
  const dropped: KubeLinterSuite['dropped'] = [];
  for (const d of judged) {
    if (reported.has(d)) verdicts.push({ doc: d, expect: 'deny' });
    else if (unclear.has(d)) dropped.push({ case: d.label, reason: unclear.get(d) ?? '' });
    else verdicts.push({ doc: d, expect: 'allow' });
  }
  return { verdicts, dropped, byName };
}

/** Whether the check judges the object: its kind at the API group the scope names. */
function judges(def: CheckDefinition, o: KubeObject): boolean {
  if (!o.kind || !o.apiVersion) return false;
  const { group } = parseApiVersion(o.apiVersion);
  return def.objectKinds.some((scope) => (SCOPE_KINDS[scope] ?? []).some(([g, k]) => g === group && k === o.kind));
}

/** Why a check is not converted, from its definition; undefined when it may be. */
export function checkSkipReason(def: CheckDefinition): string | undefined {
  const template = TEMPLATE_SKIP[def.template];
  if (template) return template;
  const unstated = UNSTATED_PARAMETER[def.name];
  if (unstated) return unstated;
  const unknown = def.objectKinds.filter((k) => !SCOPE_KINDS[k]);
  if (unknown.length)
    return `judges ${unknown.join(', ')}${unknown.includes('SecurityContextConstraints') ? ' (OpenShift)' : ''}, a kind the catalog does not know`;
  return undefined;
}

/** Converts a checked-out kube-linter tree (`root` holds pkg/builtinchecks/yamls, e2etests and tests/checks). */
export function convertKubeLinter(root: string, catalog: ApiCatalog = builtinCatalog()): KubeLinterConversion {
  const tests = new Map<string, BatsTest>();
  for (const t of readBatsTests(readFileSync(join(root, BATS_FILE), 'utf8')))
    if (t.check && !tests.has(t.check)) tests.set(t.check, t);
  const suites: KubeLinterSuite[] = [];
  const skipped: KubeLinterConversion['skipped'] = [];
  const files = readdirSync(join(root, CHECKS_DIR))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const definitions = files
    .map((f) => readCheckDefinition(readFileSync(join(root, CHECKS_DIR, f), 'utf8')))
    .filter((d): d is CheckDefinition => Boolean(d))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const def of definitions) {
    const check = def.name;
    const texts: Array<{ variant: KubeLinterVariant; intent: string }> = [
      { variant: 'description', intent: cleanText(def.description) },
    ];
    const skip = (id: string, reason: string, intent?: string): void =>
      void skipped.push({ id, check, ...(intent ? { intent } : {}), reason });
    if (def.remediation) {
      const why = REMEDIATION_NOT_A_RULE[check];
      if (why) skip(`${check}--remediation`, `the remediation ${why}`, cleanText(def.remediation));
      else texts.push({ variant: 'remediation', intent: cleanText(def.remediation) });
    }
    const skipAll = (reason: string): void => texts.forEach((t) => skip(`${check}--${t.variant}`, reason, t.intent));
    const why = checkSkipReason(def);
    if (why) {
      skipAll(why);
      continue;
    }
    const test = tests.get(check);
    if (!test?.fixture) {
      skipAll(`no test of its own (no @test in ${BATS_FILE} runs it with --include)`);
      continue;
    }
    const docs = fixtureObjects(readFileSync(join(root, test.fixture), 'utf8'));
    const read = attribute(
      test,
      docs.filter((d) => judges(def, d.object)),
    );
    if ('reason' in read) {
      skipAll(read.reason);
      continue;
    }
    const cases: TestCase[] = [];
    const dropped = [...read.dropped];
    const adjusted: KubeLinterSuite['adjusted'] = [];
    for (const v of read.verdicts) {
      const made = catalogCase(structuredClone(v.doc.object), v.doc.label, v.expect, catalog);
      const invalid = 'reason' in made ? made.reason : formatProblem(made.testCase);
      if (invalid) dropped.push({ case: v.doc.label, reason: invalid });
      else if (!('reason' in made)) {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: v.doc.label, change: made.change });
      }
    }
    const deny = cases.filter((c) => c.expect === 'deny').length;
    const allow = cases.length - deny;
    if (!deny || !allow) {
      const left = dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : '';
      skipAll(`needs both a deny and an allow case (the test gives ${deny} deny, ${allow} allow${left})`);
      continue;
    }
    for (const t of texts)
      suites.push({
        id: `${check}--${t.variant}`,
        check,
        variant: t.variant,
        intent: t.intent,
        fixture: test.fixture,
        verdicts: read.byName ? 'reports + dont-fire names' : 'reports',
        cases: structuredClone(cases),
        dropped,
        adjusted,
      });
  }
  return { suites, skipped };
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

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderKubeLinterSuite(s: KubeLinterSuite, commit: string): string {
  const header = [
    `# From ${KUBE_LINTER_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © StackRox / Red Hat): check ${s.check} (${CHECKS_DIR}), variant ${s.variant} (the check's ${s.variant}).`,
    `# Cases: ${s.fixture}, verdicts from the reports ${BATS_FILE} asserts${s.verdicts === 'reports' ? '' : " (ties between same-kind objects broken by the fixture's dont-fire names)"}.`,
    '# Generated by bench/corpus/convert-kubelinter.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

export function writeKubeLinterCorpus(conversion: KubeLinterConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: KUBE_LINTER_REPOSITORY,
      licence: 'Apache-2.0',
      attribution: 'Copyright StackRox, Inc. / Red Hat, Inc. and the kube-linter contributors',
    },
    conversion,
    {
      render: (s) => renderKubeLinterSuite(s, commit),
      names: (s) => ({ check: s.check, variant: s.variant, fixture: s.fixture, verdicts: s.verdicts }),
      notes: (s) => ({ dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-kubelinter.js',
  source: '<kube-linter checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'kube-linter'],
  checkout: { marker: CHECKS_DIR, paths: [CHECKS_DIR, BATS_FILE, FIXTURES_DIR], name: 'kube-linter' },
  convert: (root, commit, out) => {
    const conversion = convertKubeLinter(root);
    writeKubeLinterCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
