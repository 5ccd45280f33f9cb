/**
 * Docker image references, by the grammar of distribution/reference (what `docker pull` and the
 * Engine API accept): `[domain[:port]/]path[:tag][@digest]`, lower-case path components, a name of
 * at most 255 characters. A bad reference would otherwise be stored and fail on every host at pull
 * time; test/scheduler/spec-image.docker.test.ts holds this against the Docker daemon's own parser.
 */
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
// IPv6 registry hosts (`[::1]:5000/app`) are left out: Docker before 25 refuses them.
const HOST = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
const PATH_ONLY = new RegExp(`^${PATH_COMPONENT}$`);

/** Docker's NameTotalLengthMax, of the normalised name (docker.io/library/… included); tag and digest add to it. */
export const IMAGE_NAME_MAX = 255;
/** Checked before the grammar, so the regular expression never sees a long string. */
const REFERENCE_MAX = 512;

/** Why `ref` is not an image reference, or undefined when it is one. */
export function imageProblem(ref: string): string | undefined {
  const hint = 'expected an image reference like redis:7, registry:5000/team/app:1.2 or app@sha256:<hex>';
  if (ref === '') return hint;
  if (ref.length > REFERENCE_MAX) return `too long: ${ref.length} characters (an image name has at most ${IMAGE_NAME_MAX})`;
  const m = REFERENCE.exec(ref);
  if (!m) return `${hint} (lower-case name; tag [A-Za-z0-9_.-], at most 128)`;
  // As Docker normalises names: a first component is a registry only with a "." or ":" in it, or
  // as "localhost"; otherwise it is a path component and must be lower-case (`Team/app` is refused).
  const slash = m[1]!.indexOf('/');
  const first = slash < 0 ? '' : m[1]!.slice(0, slash);
  if (first && !/[.:]/.test(first) && first !== 'localhost' && !PATH_ONLY.test(first)) return `${hint} (lower-case name)`;
  // Docker counts the normalised name: `redis` is docker.io/library/redis.
  const registry = first !== '' && (/[.:]/.test(first) || first === 'localhost');
  const full = registry ? m[1]! : `docker.io/${slash < 0 ? 'library/' : ''}${m[1]!}`;
  if (full.length > IMAGE_NAME_MAX) return `too long: the name is ${full.length} characters as Docker counts it (${full.slice(0, 18)}…; at most ${IMAGE_NAME_MAX})`;
  return undefined;
}
