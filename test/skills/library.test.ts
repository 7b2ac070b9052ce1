import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAIEmbeddings } from '@langchain/openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type GenerationResult, type JsPolicy, type TestCase } from '../../common/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { builtinSkills, inlineSkills, openSqliteStore, SkillLibrary, type SkillStore } from '../../skills/index.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { draft } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-library-'));
let n = 0;
let store: SkillStore;
let sandbox: SandboxRunner;

beforeAll(() => {
  sandbox = createSandbox();
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  store = await openSqliteStore(join(dir, `lib-${++n}.sqlite`));
});
afterEach(async () => {
  await store.close();
});

function pod(name: string, containers: unknown[], extra: Record<string, unknown> = {}): TestCase['object'] {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'prod' }, spec: { containers, ...extra } };
}

const PRIVILEGED_JS = `function privilegedContainers(obj) {
  return workloadContainers(obj).filter(isPrivileged).map(function (c) { return c.name || '?'; });
}
const names = privilegedContainers(request.object);
if (names.length) deny('privileged containers are not allowed: ' + names.join(', '));
`;

function policyOf(javascript: string): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'no-privileged.policyforge.dev' },
    spec: {
      type: 'Validating',
      operations: ['CREATE', 'UPDATE'],
      resources: ['pods'],
      apiGroups: [''],
      failurePolicy: 'Ignore',
      javascript,
    },
  };
}

const SUITE: TestCase[] = [
  {
    name: 'privileged pod is denied',
    object: pod('p', [{ name: 'app', image: 'nginx:1', securityContext: { privileged: true } }]),
    expect: 'deny',
    message: 'privileged',
  },
  { name: 'plain pod is allowed', object: pod('q', [{ name: 'app', image: 'nginx:1' }]), expect: 'allow' },
];

function succeeded(intent: string, javascript: string, extra: Partial<GenerationResult> = {}): GenerationResult {
  return {
    status: 'succeeded',
    reason: 'verified',
    intent: { text: intent, options: { model: 'gpt-test' } },
    policy: policyOf(inlineSkills(javascript, builtinSkills)),
    safeToApply: true,
    rounds: [
      {
        round: 1,
        promptChars: { system: 10, human: 10 },
        usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120, calls: 1 },
        durationMs: 5,
      },
    ],
    usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120, calls: 1 },
    skillsUsed: ['workloadContainers@1', 'isPrivileged@1'],
    skillsAdded: [],
    source: 'model',
    durationMs: 10,
    ...extra,
  };
}

describe('SkillLibrary.seedBuiltins', () => {
  it('adds every built-in skill approved, and adds nothing on a second run', async () => {
    const library = new SkillLibrary(store);
    await library.seedBuiltins();
    await library.seedBuiltins();
    const skills = await store.listSkills();
    expect(skills).toHaveLength(builtinSkills.length);
    expect(skills.every((s) => s.state === 'approved' && s.version === 1 && s.provenance.source === 'builtin')).toBe(
      true,
    );
  });
});

