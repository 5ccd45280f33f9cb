import type { MetricsSources } from '../api/index.js';
import type { NodeServices } from './node-services.js';

/**
 * The per-host components as /metrics sources, with the hints the flattener needs: which keyed
 * objects are labels (`maestro_dns_responses_total{rcode="NXDOMAIN"}`) and which values only grow.
 */
export function nodeMetricsSources(node: NodeServices): MetricsSources {
  return {
    dns: {
      read: () => node.dns.metrics(),
      labels: { responses: 'rcode', queries: 'qtype' },
      counters: ['responses', 'queries', 'truncated', 'dropped', 'sendDropped', 'forwarded', 'forwardFailures', 'tcpRejected'],
    },
    proxy: {
      read: () => node.proxy.metrics(),
      labels: { 'services.requests': 'class', 'services.instances.requests': 'class' },
      counters: [
        'unrouted',
        'services.requests',
        'services.retries',
        'services.connections',
        'services.failedConnections',
        'services.instances.requests',
        'services.instances.connectErrors',
        'services.instances.ejections',
      ],
    },
    registrar: {
      read: () => node.registrar.metrics(),
      counters: ['eventsSeen', 'registrations', 'deregistrations', 'healthUpdates', 'syncRuns', 'errors'],
    },
    agent: {
      read: () => node.agent.metrics(),
      counters: [
        'reconciles',
        'reconcileErrors',
        'containersStarted',
        'containersRemoved',
        'startFailures',
        'statusWrites',
        'registrations',
        'heartbeatErrors',
        'catalogErrors',
        'dockerEventErrors',
      ],
    },
  };
}
