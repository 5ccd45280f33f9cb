/** Fixture builders for the agent's pure tests (Nomad's mock.Node() style). */
import type { ContainerInfo } from '../../src/docker/types.js';
import type { Allocation, Job, JobContainer } from '../../src/scheduler/types.js';
import { AGENT_LABELS } from '../../src/agent/labels.js';

export function job(name: string, over: Partial<Job> = {}, containers?: Partial<JobContainer>[]): Job {
  const members = (containers ?? [{}]).map((c, i) => ({
    name: c.name ?? (i === 0 ? 'main' : `side${i}`),
    image: c.image ?? 'img:1',
    command: c.command,
    env: c.env ?? {},
    ports: c.ports ?? [],
    resources: c.resources ?? { cpu: 100, memory: 64 },
  }));
  return {
    name, count: 1, global: false, containers: members, tags: [], labels: {}, constraints: {},
    update: { maxParallel: 1, minHealthyMs: 0 }, strategy: 'spread', ...over,
  };
}

export function alloc(jobName: string, ordinal: number, over: Partial<Allocation> = {}): Allocation {
  return {
    id: `${jobName}-${ordinal}-abc${ordinal}`, job: jobName, ordinal, host: 'h1', jobVersion: 1,
    desired: 'run', createdAt: 1, ...over,
  };
}

let n = 0;
export function container(a: Allocation, over: Partial<ContainerInfo> = {}, member = 'main'): ContainerInfo {
  n++;
  return {
    id: `c${n}`, name: `${a.job}-${a.ordinal}-${member}`, image: 'img:1',
    labels: {
      [AGENT_LABELS.alloc]: a.id, [AGENT_LABELS.job]: a.job, [AGENT_LABELS.host]: a.host,
      [AGENT_LABELS.version]: String(a.jobVersion), [AGENT_LABELS.member]: member,
    },
    env: {}, running: true, paused: false, ports: [], ipAddress: '172.17.0.9', networkMode: 'bridge',
    startedAt: '2024-01-01T00:00:00Z', ...over,
  };
}
