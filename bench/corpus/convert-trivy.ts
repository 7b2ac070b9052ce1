import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
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
import {
  evaluate,
  NotALiteral,
  parseTerm,
  stripComments,
  type RegoScope,
  type RegoTerm,
  type RegoValue,
} from './rego-terms.js';

/**
 * Turns Aqua Security's trivy-checks Kubernetes checks (checks/kubernetes/*.rego and their *_test.rego) into suites
 * in the shared format: a fifth development corpus, in a fourth house style (finding titles such as "CPU not
 * limited", rationale descriptions, and imperative recommended actions "Do not set 'spec.template.spec.hostIPC' to
 * true."). Only the people-written texts (the METADATA comment block) and the test objects and verdicts are taken;
 * no Rego is copied.
 *
 * Verdicts as the tests assert them: each `test_…` rule evaluates `deny with input as <object>` and asserts on the
 * result's size: `count(r) == 0` is an allowed object, `count(r) > 0`, `== 1`, `!= 0` a denied one
 * (`test.assert_count(r, n)` the same). A table-driven test (`some name, tc in {…}` with `count(r) == tc.expected`)
 * is one case per entry. The input may be an object literal, a local (`inp := {…}`), a file constant or a one-line
 * helper (`build_pod({…})`), read by bench/corpus/rego-terms.ts; anything else is left out with why, as is a test
 * that replaces data or a rule (`with data.k8s.version as …`), evaluates several inputs, or whose assertion does not
 * say 0 or at least 1.
 *
 * Only checks an admission policy can decide on one object are converted; skipped, with the reason in index.json:
 * the CIS benchmark checks (ids KCV-…: API server / controller manager / scheduler / etcd flags, node files and
 * kubelet flags), checks whose verdict depends on configurable data the text does not give (`data.<name>` other than
 * the library's own `data.lib`), checks about the apiVersion itself (moving a test to a served apiVersion would
 * change what it tests), checks without tests, and checks whose tests give only one verdict.
 *
 * `node dist/bench/corpus/convert-trivy.js <trivy-checks checkout or bare git dir> [out dir]`
 */

export const TRIVY_REPOSITORY = 'aquasecurity/trivy-checks';

export type TrivyVariant = 'title' | 'description' | 'action';

export interface TrivySuite {
  /** `<check file name>--<variant>`, also the suite's file name. */
  id: string;
  /** The check's file name without `.rego` (`host_ipc`). */
  check: string;
  /** The check's id (`KSV-0008`). */
  checkId: string;
  variant: TrivyVariant;
  intent: string;
  cases: TestCase[];
  dropped: Array<{ case: string; reason: string }>;
  adjusted: Array<{ case: string; change: string }>;
}

export interface TrivyConversion {
  suites: TrivySuite[];
  skipped: Array<{ id: string; check: string; reason: string }>;
}

export interface TrivyMetadata {
  title?: string;
  description?: string;
  custom?: {
    id?: string;
    recommended_action?: string;
    input?: { selector?: Array<{ subtypes?: Array<{ kind?: string }> }> };
  };
}

