// Connections to the Kubernetes API server shared by the operator and the impact preview.
export { reusedAgent } from './agents.js';
