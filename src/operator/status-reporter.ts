import { silentLogger, type Logger } from '../../common/index.js';
import type { KubeClient } from './kube-client.js';
import { isNotFound, kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';
import { specHash } from './spec.js';
import { sameStatus, type StatusContext } from './status.js';
import type { GPTPolicy, GPTPolicyStatus } from './types.js';

export interface StatusReporterOptions {
  kube: KubeClient;
  retry?: RetryOptions;
  /** @defaultValue () => new Date() */
  now?: () => Date;
  /** Record Kubernetes Events (best effort). @defaultValue true */
  events?: boolean;
  logger?: Logger;
  /** Called after every status write that changed something (the controller's stats). */
  onWrite?: () => void;
}

/**
 * What the operator tells people about a GPTPolicy: its status subresource (read-modify-write on the freshest
 * object, conflicts re-read, nothing written when nothing changed) and Kubernetes Events (best effort).
 * The status itself is computed by status.ts's builders.
 */
export class StatusReporter {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: StatusReporterOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? silentLogger;
  }

  /**
   * `compute` gets the freshest object; a 409 (someone wrote in between) re-reads and recomputes. `hash` is
   * the spec hash the status is about (else the object's own): an object whose spec no longer has that hash
   * gets no status from this call. A GPTPolicy gone meanwhile is no error.
   * `fresh`: the object as the caller just read it from the API server (not the watch cache), used for the
   * first attempt instead of reading it again; the write carries its resourceVersion, so if it is no longer
   * the newest the API server answers 409 and the retry reads the newest.
   */
  async write(
    name: string,
    compute: (o: GPTPolicy, ctx: StatusContext) => GPTPolicyStatus,
    hash?: string,
    fresh?: GPTPolicy,
  ): Promise<void> {
    const { kube } = this.options;
    let given = fresh;
    try {
      await withRetry(
        async () => {
          const current = given ?? (await kube.getGPTPolicy(name));
          given = undefined;
          // The spec moved on (a 409 re-read found an edit): this status is about an older spec, and written on
          // the newer object it would claim that object's generation for it (observedGeneration N, job for N-k).
          // The edit's own reconcile reports the newer spec; nothing is written here.
          if (hash !== undefined && specHashOf(current) !== hash) {
            this.log.debug({ gptpolicy: { name } }, 'status for an older spec not written: the spec changed');
            return;
          }
          const ctx: StatusContext = {
            generation: current.metadata.generation,
            specHash: hash ?? specHashOf(current),
            now: this.now(),
          };
          const next = compute(current, ctx);
          if (sameStatus(current.status, next)) return;
          await kube.replaceGPTPolicyStatus(current, next);
          this.options.onWrite?.();
        },
        { ...this.options.retry, conflicts: true },
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async event(policy: GPTPolicy, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (this.options.events === false) return;
    try {
      await this.options.kube.recordEvent(policy, type, reason, message, this.now());
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
