import type { FakeRequest, Route } from './server.js';
import { ConsulError, Violation, allowQuery, checkFields, checkMeta, flag, parseGoDuration, type Schema } from './shape.js';
import type { CheckRecord, FakeState } from './state.js';

/**
 * Local agent endpoints: https://developer.hashicorp.com/consul/api-docs/agent/service and
 * https://developer.hashicorp.com/consul/api-docs/agent/check. Writes answer 200 with an empty body.
 * The agent's sync to the catalog is modelled as immediate.
 */

// Register Service: JSON request body schema (PascalCase; `Check` is a CheckType).
const SERVICE: Schema = {
  Name: 'string', ID: 'string', Tags: 'string[]', Address: 'string', TaggedAddresses: 'object', Meta: 'string-map',
  Port: 'int', Kind: 'string', Proxy: 'object', Connect: 'object', Check: 'object', Checks: 'array',
  EnableTagOverride: 'bool', Weights: 'object', Namespace: 'string', Partition: 'string', SocketPath: 'string',
};
const CHECK: Schema = {
  CheckID: 'string', Name: 'string', Notes: 'string', Status: 'string', TTL: 'duration', DeregisterCriticalServiceAfter: 'duration',
  Interval: 'duration', Timeout: 'duration', HTTP: 'string', TCP: 'string', Args: 'string[]', Method: 'string', Header: 'object',
  SuccessBeforePassing: 'int', FailuresBeforeCritical: 'int',
};
const STATUSES = ['passing', 'warning', 'critical'];

function json(req: FakeRequest): unknown {
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    throw new Violation(`Request decode failed: ${(err as Error).message}`);
  }
}

function noBody(req: FakeRequest): void {
  if (req.body.length) throw new Violation('this endpoint takes no request body');
}

function register(req: FakeRequest, state: FakeState) {
  allowQuery(req.query, ['replace-existing-checks'], 'agent/service/register');
  flag(req.query, 'replace-existing-checks');
  const s = checkFields(json(req), SERVICE, 'service');
  if (typeof s.Name !== 'string' || !s.Name) throw new Violation('service: Name is required');
  if (s.Checks !== undefined) throw new Violation('service: Checks is valid Consul but not modelled by this fake');
  const id = (s.ID as string | undefined) || s.Name;
  const meta = (s.Meta as Record<string, string> | undefined) ?? {};
  checkMeta(meta, 'service');
  const tags = (s.Tags as string[] | undefined) ?? [];
  const next = { ID: id, Service: s.Name, Tags: tags, Address: (s.Address as string) ?? '', Port: (s.Port as number) ?? 0, Meta: meta };
  const prev = state.services.get(id);
  if (!prev || JSON.stringify({ ...prev, CreateIndex: 0, ModifyIndex: 0 }) !== JSON.stringify({ ...next, CreateIndex: 0, ModifyIndex: 0 })) {
    const index = state.bump('services');
    state.services.set(id, { ...next, CreateIndex: prev?.CreateIndex ?? index, ModifyIndex: index });
  }
  if (s.Check !== undefined) registerCheck(checkFields(s.Check, CHECK, 'service.Check'), id, s.Name, tags, state);
  return {};
}

function registerCheck(c: Record<string, unknown>, serviceId: string, serviceName: string, tags: string[], state: FakeState): void {
  if (c.TTL === undefined) throw new Violation('service.Check: only TTL checks are modelled by this fake');
  if (c.HTTP !== undefined || c.TCP !== undefined || c.Args !== undefined || c.Interval !== undefined) {
    throw new Violation('service.Check: a TTL check takes no HTTP/TCP/Args/Interval');
  }
  if (c.Status !== undefined && !STATUSES.includes(c.Status as string)) throw new Violation(`service.Check: bad Status ${String(c.Status)}`);
  const checkId = (c.CheckID as string | undefined) ?? `service:${serviceId}`;
  const ttlMs = parseGoDuration(c.TTL as string)!;
  // Consul enforces a 1 minute minimum on DeregisterCriticalServiceAfter.
  const dereg = c.DeregisterCriticalServiceAfter === undefined ? undefined : Math.max(60_000, parseGoDuration(c.DeregisterCriticalServiceAfter as string)!);
  const prev = state.checks.get(checkId);
  // Re-registration keeps the check's current status and output (the agent restores them from its
  // snapshot); only a new check starts at `Status` (default critical).
  const check: CheckRecord = {
    CheckID: checkId, Name: (c.Name as string) ?? `Service '${serviceName}' check`, Notes: (c.Notes as string) ?? '',
    Status: prev?.Status ?? ((c.Status as string) || 'critical'), Output: prev?.Output ?? '', ServiceID: serviceId,
    ServiceName: serviceName, ServiceTags: tags, Type: 'ttl', CreateIndex: prev?.CreateIndex ?? 0, ModifyIndex: prev?.ModifyIndex ?? 0,
    ttlMs, deregisterAfterMs: dereg,
  };
  const changed = !prev || JSON.stringify([prev.Name, prev.Notes, prev.ServiceTags]) !== JSON.stringify([check.Name, check.Notes, check.ServiceTags]);
  if (changed) {
    check.ModifyIndex = state.bump('checks');
    if (!prev) check.CreateIndex = check.ModifyIndex;
  }
  state.checks.set(checkId, check);
  state.setCheckStatus(check, check.Status, check.Output); // arms the TTL timer
}

function unknownCheck(id: string): never {
  throw new ConsulError(404, `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
}

function ttlUpdate(state: FakeState, id: string, status: string, output: string) {
  const check = state.checks.get(id);
  if (!check) unknownCheck(id);
  if (check.ttlMs === undefined) throw new ConsulError(500, `CheckID "${id}" does not have associated TTL`);
  state.setCheckStatus(check, status, output);
  return {};
}

export const agentRoutes: Route[] = [
  { method: 'PUT', pattern: /^\/agent\/service\/register$/, handle: (req, _m, state) => register(req, state) },
  {
    method: 'PUT',
    pattern: /^\/agent\/service\/deregister\/(.+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [], 'agent/service/deregister');
      noBody(req);
      if (!state.deregisterService(m[1]!)) {
        throw new ConsulError(404, `Unknown service ID "${m[1]}". Ensure that the service ID is passed, not the service name.`);
      }
      return {};
    },
  },
  {
    method: 'PUT',
    pattern: /^\/agent\/check\/(pass|warn|fail)\/(.+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, ['note'], `agent/check/${m[1]}`);
      noBody(req);
      const status = { pass: 'passing', warn: 'warning', fail: 'critical' }[m[1] as 'pass' | 'warn' | 'fail'];
      return ttlUpdate(state, m[2]!, status, req.query.get('note') ?? '');
    },
  },
  {
    method: 'PUT',
    pattern: /^\/agent\/check\/update\/(.+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [], 'agent/check/update');
      const b = checkFields(json(req), { Status: 'string', Output: 'string' }, 'check update');
      if (!STATUSES.includes(b.Status as string)) throw new Violation(`check update: Status must be one of ${STATUSES.join(', ')}`);
      return ttlUpdate(state, m[1]!, b.Status as string, (b.Output as string) ?? '');
    },
  },
];
