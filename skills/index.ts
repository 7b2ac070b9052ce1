/**
 * The skill library (issue 5): reviewed, versioned, pure helper functions that policies reuse, and whole
 * verified policies by intent. Other modules import only this file.
 */
export type { SkillStore, SkillDraft, SkillFilter, PutSkillResult, ReviewInput } from './types.js';
export { REVIEW_STATES, REVIEW_TRANSITIONS } from './types.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { openRedisStore, type RedisStoreOptions } from './redis-store.js';
export {
  openSkillStore,
  parseStoreSpec,
  skillStoreConfigFromEnv,
  SQLITE_STORE_FILE,
  type SkillStoreConfig,
} from './open-store.js';
export { SkillLibrary, traceHelpers, readTrace, type SkillLibraryOptions, type SkillSandbox } from './library.js';
export { inlineSkills, prependSkills, skillsToInline, skillsReferenced, INLINED_MARKER } from './inline.js';
export { extractSkills, type ExtractedSkill, type ExtractOptions } from './extract.js';
export { builtinSkills, BUILTIN_DIR } from './builtin.js';
export { normaliseIntent, normaliseCode, codeHash } from './normalise.js';
export { checkTransition, checkDraft } from './review.js';
export { parseSkillFiles, readSkillDir, skillToFiles, type SkillFilePair, type SkillMeta } from './skill-files.js';
export {
  exportSkills,
  importSkills,
  policiesToOpenAIJsonl,
  POLICY_SYSTEM_PROMPT,
  type ImportOptions,
  type ImportReport,
} from './exchange.js';
