export * from './types.js';
export { DockerodeAdapter, connectionOptions, type DockerodeOptions } from './dockerode-adapter.js';
export { toContainerInfo, bridgeGateway, parseEvent, createBody } from './mapping.js';
