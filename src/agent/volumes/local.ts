/**
 * Removing a replica's named volume on this host (`maestro volumes rm`): the one thing the agent
 * does to volumes besides creating them. The Docker name is composed here from the job, ordinal
 * and volume name, each checked, so a request can only ever name a volume Maestro creates
 * (`<job>-<ordinal>-<name>`, src/agent/mounts.ts), never an arbitrary one of the host's.
 */
import type { DockerPort } from '../../docker/index.js';
import { volumeName } from '../../state/index.js';
import { LogsError } from '../logs/errors.js';

export interface VolumeRef {
  job: string;
  ordinal: number;
  /** The volume's name in the job spec (`data`). */
  name: string;
}

/** What Docker did: `in_use` when a container, even a stopped one, still holds the volume. */
export type VolumeRemoval = 'removed' | 'missing' | 'in_use';

/** Removes one replica volume of this host. */
export type LocalVolumes = (ref: VolumeRef) => Promise<VolumeRemoval>;

/** Job and volume names are DNS labels in job specs (src/scheduler/spec/schema.ts). */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a reference from the wire (path segments); a LogsError `bad_request` names the bad part. */
export function parseVolumeRef(job: string, ordinalText: string, name: string): VolumeRef {
  if (!LABEL.test(job)) throw new LogsError('bad_request', `"${job.slice(0, 80)}" is not a job name`);
  if (!/^\d{1,6}$/.test(ordinalText)) throw new LogsError('bad_request', `"${ordinalText.slice(0, 80)}" is not an ordinal (0, 1, …)`);
  if (!LABEL.test(name)) throw new LogsError('bad_request', `"${name.slice(0, 80)}" is not a volume name`);
  return { job, ordinal: Number(ordinalText), name };
}

export function dockerVolumeOf(ref: VolumeRef): string {
  return volumeName(ref.job, ref.ordinal, ref.name);
}

export function localVolumes(docker: Pick<DockerPort, 'removeVolume'>): LocalVolumes {
  return (ref) => docker.removeVolume(dockerVolumeOf(ref));
}