describe('SkillLibrary.search (lexical, offline)', () => {
  let library: SkillLibrary;
  beforeEach(async () => {
    library = new SkillLibrary(store);
    await library.seedBuiltins();
  });

  it.each([
    ['block privileged containers', 'isPrivileged'],
    ['disallow the latest image tag', 'imageTag'],
    ['images must come from registry.example.com', 'imageRegistry'],
    ['ingress hosts must end in example.com', 'hostHasSuffix'],
    ['containers need a cpu request and a memory limit', 'hasResourceField'],
    ['warn when a container has no readiness probe', 'hasProbe'],
    ['only platform-admins may bind cluster-admin', 'rbacSubjects'],
    ['deny pods with host network or host PID', 'usesHostNamespaces'],
  ])('"%s" retrieves %s in the top 5', async (query, expected) => {
    const names = (await library.search(query)).map((s) => s.name);
    expect(names.length).toBeLessThanOrEqual(5);
    expect(names).toContain(expected);
  });

  it('honours k and counts a retrieval for each skill returned', async () => {
    const found = await library.search('privileged containers', 2);
    expect(found).toHaveLength(2);
    for (const s of found) expect((await store.getSkill(s.id))!.usage.retrieved).toBe(1);
  });

  it('returns nothing for a query that matches nothing', async () => {
    expect(await library.search('zzzz qqqq')).toEqual([]);
  });

  it('never retrieves rejected or deprecated skills, and candidates only when asked, after approved ones', async () => {
    await store.putSkill(
      draft('privilegedContainerNames', 'return [];', { description: 'names of privileged containers of a pod' }),
    );
    await store.putSkill(
      draft('privilegedRejected', 'return 0;', { description: 'privileged containers rejected helper' }),
    );
    await store.reviewSkill('privilegedRejected@1', { state: 'rejected', reviewer: 'alice' });
    await store.reviewSkill('isPrivileged@1', { state: 'deprecated', reviewer: 'alice', comment: 'testing' });

    const approvedOnly = (await library.search('privileged containers', 10)).map((s) => s.name);
    expect(approvedOnly).not.toContain('privilegedContainerNames');
    expect(approvedOnly).not.toContain('privilegedRejected');
    expect(approvedOnly).not.toContain('isPrivileged');

    const withCandidates = new SkillLibrary(store, { includeCandidates: true });
    const all = await withCandidates.search('privileged containers', 30);
    const names = all.map((s) => s.name);
    expect(names).toContain('privilegedContainerNames');
    expect(names).not.toContain('privilegedRejected');
    expect(names).not.toContain('isPrivileged');
    const firstCandidate = all.findIndex((s) => s.state === 'candidate');
    expect(all.slice(firstCandidate).every((s) => s.state === 'candidate')).toBe(true);
  });

  it('sees skills another writer added (the index follows the store revision)', async () => {
    expect((await library.search('replica count helper')).map((s) => s.name)).not.toContain('replicaCount');
    await store.putSkill(
      draft('replicaCount', 'return 1;', { description: 'replica count helper', state: 'approved' }),
    );
    expect((await library.search('replica count helper')).map((s) => s.name)).toContain('replicaCount');
  });

  it('still ranks when every query word is common to most skills, and lets a rare word decide', async () => {
    for (let i = 0; i < 60; i++)
      await store.putSkill(
        draft(`common${i}`, `return ${i};`, {
          description: `privileged container check number ${i}`,
          state: 'approved',
        }),
      );
    await store.putSkill(
      draft('seccompCheck', 'return 0;', {
        description: 'privileged container seccomp profile check',
        state: 'approved',
      }),
    );
    expect(await library.search('privileged container check', 5)).toHaveLength(5);
    expect((await library.search('privileged container seccomp', 1)).map((s) => s.name)).toEqual(['seccompCheck']);
    expect(await library.search('privileged container', 0)).toEqual([]);
  });

  it('offers one version per name: the approved one over a newer candidate', async () => {
    await store.putSkill({
      ...draft('isPrivileged'),
      code: 'function isPrivileged(c) { return !!c; }',
      description: 'privileged container check, new',
    });
    const withCandidates = new SkillLibrary(store, { includeCandidates: true });
    const hits = (await withCandidates.search('privileged container', 10)).filter((s) => s.name === 'isPrivileged');
    expect(hits.map((s) => s.id)).toEqual(['isPrivileged@1']);
  });
});

