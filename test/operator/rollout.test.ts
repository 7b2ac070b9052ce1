import { afterEach, describe, expect } from 'vitest';
import { condition, createBed, editGPT, eventually, getGPT, getJsPolicy, gptPolicy, onTestServer } from './harness.js';
import { violation, GPT, type Bed } from './harness.js';
import { scriptedGenerator, type ScriptedGenerator } from './scripted-generator.js';
import type { RunningOperator } from '../../src/operator/index.js';

// Issue 14 item 5, end to end on the test API server: spec.rollout Staged takes a new draft Dry → Warn → Deny,
// one stage per observation window, counting what jsPolicy records in the policy's JsPolicyViolations (injected
// here as jsPolicy's webhook writes it). The operator's clock is injected and moved by the test; windows are
// an hour long and never waited for.

const NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";
const T0 = new Date('2026-12-01T08:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let bed: Bed | undefined;
let op: RunningOperator;
let model: ScriptedGenerator;
let clock: Date;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

async function start(rollout: Record<string, unknown>): Promise<void> {
  clock = T0;
  model = scriptedGenerator();
  bed = await createBed(model.generate);
  op = await bed.startOperator({ controller: { now: () => clock, rolloutCheckIntervalMs: 50 } });
  await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION, rollout }) });
}

/** What jsPolicy's webhook writes: the JsPolicyViolations named as the policy, owned by it. */
function recordViolations(entries: any[]): void {
  const policy = bed!.server!.getObject('policy.jspolicy.com', 'jspolicies', NAME);
  bed!.server!.putObject('policy.jspolicy.com', 'jspolicyviolations', {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicyViolations',
    metadata: {
      name: NAME,
      ownerReferences: [
        {
          apiVersion: 'policy.jspolicy.com/v1beta1',
          kind: 'JsPolicy',
          name: NAME,
          uid: policy.metadata.uid,
          controller: true,
        },
      ],
    },
    status: { violations: entries },
  });
}

