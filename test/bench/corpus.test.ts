import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSuite, type Generate } from '../../bench/corpus.js';
import { convertLibrary, renderSuiteFile, type ConvertedSuite } from '../../bench/corpus/convert.js';
import { PolicyforgeError, type GenerationResult, type JsPolicy, type Suite } from '../../common/index.js';
import { createSandbox, parseSuite } from '../../sandbox/index.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'gatekeeper');

describe('bench/corpus/convert: Gatekeeper library → shared-format suites', () => {
  const conversion = convertLibrary(FIXTURE);
  const byId = (id: string): ConvertedSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };

  it('makes one suite per template + constraint, named after the template, the sample and a non-default constraint file', () => {
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'fixturerepos--only-acme',
      'fixturerepos--only-acme--constraint2',
    ]);
  });

  it('takes the description as written and adds the parameters and namespaces on their own line, leaving out message-only parameters', () => {
    const s = byId('fixturerepos--only-acme');
    expect(s.variant).toBe('description+parameters');
    expect(s.intent).toBe(
      'Requires container images to begin with a string from the specified list. https://example.com/docs\n' +
        "The list of prefixes a container image is allowed to have: acme.io/, ghcr.io/acme/. Applies to Pod objects in the 'prod' namespace only.",
    );
  });

  it('keeps the description alone when the constraint has no parameters or namespaces', () => {
    const s = byId('fixturerepos--only-acme--constraint2');
    expect(s.variant).toBe('description');
    expect(s.intent).toBe(
      'Requires container images to begin with a string from the specified list. https://example.com/docs',
    );
  });

  it("takes verdicts from suite.yaml's assertions and the namespace from the object, else the constraint's match, else default", () => {
    const scoped = byId('fixturerepos--only-acme');
    expect(scoped.cases.map((c) => [c.name, c.expect, c.namespace ?? c.object?.metadata?.namespace])).toEqual([
      ['example-allowed', 'allow', 'prod'],
      ['example-disallowed', 'deny', 'prod'],
    ]);
    const unscoped = byId('fixturerepos--only-acme--constraint2');
    expect(unscoped.cases.map((c) => [c.name, c.expect, c.namespace ?? c.object?.metadata?.namespace])).toEqual([
      ['example-allowed', 'allow', 'default'],
      ['example-disallowed', 'deny', 'prod'],
    ]);
  });

  it('leaves out, with why, UPDATE reviews with no oldObject and cases whose assertions give no overall verdict', () => {
    expect(byId('fixturerepos--only-acme').dropped).toEqual([
      { case: 'update', reason: expect.stringContaining('Gatekeeper-only semantics') },
      { case: 'only-message-filter', reason: expect.stringContaining('no overall verdict') },
    ]);
  });

  it('skips, with why, samples that need data inventory and kinds the catalog does not know', () => {
    expect(conversion.skipped).toEqual([
      {
        id: 'fixtureunique--unique',
        template: join('library', 'general', 'fixtureunique'),
        reason: expect.stringContaining('data inventory'),
      },
      {
        id: 'fixturewidgets--no-blue',
        template: join('library', 'general', 'fixturewidgets'),
        reason: expect.stringContaining('catalog does not know (Widget)'),
      },
    ]);
  });

  it('writes files the suite parser accepts (intent and cases only), with the source in a comment', () => {
    const s = byId('fixturerepos--only-acme');
    const text = renderSuiteFile(s, '5c441fb645f257b2c428fe9aea22da24a94b5bab');
    expect(text.split('\n')[0]).toContain('open-policy-agent/gatekeeper-library@5c441fb645f2 (Apache-2.0');
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus: classifying a generation against the reference cases', () => {
  const sandbox = createSandbox({ isolation: 'inline' });
  afterAll(() => sandbox.close());
  const suite: Suite = parseSuite(renderSuiteFile(convertLibrary(FIXTURE).suites[0], 'fixture'), 'fixture.yaml');

  const policy = (javascript: string): JsPolicy => ({
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'fixture.policyforge.dev' },
    spec: { type: 'Validating', operations: ['CREATE'], resources: ['pods'], javascript },
  });
  const result = (status: GenerationResult['status'], p?: JsPolicy): GenerationResult => ({
    status,
    reason: status === 'succeeded' ? 'verified' : 'verification failed after 4 rounds',
    intent: { text: suite.intent },
    plan: {
      target: {
        type: 'Validating',
        operations: ['CREATE'],
        resources: ['pods'],
        apiGroups: [''],
        apiVersions: ['v1'],
        scope: 'Namespaced',
        namespaces: [],
      },
      steps: [],
      tests: [],
      rationale: 'offline family image-tag: a misreading',
    },
    policy: p,
    safeToApply: status === 'succeeded',
    rounds: [],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0 },
    skillsUsed: [],
    skillsAdded: [],
    source: 'offline',
    durationMs: 1,
  });
  const answering =
    (r: GenerationResult): Generate =>
    async () =>
      r;

  it('a policy reported safe to apply that fails a reference case is verified but wrong, with the failing case', async () => {
    const wrong = policy(
      "if ((request.object.spec.containers || []).some(c => c.image.endsWith(':latest'))) deny('no latest');",
    );
    const out = await evaluateSuite(suite, answering(result('succeeded', wrong)), sandbox);
    expect(out.outcome).toBe('verified-but-wrong');
    expect(out.passed).toBe(1);
    expect(out.failing).toEqual([
      expect.objectContaining({ name: 'example-disallowed', expected: 'deny', actual: 'allow' }),
    ]);
    expect(out.reading).toBe('offline family image-tag: a misreading');
  });

  it('a policy that passes every reference case agrees', async () => {
    const right = policy(
      "const bad = (request.object.spec.containers || []).filter(c => !['acme.io/', 'ghcr.io/acme/'].some(p => c.image.startsWith(p)));\nif (bad.length) deny('image not allowed');",
    );
    const out = await evaluateSuite(suite, answering(result('succeeded', right)), sandbox);
    expect(out).toMatchObject({ outcome: 'agrees', passed: 2, total: 2 });
    expect(out.failing).toBeUndefined();
  });

  it('PF_ERR_OFFLINE_UNSUPPORTED (with its details) and a failed generation are refused, even when the best draft would pass', async () => {
    const unsupported: Generate = async () => {
      throw new PolicyforgeError('PF_ERR_OFFLINE_UNSUPPORTED', ['"…". Configure a model'], {
        details: { unplaced: ['specified', 'list'], families: ['image-registry'] },
      });
    };
    const refused = await evaluateSuite(suite, unsupported, sandbox);
    expect(refused).toMatchObject({ outcome: 'refused', code: 'PF_ERR_OFFLINE_UNSUPPORTED' });
    expect(refused.details).toEqual({ unplaced: ['specified', 'list'] }); // the family catalogue is the same in every refusal
    const failed = result('failed', policy("deny('everything');"));
    expect(await evaluateSuite(suite, answering(failed), sandbox)).toMatchObject({
      outcome: 'refused',
      code: 'failed',
      reason: 'verification failed after 4 rounds',
    });
  });
});