/** The `# METADATA` comment block of a Rego file, parsed as the YAML it is; undefined when there is none. */
export function regoMetadata(rego: string): TrivyMetadata | undefined {
  const lines = rego.split('\n');
  const start = lines.findIndex((l) => /^#\s*METADATA\s*$/.test(l));
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('#')) break;
    body.push(line.replace(/^# ?/, ''));
  }
  return (parseYaml(body.join('\n')) as TrivyMetadata | null) ?? undefined;
}

const packageOf = (rego: string): string | undefined => /^package\s+(\S+)/m.exec(rego)?.[1];

/** A text that says something: at least three words (the one-word title "Privileged" names a finding, no rule). */
const says = (text: string | undefined): text is string => Boolean(text && text.trim().split(/\s+/).length >= 3);
const clean = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Checks whose Rego decides on values none of their texts gives, found by running the corpus (a text read as written
 * disagreed with upstream's verdict) and confirmed in the Rego: the same reason as configurable data, fixed in the code.
 */
export const NARROWER_THAN_TEXT: Record<string, string> = {
  any_verb:
    "the check judges a wildcard verb only on a fixed list of resources (any_verb.rego's resourceRead: secrets, pods, deployments, …) none of its texts names; any_verb_test.rego's test_any_verb_role_no_specific_resource allows '*' verbs on resource \"aaa\"",
};

/** Why a check cannot be a single-object admission suite, from its metadata and Rego; undefined when it can. */
export function checkSkipReason(meta: TrivyMetadata, rego: string): string | undefined {
  if (meta.custom?.id?.startsWith('KCV')) {
    return 'CIS benchmark of the cluster components (API server, controller manager, scheduler or etcd flags; node files and kubelet flags): posture, not an admission request';
  }
  const kinds = (meta.custom?.input?.selector ?? []).flatMap((s) => (s.subtypes ?? []).map((k) => k.kind ?? ''));
  if (kinds.some((k) => k.toLowerCase() === 'nodeinfo')) return 'node posture (NodeInfo), not an admission request';
  const data = [...rego.matchAll(/(?<![\w.])data\.(\w+)/g)].map((m) => m[1]).filter((d) => d !== 'lib' && d !== 'k8s');
  if (data.length) {
    return `the verdict depends on configurable data (${[...new Set(data)].map((d) => `data.${d}`).join(', ')}) the text does not give`;
  }
  if (/\binput\.apiVersion\b/.test(rego)) {
    return "the verdict is about the object's apiVersion itself: a test moved to a served apiVersion would test something else";
  }
  return undefined;
}

/** Converts a checked-out trivy-checks tree (`root` holds checks/kubernetes/). */
export function convertTrivy(root: string, catalog: ApiCatalog = builtinCatalog()): TrivyConversion {
  const dir = join(root, 'checks', 'kubernetes');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.rego'))
    .sort();
  const tests = new Map<string, string>();
  for (const f of files.filter((x) => x.endsWith('_test.rego'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const pkg = packageOf(text)?.replace(/_test$/, '');
    if (pkg) tests.set(pkg, `${tests.get(pkg) ?? ''}\n${text}`);
  }
  const suites: TrivySuite[] = [];
  const skipped: TrivyConversion['skipped'] = [];
  for (const f of files.filter((x) => !x.endsWith('_test.rego'))) {
    const check = f.replace(/\.rego$/, '');
    const rego = readFileSync(join(dir, f), 'utf8');
    const meta = regoMetadata(rego);
    if (!meta) continue; // not a check (no METADATA block)
    const skip = (id: string, reason: string): void => void skipped.push({ id, check, reason });
    const texts: Array<{ id: string; variant: TrivyVariant; intent: string }> = [];
    const offer = (variant: TrivyVariant, text: string | undefined, missing: string): void => {
      const id = `${check}--${variant}`;
      if (says(text)) texts.push({ id, variant, intent: clean(text) });
      else skip(id, missing);
    };
    offer('title', meta.title, 'the title has fewer than three words: it names a finding, no rule');
    offer('description', meta.description, 'no description of three words or more');
    const action = meta.custom?.recommended_action;
    if (action && /^\s*Migrate\b/.test(action)) {
      skip(`${check}--action`, 'the recommended action says what to do instead (migrate), not what the object must be');
    } else offer('action', action, 'no recommended action');
    if (!texts.length) continue;
    const skipAll = (reason: string): void => texts.forEach((t) => skip(t.id, reason));
    const why = checkSkipReason(meta, rego) ?? NARROWER_THAN_TEXT[check];
    if (why) {
      skipAll(why);
      continue;
    }
    const pkg = packageOf(rego);
    const testText = pkg ? tests.get(pkg) : undefined;
    if (!testText) {
      skipAll('upstream has no *_test.rego for it: no cases');
      continue;
    }
    const { cases, dropped, adjusted } = testCases(testText, catalog);
    const deny = cases.filter((c) => c.expect === 'deny').length;
    const allow = cases.length - deny;
    if (!deny || !allow) {
      const left = dropped.length ? ` once left out: ${[...new Set(dropped.map((d) => d.reason))].join('; ')}` : '';
      skipAll(`needs both a deny and an allow case (upstream's tests give ${deny} deny, ${allow} allow)${left}`);
      continue;
    }
    for (const t of texts) {
      suites.push({
        id: t.id,
        check,
        checkId: meta.custom?.id ?? '',
        variant: t.variant,
        intent: t.intent,
        cases: structuredClone(cases),
        dropped,
        adjusted,
      });
    }
  }
  return { suites, skipped };
}

/** A top-level Rego statement: from a line that starts in column 0 up to the next such line. */
function topLevelChunks(text: string): string[] {
  return text.split(/\n(?=[A-Za-z_])/);
}

/** Every `test_…` rule's input and verdict (or why it was left out). */
export function testCases(
  text: string,
  catalog: ApiCatalog = builtinCatalog(),
): { cases: TestCase[]; dropped: TrivySuite['dropped']; adjusted: TrivySuite['adjusted'] } {
  const cases: TestCase[] = [];
  const dropped: TrivySuite['dropped'] = [];
  const adjusted: TrivySuite['adjusted'] = [];
  const scope: RegoScope = { values: new Map(), functions: new Map() };
  const defined = new Map<string, number>();
  const tests: Array<{ name: string; body: string }> = [];
  for (const chunk of topLevelChunks(stripComments(text))) {
    const test = /^(test_\w+)(?:\[\w+\])?\s+if\s*\{/.exec(chunk);
    if (test) {
      tests.push({ name: test[1], body: chunk.slice(test[0].length) });
      continue;
    }
    const fn = /^(\w+)\(([\w\s,]*)\)\s*:=\s*/.exec(chunk);
    const constant = /^(\w+)\s*:=\s*/.exec(chunk);
    const head = fn ?? constant;
    if (!head) continue;
    defined.set(head[1], (defined.get(head[1]) ?? 0) + 1);
    try {
      const { term, end } = parseTerm(chunk, head[0].length);
      if (chunk.slice(end).trim()) continue; // more than one term: not a plain definition
      if (fn) scope.functions.set(fn[1], { params: fn[2].split(',').map((p) => p.trim()), body: term });
      else scope.values.set(head[1], evaluate(term, scope));
    } catch (err) {
      if (!(err instanceof NotALiteral)) throw err;
    }
  }
  // A name defined twice (Rego's incremental definitions) has no single value.
  for (const [name, n] of defined) {
    if (n > 1) {
      scope.values.delete(name);
      scope.functions.delete(name);
    }
  }
  for (const t of tests) {
    const read = readTest(t.body, scope);
    if ('reason' in read) {
      dropped.push({ case: t.name, reason: read.reason });
      continue;
    }
    for (const c of read.cases) {
      const name = c.entry === undefined ? t.name : `${t.name}[${c.entry}]`;
      if ('reason' in c) {
        dropped.push({ case: name, reason: c.reason });
        continue;
      }
      const made = catalogCase(c.object, name, c.expect, catalog);
      if ('reason' in made) dropped.push({ case: name, reason: made.reason });
      else {
        cases.push(made.testCase);
        if (made.change) adjusted.push({ case: name, change: made.change });
      }
    }
  }
  return { cases, dropped, adjusted };
}

type ReadCase = { entry?: string; object: KubeObject; expect: 'allow' | 'deny' } | { entry?: string; reason: string };

/** One test rule's body: its input (per table entry) and the verdict its assertions say. */
function readTest(body: string, fileScope: RegoScope): { cases: ReadCase[] } | { reason: string } {
  // Keywords are looked for outside strings ("some-role" is no `some`); the blanked copy keeps every offset.
  const code = body.replace(/"(?:[^"\\\n]|\\.)*"/g, (m) => `"${' '.repeat(m.length - 2)}"`);
  const calls = [...code.matchAll(/(\w+)\s*:?=\s*(?:\w+\.)?deny\s+with\s+input\s+as\s+/g)];
  if (!calls.length) return { reason: 'the test does not evaluate deny on an input' };
  if (calls.length > 1) return { reason: `the test evaluates deny on ${calls.length} inputs` };
  const replaced = [...code.matchAll(/\bwith\s+([\w.]+)\s+as\b/g)].map((m) => m[1]).filter((x) => x !== 'input');
  if (replaced.length) return { reason: `the test replaces ${[...new Set(replaced)].join(', ')} (data or a rule)` };
  if (/\bevery\b/.test(code)) return { reason: 'the test asserts over several inputs (every)' };
  const result = calls[0][1];
  let input: RegoTerm;
  try {
    input = parseTerm(body, calls[0].index + calls[0][0].length).term;
  } catch (err) {
    if (err instanceof NotALiteral) return { reason: `the input is not a literal Rego object (${err.message})` };
    throw err;
  }
  const asserts = assertions(body, code, result);
  if (!asserts.length) return { reason: 'no count assertion on the result: the verdict cannot be read' };
  // Locals in order (`inp := {…}`); the deny call's own line is not one.
  const locals: Array<[string, RegoTerm]> = [];
  for (const m of code.matchAll(/^\s*(\w+)\s*:=\s*/gm)) {
    if (m[1] === result) continue;
    try {
      locals.push([m[1], parseTerm(body, m.index + m[0].length).term]);
    } catch (err) {
      if (!(err instanceof NotALiteral)) throw err;
    }
  }
  const table = /\bsome\s+(\w+)\s*,\s*(\w+)\s+in\s+/.exec(code);
  if (!table && /\bsome\b/.test(code)) return { reason: 'the test iterates (some) in a way not read here' };
  let entries: Array<[string | undefined, RegoValue | undefined]> = [[undefined, undefined]];
  if (table) {
    try {
      const rows = parseTerm(body, table.index + table[0].length).term;
      if (rows.t !== 'obj') return { reason: 'the test table is not an object' };
      entries = rows.entries.map(([k, row]) => [String(evaluate(k, fileScope)), tableRow(row, fileScope)]);
    } catch (err) {
      if (err instanceof NotALiteral) return { reason: `the test table is not a literal (${err.message})` };
      throw err;
    }
  }
  const cases = entries.map(([entry, row]): ReadCase => {
    const values = new Map(fileScope.values);
    if (table) values.set(table[2], row as RegoValue);
    const scope = { ...fileScope, values };
    try {
      for (const [name, term] of locals) {
        try {
          values.set(name, evaluate(term, scope));
        } catch (err) {
          if (!(err instanceof NotALiteral)) throw err;
        }
      }
      const object = evaluate(input, scope);
      if (!object || typeof object !== 'object' || Array.isArray(object)) {
        return { entry, reason: 'the input is not an object' };
      }
      if (object.kind === 'List' || Array.isArray(object.items)) {
        return { entry, reason: 'the input is a list, not a single Kubernetes object' };
      }
      const metadata = object.metadata;
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata) || typeof metadata.name !== 'string') {
        return { entry, reason: 'the input has no metadata.name: not a well-formed Kubernetes object' };
      }
      const verdicts = new Set(asserts.map((a) => verdictOf(a, scope)));
      if (verdicts.size !== 1 || verdicts.has(undefined)) {
        return {
          entry,
          reason: `the assertions (${asserts.map((a) => a.text).join('; ')}) do not say 0 or at least 1`,
        };
      }
      const [expect] = [...verdicts] as Array<'allow' | 'deny'>;
      return { entry, object: object as KubeObject, expect };
    } catch (err) {
      if (err instanceof NotALiteral)
        return { entry, reason: `the input is not a literal Rego object (${err.message})` };
      throw err;
    }
  });
  return { cases };
}

/**
 * A table entry's fields, each evaluated on its own: a field with no JSON form (a set of expected message keys) is
 * left out, so only a test whose input or verdict uses it fails.
 */
function tableRow(row: RegoTerm, scope: RegoScope): RegoValue {
  if (row.t !== 'obj') return evaluate(row, scope);
  const out: Record<string, RegoValue> = {};
  for (const [k, v] of row.entries) {
    const key = evaluate(k, scope);
    if (typeof key !== 'string') throw new NotALiteral('a table field that is not a string');
    try {
      out[key] = evaluate(v, scope);
    } catch (err) {
      if (!(err instanceof NotALiteral)) throw err;
    }
  }
  return out;
}

interface Assertion {
  text: string;
  op: string;
  value: RegoTerm;
  negated: boolean;
}

/** `count(r) <op> <value>` and `test.assert_count(r, <value>)` / `assert_empty(r)` on the result variable. */
function assertions(body: string, code: string, result: string): Assertion[] {
  const out: Assertion[] = [];
  const counted = new RegExp(`(\\bnot\\s+)?count\\(\\s*${result}\\s*\\)\\s*(==|!=|>=|<=|=|>|<)\\s*`, 'g');
  for (const m of code.matchAll(counted)) {
    try {
      const value = parseTerm(body, m.index + m[0].length);
      out.push({ text: body.slice(m.index, value.end).trim(), op: m[2], value: value.term, negated: Boolean(m[1]) });
    } catch (err) {
      if (!(err instanceof NotALiteral)) throw err;
      out.push({ text: m[0].trim(), op: '?', value: { t: 'lit', v: null }, negated: Boolean(m[1]) });
    }
  }
  const helper = new RegExp(`(\\bnot\\s+)?test\\.assert_count\\(\\s*${result}\\s*,\\s*`, 'g');
  for (const m of code.matchAll(helper)) {
    try {
      const value = parseTerm(body, m.index + m[0].length);
      out.push({
        text: body.slice(m.index, value.end + 1).trim(),
        op: '==',
        value: value.term,
        negated: Boolean(m[1]),
      });
    } catch (err) {
      if (!(err instanceof NotALiteral)) throw err;
    }
  }
  // `r[_].msg == "…"` holds only when some denial has that message: the object is denied.
  for (const m of code.matchAll(new RegExp(`(\\bnot\\s+)?${result}\\[_\\]\\.msg\\s*==?\\s*"`, 'g'))) {
    out.push({ text: `${m[0]}…"`.trim(), op: '>', value: { t: 'lit', v: 0 }, negated: Boolean(m[1]) });
  }
  for (const m of code.matchAll(
    new RegExp(`(\\bnot\\s+)?test\\.assert_(empty|not_empty)\\(\\s*${result}\\s*\\)`, 'g'),
  )) {
    const op = m[2] === 'empty' ? '==' : '>';
    out.push({ text: m[0].trim(), op, value: { t: 'lit', v: 0 }, negated: Boolean(m[1]) });
  }
  return out;
}

/** allow when the assertion says the result is empty, deny when it says at least one; else undefined. */
function verdictOf(a: Assertion, scope: RegoScope): 'allow' | 'deny' | undefined {
  if (a.negated || a.op === '?') return undefined;
  let n: RegoValue;
  try {
    n = evaluate(a.value, scope);
  } catch (err) {
    if (err instanceof NotALiteral) return undefined;
    throw err;
  }
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return undefined;
  switch (a.op) {
    case '==':
    case '=':
      return n === 0 ? 'allow' : 'deny';
    case '>':
      return 'deny';
    case '>=':
      return n >= 1 ? 'deny' : undefined;
    case '!=':
      return n === 0 ? 'deny' : undefined;
    case '<':
      return n === 1 ? 'allow' : undefined;
    case '<=':
      return n === 0 ? 'allow' : undefined;
    default:
      return undefined;
  }
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderTrivySuite(s: TrivySuite, commit: string): string {
  const what = { title: 'METADATA title', description: 'METADATA description', action: 'custom.recommended_action' };
  const header = [
    `# From ${TRIVY_REPOSITORY}@${commit.slice(0, 12)} (MIT, © Aqua Security): checks/kubernetes/${s.check}.rego (${s.checkId}) and its tests.`,
    `# Variant: ${s.variant} (the check's ${what[s.variant]}).`,
    '# Generated by bench/corpus/convert-trivy.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

/** Writes `<out>/<id>.yaml` per suite and `<out>/index.json`. */
export function writeTrivyCorpus(conversion: TrivyConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: TRIVY_REPOSITORY,
      licence: 'MIT',
      attribution: 'Copyright (c) 2024 Aqua Security',
    },
    conversion,
    {
      render: (s) => renderTrivySuite(s, commit),
      names: (s) => ({ check: s.check, checkId: s.checkId, variant: s.variant }),
      notes: (s) => ({ dropped: s.dropped, adjusted: s.adjusted }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-trivy.js',
  source: '<trivy-checks checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'trivy'],
  checkout: { marker: join('checks', 'kubernetes'), paths: ['checks/kubernetes'], name: 'trivy-checks' },
  convert: (root, commit, out) => {
    const conversion = convertTrivy(root);
    writeTrivyCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
