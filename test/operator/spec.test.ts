import { describe, expect, it } from 'vitest';
import { isPolicyforgeError, type GPTPolicySpec, type PolicyforgeError } from '../../common/index.js';
import { intentFor, specHash, validateGPTPolicy } from '../../src/operator/index.js';

// src/operator/spec.ts: a GPTPolicy from the cluster is parsed once with common's GPTPolicySpecSchema; the
// controller, the hash and the intent trust what it returns.

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'test' }, spec: { containers: [] } };
const gpt = (spec: unknown, name = 'no-privileged') => ({
  apiVersion: 'gpt.drzzl.io/v1',
  kind: 'GPTPolicy',
  metadata: { name, uid: 'u-1' },
  spec,
});

function refusal(obj: unknown): PolicyforgeError {
  try {
    validateGPTPolicy(obj);
  } catch (err) {
    if (isPolicyforgeError(err, 'PF_ERR_INPUT_INVALID')) return err;
    throw err;
  }
  throw new Error('validateGPTPolicy accepted it');
}

describe('validateGPTPolicy', () => {
  it('keeps an object with only spec.description working, its spec hash and intent as before', () => {
    const policy = validateGPTPolicy(gpt({ description: ' Block privileged containers. ' }));
    expect(policy.spec).toEqual({ description: ' Block privileged containers. ' });
    expect(specHash(policy.spec)).toBe(specHash({ description: 'Block privileged containers.' }));
    expect(intentFor(policy)).toEqual({
      text: 'Block privileged containers.',
      owner: expect.objectContaining({ kind: 'GPTPolicy', name: 'no-privileged', uid: 'u-1' }),
      options: {},
    });
  });

  it('hashes a parsed spec as the object was written: key order and parsing change nothing', () => {
    const written: GPTPolicySpec = {
      namespaces: ['test'],
      examples: [
        { object: { spec: { b: 1, a: 2 }, kind: 'Pod', apiVersion: 'v1', metadata: {} }, expect: 'deny', name: 'e' },
      ],
      description: 'd',
    };
    expect(specHash(validateGPTPolicy(gpt(written)).spec)).toBe(specHash(written));
  });

  it('drops a spec field the CRD does not know, as the API server prunes it, instead of refusing the object', () => {
    expect(validateGPTPolicy(gpt({ description: 'd', colour: 'red' })).spec).toEqual({ description: 'd' });
  });

  it('names every bad field by its path, after the object', () => {
    const err = refusal(
      gpt({
        description: 'd',
        mode: 'Loud',
        namespaces: ['test', 'Team_A'],
        examples: [{ name: 'e', expect: 'block', object: pod }],
        rollout: { window: '1 day' },
      }),
    );
    expect(err.message).toBe(
      'GPTPolicy no-privileged: spec.mode must be Enforce, Warn or Audit, not "Loud"; ' +
        `spec.namespaces[1] "Team_A" is not a namespace name (lowercase letters, digits and '-', at most 63); ` +
        'spec.examples[0].expect must be allow, deny, warn or mutate, not "block"; ' +
        'spec.rollout.window must be a duration such as 30m, 1h or 24h, not "1 day"',
    );
    expect(err.details).toEqual({
      fields: expect.arrayContaining([{ path: 'spec.examples[0].expect', message: expect.stringMatching(/^must be/) }]),
    });
  });

  it('refuses an example the worker would refuse (the suite format), naming the field in it', () => {
    expect(refusal(gpt({ description: 'd', examples: [{ name: 'e', expect: 'deny' }] })).message).toBe(
      'GPTPolicy no-privileged: spec.examples[0].object a CREATE case needs an object',
    );
    expect(
      refusal(gpt({ description: 'd', examples: [{ name: 'e', expect: 'deny', object: pod, labels: {} }] })).message,
    ).toBe('GPTPolicy no-privileged: spec.examples[0].labels is not a known field');
  });

  it('requires a name and a spec with a description', () => {
    expect(refusal({ metadata: {}, spec: { description: 'd' } }).message).toBe(
      'GPTPolicy <unnamed>: metadata.name is required',
    );
    expect(refusal({ metadata: { name: 'n' } }).message).toBe('GPTPolicy n: spec is required');
    expect(refusal(gpt({ description: '  ' }, 'n')).message).toBe(
      'GPTPolicy n: spec.description must be a non-empty string',
    );
  });
});
