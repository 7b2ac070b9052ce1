import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { uploadKey } from '../../src/impact/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { finishedGeneration } from '../worker/fixtures/results.js';
import { errorOf, startApi, type ApiHarness } from './harness.js';

// The impact preview over HTTP (issue 14 item 3): real HTTP, real Redis, a real worker, and the policy
// replayed in a real sandbox child process. The loop is the fixture's (test/loop tests the loop): its
// verified policy denies CREATE of Pods labelled env=prod.

let redis: TestRedis;
let api: ApiHarness;

const LIMITS = { maxBytes: 8192, maxObjects: 6 };

const pod = (ns: string, name: string, env: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: ns, name, labels: { env } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

/** Four existing objects: two prod Pods (denied), a dev Pod, and a ConfigMap the policy does not select. */
const MANIFESTS = [
  pod('shop', 'web', 'prod'),
  pod('shop', 'worker', 'prod'),
  pod('shop', 'debug', 'dev'),
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'shop', name: 'settings' }, data: { a: '1' } },
]
  .map((o) => stringify(o))
  .join('---\n');

/** The line each document of MANIFESTS starts on, as the parsers name it (`against:LINE`). */
const DOC_LINES = [1, ...MANIFESTS.split('\n').flatMap((line, i) => (line === '---' ? [i + 2] : []))];

async function settled(id: string): Promise<any> {
  await expect
    .poll(async () => (await (await api.call(`/v1/intents/${id}`)).json()).state, { timeout: 30_000 })
    .toMatch(/completed|failed/);
  return (await api.call(`/v1/intents/${id}`)).json();
}

beforeAll(async () => {
  redis = await redisForTests();
  api = await startApi(redis.url, {
    intentsPerMinute: 0,
    against: LIMITS,
    generate: async (intent) => finishedGeneration(intent),
  });
});
afterAll(async () => {
  await api?.close();
  await redis?.close();
});

