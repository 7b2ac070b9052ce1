import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { pfError, silentLogger, type Logger } from '../../common/index.js';
import { kubeErrorInfo } from './retry.js';

interface NamedObject {
  metadata: { name: string; resourceVersion?: string };
}

export interface InformerOptions<T extends NamedObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /apis/gpt.drzzl.io/v1/gptpolicies. */
  path: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  onAdd: (obj: T) => void;
  onUpdate: (obj: T) => void;
  onDelete: (obj: T) => void;
  /**
   * Each watch asks the server to end it after a random time in [min, 2·min) (as client-go does), so a
   * connection that died silently is replaced. @defaultValue 300
   */
  watchTimeoutSeconds?: number;
  /** A watch that delivers nothing (not even a bookmark) for this long is dropped and reopened. @defaultValue 2 × 60 s + timeout */
  stallMs?: number;
  /** First wait after a failed list or watch; doubles up to 30 s. @defaultValue 1000 */
  backoffMs?: number;
  /** @defaultValue setTimeout */
  delay?: (ms: number) => Promise<void>;
  logger?: Logger;
}

/**
 * List, then watch from the list's resourceVersion with bookmarks, for one cluster-scoped resource: the
 * informer the controller needs, written on client-node's Watch because its ListWatch can ask for neither
 * bookmarks nor a watch timeout, and restarting it races its own abort handling. A watch that ends is
 * resumed from the last resourceVersion seen (bookmarks keep it fresh); 410 Gone relists, and a relist
 * reports objects that vanished meanwhile as deleted.
 */
export class Informer<T extends NamedObject> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private stopped = true;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private failures = 0;
  private readonly log: Logger;
  /** Lists and watches opened, for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, bookmarks: 0, expired: 0, stalls: 0 };

  constructor(private readonly options: InformerOptions<T>) {
    this.log = (options.logger ?? silentLogger).child({ informer: options.path });
  }

  get(name: string): T | undefined {
    return this.cache.get(name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** Resolves after the first list has been delivered (or failed: the loop keeps trying). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    let firstList!: () => void;
    const listed = new Promise<void>((resolve) => (firstList = resolve));
    this.loop = this.run(firstList);
    await listed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
  }

  private async run(firstList: () => void): Promise<void> {
    const delay = this.options.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        firstList();
        await this.watchOnce();
        this.failures = 0;
      } catch (err) {
        firstList();
        if (this.stopped) break;
        if ((err as { statusCode?: number }).statusCode === 410 || kubeErrorInfo(err).status === 410)
          this.resourceVersion = '';
        const ms = Math.min(30_000, (this.options.backoffMs ?? 1000) * 2 ** this.failures++);
        this.log.warn({ err: kubeErrorInfo(err), retryInMs: ms }, 'list/watch failed');
        await delay(ms);
      }
    }
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    const list = await this.options.list();
    const seen = new Set<string>();
    for (const obj of list.items ?? []) {
      seen.add(obj.metadata.name);
      this.upsert(obj);
    }
    for (const [name, obj] of [...this.cache]) {
      if (!seen.has(name)) {
        this.cache.delete(name);
        this.options.onDelete(obj);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private upsert(obj: T): void {
    const old = this.cache.get(obj.metadata.name);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(obj.metadata.name, obj);
    if (old) this.options.onUpdate(obj);
    else this.options.onAdd(obj);
  }

  /** One watch, until the server ends it, it errs, it stalls, or stop(). */
  private watchOnce(): Promise<void> {
    const timeout = this.options.watchTimeoutSeconds ?? 300;
    const seconds = Math.round(timeout * (1 + Math.random()));
    const stallMs = this.options.stallMs ?? (seconds + 120) * 1000;
    this.stats.watches++;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let stallTimer: NodeJS.Timeout | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stallTimer);
        controller?.abort();
        if (err && !this.stopped) reject(err);
        else resolve();
      };
      const alive = (): void => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => {
          this.stats.stalls++;
          this.log.warn({ stallMs }, 'watch delivered nothing for too long; reopening');
          finish();
        }, stallMs);
      };
      let controller: AbortController | undefined;
      alive();
      new Watch(this.options.kubeConfig)
        .watch(
          this.options.path,
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: seconds },
          (type, raw: unknown) => {
            alive();
            if (type === 'ERROR') {
              // an ERROR event carries a Status, not the kind watched
              const status = raw as { code?: number; message?: string } | undefined;
              if (status?.code === 410) {
                this.stats.expired++;
                this.resourceVersion = ''; // relist on the next turn
                finish();
              } else {
                const why = `the watch of ${this.options.path} ended with ${status?.code ?? 'an error'}: ${status?.message ?? ''}`;
                finish(pfError('PF_ERR_KUBE_API', why));
              }
              return;
            }
            // a BOOKMARK carries only metadata.resourceVersion
            const obj = raw as T | undefined;
            const rv = obj?.metadata?.resourceVersion;
            if (type === 'BOOKMARK') this.stats.bookmarks++;
            else if (type === 'DELETED') {
              if (obj && this.cache.delete(obj.metadata.name)) this.options.onDelete(obj);
            } else if (obj && (type === 'ADDED' || type === 'MODIFIED')) this.upsert(obj);
            if (rv) this.resourceVersion = rv;
          },
          (err) => finish(err ?? undefined),
        )
        .then((c) => {
          controller = c;
          this.abort = c;
          if (settled || this.stopped) c.abort();
        })
        .catch(finish);
    });
  }
}
