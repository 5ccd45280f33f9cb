import type { Route } from './server.js';
import { ConsulError, Violation, allowQuery, checkFields, parseGoDuration } from './shape.js';
import { NODE, type SessionRecord } from './state.js';

/**
 * /v1/session endpoints (https://developer.hashicorp.com/consul/api-docs/session): create answers
 * {"ID"}, renew answers the session in a one-element array (404 once it is gone), destroy answers `true`.
 * TTL must be 0 or within 10s..24h; the server then invalidates after up to twice the TTL.
 */

const CREATE = {
  LockDelay: 'duration', Node: 'string', Name: 'string', Checks: 'string[]', NodeChecks: 'string[]',
  ServiceChecks: 'array', Behavior: 'string', TTL: 'string',
} as const;

function sessionJson(s: SessionRecord) {
  return {
    ID: s.ID, Name: s.Name, Node: s.Node, LockDelay: s.LockDelay * 1e6, Behavior: s.Behavior, TTL: s.TTL,
    NodeChecks: ['serfHealth'], ServiceChecks: null, CreateIndex: s.CreateIndex, ModifyIndex: s.ModifyIndex,
  };
}

export const sessionRoutes: Route[] = [
  {
    method: 'PUT',
    pattern: /^\/session\/create$/,
    handle: (req, _m, state) => {
      allowQuery(req.query, [], 'session/create');
      let body: unknown = {};
      if (req.body.length) {
        try {
          body = JSON.parse(req.body.toString('utf8'));
        } catch (err) {
          throw new Violation(`Request decode failed: ${(err as Error).message}`);
        }
      }
      const b = checkFields(body, { ...CREATE }, 'session');
      const behavior = (b.Behavior as string | undefined) ?? 'release';
      if (behavior !== 'release' && behavior !== 'delete') throw new ConsulError(500, `Invalid Behavior setting '${behavior}'`);
      const ttl = (b.TTL as string | undefined) ?? '';
      const ttlMs = ttl === '' ? 0 : parseGoDuration(ttl);
      if (ttlMs === undefined) throw new ConsulError(500, `Session TTL '${ttl}' invalid`);
      if (ttlMs !== 0 && (ttlMs < 10_000 || ttlMs > 86_400_000)) {
        throw new ConsulError(500, `Invalid Session TTL '${ttlMs * 1e6}', must be between [10s=24h0m0s]`);
      }
      if (b.Node !== undefined && b.Node !== NODE.Node) throw new ConsulError(500, `Missing node registration`);
      const lockDelay = b.LockDelay === undefined ? 15_000 : parseGoDuration(b.LockDelay as string)!;
      const s = state.createSession({ Name: (b.Name as string) ?? '', Node: NODE.Node, LockDelay: lockDelay, Behavior: behavior, TTL: ttl, ttlMs });
      return { json: { ID: s.ID } };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/session\/renew\/([^/]+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [], 'session/renew');
      if (req.body.length) throw new Violation('session/renew takes no body');
      const s = state.sessions.get(m[1]!);
      if (!s) throw new ConsulError(404, `Session id '${m[1]}' not found`);
      state.armSession(s);
      return { json: [sessionJson(s)] };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/session\/destroy\/([^/]+)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, [], 'session/destroy');
      if (req.body.length) throw new Violation('session/destroy takes no body');
      state.invalidate(m[1]!);
      return { json: true };
    },
  },
];
