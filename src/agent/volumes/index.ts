export { dockerVolumeOf, localVolumes, parseVolumeRef, type LocalVolumes, type VolumeRef, type VolumeRemoval } from './local.js';
export { isVolumePath, volumeRequest } from './endpoint-route.js';
export { agentVolumeRemover, type VolumeRemover, type VolumeRemoverOptions } from './client.js';
