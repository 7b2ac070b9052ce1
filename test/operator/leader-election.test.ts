import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderElector, type LeaderElectionOptions } from '../../src/operator/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { createBed, E2E_KUBECONFIG, eventually, getGPT, gptPolicy, GPT, type Bed } from './harness.js';
import { scriptedGenerator } from './scripted-generator.js';

const NS = 'policyforge-system';

/** A clock the test moves by hand; elections decide expiry by it, while retries run on real short timers. */
function manualClock(start = Date.parse('2026-11-25T20:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe.skipIf(!!E2E_KUBECONFIG)('leader election on a coordination.k8s.io Lease', () => {
  let server: KubeApiServer;
  let kc: KubeConfig;
  const electors: LeaderElector[] = [];

  beforeEach(async () => {
    server = await startKubeApiServer();
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop({ release: false });
    await server.close();
  });

  function elector(identity: string, extra: Partial<LeaderElectionOptions> = {}): LeaderElector & { events: string[] } {
    const log: string[] = [];
    const e = new LeaderElector({
      kubeConfig: kc,
      namespace: NS,
      identity,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 20,
      onStartedLeading: () => void log.push('started'),
      onStoppedLeading: () => void log.push('stopped'),
      ...extra,
    }) as LeaderElector & { events: string[] };
    e.events = log;
    electors.push(e);
    return e;
  }

  const lease = () =>
    kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'policyforge-operator', namespace: NS });

  it('elects exactly one leader, and hands over at once when the leader releases the lease', async () => {
    const a = elector('replica-a');
    a.start();
    await eventually(async () => a.isLeader(), 'a to lead');
    const b = elector('replica-b');
    b.start();
    await new Promise((r) => setTimeout(r, 200)); // ten of b's attempts
    expect(b.isLeader()).toBe(false);
    expect((await lease()).spec).toMatchObject({
      holderIdentity: 'replica-a',
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
    });

    await a.stop(); // releases
    expect(a.events).toEqual(['started', 'stopped']);
    await eventually(async () => b.isLeader(), 'b to take over');
    expect((await lease()).spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  it('takes over from a crashed leader only after the lease expired by its own clock', async () => {
    const a = elector('replica-a');
    a.start();
    await eventually(async () => a.isLeader(), 'a to lead');
    await a.stop({ release: false }); // a crash: the lease still names a
    const clock = manualClock();
    const b = elector('replica-b', { now: clock.now });
    b.start();
    await eventually(
      async () => server.requests.filter((r) => r.path.endsWith('/leases/policyforge-operator')).length > 20,
      'b to try a while',
    );
    expect(b.isLeader()).toBe(false);
    clock.advance(2900);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.isLeader()).toBe(false); // 2.9 s < the 3 s lease
    clock.advance(200);
    await eventually(async () => b.isLeader(), 'b to take over after expiry');
    expect((await lease()).spec?.holderIdentity).toBe('replica-b');
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const clock = manualClock();
    const a = elector('replica-a', { now: clock.now });
    a.start();
    await eventually(async () => a.isLeader(), 'a to lead');
    server.inject({ method: 'PUT', path: '/leases/', status: 500, times: 1_000_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.isLeader()).toBe(true); // failures within the deadline are tolerated
    clock.advance(2000);
    await eventually(async () => !a.isLeader(), 'a to step down');
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('refuses timings where a leader could outlive its lease', () => {
    expect(() => elector('x', { leaseDurationMs: 1000, renewDeadlineMs: 1000 })).toThrow(/renewDeadlineMs/);
    electors.pop();
  });
});

describe('two operator replicas', () => {
  let bed: Bed;
  beforeEach(async () => {
    bed = await createBed(scriptedGenerator().generate);
  });
  afterEach(async () => bed.close());

  it('only the leader reconciles; when it stops the other takes over', async () => {
    const lease = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 50 };
    const a = await bed.startOperator({ leaderElection: true, identity: 'replica-a', lease });
    await eventually(async () => a.isLeader(), 'a to lead');
    const b = await bed.startOperator({ leaderElection: true, identity: 'replica-b', lease });

    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy('one.policy.drzzl.io', {
        description: "Deny pods with the label 'env=prod' in the 'test' namespace.",
      }),
    });
    await eventually(async () => (await getGPT(bed, 'one.policy.drzzl.io')).status?.phase === 'Ready', 'one Ready');
    expect(a.controller.stats.applied).toBe(1);
    expect(b.isLeader()).toBe(false);
    expect(b.controller.isRunning()).toBe(false);
    expect(b.controller.stats.reconciles).toBe(0);

    await a.stop();
    await eventually(async () => b.isLeader(), 'b to lead');
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy('two.policy.drzzl.io', {
        description: "Deny pods with the label 'env=prod' in the 'qa' namespace.",
      }),
    });
    await eventually(async () => (await getGPT(bed, 'two.policy.drzzl.io')).status?.phase === 'Ready', 'two Ready');
    expect(b.controller.stats.applied).toBe(1); // the first one was unchanged: no new job, no re-apply
    expect(b.controller.stats.enqueued).toBe(1);
    expect(a.controller.stats.reconciles).toBeGreaterThan(0);
    expect(a.controller.isRunning()).toBe(false);
  });
});
