import { describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import {
  intentFor,
  jobIdFor,
  jobIdParts,
  ownedPolicy,
  jsPolicyNameOf,
  setConditions,
  specHash,
  validateGPTPolicy,
  withRetry,
} from '../../src/operator/index.js';
import { applyFailedStatus, failedStatus } from '../../src/operator/status.js';

const t0 = new Date('2026-11-25T20:00:00Z');
const t1 = new Date('2026-11-25T20:05:00Z');

describe('status conditions', () => {
  it('keeps lastTransitionTime while a condition keeps its status, and moves it when the status changes', () => {
    const first = setConditions(
      undefined,
      [{ type: 'Ready', status: 'False', reason: 'Generating', message: 'm' }],
      1,
      t0,
    );
    const same = setConditions(first, [{ type: 'Ready', status: 'False', reason: 'Queued', message: 'other' }], 2, t1);
    expect(same[0]).toMatchObject({
      reason: 'Queued',
      observedGeneration: 2,
      lastTransitionTime: '2026-11-25T20:00:00Z',
    });
    const flipped = setConditions(same, [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'm' }], 2, t1);
    expect(flipped[0].lastTransitionTime).toBe('2026-11-25T20:05:00Z');
  });

  it('orders conditions Generated, Verified, Applied, Ready and redacts secrets from messages', () => {
    const c = setConditions(
      undefined,
      [
        { type: 'Ready', status: 'True', reason: 'R', message: 'ok' },
        {
          type: 'Generated',
          status: 'False',
          reason: 'ModelUnavailable',
          message: 'provider said: invalid key sk-abcdefghijklmnop',
        },
      ],
      1,
      t0,
    );
    expect(c.map((x) => x.type)).toEqual(['Generated', 'Ready']);
    expect(c[0].message).not.toContain('sk-abcdefghijklmnop');
  });
});

describe('spec hash and job ids', () => {
  it('hashes equal specs equally whatever the key order and namespace order, and ignores mode and approval', () => {
    const a = specHash({ description: 'x', namespaces: ['b', 'a'], mode: 'Enforce' });
    const b = specHash({ namespaces: ['a', 'b'], description: 'x ', approval: 'Manual', mode: 'Audit' } as never);
    expect(a).toBe(b);
    expect(specHash({ description: 'y' })).not.toBe(specHash({ description: 'x' }));
  });

  it('keeps the hash of GPTPolicies written before this release, so upgrading regenerates nothing', () => {
    // Values computed by the release before podControllers/allowDeletes and the shared canonicalJson.
    expect(specHash({ description: "Deny pods with the label 'env=prod' in the 'test' namespace." })).toBe(
      'bb92c0efecc31217',
    );
    const examples = [{ name: 'n', expect: 'deny' as const, object: { kind: 'Pod', metadata: { name: 'a' } } }];
    expect(
      specHash({ description: 'x', namespaces: ['b', 'a'], failurePolicy: 'Fail', examples, model: 'gpt-4o' }),
    ).toBe('c858865ce273ced5');
  });

  it('podControllers: false and allowDeletes change the hash and reach the intent; absent they change nothing', () => {
    const plain = { description: 'Block privileged containers.' };
    expect(specHash({ ...plain, podControllers: true })).toBe(specHash(plain));
    expect(specHash({ ...plain, podControllers: false })).not.toBe(specHash(plain));
    expect(specHash({ ...plain, allowDeletes: true })).not.toBe(specHash(plain));
    const policy = {
      apiVersion: 'gpt.drzzl.io/v1',
      kind: 'GPTPolicy',
      metadata: { name: 'p', uid: 'u' },
      spec: { ...plain, podControllers: false, allowDeletes: true },
    };
    expect(intentFor(validateGPTPolicy(policy)).options).toMatchObject({ podControllers: false, allowDeletes: true });
    expect(() => validateGPTPolicy({ ...policy, spec: { ...plain, allowDeletes: 'yes' } })).toThrow(
      /spec.allowDeletes must be true or false/,
    );
  });

  it('derives one job id per uid, hash and feedback round, without colons (BullMQ refuses them)', () => {
    expect(jobIdFor('u-1', 'abc')).toBe('gptpolicy-u-1-abc');
    expect(jobIdFor('u-1', 'abc', 2)).toBe('gptpolicy-u-1-abc-r2');
    expect(jobIdFor('u-1', 'abc')).not.toContain(':');
    expect(jobIdFor('u-1', 'abc', 2, 3)).toBe('gptpolicy-u-1-abc-a3-r2');
    expect(jobIdParts(jobIdFor('u-1', 'abc', 2, 3))).toEqual({ round: 2, attempt: 3 });
    expect(jobIdParts(jobIdFor('u-1', 'abc'))).toEqual({ round: 1, attempt: 1 });
  });
});

