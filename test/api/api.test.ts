import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assetPath } from '../../common/index.js';
import { builtinSkills } from '../../skills/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { finishedGeneration } from '../worker/fixtures/results.js';
import { TOKEN, errorOf, readEvents, startApi, type ApiHarness } from './harness.js';

let redis: TestRedis;
let api: ApiHarness;
let gate: { open: () => void; promise: Promise<void> };

const nodeportSuite = readFileSync(assetPath('examples', 'no-nodeport-services.yaml'), 'utf8');
const nodeportPolicy = readFileSync(assetPath('examples', 'no-nodeport-services.policy.yaml'), 'utf8');

function newGate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { open, promise };
}

beforeAll(async () => {
  redis = await redisForTests();
  gate = newGate();
  gate.open();
  api = await startApi(redis.url, {
    bodyLimitBytes: 64 * 1024,
    intentsPerMinute: 0,
    skills: builtinSkills.filter((s) => ['podSpecOf', 'allContainers', 'getLabel', 'imageTag'].includes(s.name)),
    // The worker's generate: the loop's shape, reporting per-round progress (the real loop runs in e2e.test.ts).
    generate: async (intent, ctx) => {
      ctx.onProgress({ type: 'retrieved', skills: ['getLabel@1'] });
      ctx.onProgress({ type: 'round-started', round: 1 });
      await gate.promise;
      ctx.onProgress({
        type: 'verified',
        round: 1,
        passed: true,
        casesPassed: 4,
        casesTotal: 4,
        blocking: 0,
        advisory: 0,
      });
      ctx.onProgress({ type: 'finished', status: 'succeeded', reason: 'verified' });
      return finishedGeneration(intent);
    },
  });
});
afterAll(async () => {
  await api?.close();
  await redis?.close();
});

