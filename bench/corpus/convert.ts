import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { builtinCatalog, parseApiVersion, type ApiCatalog, type ApiResource } from '../../catalog/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { runConverter, writeConvertedCorpus, suiteFileText, type ConverterCommand } from './checkout.js';

/**
 * Turns the OPA Gatekeeper library (templates, their samples and each template's gator `suite.yaml`) into
 * suites in the shared format (`../shared/intents/README.md`): one suite per template + constraint, the
 * template's description as the intent (plus the constraint's parameters and namespaces, rendered as a short
 * sentence, only when the constraint has them), the library's own verdicts as the cases. Only data and the
 * people-written descriptions are taken; no Rego is copied (the Rego is only searched for `data.inventory`
 * and `external_data`, to skip what needs them).
 *
 * `node dist/bench/corpus/convert.js <gatekeeper-library checkout or bare git dir> [out dir]`
 */

export const SOURCE_REPOSITORY = 'open-policy-agent/gatekeeper-library';

export type Variant = 'description' | 'description+parameters';

export interface ConvertedSuite {
  /** `<template dir>--<sample dir>[--<constraint file>]`, also the file name. */
  id: string;
  /** The template folder, relative to the library root (`library/general/allowedrepos`). */
  template: string;
  title?: string;
  /** The constraint file, relative to the library root. */
  constraint: string;
  /** `description`: the description alone; `description+parameters`: plus the rendered parameter sentence. */
  variant: Variant;
  description: string;
  parameterSentence?: string;
  intent: string;
  cases: TestCase[];
  /** Cases of the library's suite left out, with why. */
  dropped: Array<{ case: string; reason: string }>;
}

export interface SkippedSample {
  id: string;
  template: string;
  reason: string;
}

export interface Conversion {
  suites: ConvertedSuite[];
  skipped: SkippedSample[];
}

type Yaml = Record<string, unknown>;

interface GatorCase {
  name?: string;
  object?: string;
  inventory?: unknown[];
  assertions?: Array<{ violations?: unknown; message?: string }>;
}

/** Every template folder under `<root>/library` holding a template.yaml and a suite.yaml, sorted. */
function templateDirs(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'template.yaml')) {
      found.push(dir);
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(join(root, 'library'));
  return found.sort();
}

// Lenient: a few library files have flow scalars continued at their key's indent, which Go's YAML parser (the
// one Gatekeeper uses) accepts and YAML 1.2 does not; the recovered document keeps every value we read.
function readYaml(path: string): Yaml {
  return readYamlChecked(path).value;
}

/** The document and whether it parsed cleanly (values recovered from a broken scalar may be cut short). */
function readYamlChecked(path: string): { value: Yaml; clean: boolean } {
  const doc = parseDocument(readFileSync(path, 'utf8'));
  const value = doc.toJS() as unknown;
  return {
    value: value && typeof value === 'object' && !Array.isArray(value) ? (value as Yaml) : {},
    clean: doc.errors.length === 0,
  };
}

const get = (o: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Yaml)[k] : undefined), o);

