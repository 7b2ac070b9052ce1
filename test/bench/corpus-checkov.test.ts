import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convertCheckov,
  fileVerdicts,
  readCheck,
  readTest,
  renderCheckovSuite,
  type CheckovSuite,
} from '../../bench/corpus/convert-checkov.js';
import { parseSuite } from '../../sandbox/index.js';
import { runCommittedCorpus } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'checkov');
const CHECKS = join(FIXTURE, 'checkov', 'kubernetes', 'checks', 'resource', 'k8s');
const TESTS = join(FIXTURE, 'tests', 'kubernetes', 'checks');

describe('bench/corpus/convert-checkov: Checkov Kubernetes checks → shared-format suites', () => {
  const conversion = convertCheckov(FIXTURE);
  const byId = (id: string): CheckovSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));

  it("takes the check's name as the intent, one suite per check, named by its CKV id", () => {
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'CKV_K8S_11--CPULimits',
      'CKV_K8S_26--HostPort',
      'CKV_K8S_18--ShareHostIPC',
      'CKV_K8S_49--WildcardRoles',
    ]);
    expect(byId('CKV_K8S_26--HostPort').intent).toBe('Do not specify hostPort unless absolutely necessary');
  });

  it('uses the resource ids a test names (Kind.namespace.name): passing → allow, failing → deny', () => {
    expect(byId('CKV_K8S_49--WildcardRoles').verdicts).toBe('resource ids');
    expect(verdicts('CKV_K8S_49--WildcardRoles')).toEqual({ 'role-failed-1': 'deny', 'role-passed-1': 'allow' });
  });

  it("else the file name's verdict word, for the objects of the kinds the check judges only", () => {
    // nginx-app-PASSED holds a Service (#1) beside two Deployments: Checkov's container checks never judge a Service.
    expect(verdicts('CKV_K8S_26--HostPort')).toEqual({
      'DS-node-exporter-FAILED': 'deny',
      'nginx-app-FAILED': 'deny',
      'nginx-app-PASSED#2': 'allow',
      'nginx-app-PASSED#3': 'allow',
    });
    // memcachedStatefulSet-PASSED: Service, StatefulSet, PodDisruptionBudget; the check's supported_kind list
    // (several lines in the source) has the StatefulSet only.
    expect(verdicts('CKV_K8S_18--ShareHostIPC')).toEqual({
      'memcachedStatefulSet-PASSED#2': 'allow',
      'privilegedPod-FAILED': 'deny',
      'privilegedPod-PASS': 'allow',
    });
  });

  it('leaves out UNKNOWN (a skip, not a verdict) and files whose name gives several verdicts, saying why', () => {
    const s = byId('CKV_K8S_11--CPULimits');
    expect(verdicts('CKV_K8S_11--CPULimits')).toEqual({
      'cronjob-request-limit-1FAILED': 'deny',
      'pod-requests-limits-2PASSED': 'allow',
    });
    expect(s.dropped).toEqual([
      {
        case: 'pod-requests-limits-1FAILED1PASSED',
        reason:
          'the file name gives several verdicts (failed, passed) and test_CPULimits.py asserts only counts: not attributable to one object',
      },
      { case: 'pod-requests-limits-UNKNOWN', reason: 'UNKNOWN in the file name: Checkov skips it, not a verdict' },
    ]);
  });

  it('moves unserved apiVersions to the served one and leaves out kinds the catalog does not know', () => {
    expect(byId('CKV_K8S_11--CPULimits').adjusted).toEqual([
      { case: 'cronjob-request-limit-1FAILED', change: 'apiVersion batch/v1beta1 → batch/v1' },
    ]);
    const hostPort = byId('CKV_K8S_26--HostPort');
    expect(hostPort.adjusted).toEqual([
      { case: 'DS-node-exporter-FAILED', change: 'apiVersion extensions/v1beta1 → apps/v1' },
    ]);
    expect(hostPort.dropped).toEqual([
      { case: 'oc-deploymentConfig-FAILED', reason: 'DeploymentConfig at v1 is not in the catalog' },
    ]);
  });

  it('skips, with why: PodSecurityPolicy, control-plane flags, no test, and names that contradict the counts', () => {
    expect(Object.fromEntries(conversion.skipped.map((s) => [s.id, s.reason]))).toEqual({
      'CKV_K8S_68--ApiServerAnonymousAuth': expect.stringMatching(/^control-plane configuration: the command-line/),
      'CKV_K8S_8--LivenessProbe':
        'no test of its own (no tests/kubernetes/checks/test_*.py imports it with an example folder)',
      'CKV_K8S_12--MemoryRequests':
        "the file names of example_Requests_Limits give 1 passed, 1 failed (1 objects not attributable), but test_MemoryRequests.py asserts 0 passed, 2 failed: the names are not this check's verdicts",
      'CKV_K8S_3--ShareHostIPCPSP':
        'judges PodSecurityPolicy objects, a kind the API no longer serves (removed in 1.25)',
    });
  });

  it('reads the kinds of a check from its base class, a literal list, or a comprehension that leaves kinds out', () => {
    const kinds = (check: string): string[] | undefined =>
      readCheck(check, readFileSync(join(CHECKS, `${check}.py`), 'utf8'))?.kinds;
    expect(kinds('WildcardRoles')).toEqual(['Role', 'ClusterRole']);
    expect(kinds('LivenessProbe')).not.toContain('CronJob');
    expect(kinds('LivenessProbe')).not.toContain('Job');
    expect(kinds('LivenessProbe')).toContain('Deployment');
    expect(kinds('HostPort')).toEqual(expect.arrayContaining(['Pod', 'CronJob', 'Job', 'DeploymentConfig']));
  });

  it("reads a test's literal resource ids, not the comprehension that collects Checkov's results", () => {
    const t = readTest('test_WildcardRoles.py', readFileSync(join(TESTS, 'test_WildcardRoles.py'), 'utf8'));
    expect(t).toMatchObject({
      example: 'example_WildcardRoles',
      passed: 1,
      failed: 1,
      passing: ['Role.test.test-should-pass-3'],
      failing: ['Role.test.test-should-fail-1'],
    });
  });

  it('finds verdict words in upstream file names as they are spelled', () => {
    expect(fileVerdicts('rootContainersFAILED_2.yaml')).toEqual(['failed']);
    expect(fileVerdicts('CronJob-pass.yaml')).toEqual(['passed']);
    expect(fileVerdicts('cronjob-UNKOWN.yaml')).toEqual(['unknown']);
    expect(fileVerdicts('scope-2PASSED-1FAILED.yaml')).toEqual(['passed', 'failed']);
    // "PASSES…" is not a verdict word: the file says one passes and one fails, in prose.
    expect(fileVerdicts('annotation2-nollua-PASSESONEFAILSONE.yaml')).toEqual([]);
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('CKV_K8S_26--HostPort');
    const text = renderCheckovSuite(s, '03d5fdad8d6154b1565799a7b1fb8070c158866f');
    expect(text.split('\n')[0]).toBe(
      '# From bridgecrewio/checkov@03d5fdad8d61 (Apache-2.0, © Bridgecrew / Palo Alto Networks): checkov/kubernetes/checks/resource/k8s/HostPort.py (CKV_K8S_26).',
    );
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus/checkov: the committed corpus (upstream tests and verdicts)', () => {
  it('has no policy reported safe that disagrees with Checkov', async () => {
    const { corpus, wrong } = await runCommittedCorpus('checkov-k8s');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 36, verifiedButWrong: 0 });
    expect(corpus.agrees).toBeGreaterThanOrEqual(9);
  });
});
