export * from './contracts.js';
export * from './errors.js';
export { createLogger, logger, silentLogger, redactSecrets, redactAndClip, type Logger } from './logger.js';
export { packageRoot, assetPath, policyforgeHome } from './paths.js';
export { readInputFile, INPUT_FILE_MAX_BYTES, type ReadInputOptions } from './input-file.js';
export { POD_CONTROLLER_RESOURCES, isPodControllerResource, type PodControllerResource } from './kubernetes.js';
