import { describe, expect, it } from 'vitest';
import { ReconcileQueue } from '../../src/operator/reconcile-queue.js';

/** A task a test finishes when it wants, recording when it started and ended. */
function gate(): { promise: Promise<void>; open: () => void; fail: (err: Error) => void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the reconcile queue (per resource, bounded)', () => {
  it('runs the tasks of one resource one after another, in order', async () => {
    const q = new ReconcileQueue({ concurrency: 4 });
    const log: string[] = [];
    const first = gate();
    void q.push('a', async () => {
      log.push('a1 start');
      await first.promise;
      log.push('a1 end');
    });
    void q.push('a', async () => {
      log.push('a2');
    });
    await tick();
    expect(log).toEqual(['a1 start']); // a2 waits for a1 although slots are free
    expect(q.size()).toEqual({ waiting: 1, running: 1 });
    first.open();
    await q.idle();
    expect(log).toEqual(['a1 start', 'a1 end', 'a2']);
  });

  it('coalesces a waiting task with the same tag: a burst of events is one more run', async () => {
    const q = new ReconcileQueue();
    const first = gate();
    let runs = 0;
    const reconcile = async () => {
      runs++;
      if (runs === 1) await first.promise;
    };
    const p1 = q.push('a', reconcile, { coalesce: 'reconcile' });
    await tick();
    // a1 is running: the next one waits, and the burst after it merges into that waiting one
    const p2 = q.push('a', reconcile, { coalesce: 'reconcile' });
    const p3 = q.push('a', reconcile, { coalesce: 'reconcile' });
    const p4 = q.push('a', reconcile, { coalesce: 'reconcile' });
    expect(p3).toBe(p2);
    expect(p4).toBe(p2);
    expect(p1).not.toBe(p2);
    // another tag, or another resource, is not merged
    let other = 0;
    void q.push('a', async () => void other++, { coalesce: 'finished' });
    void q.push('b', reconcile, { coalesce: 'reconcile' });
    expect(q.size().waiting).toBe(2); // a's reconcile and a's finished; b started at once
    first.open();
    await q.idle();
    expect(runs).toBe(3); // a1, the merged a2, b
    expect(other).toBe(1);
  });

  it('runs different resources in parallel, never more than the limit at once', async () => {
    const q = new ReconcileQueue({ concurrency: 3 });
    let active = 0;
    let most = 0;
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      const g = gate();
      gates.set(key, g);
      void q.push(key, async () => {
        started.push(key);
        active++;
        most = Math.max(most, active);
        await g.promise;
        active--;
      });
    }
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(q.size()).toEqual({ waiting: 4, running: 3 });
    gates.get('b')!.open();
    await tick();
    expect(started).toEqual(['a', 'b', 'c', 'd']); // a freed slot goes to the oldest waiting resource
    for (const g of gates.values()) g.open();
    await q.idle();
    expect(most).toBe(3);
    expect(started).toHaveLength(7);
  });

  it('a waiting task of a busy resource does not hold a slot another resource could use', async () => {
    const q = new ReconcileQueue({ concurrency: 2 });
    const a1 = gate();
    const started: string[] = [];
    void q.push('a', async () => {
      started.push('a1');
      await a1.promise;
    });
    void q.push('a', async () => void started.push('a2'));
    void q.push('b', async () => void started.push('b'));
    await tick();
    expect(started).toEqual(['a1', 'b']);
    a1.open();
    await q.idle();
    expect(started).toEqual(['a1', 'b', 'a2']);
  });

  it('an error in one task neither stalls its resource nor the others', async () => {
    const errors: Array<[string, string]> = [];
    const q = new ReconcileQueue({
      concurrency: 1,
      onError: (key, err) => errors.push([key, (err as Error).message]),
    });
    const ran: string[] = [];
    const failing = q.push('a', async () => {
      throw new Error('the API server said no');
    });
    void q.push('b', async () => void ran.push('b'));
    void q.push('a', async () => void ran.push('a2'));
    await expect(failing).rejects.toThrow('the API server said no');
    await q.idle();
    expect(ran.sort()).toEqual(['a2', 'b']);
    expect(errors).toEqual([['a', 'the API server said no']]);
    expect(q.size()).toEqual({ waiting: 0, running: 0 });
  });

  it('clear() drops what has not started; idle() waits for what is running', async () => {
    const q = new ReconcileQueue({ concurrency: 1 });
    const g = gate();
    const ran: string[] = [];
    void q.push('a', async () => {
      await g.promise;
      ran.push('a');
    });
    const dropped = q.push('b', async () => void ran.push('b'));
    await tick();
    q.clear();
    await dropped; // resolved without running
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    g.open();
    await waiting;
    expect(ran).toEqual(['a']);
  });
});
