export * from './types.js';
export { DockerodeAdapter, toContainerInfo, connectionOptions, type DockerodeOptions } from './dockerode-adapter.js';
