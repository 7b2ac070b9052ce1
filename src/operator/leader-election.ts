import {
  CoordinationV1Api,
  type ConfigurationOptions,
  type KubeConfig,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import { requestOptions } from './request-options.js';
import { pfError, silentLogger, type Logger } from '../../common/index.js';
import { kubeErrorInfo } from './retry.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease. @defaultValue 'policyforge-operator' */
  name?: string;
  /** This replica's identity (the pod name). */
  identity: string;
  /** How long a lease is valid without renewal; a stopped leader is replaced after this. @defaultValue 15000 */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops leading (must be < leaseDurationMs). @defaultValue 10000 */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. @defaultValue 2000 */
  retryPeriodMs?: number;
  /** Injected clock (ms since epoch). @defaultValue Date.now */
  now?: () => number;
  /** Injected sleep; resolves early when the signal aborts. @defaultValue setTimeout */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Per-request timeout. @defaultValue 5000 */
  requestTimeoutMs?: number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
}

const abortableDelay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/** RFC 3339 with microseconds, the MicroTime format the API server parses. */
/**
 * client-node types MicroTime as a Date but its serializer writes a Date with millisecond precision only; the
 * Lease API wants the RFC 3339 microsecond string other clients (client-go) write, so the string is sent as is.
 */
function asMicroTime(s: string): V1LeaseSpec['renewTime'] {
  return s as unknown as V1LeaseSpec['renewTime'];
}

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's algorithm (client-node 1.4 has
 * none): acquire when the Lease is free, released, or not renewed for leaseDuration as observed by *our*
 * clock (no trust in other machines' clocks); renew every retryPeriod; stop leading when a renewal has not
 * succeeded for renewDeadline, so that we stop before anyone else may start; release on stop.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private leading = false;
  private lastRenewMs = 0;
  private observedRecord = '';
  private observedAtMs = 0;
  private observedHolder = '';
  private running?: Promise<void>;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.name = options.name ?? 'policyforge-operator';
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs)
      throw pfError('PF_ERR_CONFIG', 'leader election: renewDeadlineMs must be shorter than leaseDurationMs');
    this.now = options.now ?? Date.now;
    this.delay = options.delay ?? abortableDelay;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.log = (options.logger ?? silentLogger).child({
      lease: `${options.namespace}/${this.name}`,
      identity: options.identity,
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts the election loop in the background. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops campaigning; a leader releases the Lease so another replica takes over at its next attempt. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.abort.abort();
    await this.running;
    if (this.leading) {
      if (options.release ?? true)
        await this.release().catch((err) => this.log.warn({ err: kubeErrorInfo(err) }, 'could not release the lease'));
      await this.setLeading(false);
    }
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn({ err: kubeErrorInfo(err) }, 'lease request failed');
      }
      if (this.abort.signal.aborted) break;
      const now = this.now();
      if (renewed) {
        this.lastRenewMs = now;
        if (!this.leading) await this.setLeading(true);
      } else if (
        this.leading &&
        (this.observedHolder !== this.options.identity || now - this.lastRenewMs >= this.renewDeadlineMs)
      ) {
        this.log.warn('lost the lease');
        await this.setLeading(false);
      }
      // followers jitter their attempts (as client-go does) so replicas do not race in lockstep
      const wait = this.leading ? this.retryPeriodMs : Math.round(this.retryPeriodMs * (1 + Math.random() * 0.2));
      await this.delay(wait, this.abort.signal);
    }
  }

  private async setLeading(leading: boolean): Promise<void> {
    if (this.leading === leading) return;
    this.leading = leading;
    this.log.info({ leading }, leading ? 'started leading' : 'stopped leading');
    try {
      await (leading ? this.options.onStartedLeading() : this.options.onStoppedLeading());
    } catch (err) {
      this.log.error({ err }, 'leader callback failed');
    }
  }

  private reqOpts(): ConfigurationOptions {
    return requestOptions(this.timeoutMs);
  }

  /** One attempt; true when this replica holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, identity } = this.options;
    const now = this.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace }, this.reqOpts());
    } catch (err) {
      if (kubeErrorInfo(err).status !== 404) throw err;
      try {
        await this.api.createNamespacedLease(
          {
            namespace,
            body: {
              metadata: { name: this.name, namespace },
              spec: this.spec(identity, now, now, 0),
            },
          },
          this.reqOpts(),
        );
        this.observe(identity, microTime(now), now);
        return true;
      } catch (createErr) {
        if (kubeErrorInfo(createErr).status === 409) return false; // another replica created it first
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewTime = String(spec.renewTime ?? '');
    this.observe(holder, renewTime, now);
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (holder && holder !== identity && this.observedAtMs + durationMs > now) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder !== identity ? 1 : 0);
    const acquireMs = holder === identity && spec.acquireTime ? Date.parse(String(spec.acquireTime)) : now;
    try {
      await this.api.replaceNamespacedLease(
        { name: this.name, namespace, body: { ...lease, spec: this.spec(identity, acquireMs, now, transitions) } },
        this.reqOpts(),
      );
    } catch (err) {
      if (kubeErrorInfo(err).status === 409) return false; // someone else wrote it between our read and write
      throw err;
    }
    this.observe(identity, microTime(now), now);
    return true;
  }

  private spec(holder: string, acquireMs: number, renewMs: number, transitions: number): V1LeaseSpec {
    return {
      holderIdentity: holder,
      leaseDurationSeconds: Math.max(1, Math.round(this.leaseDurationMs / 1000)),
      acquireTime: asMicroTime(microTime(acquireMs)),
      renewTime: asMicroTime(microTime(renewMs)),
      leaseTransitions: transitions,
    };
  }

  private observe(holder: string, renewTime: string, now: number): void {
    const record = `${holder}|${renewTime}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAtMs = now;
    }
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) this.options.onNewLeader?.(holder);
    }
  }

  /** Gives the lease up: an empty holder lets the next attempt of any replica acquire it at once. */
  private async release(): Promise<void> {
    const { namespace, identity } = this.options;
    const lease = await this.api.readNamespacedLease({ name: this.name, namespace }, this.reqOpts());
    if (lease.spec?.holderIdentity !== identity) return;
    const now = this.now();
    await this.api.replaceNamespacedLease(
      {
        name: this.name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: asMicroTime(microTime(now)),
            acquireTime: asMicroTime(microTime(now)),
          },
        },
      },
      this.reqOpts(),
    );
  }
}
