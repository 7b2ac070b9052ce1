import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkSkipReason,
  convertTrivy,
  regoMetadata,
  renderTrivySuite,
  testCases,
  type TrivySuite,
} from '../../bench/corpus/convert-trivy.js';
import { parseSuite } from '../../sandbox/index.js';
import { offlineSuiteRunner, runCommittedCorpus } from './corpus-harness.js';

// The fixture (test/bench/fixtures/trivy, README there) holds upstream's own *_test.rego files from
// aquasecurity/trivy-checks@80e5382269707262f35cf893bdc0805cb72217e9 (MIT), the checks' METADATA blocks over stub
// bodies, and edge_cases*.rego written here.
const FIXTURE = join(import.meta.dirname, 'fixtures', 'trivy');

describe('bench/corpus/convert-trivy: trivy-checks Kubernetes checks → shared-format suites', () => {
  const conversion = convertTrivy(FIXTURE);
  const byId = (id: string): TrivySuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));
  const reasons = Object.fromEntries(conversion.skipped.map((s) => [s.id, s.reason]));

  it('takes the METADATA title, description and recommended action as three texts, never merged', () => {
    expect(conversion.suites.map((s) => s.id).filter((id) => id.startsWith('host_ipc'))).toEqual([
      'host_ipc--title',
      'host_ipc--description',
      'host_ipc--action',
    ]);
    expect(byId('host_ipc--title').intent).toBe('Access to host IPC namespace');
    expect(byId('host_ipc--description').intent).toMatch(/^Sharing the host’s IPC namespace allows/);
    expect(byId('host_ipc--action').intent).toBe("Do not set 'spec.template.spec.hostIPC' to true.");
    expect(byId('host_ipc--title')).toMatchObject({ check: 'host_ipc', checkId: 'KSV-0008', variant: 'title' });
  });

  it('reads the verdict from the count assertion: == 1 denies, == 0 allows (host_ipc_test.rego lines 5-66)', () => {
    expect(verdicts('host_ipc--title')).toEqual({
      test_host_ipc_set_to_true_denied: 'deny',
      test_host_ipc_set_to_false_allowed: 'allow',
      test_host_ipc_is_undefined_allowed: 'allow',
    });
    const denied = byId('host_ipc--title').cases[0];
    expect(denied).toMatchObject({ namespace: 'default', object: { kind: 'Pod', spec: { hostIPC: true } } });
  });

  it('reads a table-driven test as one case per entry (uses_image_tag_latest_test.rego: tc.image, tc.expected)', () => {
    const v = verdicts('uses_image_tag_latest--title');
    expect(v['test_image_tagging_cases[image without tag]']).toBe('deny');
    expect(v['test_image_tagging_cases[image with latest tag]']).toBe('deny');
    expect(v['test_image_tagging_cases[image with version]']).toBe('allow');
    expect(v['test_image_tagging_cases[registry without tag2]']).toBe('deny');
    expect(Object.keys(v)).toHaveLength(9);
    const c = byId('uses_image_tag_latest--title').cases.find((x) => x.name.endsWith('[image with version]'));
    expect(c?.object?.spec).toMatchObject({ containers: [{ image: 'busybox:1.33.1' }] });
  });

  it("reads a helper's input (build_pod) and leaves out tests that replace data (unsafe_sysctl_options_set_test.rego)", () => {
    const s = byId('unsafe_sysctl_options_set--title');
    expect(verdicts(s.id)).toEqual({
      test_sysctls_restricted_property_denied: 'deny',
      test_sysctls_not_restricted_property_mixed_with_restriced_denied: 'deny',
      test_sysctls_not_restricted_property_allowed: 'allow',
      test_sysctls_is_undefined_allowed: 'allow',
    });
    expect(s.cases[0].object?.spec).toMatchObject({
      securityContext: { sysctls: [{ name: 'net.core.somaxconn' }, { name: 'kernel.msgmax' }] },
    });
    expect(s.dropped).toContainEqual({
      case: 'test_deny_sysctl_not_allowed_in_1_29',
      reason: 'the test replaces data.k8s.version (data or a rule)',
    });
  });

  it('reads test.assert_count in a _test package, and a table field with no JSON form does not stop the entry', () => {
    const v = verdicts('configMap_with_secrets--title');
    expect(v['test_detect_secret[happy]']).toBe('allow');
    expect(v['test_detect_secret[cm keys with sensitive values]']).toBe('deny');
    expect(Object.keys(v)).toHaveLength(8);
  });

  it('reads `r[_].msg == "…"` as a denial (selector_usage_in_network_policies_test.rego line 19-28)', () => {
    const v = verdicts('selector_usage_in_network_policies--title');
    expect(v.test_networkpolicy_without_selector).toBe('deny');
    expect(v.test_networkpolicy_with_spec_pod_selector).toBe('allow');
  });

  it('moves an unserved apiVersion to the served one, listing each change (tiller_is_deployed_test.rego)', () => {
    const s = byId('tiller_is_deployed--title');
    expect(s.adjusted).toContainEqual({
      case: 'test_tiller_deployed_by_metadata_name',
      change: 'apiVersion apps/v1beta2 → apps/v1',
    });
    expect(s.cases.every((c) => c.object?.apiVersion !== 'apps/v1beta2')).toBe(true);
  });

  it('reads or leaves out each test shape, saying why (edge_cases_test.rego, written here)', () => {
    const s = byId('edge_cases--description');
    expect(verdicts(s.id)).toEqual({
      test_local_input: 'allow',
      test_helper_input: 'deny',
      test_not_equal_zero: 'deny',
    });
    // The local input's own namespace is kept; no case namespace is added over it.
    expect(s.cases[0]).toMatchObject({ object: { metadata: { namespace: 'team' } } });
    expect(s.cases[0].namespace).toBeUndefined();
    expect(Object.fromEntries(s.dropped.map((d) => [d.case, d.reason]))).toEqual({
      test_two_inputs: 'the test evaluates deny on 2 inputs',
      test_conflicting: 'the assertions (count(r) == 0; r[_].msg == "…") do not say 0 or at least 1',
      test_no_assertion: 'no count assertion on the result: the verdict cannot be read',
      test_less_than_three: 'the assertions (count(r) < 3) do not say 0 or at least 1',
      test_mock: 'the test replaces data.settings (data or a rule)',
      test_unknown_kind: 'Gadget at example.com/v1 is not in the catalog',
      test_comprehension: expect.stringMatching(/^the input is not a literal Rego object/),
    });
  });

  it('skips, with why, what one admitted object cannot decide and texts that are not the rule', () => {
    expect(reasons).toMatchObject({
      'apiserver_profiling--title': expect.stringMatching(/^CIS benchmark of the cluster components/),
      'uses_untrusted_registry--title':
        'the verdict depends on configurable data (data.ksv0125) the text does not give',
      'outdated_api--title': expect.stringMatching(/^the verdict is about the object's apiVersion itself/),
      'outdated_api--action': 'the recommended action says what to do instead (migrate), not what the object must be',
      'tiller_is_deployed--action':
        'the recommended action says what to do instead (migrate), not what the object must be',
      'privileged--title': 'the title has fewer than three words: it names a finding, no rule',
      'privileged--description': 'upstream has no *_test.rego for it: no cases',
      'any_verb--title': expect.stringMatching(/^the check judges a wildcard verb only on a fixed list of resources/),
    });
  });

  it('parses the METADATA block as YAML and classifies from it', () => {
    const meta = regoMetadata('# METADATA\n# title: "A b c"\n# custom:\n#   id: KCV-0001\npackage x\n');
    expect(meta).toEqual({ title: 'A b c', custom: { id: 'KCV-0001' } });
    expect(checkSkipReason(meta!, '')).toMatch(/^CIS benchmark/);
    expect(checkSkipReason({ custom: { id: 'KSV-0001' } }, 'x := data.lib.kubernetes.containers')).toBeUndefined();
  });

  it('a deny-only or allow-only suite is skipped: one verdict cannot tell a reading from a deny-everything policy', () => {
    const text = `package p\n\ntest_a if {\n\tr := deny with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}\n\tcount(r) == 1\n}\n`;
    expect(testCases(text).cases.map((c) => c.expect)).toEqual(['deny']);
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('host_ipc--action');
    const text = renderTrivySuite(s, '80e5382269707262f35cf893bdc0805cb72217e9');
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# From aquasecurity/trivy-checks@80e538226970 (MIT, © Aqua Security): checks/kubernetes/host_ipc.rego (KSV-0008) and its tests.',
      "# Variant: action (the check's custom.recommended_action).",
    ]);
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus: trivy suites through offline generate', () => {
  const run = offlineSuiteRunner('trivy');

  it('the edge-case check\'s description ("Pods must not set hostPID to true.") agrees with its readable tests', async () => {
    const s = convertTrivy(FIXTURE).suites.find((x) => x.id === 'edge_cases--description')!;
    const suite = parseSuite(renderTrivySuite(s, 'fixture'), 'edge_cases--description.yaml');
    expect(await run(suite)).toMatchObject({ outcome: 'agrees', total: 3, passed: 3 });
  });
});

describe('bench/corpus/trivy: the committed corpus (upstream tests and verdicts)', () => {
  it('has no policy reported safe that disagrees with trivy-checks', async () => {
    const { corpus, wrong } = await runCommittedCorpus('trivy-checks');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 187, verifiedButWrong: 0 });
    expect(corpus.agrees).toBeGreaterThanOrEqual(4);
  });
});
