import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import {
  catalogCase,
  runConverter,
  writeConvertedCorpus,
  suiteFileText,
  type ConverterCommand,
  conversionLine,
} from './checkout.js';

/**
 * Turns Kubescape's regolibrary (rules/<rule>/ and controls/*.json) into suites in the shared format: a fourth
 * development corpus, in a third house style ("fails if container has mutable filesystem", and the controls'
 * longer rationale paragraphs). Only the people-written texts and the test objects are taken; no Rego is copied.
 *
 * Verdicts as kubescape's own test runner decides them: each rules/<rule>/test/<case>/ holds input/*.yaml (the
 * objects kubescape is given) and expected.json (the alerts it must raise). An input object named in an alert's
 * alertObject.k8sApiObjects (kind, name, namespace when both say one) fails the rule (`expect: deny`); every
 * other input object passes it (`expect: allow`).
 *
 * Only rules an admission policy can decide on one object are converted. Skipped, with the reason in
 * index.json: rules on host-sensor or cloud-provider data (dynamicMatch), on nodes and control-plane
 * components (API server / controller manager / scheduler / etcd flags and files), RBAC rules (roles joined with
 * bindings), rules whose verdict joins several objects (a workload and its Service, ServiceAccount, ConfigMap,
 * NetworkPolicy, …), rules whose verdict depends on configurable values the description does not give
 * (data.postureControlInputs), and rules that query the cluster (ruleDependencies on the API client).
 *
 * Up to two texts per rule, never merged: `<rule>--rule` (rule.metadata.json's description) and
 * `<rule>--control` (the description of the control in controls/*.json that maps to this rule alone, where it
 * differs). A control that maps to several rules describes all of them together, so it is not this rule's text.
 *
 * `node dist/bench/corpus/convert-regolibrary.js <regolibrary checkout or bare git dir> [out dir]`
 */

export const REGOLIBRARY_REPOSITORY = 'kubescape/regolibrary';

export type RegolibraryVariant = 'rule' | 'control';

export interface RegolibrarySuite {
  /** `<rule>--<variant>` (`--control-<id>` when several single-rule controls map to the rule), also the file name. */
  id: string;
  rule: string;
  variant: RegolibraryVariant;
  /** The control the text comes from (`C-0017`), for the control variant. */
  control?: string;
  intent: string;
  cases: TestCase[];
  /** Test objects or test cases left out, with why. */
  dropped: Array<{ case: string; reason: string }>;
  /** Test objects changed on the way in (an apiVersion the API no longer serves), with what changed. */
  adjusted: Array<{ case: string; change: string }>;
}

export interface RegolibraryConversion {
  suites: RegolibrarySuite[];
  skipped: Array<{ id: string; rule: string; reason: string }>;
}

type Json = Record<string, unknown>;

interface RuleMetadata {
  name?: string;
  description?: string;
  match?: Array<{ resources?: string[] }>;
  dynamicMatch?: unknown[];
  ruleDependencies?: Array<{ packageName?: string }> | null;
}

interface Control {
  controlID: string;
  description?: string;
  rulesNames?: string[];
}

/** The kinds kubescape's workload rules read a pod spec from. */
const WORKLOAD_KINDS = new Set([
  'Pod',
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
  'ReplicationController',
]);
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
/** Posture data kubescape collects from nodes and the control plane, not objects an admission request carries. */
const POSTURE_KINDS = new Set(['Node', 'APIServerInfo', 'ControlPlaneInfo', 'servicesscanresults']);
/** PodSecurityPolicy rules beside the workload ones judge each PSP alone (the API no longer serves PSPs). */
const ALONE_WITH_WORKLOADS = new Set(['PodSecurityPolicy']);

/** controls/*.json: rule → the controls that name it (ids sorted). */
export function controlsByRule(root: string): Map<string, Control[]> {
  const out = new Map<string, Control[]>();
  const dir = join(root, 'controls');
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const control = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Control;
    for (const rule of control.rulesNames ?? []) out.set(rule, [...(out.get(rule) ?? []), control]);
  }
  for (const list of out.values()) list.sort((a, b) => a.controlID.localeCompare(b.controlID));
  return out;
}

