import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convertKubeScore,
  intentOf,
  readAssertions,
  readChecks,
  renderKubeScoreSuite,
  type KubeScoreSuite,
} from '../../bench/corpus/convert-kubescore.js';
import { parseSuite } from '../../sandbox/index.js';
import { runCommittedCorpus } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'kubescore');

describe('bench/corpus/convert-kubescore: kube-score checks and fixture tests → shared-format suites', () => {
  const conversion = convertKubeScore(FIXTURE);
  const byId = (id: string): KubeScoreSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));

  it("one suite per check, named by kube-score's check id; the intent is its description", () => {
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'container-image-tag',
      'container-resources',
      'cronjob-has-deadline',
      'deployment-has-host-podantiaffinity',
    ]);
    expect(byId('cronjob-has-deadline').intent).toBe('Makes sure that all CronJobs has a configured deadline');
  });

  it('removes a flag-usage sentence and a bare reference link from the description, saying so', () => {
    expect(byId('container-resources')).toMatchObject({
      intent: 'Makes sure that all pods have resource limits and requests set.',
      intentEdits: [
        'removed the flag-usage sentence "The --ignore-container-cpu-limit flag can be used to disable the requirement of having a CPU limit"',
      ],
    });
    expect(byId('deployment-has-host-podantiaffinity').intent).toBe(
      'Makes sure that a podAntiAffinity has been set that prevents multiple pods from being scheduled on the same node.',
    );
    // A rationale sentence is the author's text, not tool usage: kept.
    expect(
      intentOf(
        'Makes sure that the pullPolicy is set to Always. This makes sure that imagePullSecrets are always validated.',
      ),
    ).toEqual({
      intent:
        'Makes sure that the pullPolicy is set to Always. This makes sure that imagePullSecrets are always validated.',
      edits: [],
    });
  });

  it('reads Critical and Warning as deny, AllOK as allow; grade 0 (kube-score skipped the object) is left out', () => {
    expect(verdicts('container-resources')).toEqual({
      'pod-test-resources-none': 'deny',
      'pod-test-resources-only-limits': 'deny',
      'pod-test-resources-limits-and-requests': 'allow',
      'pod-test-resources-limits-and-requests-no-cpu-limit': 'deny',
    });
    expect(byId('container-resources').warnings).toEqual(['pod-test-resources-only-limits']);
    expect(verdicts('deployment-has-host-podantiaffinity')).toEqual({
      'deployment-host-antiaffinity-required': 'allow',
      'deployment-host-antiaffinity-not-set': 'deny',
    });
    expect(byId('deployment-has-host-podantiaffinity').dropped).toEqual([
      {
        case: 'deployment-host-antiaffinity-1-replica',
        reason:
          'apps_test.go:TestDeploymentHasPodAntiAffinityOneReplica: asserts grade 0, kube-score skipping the object: not a verdict',
      },
    ]);
  });

  it("keeps a test run with the command line's default configuration, leaves out one run with another", () => {
    // IgnoreContainerCpuLimitRequirement: false (the default) → Critical kept; true → AllOK left out.
    expect(byId('container-resources').dropped).toEqual([
      {
        case: 'pod-test-resources-limits-and-requests-no-cpu-limit',
        reason:
          "score_test.go:TestPodContainerResourceLimitCpuNotRequired: run with IgnoreContainerCpuLimitRequirement true; the description states kube-score's default (--ignore-container-cpu-limit false)",
      },
    ]);
  });

  it('judges pod checks on the controller through its template, the one judged object of a List; several are left out', () => {
    // list.yaml: a Service (#1, never judged by a pod check) and a Deployment whose nginx image has no tag.
    expect(verdicts('container-image-tag')).toEqual({ 'pod-image-tag-fixed': 'allow', 'list#2': 'deny' });
    expect(byId('container-image-tag').cases.find((c) => c.name === 'list#2')?.object?.kind).toBe('Deployment');
    expect(byId('container-image-tag').dropped).toEqual([
      {
        case: 'linenumbers',
        reason:
          'score_test.go:TestTwoDeploymentsImageTag: the fixture holds 2 objects the check judges (Deployment, Deployment); the test asserts the grade of whichever kube-score meets first: not attributable',
      },
    ]);
  });

  it('expands a loop over fixture names and moves an unserved apiVersion to the served one', () => {
    expect(verdicts('cronjob-has-deadline')).toEqual({
      'cronjob-batchv1beta1-deadline-set': 'allow',
      'cronjob-batchv1-deadline-set': 'allow',
      'cronjob-batchv1beta1-deadline-not-set': 'deny',
      'cronjob-batchv1-deadline-not-set': 'deny',
    });
    expect(byId('cronjob-has-deadline').adjusted).toEqual([
      { case: 'cronjob-batchv1beta1-deadline-set', change: 'apiVersion batch/v1beta1 → batch/v1' },
      { case: 'cronjob-batchv1beta1-deadline-not-set', change: 'apiVersion batch/v1beta1 → batch/v1' },
    ]);
    const go = readFileSync(join(FIXTURE, 'score', 'cronjob_test.go'), 'utf8');
    expect(readAssertions('cronjob_test.go', go).map((a) => a.files)).toEqual([
      ['cronjob-batchv1beta1-deadline-set.yaml'],
      ['cronjob-batchv1-deadline-set.yaml'],
      ['cronjob-batchv1beta1-deadline-not-set.yaml'],
      ['cronjob-batchv1-deadline-not-set.yaml'],
    ]);
  });

  it('reads what a registration depends on: the parsed objects, or a run-configuration field', () => {
    const checks = Object.fromEntries(readChecks(FIXTURE).map((c) => [c.id, c]));
    expect(checks['pod-probes']).toMatchObject({ target: 'Pod', objects: ['allObjects.Services()'], config: [] });
    expect(checks['container-resources']).toMatchObject({
      config: ['IgnoreContainerCpuLimitRequirement', 'IgnoreContainerMemoryLimitRequirement'],
      objects: [],
    });
    expect(checks['horizontalpodautoscaler-replicas']).toMatchObject({
      target: 'HorizontalPodAutoscaler',
      config: ['MinReplicasHPA'],
    });
    expect(checks['container-ports-check']).toMatchObject({ optional: true });
    expect(checks['label-values']).toMatchObject({ target: 'all' });
  });

  it('skips, with why: other objects, the apiVersion check, an unclear optional check, no test, one verdict', () => {
    expect(Object.fromEntries(conversion.skipped.map((s) => [s.id, s.reason]))).toEqual({
      'container-ports-check': expect.stringMatching(
        /^an optional check whose description \("Container Ports Checks"\)/,
      ),
      'horizontalpodautoscaler-replicas':
        "needs both a deny and an allow case (its fixture tests give 1 deny, 0 allow once left out: run with MinReplicasHPA 0; the description states kube-score's default (--min-replicas-hpa 2); run with MinReplicasHPA 1; the description states kube-score's default (--min-replicas-hpa 2))",
      'label-values': 'no fixture test (score/*_test.go testExpectedScore…) asserts a grade for it',
      'pod-probes':
        'its verdict depends on other objects of the input (its registration is handed allObjects.Services()): not a rule one object can be admitted by',
      'stable-version': expect.stringMatching(/^judges the object's apiVersion against a Kubernetes version/),
    });
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('container-resources');
    const text = renderKubeScoreSuite(s, '06dedc9ccce58bff50a4f42a3ce0633dc72b0dfa');
    expect(text.split('\n')[0]).toBe(
      '# From zegl/kube-score@06dedc9ccce5 (MIT, © Gustav Westling): score/container/container.go, check "Container Resources".',
    );
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus/kube-score: the committed corpus (upstream fixture tests and verdicts)', () => {
  it('has no policy reported safe that disagrees with kube-score', async () => {
    const { corpus, wrong } = await runCommittedCorpus('kube-score');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 19, verifiedButWrong: 0 });
  });
});
