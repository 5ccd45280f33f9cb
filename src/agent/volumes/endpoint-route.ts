/**
 * The agent endpoint's volume route (beside its log route, src/agent/logs/endpoint.ts, which
 * checks the bearer token first): `DELETE /v1/volumes/<job>/<ordinal>/<name>` removes that
 * replica volume from this host and answers `{"result":"removed"|"missing"|"in_use"}`.
 * Whether a replica still uses it is the server's question (it refuses first); Docker itself
 * refuses while a container holds the volume, which is `in_use` here.
 */
import { LogsError } from '../logs/errors.js';
import { parseVolumeRef, type LocalVolumes } from './local.js';

const PATH = /^\/v1\/volumes\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** Whether `pathname` is this route's (so the log route is not asked). */
export function isVolumePath(pathname: string): boolean {
  return pathname.startsWith('/v1/volumes/');
}

export async function volumeRequest(method: string | undefined, pathname: string, volumes: LocalVolumes | undefined): Promise<{ result: string }> {
  const m = PATH.exec(pathname);
  if (!m) throw new LogsError('not_found', `no such endpoint: ${pathname.slice(0, 100)}`);
  if (method !== 'DELETE') throw new LogsError('bad_request', `${method} is not allowed (DELETE only)`);
  if (!volumes) throw new LogsError('unavailable', 'this agent removes no volumes (started without Docker volumes)');
  let parts: string[];
  try {
    parts = [m[1]!, m[2]!, m[3]!].map((p) => decodeURIComponent(p));
  } catch {
    throw new LogsError('bad_request', 'malformed percent-encoding in the path');
  }
  const ref = parseVolumeRef(parts[0]!, parts[1]!, parts[2]!);
  return { result: await volumes(ref) };
}
