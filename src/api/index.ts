/** The HTTP API (Fastify) and the review page it serves. */
export { buildApi, API_VERSION, type ApiDeps, type ApiOptions, type ApiServer } from './server.js';
export { toPolicyforgeError, errorBody, type ErrorBody } from './errors.js';
export { createAuthenticator, SESSION_COOKIE, type Authenticator } from './auth.js';
export type { SkillStoreForApi } from './routes/skills.js';
export type { PolicyTester } from './routes/policies.js';
