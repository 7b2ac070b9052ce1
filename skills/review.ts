import { pfError, type Review, type ReviewState } from '../common/index.js';
import { topLevelFunctions } from './analyse.js';
import { REVIEW_STATES, REVIEW_TRANSITIONS, type ReviewInput, type SkillDraft } from './types.js';

/** Checks a review against REVIEW_TRANSITIONS and returns the record to keep; throws PF_ERR_REVIEW_TRANSITION. */
export function checkTransition(
  id: string,
  from: ReviewState,
  review: ReviewInput,
  now: () => Date = () => new Date(),
): Review {
  if (!(REVIEW_STATES as readonly string[]).includes(review.state)) {
    throw pfError(
      'PF_ERR_SKILL_INVALID',
      `review of ${id}`,
      `unknown state "${review.state}" (one of ${REVIEW_STATES.join(', ')})`,
    );
  }
  if (!review.reviewer || !review.reviewer.trim())
    throw pfError('PF_ERR_SKILL_INVALID', `review of ${id}`, 'a reviewer is required');
  const allowed: readonly ReviewState[] = REVIEW_TRANSITIONS[from];
  if (!allowed.includes(review.state)) {
    throw pfError(
      'PF_ERR_REVIEW_TRANSITION',
      id,
      from,
      review.state,
      allowed.length ? allowed.join(', ') : 'none: make a new version instead',
    );
  }
  return {
    state: review.state,
    reviewer: review.reviewer.trim(),
    ...(review.comment ? { comment: review.comment } : {}),
    at: review.at ?? now().toISOString(),
  };
}

/**
 * What every stored skill must be, whoever writes it: a JavaScript identifier as name, a description, and
 * code that is exactly one top-level function declaration of that name (what inlineSkills prepends).
 */
export function checkDraft(draft: SkillDraft): void {
  const where = `skill ${JSON.stringify(draft?.name ?? '')}`;
  if (!draft || typeof draft.name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(draft.name))
    throw pfError('PF_ERR_SKILL_INVALID', where, 'name must be a JavaScript identifier');
  if (typeof draft.description !== 'string' || !draft.description.trim())
    throw pfError('PF_ERR_SKILL_INVALID', where, 'description is required');
  if (!Array.isArray(draft.tests)) throw pfError('PF_ERR_SKILL_INVALID', where, 'tests must be a list');
  const fns = typeof draft.code === 'string' ? topLevelFunctions(draft.code) : [];
  if (fns.length !== 1 || fns[0].name !== draft.name || fns[0].form !== 'function') {
    throw pfError('PF_ERR_SKILL_INVALID', where, `code must be one function declaration named ${draft.name}`);
  }
}