describe('SkillLibrary.learn and lookupPolicy', () => {
  it('stores the verified policy so the same intent, however punctuated, is answered from the library', async () => {
    const library = new SkillLibrary(store, { sandbox });
    await library.seedBuiltins();
    expect(await library.lookupPolicy('Block privileged containers.')).toBeUndefined();
    await library.learn(succeeded('Block privileged containers.', PRIVILEGED_JS), SUITE);
    const stored = await library.lookupPolicy('  block privileged "containers"');
    expect(stored).toMatchObject({
      intent: 'Block privileged containers.',
      state: 'candidate',
      skills: ['workloadContainers@1', 'isPrivileged@1'],
    });
    expect(stored!.policy.spec.javascript).toContain('function privilegedContainers');
    expect(stored!.provenance).toMatchObject({ model: 'gpt-test', round: 1, tokens: 120, source: 'generated' });
    expect(await library.lookupPolicy('block privileged containers in namespace prod')).toBeUndefined();
    expect(await library.lookupPolicy('Block PRIVILEGED containers.')).toBeUndefined(); // values are exact: no case folding
  });

  it('extracts helpers as candidate skills whose tests are the calls the cases made, checked in the sandbox', async () => {
    const library = new SkillLibrary(store, { sandbox, now: () => new Date('2026-11-25T13:00:00Z') });
    await library.seedBuiltins();
    const added = await library.learn(succeeded('Block privileged containers.', PRIVILEGED_JS), SUITE);
    expect(added).toEqual(['privilegedContainers@1']);
    const skill = (await store.getSkill('privilegedContainers@1'))!;
    expect(skill).toMatchObject({
      state: 'candidate',
      dependsOn: ['isPrivileged', 'workloadContainers'],
      provenance: {
        intent: 'Block privileged containers.',
        model: 'gpt-test',
        round: 1,
        tokens: 120,
        date: '2026-11-25T13:00:00.000Z',
        source: 'generated',
      },
    });
    expect(skill.tests.map((t) => [t.name, t.expected])).toEqual([
      ['case "privileged pod is denied" call 1', ['app']],
      ['case "plain pod is allowed" call 1', []],
    ]);
    const rerun = await sandbox.runFunctionTests(inlineSkills(skill.code, builtinSkills), skill.name, skill.tests);
    expect(rerun.every((r) => r.passed)).toBe(true);
    expect((await store.getSkill('isPrivileged@1'))!.usage.used).toBe(1);
  });

  it('derives tests for helpers written as const arrow functions too', async () => {
    const library = new SkillLibrary(store, { sandbox });
    const js = `const privilegedNames = (obj) => workloadContainers(obj).filter(isPrivileged).map((c) => c.name);
const names = privilegedNames(request.object);
if (names.length) deny('privileged: ' + names.join(', '));
`;
    expect(await library.learn(succeeded('arrow', js), SUITE)).toEqual(['privilegedNames@1']);
    const skill = (await store.getSkill('privilegedNames@1'))!;
    expect(skill.code.startsWith('function privilegedNames(obj) {')).toBe(true);
    expect(skill.tests.map((t) => t.expected)).toEqual([['app'], []]);
  });

  it("turns calls with large arguments (beyond the sandbox's printed-line clip) into tests too", async () => {
    const library = new SkillLibrary(store, { sandbox });
    const env = Array.from({ length: 120 }, (_, i) => ({
      name: `VARIABLE_${i}`,
      value: `value-${i}-${'x'.repeat(20)}`,
    }));
    const big: TestCase[] = [
      {
        name: 'big privileged pod',
        object: pod('big', [{ name: 'app', image: 'nginx:1', env, securityContext: { privileged: true } }]),
        expect: 'deny',
      },
    ];
    expect(JSON.stringify(big[0].object).length).toBeGreaterThan(6000);
    await library.learn(succeeded('big', PRIVILEGED_JS), big);
    const skill = (await store.getSkill('privilegedContainers@1'))!;
    expect(skill.tests).toHaveLength(1);
    expect(skill.tests[0].args).toEqual([big[0].object]);
    expect(skill.tests[0].expected).toEqual(['app']);
  });

  it('adds nothing for the same code again, and a new version when the helper changes', async () => {
    const library = new SkillLibrary(store, { sandbox });
    expect(await library.learn(succeeded('a', PRIVILEGED_JS), SUITE)).toEqual(['privilegedContainers@1']);
    expect(await library.learn(succeeded('b', PRIVILEGED_JS), SUITE)).toEqual([]);
    const changed = PRIVILEGED_JS.replace("c.name || '?'", "c.name || 'unnamed'");
    expect(await library.learn(succeeded('c', changed), SUITE)).toEqual(['privilegedContainers@2']);
  });

  it('learns nothing from a failed run, or from an answer the library itself gave', async () => {
    const library = new SkillLibrary(store, { sandbox });
    expect(await library.learn(succeeded('x', PRIVILEGED_JS, { status: 'failed', safeToApply: false }), SUITE)).toEqual(
      [],
    );
    expect(await library.learn(succeeded('y', PRIVILEGED_JS, { source: 'library' }), SUITE)).toEqual([]);
    expect(await store.listPolicies()).toEqual([]);
    expect(await store.listSkills()).toEqual([]);
  });

  it('without a sandbox still keeps the helpers, with no tests', async () => {
    const library = new SkillLibrary(store);
    expect(await library.learn(succeeded('z', PRIVILEGED_JS), SUITE)).toEqual(['privilegedContainers@1']);
    expect((await store.getSkill('privilegedContainers@1'))!.tests).toEqual([]);
  });

  it('does not answer from a rejected policy, and does not replace an approved one', async () => {
    const library = new SkillLibrary(store, { sandbox });
    await library.learn(succeeded('Block privileged containers', PRIVILEGED_JS), SUITE);
    const stored = (await library.lookupPolicy('Block privileged containers'))!;
    await store.reviewPolicy(stored.id, { state: 'rejected', reviewer: 'alice', comment: 'too broad' });
    expect(await library.lookupPolicy('Block privileged containers')).toBeUndefined();

    await library.learn(
      succeeded('Block privileged containers', PRIVILEGED_JS.replace('are not allowed', 'are forbidden')),
      SUITE,
    );
    const again = (await library.lookupPolicy('Block privileged containers'))!;
    await store.reviewPolicy(again.id, { state: 'approved', reviewer: 'alice' });
    await library.learn(
      succeeded('Block privileged containers', PRIVILEGED_JS.replace('are not allowed', 'are banned')),
      SUITE,
    );
    expect((await library.lookupPolicy('Block privileged containers'))!.policy.spec.javascript).toContain(
      'are forbidden',
    );
  });

  it('a second, related intent retrieves the skill the first run taught', async () => {
    const library = new SkillLibrary(store, { sandbox, includeCandidates: true });
    await library.seedBuiltins();
    await library.learn(succeeded('block privileged containers', PRIVILEGED_JS), SUITE);
    await store.reviewSkill('privilegedContainers@1', { state: 'approved', reviewer: 'alice' });
    const approvedOnly = new SkillLibrary(store);
    const names = (await approvedOnly.search('block privileged containers in namespace prod')).map((s) => s.id);
    expect(names).toContain('privilegedContainers@1');
  });
});

