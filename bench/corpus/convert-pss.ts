import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { KubeObject, TestCase } from '../../common/index.js';
import {
  runConverter,
  writeConvertedCorpus,
  suiteFileText,
  type ConverterCommand,
  conversionLine,
} from './checkout.js';

/**
 * Turns Kubernetes' own Pod Security Admission (kubernetes/pod-security-admission) into suites in the shared
 * format: one suite per Pod Security Standards check. The intent is the check's description as its author wrote
 * it (the first paragraph of the doc comment in policy/check_<check>.go, the text the Pod Security Standards page
 * carries); the cases are upstream's recorded fixtures under test/testdata/<level>/<version>/{pass,fail}/, each
 * named after the check it was generated to fail (test/fixtures_<check>.go). Verdicts come from upstream, not us.
 *
 * Which fixtures a check's suite uses: a restricted fixture is the restricted base pod with one change, so it
 * passes every check but the one it is named for; a baseline fixture is a bare pod with one change, so it passes
 * every baseline check but its own and is used only for baseline checks. A few changes fail a second check as
 * well (ALSO_FAILS, each read off the fixture files); those fixtures are deny cases of both.
 *
 * `node dist/bench/corpus/convert-pss.js <pod-security-admission checkout or bare git dir> [out dir]`
 */

export const PSS_REPOSITORY = 'kubernetes/pod-security-admission';

type Level = 'baseline' | 'restricted';

/**
 * Fixture groups whose one change fails a second check too. Read off test/testdata/restricted/v1.37/fail/*.yaml:
 * - windowshostprocess*: hostProcess needs hostNetwork: true, which the host-namespaces check forbids;
 * - procmount* (hostUsers: true, Unmasked): the restricted procMount check allows only Default, whatever hostUsers;
 * - capabilities_baseline* (NET_RAW, chown, CAP_CHOWN added): restricted allows adding NET_BIND_SERVICE only;
 * - seccompprofile_baseline* (Unconfined): restricted allows RuntimeDefault and Localhost only;
 * - hostpathvolumes*: hostPath is not among the restricted volume types;
 * - privileged* (restricted level): privileged: true replaces allowPrivilegeEscalation: false, which restricted needs;
 * - allowprivilegeescalation3: the container's whole securityContext is gone, so its drop ALL is too;
 * - restrictedvolumes19: its volume is a hostPath (/dev/null), which the hostPath check forbids;
 * - seccompprofile_restricted1 and 4: Unconfined (the pod's, an init container's), which baseline forbids too.
 */
export const ALSO_FAILS: Record<string, Partial<Record<Level, string[]>>> = {
  windowshostprocess: { baseline: ['hostnamespaces'], restricted: ['hostnamespaces'] },
  procmount: { restricted: ['procmount_restricted'] },
  capabilities_baseline: { restricted: ['capabilities_restricted'] },
  seccompprofile_baseline: { restricted: ['seccompprofile_restricted'] },
  hostpathvolumes: { restricted: ['restrictedvolumes'] },
  privileged: { restricted: ['allowprivilegeescalation'] },
  allowprivilegeescalation3: { restricted: ['capabilities_restricted'] },
  restrictedvolumes19: { restricted: ['hostpathvolumes'] },
  seccompprofile_restricted1: { restricted: ['seccompprofile_baseline'] },
  seccompprofile_restricted4: { restricted: ['seccompprofile_baseline'] },
};

export interface PssSuite {
  /** The check's fixture name (`privileged`, `capabilities_restricted`), also the file name. */
  id: string;
  /** policy/check_<name>.go */
  source: string;
  level: Level;
  version: string;
  intent: string;
  cases: TestCase[];
}

export interface PssConversion {
  version: string;
  suites: PssSuite[];
  skipped: Array<{ id: string; reason: string }>;
}

/** The first paragraph of the check's doc comment (the one after the licence): the rule in its author's words. */
export function checkDescription(source: string): string | undefined {
  const comments = [...source.matchAll(/\/\*([\s\S]*?)\*\//g)].map((m) => m[1]);
  const doc = comments.find((c) => !/Licensed under the Apache License/.test(c));
  if (!doc) return undefined;
  const lines: string[] = [];
  for (const raw of doc.split('\n')) {
    const line = raw.trim();
    if (!line) {
      if (lines.length) break;
      continue;
    }
    if (/^\*\*|^Restricted Fields|^v\d+\.\d+/.test(line)) break;
    lines.push(line);
  }
  return lines.length ? lines.join('\n') : undefined;
}

const semver = (v: string): number[] => v.replace(/^v/, '').split('.').map(Number);
const newer = (a: string, b: string): number => {
  const [x, y] = [semver(a), semver(b)];
  return x[0] - y[0] || x[1] - y[1];
};

/** Fixture file → the check it was generated for: `capabilities_baseline2` → `capabilities_baseline`. */
const groupOf = (file: string): string => basename(file, '.yaml').replace(/\d+$/, '');

interface Fixture {
  level: Level;
  verdict: 'pass' | 'fail';
  name: string;
  object: KubeObject;
}

function fixtures(dir: string, level: Level): Fixture[] {
  const out: Fixture[] = [];
  for (const verdict of ['fail', 'pass'] as const) {
    const d = join(dir, verdict);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)
      .filter((x) => x.endsWith('.yaml'))
      .sort()) {
      out.push({ level, verdict, name: basename(f, '.yaml'), object: parse(readFileSync(join(d, f), 'utf8')) });
    }
  }
  return out;
}

