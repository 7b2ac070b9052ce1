import { describe, expect, it } from 'vitest';
import { RESTATEMENT_ANNOTATION } from '../../agents/index.js';
import type { ProgressEvent } from '../../common/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { judgeDisagreeing } from '../support/scripted-openai-server.js';
import { approve, fixedDraft, IAM_INTENT, iamPlan, iamPolicy } from '../support/user-iam-story.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';

// Issue 11 item 3: the planner's cases only confirm the planner's reading. A judge with a fresh context reads
// the intent, the restatement and every planned case, and a disagreement sends the loop back to the PLANNER.
// Each scripted planner below misreads its intent in one of the classes; the judge objects to the
// misread cases; the planner's second plan reads it right (or never does, and the run fails with the
// judge's reason, writing no code and storing nothing).

const world = freshLoopWorldEachTest();

type Obj = Record<string, unknown>;
const container = (extra: Obj = {}): Obj => ({ name: 'app', image: 'registry.example.com/app:1', ...extra });
const podWith = (name: string, namespace: string, spec: Obj, labels?: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec,
});
const ns = (name: string, labels?: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(labels ? { labels } : {}) },
});
const target = (over: Obj): Obj => ({
  type: 'Validating',
  resources: ['pods'],
  apiGroups: [''],
  apiVersions: ['v1'],
  operations: ['CREATE', 'UPDATE'],
  scope: 'Namespaced',
  namespaces: [],
  ...over,
});
const draft = (spec: Obj): Obj => ({
  explanation: 'as planned',
  plan: 'as planned',
  spec: { type: 'Validating', operations: ['CREATE', 'UPDATE'], ...spec },
});

interface Misreading {
  cls: string;
  intent: string;
  misread: Obj;
  /** Case name → the judge's objection. */
  objections: Record<string, string>;
  fixed: Obj;
  code: Obj;
  /** In the restatement of the misread plan: what a reviewer would have seen. */
  misreadShows: RegExp;
  /** In the final restatement. */
  fixedShows: RegExp;
}