/** Converts a checked-out library (`root` holds `library/`). */
export function convertLibrary(root: string, catalog: ApiCatalog = builtinCatalog()): Conversion {
  const suites: ConvertedSuite[] = [];
  const skipped: SkippedSample[] = [];
  for (const dir of templateDirs(root)) {
    const template = relative(root, dir);
    const { value: doc, clean } = readYamlChecked(join(dir, 'template.yaml'));
    const description = String(get(doc, 'metadata', 'annotations', 'description') ?? '')
      .replace(/\s+/g, ' ')
      .trim();
    const title = get(doc, 'metadata', 'annotations', 'metadata.gatekeeper.sh/title') as string | undefined;
    const suitePath = join(dir, 'suite.yaml');
    const tests = (existsSync(suitePath) ? (get(readYaml(suitePath), 'tests') as unknown[]) : undefined) ?? [];
    const byConstraint = new Map<string, GatorCase[]>();
    for (const t of tests) {
      const constraint = get(t, 'constraint');
      if (typeof constraint !== 'string') continue;
      byConstraint.set(constraint, [
        ...(byConstraint.get(constraint) ?? []),
        ...((get(t, 'cases') as GatorCase[] | undefined) ?? []),
      ]);
    }
    const rego = JSON.stringify(get(doc, 'spec', 'targets') ?? '');
    const templateSkip = !description
      ? 'the template has no description'
      : rego.includes('data.inventory')
        ? 'needs data inventory (objects synced into Gatekeeper)'
        : rego.includes('external_data')
          ? 'needs external data'
          : !byConstraint.size
            ? 'the template has no suite.yaml tests'
            : undefined;
    const ids = [...byConstraint.keys()].sort();
    if (templateSkip) {
      for (const c of ids.length ? ids : ['-'])
        skipped.push({ id: suiteId(template, c), template, reason: templateSkip });
      continue;
    }
    const schema = clean
      ? (get(doc, 'spec', 'crd', 'spec', 'validation', 'openAPIV3Schema', 'properties') as Yaml | undefined)
      : undefined;
    for (const constraintFile of ids) {
      const id = suiteId(template, constraintFile);
      const constraint = readYaml(join(dir, constraintFile));
      const match = (get(constraint, 'spec', 'match') ?? {}) as Yaml;
      const parameters = (get(constraint, 'spec', 'parameters') ?? {}) as Yaml;
      const matchKinds = matchedResources(match, catalog);
      if (!matchKinds.length) {
        skipped.push({ id, template, reason: `matches kinds the catalog does not know (${kindList(match)})` });
        continue;
      }
      if (get(match, 'labelSelector') || get(match, 'namespaceSelector') || get(match, 'scope') || get(match, 'name')) {
        skipped.push({
          id,
          template,
          reason: 'Gatekeeper-only semantics: the constraint matches by selector, scope or name',
        });
        continue;
      }
      const dropped: ConvertedSuite['dropped'] = [];
      const cases: TestCase[] = [];
      const names = new Set<string>();
      for (const gc of byConstraint.get(constraintFile) ?? []) {
        const name = uniqueName(gc.name ?? basename(gc.object ?? 'case', '.yaml'), names);
        const made = convertCase(gc, name, dir, match, catalog);
        if ('reason' in made) dropped.push({ case: name, reason: made.reason });
        else cases.push(made.testCase);
      }
      if (!cases.length) {
        skipped.push({
          id,
          template,
          reason: `no usable case: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}`,
        });
        continue;
      }
      // Only allow cases: no policy at all passes them, so the suite cannot tell reading from not reading.
      if (!cases.some((c) => c.expect === 'deny')) {
        skipped.push({
          id,
          template,
          reason: `no deny case${dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : ''}`,
        });
        continue;
      }
      const parameterSentence = renderParameters(parameters, schema, match, matchKinds);
      const variant: Variant = parameterSentence ? 'description+parameters' : 'description';
      // On its own line: descriptions often end in a link, with no full stop.
      const intent = parameterSentence ? `${description}\n${parameterSentence}` : description;
      suites.push({
        id,
        template,
        title,
        constraint: join(template, constraintFile),
        variant,
        description,
        parameterSentence,
        intent,
        cases,
        dropped,
      });
    }
  }
  return { suites, skipped };
}

function suiteId(template: string, constraintFile: string): string {
  const sample = basename(dirname(constraintFile));
  const file = basename(constraintFile, '.yaml');
  return [
    basename(template),
    sample === '.' ? undefined : sample,
    file === 'constraint' || file === '-' ? undefined : file,
  ]
    .filter(Boolean)
    .join('--');
}

function uniqueName(name: string, seen: Set<string>): string {
  let candidate = name;
  for (let i = 2; seen.has(candidate); i++) candidate = `${name}-${i}`;
  seen.add(candidate);
  return candidate;
}

