export { startRegistrar, type Registrar, type RegistrarOptions, type RegistrarMetrics } from './registrar.js';
export { containerToInstances, healthOf, type MappingContext } from './mapping.js';
export { diff, isEmpty, type Diff } from './diff.js';
export { nameClashes } from './writer.js';
export { vouchedInstances, type Vouch, type Voucher } from './fence.js';
