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
 *             as they are, health included (a blip must not pull healthy replicas out of DNS, and
 *             the agent's checks may not have run yet), missing ones are not added.
 * Containers that carry no allocation (started by `docker run`, compose, …) are always `yes`.
 */
import type { ServiceInstance } from '../catalog/types.js';
import type { ContainerInfo } from '../docker/types.js';
import { containerToInstances, type MappingContext } from './mapping.js';
import { withReportedHealth, type HealthReport } from './reported-health.js';

export type Vouch = 'yes' | 'no' | 'unsure';

/** The agent's word on a container, by its labels. */
export type Voucher = (labels: Readonly<Record<string, string>>) => Vouch;

/** The instances the registrar should hold for `containers`, given what is registered now. */
export function vouchedInstances(
  containers: readonly ContainerInfo[],
  ctx: MappingContext,
  registered: readonly ServiceInstance[],
  vouch: Voucher | undefined,
  report?: HealthReport,
): ServiceInstance[] {
  const present = new Map(registered.map((i) => [i.id, i.health]));
  return containers.flatMap((c) => {
    const instances = withReportedHealth(containerToInstances(c, ctx), c.labels, report);
    switch (vouch?.(c.labels) ?? 'yes') {
      case 'yes':
        return instances;
      case 'no':
        return [];
      case 'unsure':
        // Health included: until the agent is sure, its checks may not have run yet (a restart).
        return instances.filter((i) => present.has(i.id)).map((i) => (present.get(i.id) === i.health ? i : { ...i, health: present.get(i.id)! }));
    }
  });
}