/** The catalog resources a constraint's match.kinds selects (kinds it does not know are left out). */
function matchedResources(match: Yaml, catalog: ApiCatalog): ApiResource[] {
  const out: ApiResource[] = [];
  for (const entry of (get(match, 'kinds') as Yaml[] | undefined) ?? []) {
    const groups = (entry.apiGroups as string[] | undefined) ?? ['*'];
    for (const kind of (entry.kinds as string[] | undefined) ?? []) {
      for (const r of catalog.kindsNamed(kind))
        if ((groups.includes('*') || groups.includes(r.group)) && !out.includes(r)) out.push(r);
    }
  }
  return out;
}

function kindList(match: Yaml): string {
  return (
    ((get(match, 'kinds') as Yaml[] | undefined) ?? [])
      .flatMap((k) => (k.kinds as string[] | undefined) ?? [])
      .join(', ') || 'none'
  );
}

/** One gator case → one case of the shared format, or why it cannot be one. */
function convertCase(
  gc: GatorCase,
  name: string,
  dir: string,
  match: Yaml,
  catalog: ApiCatalog,
): { testCase: TestCase } | { reason: string } {
  if (!gc.object) return { reason: 'the case names no object' };
  if (gc.inventory?.length) return { reason: 'needs data inventory (objects synced into Gatekeeper)' };
  const expect = expectation(gc.assertions ?? []);
  if (!expect) return { reason: 'assertions only count violations with a given message; no overall verdict' };
  const doc = readYaml(join(dir, gc.object));
  let operation: TestCase['operation'];
  let object = doc as unknown as KubeObject;
  let oldObject: KubeObject | undefined;
  let userInfo: TestCase['userInfo'];
  let namespace: string | undefined;
  if (doc.kind === 'AdmissionReview') {
    const request = (doc.request ?? {}) as Yaml;
    operation = (request.operation as TestCase['operation']) ?? 'CREATE';
    object = request.object as KubeObject;
    oldObject = request.oldObject as KubeObject | undefined;
    userInfo = request.userInfo as TestCase['userInfo'];
    namespace = request.namespace as string | undefined;
    // The pod-security templates skip UPDATE reviews (a pod's spec is immutable): Gatekeeper's choice, not the intent's.
    if (operation === 'UPDATE' && !oldObject)
      return { reason: 'Gatekeeper-only semantics: an UPDATE review with no oldObject, which the template ignores' };
  }
  if (!object?.kind || !object.apiVersion) return { reason: 'the object has no apiVersion/kind' };
  const resource = catalog.byKind(object.apiVersion, object.kind);
  const { version } = parseApiVersion(object.apiVersion);
  if (!resource || !resource.versions.includes(version))
    return { reason: `${object.kind} at ${object.apiVersion} is not in the catalog` };
  const matchNamespaces = (get(match, 'namespaces') as string[] | undefined) ?? [];
  namespace ??= object.metadata?.namespace ?? (resource.namespaced ? (matchNamespaces[0] ?? 'default') : undefined);
  const testCase: TestCase = {
    name,
    ...(operation && operation !== 'CREATE' ? { operation } : {}),
    object,
    ...(oldObject ? { oldObject } : {}),
    ...(namespace && namespace !== object.metadata?.namespace ? { namespace } : {}),
    ...(userInfo ? { userInfo } : {}),
    expect,
  };
  return { testCase };
}

/** gator's assertions → allow (no violation at all) or deny (at least one); undefined when they do not say. */
function expectation(assertions: Array<{ violations?: unknown; message?: string }>): 'allow' | 'deny' | undefined {
  const count = (v: unknown): number | undefined =>
    v === 'yes' || v === true
      ? 1
      : v === 'no' || v === false
        ? 0
        : typeof v === 'number'
          ? v
          : typeof v === 'string' && /^\d+$/.test(v)
            ? Number(v)
            : undefined;
  if (assertions.some((a) => (count(a.violations) ?? 0) > 0)) return 'deny';
  if (assertions.length && assertions.every((a) => count(a.violations) === 0 && a.message === undefined))
    return 'allow';
  return undefined;
}

