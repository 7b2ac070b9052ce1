import type { Provenance, Review, ReviewState, Skill, StoredPolicy } from '../common/index.js';
import type { IndexSnapshot } from './retrieval.js';

/** The review states, in the order a skill normally moves through them. */
export const REVIEW_STATES = [
  'candidate',
  'approved',
  'rejected',
  'deprecated',
] as const satisfies readonly ReviewState[];

/**
 * Which state may follow which. A candidate is approved or rejected by a person; an approved skill can
 * later be deprecated (superseded, found wrong). Rejected and deprecated are final: a fixed skill comes
 * back as a new version, so the history of each version stays true.
 */
export const REVIEW_TRANSITIONS = {
  candidate: ['approved', 'rejected'],
  approved: ['deprecated'],
  rejected: [],
  deprecated: [],
} as const satisfies Record<ReviewState, readonly ReviewState[]>;

/** A skill as a writer hands it to the store: the store assigns id and version. */
export interface SkillDraft {
  name: string;
  description: string;
  code: string;
  tests: Skill['tests'];
  provenance: Provenance;
  /** @defaultValue 'candidate' */
  state?: ReviewState;
  /** Review history to keep (imports with their state kept); @defaultValue [] */
  reviews?: Review[];
  dependsOn?: string[];
  /** Usage counts to keep (imports); @defaultValue zeros */
  usage?: Skill['usage'];
}

export interface PutSkillResult {
  skill: Skill;
  /** added: first version of a name; new-version: same name, changed code; duplicate: same normalised code already stored (nothing written). */
  status: 'added' | 'new-version' | 'duplicate';
}

export interface SkillFilter {
  /** Only skills in this state (or these states). */
  state?: ReviewState | readonly ReviewState[];
  /** Case-insensitive substring of name or description (plain filtering; ranking is SkillLibrary.search). */
  query?: string;
  /** Only the highest version of each name. @defaultValue false */
  latestOnly?: boolean;
}

export interface ReviewInput {
  state: ReviewState;
  reviewer: string;
  comment?: string;
  /** ISO time; @defaultValue now */
  at?: string;
}

/**
 * Where skills, verified policies and cached embeddings live. Two implementations (SQLite, Redis) pass the
 * same contract tests (test/skills/store-contract.ts). Every write is atomic; concurrent writers lose
 * nothing; a store that cannot be read fails with PF_ERR_STORE_CORRUPT and is never overwritten.
 */
export interface SkillStore {
  /** `sqlite:<path>` or `redis:<prefix>`: for messages. */
  readonly location: string;
  ping(): Promise<void>;
  getSkill(id: string): Promise<Skill | undefined>;
  /** Every version of a name, lowest version first. */
  findSkillsByName(name: string): Promise<Skill[]>;
  /** Ordered by name, then version. */
  listSkills(filter?: SkillFilter): Promise<Skill[]>;
  /** Adds a skill: version 1 for a new name, version+1 when the code of a known name changed, nothing when the normalised code is already stored. */
  putSkill(skill: SkillDraft): Promise<PutSkillResult>;
  /** Moves a skill to a new review state (see REVIEW_TRANSITIONS) and records the review; PF_ERR_REVIEW_TRANSITION otherwise; PF_ERR_NOT_FOUND for an unknown id. */
  reviewSkill(id: string, review: ReviewInput): Promise<Skill>;
  recordUsage(ids: readonly string[], kind: 'retrieved' | 'used'): Promise<void>;
  /** Stores (or replaces, by key) a verified policy. */
  putPolicy(policy: StoredPolicy): Promise<void>;
  findPolicy(key: string): Promise<StoredPolicy | undefined>;
  getPolicy(id: string): Promise<StoredPolicy | undefined>;
  reviewPolicy(id: string, review: ReviewInput): Promise<StoredPolicy>;
  listPolicies(): Promise<StoredPolicy[]>;
  /**
   * Cached embedding vectors by content hash, per embedding model. A store may hand them back as typed arrays
   * (SQLite: Float32Array, the precision embedding models produce), which keeps 100,000 of them off the heap.
   */
  getEmbeddings(model: string, hashes: readonly string[]): Promise<Map<string, ArrayLike<number>>>;
  putEmbeddings(model: string, vectors: ReadonlyMap<string, ArrayLike<number>>): Promise<void>;
  /**
   * The retrieval index persisted under `key` (SkillIndex.snapshot), only if it was stored at this revision.
   * Optional: a store without it has its index rebuilt at every start.
   */
  getIndexSnapshot?(key: string, revision: number): Promise<IndexSnapshot | undefined>;
  /** Stores the index under `key` (replacing the previous one) unless the revision has moved; whether it did. */
  putIndexSnapshot?(key: string, revision: number, snapshot: IndexSnapshot): Promise<boolean>;
  /** A synchronous reader of stored vectors by hash, for an index restored from a snapshot (with the two above). */
  vectorReader?(model: string): (hash: string) => ArrayLike<number> | undefined;
  /** Changes whenever a skill is added or changes state (not on usage counts): lets readers cache an index. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
