import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cleanText,
  convertKubeLinter,
  readBatsTests,
  readJq,
  renderKubeLinterSuite,
  type KubeLinterSuite,
} from '../../bench/corpus/convert-kubelinter.js';
import { parseSuite } from '../../sandbox/index.js';
import { runCommittedCorpus } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'kube-linter');
const BATS = readFileSync(join(FIXTURE, 'e2etests', 'bats-tests.sh'), 'utf8');

describe('bench/corpus/convert-kubelinter: kube-linter built-in checks → shared-format suites', () => {
  const conversion = convertKubeLinter(FIXTURE);
  const byId = (id: string): KubeLinterSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));
  const skipped = Object.fromEntries(conversion.skipped.map((s) => [s.id, s.reason]));

  it("takes the check's description and, where it states the rule, its remediation, one suite each", () => {
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'default-service-account--description',
      'host-ipc--description',
      'host-ipc--remediation',
      'invalid-target-ports--description',
      'invalid-target-ports--remediation',
      'job-ttl-seconds-after-finished--description',
      'job-ttl-seconds-after-finished--remediation',
      'run-as-non-root--description',
      'run-as-non-root--remediation',
      'ssh-port--description',
    ]);
    expect(byId('host-ipc--description').intent).toBe(
      "Alert on pods/deployment-likes with sharing host's IPC namespace",
    );
    expect(byId('host-ipc--remediation').intent).toBe("Ensure the host's IPC namespace is not shared.");
    // "Refer to https://… for details." is cut: a pointer, not the rule.
    expect(byId('run-as-non-root--remediation').intent).toBe(
      'Set runAsUser and runAsGroup to non-zero numbers and runAsNonRoot to true in your pod or container securityContext.',
    );
    expect(skipped['default-service-account--remediation']).toMatch(/create a dedicated service account/);
    expect(skipped['ssh-port--remediation']).toMatch(/neither is a rule on the object/);
  });

  it('attributes a report by the kind, the object name and the Service or container its message names', () => {
    expect(byId('job-ttl-seconds-after-finished--description').verdicts).toBe('reports');
    expect(verdicts('job-ttl-seconds-after-finished--description')).toEqual({
      'Job/bad-job': 'deny',
      'Job/good-job': 'allow',
      'CronJob/bad-cronjob': 'deny',
      'CronJob/good-cronjob': 'allow',
    });
    // A Service and a Deployment share each name; the messages say `in service "…"` / `in container "…"`.
    expect(verdicts('invalid-target-ports--description')).toEqual({
      'Service/invalid-target-ports': 'deny',
      'Deployment/invalid-target-ports': 'deny',
      'Service/empty-ports': 'allow',
      'Deployment/empty-ports': 'allow',
      'Service/no-target-port': 'allow',
      'Deployment/no-target-port': 'allow',
    });
    // `container "app3" is set to runAsGroup 0` is group-zero's; `container "app"` fits dont-fire and app1.
    expect(verdicts('run-as-non-root--description')).toEqual({
      'Deployment/dont-fire': 'allow',
      'Deployment/app1': 'deny',
      'Deployment/group-zero': 'deny',
    });
  });

  it("breaks a tie between same-kind objects by the fixture's dont-fire names, and says so", () => {
    expect(byId('host-ipc--description').verdicts).toBe('reports + dont-fire names');
    expect(verdicts('host-ipc--description')).toEqual({ 'Deployment/dont-fire': 'allow', 'Deployment/app': 'deny' });
  });

  it('leaves out OpenShift DeploymentConfigs, which the catalog does not know', () => {
    expect(byId('host-ipc--description').dropped).toEqual([
      { case: 'DeploymentConfig/dont-fire', reason: 'DeploymentConfig at apps.openshift.io/v1 is not in the catalog' },
      { case: 'DeploymentConfig/app', reason: 'DeploymentConfig at apps.openshift.io/v1 is not in the catalog' },
    ]);
  });

  it('skips, with why: related objects, undescribed reports, unattributable reports, one verdict', () => {
    expect(skipped['dangling-service--description']).toMatch(/^relates several objects/);
    expect(skipped['drop-net-raw-capability--description']).toBe(
      'the test "drop-net-raw-capability" asserts 4 reports but describes only 2: an undescribed report could be about any object',
    );
    expect(skipped['wildcard-in-rules--description']).toMatch(
      /report 0 \("Role: wildcard "\*" in verb specification"\) fits 2 objects: not attributable/,
    );
    expect(skipped['unset-cpu-requirements--description']).toMatch(
      /^needs both a deny and an allow case \(the test gives 1 deny, 0 allow/,
    );
  });

  it('reads what each assertion says about which report, loops and mixed-up indices included', () => {
    const tests = new Map(readBatsTests(BATS).map((t) => [t.title, t]));
    // A test that runs a config file names no check.
    expect(tests.get('template-forbidden-annotation')?.check).toBeUndefined();
    // ssh-port's message3 takes the kind of report 1 and the message of report 2.
    const ssh = tests.get('ssh-port');
    expect(ssh?.count).toBe(3);
    expect(ssh?.reports.get(1)).toEqual({
      kind: 'DeploymentConfig',
      message: 'port 22 and protocol TCP in container "app" found',
    });
    expect(ssh?.reports.get(2)).toEqual({ message: 'port 22 and protocol TCP in container "app-no-protocol" found' });
    // invalid-target-ports asserts `actual_messages[k]`, filled in a loop from `.Reports[${i}]`.
    expect(tests.get('invalid-target-ports')?.reports.get(3)).toEqual({
      kind: 'Deployment',
      message: 'port name "123456" in container "invalid-target-ports" must contain at least one letter (a-z)',
    });
    expect(readJq('.Reports[0] | .Object.K8sObject.GroupVersionKind.Kind + " " + .Object.K8sObject.Name')).toEqual([
      { report: 0, field: 'kind' },
      { literal: ' ' },
      { report: 0, field: 'name' },
    ]);
    expect(readJq('.Reports[0].Object.K8sObject.Namespace')).toBeUndefined();
  });

  it('cuts only the sentences that point to documentation', () => {
    expect(
      cleanText(
        'Set unhealthyPodEvictionPolicy to AlwaysAllow.\n  Refer to https://kubernetes.io/x for more information.',
      ),
    ).toBe('Set unhealthyPodEvictionPolicy to AlwaysAllow.');
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('host-ipc--remediation');
    const text = renderKubeLinterSuite(s, '35de568d49825fe0278d25d7fca5aa2467f9dd00');
    expect(text.split('\n')[0]).toBe(
      "# From stackrox/kube-linter@35de568d4982 (Apache-2.0, © StackRox / Red Hat): check host-ipc (pkg/builtinchecks/yamls), variant remediation (the check's remediation).",
    );
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus/kube-linter: the committed corpus (upstream tests and verdicts)', () => {
  it('has no policy reported safe that disagrees with kube-linter', async () => {
    const { corpus, wrong } = await runCommittedCorpus('kube-linter');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 44, verifiedButWrong: 0 });
  });
});