const misreadings: Misreading[] = [
  {
    cls: 'inverted',
    intent: 'This policy forbids any container from defining CPU limits.',
    misread: {
      rationale: 'every container must set limits.cpu',
      target: target({}),
      steps: [],
      tests: [
        {
          name: 'a pod whose container sets no cpu limit is denied',
          object: podWith('a', 'default', { containers: [container()] }),
          expect: 'deny',
        },
        {
          name: 'a pod whose container sets a cpu limit is allowed',
          object: podWith('b', 'default', { containers: [container({ resources: { limits: { cpu: '500m' } } })] }),
          expect: 'allow',
        },
      ],
    },
    objections: {
      'a pod whose container sets no cpu limit is denied':
        '"forbids any container from defining CPU limits": a container without one complies',
      'a pod whose container sets a cpu limit is allowed':
        '"forbids any container from defining CPU limits": this is exactly what is forbidden',
    },
    fixed: {
      rationale: 'containers may not set limits.cpu',
      target: target({}),
      steps: [],
      tests: [
        {
          name: 'a pod whose container sets a cpu limit is denied',
          object: podWith('b', 'default', { containers: [container({ resources: { limits: { cpu: '500m' } } })] }),
          expect: 'deny',
        },
        {
          name: 'a pod whose container sets only a memory limit is allowed',
          object: podWith('c', 'default', { containers: [container({ resources: { limits: { memory: '1Gi' } } })] }),
          expect: 'allow',
        },
        {
          name: 'a pod whose container sets no limits is allowed',
          object: podWith('a', 'default', { containers: [container()] }),
          expect: 'allow',
        },
      ],
    },
    code: draft({
      resources: ['pods'],
      apiGroups: [''],
      javascript:
        'for (const c of request.object?.spec?.containers ?? []) { if (c?.resources?.limits?.cpu !== undefined) { deny(`container ${c?.name} defines a CPU limit`); } }',
    }),
    misreadShows: /denies: CREATE Pod in default without container resources/,
    fixedShows:
      /Denies CREATE\/UPDATE of Pods in every namespace but the system ones whose container resources\.limits\.cpu is "500m"/,
  },
  {
    cls: 'condition dropped',
    intent: 'Containers must define one of liveness, readiness or startup probes.',
    misread: {
      rationale: 'every probe is required',
      target: target({}),
      steps: [],
      tests: [
        {
          name: 'a pod with no probe is denied',
          object: podWith('a', 'default', { containers: [container()] }),
          expect: 'deny',
        },
        {
          name: 'a pod with only a readiness probe is denied',
          object: podWith('b', 'default', { containers: [container({ readinessProbe: { tcpSocket: { port: 80 } } })] }),
          expect: 'deny',
        },
        {
          name: 'a pod with all three probes is allowed',
          object: podWith('c', 'default', {
            containers: [
              container({
                readinessProbe: { tcpSocket: { port: 80 } },
                livenessProbe: { tcpSocket: { port: 80 } },
                startupProbe: { tcpSocket: { port: 80 } },
              }),
            ],
          }),
          expect: 'allow',
        },
      ],
    },
    objections: {
      'a pod with only a readiness probe is denied':
        '"one of liveness, readiness or startup probes": one probe is enough',
    },
    fixed: {
      rationale: 'at least one probe per container',
      target: target({}),
      steps: [],
      tests: [
        {
          name: 'a pod with no probe is denied',
          object: podWith('a', 'default', { containers: [container()] }),
          expect: 'deny',
        },
        {
          name: 'a pod with only a readiness probe is allowed',
          object: podWith('b', 'default', { containers: [container({ readinessProbe: { tcpSocket: { port: 80 } } })] }),
          expect: 'allow',
        },
        {
          name: 'a pod with only a startup probe is allowed',
          object: podWith('c', 'default', { containers: [container({ startupProbe: { tcpSocket: { port: 80 } } })] }),
          expect: 'allow',
        },
      ],
    },
    code: draft({
      resources: ['pods'],
      apiGroups: [''],
      javascript:
        'const cs = request.object?.spec?.containers ?? [];\nfor (const c of cs) { if (!c?.livenessProbe && !c?.readinessProbe && !c?.startupProbe) { deny(`container ${c?.name} defines no probe`); } }',
    }),
    misreadShows: /denies: .*readinessProbe/,
    fixedShows: /allows: .*readinessProbe/,
  },
  {
    cls: '"changed or removed" read as delete',
    intent: "The label 'owner' on namespaces may not be changed or removed.",
    misread: {
      rationale: 'namespaces with an owner label cannot be deleted',
      target: target({ resources: ['namespaces'], operations: ['DELETE'], scope: 'Cluster' }),
      steps: [],
      tests: [
        {
          name: 'deleting a namespace with an owner label is denied',
          operation: 'DELETE',
          oldObject: ns('a', { owner: 'x' }),
          expect: 'deny',
        },
        {
          name: 'deleting a namespace without an owner label is allowed',
          operation: 'DELETE',
          oldObject: ns('b'),
          expect: 'allow',
        },
      ],
    },
    objections: {
      'deleting a namespace with an owner label is denied':
        '"may not be changed or removed" is about UPDATEs of the label, not deleting the namespace',
    },
    fixed: {
      rationale: 'UPDATEs that change or drop the owner label are denied',
      target: target({ resources: ['namespaces'], operations: ['UPDATE'], scope: 'Cluster' }),
      steps: [],
      tests: [
        {
          name: 'changing the owner label is denied',
          operation: 'UPDATE',
          oldObject: ns('a', { owner: 'x' }),
          object: ns('a', { owner: 'y' }),
          expect: 'deny',
        },
        {
          name: 'removing the owner label is denied',
          operation: 'UPDATE',
          oldObject: ns('a', { owner: 'x' }),
          object: ns('a'),
          expect: 'deny',
        },
        {
          name: 'an update keeping the owner label is allowed',
          operation: 'UPDATE',
          oldObject: ns('a', { owner: 'x' }),
          object: ns('a', { owner: 'x', team: 't' }),
          expect: 'allow',
        },
      ],
    },
    code: draft({
      operations: ['UPDATE'],
      resources: ['namespaces'],
      apiGroups: [''],
      scope: 'Cluster',
      javascript:
        "const before = request.oldObject?.metadata?.labels?.owner;\nconst after = request.object?.metadata?.labels?.owner;\nif (before !== undefined && before !== after) { deny('the owner label may not be changed or removed'); }",
    }),
    misreadShows: /Denies DELETE of Namespaces/,
    fixedShows: /denies: UPDATE Namespace .*changing label owner "x" → "y"/,
  },
];

