import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeIssues,
  fieldPath,
  GPTPolicySpecSchema,
  INTENT_LIMITS,
  IntentSchema,
  isPolicyforgeError,
  JsPolicySpecSchema,
  parseCase,
  parseIntent,
  schemaIssues,
  TestCaseSchema,
} from '../../common/index.js';

// common/schemas.ts: the one definition of an Intent, a TestCase, a JsPolicy spec and a GPTPolicy spec, with
// their limits. Every edge (HTTP, queue, CLI, GPTPolicy, suite file, model answer) parses with these.

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } };

/** The problems of a failed parse as `path: message` lines, or [] when it parsed. */
function problems(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : schemaIssues(parsed.error).map((i) => `${fieldPath(i.path)}: ${i.message}`);
}

describe('IntentSchema', () => {
  it('takes a bare text; the text must say something and stay within its limit', () => {
    expect(problems(IntentSchema, { text: 'Block privileged containers.' })).toEqual([]);
    expect(problems(IntentSchema, { text: '   ' })).toEqual(['text: must not be empty']);
    expect(problems(IntentSchema, {})).toEqual(['text: is required']);
    expect(problems(IntentSchema, { text: 'x'.repeat(INTENT_LIMITS.maxTextChars) })).toEqual([]);
    expect(problems(IntentSchema, { text: 'x'.repeat(INTENT_LIMITS.maxTextChars + 1) })).toEqual([
      'text: must have at most 4000 characters',
    ]);
  });

  it('allows 1 to 20 rounds, whole numbers only, and says so with what was given', () => {
    expect(INTENT_LIMITS.maxRounds).toBe(20);
    for (const maxRounds of [1, 4, 20])
      expect(problems(IntentSchema, { text: 't', options: { maxRounds } })).toEqual([]);
    for (const maxRounds of [0, 21, 2.5, -1])
      expect(problems(IntentSchema, { text: 't', options: { maxRounds } })).toEqual([
        `options.maxRounds: must be a whole number in 1..20, got ${maxRounds}`,
      ]);
    expect(problems(IntentSchema, { text: 't', options: { maxRounds: '4' } })).toEqual([
      'options.maxRounds: must be a whole number in 1..20, got 4',
    ]);
  });

  it('bounds examples, namespaces and feedback, and refuses what is not a namespace name', () => {
    const example = { name: 'e', expect: 'deny', object: pod };
    const examples = (n: number) => Array.from({ length: n }, (_, i) => ({ ...example, name: `e${i}` }));
    expect(problems(IntentSchema, { text: 't', examples: examples(INTENT_LIMITS.maxExamples) })).toEqual([]);
    expect(problems(IntentSchema, { text: 't', examples: examples(INTENT_LIMITS.maxExamples + 1) })).toEqual([
      'examples: must have at most 50 examples',
    ]);
    const namespaces = (n: number) => Array.from({ length: n }, (_, i) => `ns-${i}`);
    expect(problems(IntentSchema, { text: 't', options: { namespaces: namespaces(100) } })).toEqual([]);
    expect(problems(IntentSchema, { text: 't', options: { namespaces: namespaces(101) } })).toEqual([
      'options.namespaces: must have at most 100 namespaces',
    ]);
    expect(problems(IntentSchema, { text: 't', options: { namespaces: ['prod', 'Team_A'] } })).toEqual([
      `options.namespaces[1]: "Team_A" is not a namespace name (lowercase letters, digits and '-', at most 63)`,
    ]);
    expect(problems(IntentSchema, { text: 't', feedback: Array(21).fill('spec.x: bad') })).toEqual([
      'feedback: must have at most 20 lines',
    ]);
  });

  it('names an unknown field on its own path, not on the object that holds it', () => {
    expect(problems(IntentSchema, { text: 't', options: { colour: 'red', mode: 'Warn' }, urgent: true })).toEqual([
      'options.colour: is not a known field',
      'urgent: is not a known field',
    ]);
  });

  it('names a bad example by its index and field', () => {
    const examples = [
      { name: 'ok', expect: 'deny', object: pod },
      { name: 'bad', expect: 'block', object: pod },
    ];
    expect(problems(IntentSchema, { text: 't', examples })).toEqual([
      'examples[1].expect: must be allow, deny, warn or mutate, not "block"',
    ]);
  });

  it('parseIntent: PF_ERR_INTENT_INVALID naming every bad field, in the message and in the details', () => {
    expect(parseIntent({ text: 'Block privileged containers.', options: { maxRounds: 20 } }).options).toEqual({
      maxRounds: 20,
    });
    try {
      parseIntent({ text: '', options: { maxRounds: 0, mode: 'Loud' } });
      expect.unreachable();
    } catch (err) {
      expect(isPolicyforgeError(err, 'PF_ERR_INTENT_INVALID')).toBe(true);
      expect((err as Error).message).toBe(
        'intent: text: must not be empty; options.mode: must be Enforce, Warn or Audit, not "Loud"; ' +
          'options.maxRounds: must be a whole number in 1..20, got 0',
      );
      expect((err as { details?: unknown }).details).toEqual({
        fields: [
          { path: 'text', message: 'must not be empty' },
          { path: 'options.mode', message: 'must be Enforce, Warn or Audit, not "Loud"' },
          { path: 'options.maxRounds', message: 'must be a whole number in 1..20, got 0' },
        ],
      });
    }
  });
});

