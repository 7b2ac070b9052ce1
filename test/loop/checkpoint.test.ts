import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/index.js';
import { generatePolicy, type LoopCheckpoint } from '../../src/loop/index.js';
import { approve, fixedDraft, flawedDraft, IAM_INTENT, iamPlan } from '../support/user-iam-story.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';

const world = freshLoopWorldEachTest();

/** A run stopped once it has checkpointed `rounds` rounds (its worker died there); its checkpoints, as JSON copies. */
async function runStoppedAfter(
  rounds: number,
  client: Parameters<typeof generatePolicy>[1]['client'],
): Promise<LoopCheckpoint[]> {
  const stop = new AbortController();
  const checkpoints: LoopCheckpoint[] = [];
  const run = generatePolicy(
    { text: IAM_INTENT },
    {
      library: world.library,
      sandbox: world.sandbox,
      client,
      signal: stop.signal,
      onCheckpoint: (c) => {
        checkpoints.push(JSON.parse(JSON.stringify(c)) as LoopCheckpoint);
        if (c.rounds.length === rounds) stop.abort();
      },
    },
  );
  await expect(run).rejects.toThrow();
  return checkpoints;
}

describe('a run resumed from its checkpoint (GenerateDeps.resume)', () => {
  it('goes on after the last round it holds: no plan, judge or round-1 request again, and the result tells the whole run', async () => {
    const m = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: flawedDraft } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    const checkpoints = await runStoppedAfter(1, m.client);
    // One checkpoint once the plan was checked, one after round 1.
    expect(checkpoints.map((c) => c.rounds.length)).toEqual([0, 1]);
    expect(checkpoints[0].plan.tests.map((t) => t.name)).toEqual(iamPlan.tests.map((t) => t.name));
    expect(m.server.chatRequests().map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
      'submit_plan',
      'submit_policy',
    ]);

    const events: ProgressEvent[] = [];
    const result = await generatePolicy(
      { text: IAM_INTENT },
      {
        library: world.library,
        sandbox: world.sandbox,
        client: m.client,
        resume: checkpoints[1],
        onProgress: (e) => events.push(e),
      },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(m.server.chatRequests().map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
      'submit_plan',
      'submit_policy',
      'submit_policy',
      'submit_review',
    ]);
    expect(m.server.judgeRequests()).toHaveLength(1);
    expect(events[0]).toEqual({ type: 'round-started', round: 2 });
    expect(result.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(result.rounds[0].report?.findings.some((f) => f.rule === 'catalog/wrong-group')).toBe(true);
    // Round 2's coder was told what round 1 got wrong, from the checkpoint's feedback.
    expect(m.server.chatRequests()[2].messages[1].content).toContain('catalog/wrong-group');
    expect(result.usage.calls).toBe(5); // what the whole run paid: plan, judge, two drafts, the critic
    expect(result.judgement).toMatchObject({ judged: true });
  });

  it('a checkpoint of another intent, or of another version, is ignored: the run plans afresh', async () => {
    const m = await scriptedModel([{ toolCall: { arguments: iamPlan } }]);
    const [planned] = await runStoppedAfter(0, m.client);
    const plans = (): number =>
      m.server.chatRequests().filter((c) => c.body.tools?.[0]?.function?.name === 'submit_plan').length;
    expect(plans()).toBe(1);
    // The same text with other options is another intent. (Its draft fails, so the library learns nothing.)
    m.server.push({ toolCall: { arguments: iamPlan } }, { toolCall: { arguments: flawedDraft } });
    const otherIntent = await generatePolicy(
      { text: IAM_INTENT, options: { maxRounds: 1 } },
      { library: world.library, sandbox: world.sandbox, client: m.client, resume: planned },
    );
    expect(otherIntent.status).toBe('failed');
    expect(plans()).toBe(2);

    // The checkpoint's own intent, but a version this loop does not write.
    m.server.push({ toolCall: { arguments: iamPlan } });
    m.server.fallback = { toolCall: { arguments: flawedDraft } };
    const fromFuture = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client: m.client, resume: { ...planned, v: 2 } },
    );
    expect(fromFuture.status).toBe('failed');
    expect(plans()).toBe(3);
  });
});
