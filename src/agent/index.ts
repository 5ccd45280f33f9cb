export { startAgent, type Agent, type AgentOptions, type AgentMetrics } from './agent.js';
export { plan, sameStatus, type Action, type DesiredAlloc, type Plan, type PlanInput } from './plan.js';
export { podSpecs, podPorts, containerName, serviceEnv, proxiedServices, healthcheckFor, type PodContext } from './pod.js';
export { AGENT_LABELS, portNameLabel, portProxyLabel } from './labels.js';