describe('GPTPolicy validation', () => {
  it('accepts the users existing objects with spec.description only', () => {
    expect(() =>
      validateGPTPolicy({
        apiVersion: 'gpt.drzzl.io/v1',
        kind: 'GPTPolicy',
        metadata: { name: 'n.drzzl.io' },
        spec: { description: 'd' },
      }),
    ).not.toThrow();
  });

  it.each([
    [{ metadata: { name: 'n' }, spec: {} }, 'spec.description'],
    [{ metadata: { name: 'n' }, spec: { description: 'd', mode: 'Loud' } }, 'spec.mode'],
    [{ metadata: { name: 'n' }, spec: { description: 'd', approval: 'Later' } }, 'spec.approval'],
    [{ metadata: { name: 'n' }, spec: { description: 'd', failurePolicy: 'fail' } }, 'spec.failurePolicy'],
    [
      { metadata: { name: 'n' }, spec: { description: 'd', examples: [{ name: 'e', expect: 'block' }] } },
      'spec.examples[0]',
    ],
  ])('names the bad field (%#)', (obj, field) => {
    try {
      validateGPTPolicy(obj);
      expect.unreachable();
    } catch (err) {
      expect(isPolicyforgeError(err, 'PF_ERR_INPUT_INVALID')).toBe(true);
      expect((err as Error).message).toContain(field);
      expect((err as Error).message).toContain('GPTPolicy n');
    }
  });
});

describe('the owned JsPolicy', () => {
  const owner = {
    apiVersion: 'gpt.drzzl.io/v1',
    kind: 'GPTPolicy',
    metadata: { name: 'a.b.c', uid: 'u' },
    spec: { description: 'd' },
  } as never;
  const draft = {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'model.chose.this', ownerReferences: [] },
    spec: { operations: ['CREATE'], resources: ['pods'], failurePolicy: 'Fail', violationPolicy: 'Warn' },
  } as never;

  it('takes only the spec from the draft; name, owner, failurePolicy and violationPolicy are ours', () => {
    const p = ownedPolicy(owner, draft, 'Deny');
    expect(p.metadata.name).toBe('a.b.c');
    expect(p.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'gpt.drzzl.io/v1',
        kind: 'GPTPolicy',
        name: 'a.b.c',
        uid: 'u',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(p.spec).toMatchObject({ failurePolicy: 'Ignore', violationPolicy: 'Deny', operations: ['CREATE'] });
  });

  it('honours an explicit failurePolicy Fail, Audit mode, and gives short names a policy domain', () => {
    const p = ownedPolicy(
      { ...(owner as object), spec: { description: 'd', failurePolicy: 'Fail', mode: 'Audit' } } as never,
      draft,
      'Dry',
    );
    expect(p.spec).toMatchObject({ failurePolicy: 'Fail', violationPolicy: 'Dry' });
    expect(jsPolicyNameOf({ metadata: { name: 'short' } } as never)).toBe('short.gpt.drzzl.io');
  });
});

describe('withRetry', () => {
  const apiError = (code: number, reason = '') =>
    Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ reason, message: 'm' }) });

  it('retries 5xx, 429 and network errors with doubling backoff through the injected delay', async () => {
    const delays: number[] = [];
    const errors = [apiError(500), apiError(429), new Error('ECONNRESET')];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        const e = errors.shift();
        if (e) throw e;
        return 'ok';
      },
      { delay: async (ms) => void delays.push(ms), random: () => 0.5, baseDelayMs: 100 },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('does not retry 4xx, nor 409 unless asked, and gives up after the retry budget', async () => {
    let calls = 0;
    const fail409 = () => {
      calls++;
      return Promise.reject(apiError(409, 'Conflict'));
    };
    await expect(withRetry(fail409, { delay: async () => undefined })).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetry(fail409, { delay: async () => undefined, conflicts: true, retries: 3 }),
    ).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(4);
    calls = 0;
    await expect(
      withRetry(() => (calls++, Promise.reject(apiError(422))), { delay: async () => undefined }),
    ).rejects.toMatchObject({ code: 422 });
    expect(calls).toBe(1);
  });
});

describe('failure statuses', () => {
  const ctx = { generation: 2, specHash: 'abc', now: new Date('2026-11-25T00:00:00Z') };
  const leaky = 'PUT failed: Authorization: Bearer sk-live-0123456789abcdefghij was refused';

  it.each([
    ['applying', () => applyFailedStatus(undefined, ctx, 'ApplyFailed', leaky)],
    [
      'generating',
      () => failedStatus(undefined, ctx, { stage: 'Generated', reason: 'ModelUnavailable', message: leaky }),
    ],
  ])('after %s carry no credential in lastError or any condition', (_what, build) => {
    const status = build();
    expect(status.phase).toBe('Failed');
    const texts = [status.lastError, ...(status.conditions ?? []).map((c) => c.message)].join('\n');
    expect(texts).toContain('refused');
    expect(texts).not.toContain('sk-live-0123456789abcdefghij');
  });
});
