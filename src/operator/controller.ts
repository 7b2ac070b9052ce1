import { isPolicyforgeError, silentLogger, sortKeys, type JsPolicy, type Logger } from '../../common/index.js';
import { SUPERSEDED_MESSAGE, type GenerationQueue, type JobView } from '../../worker/index.js';
import { assessClusterImpact, type ClusterSourceOptions } from '../impact/index.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { approvalHold, decide } from './decide.js';
import { intendedViolationPolicy, isApproved, isOwnedBy, ownedPolicy, ownerReferenceFor } from './owned-policy.js';
import { policyNameFor } from './owned-policy.js';
import { isStaged, observeRollout, rolloutFrom, ROLLOUT_COMMANDS } from './rollout.js';
import type { RolloutCommand, RolloutTransition } from './rollout.js';
import { defaultDelay, isNotFound, kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';
import { intentFor, jobIdFor, jobIdParts, specHash, validateGPTPolicy } from './spec.js';
import { appliedStatus, applyFailedStatus, conditionOf, failedStatus, queuedStatus, sameStatus } from './status.js';
import type { StatusContext } from './status.js';
import {
  ANNOTATIONS,
  GPTPOLICY,
  JSPOLICY,
  PHASES,
  REASONS,
  type GPTPolicy,
  type GPTPolicyImpact,
  type GPTPolicyStatus,
  type RolloutStatus,
} from './types.js';

/** The part of worker/'s GenerationQueue the operator uses. */
export type OperatorQueue = Pick<GenerationQueue, 'enqueue' | 'getJob'> & Partial<Pick<GenerationQueue, 'watch' | 'supersede'>>;

export interface ControllerOptions {
  kube: KubeClient;
  queue: OperatorQueue;
  /** Recorded on jobs as requestedBy. @defaultValue 'policyforge-operator' */
  requestedBy?: string;
  /** How often unfinished jobs are checked (besides queue events, when the queue offers them). @defaultValue 2000 */
  pollIntervalMs?: number;
  /** Every object is reconciled again this often, whatever the watch said. @defaultValue 300000 */
  resyncIntervalMs?: number;
  /** Wait before restarting the list+watch after it failed (doubles up to 30 s). @defaultValue 1000 */
  watchRestartDelayMs?: number;
  /** Watches are renewed after a random 1–2× this (the server ends them), so dead connections are replaced. @defaultValue 300 */
  watchTimeoutSeconds?: number;
  /** Backoff for API calls (409, 5xx, timeouts). */
  retry?: RetryOptions;
  /**
   * After a model outage (or refused credentials), try the same spec again once this much time has passed
   * since the failure, at the next resync. @defaultValue 600000 (10 minutes)
   */
  outageRetryMs?: number;
  /**
   * Backoff for an object held up by something outside it: the queue did not take its job, or the JsPolicy
   * name it needs belongs to another object. Doubles from `baseMs` up to `maxMs`; a JsPolicy deletion (the
   * name freed) retries at once. @defaultValue { baseMs: 5000, maxMs: 300000 }
   */
  requeueBackoff?: { baseMs?: number; maxMs?: number };
  /** Rounds of server-side dry-run feedback before giving up. @defaultValue 1 */
  dryRunFeedbackRounds?: number;
  /** Injected clock. @defaultValue () => new Date() */
  now?: () => Date;
  /** Injected sleep (backoff, watch restarts). @defaultValue setTimeout */
  delay?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** GPTPolicies reconciled at once (each is serialised on its own). @defaultValue 4 */
  maxConcurrentReconciles?: number;
  /** Record Kubernetes Events for GPTPolicies (best effort). @defaultValue true */
  events?: boolean;
  /**
   * The impact preview of every new draft before it enforces (status.impact): its options, or false to skip
   * it (no status.impact, no impact hold). @defaultValue {}
   */
  impact?: false | ClusterSourceOptions;
  /** How often staged rollouts under way are observed (violations counted, windows checked). @defaultValue 30000 */
  rolloutCheckIntervalMs?: number;
}

interface PendingJob {
  jobId: string;
  hash: string;
  round: number;
  attempt: number;
  unwatch?: () => void;
}

/**
 * Reconciles GPTPolicies into owned JsPolicies. The watch side only decides and enqueues: generation runs
 * in worker/ (this process or another), and finished jobs are picked up by polling and queue events, so
 * a slow or dead model never blocks the watch. Work for one GPTPolicy is serialised; different ones run
 * concurrently.
 */
export class GPTPolicyController {
  private readonly kube: KubeClient;
  private readonly queue: OperatorQueue;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly retry: RetryOptions;
  private readonly pending = new Map<string, PendingJob>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly inflight = new Set<Promise<void>>();
  private informer?: Informer<GPTPolicy>;
  private jsPolicies?: Informer<JsPolicy & { metadata: { resourceVersion?: string } }>;
  /** Objects waiting to be tried again (requeueBackoff), by GPTPolicy name. */
  private readonly backoff = new Map<string, { failures: number; timer?: NodeJS.Timeout }>();
  private pollTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private rolloutTimer?: NodeJS.Timeout;
  private running = false;
  /** Counters for /metrics-like introspection and tests. */
  readonly stats = { reconciles: 0, enqueued: 0, deduplicated: 0, applied: 0, failed: 0, statusWrites: 0 };

  constructor(private readonly options: ControllerOptions) {
    this.kube = options.kube;
    this.queue = options.queue;
    this.log = (options.logger ?? silentLogger).child({ module: 'operator' });
    this.now = options.now ?? (() => new Date());
    this.delay = options.delay ?? defaultDelay;
    this.retry = {
      delay: this.delay,
      ...options.retry,
      onRetry: (err, attempt, ms) => this.log.warn({ err: kubeErrorInfo(err), attempt, backoffMs: ms }, 'retrying a Kubernetes API call'),
    };
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Starts list+watch, job polling and resync. Called when this replica becomes the leader. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const informer = new Informer<GPTPolicy>({
      kubeConfig: this.kube.kubeConfig,
      path: `/apis/${GPTPOLICY.group}/${GPTPOLICY.version}/${GPTPOLICY.plural}`,
      list: () => this.kube.listGPTPolicies(),
      onAdd: (o) => this.schedule(o.metadata.name),
      onUpdate: (o) => this.schedule(o.metadata.name),
      onDelete: (o) => this.forget(o.metadata.name),
      backoffMs: this.options.watchRestartDelayMs,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds,
      delay: this.delay,
      logger: this.log,
    });
    this.informer = informer;
    // the owned kind: a JsPolicy that goes away may free the name a GPTPolicy is waiting for (PolicyNotOwned),
    // or be ours deleted by hand (re-applied at once rather than at the next resync)
    const jsPolicies = new Informer<JsPolicy & { metadata: { resourceVersion?: string } }>({
      kubeConfig: this.kube.kubeConfig,
      path: `/apis/${JSPOLICY.group}/${JSPOLICY.version}/${JSPOLICY.plural}`,
      list: () => this.kube.listJsPolicies(),
      onAdd: () => undefined,
      onUpdate: () => undefined,
      onDelete: (o) => this.jsPolicyDeleted(o.metadata.name),
      backoffMs: this.options.watchRestartDelayMs,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds,
      delay: this.delay,
      logger: this.log,
    });
    this.jsPolicies = jsPolicies;
    await informer.start();
    await jsPolicies.start();
    const poll = this.options.pollIntervalMs ?? 2000;
    this.pollTimer = setInterval(() => void this.pollJobs(), poll);
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncIntervalMs ?? 300_000);
    this.rolloutTimer = setInterval(() => this.observeRollouts(), this.options.rolloutCheckIntervalMs ?? 30_000);
    this.log.info('GPTPolicy controller started');
  }

  /** Stops everything; unfinished jobs are left to the next leader, which finds them through status.jobId. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    clearInterval(this.resyncTimer);
    clearInterval(this.rolloutTimer);
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop();
    await this.jsPolicies?.stop();
    this.jsPolicies = undefined;
    for (const b of this.backoff.values()) clearTimeout(b.timer);
    this.backoff.clear();
    for (const p of this.pending.values()) p.unwatch?.();
    this.pending.clear();
    await this.idle();
    this.log.info('GPTPolicy controller stopped');
  }

  /** Resolves when no reconcile or result handling is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Jobs waiting for a result, by GPTPolicy name. */
  pendingJobs(): Record<string, string> {
    return Object.fromEntries([...this.pending].map(([name, p]) => [name, p.jobId]));
  }

  /** Reconcile every cached object again (periodic resync, and on demand). */
  resync(): void {
    for (const o of this.informer?.list() ?? []) this.schedule(o.metadata.name);
  }

  private schedule(name: string): void {
    if (!this.running) return;
    this.track(this.withLock(name, () => this.reconcile(name)));
  }

  /** Try `name` again after the next backoff step (doubling per consecutive failure). */
  private retryLater(name: string, why: string): void {
    if (!this.running) return;
    const entry = this.backoff.get(name) ?? { failures: 0 };
    clearTimeout(entry.timer);
    const { baseMs = 5000, maxMs = 300_000 } = this.options.requeueBackoff ?? {};
    const ms = Math.min(maxMs, baseMs * 2 ** entry.failures++);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.schedule(name);
    }, ms);
    entry.timer.unref?.();
    this.backoff.set(name, entry);
    this.log.info({ gptpolicy: name, why, retryInMs: ms }, 'will try again');
  }

  /** The hold-up cleared (or the object is gone): the next failure starts the backoff from the beginning. */
  private backoffDone(name: string): void {
    clearTimeout(this.backoff.get(name)?.timer);
    this.backoff.delete(name);
  }

  /** A retry is waiting on its timer: reconciles triggered meanwhile (our own status writes) leave it alone. */
  private backingOff(name: string): boolean {
    return this.backoff.get(name)?.timer !== undefined;
  }

  private jsPolicyDeleted(policyName: string): void {
    for (const o of this.informer?.list() ?? []) {
      if (policyNameFor(o) !== policyName) continue;
      const entry = this.backoff.get(o.metadata.name);
      if (entry) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
      }
      this.schedule(o.metadata.name);
    }
  }

  private forget(name: string): void {
    this.backoffDone(name);
    const p = this.pending.get(name);
    p?.unwatch?.();
    this.pending.delete(name);
    // the owned JsPolicy goes with its owner: the API server's garbage collector follows the ownerReference
    this.log.info({ gptpolicy: name }, 'GPTPolicy deleted; its JsPolicy is garbage-collected through its ownerReference');
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err) => this.log.error({ err: kubeErrorInfo(err) }, 'reconcile failed')).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Serialises work per GPTPolicy name. */
  private withLock(name: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.limited(fn));
    const settled = next.catch(() => undefined);
    this.locks.set(name, settled);
    void settled.then(() => {
      if (this.locks.get(name) === settled) this.locks.delete(name);
    });
    return next;
  }

  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /** At most maxConcurrentReconciles at once, so a thousand objects at start-up do not flood the API server. */
  private async limited(fn: () => Promise<void>): Promise<void> {
    if (this.active >= (this.options.maxConcurrentReconciles ?? 4)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // reconcile: decide, enqueue, never wait for a model

  private async reconcile(name: string): Promise<void> {
    if (!this.running) return;
    const cached = this.informer?.get(name);
    if (!cached) return;
    this.stats.reconciles++;
    const log = this.log.child({ gptpolicy: { name, uid: cached.metadata.uid, resourceVersion: cached.metadata.resourceVersion } });
    let policy: GPTPolicy;
    try {
      policy = validateGPTPolicy(cached);
    } catch (err) {
      if (!isPolicyforgeError(err)) throw err;
      const message = err.message;
      await this.writeStatus(name, (o, ctx) => failedStatus(o.status, ctx, { stage: 'Generated', reason: 'InvalidSpec', message }));
      return;
    }
    let hash = specHash(policy.spec);
    if (policy.status?.specHash !== hash) {
      // about to enqueue: the watch cache may lag behind our own status write, so decide on a fresh read
      try {
        policy = validateGPTPolicy(await withRetry(() => this.kube.getGPTPolicy(name), this.retry));
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isPolicyforgeError(err)) throw err;
        return this.schedule(name); // the spec changed under us and is now invalid: reconcile the new one
      }
      hash = specHash(policy.spec);
    }
    const status = policy.status;

    if (status?.specHash === hash) {
      if (status.phase === PHASES.Generating && status.jobId) {
        // a job started by us or by a previous leader: resume waiting for it
        if (!this.pending.has(name)) this.watchJob(name, { jobId: status.jobId, hash, ...jobIdParts(status.jobId) });
        return;
      }
      const applied: string[] = [PHASES.Ready, PHASES.AwaitingApproval, PHASES.RollingOut];
      if (status.phase && applied.includes(status.phase)) await this.ensureApplied(policy, hash, log);
      if (status.phase === PHASES.Failed || status.phase === PHASES.Degraded) {
        if (conditionOf(status, 'Applied')?.reason === REASONS.NotOwned) await this.retryNotOwned(policy, hash, log);
        else await this.retryAfterOutage(policy, hash, log);
      }
      return;
    }

    if (!status?.specHash && (await this.adoptLegacy(policy, hash, log))) return;
    await this.enqueue(policy, hash, 1, undefined, log);
  }

  /**
   * The JsPolicy name belonged to another object (a deleted owner whose JsPolicy the garbage collector has
   * not removed yet, or someone else's policy): apply the finished job again (no model call) on the backoff
   * timer or as soon as that JsPolicy is deleted.
   */
  private async retryNotOwned(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const jobId = policy.status?.jobId;
    if (!jobId || this.backingOff(policy.metadata.name) || this.pending.has(policy.metadata.name)) return;
    log.info({ jobId }, 'trying again to apply a JsPolicy whose name was taken');
    this.watchJob(policy.metadata.name, { jobId, hash, ...jobIdParts(jobId) });
  }

  /** A model outage is transient: once `outageRetryMs` has passed since it, the same spec gets a new attempt. */
  private async retryAfterOutage(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const generated = conditionOf(policy.status, 'Generated');
    if (generated?.status !== 'False' || generated.reason !== REASONS.ModelUnavailable) return;
    const since = this.now().getTime() - Date.parse(generated.lastTransitionTime);
    if (!(since >= (this.options.outageRetryMs ?? 600_000))) return;
    const attempt = jobIdParts(policy.status?.jobId).attempt + 1;
    log.info({ attempt, sinceMs: since }, 'retrying generation after a model outage');
    await this.enqueue(policy, hash, 1, undefined, log, attempt);
  }

  private async enqueue(policy: GPTPolicy, hash: string, round: number, feedback: string[] | undefined, log: Logger, attempt = 1): Promise<void> {
    const name = policy.metadata.name;
    const wanted = jobIdFor(policy.metadata.uid ?? '', hash, round, attempt);
    // jobs for older specs of this object that are still queued or running
    const superseded = new Set<string>();
    const previous = this.pending.get(name);
    if (previous && previous.hash !== hash) superseded.add(previous.jobId);
    if (policy.status?.jobId && policy.status.specHash !== hash) superseded.add(policy.status.jobId);
    superseded.delete(wanted);
    let jobId: string;
    try {
      const res = await this.queue.enqueue(
        { v: 1, intent: intentFor(policy, feedback), requestedBy: this.options.requestedBy ?? 'policyforge-operator' },
        { jobId: wanted },
      );
      jobId = res.id;
      if (res.deduplicated) this.stats.deduplicated++;
      else this.stats.enqueued++;
      log.info({ jobId, deduplicated: res.deduplicated, round }, 'generation job enqueued');
    } catch (err) {
      const reason = isPolicyforgeError(err, 'PF_ERR_INPUT_INVALID') ? 'InvalidSpec' : REASONS.QueueUnavailable;
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'could not enqueue the generation job');
      // no specHash recorded for a queue outage: the retry (with backoff) enqueues again
      await this.writeStatus(name, (o, ctx) => {
        const s = failedStatus(o.status, ctx, { stage: 'Generated', reason, message });
        return reason === REASONS.QueueUnavailable ? { ...s, specHash: o.status?.specHash } : s;
      });
      if (reason === REASONS.QueueUnavailable) this.retryLater(name, 'queue unavailable');
      return;
    }
    this.backoffDone(name);
    // watched before the status write, which may fail (edits racing it): the next reconcile still knows this
    // job, to supersede it or to wait for it
    this.watchJob(name, { jobId, hash, round, attempt });
    // only once the new job is the one watched (else a removed old job would look lost and be re-enqueued),
    // and before the status says Queued: whoever sees the new job there sees the old ones superseded
    for (const old of superseded) await this.supersede(old, log);
    await this.writeStatus(name, (o, ctx) => queuedStatus(o.status, ctx, jobId, round), hash);
  }

  /** One pending job per object: a job for an older spec is removed from the queue, or stopped if running. */
  private async supersede(jobId: string, log: Logger): Promise<void> {
    if (!this.queue.supersede) return;
    try {
      const outcome = await this.queue.supersede(jobId);
      if (outcome !== 'finished') log.info({ superseded: jobId, outcome }, 'job for an older spec superseded');
    } catch (err) {
      // best effort: a job that runs anyway finishes for an older spec, and its result is ignored
      log.warn({ err: err instanceof Error ? err.message : String(err), superseded: jobId }, 'could not supersede the job for an older spec');
    }
  }

  private watchJob(name: string, job: PendingJob): void {
    this.pending.get(name)?.unwatch?.();
    this.pending.set(name, job);
    if (this.queue.watch) {
      try {
        job.unwatch = this.queue.watch(job.jobId, () => void this.checkJob(name, job));
      } catch (err) {
        this.log.debug({ err }, 'queue events unavailable; polling only');
      }
    }
    void this.checkJob(name, job);
  }

  /** Periodic check of every unfinished job (queue events can be missed across reconnects). */
  async pollJobs(): Promise<void> {
    await Promise.allSettled([...this.pending].map(([name, job]) => this.checkJob(name, job)));
  }

  private checking = new Set<string>();

  private async checkJob(name: string, job: PendingJob): Promise<void> {
    if (!this.running || this.pending.get(name) !== job || this.checking.has(job.jobId)) return;
    this.checking.add(job.jobId);
    try {
      let view: JobView | undefined;
      try {
        view = await this.queue.getJob(job.jobId);
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err), jobId: job.jobId }, 'could not read the job; will retry');
        return;
      }
      if (!view) {
        // the queue lost it (Redis restarted, or retention removed a finished job whose JsPolicy is now
        // missing): enqueue it again under the same id; this is the one case where the same spec runs again
        if (this.pending.get(name) !== job) return;
        this.pending.delete(name);
        job.unwatch?.();
        this.track(this.withLock(name, () => this.requeueLost(name, job)));
        return;
      }
      if (view.state !== 'completed' && view.state !== 'failed') return;
      if (this.pending.get(name) !== job) return;
      this.pending.delete(name);
      job.unwatch?.();
      this.track(this.withLock(name, () => this.handleFinished(name, job, view!)));
    } finally {
      this.checking.delete(job.jobId);
    }
  }

  private async requeueLost(name: string, job: PendingJob): Promise<void> {
    if (!this.running || this.pending.has(name)) return;
    // decided on a fresh read: the watch cache may still show the spec a superseded (removed) job was for
    let cached: GPTPolicy;
    try {
      cached = await withRetry(() => this.kube.getGPTPolicy(name), this.retry);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (specHash(cached.spec) !== job.hash || cached.status?.jobId !== job.jobId) return;
    const log = this.log.child({ gptpolicy: { name, uid: cached.metadata.uid }, jobId: job.jobId });
    log.warn('the generation job is no longer in the queue; enqueuing it again');
    await this.enqueue(cached, job.hash, 1, undefined, log, job.attempt);
  }

  // ------------------------------------------------------------------------------------------------
  // a job finished: verify against the API server, apply, report

  private async handleFinished(name: string, job: PendingJob, view: JobView): Promise<void> {
    let policy: GPTPolicy;
    try {
      policy = await withRetry(() => this.kube.getGPTPolicy(name), this.retry);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const log = this.log.child({ gptpolicy: { name, uid: policy.metadata.uid }, jobId: job.jobId });
    if (specHash(policy.spec) !== job.hash) {
      log.info('job finished for an older spec; ignored');
      return;
    }
    const result = view.result;
    if (view.state === 'failed' && view.error?.code === 'PF_ERR_CONFLICT' && view.error.message === SUPERSEDED_MESSAGE) {
      // stopped for a newer spec, and the spec is back to this one: run it again (the queue replaces it)
      log.info('the job was superseded, and its spec is current again; enqueuing it again');
      await this.enqueue(policy, job.hash, job.round, undefined, log, job.attempt);
      return;
    }
    if (view.state === 'failed' || !result) {
      const code = view.error?.code;
      const reason = code === 'PF_ERR_MODEL_UNAVAILABLE' || code === 'PF_ERR_MODEL_AUTH' ? REASONS.ModelUnavailable : REASONS.GenerationFailed;
      const message = view.error ? `${view.error.code}: ${view.error.message}` : 'the generation job ended without a result';
      this.stats.failed++;
      log.warn({ reason, message }, 'generation failed; any existing JsPolicy is left untouched');
      await this.writeStatus(name, (o, ctx) => failedStatus(o.status, ctx, { stage: 'Generated', reason, message }), job.hash);
      await this.event(policy, 'Warning', reason, message);
      return;
    }
    if (result.status !== 'succeeded' || !result.safeToApply || !result.policy) {
      this.stats.failed++;
      log.warn({ reason: result.reason }, 'no verified policy; any existing JsPolicy is left untouched');
      await this.writeStatus(name, (o, ctx) => failedStatus(o.status, ctx, { stage: 'Verified', reason: REASONS.VerificationFailed, message: result.reason, result }), job.hash);
      await this.event(policy, 'Warning', REASONS.VerificationFailed, result.reason);
      return;
    }

    // the draft in the mode's terms: its name is checked, the API server dry-runs it, its impact is assessed
    const draft = ownedPolicy(policy, result.policy, intendedViolationPolicy(policy));
    const existing = await withRetry(() => this.kube.getJsPolicy(draft.metadata.name), this.retry);
    if (existing && !isOwnedBy(existing, policy)) {
      const message =
        `a JsPolicy named ${draft.metadata.name} exists and is not owned by this GPTPolicy; ` +
        'it was left alone (rename or delete it)';
      await this.writeStatus(name, (o, ctx) => applyFailedStatus(o.status, ctx, REASONS.NotOwned, message, result), job.hash);
      await this.event(policy, 'Warning', REASONS.NotOwned, message);
      this.retryLater(name, 'JsPolicy name taken');
      return;
    }
    this.backoffDone(name);

    const dryRunErrors = await this.dryRun(draft, existing);
    if (dryRunErrors.length) {
      const maxRounds = 1 + (this.options.dryRunFeedbackRounds ?? 1);
      log.warn({ dryRunErrors, round: job.round }, 'the API server rejected the policy in a dry-run');
      if (job.round < maxRounds) {
        await this.enqueue(policy, job.hash, job.round + 1, dryRunErrors.map((e) => `The Kubernetes API server rejected the JsPolicy (server-side dry-run): ${e}`), log, job.attempt);
        return;
      }
      const message = `the API server rejected the JsPolicy in a server-side dry-run: ${dryRunErrors.join('; ')}`;
      this.stats.failed++;
      await this.writeStatus(name, (o, ctx) => failedStatus(o.status, ctx, { stage: 'Verified', reason: REASONS.DryRunRejected, message, result }), job.hash);
      await this.event(policy, 'Warning', REASONS.DryRunRejected, message);
      return;
    }

    // before it first enforces: what it would do to the objects that exist (read-only, in a sandbox child)
    const impact = await this.assessImpact(draft, job.jobId, log);
    // a staged rollout starts at Dry for every new draft; re-applying the same draft keeps where it stood
    const previous = policy.status?.rollout;
    const rollout = isStaged(policy.spec)
      ? previous?.jobId === job.jobId
        ? previous
        : rolloutFrom('Dry', policy.spec.rollout, intendedViolationPolicy(policy), job.jobId, this.now())
      : undefined;
    const decision = decide(policy, job.hash, impact, rollout);
    // the loop's policy in common's envelope, with the violationPolicy decided here and nothing else changed
    const desired = ownedPolicy(policy, result.policy, decision.violationPolicy);

    let verb: 'created' | 'updated' | 'unchanged';
    try {
      verb = await this.apply(desired, policy);
    } catch (err) {
      const info = kubeErrorInfo(err);
      const transient = info.status === undefined || info.status >= 500 || info.status === 429 || info.status === 409;
      const message = `could not apply JsPolicy ${desired.metadata.name}: ${[info.message, ...info.causes].join('; ')}`;
      log.warn({ err: info, transient }, 'applying the JsPolicy failed');
      // transient: no specHash recorded, so the next reconcile re-enqueues the same job id, which the queue
      // answers with the finished result (no model call), and applying is tried again
      await this.writeStatus(name, (o, ctx) => ({ ...applyFailedStatus(o.status, ctx, REASONS.ApplyFailed, message, result), ...(transient ? { specHash: o.status?.specHash === job.hash ? undefined : o.status?.specHash } : {}) }), job.hash);
      await this.event(policy, 'Warning', REASONS.ApplyFailed, message);
      return;
    }
    if (verb !== 'unchanged') this.stats.applied++;
    const violationPolicy = decision.violationPolicy;
    await this.writeStatus(
      name,
      (o, ctx) =>
        appliedStatus(o.status, ctx, {
          result,
          policyName: desired.metadata.name,
          violationPolicy,
          verb,
          hold: decision.hold,
          impact,
          rollout: rollout ?? null,
        }),
      job.hash,
    );
    if (impact?.wouldDeny) {
      const message = `the draft would deny ${impact.wouldDeny} of ${impact.checked} existing object(s)`;
      await this.event(policy, 'Warning', REASONS.WouldDeny, message);
    }
    const hold = decision.hold;
    const applied = `JsPolicy ${desired.metadata.name} ${verb} (violationPolicy ${violationPolicy})`;
    const message = hold ? `${applied}: ${hold.message}` : applied;
    await this.event(policy, hold ? 'Warning' : 'Normal', hold?.reason ?? REASONS.Applied, message);
    log.info({ policy: desired.metadata.name, verb, violationPolicy, hold: decision.hold?.reason }, 'JsPolicy applied');
  }

  /**
   * status.impact for a draft: the objects of the kinds it matches, listed read-only, replayed through it in a
   * sandbox child process (never in this process). A failure (RBAC, a policy that does not compile) is kept
   * as `error`: nothing is known, and approval Auto then holds the draft in Dry as it would for denials.
   */
  private async assessImpact(draft: JsPolicy, jobId: string, log: Logger): Promise<GPTPolicyImpact | undefined> {
    const options = this.options.impact;
    if (options === false) return undefined;
    try {
      const status = await assessClusterImpact(this.kube.kubeConfig, draft, { ...options, now: this.now });
      const { checked, wouldDeny, wouldWarn } = status;
      log.info({ checked, wouldDeny, wouldWarn }, 'impact on existing objects assessed');
      return { jobId, ...status };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'could not assess the impact on existing objects');
      return { jobId, when: this.now().toISOString().replace(/\.\d+Z$/, 'Z'), error: message.slice(0, 1024) };
    }
  }

  /** Server-side dry-run (dryRun=All) of the create or update; API refusals come back as messages. */
  private async dryRun(desired: JsPolicy, existing: (JsPolicy & { metadata: { resourceVersion?: string } }) | undefined): Promise<string[]> {
    try {
      await withRetry(
        () =>
          existing
            ? this.kube.replaceJsPolicy({ ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion } as never }, { dryRun: true })
            : this.kube.createJsPolicy(desired, { dryRun: true }),
        this.retry,
      );
      return [];
    } catch (err) {
      const info = kubeErrorInfo(err);
      if (info.status === undefined || info.status >= 500 || info.status === 429 || info.status === 409) throw err;
      return info.causes.length ? info.causes : [info.message];
    }
  }

  /** Create or replace the owned JsPolicy; conflicts re-read and retry. */
  private async apply(desired: JsPolicy, owner: GPTPolicy): Promise<'created' | 'updated' | 'unchanged'> {
    return withRetry(async () => {
      const existing = await this.kube.getJsPolicy(desired.metadata.name);
      if (!existing) {
        // AlreadyExists (another writer won) is a 409: retried, and the next attempt reads it and replaces
        await this.kube.createJsPolicy(desired);
        return 'created';
      }
      if (!isOwnedBy(existing, owner)) throw new Error(`JsPolicy ${desired.metadata.name} is not owned by GPTPolicy ${owner.metadata.name}`);
      if (samePolicy(existing, desired)) return 'unchanged';
      await this.kube.replaceJsPolicy({
        ...desired,
        metadata: {
          ...existing.metadata,
          ...desired.metadata,
          labels: { ...existing.metadata.labels, ...desired.metadata.labels },
          annotations: withoutLegacy({ ...existing.metadata.annotations, ...desired.metadata.annotations }),
        },
      });
      return 'updated';
    }, { ...this.retry, conflicts: true });
  }

  /**
   * Steady state for an unchanged spec: the JsPolicy exists and its violationPolicy follows the mode, the
   * approval, the impact hold and the rollout stage. A staged rollout is observed here (violations counted,
   * windows checked, commands taken). A JsPolicy deleted by hand is re-applied from the finished job (same
   * id: no model call).
   */
  private async ensureApplied(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const name = policyNameFor(policy);
    const existing = await withRetry(() => this.kube.getJsPolicy(name), this.retry);
    if (!existing) {
      if (policy.status?.jobId) {
        log.info({ policy: name }, 'owned JsPolicy is missing; re-applying from the finished job');
        this.watchJob(policy.metadata.name, { jobId: policy.status.jobId, hash, ...jobIdParts(policy.status.jobId) });
      }
      return;
    }
    if (!isOwnedBy(existing, policy)) return;
    const status = policy.status;
    const jobId = status?.jobId;
    // only an assessment of the draft in force counts (policies applied before impact existed have none)
    const impact = status?.impact && status.impact.jobId === jobId ? status.impact : undefined;
    const current = existing.spec.violationPolicy ?? 'Deny';
    let rollout: RolloutStatus | undefined;
    let transitions: RolloutTransition[] = [];
    if (isStaged(policy.spec)) {
      const target = intendedViolationPolicy(policy);
      // switched to Staged while in force: not demoted, the rollout goes on from what is enforced now
      const prev =
        status?.rollout && status.rollout.jobId === jobId
          ? status.rollout
          : rolloutFrom(current, policy.spec.rollout, target, jobId, this.now());
      const command = rolloutCommand(policy);
      const watching = prev.state !== 'Complete' || prev.target !== target || command !== undefined;
      const violations = watching ? await withRetry(() => this.kube.getJsPolicyViolations(name), this.retry) : [];
      const d = observeRollout({
        prev,
        spec: policy.spec.rollout,
        target,
        approved: isApproved(policy, hash),
        violations,
        auditLogSize: existing.spec.auditLogSize,
        command,
        policyName: name,
        now: this.now(),
      });
      // the command goes before anything acts on it: if removing it fails, nothing was done twice
      if (d.consumed && !(await this.consumeCommand(policy, log))) return;
      rollout = d.status;
      transitions = d.transitions;
    }
    const decision = decide(policy, hash, impact, rollout);
    const violationPolicy = decision.violationPolicy;
    const failurePolicy = policy.spec.failurePolicy ?? 'Ignore';
    const expectedPhase = decision.hold?.phase ?? PHASES.Ready;
    const changed = current !== violationPolicy || (existing.spec.failurePolicy ?? 'Fail') !== failurePolicy;
    const sameRollout = sameStatus(status?.rollout as never, rollout as never);
    if (!changed && status?.phase === expectedPhase && sameRollout && !transitions.length) return;
    if (changed) {
      await withRetry(() => this.kube.patchJsPolicy(name, { spec: { violationPolicy, failurePolicy } }), this.retry);
      log.info({ policy: name, violationPolicy, hold: decision.hold?.reason }, 'JsPolicy violationPolicy updated');
    }
    await this.writeStatus(
      policy.metadata.name,
      (o, ctx) =>
        appliedStatus(o.status, ctx, {
          policyName: name,
          violationPolicy,
          verb: 'updated',
          hold: decision.hold,
          rollout: rollout ?? null,
        }),
      hash,
    );
    for (const t of transitions) await this.event(policy, t.type, t.reason, t.message);
    if (changed && !transitions.length) {
      const type = decision.hold ? 'Warning' : 'Normal';
      const message = `JsPolicy ${name} now has violationPolicy ${violationPolicy}`;
      await this.event(policy, type, decision.hold?.reason ?? REASONS.Applied, message);
    }
  }

  /** Removes the rollout command annotation, only from the object it was read on (409 otherwise). */
  private async consumeCommand(policy: GPTPolicy, log: Logger): Promise<boolean> {
    try {
      await this.kube.patchGPTPolicyMetadata(policy.metadata.name, {
        resourceVersion: policy.metadata.resourceVersion,
        annotations: { [ANNOTATIONS.rollout]: null },
      });
      return true;
    } catch (err) {
      const info = kubeErrorInfo(err);
      // changed meanwhile: its watch event reconciles again with the new object
      if (info.status === 409 || info.status === 404) return false;
      log.warn({ err: info }, 'could not remove the rollout command annotation; not acting on it');
      return false;
    }
  }

  /** Every GPTPolicy whose staged rollout is not complete, or that carries a command, is observed again. */
  private observeRollouts(): void {
    for (const o of this.informer?.list() ?? []) {
      const r = o.status?.rollout;
      const underWay = r?.state !== 'Complete' || rolloutCommand(o) !== undefined;
      if (isStaged(o.spec ?? {}) && underWay) this.schedule(o.metadata.name);
    }
  }

  /**
   * The earlier operator marked what it applied with the annotation gpt.drzzl.io/last-applied-description.
   * When it matches the description and its JsPolicy exists, adopt that JsPolicy once (own it, record the
   * hash) instead of regenerating: existing objects keep working with no model call.
   */
  private async adoptLegacy(policy: GPTPolicy, hash: string, log: Logger): Promise<boolean> {
    const legacy = policy.metadata.annotations?.[ANNOTATIONS.legacyLastAppliedDescription];
    if (legacy === undefined || legacy.trim() !== policy.spec.description.trim()) return false;
    const name = policyNameFor(policy);
    const existing = await withRetry(() => this.kube.getJsPolicy(name), this.retry);
    if (!existing) return false;
    const foreignController = existing.metadata.ownerReferences?.some((r) => r.controller && r.uid !== policy.metadata.uid);
    if (foreignController) return false;
    if (!isOwnedBy(existing, policy)) {
      const refs = [...(existing.metadata.ownerReferences ?? []), ownerReferenceFor(policy)];
      await withRetry(() => this.kube.patchJsPolicy(name, { metadata: { ownerReferences: refs } }), this.retry);
    }
    const violationPolicy = existing.spec.violationPolicy ?? 'Deny';
    // what the earlier operator applied stays as it was; ensureApplied then makes it follow the spec
    const hold = isApproved(policy, hash) ? undefined : approvalHold();
    await this.writeStatus(
      policy.metadata.name,
      (o, ctx) => appliedStatus(o.status, ctx, { policyName: name, violationPolicy, verb: 'adopted', hold }),
      hash,
    );
    log.info({ policy: name }, 'adopted the JsPolicy of the earlier operator (last-applied-description matches)');
    return true;
  }

  // ------------------------------------------------------------------------------------------------
  // status and events

  /**
   * Read-modify-write of the status subresource. `compute` gets the freshest object; a 409 (someone wrote
   * in between) re-reads and recomputes. Nothing is written when the status would not change.
   */
  private async writeStatus(name: string, compute: (o: GPTPolicy, ctx: StatusContext) => GPTPolicyStatus, hash?: string): Promise<void> {
    try {
      await withRetry(
        async () => {
          const current = await this.kube.getGPTPolicy(name);
          const ctx: StatusContext = { generation: current.metadata.generation, specHash: hash ?? specHashOf(current), now: this.now() };
          const next = compute(current, ctx);
          if (sameStatus(current.status, next)) return;
          await this.kube.replaceGPTPolicyStatus(current, next);
          this.stats.statusWrites++;
        },
        { ...this.retry, conflicts: true },
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private async event(policy: GPTPolicy, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (this.options.events === false) return;
    try {
      await this.kube.recordEvent(policy, type, reason, message, this.now());
    } catch (err) {
      this.log.debug({ err: kubeErrorInfo(err) }, 'could not record an event');
    }
  }
}

function specHashOf(o: GPTPolicy): string {
  try {
    return specHash(o.spec);
  } catch {
    return '';
  }
}


function samePolicy(existing: JsPolicy, desired: JsPolicy): boolean {
  const pick = (p: JsPolicy): string =>
    JSON.stringify({
      spec: sortKeys(p.spec),
      annotations: sortKeys(p.metadata.annotations ?? {}),
      labels: sortKeys(p.metadata.labels ?? {}),
      refs: (p.metadata.ownerReferences ?? []).map((r) => r.uid),
    });
  return pick(existing) === pick(desired);
}

/**
 * Annotations operators before the one envelope wrote on the JsPolicy (the spec hash, the mode's
 * violationPolicy): the GPTPolicy's status says both now, and a stale copy would mislead, so an update drops them.
 */
const LEGACY_ANNOTATIONS = ['gpt.drzzl.io/spec-hash', 'gpt.drzzl.io/intended-violation-policy'];

function withoutLegacy(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([k]) => !LEGACY_ANNOTATIONS.includes(k)));
}

/** The value of the rollout command annotation, when it is one the operator knows. */
function rolloutCommand(policy: GPTPolicy): RolloutCommand | undefined {
  const value = policy.metadata.annotations?.[ANNOTATIONS.rollout]?.trim().toLowerCase();
  return ROLLOUT_COMMANDS.find((c) => c === value);
}
