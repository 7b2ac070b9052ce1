import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../common/index.js';
import { GPTPolicyController, type ControllerOptions, type OperatorQueue } from './controller.js';
import { KubeClient, type KubeClientOptions } from './kube-client.js';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** worker/'s generation queue (createGenerationQueue); the operator only enqueues and reads jobs. */
  queue: OperatorQueue;
  /** This replica's name in the Lease (the CLI passes POD_NAME, read by src/config.ts). @defaultValue `<hostname>-<random>` */
  identity?: string;
  /** Elect a leader on a Lease before reconciling (turn off only for a single replica). @defaultValue true */
  leaderElection?: boolean;
  /** The Lease's namespace (the CLI passes POD_NAMESPACE, read by src/config.ts). @defaultValue 'policyforge-system' */
  leaseNamespace?: string;
  /** @defaultValue 'policyforge-operator' */
  leaseName?: string;
  /** Lease timings and injected clock. */
  lease?: Partial<
    Pick<
      LeaderElectionOptions,
      'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'now' | 'delay' | 'requestTimeoutMs'
    >
  >;
  kube?: KubeClientOptions;
  controller?: Omit<ControllerOptions, 'kube' | 'queue' | 'logger'>;
  /** Serve /healthz and /readyz on this port (0 = any free port); undefined = no health server. */
  healthPort?: number;
  logger?: Logger;
}

export interface RunningOperator {
  readonly identity: string;
  readonly controller: GPTPolicyController;
  isLeader(): boolean;
  /** http://host:port of the health server, when one was asked for. */
  healthUrl?: string;
  /** Stops reconciling and releases the Lease, so another replica takes over at once. */
  stop(options?: { release?: boolean }): Promise<void>;
}

/**
 * Runs the GPTPolicy operator: a leader-elected controller (see controller.ts). Replicas that are not the
 * leader keep campaigning and stay ready (readiness means "able to serve", not "leading").
 */
export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const log = (options.logger ?? silentLogger).child({ module: 'operator' });
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const kube = new KubeClient(options.kubeConfig, options.kube);
  const controller = new GPTPolicyController({
    ...options.controller,
    kube,
    queue: options.queue,
    logger: log.child({ identity }),
  });

  let elector: LeaderElector | undefined;
  if (options.leaderElection ?? true) {
    elector = new LeaderElector({
      kubeConfig: options.kubeConfig,
      namespace: options.leaseNamespace ?? 'policyforge-system',
      name: options.leaseName,
      identity,
      ...options.lease,
      logger: log,
      onStartedLeading: () => controller.start(),
      onStoppedLeading: () => controller.stop(),
      onNewLeader: (leader) => log.info({ leader }, 'leader observed'),
    });
    elector.start();
  } else {
    await controller.start();
  }

  let server: Server | undefined;
  let healthUrl: string | undefined;
  if (options.healthPort !== undefined) {
    const health = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' || path === '/readyz') {
        const body = JSON.stringify({
          ok: true,
          identity,
          leader: elector ? elector.isLeader() : true,
          pendingJobs: Object.keys(controller.pendingJobs()).length,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => health.listen(options.healthPort, resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
    server = health;
  }

  return {
    identity,
    controller,
    healthUrl,
    isLeader: () => (elector ? elector.isLeader() : controller.isRunning()),
    async stop(stopOptions = {}) {
      if (elector) await elector.stop(stopOptions);
      await controller.stop();
      const health = server;
      if (health) await new Promise<void>((resolve) => health.close(() => resolve()));
    },
  };
}
