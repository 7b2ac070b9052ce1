import { describe, expect, it } from 'vitest';
import { generatePolicy } from '../../src/loop/index.js';
import { fixedDraft, IAM_INTENT, iamPlan } from '../support/user-iam-story.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';

const world = freshLoopWorldEachTest();

describe('the reason a generation failed', () => {
  it('says the critic rejected a draft without a reason when its critique is empty', async () => {
    const silentReject = { reasoning: '', success: false, critique: '' };
    const m = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: silentReject } },
    ]);
    const result = await generatePolicy(
      { text: IAM_INTENT, options: { maxRounds: 1 } },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/the critic rejected it without a reason/);
    expect(result.reason).not.toMatch(/did not accept it: *($|;)/);
  });
});
