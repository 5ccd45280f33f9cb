export { startLogEndpoint, type LogEndpoint, type LogEndpointOptions, type LogEndpointMetrics, DEFAULT_MAX_STREAMS } from './endpoint.js';
export { agentLogSource, type LogSource, type LogSourceOptions } from './client.js';
export { localLogs, type LocalLogs, type LocalLogsOptions, DEFAULT_KEEPALIVE_MS } from './reader.js';
export { LogsError, LOGS_STATUS, type LogsErrorCode } from './errors.js';
export { parseLogQuery, logQueryString, MAX_TAIL, type LogRequest, type LogQuery } from './request.js';
export { pump, DEFAULT_STALL_MS, type PumpResult } from './pump.js';
export { ndjsonLogs, encodeRecord, KEEPALIVE, type LogRecord } from './ndjson.js';
export { endpointKey, findEndpoint, type EndpointRecord } from './record.js';