/** `kubectl annotate gptpolicy NAME key=value --overwrite` (a JSON merge patch, as kubectl sends it); null removes. */
async function annotate(key: string, value: string | null): Promise<void> {
  const res = await fetch(`${bed!.server!.url}/apis/gpt.drzzl.io/v1/gptpolicies/${NAME}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations: { [key]: value } } }),
  });
  expect(res.status).toBe(200);
}

const rolloutWhere = (what: string, check: (r: any, o: any) => boolean) =>
  eventually(async () => {
    const o = await getGPT(bed!, NAME);
    return o.status?.rollout && check(o.status.rollout, o) ? o : undefined;
  }, what);

const violationPolicy = async () => (await getJsPolicy(bed!, NAME))?.spec.violationPolicy;

/** Waits until the operator has observed the object a few more times (with the clock as the test left it). */
async function observedAgain(): Promise<void> {
  const seen = op.controller.stats.reconciles;
  await eventually(async () => op.controller.stats.reconciles >= seen + 3, 'more observations');
  await op.controller.idle();
}

/** The rollout's events, once there are `count` of them (they are recorded just after the status write). */
async function rolloutEvents(count: number): Promise<string[]> {
  await eventually(async () => eventReasons().length >= count, `${count} rollout event(s)`);
  return eventReasons();
}

function eventReasons(): string[] {
  return bed!
    .server!.listObjects('', 'events', 'default')
    .filter((e) => e.involvedObject?.name === NAME && e.reason.startsWith('Rollout'))
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

describe('a staged rollout', () => {
  onTestServer(
    'promotes Dry → Warn → Deny, one stage per window, while the violations stay within budget',
    async () => {
      await start({ strategy: 'Staged', window: '1h', violationBudget: 1 });
      const dry = await rolloutWhere('the rollout to start in Dry', (r) => r.stage === 'Dry');
      expect(dry.status.rollout).toMatchObject({
        stage: 'Dry',
        target: 'Deny',
        stageStartedAt: '2026-12-01T08:00:00Z',
        windowEndsAt: '2026-12-01T09:00:00Z',
        window: '1h',
        budget: 1,
        violations: 0,
        state: 'Observing',
        jobId: dry.status.jobId,
      });
      expect(dry.status.phase).toBe('RollingOut');
      expect(condition(dry, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
      expect(await violationPolicy()).toBe('Dry');

      // one violation under Dry in the window counts; one recorded before the stage began (another action) does not
      recordViolations([violation('Deny', at(-5), 'old'), violation('Dry', at(10), 'p1')]);
      clock = at(20);
      const counted = await rolloutWhere('the violation counted', (r) => r.violations === 1);
      expect(counted.status.rollout).toMatchObject({ stage: 'Dry', state: 'Observing' });
      const observing = '1 violation(s) so far (budget 1); promotes to Warn at 2026-12-01T09:00:00Z';
      expect(counted.status.rollout.message).toContain(observing);

      // the clock jumps ten hours: one stage, not two (the Warn window starts now)
      clock = at(600);
      const warn = await rolloutWhere('promotion to Warn', (r) => r.stage === 'Warn');
      expect(warn.status.rollout).toMatchObject({
        stageStartedAt: '2026-12-01T18:00:00Z',
        windowEndsAt: '2026-12-01T19:00:00Z',
        violations: 0,
        state: 'Observing',
      });
      expect(await violationPolicy()).toBe('Warn');
      recordViolations([violation('Dry', at(10), 'p1'), violation('Warn', at(601), 'p2')]);
      clock = at(610);
      const warnCounted = await rolloutWhere('the Warn violation counted', (r) => r.violations === 1);
      expect(warnCounted.status.rollout.stage).toBe('Warn');
      expect(await violationPolicy()).toBe('Warn');

      clock = at(661);
      const done = await rolloutWhere('promotion to Deny', (r) => r.stage === 'Deny');
      expect(done.status.rollout).toMatchObject({ state: 'Complete', reason: 'RolloutComplete' });
      expect(done.status.phase).toBe('Ready');
      expect(condition(done, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
      expect(await violationPolicy()).toBe('Deny');
      expect(await rolloutEvents(3)).toEqual([
        'Normal RolloutPromoted: promoted from Dry to Warn: 1 violation(s) in the 1h window (budget 1)',
        'Normal RolloutPromoted: promoted from Warn to Deny: 1 violation(s) in the 1h window (budget 1)',
        'Normal RolloutComplete: rollout complete: violationPolicy Deny',
      ]);
      expect(model.calls).toHaveLength(1);
    },
  );

  onTestServer(
    'holds beyond the budget and says why; the window passing does not promote it, resume starts a fresh one',
    async () => {
      await start({ strategy: 'Staged', window: '1h', violationBudget: 1 });
      await rolloutWhere('the rollout to start in Dry', (r) => r.stage === 'Dry');
      recordViolations([violation('Dry', at(5), 'p1'), violation('Dry', at(6), 'p2')]);
      clock = at(10);
      const held = await rolloutWhere('the hold', (r) => r.state === 'Held');
      expect(held.status.rollout).toMatchObject({ stage: 'Dry', violations: 2, budget: 1, reason: 'BudgetExceeded' });
      expect(held.status.rollout.message).toContain(`2 violation(s) since 2026-12-01T08:00:00Z, over the budget of 1`);
      expect(held.status.rollout.message).toContain(`kubectl get jspolicyviolations ${NAME}`);
      expect(held.status.phase).toBe('RollingOut');
      expect(condition(held, 'Ready')).toMatchObject({ status: 'False', reason: 'RolloutHeld' });

      clock = at(180);
      await observedAgain();
      const after = (await getGPT(bed!, NAME)).status.rollout;
      expect(after).toMatchObject({ stage: 'Dry', state: 'Held', reason: 'BudgetExceeded' });
      expect(await violationPolicy()).toBe('Dry');

      // resume: a fresh Dry window from now, the old violations left behind; the command is taken once
      await annotate('gpt.drzzl.io/rollout', 'resume');
      const resumed = await rolloutWhere('the fresh window', (r) => r.state === 'Observing');
      expect(resumed.status.rollout).toMatchObject({
        stage: 'Dry',
        stageStartedAt: '2026-12-01T11:00:00Z',
        violations: 0,
      });
      expect(resumed.metadata.annotations?.['gpt.drzzl.io/rollout']).toBeUndefined();
      clock = at(241);
      await rolloutWhere('promotion to Warn', (r) => r.stage === 'Warn');
      expect(await violationPolicy()).toBe('Warn');
      expect(await rolloutEvents(3)).toEqual([
        'Warning RolloutHeld: held in stage Dry: 2 violation(s) in the window, budget 1',
        'Normal RolloutResumed: resumed in stage Dry with a fresh window until 2026-12-01T12:00:00Z',
        'Normal RolloutPromoted: promoted from Dry to Warn: 0 violation(s) in the 1h window (budget 1)',
      ]);
    },
  );

  onTestServer('is held and promoted by hand with kubectl annotate, one stage per promote', async () => {
    await start({ strategy: 'Staged', window: '1h' });
    await rolloutWhere('the rollout to start in Dry', (r) => r.stage === 'Dry');

    await annotate('gpt.drzzl.io/rollout', 'hold');
    const held = await rolloutWhere('the manual hold', (r) => r.reason === 'ManualHold');
    expect(held.status.rollout.message).toContain('held by hand in stage Dry');
    clock = at(120);
    await observedAgain();
    const still = (await getGPT(bed!, NAME)).status.rollout;
    expect(still).toMatchObject({ stage: 'Dry', state: 'Held', reason: 'ManualHold' });
    expect(await violationPolicy()).toBe('Dry');

    // promote replaces the hold: one stage on at once (the Warn window not waited for), then the command is gone
    await annotate('gpt.drzzl.io/rollout', 'promote');
    const warn = await rolloutWhere('the manual promotion', (r) => r.stage === 'Warn');
    expect(warn.status.rollout).toMatchObject({ state: 'Observing', stageStartedAt: '2026-12-01T10:00:00Z' });
    expect(await violationPolicy()).toBe('Warn');
    const cleared = await eventually(async () => {
      const o = await getGPT(bed!, NAME);
      return o.metadata.annotations?.['gpt.drzzl.io/rollout'] === undefined ? o : undefined;
    }, 'the promote annotation removed');
    expect(cleared.status.rollout.stage).toBe('Warn');
    await observedAgain();
    expect((await getGPT(bed!, NAME)).status.rollout.stage).toBe('Warn');

    await annotate('gpt.drzzl.io/rollout', 'promote');
    const done = await rolloutWhere('the second manual promotion', (r) => r.stage === 'Deny');
    expect(done.status.rollout.state).toBe('Complete');
    expect(await violationPolicy()).toBe('Deny');
    expect(await rolloutEvents(4)).toEqual([
      'Normal RolloutHeld: held by hand in stage Dry',
      'Normal RolloutPromoted: promoted by hand from Dry to Warn (0 violation(s) in Dry, budget 0)',
      'Normal RolloutPromoted: promoted by hand from Warn to Deny (0 violation(s) in Warn, budget 0)',
      'Normal RolloutComplete: rollout complete: violationPolicy Deny',
    ]);
  });

  onTestServer('stops at the mode: a Warn-mode GPTPolicy goes Dry → Warn and is then complete', async () => {
    clock = T0;
    model = scriptedGenerator();
    bed = await createBed(model.generate);
    op = await bed.startOperator({ controller: { now: () => clock, rolloutCheckIntervalMs: 50 } });
    const spec = { description: DESCRIPTION, mode: 'Warn', rollout: { strategy: 'Staged', window: '30m' } };
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, spec) });
    await rolloutWhere('Dry of Dry → Warn', (r) => r.stage === 'Dry' && r.target === 'Warn');
    clock = at(31);
    const done = await rolloutWhere('complete at Warn', (r) => r.state === 'Complete');
    expect(done.status.rollout.stage).toBe('Warn');
    expect(done.status.phase).toBe('Ready');
    expect(await violationPolicy()).toBe('Warn');
  });

  onTestServer(
    'does not demote a policy already in force when its GPTPolicy switches to Staged, and generates nothing',
    async () => {
      await start({ strategy: 'Immediate' });
      await eventually(async () => (await getGPT(bed!, NAME)).status?.phase === 'Ready', 'Ready at once');
      expect(await violationPolicy()).toBe('Deny');
      expect((await getGPT(bed!, NAME)).status.rollout).toBeUndefined();
      await editGPT(bed!, NAME, (o) => ({ ...o, spec: { ...o.spec, rollout: { strategy: 'Staged', window: '1h' } } }));
      const staged = await rolloutWhere('the rollout recorded', () => true);
      expect(staged.status.rollout).toMatchObject({ stage: 'Deny', target: 'Deny', state: 'Complete' });
      expect(staged.status.phase).toBe('Ready');
      expect(await violationPolicy()).toBe('Deny');
      expect(model.calls).toHaveLength(1);
    },
  );
});
