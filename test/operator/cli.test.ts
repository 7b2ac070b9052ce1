import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import {
  condition,
  E2E_KUBECONFIG,
  eventually,
  GPT,
  GPTPOLICY_TYPE,
  gptPolicy,
  jsPolicyType,
  JSP,
  REDIS_URL,
} from './harness.js';

// `policyforge operator` as shipped: the real bin (dist/), a kubeconfig file pointing at the in-process API
// server, Redis, and --with-worker running the real loop offline in the same process.

let server: KubeApiServer;
let dir: string;
let prefix: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  server = await startKubeApiServer({ types: [GPTPOLICY_TYPE, jsPolicyType()] });
  dir = mkdtempSync(join(tmpdir(), 'pf-operator-cli-'));
  writeFileSync(join(dir, 'kubeconfig'), server.kubeconfig());
  prefix = `pf-test-operator-cli-${randomBytes(4).toString('hex')}`;
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function run(args: string[]): {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  let out = '';
  let err = '';
  // run the entry directly with --no-node-snapshot (as deploy/deployment.yaml does): bin/'s re-exec wrapper
  // blocks in spawnSync and cannot forward SIGTERM to the real process
  const proc = spawn(process.execPath, ['--no-node-snapshot', 'bin/policyforge.js', 'operator', ...args], {
    env: {
      PATH: process.env.PATH,
      REDIS_URL,
      POLICYFORGE_QUEUE_PREFIX: prefix,
      POLICYFORGE_SKILL_PREFIX: `${prefix}:skills:`,
      POLICYFORGE_HOME: dir,
      PORT: '0',
      LOG_LEVEL: 'warn',
    },
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  child = proc;
  return { proc, stdout: () => out, stderr: () => err, exited };
}

describe.skipIf(!!E2E_KUBECONFIG)('policyforge operator', () => {
  it("runs the user's GPTPolicy to Ready with its own worker, then stops on SIGTERM releasing the lease", async () => {
    const op = run([
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--with-worker',
      '--health-port',
      '0',
      '--lease-namespace',
      'policyforge-system',
      '--identity',
      'cli-replica',
    ]);
    await eventually(
      async () => op.stdout().includes('watching GPTPolicies'),
      `the operator to start; stderr: ${op.stderr()}`,
      60_000,
    );
    const healthUrl = /health on (http:\/\/\S+)/.exec(op.stdout())![1];
    expect(await (await fetch(`${healthUrl}/readyz`)).json()).toMatchObject({ ok: true, identity: 'cli-replica' });

    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy('no-prod-pods-in-test-ns.drzzl.io', {
        description: "Deny pods with the label 'env=prod' in the 'test' namespace.",
      }),
    });
    const ready = await eventually(
      async () => {
        const o = await api.getClusterCustomObject({ ...GPT, name: 'no-prod-pods-in-test-ns.drzzl.io' });
        return condition(o, 'Ready')?.status === 'True' ? o : undefined;
      },
      'Ready',
      90_000,
    );
    expect(ready.status.policyName).toBe('no-prod-pods-in-test-ns.drzzl.io');
    const policy = await api.getClusterCustomObject({ ...JSP, name: 'no-prod-pods-in-test-ns.drzzl.io' });
    expect(policy.spec.failurePolicy).toBe('Ignore');
    expect(
      server.getObject('coordination.k8s.io', 'leases', 'policyforge-operator', 'policyforge-system').spec
        .holderIdentity,
    ).toBe('cli-replica');

    op.proc.kill('SIGTERM');
    const code = await op.exited;
    expect({ code, signal: op.proc.signalCode, stdout: op.stdout(), stderr: op.stderr().slice(-2000) }).toMatchObject({
      code: 0,
    });
    expect(
      server.getObject('coordination.k8s.io', 'leases', 'policyforge-operator', 'policyforge-system').spec
        .holderIdentity,
    ).toBe('');
  });

  it('exits 2 naming the manifest when the cluster does not serve GPTPolicies, and 3 when the API server is unreachable', async () => {
    const bare = await startKubeApiServer({ types: [jsPolicyType()] }); // no GPTPolicy CRD
    try {
      writeFileSync(join(dir, 'bare'), bare.kubeconfig());
      const noCrd = run(['--kubeconfig', join(dir, 'bare'), '--no-leader-election']);
      expect(await noCrd.exited).toBe(2);
      expect(noCrd.stderr()).toContain('PF_ERR_KUBE_CRD_MISSING');
      expect(noCrd.stderr()).toContain('deploy/crd-gptpolicy.yaml');
    } finally {
      await bare.close();
    }
    writeFileSync(join(dir, 'gone'), server.kubeconfig().replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'));
    const unreachable = run(['--kubeconfig', join(dir, 'gone'), '--no-leader-election']);
    expect(await unreachable.exited).toBe(3);
    expect(unreachable.stderr()).toContain('PF_ERR_KUBE_API');
  });

  it('exits 2 naming the problem when the kubeconfig cannot be read or a flag is not a number', async () => {
    const missing = run(['--kubeconfig', join(dir, 'nope.yaml')]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('PF_ERR_CONFIG');
    expect(missing.stderr()).toContain('kubeconfig');
    const bad = run(['--kubeconfig', join(dir, 'kubeconfig'), '--health-port', 'eighty']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--health-port must be a whole number');
  });
});