/**
 * The parameter sentence: each parameter as "<what it is>: <value>." (the first sentence of the template's
 * schema description when short, else the key in words), then where it applies when the constraint names
 * namespaces. Parameters that only shape the violation message are left out. Undefined when nothing is needed.
 */
export function renderParameters(
  parameters: Yaml,
  schema: Yaml | undefined,
  match: Yaml,
  kinds: ApiResource[],
): string | undefined {
  const parts: string[] = [];
  for (const key of Object.keys(parameters).sort()) {
    if (/message/i.test(key)) continue;
    const described = firstSentence(get(schema, key, 'description'));
    parts.push(`${described ?? words(key)}: ${renderValue(parameters[key])}.`);
  }
  const namespaces = (get(match, 'namespaces') as string[] | undefined) ?? [];
  const excluded = (get(match, 'excludedNamespaces') as string[] | undefined) ?? [];
  if (namespaces.length || excluded.length) {
    const what = [...new Set(kinds.map((k) => k.kind))].join(', ');
    const where = namespaces.length
      ? ` in the ${quoteList(namespaces)} namespace${namespaces.length > 1 ? 's' : ''} only`
      : '';
    const except = excluded.length
      ? `${where ? ';' : ','} not in the ${quoteList(excluded)} namespace${excluded.length > 1 ? 's' : ''}`
      : '';
    parts.push(`Applies to ${what} objects${where}${except}.`);
  }
  return parts.length ? parts.join(' ') : undefined;
}

function firstSentence(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const first = text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=\.)\s/)[0]
    .replace(/\.$/, '');
  return first && first.length <= 100 ? first : undefined;
}

function words(key: string): string {
  const w = key
    .replace(/[-_]/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
}

function renderValue(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.map(renderValue).join(', ') : 'none';
  if (v && typeof v === 'object')
    return Object.entries(v as Yaml)
      .map(([k, x]) => `${words(k).toLowerCase()} ${renderValue(x)}`)
      .join(' and ');
  return String(v);
}

function quoteList(xs: string[]): string {
  const q = xs.map((x) => `'${x}'`);
  return q.length > 1 ? `${q.slice(0, -1).join(', ')} and ${q.at(-1)}` : q[0];
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderSuiteFile(s: ConvertedSuite, commit: string): string {
  const header = [
    `# From ${SOURCE_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © The Gatekeeper Authors): ${s.template}, ${s.constraint.slice(s.template.length + 1)}.`,
    `# Variant: ${s.variant}. Generated by bench/corpus/convert.ts; do not edit by hand.`,
  ];
  return suiteFileText(header, s);
}

/** Writes `<out>/<id>.yaml` per suite and `<out>/index.json` (source, suites, skipped samples). */
export function writeCorpus(conversion: Conversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: SOURCE_REPOSITORY,
      licence: 'Apache-2.0',
      attribution: 'Copyright 2018-2020 The Gatekeeper Authors (NOTICE)',
    },
    conversion,
    {
      render: (s) => renderSuiteFile(s, commit),
      names: (s) => ({ template: s.template, title: s.title, constraint: s.constraint, variant: s.variant }),
      notes: (s) => ({ dropped: s.dropped }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert.js',
  source: '<gatekeeper-library checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'gatekeeper'],
  checkout: { marker: 'library', paths: ['library'], name: 'gatekeeper' },
  convert: (root, commit, out) => {
    const conversion = convertLibrary(root);
    writeCorpus(conversion, out, commit);
    const dropped = conversion.suites.reduce((n, s) => n + s.dropped.length, 0);
    const cases = conversion.suites.reduce((n, s) => n + s.cases.length, 0);
    return `${conversion.suites.length} suites (${cases} cases, ${dropped} left out), ${conversion.skipped.length} samples skipped`;
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
