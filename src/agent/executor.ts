/**
 * The Docker edge of the agent: carries out a plan's actions. Actions of one allocation run in order
 * (remove before start), allocations in parallel. A Docker outage (`unavailable`) is transient and
 * reported to the caller for back-off; any other start failure fails the allocation for good.
 */
import { DockerError, type DockerPort } from '../docker/types.js';
import type { Logger } from '../log/index.js';
import type { Allocation, Job } from '../state/index.js';
import type { Action } from './plan.js';
import { preparePod } from './mounts.js';
import { DENY_ALL } from './policy.js';
import { podSpecs, type PodContext } from './pod.js';
import { startFailure, type StartFailure } from './why.js';

export interface ExecutorOptions {
  docker: DockerPort;
  /** Built once per pass, only when something starts (it reads the catalog's proxied services). */
  podContext: () => Promise<PodContext>;
  stopTimeoutSec: number;
  logger: Logger;
}

export interface ExecResult {
  /** Allocations that cannot start, with the reason to report. */
  startFailures: Map<string, StartFailure>;
  /** Transient errors (Docker unreachable): the pass is retried after a back-off. */
  transient: unknown[];
  started: number;
  removed: number;
}

export async function execute(actions: Action[], opts: ExecutorOptions): Promise<ExecResult> {
  const result: ExecResult = { startFailures: new Map(), transient: [], started: 0, removed: 0 };
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const id = a.kind === 'start' ? a.alloc.id : a.allocId;
    groups.set(id, [...(groups.get(id) ?? []), a]);
  }
  let ctx: Promise<PodContext> | undefined;
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const action of group) {
        try {
          if (action.kind === 'start') {
            ctx ??= opts.podContext();
            await startPod(action.alloc, action.job, await ctx, opts);
            result.started++;
          } else {
            opts.logger.info({ alloc: action.allocId, containers: action.containerIds, reason: action.reason }, `${action.kind} containers`);
            // No timeout: each container's own (the job's stopGracePeriod, else the agent's default).
            await Promise.all(action.containerIds.map((id) => opts.docker.stop(id)));
            if (action.kind === 'remove') {
              await Promise.all(action.containerIds.map((id) => opts.docker.remove(id)));
              result.removed += action.containerIds.length;
            }
          }
        } catch (err) {
          if (err instanceof DockerError && err.code === 'unavailable') {
            result.transient.push(err);
          } else if (action.kind === 'start') {
            opts.logger.warn({ err, alloc: action.alloc.id }, 'allocation failed to start');
            result.startFailures.set(action.alloc.id, startFailure(err, err instanceof DockerError && err.code === 'image_unavailable'));
          } else {
            result.transient.push(err);
          }
          return; // the rest of this allocation's actions wait for the next pass
        }
      }
    }),
  );
  return result;
}

/** Pulls missing images, then creates the pod's containers in order; a partial pod is removed again. */
async function startPod(alloc: Allocation, job: Job, ctx: PodContext, opts: ExecutorOptions): Promise<void> {
  const { docker, logger } = opts;
  // Refused before any pull: privileged, capabilities and host paths are this host's to allow.
  const hostPaths = await preparePod(job, alloc, ctx.policy ?? DENY_ALL, ctx.host, docker);
  for (const image of new Set(job.containers.map((c) => c.image))) {
    if (!(await docker.hasImage(image))) {
      logger.info({ image, alloc: alloc.id }, 'pulling image');
      await docker.pullImage(image);
    }
  }
  const specs = podSpecs(job, alloc, { ...ctx, hostPaths, stopTimeoutSec: ctx.stopTimeoutSec ?? opts.stopTimeoutSec });
  const ids: string[] = [];
  try {
    for (const spec of specs) {
      const networkMode = ids.length ? `container:${ids[0]}` : spec.networkMode;
      ids.push(await docker.run({ ...spec, networkMode }));
    }
  } catch (err) {
    await Promise.all(ids.map((id) => docker.remove(id).catch(() => undefined)));
    throw err;
  }
  logger.info({ alloc: alloc.id, job: job.name, ordinal: alloc.ordinal, containers: ids }, 'allocation started');
}
