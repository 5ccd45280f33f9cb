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
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

/** Docker's NameTotalLengthMax; tag (128) and digest add to it. */
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
  if (m[1]!.length > IMAGE_NAME_MAX) return `too long: the name has ${m[1]!.length} characters (at most ${IMAGE_NAME_MAX})`;
  return undefined;
}
