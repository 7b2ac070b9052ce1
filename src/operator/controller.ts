import {
  isPolicyforgeError,
  silentLogger,
  type GenerationResult,
  type JsPolicy,
  type Logger,
} from '../../common/index.js';
import { SUPERSEDED_MESSAGE, type JobView } from '../../worker/index.js';
import { ReplayPool } from '../../sandbox/index.js';
import { assessClusterImpact, type ClusterSourceOptions } from '../impact/index.js';
import { JsPolicyApplier, type ApplyVerb } from './applier.js';
import { Informer } from './informer.js';
import { JobTracker, type OperatorQueue, type TrackedJob } from './job-tracker.js';
import type { KubeClient } from './kube-client.js';
import { approvalHold, decide } from './decide.js';
import {
  intendedViolationPolicy,
  isApproved,
  isOwnedBy,
  jsPolicyNameOf,
  ownedPolicy,
  ownerReferenceFor,
} from './owned-policy.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { StatusReporter } from './status-reporter.js';
import { isStaged, observeRollout, rolloutFrom, ROLLOUT_COMMANDS } from './rollout.js';
import type { RolloutCommand, RolloutTransition } from './rollout.js';
import { defaultDelay, isNotFound, isRetryable, kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';
import { intentFor, jobIdFor, jobIdParts, specHash, validateGPTPolicy } from './spec.js';
import { appliedStatus, applyFailedStatus, conditionOf, failedStatus, queuedStatus, sameStatus } from './status.js';
import {
  ANNOTATIONS,
  GPTPOLICY,
  JSPOLICY,
  PHASES,
  REASONS,
  type GPTPolicy,
  type GPTPolicyImpact,
  type RolloutStatus,
} from './types.js';

export type { OperatorQueue } from './job-tracker.js';

export interface ControllerOptions {
  kube: KubeClient;
  queue: OperatorQueue;
  /** Recorded on jobs as requestedBy. @defaultValue 'policyforge-operator' */
  requestedBy?: string;
  /**
   * How often unfinished jobs are checked (JobTracker). @defaultValue 500 with worker/'s queue (one round
   * trip for every job), else 2000 (a read per job, besides queue events)
   */
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

/**
 * Reconciles GPTPolicies into owned JsPolicies: the orchestrator of the operator's parts. The watch side
 * only decides and enqueues (JobTracker): generation runs in worker/ (this process or another), where the
 * loop dry-runs its drafts through the API server when it has cluster access, so a refusal is feedback for
 * the next round of the same job. A finished job's policy is dry-run and applied by JsPolicyApplier, exactly
 * as dry-run. Work for one GPTPolicy is serialised and different ones run concurrently (ReconcileQueue).
 */
export class GPTPolicyController {
  private readonly kube: KubeClient;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly retry: RetryOptions;
  private readonly work: ReconcileQueue;
  private readonly jobs: JobTracker;
  private readonly applier: JsPolicyApplier;
  private readonly status: StatusReporter;
  private informer?: Informer<GPTPolicy>;
  /** The sandbox child the impact previews run in (lazily started, closed by stop()). */
  private impactPool?: ReplayPool;
  private jsPolicies?: Informer<JsPolicy & { metadata: { resourceVersion?: string } }>;
  /** Objects waiting to be tried again (requeueBackoff), by GPTPolicy name. */
  private readonly backoff = new Map<string, { failures: number; timer?: NodeJS.Timeout }>();
  /**
   * The finished job handed over for handling (waiting, running or done), by GPTPolicy name. A reconcile can
   * run on a watch cache that does not show its outcome yet (still Generating, same job), even before the
   * handling starts (it was queued first): it must not watch that job again, which would hand the same result
   * over a second time (impact preview, apply and Events twice). A handling that throws lets go of the mark.
   */
  private readonly handled = new Map<string, string>();
  private resyncTimer?: NodeJS.Timeout;
  private rolloutTimer?: NodeJS.Timeout;
  private running = false;
  /** Counters for /metrics-like introspection and tests. */
  readonly stats = { reconciles: 0, enqueued: 0, deduplicated: 0, applied: 0, failed: 0, statusWrites: 0 };

  constructor(private readonly options: ControllerOptions) {
    this.kube = options.kube;
    this.log = (options.logger ?? silentLogger).child({ module: 'operator' });
    this.now = options.now ?? (() => new Date());
    this.delay = options.delay ?? defaultDelay;
    this.retry = {
      delay: this.delay,
      ...options.retry,
      onRetry: (err, attempt, ms) =>
        this.log.warn({ err: kubeErrorInfo(err), attempt, backoffMs: ms }, 'retrying a Kubernetes API call'),
    };
    this.work = new ReconcileQueue({
      concurrency: options.maxConcurrentReconciles,
      logger: this.log,
      // a reconcile or a finished job's handling that threw (an API outage beyond the retries) would leave
      // its object as it stood, Generating with no reason, until the resync: the job tracker has already let
      // go of the job. The next reconcile watches the job again (status.jobId) and handles its result.
      onError: (name) => this.retryLater(name, 'a reconcile or the handling of a finished job failed'),
    });
    this.jobs = new JobTracker({
      queue: options.queue,
      requestedBy: options.requestedBy,
      pollIntervalMs: options.pollIntervalMs,
      logger: this.log,
      onFinished: (name, job, view) => {
        this.handled.set(name, job.jobId);
        void this.work.push(name, () => this.handleFinished(name, job, view));
      },
      // the queue lost it (Redis restarted, or retention removed a finished job whose JsPolicy is now
      // missing): enqueue it again under the same id; this is the one case where the same spec runs again
      onLost: (name, job) => void this.work.push(name, () => this.requeueLost(name, job)),
    });
    this.applier = new JsPolicyApplier(this.kube, this.retry);
    this.status = new StatusReporter({
      kube: this.kube,
      retry: this.retry,
      now: this.now,
      events: options.events,
      logger: this.log,
      onWrite: () => this.stats.statusWrites++,
    });
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Starts list+watch, job polling and resync. Called when this replica becomes the leader. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const watch = {
      kubeConfig: this.kube.kubeConfig,
      backoffMs: this.options.watchRestartDelayMs,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds,
      delay: this.delay,
      logger: this.log,
    };
    const informer = new Informer<GPTPolicy>({
      ...watch,
      path: `/apis/${GPTPOLICY.group}/${GPTPOLICY.version}/${GPTPOLICY.plural}`,
      list: () => this.kube.listGPTPolicies(),
      onAdd: (o) => this.schedule(o.metadata.name),
      onUpdate: (o) => this.schedule(o.metadata.name),
      onDelete: (o) => this.forget(o.metadata.name),
    });
    this.informer = informer;
    // the owned kind: a JsPolicy that goes away may free the name a GPTPolicy is waiting for (PolicyNotOwned),
    // or be ours deleted by hand (re-applied at once rather than at the next resync)
    const jsPolicies = new Informer<JsPolicy & { metadata: { resourceVersion?: string } }>({
      ...watch,
      path: `/apis/${JSPOLICY.group}/${JSPOLICY.version}/${JSPOLICY.plural}`,
      list: () => this.kube.listJsPolicies(),
      onAdd: () => undefined,
      onUpdate: () => undefined,
      onDelete: (o) => this.jsPolicyDeleted(o.metadata.name),
    });
    this.jsPolicies = jsPolicies;
    // JsPolicies first: the reconciles the GPTPolicy list starts find them in the cache (ensureApplied)
    await jsPolicies.start();
    await informer.start();
    this.jobs.start();
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncIntervalMs ?? 300_000);
    this.rolloutTimer = setInterval(() => this.observeRollouts(), this.options.rolloutCheckIntervalMs ?? 30_000);
    this.log.info('GPTPolicy controller started');
  }

  /** Stops everything; unfinished jobs are left to the next leader, which finds them through status.jobId. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    clearInterval(this.rolloutTimer);
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop();
    await this.jsPolicies?.stop();
    this.jsPolicies = undefined;
    for (const b of this.backoff.values()) clearTimeout(b.timer);
    this.backoff.clear();
    this.handled.clear();
    this.jobs.stop();
    // work not started is the next leader's; what runs now finishes
    this.work.clear();
    await this.idle();
    const pool = this.impactPool;
    this.impactPool = undefined;
    await pool?.close();
    this.log.info('GPTPolicy controller stopped');
  }

  /** Resolves when no reconcile or result handling is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    await this.work.idle();
  }

  /** Jobs waiting for a result, by GPTPolicy name. */
  pendingJobs(): Record<string, string> {
    return this.jobs.pending();
  }

  /** Checks every unfinished job once (the tracker also does this every pollIntervalMs). */
  async pollJobs(): Promise<void> {
    await this.jobs.poll();
  }

  /** Reconcile every cached object again (periodic resync, and on demand). */
  resync(): void {
    for (const o of this.informer?.list() ?? []) this.schedule(o.metadata.name);
  }

  /** A reconcile of `name`; events arriving while one waits are folded into it (it reads the newest object). */
  private schedule(name: string): void {
    if (!this.running) return;
    void this.work.push(name, () => this.reconcile(name), { coalesce: 'reconcile' });
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
      if (jsPolicyNameOf(o) !== policyName) continue;
      const entry = this.backoff.get(o.metadata.name);
      if (entry) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
      }
      this.schedule(o.metadata.name);
    }
  }

  private forget(name: string): void {
    this.handled.delete(name);
    this.backoffDone(name);
    this.jobs.forget(name);
    // the owned JsPolicy goes with its owner: the API server's garbage collector follows the ownerReference
    this.log.info(
      { gptpolicy: name },
      'GPTPolicy deleted; its JsPolicy is garbage-collected through its ownerReference',
    );
  }

  // ------------------------------------------------------------------------------------------------
  // reconcile: decide, enqueue, never wait for a model

  private async reconcile(name: string): Promise<void> {
    if (!this.running) return;
    const cached = this.informer?.get(name);
    if (!cached) return;
    this.stats.reconciles++;
    const log = this.log.child({
      gptpolicy: { name, uid: cached.metadata.uid, resourceVersion: cached.metadata.resourceVersion },
    });
    let policy: GPTPolicy;
    try {
      policy = validateGPTPolicy(cached);
    } catch (err) {
      if (!isPolicyforgeError(err)) throw err;
      const message = err.message;
      await this.status.write(name, (o, ctx) =>
        failedStatus(o.status, ctx, { stage: 'Generated', reason: 'InvalidSpec', message }),
      );
      return;
    }
    let hash = specHash(policy.spec);
    /** The object as read from the API server just now (not the watch cache): status writes start from it. */
    let fresh: GPTPolicy | undefined;
    if (policy.status?.specHash !== hash) {
      // about to enqueue: the watch cache may lag behind our own status write, so decide on a fresh read
      try {
        policy = fresh = validateGPTPolicy(await withRetry(() => this.kube.getGPTPolicy(name), this.retry));
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
        // a job started by us or by a previous leader: resume waiting for it, unless its result was handed over
        // for handling here and the cache does not show the outcome yet (the status write's event is on its way)
        if (!this.jobs.get(name) && this.handled.get(name) !== status.jobId)
          this.jobs.watch(name, { jobId: status.jobId, hash, ...jobIdParts(status.jobId) });
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
    await this.enqueue(policy, hash, 1, log, 1, fresh);
  }

  /**
   * The JsPolicy name belonged to another object (a deleted owner whose JsPolicy the garbage collector has
   * not removed yet, or someone else's policy): apply the finished job again (no model call) on the backoff
   * timer or as soon as that JsPolicy is deleted.
   */
  private async retryNotOwned(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const jobId = policy.status?.jobId;
    if (!jobId || this.backingOff(policy.metadata.name) || this.jobs.get(policy.metadata.name)) return;
    log.info({ jobId }, 'trying again to apply a JsPolicy whose name was taken');
    this.jobs.watch(policy.metadata.name, { jobId, hash, ...jobIdParts(jobId) });
  }

  /** A model outage is transient: once `outageRetryMs` has passed since it, the same spec gets a new attempt. */
  private async retryAfterOutage(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const generated = conditionOf(policy.status, 'Generated');
    if (generated?.status !== 'False' || generated.reason !== REASONS.ModelUnavailable) return;
    const since = this.now().getTime() - Date.parse(generated.lastTransitionTime);
    if (!(since >= (this.options.outageRetryMs ?? 600_000))) return;
    const attempt = jobIdParts(policy.status?.jobId).attempt + 1;
    log.info({ attempt, sinceMs: since }, 'retrying generation after a model outage');
    await this.enqueue(policy, hash, 1, log, attempt);
  }

  /**
   * Enqueues the job for this spec (round 1: dry-run feedback is a round inside the job, not a new job;
   * `round` only keeps the id of a job from an earlier operator), supersedes jobs for older specs, and
   * records Queued. `fresh`: `policy` was read from the API server just now (see StatusReporter.write).
   */
  private async enqueue(
    policy: GPTPolicy,
    hash: string,
    round: number,
    log: Logger,
    attempt = 1,
    fresh?: GPTPolicy,
  ): Promise<void> {
    const name = policy.metadata.name;
    this.handled.delete(name);
    const wanted = jobIdFor(policy.metadata.uid ?? '', hash, round, attempt);
    // jobs for older specs of this object that are still queued or running
    const superseded = new Set<string>();
    const previous = this.jobs.get(name);
    if (previous && previous.hash !== hash) superseded.add(previous.jobId);
    if (policy.status?.jobId && policy.status.specHash !== hash) superseded.add(policy.status.jobId);
    superseded.delete(wanted);
    let jobId: string;
    try {
      const res = await this.jobs.enqueue(intentFor(policy), wanted);
      jobId = res.id;
      if (res.deduplicated) this.stats.deduplicated++;
      else this.stats.enqueued++;
      log.info({ jobId, deduplicated: res.deduplicated, round }, 'generation job enqueued');
    } catch (err) {
      const reason = isPolicyforgeError(err, 'PF_ERR_INPUT_INVALID') ? 'InvalidSpec' : REASONS.QueueUnavailable;
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'could not enqueue the generation job');
      // no specHash recorded for a queue outage: the retry (with backoff) enqueues again
      await this.status.write(
        name,
        (o, ctx) => {
          const s = failedStatus(o.status, ctx, { stage: 'Generated', reason, message });
          return reason === REASONS.QueueUnavailable ? { ...s, specHash: o.status?.specHash } : s;
        },
        undefined,
        fresh,
      );
      if (reason === REASONS.QueueUnavailable) this.retryLater(name, 'queue unavailable');
      return;
    }
    this.backoffDone(name);
    // watched before the status write, which may fail (edits racing it): the next reconcile still knows this
    // job, to supersede it or to wait for it
    this.jobs.watch(name, { jobId, hash, round, attempt });
    // only once the new job is the one watched (else a removed old job would look lost and be re-enqueued),
    // and before the status says Queued: whoever sees the new job there sees the old ones superseded
    for (const old of superseded) await this.jobs.supersede(old, log);
    await this.status.write(name, (o, ctx) => queuedStatus(o.status, ctx, jobId, round), hash, fresh);
  }

  private async requeueLost(name: string, job: TrackedJob): Promise<void> {
    if (!this.running || this.jobs.get(name)) return;
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
    await this.enqueue(cached, job.hash, job.round, log, job.attempt, cached);
  }

  // ------------------------------------------------------------------------------------------------
  // a job finished: verify against the API server, apply, report

  private async handleFinished(name: string, job: TrackedJob, view: JobView): Promise<void> {
    try {
      await this.recordFinished(name, job, view);
    } catch (err) {
      // not recorded: the retry after it (onError) must watch the job again
      if (this.handled.get(name) === job.jobId) this.handled.delete(name);
      throw err;
    }
  }

  private async recordFinished(name: string, job: TrackedJob, view: JobView): Promise<void> {
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
    if (
      view.state === 'failed' &&
      view.error?.code === 'PF_ERR_CONFLICT' &&
      view.error.message === SUPERSEDED_MESSAGE
    ) {
      // stopped for a newer spec, and the spec is back to this one: run it again (the queue replaces it)
      log.info('the job was superseded, and its spec is current again; enqueuing it again');
      await this.enqueue(policy, job.hash, job.round, log, job.attempt, policy);
      return;
    }
    if (view.state === 'failed' || !result) {
      const code = view.error?.code;
      const reason =
        code === 'PF_ERR_MODEL_UNAVAILABLE' || code === 'PF_ERR_MODEL_AUTH'
          ? REASONS.ModelUnavailable
          : REASONS.GenerationFailed;
      const message = view.error
        ? `${view.error.code}: ${view.error.message}`
        : 'the generation job ended without a result';
      this.stats.failed++;
      log.warn({ reason, message }, 'generation failed; any existing JsPolicy is left untouched');
      await this.status.write(
        name,
        (o, ctx) => failedStatus(o.status, ctx, { stage: 'Generated', reason, message }),
        job.hash,
        policy,
      );
      await this.status.event(policy, 'Warning', reason, message);
      return;
    }
    if (result.status !== 'succeeded' || !result.safeToApply || !result.policy) {
      // the loop dry-ran its drafts (when its worker has cluster access): a last round the API server
      // refused is said so
      const refused = result.rounds.at(-1)?.report?.dryRunErrors?.length ?? 0;
      const reason = refused ? REASONS.DryRunRejected : REASONS.VerificationFailed;
      this.stats.failed++;
      log.warn({ reason: result.reason }, 'no verified policy; any existing JsPolicy is left untouched');
      await this.status.write(
        name,
        (o, ctx) => failedStatus(o.status, ctx, { stage: 'Verified', reason, message: result.reason, result }),
        job.hash,
        policy,
      );
      await this.status.event(policy, 'Warning', reason, result.reason);
      return;
    }

    // the draft in the mode's terms: its name is checked and its impact assessed
    const draft = ownedPolicy(policy, result.policy, intendedViolationPolicy(policy));
    const existing = await this.applier.get(draft.metadata.name);
    if (existing && !isOwnedBy(existing, policy)) {
      const message =
        `a JsPolicy named ${draft.metadata.name} exists and is not owned by this GPTPolicy; ` +
        'it was left alone (rename or delete it)';
      await this.status.write(
        name,
        (o, ctx) => applyFailedStatus(o.status, ctx, REASONS.NotOwned, message, result),
        job.hash,
        policy,
      );
      await this.status.event(policy, 'Warning', REASONS.NotOwned, message);
      this.retryLater(name, 'JsPolicy name taken');
      return;
    }
    this.backoffDone(name);

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
    // the loop's policy in common's envelope, with the violationPolicy decided here and nothing else changed;
    // the applier dry-runs exactly this and applies exactly what the API server accepted
    const desired = ownedPolicy(policy, result.policy, decision.violationPolicy);

    let verb: ApplyVerb;
    try {
      // `existing` was read above (the impact preview in between writes nothing)
      const outcome = await this.applier.apply(desired, policy, { existing });
      if (outcome.rejected) return await this.dryRunRejected(policy, job, result, outcome.rejected, log);
      verb = outcome.verb;
    } catch (err) {
      const info = kubeErrorInfo(err);
      const transient = isRetryable(err, { conflicts: true });
      const message = `could not apply JsPolicy ${desired.metadata.name}: ${[info.message, ...info.causes].join('; ')}`;
      log.warn({ err: info, transient }, 'applying the JsPolicy failed');
      // transient: no specHash recorded, so the next reconcile re-enqueues the same job id, which the queue
      // answers with the finished result (no model call), and applying is tried again
      await this.status.write(
        name,
        (o, ctx) => ({
          ...applyFailedStatus(o.status, ctx, REASONS.ApplyFailed, message, result),
          ...(transient ? { specHash: o.status?.specHash === job.hash ? undefined : o.status?.specHash } : {}),
        }),
        job.hash,
        policy,
      );
      await this.status.event(policy, 'Warning', REASONS.ApplyFailed, message);
      return;
    }
    if (verb !== 'unchanged') this.stats.applied++;
    const violationPolicy = decision.violationPolicy;
    await this.status.write(
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
      policy,
    );
    if (impact?.wouldDeny) {
      const message = `the draft would deny ${impact.wouldDeny} of ${impact.checked} existing object(s)`;
      await this.status.event(policy, 'Warning', REASONS.WouldDeny, message);
    }
    const hold = decision.hold;
    const applied = `JsPolicy ${desired.metadata.name} ${verb} (violationPolicy ${violationPolicy})`;
    const message = hold ? `${applied}: ${hold.message}` : applied;
    await this.status.event(policy, hold ? 'Warning' : 'Normal', hold?.reason ?? REASONS.Applied, message);
    log.info({ policy: desired.metadata.name, verb, violationPolicy, hold: decision.hold?.reason }, 'JsPolicy applied');
  }

  /**
   * The API server refused the verified policy in the applier's dry-run (a worker without cluster access
   * could not dry-run it in the loop, or the cluster changed since): reported, nothing applied, and no new
   * job, since the next job would be told nothing the loop could not have been told.
   */
  private async dryRunRejected(
    policy: GPTPolicy,
    job: TrackedJob,
    result: GenerationResult,
    errors: string[],
    log: Logger,
  ): Promise<void> {
    const message = `the API server rejected the JsPolicy in a server-side dry-run: ${errors.join('; ')}`;
    log.warn({ dryRunErrors: errors }, 'the API server rejected the policy in a dry-run; nothing applied');
    this.stats.failed++;
    await this.status.write(
      policy.metadata.name,
      (o, ctx) => failedStatus(o.status, ctx, { stage: 'Verified', reason: REASONS.DryRunRejected, message, result }),
      job.hash,
      policy,
    );
    await this.status.event(policy, 'Warning', REASONS.DryRunRejected, message);
  }

  /**
   * status.impact for a draft: the objects of the kinds it matches, listed read-only, replayed through it in a
   * sandbox child process (never in this process). A failure (RBAC, a policy that does not compile) is kept
   * as `error`: nothing is known, and approval Auto then holds the draft in Dry as it would for denials.
   */
  private async assessImpact(draft: JsPolicy, jobId: string, log: Logger): Promise<GPTPolicyImpact | undefined> {
    const options = this.options.impact;
    if (options === false) return undefined;
    // one sandbox child for every preview, started on the first and closed by stop()
    this.impactPool ??= new ReplayPool();
    try {
      const status = await assessClusterImpact(this.kube.kubeConfig, draft, {
        ...options,
        now: this.now,
        pool: this.impactPool,
      });
      const { checked, wouldDeny, wouldWarn } = status;
      log.info({ checked, wouldDeny, wouldWarn }, 'impact on existing objects assessed');
      return { jobId, ...status };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'could not assess the impact on existing objects');
      return {
        jobId,
        when: this.now()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z'),
        error: message.slice(0, 1024),
      };
    }
  }

  /**
   * Steady state for an unchanged spec: the JsPolicy exists and its violationPolicy follows the mode, the
   * approval, the impact hold and the rollout stage. A staged rollout is observed here (violations counted,
   * windows checked, commands taken). A JsPolicy deleted by hand is re-applied from the finished job (same
   * id: no model call).
   *
   * Most reconciles here follow the operator's own status writes and find everything in place. The watch
   * cache of JsPolicies answers those with no request; anything else (not cached, not ours, a change to
   * make, a staged rollout, whose steps act as they go) is decided again on a fresh read, so nothing is
   * ever written, or left undone, because of a cache that lags.
   */
  private async ensureApplied(policy: GPTPolicy, hash: string, log: Logger): Promise<void> {
    const name = jsPolicyNameOf(policy);
    const cached = isStaged(policy.spec) ? undefined : this.jsPolicies?.get(name);
    if (cached && this.inPlace(policy, hash, cached)) return;
    const existing = await this.applier.get(name);
    if (!existing) {
      if (policy.status?.jobId) {
        log.info({ policy: name }, 'owned JsPolicy is missing; re-applying from the finished job');
        this.jobs.watch(policy.metadata.name, { jobId: policy.status.jobId, hash, ...jobIdParts(policy.status.jobId) });
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
      await this.applier.setViolationPolicy(name, violationPolicy, failurePolicy);
      log.info({ policy: name, violationPolicy, hold: decision.hold?.reason }, 'JsPolicy violationPolicy updated');
    }
    await this.status.write(
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
    for (const t of transitions) await this.status.event(policy, t.type, t.reason, t.message);
    if (changed && !transitions.length) {
      const type = decision.hold ? 'Warning' : 'Normal';
      const message = `JsPolicy ${name} now has violationPolicy ${violationPolicy}`;
      await this.status.event(policy, type, decision.hold?.reason ?? REASONS.Applied, message);
    }
  }

  /**
   * A JsPolicy of `policy` (not staged) that needs nothing: owned, its violationPolicy and failurePolicy as
   * decided, and the status phase already saying so. The same test as ensureApplied's, without the reads.
   */
  private inPlace(policy: GPTPolicy, hash: string, existing: JsPolicy): boolean {
    if (!isOwnedBy(existing, policy)) return false;
    const status = policy.status;
    const impact = status?.impact && status.impact.jobId === status.jobId ? status.impact : undefined;
    const decision = decide(policy, hash, impact, undefined);
    const failurePolicy = policy.spec.failurePolicy ?? 'Ignore';
    return (
      (existing.spec.violationPolicy ?? 'Deny') === decision.violationPolicy &&
      (existing.spec.failurePolicy ?? 'Fail') === failurePolicy &&
      status?.phase === (decision.hold?.phase ?? PHASES.Ready) &&
      sameStatus(status.rollout as never, undefined as never)
    );
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
    const name = jsPolicyNameOf(policy);
    const existing = await this.applier.get(name);
    if (!existing) return false;
    const foreignController = existing.metadata.ownerReferences?.some(
      (r) => r.controller && r.uid !== policy.metadata.uid,
    );
    if (foreignController) return false;
    if (!isOwnedBy(existing, policy)) await this.applier.addOwner(existing, ownerReferenceFor(policy));
    const violationPolicy = existing.spec.violationPolicy ?? 'Deny';
    // what the earlier operator applied stays as it was; ensureApplied then makes it follow the spec
    const hold = isApproved(policy, hash) ? undefined : approvalHold();
    await this.status.write(
      policy.metadata.name,
      (o, ctx) => appliedStatus(o.status, ctx, { policyName: name, violationPolicy, verb: 'adopted', hold }),
      hash,
    );
    log.info({ policy: name }, 'adopted the JsPolicy of the earlier operator (last-applied-description matches)');
    return true;
  }
}

/** The value of the rollout command annotation, when it is one the operator knows. */
function rolloutCommand(policy: GPTPolicy): RolloutCommand | undefined {
  const value = policy.metadata.annotations?.[ANNOTATIONS.rollout]?.trim().toLowerCase();
  return ROLLOUT_COMMANDS.find((c) => c === value);
}