describe('SkillLibrary with embeddings (scripted OpenAI server, real OpenAIEmbeddings client)', () => {
  let server: ScriptedOpenAIServer;
  beforeEach(async () => {
    server = await startScriptedOpenAIServer({ embeddingDims: 32 });
  });
  afterEach(async () => {
    await server.close();
  });

  const embeddings = () =>
    new OpenAIEmbeddings({
      apiKey: 'sk-test-not-a-key',
      model: 'text-embedding-3-small',
      configuration: { baseURL: server.baseURL },
      maxRetries: 0,
    });
  const embeddingRequests = () => server.requests.filter((r) => r.path.endsWith('/embeddings'));
  const documentsEmbedded = () =>
    embeddingRequests().flatMap((r) => (Array.isArray(r.body.input) && r.body.input.length > 1 ? r.body.input : []))
      .length;

  it('embeds each skill description once, ever: later searches and later libraries reuse the stored vectors', async () => {
    const library = new SkillLibrary(store, { embeddings: embeddings() });
    await library.seedBuiltins();
    expect((await library.search('block privileged containers')).map((s) => s.name)).toContain('isPrivileged');
    expect(documentsEmbedded()).toBe(builtinSkills.length);
    const requestsAfterFirst = embeddingRequests().length;

    await library.search('disallow latest image tag');
    expect(documentsEmbedded()).toBe(builtinSkills.length);
    expect(embeddingRequests().length).toBe(requestsAfterFirst + 1); // the new query only

    const fresh = new SkillLibrary(store, { embeddings: embeddings() });
    await fresh.search('block privileged containers');
    expect(documentsEmbedded()).toBe(builtinSkills.length);

    await store.putSkill(
      draft('replicaCount', 'return 1;', { description: 'replica count of a workload', state: 'approved' }),
    );
    await fresh.search('minimum replicas');
    const last = embeddingRequests()
      .filter((r) => Array.isArray(r.body.input))
      .map((r) => r.body.input as string[]);
    expect(last.some((inputs) => inputs.length === 1 && inputs[0].includes('replica count of a workload'))).toBe(true);
    expect(embeddingRequests().every((r) => r.body.model === 'text-embedding-3-small')).toBe(true);
  });

  it('combines the lexical and the embedding score (hybrid) to rank the closest description first', async () => {
    await store.putSkill(draft('a1', 'return 1;', { description: 'alpha beta gamma', state: 'approved' }));
    await store.putSkill(draft('b2', 'return 2;', { description: 'delta epsilon', state: 'approved' }));
    const library = new SkillLibrary(store, { embeddings: embeddings() });
    // The scripted server's embedding is a bag of words: "beta alpha" points the same way as a1's text.
    const hits = await library.search('gamma alpha beta a1', 2);
    expect(hits[0].name).toBe('a1');
  });

  it('tries the embedding model again a while after it failed, without a store change', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    let calls = 0;
    let down = true;
    const flaky = {
      embedDocuments: async (texts: string[]) => {
        calls++;
        if (down) throw new Error('503 from the embedding provider');
        return texts.map(() => [1, 0]);
      },
      embedQuery: async () => [1, 0],
    };
    const library = new SkillLibrary(store, {
      embeddings: flaky,
      logger: silentLogger,
      now: () => new Date(now),
      embeddingRetryMs: 60_000,
    });
    await library.seedBuiltins();
    expect((await library.search('privileged containers')).map((s) => s.name)).toContain('isPrivileged');
    await library.search('privileged containers');
    expect(calls).toBe(1);
    down = false;
    now += 59_000;
    await library.search('privileged containers');
    expect(calls).toBe(1);
    now += 2_000;
    await library.search('privileged containers');
    expect(calls).toBe(2);
    await library.search('privileged containers');
    now += 120_000;
    await library.search('privileged containers');
    expect(calls).toBe(2); // all vectors cached now: no retry needed
  });

  it('falls back to lexical ranking when the embedding model is unreachable', async () => {
    const library = new SkillLibrary(store, {
      embeddings: new OpenAIEmbeddings({
        apiKey: 'sk-test-not-a-key',
        model: 'm',
        configuration: { baseURL: 'http://127.0.0.1:1/v1' },
        maxRetries: 0,
      }),
      logger: silentLogger,
    });
    await library.seedBuiltins();
    expect((await library.search('block privileged containers')).map((s) => s.name)).toContain('isPrivileged');
  });
});
