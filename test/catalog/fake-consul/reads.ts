import type { Route } from './server.js';
import { Violation, allowQuery, flag } from './shape.js';
import { NODE, type CheckRecord, type FakeState, type ServiceRecord } from './state.js';

/**
 * Catalog reads, all blocking queries:
 * - GET /v1/health/service/:service (https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service)
 * - GET /v1/health/state/:state (https://developer.hashicorp.com/consul/api-docs/health#list-checks-in-state)
 * - GET /v1/catalog/services (https://developer.hashicorp.com/consul/api-docs/catalog#list-services)
 * Their X-Consul-Index is a table-wide index, as in Consul: a change to any service wakes a blocking
 * read of another (hashicorp/consul#3890), so clients must compare contents, not just indexes.
 */

const READ_PARAMS = ['index', 'wait', 'stale', 'consistent', 'cached', 'filter'];

function checkJson(c: CheckRecord) {
  return {
    Node: NODE.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes, Output: c.Output,
    ServiceID: c.ServiceID, ServiceName: c.ServiceName, ServiceTags: c.ServiceTags, Type: c.Type,
    Interval: '', Timeout: '', ExposedPort: 0, Definition: {}, CreateIndex: c.CreateIndex, ModifyIndex: c.ModifyIndex,
  };
}

function nodeJson() {
  return {
    ID: NODE.ID, Node: NODE.Node, Address: NODE.Address, Datacenter: NODE.Datacenter,
    TaggedAddresses: { lan: NODE.Address, wan: NODE.Address }, Meta: { 'consul-network-segment': '' }, CreateIndex: 5, ModifyIndex: 5,
  };
}

function serviceJson(s: ServiceRecord) {
  return {
    ID: s.ID, Service: s.Service, Tags: s.Tags, Address: s.Address, Meta: s.Meta, Port: s.Port,
    Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {}, PeerName: '', CreateIndex: s.CreateIndex, ModifyIndex: s.ModifyIndex,
  };
}

function healthService(state: FakeState, name: string, passing: boolean, tag: string | null) {
  const entries = [];
  for (const s of state.services.values()) {
    if (s.Service !== name || (tag !== null && !s.Tags.includes(tag))) continue;
    const checks = [...state.checks.values()].filter((c) => c.ServiceID === '' || c.ServiceID === s.ID);
    if (passing && checks.some((c) => c.Status !== 'passing')) continue;
    entries.push({ Node: nodeJson(), Service: serviceJson(s), Checks: checks.map(checkJson) });
  }
  return entries;
}

export const readRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/health\/service\/([^/]+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [...READ_PARAMS, 'passing', 'tag', 'near', 'node-meta', 'peer'], 'health/service');
      if (req.query.has('filter')) throw new Violation('?filter= is valid Consul but not modelled by this fake');
      const passing = flag(req.query, 'passing');
      const tag = req.query.get('tag');
      return {
        read: () => ({
          index: Math.max(state.tables.services, state.tables.checks, state.tables.nodes),
          json: healthService(state, m[1]!, passing, tag),
        }),
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/health\/state\/([^/]+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [...READ_PARAMS, 'near', 'node-meta'], 'health/state');
      const wanted = m[1]!;
      if (!['any', 'passing', 'warning', 'critical'].includes(wanted)) throw new Violation(`health/state: bad state ${wanted}`);
      return {
        read: () => ({
          index: state.tables.checks,
          json: [...state.checks.values()].filter((c) => wanted === 'any' || c.Status === wanted).map(checkJson),
        }),
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/catalog\/services$/,
    handle: (req, _m, state) => {
      allowQuery(req.query, [...READ_PARAMS, 'node-meta'], 'catalog/services');
      return {
        read: () => {
          const out: Record<string, string[]> = {};
          for (const s of state.services.values()) {
            const tags = (out[s.Service] ??= []);
            for (const t of s.Tags) if (!tags.includes(t)) tags.push(t);
          }
          return { index: state.tables.services, json: out };
        },
      };
    },
  },
];
