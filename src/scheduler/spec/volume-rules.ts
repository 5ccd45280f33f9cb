type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Far above any real container; each mount costs a Docker call per start. */
const MAX_VOLUMES_PER_CONTAINER = 32;

/**
 * Volume rules spanning fields: each mount is exactly one of `name` or `host`; one container mounts
 * nothing twice at one path (Docker refuses "Duplicate mount point" at create, on every host, every
 * retry). In a pod, `volumes` is per container, and members naming one volume share it.
 */
export function volumeProblems(doc: Obj, pod: boolean, bad: (path: string, message: string) => void): void {
  const lists: { path: string; volumes: unknown }[] = pod
    ? (Array.isArray(doc.containers) ? doc.containers : []).map((c, i) => ({ path: `containers[${i}].volumes`, volumes: isObj(c) ? c.volumes : undefined }))
    : [{ path: 'volumes', volumes: doc.volumes }];
  for (const { path, volumes } of lists) {
    if (!Array.isArray(volumes)) continue;
    if (volumes.length > MAX_VOLUMES_PER_CONTAINER) bad(path, `at most ${MAX_VOLUMES_PER_CONTAINER} volumes per container`);
    const targets = new Set<string>();
    volumes.forEach((v, i) => {
      if (!isObj(v)) return;
      const at = `${path}[${i}]`;
      const kinds = (v.name !== undefined ? 1 : 0) + (v.host !== undefined ? 1 : 0);
      if (kinds !== 1) bad(at, 'expected exactly one of name (a volume kept per instance) or host (a host path)');
      if (typeof v.path === 'string') {
        if (targets.has(v.path)) bad(`${at}.path`, `"${v.path}" is mounted twice in this container`);
        targets.add(v.path);
      }
    });
  }
}