describe('authentication', () => {
  it('refuses every API route without the bearer token, with the one error shape', async () => {
    for (const path of ['/v1/skills', '/v1/intents', '/metrics', '/openapi.json', '/admin/queues', '/v1/intents/x']) {
      const response = await api.call(path, { token: null });
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="policyforge"');
      expect((await errorOf(response)).code).toBe('PF_ERR_UNAUTHORIZED');
    }
  });

  it('refuses a wrong token and a malformed Authorization header', async () => {
    expect((await api.call('/v1/skills', { token: 'test-token-0123456789abcdeX' })).status).toBe(401);
    expect((await api.call('/v1/skills', { token: null, headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(
      401,
    );
    expect((await api.call('/v1/skills', { token: null, headers: { authorization: 'Bearer' } })).status).toBe(401);
  });

  it('answers health probes without a token', async () => {
    expect(await (await api.call('/healthz', { token: null })).json()).toEqual({ status: 'ok' });
    expect(await (await api.call('/readyz', { token: null })).json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', store: 'ok' },
    });
  });

  it('gives a browser a session cookie for the token, which then authenticates (and is not the token)', async () => {
    const login = await api.call('/v1/session', { method: 'POST' });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pf_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0];
    expect((await api.call('/v1/skills', { token: null, headers: { cookie: session } })).status).toBe(200);
    expect((await api.call('/v1/skills', { token: null, headers: { cookie: 'pf_session=forged' } })).status).toBe(401);
    expect((await api.call('/v1/session', { token: null, method: 'POST' })).status).toBe(401);
  });
});

describe('request validation', () => {
  it('answers an oversized body with 413', async () => {
    const response = await api.call('/v1/intents', { json: { text: 'x'.repeat(70 * 1024) } });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe('PF_ERR_PAYLOAD_TOO_LARGE');
    expect(error.message).toContain('65536');
  });

  it('answers malformed JSON with 400 naming the body', async () => {
    const response = await api.call('/v1/intents', {
      method: 'POST',
      body: '{"text": "unterminated',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('PF_ERR_INPUT_INVALID');
    expect(error.message).toMatch(/^body: is not valid JSON/);
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await api.call('/v1/intents', {
      method: 'POST',
      body: 'text=hello',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('PF_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['no text', {}, 'body.text', 'is required'],
    ['text too long', { text: 'x'.repeat(4001) }, 'body.text', 'must have at most 4000 characters'],
    [
      'maxRounds out of range',
      { text: 'Deny pods', options: { maxRounds: 99 } },
      'body.options.maxRounds',
      'must be a whole number in 1..20, got 99',
    ],
    [
      'unknown option',
      { text: 'Deny pods', options: { colour: 'red' } },
      'body.options.colour',
      'is not a known field',
    ],
    [
      'bad example',
      { text: 'Deny pods', examples: [{ name: 'a', expect: 'maybe' }] },
      'body.examples[0].expect',
      'must be allow, deny, warn or mutate, not "maybe"',
    ],
    ['blank text', { text: '    ' }, 'body.text', 'must not be empty'],
  ])('answers 400 naming the field for %s', async (_what, body, field, message) => {
    const response = await api.call('/v1/intents', { json: body });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('PF_ERR_INPUT_INVALID');
    expect(error.message).toBe(`${field}: ${message}`);
  });

  it('answers an unknown route with 404 in the same shape', async () => {
    const response = await api.call('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({
      code: 'PF_ERR_NOT_FOUND',
      message: 'route GET /v1/nothing-here not found',
    });
  });
});

describe('intents', () => {
  it('accepts an intent with 202 and an id, and reports its whole life: progress, result, transcript, YAML', async () => {
    const response = await api.call('/v1/intents', {
      json: { text: 'Deny pods labelled env=prod in the test namespace', options: { mode: 'Enforce' } },
    });
    expect(response.status).toBe(202);
    const accepted = await response.json();
    expect(accepted).toMatchObject({ id: expect.any(String), deduplicated: false });
    expect(response.headers.get('location')).toBe(`/v1/intents/${accepted.id}`);

    const events = await readEvents(await api.call(`/v1/intents/${accepted.id}/events`));
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.map((e) => e.data.type)).toEqual(['retrieved', 'round-started', 'verified', 'finished']);
    expect(progress.map((e) => e.id)).toEqual(['0', '1', '2', '3']);
    const last = events.at(-1)!;
    expect(last.event).toBe('completed');
    expect(last.data.result.status).toBe('succeeded');

    const view = await (await api.call(`/v1/intents/${accepted.id}`)).json();
    expect(view).toMatchObject({
      id: accepted.id,
      state: 'completed',
      intent: { text: 'Deny pods labelled env=prod in the test namespace' },
    });
    expect(view.result.rounds).toHaveLength(1);
    expect(view.progress.round).toBe(1);

    const yaml = await api.call(`/v1/intents/${accepted.id}/policy.yaml`);
    expect(yaml.headers.get('content-type')).toContain('application/yaml');
    expect(yaml.headers.get('content-disposition')).toBe('attachment; filename="deny-prod-pods.example.com.yaml"');
    expect(parse(await yaml.text())).toMatchObject({ kind: 'JsPolicy', spec: { resources: ['pods'] } });

    const history = await (await api.call('/v1/intents?state=completed')).json();
    expect(history.intents.map((i: { id: string }) => i.id)).toContain(accepted.id);
  });

  it('resumes an event stream after Last-Event-ID', async () => {
    const { id } = await (await api.call('/v1/intents', { json: { text: 'Deny pods without an app label' } })).json();
    await readEvents(await api.call(`/v1/intents/${id}/events`));
    const resumed = await readEvents(await api.call(`/v1/intents/${id}/events`, { headers: { 'last-event-id': '2' } }));
    expect(resumed.filter((e) => e.event === 'progress').map((e) => e.id)).toEqual(['3']);
  });

  it('runs the same intent in flight once, and honours Idempotency-Key (409 for another body)', async () => {
    gate = newGate();
    const body = { text: 'Deny privileged containers in team-a' };
    const first = await (await api.call('/v1/intents', { json: body })).json();
    const second = await (
      await api.call('/v1/intents', { json: { text: ' Deny privileged  containers in team-a' } })
    ).json();
    expect(second).toMatchObject({ id: first.id, deduplicated: true });

    const keyed = await api.call('/v1/intents', {
      json: { text: 'Require limits' },
      headers: { 'idempotency-key': 'order-42' },
    });
    const replay = await api.call('/v1/intents', {
      json: { text: 'Require limits' },
      headers: { 'idempotency-key': 'order-42' },
    });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await replay.json()).id).toBe((await keyed.json()).id);
    const badKey = await api.call('/v1/intents', {
      json: { text: 'Require limits' },
      headers: { 'idempotency-key': 'has spaces and ünïcode' },
    });
    expect(badKey.status).toBe(400);
    expect((await errorOf(badKey)).message).toMatch(/^headers\.idempotency-key: must match pattern/);
    const conflict = await api.call('/v1/intents', {
      json: { text: 'Something else' },
      headers: { 'idempotency-key': 'order-42' },
    });
    expect(conflict.status).toBe(409);
    expect((await errorOf(conflict)).code).toBe('PF_ERR_CONFLICT');
    gate.open();
  });

  it('ends open event streams when the server closes, so shutdown is not held open', async () => {
    const closing = await startApi(redis.url, { intentsPerMinute: 0 });
    const { id } = await (await closing.call('/v1/intents', { json: { text: 'A job no worker runs here' } })).json();
    const stream = await closing.call(`/v1/intents/${id}/events`);
    const reading = stream.text();
    const started = Date.now();
    await closing.app.close();
    expect(await reading).toContain('event: state');
    expect(Date.now() - started).toBeLessThan(5000);
    await closing.close();
  });

  it('answers 404 for an unknown intent, its events and its policy', async () => {
    for (const path of [
      '/v1/intents/no-such-id',
      '/v1/intents/no-such-id/events',
      '/v1/intents/no-such-id/policy.yaml',
    ]) {
      const response = await api.call(path);
      expect(response.status, path).toBe(404);
      expect(await errorOf(response)).toEqual({ code: 'PF_ERR_NOT_FOUND', message: 'intent no-such-id not found' });
    }
  });

  it('limits intents per client per minute with 429 and Retry-After', async () => {
    let now = Date.parse('2026-11-25T12:00:10Z');
    const limited = await startApi(redis.url, { intentsPerMinute: 2, now: () => now });
    try {
      const statuses = [];
      for (const n of [1, 2, 3])
        statuses.push((await limited.call('/v1/intents', { json: { text: `Limit test ${n}` } })).status);
      expect(statuses).toEqual([202, 202, 429]);
      const refused = await limited.call('/v1/intents', { json: { text: 'Limit test 4' } });
      expect(refused.headers.get('retry-after')).toBe('50');
      expect((await errorOf(refused)).code).toBe('PF_ERR_RATE_LIMITED');
      now += 60_000; // the next minute's window
      expect((await limited.call('/v1/intents', { json: { text: 'Limit test 5' } })).status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

describe('skills', () => {
  it('lists, searches and filters the library by state', async () => {
    const all = (await (await api.call('/v1/skills')).json()).skills;
    expect(all.map((s: { name: string }) => s.name).sort()).toEqual([
      'allContainers',
      'getLabel',
      'imageTag',
      'podSpecOf',
    ]);
    const found = (await (await api.call('/v1/skills?q=image')).json()).skills;
    expect(found.map((s: { name: string }) => s.name)).toEqual(['imageTag']);
    // A candidate beside the approved built-ins: the filter keeps exactly it.
    const { skill: draft } = await api.store.putSkill({
      name: 'filterMe',
      description: 'd',
      code: 'function filterMe(){return 2}',
      tests: [],
      provenance: { date: new Date().toISOString(), source: 'generated' },
    });
    const candidates = (await (await api.call('/v1/skills?state=candidate')).json()).skills;
    expect(candidates.map((s: { id: string; state: string }) => `${s.id} ${s.state}`)).toEqual([
      `${draft.id} candidate`,
    ]);
    const bad = await api.call('/v1/skills?state=maybe');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/^query\.state: /);
  });

  it('shows one skill, reviews it, and refuses a transition its state does not allow', async () => {
    // Its own candidate, whatever other tests left in the store.
    const { skill: candidate } = await api.store.putSkill({
      name: 'reviewMe',
      description: 'd',
      code: 'function reviewMe(){return 1}',
      tests: [],
      provenance: { date: new Date().toISOString(), source: 'generated' },
    });
    expect(candidate.state).toBe('candidate');
    const one = await (await api.call(`/v1/skills/${encodeURIComponent(candidate.id)}`)).json();
    expect(one).toMatchObject({
      id: candidate.id,
      code: expect.stringContaining('function'),
      provenance: expect.any(Object),
    });

    const approved = await api.call(`/v1/skills/${encodeURIComponent(candidate.id)}/review`, {
      json: { state: 'approved', comment: 'reads well', reviewer: 'dana' },
    });
    expect(approved.status).toBe(200);
    const skill = await approved.json();
    expect(skill.state).toBe('approved');
    expect(skill.reviews.at(-1)).toMatchObject({ state: 'approved', reviewer: 'dana', comment: 'reads well' });

    const again = await api.call(`/v1/skills/${encodeURIComponent(candidate.id)}/review`, {
      json: { state: 'rejected' },
    });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('PF_ERR_REVIEW_TRANSITION');
    expect((await api.call('/v1/skills/nope@1')).status).toBe(404);
    expect((await api.call('/v1/skills/nope@1/review', { json: { state: 'approved' } })).status).toBe(404);
    const invalid = await api.call(`/v1/skills/${encodeURIComponent(candidate.id)}/review`, {
      json: { state: 'candidate' },
    });
    expect((await errorOf(invalid)).message).toMatch(/^body\.state: /);
  });
});

describe('policies', () => {
  it('runs a suite against a policy in the sandbox (YAML or JSON), and counts the evaluations', async () => {
    const yamlRun = await (
      await api.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite: nodeportSuite } })
    ).json();
    expect(yamlRun).toMatchObject({ passed: true, failed: 0 });
    expect(yamlRun.total).toBeGreaterThanOrEqual(4);

    const broken = parse(nodeportPolicy);
    broken.spec.javascript = "if (request.object.spec?.type === 'ClusterIP') deny('wrong type');";
    const jsonRun = await (
      await api.call('/v1/policies/test', { json: { policy: broken, suite: parse(nodeportSuite) } })
    ).json();
    expect(jsonRun.passed).toBe(false);
    expect(jsonRun.cases.find((c: { name: string }) => c.name === 'NodePort is denied').passed).toBe(false);
    expect(await (await api.call('/metrics')).text()).toMatch(
      /policyforge_sandbox_evaluations_total\{origin="api"\} \d+/,
    );
  });

  it('answers a suite with a bad case with 400 naming the case and field', async () => {
    const suite = parse(nodeportSuite);
    suite.cases[1].expect = 'explode';
    const response = await api.call('/v1/policies/test', { json: { policy: nodeportPolicy, suite } });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.message).toContain('body.suite');
    expect(error.message).toContain('NodePort is denied');
    expect(error.message).toContain('expect');
  });
});

describe('operations', () => {
  it('exposes Prometheus metrics: jobs, rounds, outcomes, tokens, queue, HTTP latency', async () => {
    const text = await (await api.call('/metrics')).text();
    for (const name of [
      'policyforge_jobs_total',
      'policyforge_rounds_total',
      'policyforge_generation_outcomes_total',
      'policyforge_model_tokens_total',
      'policyforge_sandbox_evaluations_total',
      'policyforge_queue_jobs',
      'policyforge_queue_wait_seconds',
      'policyforge_generation_duration_seconds',
      'policyforge_http_request_duration_seconds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/policyforge_queue_jobs\{state="completed"\} [1-9]/);
  });

  it('publishes a valid OpenAPI 3 document of every route, with bearer security and the error shape', async () => {
    const document = await (await api.call('/openapi.json')).json();
    await SwaggerParser.validate(structuredClone(document)); // throws, naming the problem, on an invalid document
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/readyz',
      '/v1/against',
      '/v1/impact',
      '/v1/intents',
      '/v1/intents/{id}',
      '/v1/intents/{id}/events',
      '/v1/intents/{id}/policy.yaml',
      '/v1/policies/test',
      '/v1/session',
      '/v1/skills',
      '/v1/skills/{id}',
      '/v1/skills/{id}/review',
    ]);
    expect(document.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.paths['/v1/intents'].post.responses['202']).toBeDefined();
    const ref: string = document.paths['/v1/intents'].post.responses['400'].content['application/json'].schema.$ref;
    const errorSchema = document.components.schemas[ref.replace('#/components/schemas/', '')];
    expect(errorSchema.properties.error.required).toEqual(['code', 'message']);
  });

  it('serves the docs page and the queue dashboard behind the same auth', async () => {
    const docs = await api.call('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const board = await api.call('/admin/queues');
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<div id="root">');
    expect((await api.call('/docs', { token: null })).status).toBe(401);
  });
});
