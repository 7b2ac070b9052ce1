import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationResult, JsPolicy } from '../../common/index.js';
import {
  inspectUpload,
  loadUpload,
  previewUpload,
  storeUpload,
  uploadKey,
  withImpactPreview,
} from '../../src/impact/index.js';
import { createRedisClient, type AgainstRef, type GenerateContext } from '../../worker/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { finishedGeneration } from '../worker/fixtures/results.js';

// src/impact/upload.ts: the bounds of an upload, its store beside the queue, and the worker's preview
// of a verified policy (withImpactPreview) when the upload is gone or the preview cannot finish.

let redis: TestRedis;
let client: Redis;
const prefix = `pf-upload-${randomUUID().slice(0, 8)}`;

const pod = (name: string, env: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'shop', name, labels: { env } } });
const UPLOAD = [pod('web', 'prod'), pod('debug', 'dev')].join('\n');

function context(against?: AgainstRef, signal = new AbortController().signal): GenerateContext {
  return { jobId: 'job-1', attempt: 1, onProgress: () => undefined, signal, ...(against ? { against } : {}) };
}

beforeAll(async () => {
  redis = await redisForTests();
  client = createRedisClient(redis.url, 'worker');
});
afterAll(async () => {
  const keys = await client.keys(`${prefix}:*`);
  if (keys.length) await client.del(...keys);
  client.disconnect();
  await redis?.close();
});

describe('inspectUpload', () => {
  it('counts objects and recorded requests, and what it skipped, with the CLI parsers (JSON lines here)', async () => {
    const audit = JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      stage: 'ResponseComplete',
      verb: 'watch',
      objectRef: { resource: 'pods' },
    });
    const upload = await inspectUpload(`${UPLOAD}\n${audit}\nnot json\n`, { maxBytes: 10_000, maxObjects: 10 });
    expect(upload.objects).toBe(2);
    expect(upload.skipped).toEqual({
      'audit verb watch: not an admission request for one object': 1,
      'a line that is not JSON': 1,
    });
    expect(upload.sha256).toBe(createHash('sha256').update(`${UPLOAD}\n${audit}\nnot json\n`).digest('hex'));
  });

  it('refuses what is not text or an object, naming the field', async () => {
    await expect(inspectUpload(42, { maxBytes: 100, maxObjects: 1 }, 'body.against')).rejects.toMatchObject({
      code: 'PF_ERR_INPUT_INVALID',
      message: 'body.against: must be YAML or JSON text, a Kubernetes object, a List, or an array of objects',
    });
  });
});

describe('storeUpload / loadUpload', () => {
  it('keeps an upload gzipped under its sha256 for the TTL and reads it back', async () => {
    const upload = await inspectUpload(UPLOAD, { maxBytes: 10_000, maxObjects: 10 });
    await storeUpload(client, prefix, upload, 120);
    const raw = await client.getBuffer(uploadKey(prefix, upload.sha256));
    expect(raw?.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(await client.ttl(uploadKey(prefix, upload.sha256))).toBeGreaterThan(100);
    expect(await loadUpload(client, prefix, upload.sha256)).toBe(UPLOAD);
    expect(await loadUpload(client, prefix, 'e'.repeat(64))).toBeUndefined();
  });

  it('refuses a stored value that does not hash to its key', async () => {
    const sha = 'd'.repeat(64);
    await client.set(uploadKey(prefix, sha), gzipSync('something else'), 'EX', 60);
    await expect(loadUpload(client, prefix, sha)).rejects.toMatchObject({ code: 'PF_ERR_INTERNAL' });
  });
});

describe('previewUpload', () => {
  const slow: JsPolicy = {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'slow.example.com' },
    spec: {
      operations: ['CREATE'],
      resources: ['pods'],
      javascript: 'const s = Date.now(); while (Date.now() - s < 30) {} allow();',
    },
  };

  it('stops past its time limit with PF_ERR_LIMIT_EXCEEDED, saying how far it got', async () => {
    const many = Array.from({ length: 40 }, (_, i) => pod(`p${i}`, 'dev')).join('\n');
    const err = await previewUpload(slow, { text: many, objects: 40 }, 0.1, { timeLimitMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'PF_ERR_LIMIT_EXCEEDED', details: { limit: 'timeLimitMs', timeLimitMs: 1 } });
    expect((err as Error).message).toMatch(
      /^limit exceeded: the impact preview ran longer than 1 ms \(\d+ of 40 objects replayed\)/,
    );
  });

  it('stops when asked to (a client hung up)', async () => {
    await expect(previewUpload(slow, { text: UPLOAD }, 0.1, { stopped: () => true })).rejects.toMatchObject({
      code: 'PF_ERR_LIMIT_EXCEEDED',
    });
  });
});

describe('withImpactPreview', () => {
  const intent = { text: 'Deny prod pods' };

  it('leaves a job without against as the loop returned it', async () => {
    const result = await withImpactPreview(async (i) => finishedGeneration(i), { client, prefix })(intent, context());
    expect(result).toEqual(finishedGeneration(intent));
  });

  it('does not preview a failed draft (it is not safe anyway)', async () => {
    const failed: GenerationResult = {
      ...finishedGeneration(intent),
      status: 'failed',
      safeToApply: false,
      reason: 'no round passed',
    };
    const result = await withImpactPreview(async () => failed, { client, prefix })(
      intent,
      context({ sha256: 'c'.repeat(64), bytes: 1, objects: 1, denyThreshold: 0.1 }),
    );
    expect(result).toEqual(failed);
  });

  it('never passes as safe a verified policy whose upload expired before the job ran', async () => {
    const result = await withImpactPreview(async (i) => finishedGeneration(i), { client, prefix })(
      intent,
      context({ sha256: 'b'.repeat(64), bytes: 10, objects: 1, denyThreshold: 0.1 }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.safeToApply).toBe(false);
    expect(result.impact).toBeUndefined();
    expect(result.reason).toBe(
      'verified in 1 round; the impact preview did not run: the uploaded objects (against) expired before the job ran; submit them again, so it is not passed as safe',
    );
  });

  it('never passes as safe a verified policy whose preview could not finish', async () => {
    const upload = await inspectUpload(UPLOAD, { maxBytes: 10_000, maxObjects: 10 });
    await storeUpload(client, prefix, upload, 60);
    const timed = withImpactPreview(async (i) => finishedGeneration(i), { client, prefix, timeLimitMs: -1 });
    const result = await timed(
      intent,
      context({ sha256: upload.sha256, bytes: upload.bytes, objects: 2, denyThreshold: 0.9 }),
    );
    expect(result.safeToApply).toBe(false);
    expect(result.reason).toMatch(
      /^verified in 1 round; the impact preview could not finish \(PF_ERR_LIMIT_EXCEEDED: limit exceeded: the impact preview ran longer than -1 ms/,
    );
  });

  it('adds the preview to a verified policy, safe within the threshold', async () => {
    const upload = await inspectUpload(UPLOAD, { maxBytes: 10_000, maxObjects: 10 });
    await storeUpload(client, prefix, upload, 60);
    const generate = withImpactPreview(async (i) => finishedGeneration(i), { client, prefix });
    const result = await generate(
      intent,
      context({ sha256: upload.sha256, bytes: upload.bytes, objects: 2, denyThreshold: 0.5 }),
    );
    expect(result.safeToApply).toBe(true);
    expect(result.impact).toMatchObject({ checked: 2, wouldDeny: 1, sources: ['against'] });
    expect(result.impact?.overThreshold).toBeUndefined();
  });
});
