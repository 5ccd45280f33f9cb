export * from './types.js';
export { DockerodeAdapter, toContainerInfo, connectionOptions, bridgeGateway, type DockerodeOptions } from './dockerode-adapter.js';