describe('TestCaseSchema', () => {
  it('takes a case of the suite format and keeps the object as given', () => {
    const parsed = TestCaseSchema.parse({ name: 'privileged', expect: 'deny', message: 'privileged', object: pod });
    expect(parsed.object).toEqual(pod);
  });

  it('names a bad expect, operation or field by its path', () => {
    expect(problems(TestCaseSchema, { name: 'c', expect: 'block', object: pod })).toEqual([
      'expect: must be allow, deny, warn or mutate, not "block"',
    ]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', operation: 'PATCH', object: pod })).toEqual([
      'operation: must be CREATE, UPDATE, DELETE or CONNECT, not "PATCH"',
    ]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', object: pod, userInfo: { user: 'x' } })).toEqual([
      'userInfo.user: is not a known field',
    ]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', object: { kind: 'Pod', metadata: {} } })).toEqual([
      'object.apiVersion: is required',
    ]);
  });

  it('applies the rules between fields, each on the field to change', () => {
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny' })).toEqual(['object: a CREATE case needs an object']);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', operation: 'UPDATE', object: pod })).toEqual([
      'oldObject: an UPDATE case needs the previous object as oldObject',
    ]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', operation: 'DELETE', oldObject: pod })).toEqual([]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'deny', object: pod, patched: pod })).toEqual([
      'patched: only a case expecting mutate may give patched',
    ]);
    expect(problems(TestCaseSchema, { name: 'c', expect: 'allow', object: pod, message: 'x' })).toEqual([
      'message: an allow case has no message to match',
    ]);
  });
});

describe('parseCase', () => {
  it('returns the case, or PF_ERR_SUITE_INVALID naming where it came from and each bad field', () => {
    expect(parseCase({ name: 'c', expect: 'deny', object: pod }, 's.yaml case "c"')).toEqual({
      name: 'c',
      expect: 'deny',
      object: pod,
    });
    try {
      parseCase({ name: 'c', expect: 'block', operation: 'PATCH', object: pod }, 's.yaml case "c"');
      expect.unreachable();
    } catch (err) {
      expect(isPolicyforgeError(err, 'PF_ERR_SUITE_INVALID')).toBe(true);
      expect((err as Error).message).toBe(
        's.yaml case "c": field `operation`: must be CREATE, UPDATE, DELETE or CONNECT, not "PATCH"; ' +
          'field `expect`: must be allow, deny, warn or mutate, not "block"',
      );
    }
  });
});

describe('GPTPolicySpecSchema', () => {
  it('accepts a GPTPolicy with only a description, as the objects written before the other fields', () => {
    expect(GPTPolicySpecSchema.parse({ description: 'Block privileged containers.' })).toEqual({
      description: 'Block privileged containers.',
    });
  });

  it('requires a description that says something, within an intent text’s limit (the CRD’s maxLength)', () => {
    expect(problems(GPTPolicySpecSchema, {})).toEqual(['description: is required']);
    expect(problems(GPTPolicySpecSchema, { description: ' ' })).toEqual(['description: must be a non-empty string']);
    expect(problems(GPTPolicySpecSchema, { description: 'x'.repeat(4001) })).toEqual([
      'description: must have at most 4000 characters',
    ]);
  });

  it('drops a field the CRD does not know (the API server prunes it too) instead of refusing the object', () => {
    expect(GPTPolicySpecSchema.parse({ description: 'd', colour: 'red' })).toEqual({ description: 'd' });
  });

  it('names each bad field: mode, approval, examples by index, the rollout window and budget', () => {
    expect(
      problems(GPTPolicySpecSchema, {
        description: 'd',
        mode: 'Loud',
        approval: 'Later',
        examples: [{ name: 'e', expect: 'block', object: pod }],
        rollout: { strategy: 'Canary', window: '1 day', violationBudget: 39 },
      }),
    ).toEqual([
      'mode: must be Enforce, Warn or Audit, not "Loud"',
      'approval: must be Auto or Manual, not "Later"',
      'examples[0].expect: must be allow, deny, warn or mutate, not "block"',
      'rollout.strategy: must be Immediate or Staged, not "Canary"',
      'rollout.window: must be a duration such as 30m, 1h or 24h, not "1 day"',
      'rollout.violationBudget: must be a whole number from 0 to 38 (jsPolicy keeps 39 at most)',
    ]);
    for (const window of ['90s', '30m', '1h30m', '24h'])
      expect(problems(GPTPolicySpecSchema, { description: 'd', rollout: { strategy: 'Staged', window } })).toEqual([]);
    for (const window of ['', 'h', '1d', '-1h'])
      expect(problems(GPTPolicySpecSchema, { description: 'd', rollout: { window } })).toHaveLength(1);
  });
});

describe('JsPolicySpecSchema', () => {
  it('takes what jsPolicy takes and names what it would refuse', () => {
    expect(
      problems(JsPolicySpecSchema, { operations: ['CREATE'], resources: ['pods'], javascript: 'allow();' }),
    ).toEqual([]);
    expect(problems(JsPolicySpecSchema, { operations: [], resources: ['pods'], timeoutSeconds: 31 })).toEqual([
      'operations: must list at least one operation',
      'timeoutSeconds: must be a whole number of seconds from 1 to 30',
    ]);
    expect(problems(JsPolicySpecSchema, { operations: ['PATCH'], resources: ['pods'] })).toEqual([
      'operations[0]: must be CREATE, UPDATE, DELETE, CONNECT or *, not "PATCH"',
    ]);
  });
});

describe('describeIssues and fieldPath', () => {
  it('write each problem on the path a reader would type, under a root when given', () => {
    expect(fieldPath(['examples', 0, 'object', 'metadata'], 'body')).toBe('body.examples[0].object.metadata');
    expect(fieldPath([], 'body')).toBe('body');
    const parsed = IntentSchema.safeParse({ text: 't', options: { maxRounds: 0 } });
    expect(parsed.success).toBe(false);
    if (!parsed.success)
      expect(describeIssues(parsed.error, 'intent')).toBe(
        'intent.options.maxRounds: must be a whole number in 1..20, got 0',
      );
  });
});
