import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { join } from 'node:path';
import { openSqliteStore, SkillLibrary } from '../../skills/index.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';
import { containersOnlyFirstModel, INTENT_ALL, INTENT_PROD, privilegedModel } from './privileged-model.js';

const world = freshLoopWorldEachTest();

async function modelWorld() {
  const m = await scriptedModel([]);
  m.server.fallback = privilegedModel;
  return m;
}

describe('two related intents in a row (model mode, scripted server): the second reuses what the first taught', () => {
  it("an approved skill learned by the first run is retrieved into the second run's coder prompt and listed in skillsUsed", async () => {
    const m = await modelWorld();
    const first = await generatePolicy(
      { text: INTENT_ALL },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(first.status).toBe('succeeded');
    // The built-ins the first draft called are reported, and its own helper became a candidate skill.
    expect(first.skillsUsed).toEqual(expect.arrayContaining(['allContainers@1', 'isPrivileged@1']));
    expect(first.skillsAdded).toContain('privilegedContainers@1');
    await world.store.reviewSkill('privilegedContainers@1', {
      state: 'approved',
      reviewer: 'alice',
      comment: 'pure, tested',
    });

    const callsBefore = m.server.chatRequests().length;
    const events: ProgressEvent[] = [];
    const second = await generatePolicy(
      { text: INTENT_PROD },
      { library: world.library, sandbox: world.sandbox, client: m.client, onProgress: (e) => events.push(e) },
    );
    expect(second.status).toBe('succeeded');
    expect(second.skillsUsed).toContain('privilegedContainers@1');
    const retrieved = events
      .filter((e): e is Extract<ProgressEvent, { type: 'retrieved' }> => e.type === 'retrieved')
      .flatMap((e) => e.skills);
    expect(retrieved).toContain('privilegedContainers');

    const coder = m.server
      .chatRequests()
      .slice(callsBefore)
      .find((r) => r.body.tools?.[0]?.function?.name === 'submit_policy')!;
    expect(coder.messages[0].content).toContain('function privilegedContainers(');
    // Skills privilegedContainers calls are retrieved too, and listed by signature, their bodies not repeated.
    for (const callee of ['allContainers', 'isPrivileged']) {
      expect(retrieved).toContain(callee);
      expect(coder.messages[0].content).toMatch(new RegExp(`^// ${callee}\\([^)]*\\): `, 'm'));
      expect(coder.messages[0].content).not.toContain(`function ${callee}(`);
    }
    // The critic reads the draft as written plus the list of approved skills it calls, not their bodies.
    const critic = m.server
      .chatRequests()
      .slice(callsBefore)
      .find((r) => r.body.tools?.[0]?.function?.name === 'submit_review')!;
    expect(critic.messages[1].content).toContain('privilegedContainers(request.object?.spec)');
    expect(critic.messages[1].content).toMatch(
      /^- privilegedContainers\(podSpec\): .*\(approved by alice; \d+ sandbox test\(s\)\)$/m,
    );
    expect(critic.messages[1].content).not.toContain('function privilegedContainers(');
    expect(critic.messages[1].content).not.toContain('function allContainers(');
    // The draft only called the skill; the applied policy carries its code (and its dependencies) inlined.
    const js = second.policy!.spec.javascript!;
    expect(js).toContain('function privilegedContainers(');
    expect(js).toContain('function isPrivileged(');
    expect(second.safeToApply).toBe(true);
  });

  it('a rejected skill is never retrieved: the second run neither sees nor uses it, and writes the helper itself', async () => {
    const m = await modelWorld();
    const first = await generatePolicy(
      { text: INTENT_ALL },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(first.skillsAdded).toContain('privilegedContainers@1');
    await world.store.reviewSkill('privilegedContainers@1', {
      state: 'rejected',
      reviewer: 'bob',
      comment: 'not reviewed as safe',
    });

    const callsBefore = m.server.chatRequests().length;
    const events: ProgressEvent[] = [];
    const second = await generatePolicy(
      { text: INTENT_PROD },
      { library: world.library, sandbox: world.sandbox, client: m.client, onProgress: (e) => events.push(e) },
    );
    expect(second.status).toBe('succeeded');
    expect(second.skillsUsed).not.toContain('privilegedContainers@1');
    const retrieved = events
      .filter((e): e is Extract<ProgressEvent, { type: 'retrieved' }> => e.type === 'retrieved')
      .flatMap((e) => e.skills);
    expect(retrieved.length).toBeGreaterThan(0);
    expect(retrieved).not.toContain('privilegedContainers');
    const [planner, coder] = m.server.chatRequests().slice(callsBefore);
    expect(planner.messages[1].content).not.toMatch(/^- privilegedContainers:/m); // the planner's list of retrieved skills
    expect(coder.body.tools[0].function.name).toBe('submit_policy');
    expect(coder.messages[0].content).not.toContain('function privilegedContainers('); // the coder's retrieved code
    expect((await world.store.getSkill('privilegedContainers@1'))!.usage.retrieved).toBe(0);
  });

  it('the first intent asked again is answered from the library without a model call', async () => {
    const m = await modelWorld();
    await generatePolicy({ text: INTENT_ALL }, { library: world.library, sandbox: world.sandbox, client: m.client });
    const calls = m.server.chatRequests().length;
    const again = await generatePolicy(
      { text: INTENT_ALL },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(again).toMatchObject({ status: 'succeeded', source: 'library', safeToApply: true });
    expect(again.usage.calls).toBe(0);
    expect(m.server.chatRequests()).toHaveLength(calls);
  });

  it('a model without memory repeats its containers-only first draft on every fresh run; with the library it is right in round 1, on a smaller prompt', async () => {
    const m = await scriptedModel([]);
    m.server.fallback = containersOnlyFirstModel;
    const emptyStore = await openSqliteStore(join(world.dir, 'no-library.sqlite'));
    const bare = await generatePolicy(
      { text: INTENT_PROD },
      { library: new SkillLibrary(emptyStore, { sandbox: world.sandbox }), sandbox: world.sandbox, client: m.client },
    ).finally(() => emptyStore.close());
    expect(bare.status).toBe('succeeded');
    expect(bare.rounds).toHaveLength(2);
    expect(bare.rounds[0].report?.suite?.cases.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      'a privileged init container is denied',
    ]);

    const first = await generatePolicy(
      { text: INTENT_ALL },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    await world.store.reviewSkill('privilegedContainers@1', { state: 'approved', reviewer: 'alice' });
    const second = await generatePolicy(
      { text: INTENT_PROD },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(first.rounds).toHaveLength(1); // the built-in allContainers walks every list
    expect(second.rounds).toHaveLength(1);
    expect(second.skillsUsed).toContain('privilegedContainers@1');
    expect(second.usage.promptTokens).toBeLessThan(bare.usage.promptTokens);
  });
});