describe('POST /v1/intents with against', () => {
  it('replays the verified policy against the upload and reports a draft denying more than the threshold as not safe', async () => {
    const response = await api.call('/v1/intents', {
      json: { text: 'Deny pods labelled env=prod', against: MANIFESTS },
    });
    expect(response.status).toBe(202);
    const accepted = await response.json();
    expect(accepted.against).toEqual({
      againstId: createHash('sha256').update(MANIFESTS).digest('hex'),
      bytes: Buffer.byteLength(MANIFESTS),
      objects: 4,
      denyThreshold: 0.1,
    });

    const view = await settled(accepted.id);
    expect(view.state).toBe('completed');
    const { result } = view;
    // It verified (the plan's own cases pass), but 2 of 4 existing objects would be denied: not passed as safe.
    expect(result.status).toBe('succeeded');
    expect(result.safeToApply).toBe(false);
    expect(result.impact).toMatchObject({
      sources: ['against'],
      checked: 4,
      selected: 3,
      wouldDeny: 2,
      wouldWarn: 0,
      wouldMutate: 0,
      overThreshold: true,
    });
    expect(result.impact.reasons).toEqual([
      {
        verdict: 'deny',
        reason: '403 no prod',
        count: 2,
        examples: ['Pod shop/web (against:1)', `Pod shop/worker (against:${DOC_LINES[1]})`],
      },
    ]);
    expect(result.reason).toBe(
      'verified in 1 round; but it would deny 2 of 4 objects; warn 0; mutate 0 (50.0 % denied, above the 10.0 % threshold): not safe to enforce as is',
    );

    // The history shows it beside the restatement, and the download says why it is not safe.
    const { intents } = await (await api.call('/v1/intents')).json();
    expect(intents.find((i: any) => i.id === accepted.id)).toMatchObject({
      impact: 'would deny 2 of 4 objects; warn 0; mutate 0',
      overThreshold: true,
      safeToApply: false,
    });
    const yaml = await (await api.call(`/v1/intents/${accepted.id}/policy.yaml`)).text();
    expect(yaml.split('\n')[0]).toBe(
      "# NOT SAFE TO APPLY as is: verified, but it would deny 2 of 4 objects; warn 0; mutate 0 (above the deny threshold); see the intent's result.impact.",
    );
  });

  it('passes a draft within the threshold as safe, with its impact; another threshold is another job', async () => {
    const first = await (
      await api.call('/v1/intents', {
        json: { text: 'Deny pods labelled env=prod (threshold)', against: MANIFESTS, denyThreshold: 0.5 },
      })
    ).json();
    const second = await (
      await api.call('/v1/intents', {
        json: { text: 'Deny pods labelled env=prod (threshold)', against: MANIFESTS, denyThreshold: 0.4 },
      })
    ).json();
    expect(second.id).not.toBe(first.id);
    expect(second.deduplicated).toBe(false);
    const within = (await settled(first.id)).result;
    expect(within.safeToApply).toBe(true);
    expect(within.reason).toBe('verified in 1 round');
    expect(within.impact.wouldDeny).toBe(2);
    expect(within.impact.overThreshold).toBeUndefined();
    expect((await settled(second.id)).result.impact.overThreshold).toBe(true);
  });

  it('an Idempotency-Key names the upload too: the same key with other objects is a 409', async () => {
    const headers = { 'idempotency-key': `impact-${Date.now()}` };
    const text = 'Deny pods labelled env=prod (idempotent)';
    const first = await api.call('/v1/intents', { json: { text, against: MANIFESTS }, headers });
    expect(first.status).toBe(202);
    const again = await api.call('/v1/intents', { json: { text, against: MANIFESTS }, headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()).id).toBe((await first.json()).id);
    const other = await api.call('/v1/intents', { json: { text, against: [pod('x', 'y', 'prod')] }, headers });
    expect(other.status).toBe(409);
    expect((await errorOf(other)).code).toBe('PF_ERR_CONFLICT');
  });

  it('takes a JSON List and an array of objects as well as YAML text', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [pod('a', 'one', 'prod'), pod('a', 'two', 'dev')] };
    const fromList = await (
      await api.call('/v1/intents', { json: { text: 'Deny pods labelled env=prod (list)', against: list } })
    ).json();
    const fromArray = await (
      await api.call('/v1/intents', { json: { text: 'Deny pods labelled env=prod (array)', against: list.items } })
    ).json();
    expect(fromList.against.objects).toBe(2);
    expect(fromArray.against.objects).toBe(2);
    expect((await settled(fromList.id)).result.impact).toMatchObject({ checked: 2, wouldDeny: 1, overThreshold: true });
    expect((await settled(fromArray.id)).result.impact.reasons[0].examples).toEqual(['Pod a/one (against:1)']);
  });

  it('without against, nothing changes: no impact, safe as verified', async () => {
    const { id, against } = await (
      await api.call('/v1/intents', { json: { text: 'Deny pods labelled env=prod (no against)' } })
    ).json();
    expect(against).toBeUndefined();
    const { result } = await settled(id);
    expect(result.impact).toBeUndefined();
    expect(result.safeToApply).toBe(true);
  });
});

