import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../common/index.js';
import { createGenerationQueue } from '../../worker/index.js';
import { freePort } from '../support/redis.js';

// Redis as deploy/redis.yaml runs it (its own arguments, its /data in a temporary directory), killed
// without warning and started again: every job that was accepted must still be there.

const manifests = parseAllDocuments(readFileSync(assetPath('deploy', 'redis.yaml'), 'utf8')).map((d) => d.toJS());
const deployed = manifests.find((d) => d.kind === 'Deployment');
const args: string[] = deployed.spec.template.spec.containers[0].args;

const dir = mkdtempSync(join(tmpdir(), 'pf-redis-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startDeployedRedis(port: number): Promise<ChildProcess> {
  const withDir = args.map((a, i) => (args[i - 1] === '--dir' ? dir : a));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...withDir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() !== 'PONG') {
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

describe('Redis as deploy/redis.yaml runs it', () => {
  it('keeps every accepted job across a kill -9 and restart', async () => {
    const port = await freePort();
    let redis = await startDeployedRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const ids: string[] = [];
    let queue = createGenerationQueue({ connection: url, prefix: 'pf-persist' });
    try {
      for (let n = 0; n < 6; n++)
        ids.push(
          (await queue.enqueue({ v: 1, intent: { text: `Accepted intent ${n}` } }, { idempotencyKey: `persist-${n}` }))
            .id,
        );
      await queue.close();
      const killed = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGKILL');
      await killed;

      redis = await startDeployedRedis(port);
      queue = createGenerationQueue({ connection: url, prefix: 'pf-persist' });
      const found = await Promise.all(ids.map((id) => queue.getJob(id)));
      expect(found.map((j) => j?.state)).toEqual(ids.map(() => 'waiting'));
      // and the Idempotency-Keys still answer their jobs
      const again = await queue.enqueue(
        { v: 1, intent: { text: 'Accepted intent 0' } },
        { idempotencyKey: 'persist-0' },
      );
      expect(again).toEqual({ id: ids[0], deduplicated: true, replayed: true });
    } finally {
      await queue.close();
      redis.kill('SIGKILL');
    }
  });
});
