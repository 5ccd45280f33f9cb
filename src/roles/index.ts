import type { Role } from '../cli/roles.js';
import { agentRole } from './agent.js';
import { registrarRole } from './registrar.js';
import { serverRole } from './server.js';
import { upRole } from './up.js';

export { startNodeServices, type NodeServices } from './node-services.js';
export { startControlPlane, type ControlPlane } from './control-plane.js';

/** The long-running process roles, in the order `maestro --help` lists them. */
export const ROLES: readonly Role[] = [upRole, agentRole, serverRole, registrarRole];