describe('POST /v1/against (uploads larger than a JSON body) and againstId', () => {
  it('stores a raw YAML upload by content and replays it for an intent that names it', async () => {
    const response = await api.call('/v1/against', {
      method: 'POST',
      body: MANIFESTS,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(response.status).toBe(201);
    const upload = await response.json();
    expect(upload).toMatchObject({
      againstId: createHash('sha256').update(MANIFESTS).digest('hex'),
      bytes: Buffer.byteLength(MANIFESTS),
      objects: 4,
      skipped: {},
    });
    // Kept gzipped under the queue's prefix, not in the job.
    expect(await api.queue.client.ttl(uploadKey(api.prefix, upload.againstId))).toBeGreaterThan(86_000);
    const { id } = await (
      await api.call('/v1/intents', {
        json: { text: 'Deny pods labelled env=prod (by id)', againstId: upload.againstId },
      })
    ).json();
    const job = await api.queue.queue.getJob(id);
    expect(job?.data.against).toEqual({
      sha256: upload.againstId,
      bytes: upload.bytes,
      objects: 4,
      denyThreshold: 0.1,
    });
    expect(JSON.stringify(job?.data)).not.toContain('shop');
    expect((await settled(id)).result.impact).toMatchObject({ checked: 4, wouldDeny: 2 });
  });

  it('counts what it skipped in an audit log and answers 415 for a type it does not read', async () => {
    const lines = [
      {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'RequestResponse',
        stage: 'ResponseComplete',
        verb: 'create',
        objectRef: { resource: 'pods', namespace: 'shop', name: 'web' },
        user: { username: 'alice' },
        requestObject: pod('shop', 'web', 'prod'),
      },
      {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        stage: 'ResponseComplete',
        verb: 'get',
        objectRef: { resource: 'pods', namespace: 'shop', name: 'web' },
        user: { username: 'alice' },
      },
    ];
    const response = await api.call('/v1/against', {
      method: 'POST',
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(response.status).toBe(201);
    expect((await response.json()).skipped).toEqual({ 'audit verb get: not an admission request for one object': 1 });
    const refused = await api.call('/v1/against', {
      method: 'POST',
      body: MANIFESTS,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(refused.status).toBe(415);
    expect((await errorOf(refused)).code).toBe('PF_ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('uploads are rate-limited like intents', () => {
  it('answers 429 past the per-minute limit, with retry-after', async () => {
    const limited = await startApi(redis.url, { intentsPerMinute: 2, against: LIMITS });
    try {
      const upload = () =>
        limited.call('/v1/against', {
          method: 'POST',
          body: MANIFESTS,
          headers: { 'content-type': 'application/yaml' },
        });
      expect((await upload()).status).toBe(201);
      expect((await upload()).status).toBe(201);
      const third = await upload();
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await errorOf(third)).message).toMatch(
        /^too many requests: more than 2 uploads per minute; retry in \d+ s$/,
      );
    } finally {
      await limited.close();
    }
  });
});

describe('bounds and errors, before anything is queued', () => {
  const intent = (extra: Record<string, unknown>) =>
    api.call('/v1/intents', { json: { text: 'Deny pods labelled env=prod (refused)', ...extra } });

  it('413 for an upload over the byte cap, naming the limit and the size', async () => {
    const big = `${MANIFESTS}---\n${stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: 'x'.repeat(LIMITS.maxBytes) } })}`;
    const inline = await intent({ against: big });
    expect(inline.status).toBe(413);
    const error = await errorOf(inline);
    expect(error.code).toBe('PF_ERR_PAYLOAD_TOO_LARGE');
    expect(error.message).toBe(
      `body.against is ${Buffer.byteLength(big)} bytes, more than the limit of 8192 bytes; send fewer objects, or replay a large source with the CLI (policyforge test --against)`,
    );
    expect(error.details).toMatchObject({ limit: 'maxBytes', maxBytes: 8192 });
    // The raw upload route has the cap as its body limit: Fastify stops reading there, and says which limit.
    const raw = await api.call('/v1/against', { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } });
    expect(raw.status).toBe(413);
    expect((await errorOf(raw)).message).toBe('the request body is larger than the limit of 8192 bytes');
  });

  it('413 for more objects than the cap, naming where it stopped counting', async () => {
    const many = Array.from({ length: 7 }, (_, i) => pod('n', `p${i}`, 'dev'));
    const response = await intent({ against: many });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    // An array sent as JSON is one line: every object in it reads as line 1.
    expect(error.message).toBe(
      'body.against holds more than 6 objects (the limit; counted up to body.against:1); send fewer objects, or replay a large source with the CLI (policyforge test --against)',
    );
    expect(error.details).toMatchObject({ limit: 'maxObjects', maxObjects: 6 });
  });

  it('413 for YAML whose aliases expand far beyond its bytes', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: bomb}',
      'data: {e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}',
    ].join('\n');
    const response = await intent({ against: bomb });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.details).toMatchObject({ limit: 'expansion' });
    expect(error.message).toContain('YAML aliases');
  });

  it('400 naming the document for YAML that does not parse, and for an upload with nothing to replay', async () => {
    const broken = await intent({ against: `${MANIFESTS}---\nkind: Pod\nmetadata: {name: [unclosed\n` });
    expect(broken.status).toBe(400);
    const error = await errorOf(broken);
    expect(error.code).toBe('PF_ERR_INPUT_YAML');
    expect(error.message).toMatch(/^body\.against:\d+ is not valid YAML: /);
    const nothing = await intent({ against: 'just: a map\n---\n- 1\n' });
    expect(nothing.status).toBe(400);
    expect((await errorOf(nothing)).message).toBe(
      'body.against: holds no Kubernetes object or recorded request to replay (skipped: 1 × a document without apiVersion and kind; 1 × a document that is not a Kubernetes object)',
    );
    const empty = await intent({ against: '  \n' });
    expect((await errorOf(empty)).message).toBe('body.against: is empty; send manifests, a List or audit-log lines');
  });

  it('400 for a bad againstId, both forms at once, or a threshold without objects; 404 for an upload no longer kept', async () => {
    expect((await errorOf(await intent({ againstId: 'nope' }))).message).toBe(
      'body.againstId: must be the id POST /v1/against answered (64 hex digits)',
    );
    expect((await errorOf(await intent({ against: MANIFESTS, againstId: 'a'.repeat(64) }))).message).toBe(
      'body.againstId: give against or againstId, not both',
    );
    expect((await errorOf(await intent({ denyThreshold: 0.2 }))).message).toBe(
      'body.denyThreshold: applies only with against or againstId',
    );
    const over = await intent({ against: MANIFESTS, denyThreshold: 2 });
    expect(over.status).toBe(400);
    expect((await errorOf(over)).message).toContain('body.denyThreshold');
    const gone = await intent({ againstId: 'f'.repeat(64) });
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).message).toBe(
      `against upload ${'f'.repeat(64)} (uploads are kept 86400 s; upload it again) not found`,
    );
  });

  it('queued none of the refused requests', async () => {
    const { intents } = await (await api.call('/v1/intents?limit=200')).json();
    expect(intents.filter((i: any) => i.text.includes('(refused)'))).toEqual([]);
  });
});