describe('the independent judge sends a misread plan back to the planner', () => {
  for (const m of misreadings) {
    it(`${m.cls}: the judge objects, the planner re-plans, and the fixed plan is verified`, async () => {
      const { server, client } = await scriptedModel([
        { toolCall: { arguments: m.misread } },
        { toolCall: { arguments: m.fixed } },
        { toolCall: { arguments: m.code } },
        { toolCall: { arguments: approve } },
      ]);
      server.judgements.push(judgeDisagreeing(m.objections));
      const events: ProgressEvent[] = [];
      const result = await generatePolicy(
        { text: m.intent },
        { library: world.library, sandbox: world.sandbox, client, onProgress: (e) => events.push(e) },
      );

      expect(result.status, result.reason).toBe('succeeded');
      expect(result.plan!.tests.map((t) => t.name)).toEqual(
        (m.fixed.tests as Array<{ name: string }>).map((t) => t.name),
      );
      expect(result.judgement).toMatchObject({ judged: true, replans: 1 });
      expect(result.judgement!.cases.every((c) => c.verdict === 'agree')).toBe(true);
      // The judge saw the misread plan as the restatement shows it, and only the intent, the restatement and the cases.
      const [first, second] = server.judgeRequests();
      expect(first.messages[1].content).toMatch(m.misreadShows);
      expect(first.messages[1].content).toContain(m.intent);
      expect(first.messages[1].content).not.toContain(m.misread.rationale as string); // none of the planner's reasoning
      expect(second.messages[1].content).toMatch(m.fixedShows);
      // The planner's second prompt carries the judge's objections.
      const replanHuman = server.chatRequests()[1].messages[1].content;
      for (const reason of Object.values(m.objections)) expect(replanHuman).toContain(reason);
      expect(server.chatRequests().map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
        'submit_plan',
        'submit_plan',
        'submit_policy',
        'submit_review',
      ]);
      expect(events.filter((e) => e.type === 'judged').map((e) => e.type === 'judged' && e.disagreed)).toEqual([
        Object.keys(m.objections).length,
        0,
      ]);
      expect(result.restatement?.text).toMatch(m.fixedShows);
      expect(result.restatement?.judged).toBe(true);
      expect(result.policy?.metadata.annotations?.[RESTATEMENT_ANNOTATION]).toBe(result.restatement?.summary);
    });
  }

  // The planner never reads these right: after MAX_REPLANS re-plans the run fails with the judge's reason,
  // before any code is written, and nothing reaches the library.
  const persistent: Array<{ cls: string; intent: string; plan: Obj; objections: Record<string, string> }> = [
    {
      cls: 'wrong subject from a keyword in the rationale',
      intent: 'Pods must run as non-root, as the latest version of the Pod Security Standards requires.',
      plan: {
        rationale: 'no latest tags',
        target: target({}),
        steps: [],
        tests: [
          {
            name: 'a pod with an image tagged latest is denied',
            object: podWith('a', 'default', { containers: [container({ image: 'nginx:latest' })] }),
            expect: 'deny',
          },
          {
            name: 'a pod with a pinned image is allowed',
            object: podWith('b', 'default', { containers: [container()] }),
            expect: 'allow',
          },
        ],
      },
      objections: {
        'a pod with an image tagged latest is denied':
          '"latest" is in the rationale ("the latest version of the Pod Security Standards"); the rule is about running as non-root',
      },
    },
    {
      cls: 'mutation read as deny',
      intent: "Add the label 'team=platform' to pods that do not have a team label.",
      plan: {
        rationale: 'pods need a team label',
        target: target({}),
        steps: [],
        tests: [
          {
            name: 'a pod without a team label is denied',
            object: podWith('a', 'default', { containers: [container()] }),
            expect: 'deny',
          },
          {
            name: 'a pod with a team label is allowed',
            object: podWith('b', 'default', { containers: [container()] }, { team: 'x' }),
            expect: 'allow',
          },
        ],
      },
      objections: {
        'a pod without a team label is denied':
          '"Add the label" asks for a mutation that sets team=platform, not a denial',
      },
    },
  ];

  for (const p of persistent) {
    it(`${p.cls}: the planner keeps misreading, so the run fails with the judge's reason and stores nothing`, async () => {
      const { server, client } = await scriptedModel([]);
      server.fallback = { toolCall: { arguments: p.plan } };
      server.judgeFallback = judgeDisagreeing(p.objections);
      const result = await generatePolicy(
        { text: p.intent },
        { library: world.library, sandbox: world.sandbox, client },
      );

      expect(result.status).toBe('failed');
      expect(result.safeToApply).toBe(false);
      expect(result.reason).toMatch(/the independent judge disagreed with the plan after 2 re-plan\(s\)/);
      expect(result.reason).toContain(Object.values(p.objections)[0]);
      expect(result.rounds).toEqual([]);
      expect(result.policy).toBeUndefined();
      expect(result.judgement).toMatchObject({ judged: true, replans: 2 });
      expect(server.chatRequests().map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
        'submit_plan',
        'submit_plan',
        'submit_plan',
      ]);
      expect(server.judgeRequests()).toHaveLength(3);
      expect(result.restatement?.text).toMatch(/^denies: /m); // what the misread plan would have done, shown
      expect(await world.library.lookupPolicy(p.intent)).toBeUndefined();
    });
  }

  it('a judge that agrees with a right plan: judged once, before the coder, and the result says so', async () => {
    const { server, client } = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.judgement).toMatchObject({ judged: true, replans: 0 });
    expect(result.judgement!.cases.map((c) => c.case)).toEqual(iamPlan.tests.map((t) => t.name));
    expect(server.judgeRequests()).toHaveLength(1);
    const judged = server.judgeRequests()[0].messages[1].content;
    for (const t of iamPlan.tests) expect(judged).toContain(`: ${t.name}\n`);
    expect(judged).toContain('expected verdict: deny');
    expect(result.restatement?.text).toMatch(
      /^Denies CREATE\/UPDATE of IAMPolicies in every namespace but the system ones/,
    );
    expect(result.restatement?.text).toMatch(/^judged: every planned verdict was checked/m);

    // The library's answer to the same intent says it was judged when it was generated.
    const again = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client },
    );
    expect(again.source).toBe('library');
    expect(again.judgement).toMatchObject({ judged: true, note: 'judged when it was generated' });
    expect(again.restatement?.summary).toBe(result.restatement?.summary);
  });

  it('judges the cases the critic adds: one the intent does not demand is left out of the plan', async () => {
    const wrong = {
      name: 'an IAMPolicy on a Folder is denied',
      object: iamPolicy('f', { kind: 'Folder', name: 'f' }),
      expect: 'deny',
    };
    const reject = { reasoning: 'folders too', success: false, critique: 'also deny folders', missingCases: [wrong] };
    const { server, client } = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: reject } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    server.judgements.push(judgeDisagreeing({}), judgeDisagreeing({ [wrong.name]: 'the intent names Projects only' }));
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(server.judgeRequests()).toHaveLength(2);
    expect(server.judgeRequests()[1].messages[1].content).toContain(wrong.name);
    expect(result.plan!.tests.map((t) => t.name)).not.toContain(wrong.name);
    expect(result.judgement!.cases.find((c) => c.case === wrong.name)).toMatchObject({ verdict: 'disagree' });
  });

  it('sends a plan whose case objects the API catalog does not serve back to the planner, naming the right apiVersion', async () => {
    const wrongGroup = {
      ...iamPlan,
      tests: iamPlan.tests.map((t) => ({
        ...t,
        object: { ...t.object, apiVersion: 'configconnector.cnrm.cloud.google.com/v1beta1' },
      })),
    };
    const { server, client } = await scriptedModel([
      { toolCall: { arguments: wrongGroup } },
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.judgement?.replans).toBe(1);
    expect(server.judgeRequests()).toHaveLength(1); // the first plan never reached the judge
    const replan = server.chatRequests()[1].messages[1].content;
    expect(replan).toContain('IAMPolicy is not served by apiVersion configconnector.cnrm.cloud.google.com/v1beta1');
    expect(replan).toContain('iam.cnrm.cloud.google.com/v1beta1');
  });

  it('an unusable judge answer blocks nothing, but the result says the reading was not judged', async () => {
    const { server, client } = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    server.judgeFallback = { toolCall: { arguments: '{"verdicts": "all fine"' } };
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.judgement).toMatchObject({ judged: false });
    expect(result.judgement?.note).toMatch(/the judge's answer could not be used/);
    expect(result.reason).toMatch(/the reading was not independently judged/);
    expect(result.restatement?.text).toMatch(/^judged: no/m);
  });
});

describe('offline there is no judge', () => {
  it('the result says the reading was not independently checked; the offline reader is the guard', async () => {
    const result = await generatePolicy(
      { text: 'Services of type NodePort are not allowed.' },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(result.status, result.reason).toBe('succeeded');
    expect(result.judgement).toEqual({ judged: false, cases: [], replans: 0, note: expect.stringMatching(/offline/) });
    expect(result.reason).toMatch(/not independently judged/);
    expect(result.restatement?.text).toMatch(/^judged: no — the reading was not independently checked \(offline/m);
  });
});