/** Why a rule cannot be a single-object admission suite, from its metadata and Rego; undefined when it can. */
export function ruleSkipReason(name: string, meta: RuleMetadata, rego: string): string | undefined {
  const kinds = new Set((meta.match ?? []).flatMap((m) => m.resources ?? []));
  if (meta.dynamicMatch?.length || kinds.size === 0) {
    return 'reads host-sensor or cloud-provider data (dynamicMatch), not an object an admission request carries';
  }
  const posture = [...kinds].filter((k) => POSTURE_KINDS.has(k));
  if (posture.length) return `node / control-plane posture (${posture.join(', ')}), not an admission request`;
  if (/kube-apiserver|kube-controller-manager|kube-scheduler|\betcd\b/.test(rego) || /^ensure-that-the-/i.test(name)) {
    return 'cluster component configuration (the API server, controller manager, scheduler or etcd flags and files)';
  }
  const rbac = [...kinds].filter((k) => RBAC_KINDS.has(k));
  if (rbac.length) return `RBAC: the verdict joins ${[...kinds].sort().join(', ')}`;
  const workloads = [...kinds].some((k) => WORKLOAD_KINDS.has(k));
  const others = [...kinds].filter((k) => !WORKLOAD_KINDS.has(k) && !ALONE_WITH_WORKLOADS.has(k));
  if ((workloads && others.length) || others.length > 1) {
    return `joins several objects: the verdict reads ${[...kinds].sort().join(', ')} together`;
  }
  if (joinsInputs(rego)) return 'joins several objects: one Rego rule body reads two input objects';
  if (/\bdata\.postureControlInputs\b/.test(rego)) {
    return 'the verdict depends on configurable values (postureControlInputs) the description does not give';
  }
  if ((meta.ruleDependencies ?? []).some((d) => d.packageName === 'kubernetes.api.client')) {
    return 'queries the cluster (ruleDependencies: kubernetes.api.client)';
  }
  return undefined;
}

/** Whether some top-level Rego body binds two different variables to `input[_]` (a join of two objects). */
function joinsInputs(rego: string): boolean {
  return rego
    .split(/\n(?=\S)/)
    .some((body) => new Set([...body.matchAll(/(\w+)\s*:?=\s*input\[_\]/g)].map((m) => m[1])).size > 1);
}

/** A description that says a rule: not empty and more than a placeholder word ("a"). */
const says = (text: string | undefined): text is string => Boolean(text && text.trim().split(/\s+/).length >= 3);

const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Converts a checked-out regolibrary tree (`root` holds rules/ and controls/). */
export function convertRegolibrary(root: string, catalog: ApiCatalog = builtinCatalog()): RegolibraryConversion {
  const suites: RegolibrarySuite[] = [];
  const skipped: RegolibraryConversion['skipped'] = [];
  const controls = controlsByRule(root);
  const rulesDir = join(root, 'rules');
  const rules = readdirSync(rulesDir)
    .filter((r) => !r.startsWith('.') && existsSync(join(rulesDir, r, 'rule.metadata.json')))
    .sort();
  for (const rule of rules) {
    const dir = join(rulesDir, rule);
    const meta = JSON.parse(readFileSync(join(dir, 'rule.metadata.json'), 'utf8')) as RuleMetadata;
    const rego = existsSync(join(dir, 'raw.rego')) ? readFileSync(join(dir, 'raw.rego'), 'utf8') : '';
    // The texts first: a rule with none is skipped as such, whatever its cases.
    const texts: Array<{ id: string; variant: RegolibraryVariant; control?: string; intent: string }> = [];
    const skip = (id: string, reason: string): void => void skipped.push({ id, rule, reason });
    const ruleText = says(meta.description) ? clean(meta.description) : undefined;
    if (ruleText) texts.push({ id: `${rule}--rule`, variant: 'rule', intent: ruleText });
    else skip(`${rule}--rule`, 'rule.metadata.json has no description of the rule');
    const mine = (controls.get(rule) ?? []).flatMap((c) =>
      says(c.description) ? [{ ...c, text: clean(c.description) }] : [],
    );
    const alone = mine.filter((c) => c.rulesNames?.length === 1);
    const distinct = alone.filter((c, i) => c.text !== ruleText && alone.findIndex((d) => d.text === c.text) === i);
    for (const c of distinct) {
      const id = distinct.length > 1 ? `${rule}--control-${c.controlID.toLowerCase()}` : `${rule}--control`;
      texts.push({ id, variant: 'control', control: c.controlID, intent: c.text });
    }
    if (!distinct.length) {
      const shared = mine.filter((c) => (c.rulesNames?.length ?? 0) > 1);
      const reason = shared.length
        ? `its controls (${shared.map((c) => c.controlID).join(', ')}) cover several rules: their description is not this rule's alone`
        : alone.length
          ? 'its control says the same as the rule'
          : 'no control maps to it with a description';
      skip(`${rule}--control`, reason);
    }
    if (!texts.length) continue;
    const why = ruleSkipReason(rule, meta, rego);
    const skipAll = (reason: string): void => texts.forEach((t) => skip(t.id, reason));
    if (why) {
      skipAll(why);
      continue;
    }
    const { cases, dropped, adjusted } = ruleCases(join(dir, 'test'), catalog);
    if (!cases.some((c) => c.expect === 'deny') || !cases.some((c) => c.expect === 'allow')) {
      const left = dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : '';
      const have = cases.length
        ? ` (upstream's tests give ${cases.filter((c) => c.expect === 'deny').length} deny, ${cases.filter((c) => c.expect === 'allow').length} allow)`
        : '';
      skipAll(`needs both a deny and an allow case${have}${left}`);
      continue;
    }
    for (const t of texts) {
      suites.push({
        id: t.id,
        rule,
        variant: t.variant,
        ...(t.control ? { control: t.control } : {}),
        intent: t.intent,
        cases: structuredClone(cases),
        dropped,
        adjusted,
      });
    }
  }
  return { suites, skipped };
}