describe('POST /v1/impact', () => {
  const policy = (javascript: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'preview.example.com' },
    spec: { operations: ['CREATE', 'UPDATE'], resources: ['pods'], javascript, ...extra },
  });

  it('previews a given policy against inline objects: headline, reasons with examples, threshold', async () => {
    const response = await api.call('/v1/impact', {
      json: {
        policy: stringify(policy('if (request.object.metadata.labels?.env === "dev") warn("dev pod");')),
        against: MANIFESTS,
        denyThreshold: 0,
      },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.policy).toBe('preview.example.com');
    expect(body.headline).toBe('would deny 0 of 4 objects; warn 1; mutate 0');
    expect(body.denyThreshold).toBe(0);
    expect(body.impact).toMatchObject({ checked: 4, selected: 3, wouldWarn: 1, sources: ['against'] });
    expect(body.impact.overThreshold).toBeUndefined();
    expect(body.impact.reasons).toEqual([
      { verdict: 'warn', reason: 'dev pod', count: 1, examples: [`Pod shop/debug (against:${DOC_LINES[2]})`] },
    ]);
  });

  it('runs the policy in the sandbox, never as host code: host globals are not there', async () => {
    const body = await (
      await api.call('/v1/impact', {
        json: { policy: policy('deny(typeof process + " " + typeof require);'), against: MANIFESTS },
      })
    ).json();
    expect(body.impact.wouldDeny).toBe(3);
    expect(body.impact.reasons[0]).toMatchObject({ verdict: 'deny', reason: '403 undefined undefined', count: 3 });
    expect(body.impact.overThreshold).toBe(true);
  });

  it('400 for a policy that is not a JsPolicy, and for a preview without objects', async () => {
    const bad = await api.call('/v1/impact', { json: { policy: { kind: 'Pod' }, against: MANIFESTS } });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('PF_ERR_POLICY_INVALID');
    const none = await api.call('/v1/impact', { json: { policy: policy('allow();') } });
    expect((await errorOf(none)).message).toBe('body.against: is required (or againstId)');
  });

  it('is in the OpenAPI document with the against fields on POST /v1/intents', async () => {
    const doc = await (await api.call('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/impact', '/v1/against']));
    const intentBody = doc.paths['/v1/intents'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(intentBody.properties)).toEqual(
      expect.arrayContaining(['text', 'against', 'againstId', 'denyThreshold']),
    );
  });
});
