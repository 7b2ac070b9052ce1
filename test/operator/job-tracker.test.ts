import { describe, expect, it } from 'vitest';
import type { Intent } from '../../common/index.js';
import { JobTracker, type OperatorQueue, type TrackedJob } from '../../src/operator/job-tracker.js';
import type { JobEventName, JobView, SettledState } from '../../worker/index.js';

// The job tracker against an in-memory queue that counts what it is asked: how the operator learns that
// jobs finished, in reads of the queue (counted, never timed).

interface FakeJob {
  state: JobView['state'];
  listeners: Set<(event: JobEventName) => void>;
}

function fakeQueue() {
  const jobs = new Map<string, FakeJob>();
  const counts = { getJob: 0, settledStates: 0, jobsAsked: 0 };
  const view = (id: string, job: FakeJob): JobView => ({
    id,
    state: job.state,
    intent: { text: id } as Intent,
    progress: { round: 0, events: [] },
    attempts: { made: 1, max: 1 },
    createdAt: new Date(0).toISOString(),
  });
  const queue: Required<Pick<OperatorQueue, 'enqueue' | 'getJob' | 'watch' | 'settledStates'>> = {
    async enqueue(_data, opts = {}) {
      const id = opts.jobId ?? `job-${jobs.size}`;
      if (!jobs.has(id)) jobs.set(id, { state: 'waiting', listeners: new Set() });
      return { id, deduplicated: false };
    },
    async getJob(id) {
      counts.getJob++;
      const job = jobs.get(id);
      return job && view(id, job);
    },
    async settledStates(ids) {
      counts.settledStates++;
      counts.jobsAsked += ids.length;
      const states = new Map<string, SettledState>();
      for (const id of ids) {
        const state = jobs.get(id)?.state;
        states.set(
          id,
          state === undefined ? 'unknown' : state === 'completed' || state === 'failed' ? state : 'pending',
        );
      }
      return states;
    },
    watch(id, listener) {
      const job = jobs.get(id);
      job?.listeners.add(listener);
      return () => job?.listeners.delete(listener);
    },
  };
  /** Moves a job on and tells its watchers, as BullMQ's event stream would. */
  const emit = (id: string, event: JobEventName, state?: JobView['state']): void => {
    const job = jobs.get(id);
    if (!job) return;
    if (state) job.state = state;
    for (const listener of [...job.listeners]) listener(event);
  };
  return { queue, jobs, counts, emit };
}

/** Lets the tracker's reads (promises that resolve at once here) settle. */
const settle = () => new Promise((r) => setImmediate(r));

function tracker(queue: OperatorQueue) {
  const finished: Array<{ name: string; job: TrackedJob; state: string }> = [];
  const lost: string[] = [];
  const jobs = new JobTracker({
    queue,
    pollIntervalMs: 3_600_000, // polls only when the test says so
    onFinished: (name, job, view) => finished.push({ name, job, state: view.state }),
    onLost: (name) => lost.push(name),
  });
  jobs.start();
  return { jobs, finished, lost };
}

async function watchMany(fake: ReturnType<typeof fakeQueue>, jobs: JobTracker, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let k = 0; k < n; k++) {
    const { id } = await jobs.enqueue({ text: `intent ${k}` } as Intent, `job-${k}`);
    jobs.watch(`object-${k}`, { jobId: id, hash: 'h', round: 1, attempt: 1 });
    ids.push(id);
  }
  await settle();
  expect(fake.jobs.size).toBe(n);
  return ids;
}

