import type { HostStatus } from '../../../src/catalog/types.js';
import { validateJob } from '../../../src/scheduler/spec/index.js';
import type { Job, JobRecord } from '../../../src/scheduler/types.js';

/** Nomad's mock.Node(): a live host with room for plenty, overridable field by field. */
export function mockHost(name: string, over: Partial<Omit<HostStatus, 'name'>> & { cpu?: number; memory?: number } = {}): HostStatus {
  const { cpu, memory, ...rest } = over;
  return {
    name,
    address: '10.0.0.1',
    meta: {},
    capacity: { cpu: cpu ?? 4_000, memory: memory ?? 8_192 },
    alive: true,
    ...rest,
  };
}

export function mockHosts(n: number, over: Parameters<typeof mockHost>[1] = {}): HostStatus[] {
  return Array.from({ length: n }, (_, i) => mockHost(`host-${i}`, over));
}

/** Nomad's mock.Job(): a spec document run through the real validator, so fixtures are always valid. */
export function mockJob(name: string, doc: Record<string, unknown> = {}): Job {
  return validateJob({ name, image: 'busybox', resources: { cpu: 100, memory: 100 }, ...doc });
}

export function mockRecord(job: Job, version = 1, over: Partial<JobRecord> = {}): JobRecord {
  return { job, version, submittedAt: 0, stopped: false, ...over };
}