interface AlertObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** Every test case's input objects, each with kubescape's verdict. */
function ruleCases(
  testDir: string,
  catalog: ApiCatalog,
): { cases: TestCase[]; dropped: RegolibrarySuite['dropped']; adjusted: RegolibrarySuite['adjusted'] } {
  const cases: TestCase[] = [];
  const dropped: RegolibrarySuite['dropped'] = [];
  const adjusted: RegolibrarySuite['adjusted'] = [];
  if (!existsSync(testDir)) return { cases, dropped, adjusted };
  for (const test of readdirSync(testDir).sort()) {
    const dir = join(testDir, test);
    if (!statSync(dir).isDirectory()) continue;
    const inputDir = join(dir, 'input');
    const expectedFile = join(dir, 'expected.json');
    if (!existsSync(inputDir) || !existsSync(expectedFile)) {
      dropped.push({ case: test, reason: 'the test has no input/ or no expected.json' });
      continue;
    }
    const alerts = (JSON.parse(readFileSync(expectedFile, 'utf8')) as Json[] | null) ?? [];
    const failing = alerts.flatMap(
      (a) => ((a.alertObject as Json | undefined)?.k8sApiObjects as AlertObject[] | undefined) ?? [],
    );
    const inputs: Array<{ name: string; object: KubeObject & Json }> = [];
    for (const file of readdirSync(inputDir)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()) {
      const docs = parseAllDocuments(readFileSync(join(inputDir, file), 'utf8'))
        .map((d) => d.toJS() as unknown)
        .filter((d): d is KubeObject & Json => Boolean(d && typeof d === 'object'));
      const objects = docs.flatMap((d) => (d.kind === 'List' && Array.isArray(d.items) ? d.items : [d]));
      const base = `${test}/${file.replace(/\.(ya?ml|json)$/, '')}`;
      objects.forEach((object, i) =>
        inputs.push({ name: objects.length > 1 ? `${base}#${i + 1}` : base, object: object as KubeObject & Json }),
      );
    }
    const matches = (o: KubeObject, a: AlertObject): boolean =>
      o.kind === a.kind &&
      o.metadata?.name === a.metadata?.name &&
      (!o.metadata?.namespace || !a.metadata?.namespace || o.metadata.namespace === a.metadata.namespace);
    const unmatched = failing.filter((a) => !inputs.some((i) => matches(i.object, a)));
    if (unmatched.length) {
      const named = unmatched.map((a) => `${a.kind}/${a.metadata?.name}`).join(', ');
      dropped.push({ case: test, reason: `expected.json names ${named}, which is not among the inputs` });
      continue;
    }
    for (const input of inputs) {
      const expect = failing.some((a) => matches(input.object, a)) ? 'deny' : 'allow';
      const made = catalogCase(input.object, input.name, expect, catalog);
      if ('reason' in made) dropped.push({ case: input.name, reason: made.reason });
      else {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: input.name, change: made.change });
      }
    }
  }
  return { cases, dropped, adjusted };
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderRegolibrarySuite(s: RegolibrarySuite, commit: string): string {
  const header = [
    `# From ${REGOLIBRARY_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © The Kubescape Authors): rules/${s.rule}.`,
    `# Variant: ${s.variant} (${s.variant === 'rule' ? "rule.metadata.json's description" : `control ${s.control}'s description`}).`,
    '# Generated by bench/corpus/convert-regolibrary.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

/** Writes `<out>/<id>.yaml` per suite and `<out>/index.json`. */
export function writeRegolibraryCorpus(conversion: RegolibraryConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: REGOLIBRARY_REPOSITORY,
      licence: 'Apache-2.0',
      attribution: 'Copyright The Kubescape Authors',
    },
    conversion,
    {
      render: (s) => renderRegolibrarySuite(s, commit),
      names: (s) => ({ rule: s.rule, variant: s.variant, ...(s.control ? { control: s.control } : {}) }),
      notes: (s) => ({ dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-regolibrary.js',
  source: '<regolibrary checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'kubescape'],
  checkout: { marker: 'rules', paths: ['rules', 'controls'], name: 'regolibrary' },
  convert: (root, commit, out) => {
    const conversion = convertRegolibrary(root);
    writeRegolibraryCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