describe('the job tracker', () => {
  it('reads a job in full only once it finished: 100 waiting jobs cost one ask per poll, and no job read', async () => {
    const fake = fakeQueue();
    const { jobs, finished } = tracker(fake.queue);
    const ids = await watchMany(fake, jobs, 100);
    // watching costs nothing: the next poll asks about the new jobs with every other one
    expect(fake.counts).toEqual({ getJob: 0, settledStates: 0, jobsAsked: 0 });

    for (let p = 0; p < 10; p++) await jobs.poll();
    expect(fake.counts).toEqual({ getJob: 0, settledStates: 10, jobsAsked: 1000 });

    // two finish: the next poll reads those two, once, and stops asking about them
    fake.jobs.get(ids[3])!.state = 'completed';
    fake.jobs.get(ids[7])!.state = 'failed';
    await jobs.poll();
    await jobs.poll();
    expect(finished.map((f) => [f.name, f.state])).toEqual([
      ['object-3', 'completed'],
      ['object-7', 'failed'],
    ]);
    expect(fake.counts).toEqual({ getJob: 2, settledStates: 12, jobsAsked: 1000 + 100 + 98 });
    jobs.stop();
  });

  it('listens to no queue events when it can ask about every job at once', async () => {
    const fake = fakeQueue();
    const { jobs } = tracker(fake.queue);
    const [id] = await watchMany(fake, jobs, 1);
    expect(fake.jobs.get(id)!.listeners.size).toBe(0);
    jobs.stop();
  });

  it('polls started together ask once each, in turn, and hand a finished job over once', async () => {
    const fake = fakeQueue();
    const { jobs, finished } = tracker(fake.queue);
    const ids = await watchMany(fake, jobs, 3);
    fake.jobs.get(ids[1])!.state = 'completed';
    await Promise.all([jobs.poll(), jobs.poll(), jobs.poll()]);
    expect(finished.map((f) => f.name)).toEqual(['object-1']);
    expect(fake.counts).toMatchObject({ getJob: 1, settledStates: 3 });
    jobs.stop();
  });

  it('a job the queue no longer knows is handed back as lost, once', async () => {
    const fake = fakeQueue();
    const { jobs, finished, lost } = tracker(fake.queue);
    const ids = await watchMany(fake, jobs, 3);
    fake.jobs.delete(ids[1]); // Redis restarted empty, or retention removed it
    await jobs.poll();
    await jobs.poll();
    expect(lost).toEqual(['object-1']);
    expect(finished).toHaveLength(0);
    expect(jobs.pending()).toEqual({ 'object-0': ids[0], 'object-2': ids[2] });
    jobs.stop();
  });

  describe('with a queue that offers only getJob and events', () => {
    const plainQueue = (fake: ReturnType<typeof fakeQueue>) => {
      const { settledStates: _omitted, ...plain } = fake.queue;
      return plain;
    };

    it('reads no job on progress, active or waiting events; a completed event reads that job once', async () => {
      const fake = fakeQueue();
      const { jobs, finished } = tracker(plainQueue(fake));
      const [id] = await watchMany(fake, jobs, 1);
      expect(fake.counts.getJob).toBe(1); // checked at once when watched (a resumed job may have finished)
      fake.emit(id, 'active', 'active');
      fake.emit(id, 'waiting');
      for (let k = 0; k < 50; k++) fake.emit(id, 'progress');
      await settle();
      expect(fake.counts.getJob).toBe(1);

      fake.emit(id, 'completed', 'completed');
      fake.emit(id, 'completed'); // delivered twice (a reconnect replays the stream): handed over once
      await settle();
      await jobs.poll();
      expect(finished).toHaveLength(1);
      expect(fake.counts.getJob).toBe(2);
      jobs.stop();
    });

    it('a failed event that is not the end (another attempt follows) hands nothing over', async () => {
      const fake = fakeQueue();
      const { jobs, finished } = tracker(plainQueue(fake));
      const [id] = await watchMany(fake, jobs, 1);
      fake.emit(id, 'failed', 'delayed');
      await settle();
      expect(finished).toHaveLength(0);
      fake.emit(id, 'failed', 'failed');
      await settle();
      expect(finished.map((f) => f.state)).toEqual(['failed']);
      jobs.stop();
    });

    it('is polled job by job', async () => {
      const fake = fakeQueue();
      const { jobs, finished } = tracker(plainQueue(fake));
      const ids = await watchMany(fake, jobs, 5);
      fake.jobs.get(ids[2])!.state = 'completed';
      await jobs.poll();
      expect(finished.map((f) => f.name)).toEqual(['object-2']);
      expect(fake.counts).toMatchObject({ getJob: 5 + 5, settledStates: 0 });
      jobs.stop();
    });
  });
});
