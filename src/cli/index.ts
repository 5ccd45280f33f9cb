export { buildProgram, runCli } from './program.js';
export { addRole, registerRoleCommands, ROLE_NAMES, type Role } from './roles.js';
export { CliError, EXIT, usageError } from './errors.js';
export { ApiClient, ApiCallError, DEFAULT_API } from './client.js';
