/** A registrar on the real daemon, scoped to one test's containers, over an embedded catalog. */
import type { TestContext } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog, ServiceInstance } from '../../src/catalog/types.js';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { startRegistrar, type Registrar, type RegistrarOptions } from '../../src/registrar/index.js';
import { SCOPE_LABEL, scopeFor, startContainer } from '../support/docker.js';
import { eventually } from '../support/wait.js';

export interface Harness {
  scope: string;
  host: string;
  catalog: Catalog;
  docker: DockerodeAdapter;
  start(over?: Partial<RegistrarOptions>): Registrar;
  /** `docker run -d` in the scope, with a unique name; resolves with the container id. */
  run(flags?: string[], cmd?: string[]): Promise<string>;
  /** This host's instances of one container, sorted by id. */
  of(id: string): Promise<ServiceInstance[]>;
  all(): Promise<ServiceInstance[]>;
  /** Waits until a container has `count` instances and returns them. */
  until(id: string, count: number, what?: string): Promise<ServiceInstance[]>;
}

let n = 0;

export function harness(t: TestContext, dockerHost?: string): Harness {
  const scope = scopeFor(t, 'reg');
  const host = `host-${scope}`;
  const catalog = createEmbeddedCatalog();
  const docker = new DockerodeAdapter({ host: dockerHost });
  t.after(() => catalog.close());
  const of = async (id: string) => (await all()).filter((i) => i.meta.container_id === id);
  const all = async () => (await catalog.listInstances({ host })).value.sort((a, b) => a.id.localeCompare(b.id));
  return {
    scope,
    host,
    catalog,
    docker,
    start(over = {}) {
      const r = startRegistrar({
        docker,
        catalog,
        host,
        advertise: '127.0.0.1',
        labels: [`${SCOPE_LABEL}=${scope}`],
        minBackoffMs: 50,
        maxBackoffMs: 500,
        ...over,
      });
      t.after(() => r.stop());
      return r;
    },
    run: (flags = [], cmd) => startContainer({ scope, name: `${scope}-${++n}`, flags, cmd }),
    of,
    all,
    until: (id, count, what = `${count} instance(s) of ${id.slice(0, 12)}`) =>
      eventually(async () => {
        const list = await of(id);
        return list.length === count ? list : undefined;
      }, 5000, what),
  };
}
