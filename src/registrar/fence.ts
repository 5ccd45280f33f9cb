/**
 * Fencing of scheduled containers. A container the agent started for an allocation may only be
 * served while that allocation is still this host's: after a partition long enough for the host's
 * session to expire, the scheduler has placed the replica elsewhere, and the stale copy here must
 * not be registered again when the link heals (two copies of `kafka-0` would both answer).
 *
 * The agent vouches for each scheduled container:
 *   yes     — its allocation is this host's and wanted running: register as usual;
 *   no      — its allocation moved or was stopped: deregister (the agent is removing it);
 *   unsure  — the agent cannot tell yet (its session may have lapsed, or it has not read its
 *             allocations since it started): change nothing — instances already in the catalog stay
 *             (a blip must not pull healthy replicas out of DNS), missing ones are not added.
 * Containers that carry no allocation (started by `docker run`, compose, …) are always `yes`.
 */
import type { ServiceInstance } from '../catalog/types.js';
import type { ContainerInfo } from '../docker/types.js';
import { containerToInstances, type MappingContext } from './mapping.js';

export type Vouch = 'yes' | 'no' | 'unsure';

/** The agent's word on a container, by its labels. */
export type Voucher = (labels: Readonly<Record<string, string>>) => Vouch;

/** The instances the registrar should hold for `containers`, given what is registered now. */
export function vouchedInstances(
  containers: readonly ContainerInfo[],
  ctx: MappingContext,
  registered: readonly ServiceInstance[],
  vouch: Voucher | undefined,
): ServiceInstance[] {
  const present = new Set(registered.map((i) => i.id));
  return containers.flatMap((c) => {
    const instances = containerToInstances(c, ctx);
    switch (vouch?.(c.labels) ?? 'yes') {
      case 'yes':
        return instances;
      case 'no':
        return [];
      case 'unsure':
        return instances.filter((i) => present.has(i.id));
    }
  });
}
