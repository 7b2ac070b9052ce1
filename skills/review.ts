import { pfError, type Review, type ReviewState } from '../common/index.js';
import { REVIEW_STATES, REVIEW_TRANSITIONS, type ReviewInput } from './types.js';

/** Checks a review against REVIEW_TRANSITIONS and returns the record to keep; throws PF_ERR_REVIEW_TRANSITION. */
export function checkTransition(id: string, from: ReviewState, review: ReviewInput, now: () => Date = () => new Date()): Review {
  if (!(REVIEW_STATES as readonly string[]).includes(review.state)) {
    throw pfError('PF_ERR_SKILL_INVALID', `review of ${id}`, `unknown state "${review.state}" (one of ${REVIEW_STATES.join(', ')})`);
  }
  if (!review.reviewer || !review.reviewer.trim()) throw pfError('PF_ERR_SKILL_INVALID', `review of ${id}`, 'a reviewer is required');
  const allowed: readonly ReviewState[] = REVIEW_TRANSITIONS[from];
  if (!allowed.includes(review.state)) {
    throw pfError('PF_ERR_REVIEW_TRANSITION', id, from, review.state, allowed.length ? allowed.join(', ') : 'none: make a new version instead');
  }
  return {
    state: review.state,
    reviewer: review.reviewer.trim(),
    ...(review.comment ? { comment: review.comment } : {}),
    at: review.at ?? now().toISOString(),
  };
}
