import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SuiteOutcome } from '../../bench/corpus.js';
import { checkDescription, convertPss, renderPssSuite, type PssSuite } from '../../bench/corpus/convert-pss.js';
import { parseSuite } from '../../sandbox/index.js';
import { offlineSuiteRunner, runCommittedCorpus } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'pss');

describe('bench/corpus/convert-pss: Pod Security Admission checks → shared-format suites', () => {
  const conversion = convertPss(FIXTURE);
  const byId = (id: string): PssSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));

  it("takes the newest fixture version by number (v1.10 after v1.9) and each check's own description", () => {
    expect(conversion.version).toBe('v1.10');
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'allowprivilegeescalation',
      'hostnamespaces',
      'privileged',
      'windowshostprocess',
    ]);
    expect(byId('privileged').intent).toBe('Privileged Pods disable most security mechanisms and must be disallowed.');
    expect(byId('privileged').source).toBe('policy/check_privileged.go');
  });

  it('reads the first paragraph after the licence, up to the fields list', () => {
    const text =
      '/*\nLicensed under the Apache License\n*/\n/*\nFirst line\nsecond line.\n\n**Restricted Fields:**\nx\n*/';
    expect(checkDescription(text)).toBe('First line\nsecond line.');
    expect(checkDescription('/*\nLicensed under the Apache License\n*/\npackage policy')).toBeUndefined();
  });

  it("denies the fixtures named after the check, allows every other fixture of the check's levels", () => {
    // privileged is a baseline check: both levels' fixtures; a baseline hostPID pod passes it.
    expect(verdicts('privileged')).toEqual({
      'baseline/fail/hostnamespaces0': 'allow',
      'baseline/fail/privileged0': 'deny',
      'baseline/pass/base': 'allow',
      'restricted/fail/allowprivilegeescalation0': 'allow',
      'restricted/fail/hostnamespaces0': 'allow',
      'restricted/fail/privileged0': 'deny',
      'restricted/fail/undocumented0': 'allow',
      'restricted/fail/windowshostprocess0': 'allow',
      'restricted/pass/base': 'allow',
      'restricted/pass/base_windows': 'allow',
    });
    // allowPrivilegeEscalation is restricted only: a bare baseline pod fails it, so baseline fixtures stay out.
    expect(Object.keys(verdicts('allowprivilegeescalation')).every((n) => n.startsWith('restricted/'))).toBe(true);
  });

  it('denies a fixture whose one change fails a second check too (hostProcess needs hostNetwork)', () => {
    expect(verdicts('hostnamespaces')['restricted/fail/windowshostprocess0']).toBe('deny');
    expect(verdicts('windowshostprocess')['restricted/fail/hostnamespaces0']).toBe('allow');
    // privileged: true replaces allowPrivilegeEscalation: false in a restricted fixture.
    expect(verdicts('allowprivilegeescalation')['restricted/fail/privileged0']).toBe('deny');
  });

  it('skips, with why, checks without fixtures or without a description', () => {
    expect(conversion.skipped).toEqual([
      { id: 'nofixtures', reason: 'no fixtures named nofixtures* under test/testdata/restricted/v1.10/fail' },
      { id: 'undocumented', reason: 'check_undocumented.go has no doc comment describing the check' },
    ]);
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('windowshostprocess');
    const text = renderPssSuite(s, '8f84a87c7f617f64a4ddc1aea24aeeb7a2e07cb8');
    expect(text.split('\n')[0]).toBe(
      '# From kubernetes/pod-security-admission@8f84a87c7f61 (Apache-2.0, © The Kubernetes Authors): policy/check_windowsHostProcess.go.',
    );
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus: Pod Security Admission suites through offline generate', () => {
  const runSuite = offlineSuiteRunner('pss');
  const run = (id: string): Promise<SuiteOutcome> => {
    const s = convertPss(FIXTURE).suites.find((x) => x.id === id)!;
    return runSuite(parseSuite(renderPssSuite(s, 'fixture'), `${id}.yaml`));
  };

  it("privilege escalation: upstream's Windows pod, which cannot set the field, is allowed (was denied)", async () => {
    // policy/check_allowPrivilegeEscalation.go lines 87-89 (8f84a87): a Windows pod passes without the field.
    const out = await run('allowprivilegeescalation');
    expect(out.failing ?? []).toEqual([]);
    expect(out).toMatchObject({ outcome: 'agrees', total: 7, passed: 7 });
  });

  it('HostProcess: agrees with every recorded fixture', async () => {
    expect(await run('windowshostprocess')).toMatchObject({ outcome: 'agrees', total: 7, passed: 7 });
  });
});

describe('bench/corpus/pod-security: the committed corpus (upstream fixtures and verdicts)', () => {
  it('has no policy reported safe that disagrees with Pod Security Admission, and reads at least 9 checks', async () => {
    const { corpus, wrong } = await runCommittedCorpus('pod-security-admission');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 19, verifiedButWrong: 0 });
    expect(corpus.agrees).toBeGreaterThanOrEqual(9);
  });
});