/** Whether a fixture fails `check`, by upstream's name for it and the second checks in ALSO_FAILS. */
function failsCheck(f: Fixture, check: string): boolean {
  if (f.verdict === 'pass') return false;
  const group = groupOf(f.name);
  if (group === check) return true;
  const also = [...(ALSO_FAILS[group]?.[f.level] ?? []), ...(ALSO_FAILS[f.name]?.[f.level] ?? [])];
  return also.includes(check);
}

/** Converts a checked-out tree (`root` holds policy/ and test/testdata/). */
export function convertPss(root: string): PssConversion {
  const data = join(root, 'test', 'testdata');
  const version = readdirSync(join(data, 'restricted')).sort(newer).at(-1);
  if (!version) throw new Error(`no versions under ${join(data, 'restricted')}`);
  const restricted = fixtures(join(data, 'restricted', version), 'restricted');
  const baseline = fixtures(join(data, 'baseline', version), 'baseline');
  const baselineGroups = new Set(baseline.filter((f) => f.verdict === 'fail').map((f) => groupOf(f.name)));
  const restrictedGroups = new Set(restricted.filter((f) => f.verdict === 'fail').map((f) => groupOf(f.name)));
  const suites: PssSuite[] = [];
  const skipped: PssConversion['skipped'] = [];
  const policyDir = join(root, 'policy');
  for (const file of readdirSync(policyDir)
    .filter((f) => /^check_.+\.go$/.test(f) && !f.endsWith('_test.go'))
    .sort()) {
    const lower = basename(file, '.go')
      .replace(/^check_/, '')
      .toLowerCase();
    // check_procMount_baseline.go's fixtures are `procmount*`; every other check's are named as its file.
    const id = restrictedGroups.has(lower) ? lower : lower.replace(/_baseline$/, '');
    const intent = checkDescription(readFileSync(join(policyDir, file), 'utf8'));
    if (!restrictedGroups.has(id)) {
      skipped.push({ id, reason: `no fixtures named ${id}* under test/testdata/restricted/${version}/fail` });
      continue;
    }
    if (!intent) {
      skipped.push({ id, reason: `${file} has no doc comment describing the check` });
      continue;
    }
    const level: Level = baselineGroups.has(id) ? 'baseline' : 'restricted';
    const pool = level === 'baseline' ? [...baseline, ...restricted] : restricted;
    const cases: TestCase[] = pool.map((f) => ({
      name: `${f.level}/${f.verdict}/${f.name}`,
      object: f.object,
      namespace: 'default',
      expect: failsCheck(f, id) ? 'deny' : 'allow',
    }));
    suites.push({ id, source: `policy/${file}`, level, version, intent, cases: structuredClone(cases) });
  }
  return { version, suites, skipped };
}

/** The suite file: a header naming the source, then the shared format (intent + cases only). */
export function renderPssSuite(s: PssSuite, commit: string): string {
  const header = [
    `# From ${PSS_REPOSITORY}@${commit.slice(0, 12)} (Apache-2.0, © The Kubernetes Authors): ${s.source}.`,
    `# Intent: the check's doc comment. Cases: test/testdata/{${s.level === 'baseline' ? 'baseline,' : ''}restricted}/${s.version}.`,
    '# Generated by bench/corpus/convert-pss.ts; do not edit by hand.',
  ];
  return suiteFileText(header, s);
}

/** Writes `<out>/<id>.yaml` per suite and `<out>/index.json`. */
export function writePssCorpus(conversion: PssConversion, out: string, commit: string): void {
  writeConvertedCorpus(
    out,
    commit,
    {
      repository: PSS_REPOSITORY,
      version: conversion.version,
      licence: 'Apache-2.0',
      attribution: 'Copyright The Kubernetes Authors',
    },
    conversion,
    {
      render: (s) => renderPssSuite(s, commit),
      names: (s) => ({ check: s.source, level: s.level }),
    },
  );
}

const COMMAND: ConverterCommand = {
  script: 'convert-pss.js',
  source: '<pod-security-admission checkout or git dir>',
  defaultOut: ['bench', 'corpus', 'pod-security'],
  checkout: { marker: 'policy', paths: ['policy', 'test/testdata'], name: 'pss' },
  convert: (root, commit, out) => {
    const conversion = convertPss(root);
    writePssCorpus(conversion, out, commit);
    return conversionLine(conversion);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runConverter(process.argv.slice(2), COMMAND);
