import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBed, eventually, getGPT, gptPolicy, GPT, onTestServer, type Bed } from './harness.js';
import { scriptedGenerator, type ScriptedGenerator } from './scripted-generator.js';

// The GPTPolicy CRD (deploy/crd-gptpolicy.yaml) decides what reaches the operator: the API server prunes any
// field its schema does not declare, silently unless the client asks for Strict. These tests write what the
// job schema (worker/job-schema.ts) accepts and check it arrives whole, on the test API server, which prunes
// and validates with the CRD's own schema.

const NAME = 'examples.policy.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in namespaces labelled tier=prod.";

let bed: Bed;
let model: ScriptedGenerator;

beforeEach(async () => {
  model = scriptedGenerator();
  bed = await createBed(model.generate);
  // a bed closed before its worker's Redis connection is up leaves ioredis an unhandled rejection
  await bed.worker.worker.waitUntilReady();
});
afterEach(async () => bed.close());

describe('the GPTPolicy CRD schema', () => {
  it('keeps every field of a user example the job schema accepts (namespaceLabels, userInfo, subResource, fixtures)', async () => {
    await bed.startOperator();
    const example = {
      name: 'prod pod in a prod namespace',
      expect: 'deny',
      operation: 'CREATE',
      namespace: 'shop',
      namespaceLabels: { tier: 'prod' },
      userInfo: { username: 'alice', groups: ['dev'] },
      subResource: 'status',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { env: 'prod' } } },
      fixtures: { env: { REGION: 'eu' } },
    };
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: DESCRIPTION, examples: [example] }),
      fieldValidation: 'Strict',
    });
    const stored = await getGPT(bed, NAME);
    expect(stored.spec.examples).toEqual([example]);
    const intent = await eventually(async () => model.calls[0], 'the generation job');
    expect(intent.examples).toEqual([example]);
  });

  it('refuses more examples than a generation job takes (50) when the GPTPolicy is written, not in its status later', async () => {
    const examples = Array.from({ length: 51 }, (_, i) => ({ name: `case ${i}`, expect: 'allow' }));
    const err: any = await bed.api
      .createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION, examples }) })
      .catch((e) => e);
    expect(err.code).toBe(422);
    expect(JSON.parse(err.body).details.causes).toEqual([
      { reason: 'FieldValueTooMany', field: 'spec.examples', message: 'Too many: 51: must have at most 50 items' },
    ]);
  });

  onTestServer(
    'fails any operator test whose writes lost a field to pruning: the test bed checks every answer',
    async () => {
      const own = await createBed(model.generate);
      await own.worker.worker.waitUntilReady();
      await own.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy('pruned.policy.drzzl.io', { description: DESCRIPTION, colour: 'red' }),
      });
      await expect(own.close()).rejects.toThrow(
        'the API server pruned fields: POST /apis/gpt.drzzl.io/v1/gptpolicies: unknown field "spec.colour"',
      );
    },
  );
});
